// Large-room signalling and audio slots through a real server over loopback
// (docs/protocol.md "Audio slots", `roster`, `speakers`, room limits):
// clients built from the project's transport code publish audio with RFC 6464
// levels they control, and subscribers check which speakers their slots
// carry, packet by packet.

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using loadtest::RunUntil;
using loadtest::SyntheticMediaSource;
using loadtest::WebRtcClient;

constexpr auto kDeadline = 10s;
constexpr uint8_t kSilent = 127;  // RFC 6464: -127 dBov

// One participant of the test room. A publisher's packets have a payload
// size unique to it, so a subscriber can tell whose packet a slot carried.
struct Member {
  std::string name;
  std::unique_ptr<WebRtcClient> client;
  std::unique_ptr<SyntheticMediaSource> source;  // null: does not publish
  size_t payloadSize = 0;
  uint8_t level = kSilent;
};

// A packet a subscriber received on one of its slots.
struct SlotPacket {
  int slot = -1;
  size_t payloadSize = 0;
  uint16_t sequenceNumber = 0;
  uint32_t timestamp = 0;
};

class AudioRoom {
 public:
  explicit AudioRoom(const std::function<void(config::ServerConfig&)>& configure)
      : server_(configure), pumpTimer_(context_) {}

  ~AudioRoom() { pumpTimer_.cancel(); }
  AudioRoom(const AudioRoom&) = delete;
  AudioRoom& operator=(const AudioRoom&) = delete;

  boost::asio::io_context& Context() { return context_; }
  InProcessServer& Server() { return server_; }

  Member& Join(const std::string& name) {
    auto member = std::make_unique<Member>();
    member->name = name;
    WebRtcClient::Options options;
    options.port = server_.HttpPort();
    options.seed = static_cast<uint32_t>(members_.size() + 1);
    options.certificate = certificate_;
    member->client = std::make_unique<WebRtcClient>(context_, options);
    REQUIRE(Await(context_, [&](auto done) { member->client->Join("slots", name, done); }) == "");
    members_.push_back(std::move(member));
    return *members_.back();
  }

  // Publishes audio whose packets carry `level` until SetLevel changes it.
  void PublishAudio(Member& member, uint8_t level, bool priority = false) {
    WebRtcClient::PublishRequest request;
    request.audio = true;
    request.video = false;
    request.priority = priority;
    REQUIRE(Await(context_, [&](auto done) { member.client->Publish(request, done); }) == "");
    const auto* track = member.client->PublishedTrack("audio");
    REQUIRE(track != nullptr);
    auto config = member.client->SourceConfigFor(*track, 7);
    member.payloadSize = 60 + nextPayloadSize_++;
    config.minPayloadSize = member.payloadSize;
    config.maxPayloadSize = member.payloadSize;
    member.source = std::make_unique<SyntheticMediaSource>(config);
    SetLevel(member, level);
  }

  void SetLevel(Member& member, uint8_t level) {
    member.level = level;
    member.source->SetAudioLevel(level, level != kSilent);
  }

  // Binds the member's audio slots and records every packet they carry.
  void BindSlots(Member& member) {
    REQUIRE(Await(context_, [&](auto done) { member.client->BindAudioSlots(done); }) == "");
    auto& packets = received_[&member];
    WebRtcClient* client = member.client.get();
    client->SetRtpHandler([client, &packets](rtp::RtpPacket& packet) {
      const auto* track = client->ReceivingTrackBySsrc(packet.Ssrc());
      if (track == nullptr || track->slot < 0) return;
      packets.push_back(SlotPacket{track->slot, packet.PayloadSize(), packet.SequenceNumber(),
                                   packet.Timestamp()});
    });
  }

  bool AllConnected() const {
    for (const auto& member : members_) {
      if (!member->client->IsConnected()) return false;
    }
    return true;
  }

  // Every 20 ms, one audio packet from every publisher (Opus packet time).
  void StartPump() {
    pumpTimer_.expires_after(20ms);
    pumpTimer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const int64_t nowUs =
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
              .count();
      for (auto& member : members_) {
        if (!member->source || !member->client->IsConnected()) continue;
        const auto packet =
            member->source->NextPacket(buffer_, member->client->NextTransportSequence(), nowUs);
        REQUIRE(!packet.empty());
        member->client->SendRtp(packet);
      }
      StartPump();
    });
  }

  const std::vector<SlotPacket>& Received(Member& member) { return received_[&member]; }

  // Whose packets (by payload size) arrived on each slot since `from`.
  std::map<int, std::set<size_t>> SpeakersHeard(Member& member, size_t from) {
    std::map<int, std::set<size_t>> heard;
    const auto& packets = received_[&member];
    for (size_t i = from; i < packets.size(); ++i) {
      heard[packets[i].slot].insert(packets[i].payloadSize);
    }
    return heard;
  }

  // The participant the member's last `speakers` message names for `slot`.
  static std::string Announced(const Member& member, int slot) {
    const auto& speakers = member.client->Speakers();
    for (const auto& entry : speakers) {
      if (entry.slot == slot) return entry.participantId;
    }
    return "";
  }

 private:
  boost::asio::io_context context_;
  InProcessServer server_;
  std::shared_ptr<const server::transport::DtlsCertificate> certificate_ =
      server::transport::DtlsCertificate::Generate();
  std::vector<std::unique_ptr<Member>> members_;
  std::map<const Member*, std::vector<SlotPacket>> received_;
  boost::asio::steady_timer pumpTimer_;
  std::array<uint8_t, 1500> buffer_{};
  size_t nextPayloadSize_ = 0;
};

// Whether every packet of `slot` continues the previous one: sequence
// number + 1 and a later timestamp (one stream across speaker changes).
void CheckContinuous(const std::vector<SlotPacket>& packets, int slot) {
  const SlotPacket* previous = nullptr;
  size_t checked = 0;
  for (const auto& packet : packets) {
    if (packet.slot != slot) continue;
    if (previous) {
      INFO("slot " << slot << " packet " << checked);
      CHECK(packet.sequenceNumber == static_cast<uint16_t>(previous->sequenceNumber + 1));
      CHECK(static_cast<int32_t>(packet.timestamp - previous->timestamp) > 0);
    }
    previous = &packet;
    ++checked;
  }
  CHECK(checked > 10);
}

}  // namespace

TEST_CASE("Audio slots carry the loudest speakers, never oneself, as continuous streams",
          "[integration][slots]") {
  AudioRoom room([](config::ServerConfig& config) { config.rooms.audioSlots = 2; });
  Member& listener = room.Join("listener");
  Member& a = room.Join("a");
  Member& b = room.Join("b");
  Member& c = room.Join("c");
  Member& quiet = room.Join("quiet");
  CHECK(listener.client->AudioSlots() == 2);
  room.PublishAudio(a, 20);
  room.PublishAudio(b, 30);
  room.PublishAudio(c, 40);
  room.PublishAudio(quiet, kSilent);
  room.BindSlots(listener);
  room.BindSlots(b);
  REQUIRE(RunUntil(
      room.Context(), [&] { return room.AllConnected(); }, kDeadline));
  room.StartPump();

  // The two loudest (a, b) fill the listener's slots; b hears a and the
  // next loudest (c) instead of itself.
  auto heardBoth = [&](Member& member, std::set<size_t> expected, size_t from) {
    std::set<size_t> heard;
    for (const auto& [slot, sizes] : room.SpeakersHeard(member, from)) {
      heard.insert(sizes.begin(), sizes.end());
    }
    return heard == expected;
  };
  REQUIRE(RunUntil(
      room.Context(),
      [&] {
        return heardBoth(listener, {a.payloadSize, b.payloadSize}, 0) &&
               heardBoth(b, {a.payloadSize, c.payloadSize}, 0);
      },
      kDeadline));
  // Slot positions are stable: find a's slot at the listener.
  int slotOfA = -1;
  for (const auto& [slot, sizes] : room.SpeakersHeard(listener, 0)) {
    if (sizes == std::set<size_t>{a.payloadSize}) slotOfA = slot;
  }
  REQUIRE(slotOfA >= 0);
  REQUIRE(RunUntil(
      room.Context(),
      [&] {
        return AudioRoom::Announced(listener, slotOfA) == a.client->ParticipantId() &&
               AudioRoom::Announced(listener, 1 - slotOfA) == b.client->ParticipantId();
      },
      kDeadline));

  // a falls silent and c becomes the loudest: c takes a's slot.
  const size_t mark = room.Received(listener).size();
  room.SetLevel(a, kSilent);
  room.SetLevel(c, 10);
  REQUIRE(RunUntil(
      room.Context(),
      [&] {
        const auto heard = room.SpeakersHeard(listener, room.Received(listener).size() - 5);
        return heard.count(slotOfA) && heard.at(slotOfA) == std::set<size_t>{c.payloadSize};
      },
      kDeadline));
  REQUIRE(RunUntil(
      room.Context(),
      [&] { return AudioRoom::Announced(listener, slotOfA) == c.client->ParticipantId(); },
      kDeadline));
  const auto after = room.SpeakersHeard(listener, mark);
  CHECK(after.at(1 - slotOfA) == std::set<size_t>{b.payloadSize});

  // Nothing from the silent publisher, nothing of b to b, one stream per slot.
  for (Member* member : {&listener, &b}) {
    for (const auto& packet : room.Received(*member)) {
      CHECK(packet.payloadSize != quiet.payloadSize);
      if (member == &b) CHECK(packet.payloadSize != b.payloadSize);
    }
    CheckContinuous(room.Received(*member), 0);
    CheckContinuous(room.Received(*member), 1);
  }
  for (const auto& entry : b.client->Speakers()) {
    CHECK(entry.participantId != b.client->ParticipantId());
  }
  const auto metrics = room.Server().Metrics();
  CHECK(loadtest::MetricsScraper::Value(metrics, "myriad_audio_slot_switches_total") >= 4);
}

TEST_CASE("A priority source keeps its slot while silent", "[integration][slots]") {
  AudioRoom room([](config::ServerConfig& config) { config.rooms.audioSlots = 2; });
  Member& listener = room.Join("listener");
  Member& host = room.Join("host");
  Member& loud = room.Join("loud");
  Member& second = room.Join("second");
  room.PublishAudio(host, kSilent, /*priority=*/true);
  room.PublishAudio(loud, 15);
  room.PublishAudio(second, 25);
  room.BindSlots(listener);
  REQUIRE(RunUntil(
      room.Context(), [&] { return room.AllConnected(); }, kDeadline));
  room.StartPump();
  REQUIRE(RunUntil(
      room.Context(),
      [&] {
        std::set<size_t> heard;
        for (const auto& [slot, sizes] : room.SpeakersHeard(listener, 0)) {
          heard.insert(sizes.begin(), sizes.end());
        }
        return heard == std::set<size_t>{host.payloadSize, loud.payloadSize} &&
               room.Received(listener).size() > 100;
      },
      kDeadline));
  for (const auto& packet : room.Received(listener)) {
    CHECK(packet.payloadSize != second.payloadSize);
  }
}

TEST_CASE("Joins within one interval reach the room as one roster batch", "[integration][roster]") {
  InProcessServer server([](config::ServerConfig& config) {
    config.rooms.rosterBatchIntervalMs = 1000;
    config.rooms.rosterPageSize = 10;
  });
  boost::asio::io_context context;
  const std::shared_ptr<const server::transport::DtlsCertificate> certificate =
      server::transport::DtlsCertificate::Generate();
  auto makeClient = [&](uint32_t seed) {
    WebRtcClient::Options options;
    options.port = server.HttpPort();
    options.seed = seed;
    options.certificate = certificate;
    return std::make_unique<WebRtcClient>(context, options);
  };
  auto observer = makeClient(1);
  REQUIRE(Await(context, [&](auto done) { observer->Join("batch", "observer", done); }) == "");
  size_t rosterMessages = 0;
  observer->SetEventHandler([&](const nlohmann::json& event) {
    if (event.value("type", "") == "roster") ++rosterMessages;
  });

  // 24 joins started at once: far fewer roster messages than joins, and
  // together they name everyone.
  std::vector<std::unique_ptr<WebRtcClient>> joiners;
  size_t joined = 0;
  for (uint32_t i = 0; i < 24; ++i) {
    joiners.push_back(makeClient(100 + i));
    joiners.back()->Join("batch", "joiner-" + std::to_string(i), [&](const std::string& error) {
      CHECK(error == "");
      ++joined;
    });
  }
  REQUIRE(RunUntil(
      context, [&] { return joined == joiners.size(); }, kDeadline));
  REQUIRE(RunUntil(
      context, [&] { return observer->Participants().size() == 24; }, kDeadline));
  CHECK(rosterMessages >= 1);
  CHECK(rosterMessages <= 3);

  // A late joiner's snapshot is paged (10 per page) and completes to all 25.
  auto late = makeClient(500);
  REQUIRE(Await(context, [&](auto done) { late->Join("batch", "late", done); }) == "");
  CHECK(late->Participants().size() == 10);
  CHECK_FALSE(late->RosterComplete());
  REQUIRE(Await(context, [&](auto done) { late->FetchRosterPages(done); }) == "");
  CHECK(late->RosterComplete());
  CHECK(late->Participants().size() == 25);

  // Leaving is batched too: the observer learns of all departures.
  for (auto& joiner : joiners) joiner->Leave([](const std::string&) {});
  REQUIRE(RunUntil(
      context, [&] { return observer->Participants().size() == 1; }, kDeadline));
  CHECK(observer->Participants().count(late->ParticipantId()) == 1);
  CHECK(rosterMessages <= 6);
}

TEST_CASE("Room limits refuse the participant or publisher beyond them", "[integration][limits]") {
  InProcessServer server([](config::ServerConfig& config) {
    config.rooms.maxParticipants = 3;
    config.rooms.maxPublishers = 1;
  });
  boost::asio::io_context context;
  const std::shared_ptr<const server::transport::DtlsCertificate> certificate =
      server::transport::DtlsCertificate::Generate();
  std::vector<std::unique_ptr<WebRtcClient>> clients;
  for (uint32_t i = 0; i < 4; ++i) {
    WebRtcClient::Options options;
    options.port = server.HttpPort();
    options.seed = i + 1;
    options.certificate = certificate;
    clients.push_back(std::make_unique<WebRtcClient>(context, options));
  }
  for (size_t i = 0; i < 3; ++i) {
    REQUIRE(Await(context, [&](auto done) { clients[i]->Join("limits", "p", done); }) == "");
  }
  const std::string full =
      Await(context, [&](auto done) { clients[3]->Join("limits", "p", done); });
  CHECK(full.find("room_full") != std::string::npos);

  WebRtcClient::PublishRequest audioOnly;
  audioOnly.video = false;
  REQUIRE(Await(context, [&](auto done) { clients[0]->Publish(audioOnly, done); }) == "");
  const std::string refused =
      Await(context, [&](auto done) { clients[1]->Publish(audioOnly, done); });
  CHECK(refused.find("publisher_limit") != std::string::npos);
  REQUIRE(clients[1]->LastWarnings().size() == 1);
  CHECK(clients[1]->LastWarnings()[0].code == "publisher_limit");
  // The refused publisher still receives: it can bind its audio slots.
  REQUIRE(Await(context, [&](auto done) { clients[1]->BindAudioSlots(done); }) == "");
  CHECK(clients[1]->SlotTracks().size() == 3);
}

}  // namespace myriad::integration
