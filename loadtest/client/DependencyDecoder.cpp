#include "loadtest/client/DependencyDecoder.h"

#include <algorithm>

namespace myriad::loadtest {
namespace {

// Decoded references kept for recovery frames; the server names one of the
// publisher's last two acknowledged ones, so a few suffice.
constexpr size_t kMaxDecodedReferences = 32;

}  // namespace

bool DependencyDecoder::PendingFrame::Complete() const {
  const uint64_t all =
      packetCount >= 64 ? ~uint64_t{0} : (uint64_t{1} << packetCount) - uint64_t{1};
  return receivedMask == all;
}

DependencyDecoder::DependencyDecoder(Options options) : options_(options) {
  options_.maxNacksPerPacket = std::max(options_.maxNacksPerPacket, 0);
  options_.maxPendingFrames = std::max<size_t>(options_.maxPendingFrames, 2);
}

std::optional<uint16_t> DependencyDecoder::LastDecoded() const {
  if (!lastDecoded_) return std::nullopt;
  return static_cast<uint16_t>(*lastDecoded_);
}

void DependencyDecoder::OnPacket(const Packet& packet, int64_t nowMs, Actions& actions) {
  actions.Clear();
  ++stats_.packets;
  TrackSequence(packet.sequenceNumber, nowMs, actions);
  const LtrFramePayload& record = packet.record;
  const int64_t id = frameIds_.Unwrap(record.frameId);
  if (lastDecoded_ && id <= *lastDecoded_) {
    // A late packet of a frame decoded or skipped already.
    ++stats_.duplicatePackets;
    CheckBreak(nowMs, actions);
    return;
  }
  if (!firstFrameSeen_) firstFrameSeen_ = id;
  newestFrameSeen_ = std::max(newestFrameSeen_.value_or(id), id);
  stats_.framesSpanned = static_cast<uint64_t>(*newestFrameSeen_ - *firstFrameSeen_ + 1);
  auto [it, inserted] = frames_.try_emplace(id);
  PendingFrame& frame = it->second;
  if (inserted) {
    frame.type = record.type;
    frame.longTermReference = record.longTermReference;
    frame.packetCount = record.packetCount;
    frame.referenceId = record.type == LtrFramePayload::FrameType::kKey
                            ? id
                            : rtp::UnwrapNear<uint16_t>(record.referenceId, id);
  }
  const uint64_t bit = uint64_t{1} << record.packetIndex;
  if (record.packetIndex >= frame.packetCount || (frame.receivedMask & bit) != 0) {
    ++stats_.duplicatePackets;
  } else {
    frame.receivedMask |= bit;
    if (frame.Complete() && frame.type == LtrFramePayload::FrameType::kKey) {
      ++stats_.keyFramesReceived;
    }
  }
  while (frames_.size() > options_.maxPendingFrames) frames_.erase(frames_.begin());
  DecodeWhatCan(nowMs, actions);
  CheckBreak(nowMs, actions);
}

void DependencyDecoder::OnTimer(int64_t nowMs, Actions& actions) {
  actions.Clear();
  for (auto it = missing_.begin(); it != missing_.end();) {
    MissingPacket& missing = it->second;
    const bool exhausted = missing.nacks >= options_.maxNacksPerPacket;
    if (exhausted && nowMs - missing.lastNackMs >= options_.repairWaitMs) {
      it = missing_.erase(it);  // given up: the key frame request takes over
      continue;
    }
    if (!exhausted && nowMs - missing.lastNackMs >= options_.nackRetryMs) {
      missing.lastNackMs = nowMs;
      ++missing.nacks;
      actions.nacks.push_back(static_cast<uint16_t>(it->first));
      ++stats_.nacksSent;
    }
    ++it;
  }
  CheckBreak(nowMs, actions);
}

void DependencyDecoder::Finish(int64_t nowMs) {
  if (finished_) return;
  finished_ = true;
  if (lastDecodeMs_) CountGap(nowMs - *lastDecodeMs_);
}

void DependencyDecoder::TrackSequence(uint16_t sequenceNumber, int64_t nowMs, Actions& actions) {
  const int64_t sequence = sequenceNumbers_.Unwrap(sequenceNumber);
  if (!highestSequence_) {
    highestSequence_ = sequence;
    return;
  }
  if (const auto it = missing_.find(sequence); it != missing_.end()) {
    missing_.erase(it);
    ++stats_.packetsRepaired;
    return;
  }
  if (sequence <= *highestSequence_) return;  // a duplicate, or given up on
  const int64_t gap = sequence - *highestSequence_ - 1;
  if (gap > 0 && static_cast<size_t>(gap) <= options_.maxNackGap &&
      options_.maxNacksPerPacket > 0) {
    for (int64_t lost = *highestSequence_ + 1; lost < sequence; ++lost) {
      missing_[lost] = MissingPacket{nowMs, 1};
      actions.nacks.push_back(static_cast<uint16_t>(lost));
      ++stats_.nacksSent;
    }
  }
  highestSequence_ = sequence;
  while (missing_.size() > options_.maxMissingPackets) missing_.erase(missing_.begin());
}

bool DependencyDecoder::Decodable(int64_t id, const PendingFrame& frame) const {
  if (!frame.Complete()) return false;
  switch (frame.type) {
    case LtrFramePayload::FrameType::kKey:
      return true;
    case LtrFramePayload::FrameType::kDelta:
      return lastDecoded_ && *lastDecoded_ + 1 == id && frame.referenceId == *lastDecoded_;
    case LtrFramePayload::FrameType::kRecovery:
      return decodedReferences_.count(frame.referenceId) != 0;
  }
  return false;
}

void DependencyDecoder::DecodeWhatCan(int64_t nowMs, Actions& actions) {
  bool progressed = true;
  while (progressed) {
    progressed = false;
    // The next frame in order first; then a key frame or a recovery frame
    // further on ends a break (the oldest such, so nothing decodable is
    // skipped).
    for (const auto& [id, frame] : frames_) {
      if (lastDecoded_ && id <= *lastDecoded_) continue;
      const bool next = !lastDecoded_ || id == *lastDecoded_ + 1;
      const bool entryPoint = frame.type != LtrFramePayload::FrameType::kDelta;
      if ((next || entryPoint) && Decodable(id, frame)) {
        const PendingFrame decoded = frame;  // Decode erases it
        Decode(id, decoded, nowMs, actions);
        progressed = true;
        break;
      }
    }
  }
}

void DependencyDecoder::Decode(int64_t id, const PendingFrame& frame, int64_t nowMs,
                               Actions& actions) {
  if (lastDecoded_) stats_.framesSkipped += static_cast<uint64_t>(id - *lastDecoded_ - 1);
  if (lastDecodeMs_) CountGap(nowMs - *lastDecodeMs_);
  lastDecodeMs_ = nowMs;
  lastDecoded_ = id;
  ++stats_.framesDecoded;
  if (frame.type == LtrFramePayload::FrameType::kKey) {
    // A key frame resets the reference buffers.
    decodedReferences_.clear();
    ++stats_.keyFramesDecoded;
  } else if (frame.type == LtrFramePayload::FrameType::kRecovery) {
    ++stats_.recoveryFramesDecoded;
  }
  if (frame.longTermReference) {
    decodedReferences_.insert(id);
    if (decodedReferences_.size() > kMaxDecodedReferences) {
      decodedReferences_.erase(decodedReferences_.begin());
    }
    actions.acknowledgements.push_back(static_cast<uint16_t>(id));
    ++stats_.acknowledgementsSent;
  }
  frames_.erase(frames_.begin(), frames_.upper_bound(id));
  blockedSinceMs_.reset();
  awaitingRepairSinceMs_.reset();
  lastKeyFrameRequestMs_.reset();
}

void DependencyDecoder::CountGap(int64_t gapMs) {
  stats_.longestStallMs = std::max(stats_.longestStallMs, gapMs);
  if (gapMs > 200) {
    ++stats_.stallsOver200Ms;
    stats_.timeInStallsOver200MsMs += gapMs;
  }
  if (gapMs > 500) ++stats_.stallsOver500Ms;
  if (gapMs > 2000) ++stats_.stallsOver2s;
}

void DependencyDecoder::CheckBreak(int64_t nowMs, Actions& actions) {
  // Waiting: a frame newer than the next one arrived (the next one is lost
  // or incomplete), or nothing decoded yet.
  const bool waiting =
      !frames_.empty() && (!lastDecoded_ || frames_.rbegin()->first > *lastDecoded_ + 1);
  if (!waiting) {
    blockedSinceMs_.reset();
    return;
  }
  if (!blockedSinceMs_) blockedSinceMs_ = nowMs;
  if (nowMs - *blockedSinceMs_ < options_.repairWaitMs) return;
  if (lastKeyFrameRequestMs_ && nowMs - *lastKeyFrameRequestMs_ < options_.keyFrameRequestRetryMs) {
    return;
  }
  actions.requestKeyFrame = true;
  lastKeyFrameRequestMs_ = nowMs;
  if (!awaitingRepairSinceMs_) awaitingRepairSinceMs_ = nowMs;
  ++stats_.keyFrameRequests;
}

}  // namespace myriad::loadtest
