#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/Scenario.h"
#include "loadtest/Thresholds.h"
#include "loadtest/client/ClientAddressRange.h"

namespace myriad::loadtest {

// The myriad-loadtest command line (docs/loadtest.md, "Flags"). Parsing
// never exits: the caller prints the error and exits 2.
class LoadtestCommandLine {
 public:
  struct Options {
    std::string scenario = "smoke";  // a name in the scenario directory, or a path
    std::string scenarioDirectory;
    std::string host = "127.0.0.1";
    uint16_t port = 7880;
    int serverPid = 0;
    std::string spawnServer;  // the server binary to start
    std::string serverLog;    // its output ("" = our stderr)
    unsigned threads = 1;
    std::string reportPath;
    bool quiet = false;  // no progress lines
    bool help = false;
    bool listScenarios = false;
    // --allow-netns-target: the server may be the peer of a point-to-point
    // link to a network namespace (LoadRun::CheckTarget).
    bool allowNetnsTarget = false;
    // --client-network CIDR: the clients' addresses (ClientAddressRange);
    // loopback when unset.
    std::optional<ClientAddressRange> clientNetwork;

    // Scenario overrides.
    std::optional<uint32_t> participants;
    std::optional<uint32_t> rooms;
    std::optional<uint32_t> seed;
    std::optional<uint32_t> audioSlots;
    std::optional<double> durationSeconds;
    std::optional<double> maxRunSeconds;
    std::optional<double> joinRatePerSecond;
    std::optional<double> lossPercent;  // impairment.lossPercent
    std::optional<uint32_t> oneWayDelayMs;
    std::optional<uint32_t> controlMessages;
    std::optional<double> controlRate;
    std::optional<bool> controlDataChannel;  // --control-path datachannel|websocket
    Thresholds thresholds;
  };

  static std::optional<Options> Parse(const std::vector<std::string>& arguments,
                                      std::string* error);
  // Command-line values win over the scenario's.
  static void ApplyOverrides(const Options& options, Scenario& scenario);
  static std::string Usage();
  // "maxLossPercent" -> "--max-loss-percent".
  static std::string FlagOf(const std::string& thresholdName);
};

}  // namespace myriad::loadtest
