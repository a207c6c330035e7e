// ImpairCommandLine: myriad-impair's flags and stdin commands.

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "loadtest/ImpairCommandLine.h"

namespace myriad::loadtest {
namespace {

using namespace std::chrono_literals;
using Kind = ImpairCommandLine::Command::Kind;

std::optional<ImpairCommandLine::Settings> Parse(std::vector<std::string> arguments,
                                                 std::string* error) {
  return ImpairCommandLine::Parse(arguments, error);
}

}  // namespace

TEST_CASE("ImpairCommandLine parses the target, both directions and one-direction flags",
          "[loadtest][impairment]") {
  std::string error;
  const auto settings = Parse({"--target",
                               "127.0.0.1:7000",
                               "--down-kbps",
                               "500",
                               "--up-kbps=300",
                               "--delay-ms",
                               "40",
                               "--jitter-ms",
                               "5",
                               "--loss",
                               "0.05",
                               "--burst",
                               "3",
                               "--queue-bytes",
                               "30000",
                               "--seed",
                               "9",
                               "--duration-s",
                               "60",
                               "--up-loss",
                               "0"},
                              &error);
  INFO(error);
  REQUIRE(settings);
  CHECK(settings->target.port() == 7000);
  CHECK(settings->listen.port() == 0);
  CHECK(settings->listen.address().is_loopback());
  CHECK(settings->duration == 60s);
  CHECK(settings->seed == 9);

  const auto path = ImpairCommandLine::PathOptionsOf(*settings);
  CHECK(path.downlink.rateBitsPerSecond == 500'000);
  CHECK(path.uplink.rateBitsPerSecond == 300'000);
  for (const auto* link : {&path.uplink, &path.downlink}) {
    CHECK(link->delay == 40ms);
    CHECK(link->jitter == 5ms);
    CHECK(link->queueLimitBytes == 30000);
    CHECK(link->seed == 9);
  }
  CHECK(GilbertElliottLoss::AverageLoss(path.downlink.loss) == Approx(0.05));
  CHECK(path.downlink.loss.badToGood == Approx(1.0 / 3));
  CHECK(GilbertElliottLoss::AverageLoss(path.uplink.loss) == 0);

  const auto relay = ImpairCommandLine::RelayOptionsOf(*settings);
  CHECK(relay.target == settings->target);
  CHECK(relay.path.downlink.rateBitsPerSecond == 500'000);
}

TEST_CASE("ImpairCommandLine refuses non-loopback addresses and bad values",
          "[loadtest][impairment]") {
  struct Case {
    std::vector<std::string> arguments;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {{}, "--target 127.0.0.1:PORT is required"},
      {{"--target", "10.0.0.1:7000"}, "not a loopback address"},
      {{"--target", "example.com:7000"}, "not an IP address"},
      {{"--target", "127.0.0.1:0"}, "is not ADDRESS:PORT"},
      {{"--target", "127.0.0.1"}, "is not ADDRESS:PORT"},
      {{"--target", "127.0.0.1:7000", "--listen", "0.0.0.0:0"}, "not a loopback address"},
      {{"--target", "127.0.0.1:7000", "--loss", "1.5"}, "probability"},
      {{"--target", "127.0.0.1:7000", "--burst", "0.5"}, "burst length"},
      {{"--target", "127.0.0.1:7000", "--down-kbps", "-1"}, "rate"},
      {{"--target", "127.0.0.1:7000", "--duration-s", "0"}, "--duration-s"},
      {{"--target", "127.0.0.1:7000", "--duration-s", "999999"}, "--duration-s"},
      {{"--target", "127.0.0.1:7000", "--sideways-kbps", "1"}, "unknown option --sideways-kbps"},
      {{"--target", "127.0.0.1:7000", "--delay-ms"}, "needs a value"},
      {{"--target", "127.0.0.1:7000", "stray"}, "unexpected argument"},
  };
  for (const auto& c : cases) {
    INFO(c.expected);
    std::string error;
    CHECK(!Parse(c.arguments, &error));
    CHECK_THAT(error, Catch::Contains(c.expected));
  }
  std::string error;
  const auto v6 = Parse({"--target", "[::1]:7000"}, &error);
  REQUIRE(v6);
  CHECK(v6->target.address().is_v6());
}

TEST_CASE("ImpairCommandLine applies stdin commands to the settings", "[loadtest][impairment]") {
  std::string error;
  auto settings = Parse({"--target", "127.0.0.1:7000", "--kbps", "1000"}, &error);
  REQUIRE(settings);
  struct Case {
    std::string line;
    Kind kind;
    std::string reply;  // a prefix
  };
  const std::vector<Case> cases = {
      {"down-kbps 500", Kind::kChanged, "ok down-kbps 500"},
      {"  up-kbps 0  \r\n", Kind::kChanged, "ok up-kbps 0"},
      {"loss 0.05", Kind::kChanged, "ok loss 0.05"},
      {"down-burst 4", Kind::kChanged, "ok down-burst 4"},
      {"jitter-dist normal", Kind::kChanged, "ok jitter-dist normal"},
      {"stats", Kind::kStats, ""},
      {"", Kind::kNone, ""},
      {"# a comment", Kind::kNone, ""},
      {"down-kbps", Kind::kError, "expected"},
      {"down-kbps 1 2", Kind::kError, "expected"},
      {"loss lots", Kind::kError, "loss: \"lots\" is not a probability"},
      {"target 127.0.0.1:1", Kind::kError, "unknown setting target"},
      {"quit", Kind::kQuit, ""},
  };
  for (const auto& c : cases) {
    INFO(c.line);
    const auto command = ImpairCommandLine::ApplyCommand(c.line, *settings);
    CHECK(command.kind == c.kind);
    CHECK(command.reply.rfind(c.reply, 0) == 0);
  }
  const auto path = ImpairCommandLine::PathOptionsOf(*settings);
  CHECK(path.downlink.rateBitsPerSecond == 500'000);
  CHECK(path.uplink.rateBitsPerSecond == 0);
  CHECK(GilbertElliottLoss::AverageLoss(path.uplink.loss) == Approx(0.05));
  CHECK(path.uplink.loss.goodToBad == 0);  // independent
  CHECK(GilbertElliottLoss::AverageLoss(path.downlink.loss) == Approx(0.05));
  CHECK(path.downlink.loss.badToGood == Approx(0.25));
  CHECK(path.downlink.jitterDistribution == LinkImpairment::JitterDistribution::kNormal);
}

TEST_CASE("ImpairCommandLine prints the relay's counters as one JSON line",
          "[loadtest][impairment]") {
  ImpairmentRelay::Counters counters;
  counters.uplink.forwarded = 10;
  counters.uplink.droppedQueueFull = 2;
  counters.downlink.droppedBurstLoss = 3;
  counters.mappings = 1;
  const std::string line = ImpairCommandLine::StatsLine(counters);
  CHECK(line.find('\n') == std::string::npos);
  const auto json = nlohmann::json::parse(line);
  CHECK(json["uplink"]["forwarded"] == 10);
  CHECK(json["uplink"]["dropped"] == 2);
  CHECK(json["uplink"]["droppedQueueFull"] == 2);
  CHECK(json["downlink"]["droppedBurstLoss"] == 3);
  CHECK(json["mappings"] == 1);
  CHECK(json["mappingsRefused"] == 0);
}

}  // namespace myriad::loadtest
