// myriad-loadtest: simulates a room full of WebRTC participants against a
// local Myriad server and reports what they experienced (docs/loadtest.md).

#include <signal.h>
#include <sys/resource.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "loadtest/LoadRun.h"
#include "loadtest/LoadtestCommandLine.h"
#include "loadtest/ScenarioParser.h"
#include "loadtest/ServerProcess.h"

namespace {

using myriad::loadtest::LoadRun;
using myriad::loadtest::LoadtestCommandLine;
using myriad::loadtest::Scenario;
using myriad::loadtest::ScenarioParser;
using myriad::loadtest::ServerProcess;

constexpr int kPassed = 0;
constexpr int kThresholdMissed = 1;
constexpr int kUsageError = 2;
constexpr int kRunFailed = 3;

int UsageError(const std::string& message) {
  std::cerr << "myriad-loadtest: " << message << "\n" << LoadtestCommandLine::Usage();
  return kUsageError;
}

// A thousand clients hold two descriptors each (WebSocket, UDP).
void RaiseDescriptorLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  limit.rlim_cur = limit.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &limit);
}

std::map<std::string, std::string> ServerEnvironment(const Scenario& scenario) {
  // config/README.md: MYRIAD_ROOMS_<KEY> for rooms.<key>.
  std::map<std::string, std::string> environment;
  const auto put = [&environment](const char* name, const std::optional<uint32_t>& value) {
    if (value) environment[name] = std::to_string(*value);
  };
  put("MYRIAD_ROOMS_AUDIO_SLOTS", scenario.server.audioSlots);
  put("MYRIAD_ROOMS_MAX_PARTICIPANTS", scenario.server.maxParticipants);
  put("MYRIAD_ROOMS_MAX_PUBLISHERS", scenario.server.maxPublishers);
  put("MYRIAD_ROOMS_ROSTER_BATCH_INTERVAL_MS", scenario.server.rosterBatchIntervalMs);
  put("MYRIAD_ROOMS_ROSTER_PAGE_SIZE", scenario.server.rosterPageSize);
  return environment;
}

}  // namespace

int main(int argc, char** argv) {
  std::string error;
  const auto options =
      LoadtestCommandLine::Parse(std::vector<std::string>(argv + 1, argv + argc), &error);
  if (!options) return UsageError(error);
  if (options->help) {
    std::cout << LoadtestCommandLine::Usage();
    return kPassed;
  }
  const std::string directory = options->scenarioDirectory.empty()
                                    ? std::string(MYRIAD_LOADTEST_SCENARIO_DIR)
                                    : options->scenarioDirectory;
  if (options->listScenarios) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(directory, ec)) {
      if (entry.path().extension() == ".json") names.push_back(entry.path().stem().string());
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) std::cout << name << "\n";
    return kPassed;
  }
  auto scenario = ScenarioParser::Load(options->scenario, directory, &error);
  if (!scenario) return UsageError(error);
  LoadtestCommandLine::ApplyOverrides(*options, *scenario);
  if (const std::string invalid = scenario->Validate(); !invalid.empty()) {
    return UsageError("scenario " + scenario->name + " after overrides: " + invalid);
  }
  if (options->spawnServer.empty()) {
    if (const std::string refused = LoadRun::CheckTarget(options->host, options->allowNetnsTarget);
        !refused.empty()) {
      return UsageError(refused);
    }
    // The clients' own UDP sockets are on loopback addresses, which cannot
    // leave the host's loopback device: media to a namespace goes through
    // the impairment relays, whose sockets take the route's source.
    if (!LoadRun::CheckTarget(options->host).empty() && !scenario->impairment.Enabled() &&
        (!options->clientNetwork || options->clientNetwork->IsLoopback())) {
      return UsageError(
          "a target outside 127.0.0.0/8 needs an impairment (oneWayDelayMs or "
          "lossPercent), whose relays carry the media, or a routable --client-network");
    }
  }
  ::signal(SIGPIPE, SIG_IGN);
  RaiseDescriptorLimit();

  LoadRun::Options run;
  run.scenario = *scenario;
  run.host = options->host;
  run.port = options->port;
  run.serverPid = options->serverPid;
  run.threads = options->threads;
  run.progress = options->quiet ? nullptr : &std::cerr;
  run.allowNetnsTarget = options->allowNetnsTarget;
  if (options->clientNetwork) run.clientAddresses = *options->clientNetwork;
  ServerProcess server;
  if (!options->spawnServer.empty()) {
    ServerProcess::Options spawn;
    spawn.binary = options->spawnServer;
    spawn.environment = ServerEnvironment(*scenario);
    spawn.logPath = options->serverLog;
    if (!server.Start(spawn, &error)) {
      std::cerr << "myriad-loadtest: cannot start the server: " << error << "\n";
      return kRunFailed;
    }
    run.host = "127.0.0.1";
    run.port = server.HttpPort();
    run.serverPid = server.Pid();
    std::cerr << "myriad-loadtest: started " << options->spawnServer << " (pid " << server.Pid()
              << ", http 127.0.0.1:" << server.HttpPort() << ")\n";
  }

  LoadRun loadRun(run);
  const auto report = loadRun.Run();
  server.Stop();

  std::cout << report.Summary();
  if (!options->reportPath.empty()) {
    std::ofstream out(options->reportPath);
    nlohmann::json json = report.ToJson();
    json["scenarioDefinition"] = scenario->ToJson();
    out << json.dump(2) << "\n";
    if (!out) {
      std::cerr << "myriad-loadtest: cannot write the report to " << options->reportPath << "\n";
      return kRunFailed;
    }
  }
  if (!report.failure.empty()) return kRunFailed;
  if (!report.ThresholdsPassed()) {
    for (const auto& threshold : report.thresholds) {
      if (!threshold.passed) {
        std::cerr << "myriad-loadtest: threshold " << threshold.name
                  << " missed: " << threshold.detail << "\n";
      }
    }
    return kThresholdMissed;
  }
  return kPassed;
}
