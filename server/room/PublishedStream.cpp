#include "server/room/PublishedStream.h"

namespace myriad::server::room {

PublishedStream::PublishedStream(std::string rid, size_t bufferPackets, size_t packetSize,
                                 uint32_t clockRate, uint32_t mediaSsrc, uint32_t rtxSsrc)
    : rid_(std::move(rid)),
      mediaSsrc_(mediaSsrc),
      rtxSsrc_(rtxSsrc),
      buffer_(std::make_unique<congestion::RtpRetransmissionBuffer>(bufferPackets, packetSize)),
      statistics_(clockRate == 0 ? 90000 : clockRate) {}

bool PublishedStream::SetResolution(int width, int height) {
  if (width == width_ && height == height_) return false;
  width_ = width;
  height_ = height;
  return true;
}

PublishedStream::KeyFrameRequestResult PublishedStream::RequestKeyFrame(Clock::time_point now,
                                                                        Clock::duration interval,
                                                                        bool repairable) {
  if ((lastKeyFrameRequest_ && now - *lastKeyFrameRequest_ < interval) || mediaSsrc_ == 0) {
    pendingRepairable_ = keyFrameRequestPending_ ? pendingRepairable_ && repairable : repairable;
    keyFrameRequestPending_ = true;
    return KeyFrameRequestResult::kCoalesced;
  }
  lastKeyFrameRequest_ = now;
  keyFrameRequestPending_ = false;
  return KeyFrameRequestResult::kSendNow;
}

bool PublishedStream::TakeDueKeyFrameRequest(Clock::time_point now, Clock::duration interval) {
  if (!keyFrameRequestPending_ || mediaSsrc_ == 0) return false;
  if (lastKeyFrameRequest_ && now - *lastKeyFrameRequest_ < interval) return false;
  lastKeyFrameRequest_ = now;
  keyFrameRequestPending_ = false;
  return true;
}

}  // namespace myriad::server::room
