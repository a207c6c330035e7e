#include "loadtest/SimulatedParticipant.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cmath>

#include "loadtest/SteadyMicros.h"
#include "loadtest/client/LoadtestPayload.h"
#include "signaling/AccessPolicy.h"
#include "signaling/AccessToken.h"

namespace myriad::loadtest {
namespace {

constexpr int64_t kAudioPeriodUs = 20'000;  // 50 packets/s
// A sender this far behind its schedule drops what it missed instead of
// bursting it (the generator is overloaded; counted as notSent).
constexpr int64_t kMaxLagUs = 100'000;
// The simulated camera (the size browsers' fake camera has too).
constexpr int kCameraWidth = 1280;
constexpr int kCameraHeight = 720;
// How many recent talk spurts a slot packet is matched against.
constexpr size_t kRecentSpurts = 16;

std::string ParticipantName(uint32_t index) { return "lt-" + std::to_string(index); }

// A host's token (docs/protocol.md "Access tokens"): the usual grants and
// `admin`, signed with the well-known development key, which a server in
// development mode (the default without auth.keys) accepts.
std::string HostToken(const std::string& room, uint32_t index) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  signaling::AccessClaims claims;
  claims.identity = ParticipantName(index);
  claims.room = room;
  claims.issuedAt = now;
  claims.expiresAt = now + std::chrono::hours(12);
  claims.grants = signaling::Grants::DefaultParticipant();
  claims.grants.admin = true;
  const signaling::AccessKey key{std::string(signaling::AccessPolicy::kDevelopmentKeyId),
                                 std::string(signaling::AccessPolicy::kDevelopmentSecret)};
  return signaling::AccessToken::Mint(claims, key);
}

}  // namespace

SimulatedParticipant::SimulatedParticipant(Environment& environment, uint32_t index)
    : env_(environment), index_(index) {
  const Scenario& s = env_.scenario;
  observations_.index = index;
  observations_.room = RoomOf(s, index);
  observations_.publishesAudio = s.PublishesAudio(index);
  observations_.publishesVideo = s.PublishesVideo(index);
  observations_.priority = s.IsPriority(index);
  observations_.bindsAudioSlots = s.BindsAudioSlots(index);
  observations_.viewsVideo = s.ViewsVideo(index);
  if (env_.control) controlActions_ = env_.control->ActionsOf(index);
}

SimulatedParticipant::~SimulatedParticipant() = default;

std::string SimulatedParticipant::RoomOf(const Scenario& scenario, uint32_t index) {
  if (scenario.rooms <= 1) return scenario.room;
  return scenario.room + "-" + std::to_string(index % scenario.rooms);
}

void SimulatedParticipant::Fail(const std::string& what, const std::string& error, bool join) {
  if (join) {
    ++env_.stats.joinsFailed;
  } else {
    ++env_.stats.negotiationsFailed;
  }
  env_.stats.AddError(what + ": " + error);
  if (observations_.error.empty()) observations_.error = what + ": " + error;
}

void SimulatedParticipant::StartJoin(int64_t nowUs) {
  const Scenario& s = env_.scenario;
  observations_.joinStartUs = nowUs;
  ++env_.stats.joinsAttempted;
  WebRtcClient::Options options;
  options.host = env_.host;
  options.port = env_.port;
  // Distinct, reproducible SSRCs per participant and seed.
  options.seed = s.seed * 1'000'003u + index_;
  options.certificate = env_.certificate;
  options.recordEvents = false;
  options.fetchFullRoster = s.fetchFullRoster || observations_.viewsVideo;
  // Only viewers pick tracks from the roster; the rest need no copy of it.
  options.keepRoster = options.fetchFullRoster;
  options.viewportVideoLevel = s.viewport.videoLevel;
  // A join storm queues handshakes at the server: generous bounds.
  options.requestTimeout = std::chrono::milliseconds(15000);
  options.transport.connectTimeout = std::chrono::milliseconds(20000);
  options.transport.receiveBufferBytes = 256 * 1024;
  options.transport.sharedSocket = env_.socket;
  options.transport.impairmentRelayFor = env_.relayFor;
  // Path i is participant i's in every shard layout: runs repeat.
  options.transport.inProcessImpairment = env_.inProcessImpairment;
  options.transport.impairmentStream = index_;
  if (env_.control) {
    options.controlChannel = s.control.dataChannel;
    if (index_ < s.control.hosts) {
      // A host mutes by trackId: it keeps the whole roster.
      options.fetchFullRoster = true;
      options.keepRoster = true;
      options.token = HostToken(RoomOf(s, index_), index_);
    }
  }
  client_ = std::make_unique<WebRtcClient>(env_.context, options);
  if (env_.control) {
    client_->SetEventHandler([this](const nlohmann::json& message) { OnServerEvent(message); });
    client_->SetControlChannelHandler([this](bool open) {
      if (open && observations_.controlChannelOpenUs == 0) {
        observations_.controlChannelOpenUs = SteadyMicros();
      }
    });
  }
  client_->SetRtpHandler([this](rtp::RtpPacket& packet) { OnRtp(packet); });
  // A PLI names the stream whose decoders need a key frame.
  client_->SetKeyFrameRequestHandler([this](uint32_t ssrc) {
    for (auto& sender : video_) {
      if (sender.source.GetConfig().ssrc == ssrc) sender.source.RequestKeyFrame();
    }
  });
  client_->Transport().SetStateHandler([this](ClientTransport::State state) {
    const int64_t now = SteadyMicros();
    if (state == ClientTransport::State::kConnected && observations_.connectedUs == 0) {
      observations_.connectedUs = now;
      ++env_.stats.transportsConnected;
      env_.stats.connectTime.Record(now - observations_.joinStartUs);
    } else if (state == ClientTransport::State::kFailed) {
      ++env_.stats.transportsFailed;
      env_.stats.AddError("transport: " + client_->Transport().FailureReason());
    }
  });
  client_->SetSpeakersHandler([this](const std::vector<WebRtcClient::SpeakerSlot>& slots,
                                     WebRtcClient::Clock::time_point arrival) {
    ++env_.stats.speakersMessages;
    if (!env_.recordDetail) return;
    ParticipantObservations::SpeakersMessage message;
    message.arrivalUs = ToSteadyMicros(arrival);
    for (const auto& slot : slots) message.participantIdBySlot.push_back(slot.participantId);
    observations_.speakers.push_back(std::move(message));
  });
  client_->Join(RoomOf(s, index_), ParticipantName(index_),
                [this](const std::string& error) { OnJoined(error); });
}

void SimulatedParticipant::OnJoined(const std::string& error) {
  joinSettled_ = true;
  if (!error.empty()) return Fail("join", error, true);
  const int64_t now = SteadyMicros();
  observations_.joinedUs = now;
  observations_.participantId = client_->ParticipantId();
  observations_.audioSlots = client_->AudioSlots();
  ++env_.stats.joinsCompleted;
  env_.stats.joinTime.Record(now - observations_.joinStartUs);
  lastSpurtBySlot_.assign(static_cast<size_t>(std::max(client_->AudioSlots(), 0)),
                          {UINT32_MAX, -1});

  const Scenario& s = env_.scenario;
  if (observations_.publishesAudio || observations_.publishesVideo) {
    WebRtcClient::PublishRequest request;
    request.audio = observations_.publishesAudio;
    request.video = observations_.publishesVideo;
    request.priority = observations_.priority;
    if (s.video.streams.size() > 1 || !s.video.streams.front().rid.empty()) {
      for (const auto& stream : s.video.streams) request.videoRids.push_back(stream.rid);
      // docs/protocol.md "Simulcast tiers": one tier per rid, a 720p camera.
      request.videoTiers = static_cast<int>(s.video.streams.size());
      request.videoWidth = kCameraWidth;
      request.videoHeight = kCameraHeight;
    }
    client_->Publish(request, [this](const std::string& error) { OnPublished(error); });
  }
  if (observations_.bindsAudioSlots) {
    client_->BindAudioSlots([this](const std::string& error) {
      if (!error.empty()) return Fail("slots", error, false);
      observations_.slotsBoundUs = SteadyMicros();
      lastSpurtBySlot_.assign(static_cast<size_t>(std::max(client_->AudioSlots(), 0)),
                              {UINT32_MAX, -1});
    });
  }
  if (env_.control && s.control.dataChannel) {
    // The offers above carry the application m-line already; this one only
    // negotiates for a participant that neither publishes nor listens.
    client_->NegotiateControlChannel([this](const std::string& error) {
      if (!error.empty()) Fail("control channel", error, false);
    });
  }
}

void SimulatedParticipant::OnPublished(const std::string& error) {
  if (!error.empty()) return Fail("publish", error, false);
  observations_.publishedUs = SteadyMicros();
  const Scenario& s = env_.scenario;
  const uint32_t seed = s.seed * 7919u + index_ * 31u;
  if (const auto* track = client_->PublishedTrack("audio")) {
    observations_.audioTrackId = track->trackId;
    auto config = client_->SourceConfigFor(*track, seed);
    config.minPayloadSize = s.audio.minPayloadBytes;
    config.maxPayloadSize = s.audio.maxPayloadBytes;
    config.randomPayload = false;
    config.audioLevel = s.audio.silenceLevel;
    config.voiceActivity = false;
    audio_.emplace(config);
  }
  if (const auto* track = client_->PublishedTrack("video")) {
    for (size_t i = 0; i < s.video.streams.size(); ++i) {
      const auto& stream = s.video.streams[i];
      const uint32_t fps = s.video.framesPerSecond;
      const uint64_t bytesPerFrame =
          std::max<uint64_t>(LoadtestPayload::kSize, uint64_t{stream.kbps} * 1000 / 8 / fps);
      const auto packetsPerFrame = static_cast<uint32_t>(
          (bytesPerFrame + s.video.maxPacketBytes - 1) / s.video.maxPacketBytes);
      auto config =
          client_->SourceConfigFor(*track, seed + static_cast<uint32_t>(i) + 1, stream.rid);
      config.framesPerSecond = fps;
      config.packetsPerFrame = packetsPerFrame;
      config.minPayloadSize = config.maxPayloadSize =
          std::max<size_t>(LoadtestPayload::kSize, bytesPerFrame / packetsPerFrame);
      config.randomPayload = false;
      // Codec-conformant VP8 (RFC 7741 descriptor, key frame headers) so the
      // server can find key frames and sizes: the top stream at the camera's
      // size, each lower one half the one above, like a browser's q/h/f.
      config.vp8 = true;
      const int halvings = static_cast<int>(s.video.streams.size() - 1 - i);
      config.width = static_cast<uint16_t>(kCameraWidth >> halvings);
      config.height = static_cast<uint16_t>(kCameraHeight >> halvings);
      video_.push_back(VideoSender{SyntheticMediaSource(config), static_cast<uint8_t>(i + 1),
                                   packetsPerFrame, 1'000'000 / fps, 0, false});
    }
  }
}

int64_t SimulatedParticipant::FirstDue(int64_t nowUs, int64_t phaseUs, int64_t periodUs) const {
  // The first instant start + phase + k * period at or after now.
  const int64_t base = env_.startUs + phaseUs;
  if (nowUs <= base) return base;
  const int64_t periods = (nowUs - base + periodUs - 1) / periodUs;
  return base + periods * periodUs;
}

void SimulatedParticipant::SendDue(int64_t nowUs) {
  if (nextControl_ < controlActions_.size() && !finished_ && client_) SendControlDue(nowUs);
  if (finished_ || !client_ || !client_->IsConnected()) return;
  const Scenario& s = env_.scenario;
  if (audio_) {
    if (nextAudioUs_ == 0) {
      // Publishers are spread evenly over the 20 ms packet interval.
      const int64_t phase = static_cast<int64_t>(index_) * kAudioPeriodUs /
                            std::max<uint32_t>(1, s.AudioPublisherCount());
      nextAudioUs_ = FirstDue(nowUs, phase, kAudioPeriodUs);
    }
    while (nextAudioUs_ <= nowUs) {
      if (nowUs - nextAudioUs_ > kMaxLagUs) {
        const int64_t missed = (nowUs - nextAudioUs_) / kAudioPeriodUs;
        env_.stats.notSent += static_cast<uint64_t>(missed);
        nextAudioUs_ += missed * kAudioPeriodUs;
        continue;
      }
      SendAudio(nextAudioUs_, nowUs);
      nextAudioUs_ += kAudioPeriodUs;
    }
  }
  for (auto& sender : video_) {
    if (sender.nextFrameUs == 0) {
      const int64_t phase = static_cast<int64_t>(index_) * sender.frameIntervalUs /
                            std::max<uint32_t>(1, s.videoPublishers);
      sender.nextFrameUs = FirstDue(nowUs, phase, sender.frameIntervalUs);
    }
    while (sender.nextFrameUs <= nowUs) {
      if (nowUs - sender.nextFrameUs > kMaxLagUs) {
        const int64_t missed = (nowUs - sender.nextFrameUs) / sender.frameIntervalUs;
        env_.stats.notSent += static_cast<uint64_t>(missed) * sender.packetsPerFrame;
        sender.nextFrameUs += missed * sender.frameIntervalUs;
        continue;
      }
      ApplyTierPlan(sender);
      if (!sender.paused) SendVideoFrame(sender, nowUs);
      sender.nextFrameUs += sender.frameIntervalUs;
    }
  }
}

void SimulatedParticipant::SendAudio(int64_t scheduledUs, int64_t nowUs) {
  const TalkSchedule::Spurt* spurt = env_.schedule.SpurtAt(index_, scheduledUs - env_.startUs);
  const int64_t talkSpurtStart = spurt ? env_.startUs + spurt->startUs : 0;
  if (spurt && talkSpurtStart != lastTalkSpurtStartUs_) audio_->MarkTalkSpurt();
  lastTalkSpurtStartUs_ = talkSpurtStart;
  audio_->SetAudioLevel(spurt ? spurt->level : env_.scenario.audio.silenceLevel, spurt != nullptr);
  LoadtestPayload record;
  record.stream = LoadtestPayload::kAudioStream;
  record.publisherIndex = index_;
  record.sendTimeUs = nowUs;
  record.talkSpurtStartUs = talkSpurtStart;
  std::array<uint8_t, LoadtestPayload::kSize> header{};
  record.Serialize(header);
  const auto packet =
      audio_->NextPacket(env_.packetBuffer, client_->NextTransportSequence(), nowUs, header);
  if (!packet.empty() && client_->SendRtp(packet)) {
    ++env_.stats.audioSent;
    if (observations_.mediaStartUs == 0) observations_.mediaStartUs = nowUs;
  } else {
    ++env_.stats.notSent;
  }
}

void SimulatedParticipant::ApplyTierPlan(VideoSender& sender) {
  const auto* track = client_->PublishedTrack("video");
  if (!track) return;
  const auto* plan = client_->TierPlanFor(track->mid);
  if (!plan) return;
  const auto* encoding = plan->Encoding(sender.source.GetConfig().rid);
  if (!encoding) return;
  const bool paused = !encoding->active;
  // An encoder that resumes starts with a key frame.
  if (sender.paused && !paused) sender.source.RequestKeyFrame();
  sender.paused = paused;
}

void SimulatedParticipant::SendVideoFrame(VideoSender& sender, int64_t nowUs) {
  LoadtestPayload record;
  record.stream = sender.stream;
  record.publisherIndex = index_;
  record.sendTimeUs = nowUs;
  std::array<uint8_t, LoadtestPayload::kSize> header{};
  record.Serialize(header);
  for (uint32_t i = 0; i < sender.packetsPerFrame; ++i) {
    const auto packet = sender.source.NextPacket(env_.packetBuffer,
                                                 client_->NextTransportSequence(), nowUs, header);
    if (!packet.empty() && client_->SendRtp(packet)) {
      ++env_.stats.videoSent;
      if (observations_.mediaStartUs == 0) observations_.mediaStartUs = nowUs;
    } else {
      ++env_.stats.notSent;
    }
  }
}

SimulatedParticipant::ReceiveStream* SimulatedParticipant::StreamFor(uint32_t ssrc) {
  const auto it = streams_.find(ssrc);
  if (it != streams_.end()) return &it->second;
  // First packet of a stream: which m-line it belongs to (RTX is not
  // requested by this client, so an RTX SSRC is not ours to count).
  const auto* track = client_->ReceivingTrackBySsrc(ssrc);
  if (!track || track->ssrc != ssrc) return nullptr;
  ReceiveStream stream;
  stream.slot = track->slot;
  return &streams_.emplace(ssrc, stream).first->second;
}

void SimulatedParticipant::OnRtp(rtp::RtpPacket& packet) {
  if (finished_) return;
  const int64_t now = SteadyMicros();
  ReceiveStream* stream = StreamFor(packet.Ssrc());
  if (!stream) {
    // Usually media that overtook the answer announcing its SSRC.
    ++env_.stats.unmatched;
    return;
  }
  stream->gaps.Add(packet.SequenceNumber());
  // Video payloads carry the record after their VP8 descriptor.
  const auto record = LoadtestPayload::Parse(
      stream->slot >= 0 ? std::span<const uint8_t>(packet.Payload())
                        : SyntheticMediaSource::PayloadHeader(packet.Payload(), true));
  if (!record || record->publisherIndex >= env_.scenario.participants) {
    ++env_.stats.foreign;
    return;
  }
  const int64_t latency = now - record->sendTimeUs;
  env_.stats.latency.Record(latency);
  env_.stats.recentMaxLatencyUs = std::max(env_.stats.recentMaxLatencyUs, latency);
  if (stream->slot >= 0) {
    ++env_.stats.audioReceived;
    env_.stats.audioLatency.Record(latency);
    OnSlotPacket(stream->slot, record->publisherIndex, record->talkSpurtStartUs, record->sendTimeUs,
                 now, packet.SequenceNumber());
  } else {
    ++env_.stats.videoReceived;
    env_.stats.videoLatency.Record(latency);
  }
}

void SimulatedParticipant::OnSlotPacket(int slot, uint32_t publisher, int64_t talkSpurtStartUs,
                                        int64_t sendTimeUs, int64_t nowUs,
                                        uint16_t sequenceNumber) {
  if (env_.control) env_.stats.RecordHeardAudio(publisher, sendTimeUs);
  if (observations_.firstAudioUs == 0) {
    observations_.firstAudioUs = nowUs;
    env_.stats.firstAudio.Record(nowUs - observations_.joinStartUs);
  }
  if (env_.recordDetail) {
    observations_.slotPackets.push_back(ParticipantObservations::SlotPacket{
        nowUs, slot, publisher, talkSpurtStartUs, sendTimeUs, sequenceNumber});
  }
  if (talkSpurtStartUs == 0) {
    ++env_.stats.silentPackets;
    // A priority source has its slot whatever it says; anyone else must
    // have talked within the smoothing window to deserve one.
    const int64_t sentAt = sendTimeUs - env_.startUs;
    const int64_t window = int64_t{env_.scenario.smoothingWindowMs} * 1000;
    if (!env_.scenario.IsPriority(publisher) &&
        env_.schedule.SilentThroughout(publisher, sentAt - window, sentAt)) {
      ++env_.stats.nonTalkerPackets;
    }
    return;
  }
  const auto current = std::make_pair(publisher, talkSpurtStartUs);
  const auto index = static_cast<size_t>(slot);
  if (index < lastSpurtBySlot_.size() && lastSpurtBySlot_[index] == current) return;
  if (index < lastSpurtBySlot_.size()) lastSpurtBySlot_[index] = current;
  const size_t from =
      spurtArrivals_.size() > kRecentSpurts ? spurtArrivals_.size() - kRecentSpurts : 0;
  for (size_t i = from; i < spurtArrivals_.size(); ++i) {
    if (spurtArrivals_[i].publisher == publisher &&
        spurtArrivals_[i].talkSpurtStartUs == talkSpurtStartUs) {
      return;  // the same spurt moved to another slot
    }
  }
  spurtArrivals_.push_back(SpurtArrival{publisher, talkSpurtStartUs, nowUs});
}

void SimulatedParticipant::Housekeeping(int64_t nowUs) {
  if (!finished_ && observations_.viewsVideo) UpdateViewport(nowUs);
}

void SimulatedParticipant::UpdateViewport(int64_t nowUs) {
  if (viewportBusy_ || !client_ || !client_->Joined() || client_->HasLeft()) return;
  const Scenario& s = env_.scenario;
  // The video wall in roster order (by participant id, as the server pages).
  std::vector<std::pair<std::string, std::string>> tiles;
  for (const auto& [trackId, track] : client_->RemoteTracks()) {
    if (track.kind == "video") tiles.emplace_back(track.participantId, trackId);
  }
  std::sort(tiles.begin(), tiles.end());
  const size_t pageSize = s.viewport.pageSize;
  const size_t pages = (tiles.size() + pageSize - 1) / pageSize;
  size_t page = 0;
  if (pages > 1 && s.viewport.flipEverySeconds > 0) {
    // Viewers flip at staggered moments.
    const auto flipUs = static_cast<int64_t>(s.viewport.flipEverySeconds * 1e6);
    const int64_t stagger =
        flipUs * static_cast<int64_t>(index_) / std::max<int64_t>(1, s.videoSubscribers);
    page = static_cast<size_t>((nowUs - env_.startUs + stagger) / flipUs) % pages;
  }
  const auto slice = [&tiles, pageSize](size_t which) {
    std::vector<std::string> ids;
    for (size_t i = which * pageSize; i < tiles.size() && i < (which + 1) * pageSize; ++i) {
      ids.push_back(tiles[i].second);
    }
    return ids;
  };
  std::vector<std::string> visible = pages ? slice(page) : std::vector<std::string>{};
  std::vector<std::string> prefetch;
  if (s.viewport.prefetchNextPage && pages > 1) prefetch = slice((page + 1) % pages);
  if (viewportRequested_ && visible == requestedVisible_ && prefetch == requestedPrefetch_) return;
  viewportRequested_ = true;
  requestedVisible_ = visible;
  requestedPrefetch_ = prefetch;
  viewportBusy_ = true;
  client_->SetViewport(std::move(visible), std::move(prefetch), [this](const std::string& error) {
    viewportBusy_ = false;
    if (!error.empty()) Fail("viewport", error, false);
  });
}

void SimulatedParticipant::SendControlDue(int64_t nowUs) {
  while (nextControl_ < controlActions_.size() &&
         env_.startUs + controlActions_[nextControl_].atUs <= nowUs) {
    const auto& action = controlActions_[nextControl_++];
    SendControl(action.kind, action.target, nowUs);
  }
}

std::string SimulatedParticipant::AudioTrackOf(uint32_t index) {
  if (const auto it = audioTrackByIndex_.find(index); it != audioTrackByIndex_.end()) {
    return it->second;
  }
  const std::string name = ParticipantName(index);
  std::string participantId;
  for (const auto& [id, participantName] : client_->Participants()) {
    if (participantName == name) {
      participantId = id;
      break;
    }
  }
  if (participantId.empty()) return "";
  for (const auto& [trackId, track] : client_->RemoteTracks()) {
    if (track.participantId == participantId && track.kind == "audio") {
      audioTrackByIndex_[index] = trackId;
      return trackId;
    }
  }
  return "";
}

void SimulatedParticipant::SendControl(ControlSchedule::Kind kind, uint32_t target, int64_t nowUs) {
  using Kind = ControlSchedule::Kind;
  const Scenario& s = env_.scenario;
  ParticipantObservations::ControlRequest record;
  record.kind = kind;
  record.target = target;
  nlohmann::json message{{"type", ControlSchedule::TypeOf(kind)}};
  bool aboutTrack = true;
  switch (kind) {
    case Kind::kHostMute:
    case Kind::kRequestUnmute:
      record.trackId = AudioTrackOf(target);
      if (kind == Kind::kHostMute) message["lock"] = true;
      break;
    case Kind::kSelfMute:
    case Kind::kSelfUnmute:
    case Kind::kAcceptUnmute:
      record.trackId = observations_.audioTrackId;
      message["muted"] = kind == Kind::kSelfMute;
      break;
    case Kind::kRaiseHand:
    case Kind::kLowerHand:
      aboutTrack = false;
      message["raised"] = kind == Kind::kRaiseHand;
      break;
  }
  if (aboutTrack) message["trackId"] = record.trackId;
  const bool channel = s.control.dataChannel;
  // What could not be sent counts as not delivered, with the reason.
  if (aboutTrack && record.trackId.empty()) {
    record.error = "unsent: track unknown";
  } else if (!client_->Joined() || client_->HasLeft()) {
    record.error = "unsent: not in the room";
  } else if (channel && !client_->ControlChannelOpen()) {
    record.error = "unsent: channel not open";
  }
  if (!record.error.empty()) {
    observations_.controlRequests.push_back(std::move(record));
    return;
  }
  record.sentUs = nowUs;
  record.onChannel = channel;
  const size_t slot = observations_.controlRequests.size();
  observations_.controlRequests.push_back(std::move(record));
  auto done = [this, slot](std::optional<nlohmann::json> reply) {
    auto& request = observations_.controlRequests[slot];
    if (!reply) {
      request.error = "timeout";
      return;
    }
    request.replyUs = SteadyMicros();
    const std::string type = reply->value("type", "");
    request.acked = type == "ack";
    if (!request.acked) request.error = type == "error" ? reply->value("code", "error") : type;
    const auto version = reply->find("version");
    if (version != reply->end() && version->is_number_unsigned()) {
      request.version = version->get<uint64_t>();
    }
    const auto micros = [&reply](const char* key) -> int64_t {
      const auto it = reply->find(key);
      return it != reply->end() && it->is_number_integer() ? it->get<int64_t>() : 0;
    };
    request.serverReceivedUs = micros("receivedUs");
    request.serverRepliedUs = micros("repliedUs");
  };
  const auto timeout = std::chrono::milliseconds(s.control.replyTimeoutMs);
  if (channel) {
    client_->RequestControl(std::move(message), timeout, std::move(done));
  } else {
    client_->Signaling().Request(std::move(message), timeout, std::move(done));
  }
}

void SimulatedParticipant::OnServerEvent(const nlohmann::json& message) {
  const auto type = message.find("type");
  if (type == message.end() || !type->is_string()) return;
  const bool unmuteRequest = *type == "unmuteRequest";
  if (!unmuteRequest && *type != "muted") return;
  const auto trackId = message.find("trackId");
  if (observations_.audioTrackId.empty() || trackId == message.end() ||
      *trackId != observations_.audioTrackId) {
    return;
  }
  const auto flag = [&message](const char* key) {
    const auto it = message.find(key);
    return it != message.end() && it->is_boolean() && it->get<bool>();
  };
  ParticipantObservations::ControlNotice notice;
  notice.arrivalUs = SteadyMicros();
  notice.unmuteRequest = unmuteRequest;
  notice.muted = flag("muted");
  notice.locked = flag("locked");
  if (const auto by = message.find("by"); by != message.end() && by->is_string()) {
    notice.by = by->get<std::string>();
  }
  if (const auto version = message.find("version");
      version != message.end() && version->is_number_unsigned()) {
    notice.version = version->get<uint64_t>();
  }
  observations_.controlNotices.push_back(notice);
  // The owner accepts a host's request at once (docs/protocol.md: a host
  // never unmutes anyone), once the client is out of its receive path (the
  // request may have come in an SCTP callback).
  if (unmuteRequest && !finished_) {
    boost::asio::post(env_.context, [this] {
      if (client_ && !finished_) {
        SendControl(ControlSchedule::Kind::kAcceptUnmute, index_, SteadyMicros());
      }
    });
  }
}

void SimulatedParticipant::Finish(int64_t nowUs) {
  if (finished_) return;
  finished_ = true;
  for (const auto& [ssrc, stream] : streams_) env_.stats.lost += stream.gaps.Lost();
  if (client_) {
    observations_.signallingMessages = client_->Signaling().MessagesReceived();
    observations_.controlCopiesSent = client_->ControlCounters().copiesSent;
    observations_.controlDuplicatesReceived = client_->ControlCounters().duplicatesReceived;
  }
  (void)nowUs;
}

void SimulatedParticipant::Leave(std::function<void()> done) {
  if (!client_ || !client_->Joined() || client_->HasLeft() || !client_->Signaling().IsOpen()) {
    return done();
  }
  client_->Leave([done = std::move(done)](const std::string&) { done(); });
}

void SimulatedParticipant::Close() {
  if (!client_) return;
  client_->Transport().SetStateHandler(nullptr);
  client_.reset();
}

}  // namespace myriad::loadtest
