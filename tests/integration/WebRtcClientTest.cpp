// The client side of the large-room protocol (docs/protocol.md) against a
// real server: roster batches and pages, audio slots with `speakers`,
// priority sources, the viewport, simulcast publishing and answer warnings.

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "loadtest/client/LoadtestPayload.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/Pli.h"
#include "rtp/RtcpCompound.h"
#include "rtp/RtcpHeader.h"
#include "rtp/RtpPacket.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::LoadtestPayload;
using loadtest::RunFor;
using loadtest::RunUntil;
using loadtest::SyntheticMediaSource;
using loadtest::WebRtcClient;

constexpr auto kDeadline = 5s;

WebRtcClient::Options Options(const InProcessServer& server, uint32_t seed) {
  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = seed;
  return options;
}

std::unique_ptr<WebRtcClient> Joined(boost::asio::io_context& context,
                                     const InProcessServer& server, uint32_t seed,
                                     const std::string& room, bool fetchFullRoster = false) {
  auto options = Options(server, seed);
  options.fetchFullRoster = fetchFullRoster;
  auto client = std::make_unique<WebRtcClient>(context, options);
  REQUIRE(Await(context,
                [&](auto done) { client->Join(room, "p" + std::to_string(seed), done); }) == "");
  return client;
}

// Sends one audio packet every 20 ms for each publisher at its current
// RFC 6464 level, the publisher's index in a LoadtestPayload record.
class AudioPump {
 public:
  explicit AudioPump(boost::asio::io_context& context) : timer_(context) {}

  void Add(WebRtcClient& client, uint8_t level) {
    const auto* track = client.PublishedTrack("audio");
    REQUIRE(track != nullptr);
    auto config = client.SourceConfigFor(*track, static_cast<uint32_t>(senders_.size() + 1));
    senders_.push_back(Sender{&client, SyntheticMediaSource(config), level});
  }
  void SetLevel(size_t index, uint8_t level) { senders_[index].level = level; }
  void Start() { Tick(); }

 private:
  struct Sender {
    WebRtcClient* client;
    SyntheticMediaSource source;
    uint8_t level;  // 127: silence
  };

  void Tick() {
    const int64_t now = SentPacketLog::NowUs();
    for (size_t i = 0; i < senders_.size(); ++i) {
      Sender& sender = senders_[i];
      if (!sender.client->IsConnected()) continue;
      sender.source.SetAudioLevel(sender.level, sender.level != 127);
      std::array<uint8_t, LoadtestPayload::kSize> header{};
      LoadtestPayload{0, static_cast<uint32_t>(i), now, 0}.Serialize(header);
      std::array<uint8_t, 1500> buffer{};
      const auto packet =
          sender.source.NextPacket(buffer, sender.client->NextTransportSequence(), now, header);
      sender.client->SendRtp(packet);
    }
    timer_.expires_after(20ms);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) Tick();
    });
  }

  boost::asio::steady_timer timer_;
  std::vector<Sender> senders_;
};

// Which publisher index each slot carried last, from the payload records.
struct SlotListener {
  std::map<int, uint32_t> lastBySlot;
  std::map<int, size_t> packetsBySlot;

  void Attach(WebRtcClient& client) {
    client.SetRtpHandler([this, &client](rtp::RtpPacket& packet) {
      const auto* track = client.ReceivingTrackBySsrc(packet.Ssrc());
      if (!track || track->slot < 0) return;
      const auto record = LoadtestPayload::Parse(packet.Payload());
      if (!record) return;
      lastBySlot[track->slot] = record->publisherIndex;
      ++packetsBySlot[track->slot];
    });
  }
  std::set<uint32_t> Heard() const {
    std::set<uint32_t> heard;
    for (const auto& [slot, publisher] : lastBySlot) heard.insert(publisher);
    return heard;
  }
};

std::set<std::string> SpeakerIds(const WebRtcClient& client) {
  std::set<std::string> ids;
  for (const auto& slot : client.Speakers()) {
    if (!slot.participantId.empty()) ids.insert(slot.participantId);
  }
  return ids;
}

}  // namespace

TEST_CASE("Roster batches, pages and snapshots give every client the whole room",
          "[integration][client]") {
  InProcessServer server([](config::ServerConfig& config) { config.rooms.rosterPageSize = 2; });
  boost::asio::io_context context;
  std::vector<std::unique_ptr<WebRtcClient>> early;
  for (uint32_t seed = 1; seed <= 5; ++seed)
    early.push_back(Joined(context, server, seed, "roster"));

  // A page of two in the snapshot, the rest on request.
  auto partial = Joined(context, server, 10, "roster");
  CHECK(partial->Participants().size() == 2);
  CHECK_FALSE(partial->RosterComplete());
  REQUIRE(Await(context, [&](auto done) { partial->FetchRosterPages(done); }) == "");
  CHECK(partial->RosterComplete());
  CHECK(partial->Participants().size() == 5);

  auto full = Joined(context, server, 11, "roster", /*fetchFullRoster=*/true);
  CHECK(full->RosterComplete());
  CHECK(full->Participants().size() == 6);
  CHECK(full->Participants().count(full->ParticipantId()) == 0);

  // Batches bring the later joiner, publications and departures to everyone
  // else, never to the client about itself.
  REQUIRE(RunUntil(
      context,
      [&] {
        for (const auto& client : early) {
          if (client->Participants().size() != 6) return false;
        }
        return partial->Participants().size() == 6;
      },
      kDeadline));
  REQUIRE(Await(context,
                [&](auto done) { early[0]->Publish({.audio = true, .video = true}, done); }) == "");
  const std::string videoTrack = early[0]->PublishedTrack("video")->trackId;
  REQUIRE(RunUntil(
      context, [&] { return full->RemoteTracks().count(videoTrack) == 1; }, kDeadline));
  CHECK(full->RemoteTracks().at(videoTrack).participantId == early[0]->ParticipantId());
  CHECK(full->RemoteTracks().at(videoTrack).source == "camera");
  CHECK(early[0]->RemoteTracks().empty());

  const uint64_t versionBefore = full->RosterVersion();
  CHECK(versionBefore > 0);
  REQUIRE(Await(context, [&](auto done) { early[0]->Leave(done); }) == "");
  REQUIRE(RunUntil(
      context, [&] { return full->Participants().count(early[0]->ParticipantId()) == 0; },
      kDeadline));
  CHECK(full->RemoteTracks().empty());
  CHECK(full->RosterVersion() > versionBefore);
  size_t rosterMessages = 0;
  for (const auto& event : full->Events()) {
    if (event.value("type", "") == "roster") ++rosterMessages;
    CHECK(event.value("type", "") != "participantJoined");
  }
  CHECK(rosterMessages >= 2);
}

TEST_CASE("Audio slots carry the loudest speakers, `speakers` says who, priority always in",
          "[integration][client]") {
  InProcessServer server;
  boost::asio::io_context context;
  // Four talkers at distinct levels (more than 6 dB apart) and a listener.
  std::vector<std::unique_ptr<WebRtcClient>> talkers;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    talkers.push_back(Joined(context, server, seed, "slots"));
    REQUIRE(Await(context, [&](auto done) {
              talkers.back()->Publish({.audio = true, .video = false}, done);
            }) == "");
  }
  auto listener = Joined(context, server, 20, "slots");
  REQUIRE(listener->AudioSlots() == 3);
  REQUIRE(Await(context, [&](auto done) { listener->BindAudioSlots(done); }) == "");
  const auto slots = listener->SlotTracks();
  REQUIRE(slots.size() == 3);
  std::set<uint32_t> ssrcs;
  for (int slot = 0; slot < 3; ++slot) {
    const auto* track = listener->SlotTrack(slot);
    REQUIRE(track != nullptr);
    CHECK(track->slot == slot);
    CHECK(track->kind == "audio");
    CHECK(track->trackId.empty());
    CHECK(track->ssrc != 0);
    CHECK(listener->ReceivingTrackBySsrc(track->ssrc) == track);
    ssrcs.insert(track->ssrc);
  }
  CHECK(ssrcs.size() == 3);
  // Binding again adds nothing.
  REQUIRE(Await(context, [&](auto done) { listener->BindAudioSlots(done); }) == "");
  CHECK(listener->SlotTracks().size() == 3);

  std::vector<std::pair<std::vector<WebRtcClient::SpeakerSlot>, WebRtcClient::Clock::time_point>>
      speakerMessages;
  listener->SetSpeakersHandler(
      [&](const auto& slotList, auto arrival) { speakerMessages.emplace_back(slotList, arrival); });
  SlotListener heard;
  heard.Attach(*listener);
  AudioPump pump(context);
  const std::vector<uint8_t> levels = {20, 127, 30, 40};  // talker 1 silent
  for (size_t i = 0; i < talkers.size(); ++i) pump.Add(*talkers[i], levels[i]);
  pump.Start();

  const auto idsOf = [&](std::initializer_list<size_t> indices) {
    std::set<std::string> ids;
    for (const size_t i : indices) ids.insert(talkers[i]->ParticipantId());
    return ids;
  };
  // The three talkers get the slots, the silent one none.
  REQUIRE(RunUntil(
      context,
      [&] {
        return SpeakerIds(*listener) == idsOf({0, 2, 3});
      },
      kDeadline));
  REQUIRE(RunUntil(
      context,
      [&] {
        return heard.Heard() == std::set<uint32_t>{0, 2, 3};
      },
      kDeadline));
  REQUIRE(!speakerMessages.empty());
  CHECK(speakerMessages.back().first.size() == 3);
  for (const auto& slot : listener->Speakers()) {
    CHECK(talkers[0]->ParticipantId() != "");
    CHECK(!slot.trackId.empty());
  }

  // The silent one starts talking loudly and the quietest stops: the slot
  // of the quietest passes to the new talker, in media and in `speakers`.
  const size_t messagesBefore = speakerMessages.size();
  const auto switchedAt = WebRtcClient::Clock::now();
  pump.SetLevel(1, 10);
  pump.SetLevel(3, 127);
  REQUIRE(RunUntil(
      context,
      [&] {
        return SpeakerIds(*listener) == idsOf({0, 1, 2});
      },
      kDeadline));
  REQUIRE(RunUntil(
      context,
      [&] {
        return heard.Heard() == std::set<uint32_t>{0, 1, 2};
      },
      kDeadline));
  REQUIRE(speakerMessages.size() > messagesBefore);
  CHECK(speakerMessages.back().second >= switchedAt);

  // A talker never hears itself: where it would be, it hears the loudest
  // of the others who has no slot (the fourth talker, quiet but active).
  pump.SetLevel(3, 45);
  REQUIRE(Await(context, [&](auto done) { talkers[0]->BindAudioSlots(done); }) == "");
  REQUIRE(RunUntil(
      context,
      [&] {
        return SpeakerIds(*talkers[0]) == idsOf({1, 2, 3});
      },
      kDeadline));
  CHECK(SpeakerIds(*listener) == idsOf({0, 1, 2}));

  // A priority source gets a slot while silent.
  auto host = Joined(context, server, 30, "slots");
  REQUIRE(Await(context, [&](auto done) {
            host->Publish({.audio = true, .video = false, .priority = true}, done);
          }) == "");
  pump.Add(*host, 127);
  REQUIRE(RunUntil(
      context, [&] { return SpeakerIds(*listener).count(host->ParticipantId()) == 1; }, kDeadline));
  CHECK(listener->Transport().GetCounters().unprotectFailures == 0);
}

TEST_CASE("SetViewport subscribes new tiles and stops the ones that left, in one offer",
          "[integration][client]") {
  InProcessServer server;
  boost::asio::io_context context;
  std::vector<std::unique_ptr<WebRtcClient>> cameras;
  std::vector<std::string> tracks;
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    cameras.push_back(Joined(context, server, seed, "wall"));
    REQUIRE(Await(context, [&](auto done) {
              cameras.back()->Publish({.audio = false, .video = true}, done);
            }) == "");
    tracks.push_back(cameras.back()->PublishedTrack("video")->trackId);
  }
  auto viewer = Joined(context, server, 9, "wall");
  REQUIRE(viewer->RemoteTracks().size() == 4);

  const auto offers = [&] { return viewer->Signaling().MessagesReceived(); };
  REQUIRE(Await(context, [&](auto done) {
            viewer->SetViewport({tracks[0], tracks[1]}, {tracks[2], "Tunknown"}, done);
          }) == "");
  for (int i = 0; i < 3; ++i) {
    const auto* track = viewer->SubscribedTrack(tracks[i]);
    REQUIRE(track != nullptr);
    CHECK(track->viewport);
    CHECK(track->prefetch == (i == 2));
    CHECK(track->ssrc != 0);
  }
  CHECK(viewer->SubscribedTrack(tracks[3]) == nullptr);
  CHECK(viewer->VisibleTracks() == std::vector<std::string>{tracks[0], tracks[1]});
  const std::string keptMid = viewer->SubscribedTrack(tracks[2])->mid;

  // Flip: 2 becomes visible (same m-line, no longer prefetched), 3 is new,
  // 0 and 1 stop.
  REQUIRE(Await(context, [&](auto done) {
            viewer->SetViewport({tracks[2], tracks[3]}, {}, done);
          }) == "");
  CHECK(viewer->SubscribedTrack(tracks[0]) == nullptr);
  CHECK(viewer->SubscribedTrack(tracks[1]) == nullptr);
  REQUIRE(viewer->SubscribedTrack(tracks[2]) != nullptr);
  CHECK(viewer->SubscribedTrack(tracks[2])->mid == keptMid);
  CHECK_FALSE(viewer->SubscribedTrack(tracks[2])->prefetch);
  REQUIRE(viewer->SubscribedTrack(tracks[3]) != nullptr);

  // Nothing changes: no offer at all.
  const auto before = offers();
  REQUIRE(Await(context, [&](auto done) {
            viewer->SetViewport({tracks[2], tracks[3]}, {}, done);
          }) == "");
  CHECK(offers() == before);

  // Media flows on the viewport's m-lines only.
  REQUIRE(RunUntil(
      context, [&] { return viewer->IsConnected() && cameras[3]->IsConnected(); }, kDeadline));
  size_t received = 0;
  const uint32_t expectedSsrc = viewer->SubscribedTrack(tracks[3])->ssrc;
  viewer->SetRtpHandler([&](rtp::RtpPacket& packet) { received += packet.Ssrc() == expectedSsrc; });
  SyntheticMediaSource video(cameras[3]->SourceConfigFor(*cameras[3]->PublishedTrack("video"), 5));
  SentPacketLog sent;
  for (int i = 0; i < 10; ++i) sent.Produce(*cameras[3], video);
  REQUIRE(RunUntil(
      context, [&] { return received == 10; }, kDeadline));

  // A tile whose publisher left is stopped without failing the call.
  REQUIRE(Await(context, [&](auto done) { cameras[2]->Leave(done); }) == "");
  REQUIRE(RunUntil(
      context, [&] { return viewer->RemoteTracks().count(tracks[2]) == 0; }, kDeadline));
  REQUIRE(Await(context, [&](auto done) {
            viewer->SetViewport({tracks[2], tracks[3]}, {}, done);
          }) == "");
  CHECK(viewer->SubscribedTrack(tracks[3]) != nullptr);
}

TEST_CASE("Simulcast publishing sends one stream per rid; limits come back as warnings",
          "[integration][client]") {
  InProcessServer server([](config::ServerConfig& config) { config.rooms.maxPublishers = 1; });
  boost::asio::io_context context;
  auto camera = Joined(context, server, 1, "simulcast");
  REQUIRE(Await(context, [&](auto done) {
            camera->Publish({.audio = false, .video = true, .videoRids = {"q", "h"}}, done);
          }) == "");
  const auto* published = camera->PublishedTrack("video");
  REQUIRE(published != nullptr);
  REQUIRE(published->simulcast.size() == 2);
  CHECK(published->simulcast[0].rid == "q");
  CHECK(published->simulcast[0].ssrc != published->simulcast[1].ssrc);
  const auto low = camera->SourceConfigFor(*published, 3, "q");
  CHECK(low.ssrc == published->simulcast[0].ssrc);
  CHECK(low.rid == "q");
  CHECK(low.ridId == published->extensions.rtpStreamId);
  CHECK(low.ridId != 0);

  auto viewer = Joined(context, server, 2, "simulcast");
  REQUIRE(Await(context, [&](auto done) { viewer->Subscribe(published->trackId, done); }) == "");
  REQUIRE(RunUntil(
      context, [&] { return viewer->IsConnected() && camera->IsConnected(); }, kDeadline));
  size_t received = 0;
  viewer->SetRtpHandler([&](rtp::RtpPacket&) { ++received; });
  // Sent as a camera sends: VP8 at a steady pace on both rids (a browser
  // sends every negotiated encoding until the server's first tier plan),
  // with a key frame for every PLI. A server that switches simulcast streams
  // starts forwarding one at a key frame of the tier it planned, and asks for
  // one once it has planned.
  auto lowVp8 = low;
  lowVp8.vp8 = true;
  auto highVp8 = camera->SourceConfigFor(*published, 3, "h");
  highVp8.vp8 = true;
  CHECK(highVp8.ssrc == published->simulcast[1].ssrc);
  SyntheticMediaSource lowStream(lowVp8);
  SyntheticMediaSource highStream(highVp8);
  camera->SetKeyFrameRequestHandler([&](uint32_t ssrc) {
    if (ssrc == lowVp8.ssrc) lowStream.RequestKeyFrame();
    if (ssrc == highVp8.ssrc) highStream.RequestKeyFrame();
  });
  SentPacketLog sent;
  SentPacketLog sentHigh;
  boost::asio::steady_timer pace(context);
  std::function<void()> tick = [&] {
    sent.Produce(*camera, lowStream);
    sentHigh.Produce(*camera, highStream);
    pace.expires_after(10ms);
    pace.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) tick();
    });
  };
  tick();
  REQUIRE(RunUntil(
      context, [&] { return received >= 10; }, kDeadline));
  pace.cancel();
  camera->SetKeyFrameRequestHandler(nullptr);

  // max_publishers = 1: the second publisher is refused, with the reason.
  REQUIRE(Await(context, [&](auto done) {
            viewer->Publish({.audio = true, .video = false}, done);
          }).find("publisher_limit") != std::string::npos);
  REQUIRE(viewer->LastWarnings().size() == 1);
  CHECK(viewer->LastWarnings()[0].code == "publisher_limit");
  CHECK(viewer->PublishedTrack("audio") == nullptr);
}

}  // namespace myriad::integration

namespace myriad::integration {

// RFC 3264 8: every new answer on the same transport describes a new
// version of the session, so the o= line's version grows; the session id
// stays.
TEST_CASE("Answers on one transport carry a growing o= session version", "[integration]") {
  InProcessServer server;
  boost::asio::io_context context;
  auto camera = Joined(context, server, 1, "versions");
  const auto origin = [](const std::string& sdp) {
    // "o=- <session id> <version> IN IP4 ..."
    const auto start = sdp.find("o=- ");
    REQUIRE(start != std::string::npos);
    std::istringstream fields(sdp.substr(start + 4, sdp.find('\n', start) - start - 4));
    std::pair<std::string, uint64_t> idAndVersion;
    fields >> idAndVersion.first >> idAndVersion.second;
    return idAndVersion;
  };
  REQUIRE(Await(context,
                [&](auto done) { camera->Publish({.audio = true, .video = true}, done); }) == "");
  const auto first = origin(camera->LastAnswerSdp());
  // Joining now, the viewer's snapshot lists the camera's tracks.
  auto viewer = Joined(context, server, 2, "versions");
  REQUIRE(Await(context, [&](auto done) {
            viewer->Subscribe(camera->PublishedTrack("video")->trackId, done);
          }) == "");
  const auto viewerFirst = origin(viewer->LastAnswerSdp());
  REQUIRE(Await(context, [&](auto done) {
            viewer->Subscribe(camera->PublishedTrack("audio")->trackId, done);
          }) == "");
  const auto viewerSecond = origin(viewer->LastAnswerSdp());
  CHECK(viewerSecond.first == viewerFirst.first);
  CHECK(viewerSecond.second > viewerFirst.second);
  // Each transport counts its own answers.
  CHECK(first.second == viewerFirst.second);
}

// A publisher answers a subscriber's PLI (RFC 4585 6.3.1), which the server
// passes on naming the publisher's own SSRC, with a key frame.
TEST_CASE("The key frame request handler sees forwarded PLIs; the RTCP handler still gets them",
          "[integration][client]") {
  InProcessServer server;
  boost::asio::io_context context;
  auto camera = Joined(context, server, 1, "keyframes");
  REQUIRE(Await(context,
                [&](auto done) { camera->Publish({.audio = false, .video = true}, done); }) == "");
  const auto published = *camera->PublishedTrack("video");
  auto viewer = Joined(context, server, 2, "keyframes");
  REQUIRE(Await(context, [&](auto done) { viewer->Subscribe(published.trackId, done); }) == "");
  const auto received = *viewer->SubscribedTrack(published.trackId);
  REQUIRE(RunUntil(
      context, [&] { return viewer->IsConnected() && camera->IsConnected(); }, kDeadline));

  std::vector<uint32_t> requested;
  size_t plis = 0;  // as the RTCP handler sees them
  camera->SetRtcpHandler([&](std::span<uint8_t> datagram) {
    const auto compound = rtp::RtcpCompound::Parse(datagram);
    REQUIRE(compound.has_value());
    for (const rtp::RtcpHeader header : *compound) {
      plis += header.PacketType() == rtp::RtcpHeader::kPayloadFeedback &&
              header.CountOrFormat() == rtp::RtcpHeader::kFmtPli;
    }
  });
  camera->SetKeyFrameRequestHandler([&](uint32_t ssrc) { requested.push_back(ssrc); });
  // Media first, so the server forwards to the viewer.
  auto config = camera->SourceConfigFor(published, 9);
  config.vp8 = true;
  SyntheticMediaSource video(config);
  size_t arrived = 0;
  viewer->SetRtpHandler([&](rtp::RtpPacket&) { ++arrived; });
  SentPacketLog sent;
  for (int i = 0; i < 6; ++i) sent.Produce(*camera, video);
  REQUIRE(RunUntil(
      context, [&] { return arrived == 6; }, kDeadline));

  const size_t before = requested.size();
  const size_t plisBefore = plis;
  std::array<uint8_t, rtp::Pli::kSize> pli{};
  REQUIRE(rtp::Pli::Serialize({viewer->RtcpSsrc(), received.ssrc}, pli) == pli.size());
  REQUIRE(viewer->SendRtcp(pli));
  REQUIRE(RunUntil(
      context, [&] { return requested.size() > before; }, kDeadline));
  // Every request names the camera's SSRC, never the viewer's.
  for (const uint32_t ssrc : requested) CHECK(ssrc == published.ssrc);
  CHECK(plis - plisBefore == requested.size() - before);

  // Without a key frame handler the RTCP handler alone sees the next one
  // (the server may hold it back for its PLI interval).
  camera->SetKeyFrameRequestHandler(nullptr);
  const size_t plisNow = plis;
  const size_t requestsBefore = requested.size();
  REQUIRE(viewer->SendRtcp(pli));
  REQUIRE(RunUntil(
      context, [&] { return plis > plisNow; }, kDeadline));
  CHECK(requested.size() == requestsBefore);
}

TEST_CASE("The control data channel carries requests and events like the WebSocket",
          "[client][sctp]") {
  using Json = WebRtcClient::Json;
  InProcessServer server;
  boost::asio::io_context context;
  auto options = Options(server, 41);
  options.controlChannel = true;
  auto client = std::make_unique<WebRtcClient>(context, options);
  REQUIRE(Await(context, [&](auto done) { client->Join("channel", "dc", done); }) == "");
  std::vector<bool> changes;
  client->SetControlChannelHandler([&](bool open) { changes.push_back(open); });
  WebRtcClient::PublishRequest request;
  request.video = false;
  REQUIRE(Await(context, [&](auto done) { client->Publish(request, done); }) == "");

  // The answer accepted the application m-line (RFC 8841), and SCTP came up
  // over the media transport's DTLS.
  INFO(client->LastAnswerSdp());
  const std::string& answer = client->LastAnswerSdp();
  CHECK(answer.find(" UDP/DTLS/SCTP webrtc-datachannel") != std::string::npos);
  CHECK(answer.find("m=application 0 ") == std::string::npos);
  CHECK(client->ControlChannelNegotiated());
  CHECK(client->RemoteSctpPort() == 5000);
  CHECK(client->RemoteMaxMessageSize() == 262144);
  REQUIRE(RunUntil(
      context, [&] { return client->ControlChannelOpen(); }, kDeadline));
  INFO(client->ControlChannelError());
  CHECK(changes == std::vector<bool>{true});
  // RFC 8832 6: the DTLS client opens even stream ids.
  REQUIRE(client->ControlStreamId().has_value());
  CHECK(*client->ControlStreamId() % 2 == 0);

  // A conference control request and its reply, on the channel.
  std::optional<Json> reply;
  client->RequestControl(Json{{"type", "raiseHand"}}, 5s, [&](std::optional<Json> r) {
    reply = r.value_or(Json{{"type", "timeout"}});
  });
  REQUIRE(RunUntil(
      context, [&] { return reply.has_value(); }, kDeadline));
  CHECK(reply->value("type", "") == "ack");
  CHECK(!reply->contains("seq"));  // the channel's numbering stays inside the client
  CHECK(client->ControlCounters().repliesReceived == 1);

  // Someone joins: the roster batch reaches us on the channel, through the
  // same handling as on the WebSocket.
  auto other = Joined(context, server, 42, "channel");
  REQUIRE(RunUntil(
      context, [&] { return client->Participants().count(other->ParticipantId()) == 1; },
      kDeadline));
  bool rosterEvent = false;
  for (const auto& event : client->Events()) {
    rosterEvent |= event.value("type", "") == "roster" && !event.contains("seq");
  }
  CHECK(rosterEvent);
  const auto& counters = client->ControlCounters();
  CHECK(counters.messagesSent == 1);
  CHECK(counters.messagesReceived >= 2);
  CHECK(counters.malformedReceived == 0);
  // The reply came twice (docs/protocol.md), the room's roster batch once; the copy is dropped.
  REQUIRE(RunUntil(
      context, [&] { return client->ControlCounters().duplicatesReceived >= 1; }, kDeadline));
  CHECK(client->ControlCounters().duplicatesReceived == 1);
  CHECK(client->ControlCounters().copiesSent == 1);
  CHECK(client->Transport().GetCounters().sctpPacketsReceived > 0);

  // Leaving closes the transport and with it the channel.
  REQUIRE(Await(context, [&](auto done) { client->Leave(done); }) == "");
  CHECK(!client->ControlChannelOpen());
  CHECK(changes == std::vector<bool>{true, false});
}

TEST_CASE("Without the control channel option the client offers no data channel",
          "[client][sctp]") {
  InProcessServer server;
  boost::asio::io_context context;
  auto client = Joined(context, server, 43, "plain");
  WebRtcClient::PublishRequest request;
  request.video = false;
  REQUIRE(Await(context, [&](auto done) { client->Publish(request, done); }) == "");
  CHECK(client->LastAnswerSdp().find("m=application") == std::string::npos);
  CHECK(!client->ControlChannelNegotiated());
  CHECK(!client->ControlChannelOpen());
  CHECK(client->Tracks().size() == 1);
  std::string refused;
  client->NegotiateControlChannel([&](const std::string& error) { refused = error; });
  CHECK(!refused.empty());
  CHECK(client->Transport().Sctp() == nullptr);
  CHECK(client->Transport().GetCounters().sctpPacketsWithoutAssociation == 0);
}

TEST_CASE("A client without media negotiates the control channel alone", "[client][sctp]") {
  using Json = WebRtcClient::Json;
  InProcessServer server;
  boost::asio::io_context context;
  auto options = Options(server, 44);
  options.controlChannel = true;
  options.controlCopyDelay = 0ms;  // one copy per message
  auto client = std::make_unique<WebRtcClient>(context, options);
  REQUIRE(Await(context, [&](auto done) { client->Join("alone", "dc", done); }) == "");
  // Not open yet: nothing is negotiated, so a request fails at once.
  std::optional<Json> early;
  bool earlyDone = false;
  client->RequestControl(Json{{"type", "sync"}}, 5s, [&](std::optional<Json> r) {
    early = std::move(r);
    earlyDone = true;
  });
  REQUIRE(RunUntil(
      context, [&] { return earlyDone; }, kDeadline));
  CHECK(!early.has_value());

  REQUIRE(Await(context, [&](auto done) { client->NegotiateControlChannel(done); }) == "");
  REQUIRE(client->Tracks().size() == 1);
  CHECK(client->Tracks()[0].kind == "application");
  CHECK(client->Tracks()[0].active);
  // The transport started from the application m-line's parameters.
  REQUIRE(RunUntil(
      context, [&] { return client->ControlChannelOpen(); }, kDeadline));
  // Once negotiated, asking again changes nothing.
  REQUIRE(Await(context, [&](auto done) { client->NegotiateControlChannel(done); }) == "");
  CHECK(client->Tracks().size() == 1);

  std::optional<Json> reply;
  client->RequestControl(Json{{"type", "sync"}}, 5s, [&](std::optional<Json> r) {
    reply = r.value_or(Json{{"type", "timeout"}});
  });
  REQUIRE(RunUntil(
      context, [&] { return reply.has_value(); }, kDeadline));
  CHECK(reply->value("type", "") == "sync");
  CHECK(client->ControlCounters().copiesSent == 0);
}

}  // namespace myriad::integration
