#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/LinkImpairment.h"

namespace myriad::loadtest {

// The myriad-impair command line and its stdin commands (loadtest/impair/
// main.cpp): one impaired path on loopback for browser tests, which cannot
// go through the load generator's client.
//
// Every link setting is a flag `--NAME VALUE` for both directions, or
// `--up-NAME` / `--down-NAME` for one (up: client -> server); the same
// `[up-|down-]NAME VALUE` lines on stdin change them while the relay runs.
// Parsing never exits: the caller prints the error.
class ImpairCommandLine {
 public:
  using Endpoint = ImpairmentRelay::Endpoint;

  // One direction, in the units of the command line.
  struct LinkSettings {
    double kbps = 0;  // 0: unlimited
    double delayMs = 0;
    double jitterMs = 0;
    LinkImpairment::JitterDistribution jitterDistribution =
        LinkImpairment::JitterDistribution::kUniform;
    bool reorder = false;
    double loss = 0;          // 0..1
    double burst = 0;         // mean loss-burst length in packets; 0: independent losses
    uint64_t queueBytes = 0;  // 0: unlimited
  };

  struct Settings {
    Endpoint target;
    Endpoint listen{boost::asio::ip::address_v4::loopback(), 0};
    LinkSettings uplink;
    LinkSettings downlink;
    uint64_t seed = 1;
    // The relay exits after this long whatever happens (a test that forgot
    // it must not leave it running).
    std::chrono::seconds duration{600};
    bool help = false;
  };

  // What a stdin line asked for.
  struct Command {
    enum class Kind { kNone, kChanged, kStats, kQuit, kError };
    Kind kind = Kind::kNone;
    std::string reply;  // "ok ..." for kChanged, the reason for kError
  };

  static constexpr uint32_t kMaxDurationSeconds = 24 * 3600;

  static std::optional<Settings> Parse(const std::vector<std::string>& arguments,
                                       std::string* error);
  // Applies one stdin line ("down-kbps 500", "loss 0.05", "stats", "quit";
  // blank lines and lines starting with '#' are kNone) to `settings`.
  static Command ApplyCommand(const std::string& line, Settings& settings);
  // Sets `[up-|down-]NAME` to `value`; false with the reason otherwise.
  static bool Set(const std::string& name, const std::string& value, Settings& settings,
                  std::string* error);

  static LinkImpairment::Options LinkOptionsOf(const LinkSettings& link, uint64_t seed);
  static ImpairmentRelay::PathOptions PathOptionsOf(const Settings& settings);
  static ImpairmentRelay::Options RelayOptionsOf(const Settings& settings);
  // The `stats` reply: the relay's counters as one line of JSON.
  static std::string StatsLine(const ImpairmentRelay::Counters& counters);
  static std::string Usage();
};

}  // namespace myriad::loadtest
