// What LoadRun refuses or reports without a server, and a short run of the
// smoke scenario against an in-process server checked against the talk
// schedule.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <catch2/catch.hpp>

#include "loadtest/LoadRun.h"
#include "loadtest/ScenarioParser.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::loadtest {

TEST_CASE("LoadRun only targets loopback addresses", "[loadtest]") {
  CHECK(LoadRun::CheckTarget("127.0.0.1").empty());
  CHECK(LoadRun::CheckTarget("127.255.0.9").empty());
  CHECK(LoadRun::CheckTarget("localhost").empty());
  for (const char* host : {"10.0.0.1", "192.168.1.1", "8.8.8.8", "::1", "128.0.0.1"}) {
    INFO(host);
    CHECK(LoadRun::CheckTarget(host).find("refusing to load-test") == 0);
  }
  CHECK(LoadRun::CheckTarget("example.com") == "the target \"example.com\" is not an IP address");
}

TEST_CASE("LoadRun's netns permission adds only point-to-point peers", "[loadtest]") {
  // Loopback stays allowed; an address no point-to-point interface of this
  // host leads to stays refused (TEST-NET-3: never configured here).
  CHECK(LoadRun::CheckTarget("127.0.0.1", true).empty());
  CHECK(LoadRun::CheckTarget("203.0.113.77", true).find("refusing to load-test") == 0);
  CHECK(LoadRun::CheckTarget("::2", true).find("refusing to load-test") == 0);
}

TEST_CASE("LoadRun reports an unreachable server as a failed run", "[loadtest]") {
  // A port that was just free: nothing listens on it.
  uint16_t port = 0;
  {
    boost::asio::io_context context;
    boost::asio::ip::tcp::acceptor acceptor(context,
                                            {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }
  LoadRun::Options options;
  options.port = port;
  options.scenario.participants = 2;
  LoadRun run(options);
  const RunReport report = run.Run();
  CHECK(report.failure.find("server unreachable at 127.0.0.1:" + std::to_string(port)) == 0);
  CHECK(report.joins.attempted == 0);
  CHECK_FALSE(report.ToJson()["passed"].get<bool>());

  LoadRun::Options remote = options;
  remote.host = "10.1.2.3";
  CHECK(LoadRun(remote).Run().failure.find("refusing to load-test 10.1.2.3") == 0);
}

TEST_CASE("LoadRun runs the smoke scenario in-process and sees what the schedule says",
          "[loadtest][integration]") {
  integration::InProcessServer server;
  std::string error;
  auto scenario =
      ScenarioParser::Load("smoke", std::string(MYRIAD_SOURCE_DIR) + "/loadtest/scenarios", &error);
  INFO(error);
  REQUIRE(scenario.has_value());
  scenario->durationSeconds = 6;
  LoadRun::Options options;
  options.scenario = *scenario;
  options.port = server.HttpPort();
  options.recordDetail = true;
  LoadRun run(options);
  const RunReport report = run.Run();
  INFO(report.Summary());
  REQUIRE(report.failure.empty());
  CHECK(report.joins.completed == scenario->participants);
  CHECK(report.joins.negotiationsFailed == 0);
  CHECK(report.joins.transportsConnected == scenario->participants);
  CHECK(report.packets.audioSent > 0);
  CHECK(report.packets.videoReceived > 0);
  CHECK(report.packets.foreign == 0);
  // Media may overtake the answer announcing its SSRC, never by much.
  CHECK(report.packets.unmatched < report.packets.received / 100 + 20);
  CHECK(report.packets.LossPercent() < 1.0);
  CHECK(report.firstAudio.count == scenario->AudioSubscriberCount());
  CHECK(report.speakers.speakersMessages > 0);
  CHECK(report.messages.meanPerParticipant > 0);
  CHECK(report.generator.cpuSeconds > 0);
  CHECK_FALSE(report.server.measured);  // no pid given

  // Per participant: who it is, and on its slots only others, each packet
  // sent by a publisher of its room.
  const auto& observations = run.Observations();
  REQUIRE(observations.size() == scenario->participants);
  size_t slotPackets = 0;
  for (const auto& o : observations) {
    INFO("participant " << o.index);
    CHECK(!o.participantId.empty());
    CHECK(run.IndexOf(o.participantId) == o.index);
    CHECK(o.audioSlots == 3);
    CHECK(o.joinStartUs >= run.StartUs());
    CHECK(o.joinedUs >= o.joinStartUs);
    CHECK(o.signallingMessages > 0);
    for (const auto& packet : o.slotPackets) {
      CHECK(packet.publisher != o.index);
      CHECK(packet.slot >= 0);
      CHECK(packet.slot < 3);
      CHECK(packet.arrivalUs >= packet.sendTimeUs);
      // A packet due during a spurt names a spurt the schedule has, and left no earlier than
      // it began. (Not "the spurt at its send time": a sender whose tick came late sends a
      // packet due at a spurt's end after the end.)
      if (packet.talkSpurtStartUs != 0) {
        const auto* spurt =
            run.Schedule().SpurtAt(packet.publisher, packet.talkSpurtStartUs - run.StartUs());
        REQUIRE(spurt != nullptr);
        CHECK(run.StartUs() + spurt->startUs == packet.talkSpurtStartUs);
        CHECK(packet.sendTimeUs >= packet.talkSpurtStartUs);
      }
    }
    slotPackets += o.slotPackets.size();
    for (const auto& message : o.speakers) {
      CHECK(message.publisherBySlot.size() == 3);
      for (const auto& publisher : message.publisherBySlot) {
        if (publisher) CHECK(*publisher != o.index);
      }
    }
  }
  CHECK(slotPackets == report.packets.audioReceived);
  // The host (priority) is heard by everyone else.
  for (const auto& o : observations) {
    if (o.index == 0 || o.firstAudioUs == 0) continue;
    bool hostHeard = false;
    for (const auto& packet : o.slotPackets) hostHeard |= packet.publisher == 0;
    CHECK(hostHeard);
  }
}

}  // namespace myriad::loadtest
