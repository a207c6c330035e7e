#include "server/room/Publication.h"

#include <algorithm>
#include <cstdlib>

#include "rtp/BigEndian.h"
#include "rtp/DependencyDescriptorHeader.h"
#include "rtp/H264PayloadInfo.h"
#include "rtp/H264SequenceParameterSet.h"
#include "rtp/Rpsi.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"
#include "server/Metrics.h"
#include "server/room/Participant.h"
#include "server/room/Subscription.h"
#include "simulcast/LayerSelector.h"
#include "simulcast/RidAssignment.h"

namespace myriad::server::room {
namespace {

// About 3 s of a 720p camera at 1.5 Mbps in 1200-byte packets; audio keeps
// about 1.3 s of 20 ms packets in small slots (Opus at up to 128 kbit/s fits
// 512 bytes), since Opus loss is concealed rather than retransmitted and a
// thousand-microphone room must stay within its memory budget.
constexpr size_t kVideoBufferPackets = 1024;
constexpr size_t kAudioBufferPackets = 64;
constexpr size_t kAudioPacketSize = 512;
constexpr size_t kMinSimulcastBufferPackets = 256;

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

simulcast::TierPlanner::SubscriberId IdOf(const Subscription& subscription) {
  return reinterpret_cast<uintptr_t>(&subscription);
}

int64_t SteadyNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Publication::Publication(Participant& owner, Description description,
                         const simulcast::SimulcastLadder& ladder,
                         simulcast::TierPlanner::Options plannerOptions)
    : owner_(owner),
      description_(std::move(description)),
      isVideo_(description_.kind == "video"),
      transportSequenceId_(ExtensionId(rtp::kTransportWideCcExtensionUri)),
      midId_(ExtensionId(rtp::kMidExtensionUri)),
      repairedRidId_(ExtensionId(rtp::kRepairedRtpStreamIdExtensionUri)),
      ridId_(ExtensionId(rtp::kRtpStreamIdExtensionUri)) {
  isVp8_ = EqualsIgnoringCase(description_.codec.name, "VP8");
  isH264_ = EqualsIgnoringCase(description_.codec.name, "H264");
  const size_t packets = isVideo_ ? kVideoBufferPackets : kAudioBufferPackets;
  const size_t packetSize =
      isVideo_ ? congestion::RtpRetransmissionBuffer::kMaxPacketSize : kAudioPacketSize;
  const uint32_t clockRate = description_.codec.clockRate;
  // Simulcast needs the rid extension to tell the streams apart (RFC 8852)
  // and a codec whose key frames the server can find; otherwise only the
  // first stream is forwarded, as without simulcast.
  const bool simulcast = isVideo_ && description_.rids.size() >= 2 && ridId_ != 0 &&
                         (isVp8_ || isH264_) &&
                         description_.rids.size() <= simulcast::TierPlanner::kMaxTiers;
  if (simulcast) {
    // Rids come in ascending size: each lower encoding sends fewer packets
    // a second, so half the buffer of the one above keeps as many seconds.
    const size_t ridCount = description_.rids.size();
    for (size_t i = 0; i < ridCount; ++i) {
      const size_t capacity = std::max(kMinSimulcastBufferPackets, packets >> (ridCount - 1 - i));
      streams_.push_back(std::make_unique<PublishedStream>(description_.rids[i], capacity,
                                                           packetSize, clockRate, 0, 0));
    }
    planner_ = std::make_unique<simulcast::TierPlanner>(ladder, plannerOptions);
    const int rids = static_cast<int>(description_.rids.size());
    planner_->SetTierBudget(description_.tierBudget > 0 ? std::min(description_.tierBudget, rids)
                                                        : rids);
    if (description_.captureHeight > 0) {
      planner_->SetSourceLevel(ladder.NearestLevelAtMost(description_.captureHeight));
    }
    Metrics::Instance().SimulcastTracks(0).Increment();
  } else {
    streams_.push_back(std::make_unique<PublishedStream>(
        "", packets, packetSize, clockRate, description_.mediaSsrc, description_.rtxSsrc));
  }
  if (planner_) ridLevels_.assign(streams_.size(), -1);
  if (isVideo_) {
    caps_ = std::make_unique<congestion::TierBitrateCaps>(static_cast<int>(streams_.size()));
    capLimits_.resize(streams_.size());
    const auto& feedback = description_.codec.rtcpFeedback;
    dependencyDescriptorId_ = ExtensionId(rtp::kDependencyDescriptorExtensionUri);
    ltr_ = dependencyDescriptorId_ != 0 &&
           std::find(feedback.begin(), feedback.end(), "nack rpsi") != feedback.end();
    if (ltr_) {
      for (auto& stream : streams_) stream->EnableLtr();
    }
  }
}

Publication::~Publication() {
  if (planner_) Metrics::Instance().SimulcastTracks(planner_->Current().levels.size()).Decrement();
  // Subscriptions outlive nothing of ours: tell them the source is gone.
  for (Subscription* subscription : subscribers_) subscription->OnPublicationGone();
}

uint8_t Publication::ExtensionId(std::string_view uri) const {
  for (const auto& extension : description_.extensions) {
    if (extension.uri == uri) return extension.id;
  }
  return 0;
}

int Publication::StreamIndexForRid(std::string_view rid) const {
  for (size_t i = 0; i < streams_.size(); ++i) {
    if (streams_[i]->Rid() == rid) return static_cast<int>(i);
  }
  return -1;
}

uint64_t Publication::PacketsReceived() const {
  uint64_t total = 0;
  for (const auto& stream : streams_) total += stream->Statistics().PacketsReceived();
  return total;
}

void Publication::AddSubscriber(Subscription& subscription) {
  if (std::find(subscribers_.begin(), subscribers_.end(), &subscription) != subscribers_.end()) {
    return;
  }
  subscribers_.push_back(&subscription);
  if (caps_) subscription.SetCapVoter(caps_->Join(subscription.Subscriber().Number()));
  // A plain track's subscriber receives its one stream from the start; a
  // simulcast subscriber joins a stream's tracker when it switches to it.
  if (ltr_ && !planner_) SetLtrStream(subscription, 0);
  if (planner_) SetDemand(subscription, subscription.DemandLevel(), SteadyNowMs());
}

void Publication::RemoveSubscriber(Subscription& subscription) {
  // Order does not matter: swap with the last, so a speaker change that
  // moves a thousand slot subscriptions stays linear.
  const auto it = std::find(subscribers_.begin(), subscribers_.end(), &subscription);
  if (it == subscribers_.end()) return;
  *it = subscribers_.back();
  subscribers_.pop_back();
  if (ltr_) SetLtrStream(subscription, -1);
  if (caps_) {
    if (const auto voter = subscription.CapVoter()) caps_->Leave(*voter);
    subscription.SetCapVoter(std::nullopt);
  }
  if (planner_) planner_->SetDemand(IdOf(subscription), std::nullopt, SteadyNowMs());
}

uint32_t Publication::TierMaxBitrate(int tier) const {
  if (!planner_) return tier == 0 && isVideo_ ? kSingleStreamMaxBitrateBps : 0;
  if (tier < 0 || static_cast<size_t>(tier) >= ridLevels_.size() || ridLevels_[tier] < 0) return 0;
  // The top tier sent may use its level's full bitrate, lower ones their
  // target (simulcast::SimulcastLadder::LevelSpec), as in the tier plan.
  int top = -1;
  for (size_t i = 0; i < ridLevels_.size(); ++i) {
    if (ridLevels_[i] >= 0) top = static_cast<int>(i);
  }
  const auto& level = planner_->Ladder().Level(ridLevels_[tier]);
  return tier == top ? level.maxBitrateBps : level.targetBitrateBps;
}

uint32_t Publication::TierMinBitrate(int tier) const {
  if (!planner_) return tier == 0 && isVideo_ ? kSingleStreamMinBitrateBps : 0;
  return TierMaxBitrate(tier) / kMinBitrateDivisor;
}

bool Publication::UpdateCaps() {
  if (!caps_) return false;
  for (size_t tier = 0; tier < capLimits_.size(); ++tier) {
    const int index = static_cast<int>(tier);
    capLimits_[tier] = {TierMinBitrate(index), TierMaxBitrate(index), IsLowestTier(index)};
  }
  const auto caps = caps_->Caps(capLimits_);
  currentCaps_.assign(caps.begin(), caps.end());
  return caps_->Changed();
}

bool Publication::IsLowestTier(int tier) const {
  if (!planner_) return tier == 0;
  for (size_t i = 0; i < ridLevels_.size(); ++i) {
    if (ridLevels_[i] >= 0) return static_cast<int>(i) == tier;
  }
  return false;
}

uint32_t Publication::TierCap(int tier) const {
  if (tier < 0 || static_cast<size_t>(tier) >= currentCaps_.size()) {
    return TierMaxBitrate(tier);
  }
  return currentCaps_[tier];
}

void Publication::SetDemand(Subscription& subscription, std::optional<int> level, int64_t nowMs) {
  if (!planner_) return;
  planner_->SetDemand(IdOf(subscription), level, nowMs);
  subscription.SetTierPlan(ActiveStreamMask(), WantedStreamFor(subscription));
}

int Publication::WantedStreamFor(const Subscription& subscription) const {
  const auto served = planner_->LevelForSubscriber(IdOf(subscription));
  return served ? StreamForLevel(*served) : simulcast::LayerSelector::kNoTier;
}

uint32_t Publication::ActiveStreamMask() const {
  uint32_t mask = 0;
  for (size_t i = 0; i < ridLevels_.size(); ++i) {
    if (ridLevels_[i] >= 0) mask |= 1U << i;
  }
  return mask;
}

int Publication::StreamForLevel(int level) const {
  int best = -1;
  int bestLevel = 0;
  for (size_t i = 0; i < ridLevels_.size(); ++i) {
    if (ridLevels_[i] < 0) continue;
    // What actually arrives: the size of the stream's latest key frame.
    const int height = streams_[i]->Height();
    const int actual = height > 0 ? planner_->Ladder().NearestLevelAtMost(height) : ridLevels_[i];
    const int distance = std::abs(actual - level);
    const int bestDistance = std::abs(bestLevel - level);
    if (best < 0 || distance < bestDistance || (distance == bestDistance && actual < bestLevel)) {
      best = static_cast<int>(i);
      bestLevel = actual;
    }
  }
  return best;
}

std::optional<simulcast::TierPlan> Publication::UpdatePlan(int64_t nowMs) {
  if (!planner_) return std::nullopt;
  const size_t tiersBefore = planner_->Current().levels.size();
  auto plan = planner_->Update(nowMs);
  if (!plan) return std::nullopt;
  auto& metrics = Metrics::Instance();
  metrics.SimulcastTracks(tiersBefore).Decrement();
  metrics.SimulcastTracks(plan->levels.size()).Increment();
  metrics.simulcast_plan_changes().Increment();
  ridLevels_ = simulcast::RidAssignment::Assign(ridLevels_, plan->levels, NominalRidLevels());
  ApplyPlanToSubscribers();
  return plan;
}

std::vector<int> Publication::NominalRidLevels() const {
  const auto& ladder = planner_->Ladder();
  int source = SourceHeight();
  if (source <= 0) source = ladder.Level(ladder.LevelCount() - 1).height;
  std::vector<int> nominal(ridLevels_.size());
  for (size_t i = 0; i < nominal.size(); ++i) {
    const size_t halvings = std::min<size_t>(nominal.size() - 1 - i, 16);
    nominal[i] = ladder.NearestLevelAtMost(source >> halvings);
  }
  return nominal;
}

void Publication::ApplyPlanToSubscribers() {
  const uint32_t available = ActiveStreamMask();
  for (Subscription* subscription : subscribers_) {
    subscription->SetTierPlan(available, WantedStreamFor(*subscription));
  }
}

int Publication::SourceHeight() const {
  int height = description_.captureHeight;
  for (const auto& stream : streams_) height = std::max(height, stream->Height());
  return height;
}

void Publication::SetAudioLevelListener(AudioLevelListener* listener, uint32_t audioSourceId) {
  audioLevelListener_ = listener;
  audioSourceId_ = audioSourceId;
  audioLevelId_ = ExtensionId(rtp::kAudioLevelExtensionUri);
}

bool Publication::InspectVideo(size_t stream, const rtp::RtpPacket& packet) {
  int width = 0;
  int height = 0;
  if (isVp8_) {
    const auto descriptor = rtp::Vp8PayloadDescriptor::Parse(packet.Payload());
    if (!descriptor || !descriptor->IsKeyFrame()) return false;
    // RFC 6386 9.1: the key frame header follows the 3-byte frame tag.
    if (const auto header = rtp::Vp8KeyFrameHeader::Parse(descriptor->Payload())) {
      width = header->Width();
      height = header->Height();
    }
  } else if (isH264_) {
    const auto info = rtp::H264PayloadInfo::Parse(packet.Payload());
    if (!info || !info->IsKeyFrameStart()) return false;
    if (!info->Sps().empty()) {
      if (const auto sps = rtp::H264SequenceParameterSet::Parse(info->Sps())) {
        width = static_cast<int>(sps->Width());
        height = static_cast<int>(sps->Height());
      }
    }
  } else {
    return false;
  }
  if (height > 0 && streams_[stream]->SetResolution(width, height)) {
    // Signalling-rate work: a stream's size changes at a key frame, rarely.
    UpdateSourceLevel();
    if (!ridLevels_.empty()) ApplyPlanToSubscribers();
  }
  return true;
}

void Publication::UpdateSourceLevel() {
  const int source = SourceHeight();
  if (planner_ && source > 0)
    planner_->SetSourceLevel(planner_->Ladder().NearestLevelAtMost(source));
}

void Publication::SetMuteState(const signaling::TrackMuteState& state, Clock::time_point now) {
  const bool unmuted = muteState_.muted && !state.muted;
  muteState_ = state;
  if (!unmuted) return;
  for (Subscription* subscription : subscribers_) subscription->OnSourceUnmuted(now);
}

void Publication::OnRtpPacket(size_t streamIndex, const rtp::RtpPacket& packet,
                              Clock::time_point now) {
  PublishedStream& stream = *streams_[streamIndex];
  const int64_t nowMs = ToMs(now);
  const uint16_t seq = packet.SequenceNumber();
  mediaStarted_ = true;
  // Browsers probe bandwidth by resending old packets over RTX; a packet we
  // already hold is a duplicate: not news for statistics or subscribers.
  const auto stored = stream.Buffer().Get(seq).packet;
  if (!stored.empty() && TimestampOf(stored) == packet.Timestamp()) return;
  stream.Statistics().OnPacket(
      seq, packet.Timestamp(),
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count());
  Metrics::Instance().CountIn(IsVideo() ? PacketKind::kVideo : PacketKind::kAudio, packet.Size());
  stream.Bitrate().OnPacket(packet.Size(), nowMs);
  if (muteState_.muted) {
    // The mute holds in the router: the packet arrived (statistics and
    // reports stay right) and goes nowhere.
    Metrics::Instance().CountDrop(DropReason::kMuted);
    return;
  }
  if (description_.nackEnabled) {
    if (stream.Nacks().OnPacket(seq, nowMs).keyFrameNeeded) RequestKeyFrame(streamIndex, now);
  }
  stream.Buffer().Store(seq, packet.Data(), nowMs);
  if (audioLevelListener_ && audioLevelId_ != 0) {
    // RFC 6464 3: the level of this packet's audio in -dBov; ranked before
    // forwarding so a new loudest speaker is heard from the next tick on.
    if (const auto level = rtp::ReadAudioLevel(packet.GetExtension(audioLevelId_))) {
      audioLevelListener_->OnAudioLevel(audioSourceId_, level->level, nowMs);
    }
  }
  bool keyFrameStart = false;
  if (planner_ || ltr_) keyFrameStart = InspectVideo(streamIndex, packet);
  if (ltr_ && keyFrameStart && dependencyDescriptorId_ != 0) {
    // A key frame drops every reference the publisher held.
    if (const auto descriptor =
            rtp::DependencyDescriptorHeader::Parse(packet.GetExtension(dependencyDescriptorId_))) {
      stream.Ltr()->OnKeyFrame(descriptor->FrameNumber());
    }
  }
  if (planner_) {
    // Every packet of every tier reaches every subscriber's layer selector:
    // it forwards one tier and watches the others for key frames and
    // silence.
    for (Subscription* subscription : subscribers_) {
      subscription->ForwardSimulcast(packet, streamIndex, keyFrameStart, now);
    }
    return;
  }
  for (Subscription* subscription : subscribers_) subscription->ForwardRtp(packet, now);
}

uint32_t Publication::TimestampOf(std::span<const uint8_t> storedPacket) {
  // Only parsed RTP packets are stored, so the fixed header is there: the
  // timestamp is bytes 4..7 (RFC 3550 5.1).
  return storedPacket.size() < 8 ? 0 : rtp::ReadBigEndian32(storedPacket.data() + 4);
}

congestion::RtpRetransmissionBuffer::Entry Publication::StoredPacket(
    size_t stream, uint16_t sequenceNumber) const {
  if (stream >= streams_.size()) return {};
  return streams_[stream]->Buffer().Get(sequenceNumber);
}

void Publication::RequestKeyFrame(size_t streamIndex, Clock::time_point now,
                                  const Subscription* requester) {
  if (!IsVideo() || streamIndex >= streams_.size()) return;
  PublishedStream& stream = *streams_[streamIndex];
  // A frame predicted from a reference every viewer has repairs the one
  // that lost at the cost of a normal frame; a key frame costs every
  // viewer several times that (docs/protocol.md "Long-term references").
  std::optional<uint16_t> recovery;
  const bool ltrLoss = requester && stream.Ltr();
  if (ltrLoss) recovery = stream.Ltr()->RecoveryFrameFor(requester->Subscriber().Number());
  if (!recovery && !PliWindowOpen(now)) {
    // The encoder would drop it: held for CollectNacks to send once the window opens.
    stream.MarkKeyFrameRequestPending();
    if (stream.MediaSsrc() != 0) Metrics::Instance().keyframe_requests_throttled().Increment();
    return;
  }
  if (stream.RequestKeyFrame(now, kKeyFrameRequestInterval, recovery.has_value()) ==
      PublishedStream::KeyFrameRequestResult::kCoalesced) {
    if (stream.MediaSsrc() != 0) Metrics::Instance().keyframe_requests_throttled().Increment();
    return;
  }
  SendKeyFrameRequest(stream, recovery, ltrLoss, now);
}

void Publication::SendKeyFrameRequest(PublishedStream& stream, std::optional<uint16_t> recovery,
                                      bool ltrLoss, Clock::time_point now) {
  if (recovery && stream.MediaSsrc() != 0) {
    owner_.SendLtrMessage(rtp::Rpsi::LtrKind::kRecoverFrom, stream.MediaSsrc(),
                          description_.codec.payloadType, *recovery);
    Metrics::Instance().LtrFeedback(LtrFeedback::kRecoverySent).Increment();
    return;
  }
  if (ltrLoss) Metrics::Instance().LtrFeedback(LtrFeedback::kPliFallback).Increment();
  lastPliAt_ = now;
  owner_.SendPli(stream.MediaSsrc());
}

void Publication::SetLtrStream(Subscription& subscription, int stream) {
  if (!ltr_) return;
  const int previous = subscription.LtrStream();
  if (previous == stream) return;
  const uint32_t id = subscription.Subscriber().Number();
  if (previous >= 0 && static_cast<size_t>(previous) < streams_.size()) {
    PublishedStream& old = *streams_[static_cast<size_t>(previous)];
    // A leaver that was behind no longer holds the others back.
    if (const auto aggregate = old.Ltr()->RemoveSubscriber(id)) {
      owner_.SendLtrMessage(rtp::Rpsi::LtrKind::kAcknowledged, old.MediaSsrc(),
                            description_.codec.payloadType, *aggregate);
      Metrics::Instance().LtrFeedback(LtrFeedback::kAcknowledgementSent).Increment();
    }
  }
  if (stream >= 0 && static_cast<size_t>(stream) < streams_.size()) {
    streams_[static_cast<size_t>(stream)]->Ltr()->AddSubscriber(id);
    subscription.SetLtrStream(stream);
  } else {
    subscription.SetLtrStream(-1);
  }
}

void Publication::OnLtrAcknowledged(const Subscription& subscription, uint16_t frameId) {
  const int index = subscription.LtrStream();
  if (!ltr_ || index < 0 || static_cast<size_t>(index) >= streams_.size()) return;
  PublishedStream& stream = *streams_[static_cast<size_t>(index)];
  Metrics::Instance().LtrFeedback(LtrFeedback::kAcknowledgementReceived).Increment();
  if (const auto aggregate =
          stream.Ltr()->OnAcknowledged(subscription.Subscriber().Number(), frameId)) {
    if (stream.MediaSsrc() == 0) return;
    owner_.SendLtrMessage(rtp::Rpsi::LtrKind::kAcknowledged, stream.MediaSsrc(),
                          description_.codec.payloadType, *aggregate);
    Metrics::Instance().LtrFeedback(LtrFeedback::kAcknowledgementSent).Increment();
  }
}

void Publication::RepeatLtrAcknowledgements() {
  if (!ltr_) return;
  for (auto& stream : streams_) {
    const auto aggregate = stream->Ltr()->LastAggregateAcknowledgement();
    if (!aggregate || stream->MediaSsrc() == 0) continue;
    owner_.SendLtrMessage(rtp::Rpsi::LtrKind::kAcknowledged, stream->MediaSsrc(),
                          description_.codec.payloadType, *aggregate);
  }
}

void Publication::OnSenderReport(uint32_t ssrc, uint64_t ntpTimestamp, uint32_t rtpTimestamp,
                                 Clock::time_point now) {
  for (auto& stream : streams_) {
    if (stream->MediaSsrc() == ssrc) stream->SetSenderReport({ntpTimestamp, rtpTimestamp, now});
  }
}

size_t Publication::CollectNacks(size_t streamIndex, Clock::time_point now, int64_t rttMs,
                                 std::span<uint16_t> out) {
  PublishedStream& stream = *streams_[streamIndex];
  // A coalesced key frame request goes out once its interval has passed:
  // as a recovery request when every loss it stands for can be repaired
  // from a reference all viewers still have.
  if (IsVideo()) {
    const bool repairable = stream.PendingRequestRepairable() && stream.Ltr();
    if ((repairable || PliWindowOpen(now)) &&
        stream.TakeDueKeyFrameRequest(now, kKeyFrameRequestInterval)) {
      SendKeyFrameRequest(stream, repairable ? stream.Ltr()->CommonRecoveryFrame() : std::nullopt,
                          repairable, now);
    }
  }
  if (!description_.nackEnabled) return 0;
  return stream.Nacks().Collect(ToMs(now), rttMs, out);
}

}  // namespace myriad::server::room
