#include "server/room/Publication.h"

#include <algorithm>

#include "rtp/BigEndian.h"
#include "rtp/RtpHeaderExtensions.h"
#include "server/Metrics.h"
#include "server/room/Participant.h"
#include "server/room/Subscription.h"

namespace myriad::server::room {
namespace {

// About 3 s of a 720p camera at 1.5 Mbps in 1200-byte packets; audio keeps
// about 1.3 s of 20 ms packets in small slots (Opus at up to 128 kbit/s fits
// 512 bytes), since Opus loss is concealed rather than retransmitted and a
// thousand-microphone room must stay within its memory budget.
constexpr size_t kVideoBufferPackets = 1024;
constexpr size_t kAudioBufferPackets = 64;
constexpr size_t kAudioPacketSize = 512;

}  // namespace

Publication::Publication(Participant& owner, Description description)
    : owner_(owner),
      description_(std::move(description)),
      buffer_(std::make_unique<congestion::RtpRetransmissionBuffer>(
          description_.kind == "video" ? kVideoBufferPackets : kAudioBufferPackets,
          description_.kind == "video" ? congestion::RtpRetransmissionBuffer::kMaxPacketSize
                                       : kAudioPacketSize)),
      statistics_(description_.codec.clockRate == 0 ? 90000 : description_.codec.clockRate),
      transportSequenceId_(ExtensionId(rtp::kTransportWideCcExtensionUri)),
      midId_(ExtensionId(rtp::kMidExtensionUri)),
      repairedRidId_(ExtensionId(rtp::kRepairedRtpStreamIdExtensionUri)) {}

Publication::~Publication() {
  // Subscriptions outlive nothing of ours: tell them the source is gone.
  for (Subscription* subscription : subscribers_) subscription->OnPublicationGone();
}

uint8_t Publication::ExtensionId(std::string_view uri) const {
  for (const auto& extension : description_.extensions) {
    if (extension.uri == uri) return extension.id;
  }
  return 0;
}

void Publication::AddSubscriber(Subscription& subscription) {
  if (std::find(subscribers_.begin(), subscribers_.end(), &subscription) == subscribers_.end()) {
    subscribers_.push_back(&subscription);
  }
}

void Publication::RemoveSubscriber(Subscription& subscription) {
  // Order does not matter: swap with the last, so a speaker change that
  // moves a thousand slot subscriptions stays linear.
  const auto it = std::find(subscribers_.begin(), subscribers_.end(), &subscription);
  if (it == subscribers_.end()) return;
  *it = subscribers_.back();
  subscribers_.pop_back();
}

void Publication::SetAudioLevelListener(AudioLevelListener* listener, uint32_t audioSourceId) {
  audioLevelListener_ = listener;
  audioSourceId_ = audioSourceId;
  audioLevelId_ = ExtensionId(rtp::kAudioLevelExtensionUri);
}

void Publication::OnRtpPacket(const rtp::RtpPacket& packet, Clock::time_point now) {
  const int64_t nowMs = ToMs(now);
  const uint16_t seq = packet.SequenceNumber();
  // Browsers probe bandwidth by resending old packets over RTX; a packet we
  // already hold is a duplicate: not news for statistics or subscribers.
  const auto stored = buffer_->Get(seq).packet;
  if (!stored.empty() && TimestampOf(stored) == packet.Timestamp()) return;
  statistics_.OnPacket(
      seq, packet.Timestamp(),
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
  Metrics::Instance().CountIn(IsVideo() ? PacketKind::kVideo : PacketKind::kAudio, packet.Size());
  if (description_.nackEnabled) {
    if (nacks_.OnPacket(seq, nowMs).keyFrameNeeded) RequestKeyFrame(now);
  }
  buffer_->Store(seq, packet.Data(), nowMs);
  if (audioLevelListener_ && audioLevelId_ != 0) {
    // RFC 6464 3: the level of this packet's audio in -dBov; ranked before
    // forwarding so a new loudest speaker is heard from the next tick on.
    if (const auto level = rtp::ReadAudioLevel(packet.GetExtension(audioLevelId_))) {
      audioLevelListener_->OnAudioLevel(audioSourceId_, level->level, nowMs);
    }
  }
  for (Subscription* subscription : subscribers_) subscription->ForwardRtp(packet, now);
}

uint32_t Publication::TimestampOf(std::span<const uint8_t> storedPacket) {
  // Only parsed RTP packets are stored, so the fixed header is there: the
  // timestamp is bytes 4..7 (RFC 3550 5.1).
  return storedPacket.size() < 8 ? 0 : rtp::ReadBigEndian32(storedPacket.data() + 4);
}

std::span<const uint8_t> Publication::StoredPacket(uint16_t sequenceNumber) const {
  return buffer_->Get(sequenceNumber).packet;
}

void Publication::RequestKeyFrame(Clock::time_point now) {
  if (!IsVideo()) return;
  if (lastKeyFrameRequest_ && now - *lastKeyFrameRequest_ < kKeyFrameRequestInterval) {
    // Coalesce: one request goes out when the interval has passed.
    keyFrameRequestPending_ = true;
    Metrics::Instance().keyframe_requests_throttled().Increment();
    return;
  }
  if (description_.mediaSsrc == 0) {
    keyFrameRequestPending_ = true;
    return;
  }
  lastKeyFrameRequest_ = now;
  keyFrameRequestPending_ = false;
  owner_.SendPli(description_.mediaSsrc);
}

void Publication::OnSenderReport(uint64_t ntpTimestamp, uint32_t rtpTimestamp,
                                 Clock::time_point now) {
  lastSenderReport_ = SenderReportInfo{ntpTimestamp, rtpTimestamp, now};
}

size_t Publication::CollectNacks(Clock::time_point now, int64_t rttMs, std::span<uint16_t> out) {
  // A coalesced key frame request goes out once its interval has passed.
  if (keyFrameRequestPending_ &&
      (!lastKeyFrameRequest_ || now - *lastKeyFrameRequest_ >= kKeyFrameRequestInterval)) {
    RequestKeyFrame(now);
  }
  if (!description_.nackEnabled) return 0;
  return nacks_.Collect(ToMs(now), rttMs, out);
}

}  // namespace myriad::server::room
