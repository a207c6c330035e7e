// Conference control against a real server (docs/protocol.md "Conference control"): the server is
// the authority on mute state and enforces it in the router; hosts mute, lock, ask to unmute and
// kick; everyone else is refused; the room's version lets a client resync.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "signaling/AccessToken.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::MetricsScraper;
using loadtest::RunUntil;
using loadtest::SyntheticMediaSource;
using loadtest::WebRtcClient;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

const signaling::AccessKey kKey{"k1", "control-test-secret-0123456789abcdef"};
constexpr const char* kRoom = "control";

int64_t NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

std::string Token(const std::string& identity, const signaling::Grants& grants) {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  signaling::AccessClaims claims;
  claims.identity = identity;
  claims.room = kRoom;
  claims.issuedAt = now;
  claims.expiresAt = now + 10min;
  claims.grants = grants;
  return signaling::AccessToken::Mint(claims, kKey);
}

// One received packet of the watched audio track: its rewritten sequence number and the
// publisher's send time from the payload.
struct Received {
  uint16_t sequenceNumber;
  int64_t sendTimeUs;
};

class ControlRoom {
 public:
  ControlRoom()
      : server_([](config::ServerConfig& config) {
          config.auth.keys[kKey.id] = kKey.secret;
          config.auth.development = false;
        }),
        pump_(context_) {}

  boost::asio::io_context& Context() { return context_; }
  InProcessServer& Server() { return server_; }

  std::unique_ptr<WebRtcClient> Join(const std::string& name, const signaling::Grants& grants,
                                     bool controlChannel = false) {
    WebRtcClient::Options options;
    options.controlChannel = controlChannel;
    options.port = server_.HttpPort();
    options.seed = ++seed_;
    options.token = Token(name, grants);
    auto client = std::make_unique<WebRtcClient>(context_, options);
    REQUIRE(Await(context_, [&](auto done) { client->Join(kRoom, name, done); }) == "");
    return client;
  }

  // Publishes a microphone and sends one packet every 20 ms from then on.
  void PublishAudio(WebRtcClient& publisher) {
    WebRtcClient::PublishRequest request;
    request.audio = true;
    request.video = false;
    REQUIRE(Await(context_, [&](auto done) { publisher.Publish(request, done); }) == "");
    const auto* track = publisher.PublishedTrack("audio");
    REQUIRE(track != nullptr);
    source_ = std::make_unique<SyntheticMediaSource>(publisher.SourceConfigFor(*track, 3));
    publisher_ = &publisher;
    Pump();
  }

  // Control requests go out on the signalling socket and wait for their reply.
  Json Request(WebRtcClient& client, Json message) {
    std::optional<Json> reply;
    message["id"] = ++requestId_;
    client.Signaling().Request(std::move(message), 5s, [&](std::optional<Json> r) {
      reply = r.value_or(Json{{"type", "timeout"}});
    });
    REQUIRE(RunUntil(
        context_, [&] { return reply.has_value(); }, 5s));
    return *reply;
  }

  // The same on the control data channel (docs/protocol.md "Data channel").
  Json RequestOnChannel(WebRtcClient& client, Json message) {
    std::optional<Json> reply;
    message["id"] = ++requestId_;
    client.RequestControl(std::move(message), 5s, [&](std::optional<Json> r) {
      reply = r.value_or(Json{{"type", "timeout"}});
    });
    REQUIRE(RunUntil(
        context_, [&] { return reply.has_value(); }, 5s));
    return *reply;
  }

  // Runs until `count` more packets were sent.
  void SendPackets(uint64_t count) {
    const uint64_t until = sent_ + count;
    REQUIRE(RunUntil(
        context_, [&] { return sent_ >= until; }, 10s));
  }
  uint64_t Sent() const { return sent_; }

  static std::optional<Json> LastEvent(const WebRtcClient& client, const std::string& type) {
    const auto& events = client.Events();
    for (auto it = events.rbegin(); it != events.rend(); ++it) {
      if (it->value("type", "") == type) return *it;
    }
    return std::nullopt;
  }

 private:
  void Pump() {
    pump_.expires_after(20ms);
    pump_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (publisher_->IsConnected()) {
        const auto packet =
            source_->NextPacket(buffer_, publisher_->NextTransportSequence(), NowUs());
        if (!packet.empty() && publisher_->SendRtp(packet)) ++sent_;
      }
      Pump();
    });
  }

  InProcessServer server_;
  boost::asio::io_context context_;
  boost::asio::steady_timer pump_;
  std::unique_ptr<SyntheticMediaSource> source_;
  WebRtcClient* publisher_ = nullptr;
  std::array<uint8_t, 1500> buffer_{};
  uint64_t sent_ = 0;
  uint32_t seed_ = 0;
  int requestId_ = 0;
};

signaling::Grants HostGrants() {
  signaling::Grants grants = signaling::Grants::DefaultParticipant();
  grants.admin = true;
  return grants;
}

}  // namespace

TEST_CASE(
    "Conference control: a host's mute holds in the router at once, locked until the host "
    "asks and the owner accepts",
    "[integration][control]") {
  ControlRoom room;
  auto speaker = room.Join("speaker", signaling::Grants::DefaultParticipant());
  auto listener = room.Join("listener", signaling::Grants::DefaultParticipant());
  auto host = room.Join("host", HostGrants());
  room.PublishAudio(*speaker);
  const std::string trackId = speaker->PublishedTrack("audio")->trackId;
  REQUIRE(RunUntil(
      room.Context(), [&] { return listener->RemoteTracks().count(trackId) == 1; }, 5s));
  REQUIRE(Await(room.Context(), [&](auto done) { listener->Subscribe(trackId, done); }) == "");

  std::vector<Received> received;
  listener->SetRtpHandler([&](rtp::RtpPacket& packet) {
    const auto* track = listener->ReceivingTrackBySsrc(packet.Ssrc());
    if (track == nullptr || track->trackId != trackId) return;
    const auto sendTime = SyntheticMediaSource::ReadSendTime(packet.Payload());
    REQUIRE(sendTime.has_value());
    received.push_back({packet.SequenceNumber(), *sendTime});
  });
  REQUIRE(RunUntil(
      room.Context(), [&] { return received.size() >= 10; }, 10s));
  const auto before = room.Server().Metrics();

  // Nobody but a host mutes someone else; the track keeps flowing.
  const Json refused = room.Request(*listener, {{"type", "hostMute"}, {"trackId", trackId}});
  CHECK(refused.value("type", "") == "error");
  CHECK(refused.value("code", "") == "forbidden");
  const Json notOwner =
      room.Request(*listener, {{"type", "mute"}, {"trackId", trackId}, {"muted", true}});
  CHECK(notOwner.value("code", "") == "not_owner");
  const size_t flowing = received.size();
  room.SendPackets(10);
  REQUIRE(RunUntil(
      room.Context(), [&] { return received.size() >= flowing + 5; }, 5s));

  // The host mutes and locks. The ack comes after the router gate closed: a packet the speaker
  // sends from then on must never reach anyone.
  const int64_t askedUs = NowUs();
  const Json ack =
      room.Request(*host, {{"type", "hostMute"}, {"trackId", trackId}, {"lock", true}});
  const int64_t acceptedUs = NowUs();
  REQUIRE(ack.value("type", "") == "ack");
  CHECK(ack.value("version", 0) > 0);
  // When the server got the request and queued the reply, on the clock this process shares
  // with it (the kernel's receive time, converted, may read a little early).
  const int64_t receivedUs = ack.value("receivedUs", int64_t{0});
  const int64_t repliedUs = ack.value("repliedUs", int64_t{0});
  CHECK(receivedUs >= askedUs - 1000);
  CHECK(repliedUs >= receivedUs);
  CHECK(repliedUs <= acceptedUs);
  room.SendPackets(50);  // a second of audio after the mute
  for (const Received& packet : received) CHECK(packet.sendTimeUs < acceptedUs);
  const size_t mutedAt = received.size();
  const uint16_t lastBeforeMute = received.back().sequenceNumber;

  // The speaker was told directly; the room sees it in a roster batch; the snapshot shows it.
  REQUIRE(RunUntil(
      room.Context(), [&] { return ControlRoom::LastEvent(*speaker, "muted").has_value(); }, 5s));
  const Json told = *ControlRoom::LastEvent(*speaker, "muted");
  CHECK(told.value("trackId", "") == trackId);
  CHECK(told.value("muted", false));
  CHECK(told.value("by", "") == "host");
  CHECK(told.value("locked", false));
  const auto rosterMuted = [&](const WebRtcClient& client, bool muted) {
    for (const Json& event : client.Events()) {
      if (event.value("type", "") != "roster" || !event.contains("muted")) continue;
      for (const Json& entry : event["muted"]) {
        if (entry.value("trackId", "") == trackId && entry.value("muted", !muted) == muted) {
          return true;
        }
      }
    }
    return false;
  };
  REQUIRE(RunUntil(
      room.Context(), [&] { return rosterMuted(*listener, true); }, 5s));
  const Json sync = room.Request(*listener, {{"type", "sync"}});
  REQUIRE(sync.value("type", "") == "sync");
  CHECK(sync.value("rosterVersion", 0) >= ack.value("version", 0));
  // Everyone with the identity its token names (here the same as its display name), in the
  // snapshot and in the `joined` entry of the batch that announced the host.
  for (const Json& participant : sync["participants"]) {
    CHECK(participant.value("identity", "") == participant.value("name", "?"));
  }
  bool hostAnnounced = false;
  for (const Json& event : listener->Events()) {
    if (event.value("type", "") != "roster" || !event.contains("joined")) continue;
    for (const Json& entry : event["joined"]) {
      if (entry.value("participantId", "") == host->ParticipantId()) {
        hostAnnounced = entry.value("identity", "") == "host";
      }
    }
  }
  CHECK(hostAnnounced);
  bool shownMuted = false;
  for (const Json& participant : sync["participants"]) {
    for (const Json& track : participant["tracks"]) {
      if (track.value("trackId", "") != trackId) continue;
      shownMuted = track.value("muted", false) && track.value("mutedBy", "") == "host" &&
                   track.value("locked", false);
    }
  }
  CHECK(shownMuted);

  // Locked: the speaker's own unmute is refused and nothing flows.
  const Json locked =
      room.Request(*speaker, {{"type", "mute"}, {"trackId", trackId}, {"muted", false}});
  CHECK(locked.value("code", "") == "mute_locked");
  room.SendPackets(10);
  CHECK(received.size() == mutedAt);

  // The host asks; the speaker gets the request and accepts by unmuting.
  const Json asked = room.Request(*host, {{"type", "requestUnmute"}, {"trackId", trackId}});
  CHECK(asked.value("type", "") == "ack");
  REQUIRE(RunUntil(
      room.Context(), [&] { return ControlRoom::LastEvent(*speaker, "unmuteRequest").has_value(); },
      5s));
  CHECK(ControlRoom::LastEvent(*speaker, "unmuteRequest")->value("participantId", "") ==
        host->ParticipantId());
  const Json unmuted =
      room.Request(*speaker, {{"type", "mute"}, {"trackId", trackId}, {"muted", false}});
  CHECK(unmuted.value("type", "") == "ack");
  REQUIRE(RunUntil(
      room.Context(), [&] { return received.size() >= mutedAt + 10; }, 5s));
  // One continuous stream for the listener: the next sequence number, no gap to count as loss.
  CHECK(received[mutedAt].sequenceNumber == static_cast<uint16_t>(lastBeforeMute + 1));
  REQUIRE(RunUntil(
      room.Context(), [&] { return rosterMuted(*listener, false); }, 5s));

  const auto after = room.Server().Metrics();
  const auto delta = [&](const std::string& name) {
    return MetricsScraper::Value(after, name) - MetricsScraper::Value(before, name);
  };
  CHECK(delta("myriad_dropped_packets_total{reason=\"muted\"}") >= 50);
  CHECK(delta("myriad_control_requests_total{action=\"hostMute\",result=\"forbidden\"}") == 1);
  CHECK(delta("myriad_control_requests_total{action=\"hostMute\",result=\"accepted\"}") == 1);
  CHECK(delta("myriad_control_requests_total{action=\"mute\",result=\"mute_locked\"}") == 1);
  // One request muted something (the refused ones and the unmute did not): its enforcement
  // latency was observed once, on the WebSocket path, and lies within the request's round trip.
  const std::string enforcement = "myriad_control_mute_enforcement_seconds";
  CHECK(delta(enforcement + "_count{path=\"websocket\"}") == 1);
  CHECK(delta(enforcement + "_count{path=\"data_channel\"}") == 0);
  const double enforcedUs = delta(enforcement + "_sum{path=\"websocket\"}") * 1e6;
  CHECK(enforcedUs > 0);
  CHECK(enforcedUs <= static_cast<double>(acceptedUs - askedUs));
}

TEST_CASE("Conference control: raised hands, kicks and who may do them", "[integration][control]") {
  ControlRoom room;
  auto guest = room.Join("guest", signaling::Grants::DefaultParticipant());
  auto other = room.Join("other", signaling::Grants::DefaultParticipant());
  auto host = room.Join("host", HostGrants());

  const Json raised = room.Request(*guest, {{"type", "raiseHand"}});
  CHECK(raised.value("type", "") == "ack");
  const auto handOf = [&](const WebRtcClient& client, const std::string& participantId,
                          bool raisedValue) {
    for (const Json& event : client.Events()) {
      if (event.value("type", "") != "roster" || !event.contains("hands")) continue;
      for (const Json& entry : event["hands"]) {
        if (entry.value("participantId", "") == participantId &&
            entry.value("raised", !raisedValue) == raisedValue) {
          return true;
        }
      }
    }
    return false;
  };
  REQUIRE(RunUntil(
      room.Context(), [&] { return handOf(*host, guest->ParticipantId(), true); }, 5s));

  // Only a host lowers someone else's hand or kicks; nobody kicks themselves.
  CHECK(room.Request(*other, {{"type", "lowerHand"}, {"participantId", guest->ParticipantId()}})
            .value("code", "") == "forbidden");
  CHECK(room.Request(*other, {{"type", "kick"}, {"participantId", guest->ParticipantId()}})
            .value("code", "") == "forbidden");
  CHECK(room.Request(*host, {{"type", "kick"}, {"participantId", host->ParticipantId()}})
            .value("code", "") == "bad_target");
  CHECK(room.Request(*host, {{"type", "kick"}, {"participantId", "Pnobody"}}).value("code", "") ==
        "unknown_participant");
  CHECK(room.Request(*host, {{"type", "hostMute"}, {"trackId", "Tnothing"}}).value("code", "") ==
        "unknown_track");
  CHECK(room.Request(*host, {{"type", "lowerHand"}, {"participantId", guest->ParticipantId()}})
            .value("type", "") == "ack");
  REQUIRE(RunUntil(
      room.Context(), [&] { return handOf(*other, guest->ParticipantId(), false); }, 5s));

  // A kick: the guest is told and gone everywhere.
  CHECK(room.Request(*host, {{"type", "kick"}, {"participantId", guest->ParticipantId()}})
            .value("type", "") == "ack");
  REQUIRE(RunUntil(
      room.Context(),
      [&] {
        const auto left = ControlRoom::LastEvent(*guest, "left");
        return left.has_value() && left->value("reason", "") == "kicked";
      },
      5s));
  REQUIRE(RunUntil(
      room.Context(),
      [&] {
        return other->Participants().count(guest->ParticipantId()) == 0 &&
               host->Participants().count(guest->ParticipantId()) == 0;
      },
      5s));
}

TEST_CASE(
    "Conference control on the data channel: a host's mute holds at once, replies come back "
    "on the channel",
    "[integration][control]") {
  ControlRoom room;
  auto speaker = room.Join("speaker", signaling::Grants::DefaultParticipant());
  auto listener = room.Join("listener", signaling::Grants::DefaultParticipant());
  auto host = room.Join("host", HostGrants(), /*controlChannel=*/true);
  // The host has no media: the channel is negotiated on its own.
  REQUIRE(Await(room.Context(), [&](auto done) { host->NegotiateControlChannel(done); }) == "");
  REQUIRE(RunUntil(
      room.Context(), [&] { return host->ControlChannelOpen(); }, 10s));
  room.PublishAudio(*speaker);
  const std::string trackId = speaker->PublishedTrack("audio")->trackId;
  REQUIRE(RunUntil(
      room.Context(), [&] { return listener->RemoteTracks().count(trackId) == 1; }, 5s));
  REQUIRE(Await(room.Context(), [&](auto done) { listener->Subscribe(trackId, done); }) == "");
  std::vector<int64_t> sendTimes;
  listener->SetRtpHandler([&](rtp::RtpPacket& packet) {
    const auto* track = listener->ReceivingTrackBySsrc(packet.Ssrc());
    if (track == nullptr || track->trackId != trackId) return;
    sendTimes.push_back(SyntheticMediaSource::ReadSendTime(packet.Payload()).value_or(0));
  });
  REQUIRE(RunUntil(
      room.Context(), [&] { return sendTimes.size() >= 10; }, 10s));
  const auto before = room.Server().Metrics();

  const int64_t askedUs = NowUs();
  const Json ack =
      room.RequestOnChannel(*host, {{"type", "hostMute"}, {"trackId", trackId}, {"lock", true}});
  const int64_t acceptedUs = NowUs();
  REQUIRE(ack.value("type", "") == "ack");
  room.SendPackets(50);
  for (const int64_t sent : sendTimes) CHECK(sent < acceptedUs);
  // A refusal comes back on the channel too; the sequence stays intact.
  const Json refused =
      room.RequestOnChannel(*host, {{"type", "kick"}, {"participantId", host->ParticipantId()}});
  CHECK(refused.value("code", "") == "bad_target");
  const Json sync = room.RequestOnChannel(*host, {{"type", "sync"}});
  CHECK(sync.value("type", "") == "sync");

  // Three requests, each sent twice (the second copy 10 ms after the reply may be back).
  const auto channelIn = [&] {
    const std::string name = "myriad_data_channel_messages_total{direction=\"in\"}";
    return MetricsScraper::Value(room.Server().Metrics(), name) -
           MetricsScraper::Value(before, name);
  };
  CHECK(RunUntil(
      room.Context(), [&] { return channelIn() >= 6; }, 5s));
  CHECK(channelIn() == 6);
  const auto after = room.Server().Metrics();
  CHECK(host->ControlCounters().repliesReceived >= 3);
  CHECK(MetricsScraper::Value(after, "myriad_dropped_packets_total{reason=\"muted\"}") -
            MetricsScraper::Value(before, "myriad_dropped_packets_total{reason=\"muted\"}") >=
        50);
  // The mute's enforcement latency, from the datagram that carried it (its first copy).
  const auto delta = [&](const std::string& name) {
    return MetricsScraper::Value(after, name) - MetricsScraper::Value(before, name);
  };
  const std::string enforcement = "myriad_control_mute_enforcement_seconds";
  CHECK(delta(enforcement + "_count{path=\"data_channel\"}") == 1);
  CHECK(delta(enforcement + "_count{path=\"websocket\"}") == 0);
  const double enforcedUs = delta(enforcement + "_sum{path=\"data_channel\"}") * 1e6;
  CHECK(enforcedUs > 0);
  CHECK(enforcedUs <= static_cast<double>(acceptedUs - askedUs));
}

}  // namespace myriad::integration
