#include "loadtest/client/LtrEncoderModel.h"

#include <algorithm>

#include "rtp/SequenceNumber.h"

namespace myriad::loadtest {

LtrEncoderModel::LtrEncoderModel(Options options)
    : options_(options), nextFrameId_(options.firstFrameId) {
  options_.ltrIntervalFrames = std::max<uint32_t>(options_.ltrIntervalFrames, 1);
  options_.maxHeldReferences = std::max(options_.maxHeldReferences, kAcknowledgedKept + 1);
}

void LtrEncoderModel::OnKeyFrameRequest() {
  ++counters_.keyFrameRequests;
  keyFrameRequested_ = true;
}

void LtrEncoderModel::OnAcknowledged(uint16_t frameId) {
  if (!Holds(frameId)) return;
  ++counters_.acknowledgements;
  if (!acknowledged_.empty() && acknowledged_.front() == frameId) return;
  acknowledged_.erase(std::remove(acknowledged_.begin(), acknowledged_.end(), frameId),
                      acknowledged_.end());
  acknowledged_.insert(acknowledged_.begin(), frameId);
  if (acknowledged_.size() > kAcknowledgedKept) acknowledged_.resize(kAcknowledgedKept);
  Prune();
}

void LtrEncoderModel::OnRecoverFrom(uint16_t frameId) {
  ++counters_.recoverFromRequests;
  recoverFrom_ = frameId;
}

bool LtrEncoderModel::Holds(uint16_t frameId) const {
  return std::find(held_.begin(), held_.end(), frameId) != held_.end();
}

bool LtrEncoderModel::IsProtected(uint16_t frameId) const {
  return std::find(acknowledged_.begin(), acknowledged_.end(), frameId) != acknowledged_.end();
}

void LtrEncoderModel::Prune() {
  // References older than the newest acknowledgement that are not among the
  // last two acknowledged ones will never be named again: the server only
  // recovers from those two.
  if (!acknowledged_.empty()) {
    const uint16_t newest = acknowledged_.front();
    std::erase_if(held_,
                  [&](uint16_t id) { return !IsProtected(id) && !rtp::IsSeqNewer(id, newest); });
  }
  // Encoders have few reference buffers: the oldest unacknowledged one goes.
  while (held_.size() > options_.maxHeldReferences) {
    const auto victim =
        std::find_if(held_.begin(), held_.end(), [&](uint16_t id) { return !IsProtected(id); });
    if (victim == held_.end()) break;
    held_.erase(victim);
  }
}

LtrEncoderModel::Frame LtrEncoderModel::NextFrame() {
  Frame frame;
  frame.frameId = nextFrameId_++;
  if (recoverFrom_ && !keyFrameRequested_ && !Holds(*recoverFrom_)) {
    ++counters_.recoverFromUnheld;
    keyFrameRequested_ = true;
  }
  if (keyFrameRequested_ || !previousFrameId_) {
    frame.type = FrameType::kKey;
    frame.referenceId = frame.frameId;
    // A key frame resets the reference buffers at both ends.
    held_.clear();
    acknowledged_.clear();
    frame.longTermReference = options_.longTermReferences;
    ++counters_.keyFrames;
  } else if (recoverFrom_) {
    frame.type = FrameType::kRecovery;
    frame.referenceId = *recoverFrom_;
    ++counters_.recoveryFrames;
  } else {
    frame.type = FrameType::kDelta;
    frame.referenceId = *previousFrameId_;
  }
  keyFrameRequested_ = false;
  recoverFrom_.reset();
  if (frame.type != FrameType::kKey && options_.longTermReferences) {
    frame.longTermReference = ++framesSinceReference_ >= options_.ltrIntervalFrames;
  }
  if (frame.longTermReference) {
    framesSinceReference_ = 0;
    held_.push_back(frame.frameId);
    ++counters_.longTermReferences;
    Prune();
  }
  if (frame.type == FrameType::kKey) framesSinceReference_ = 0;
  previousFrameId_ = frame.frameId;
  ++counters_.frames;
  return frame;
}

}  // namespace myriad::loadtest
