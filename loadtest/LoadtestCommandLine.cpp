#include "loadtest/LoadtestCommandLine.h"

#include <cctype>
#include <cmath>

#include "loadtest/CommandLineArguments.h"

namespace myriad::loadtest {
namespace {

template <typename Integer>
bool ParseInteger(const std::string& text, Integer& out, Integer min, Integer max) {
  return CommandLineArguments::ParseInteger(text, min, max, out);
}

// Any finite non-negative number.
bool ParseNumber(const std::string& text, double& out) {
  return CommandLineArguments::ParseNumber(text, 0, HUGE_VAL, out);
}

}  // namespace

std::string LoadtestCommandLine::FlagOf(const std::string& thresholdName) {
  std::string flag = "--";
  for (const char c : thresholdName) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      flag += '-';
      flag += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      flag += c;
    }
  }
  return flag;
}

std::string LoadtestCommandLine::Usage() {
  std::string usage =
      "usage: myriad-loadtest [--scenario NAME|FILE] [--server HOST:PORT [--server-pid PID]]\n"
      "                       [--spawn-server BINARY [--server-log FILE]] [--threads N]\n"
      "                       [--report FILE] [--quiet] [--list-scenarios]\n"
      "                       [--participants N] [--rooms N] [--duration SECONDS] [--seed N]\n"
      "                       [--join-rate PER_SECOND] [--max-run-seconds SECONDS]\n"
      "                       [--audio-slots K] [--one-way-delay-ms MS] [--loss-percent P]\n"
      "                       [--control-messages N] [--control-rate PER_SECOND]\n"
      "                       [--control-path datachannel|websocket] [--allow-netns-target]\n"
      "                       [--client-network CIDR]\n"
      "                       [threshold flags]\n"
      "Simulates a scenario's participants against a local Myriad server (127.0.0.0/8 only)\n"
      "and reports joins, loss, latency, speaker switching, signalling and CPU/RSS.\n"
      "--allow-netns-target also accepts a --server that is the peer address of a\n"
      "point-to-point interface of this host: a server in a network namespace behind\n"
      "myriad-tunlink, so that its TCP (the WebSocket) crosses the same impaired network as\n"
      "the UDP does (the kernel has no netem; scripts/control-transport-bench.sh). It is\n"
      "still this machine. Its UDP goes through the impairment relays, unless the clients\n"
      "have addresses the namespace can route back to: --client-network 10.97.0.0/16 with\n"
      "`ip route add local 10.97.0.0/16 dev lo` gives each client one of them (private\n"
      "ranges only), and the impairment (if any) then stays in the generator.\n"
      "Threshold flags (override the scenario's `thresholds`):\n";
  for (const auto& name : Thresholds::Names()) usage += "  " + FlagOf(name) + " VALUE\n";
  usage +=
      "Exit status: 0 all thresholds met, 1 a threshold missed, 2 usage error,\n"
      "3 the run failed (server unreachable or exited, hard time limit).\n"
      "See docs/loadtest.md.\n";
  return usage;
}

std::optional<LoadtestCommandLine::Options> LoadtestCommandLine::Parse(
    const std::vector<std::string>& arguments, std::string* error) {
  Options options;
  bool serverGiven = false;
  CommandLineArguments walk(arguments);
  while (walk.Next()) {
    const std::string& flag = walk.Flag();
    const auto value = [&] { return walk.Value(error); };
    const auto bad = [&](const std::string& text, const std::string& what) {
      return walk.Bad(text, what, error);
    };
    if (flag == "--help" || flag == "-h") {
      options.help = true;
    } else if (flag == "--quiet") {
      options.quiet = true;
    } else if (flag == "--list-scenarios") {
      options.listScenarios = true;
    } else if (flag == "--allow-netns-target") {
      options.allowNetnsTarget = true;
    } else if (flag == "--client-network") {
      const auto text = value();
      if (!text) return std::nullopt;
      std::string why;
      options.clientNetwork = ClientAddressRange::ParseCidr(*text, &why);
      if (!options.clientNetwork) {
        *error = flag + ": " + why;
        return std::nullopt;
      }
    } else if (flag == "--control-path") {
      const auto text = value();
      if (!text) return std::nullopt;
      if (*text == "datachannel") {
        options.controlDataChannel = true;
      } else if (*text == "websocket") {
        options.controlDataChannel = false;
      } else {
        return bad(*text, "datachannel or websocket");
      }
    } else if (flag == "--scenario" || flag == "--report" || flag == "--spawn-server" ||
               flag == "--server-log" || flag == "--scenario-dir") {
      const auto text = value();
      if (!text) return std::nullopt;
      if (text->empty()) return bad(*text, "a name or path");
      if (flag == "--scenario") options.scenario = *text;
      if (flag == "--report") options.reportPath = *text;
      if (flag == "--spawn-server") options.spawnServer = *text;
      if (flag == "--server-log") options.serverLog = *text;
      if (flag == "--scenario-dir") options.scenarioDirectory = *text;
    } else if (flag == "--server") {
      const auto text = value();
      if (!text) return std::nullopt;
      const auto colon = text->rfind(':');
      if (colon == std::string::npos || colon == 0 ||
          !ParseInteger<uint16_t>(text->substr(colon + 1), options.port, 1, 65535)) {
        return bad(*text, "HOST:PORT");
      }
      options.host = text->substr(0, colon);
      serverGiven = true;
    } else if (flag == "--server-pid") {
      const auto text = value();
      if (!text) return std::nullopt;
      if (!ParseInteger<int>(*text, options.serverPid, 1, 1 << 30)) return bad(*text, "a pid");
    } else if (flag == "--threads") {
      const auto text = value();
      if (!text) return std::nullopt;
      if (!ParseInteger<unsigned>(*text, options.threads, 1, 64)) return bad(*text, "1..64");
    } else if (flag == "--participants" || flag == "--rooms" || flag == "--seed" ||
               flag == "--audio-slots" || flag == "--one-way-delay-ms" ||
               flag == "--control-messages") {
      const auto text = value();
      if (!text) return std::nullopt;
      uint32_t number = 0;
      if (!ParseInteger<uint32_t>(*text, number, 0, 0xFFFFFFFF)) {
        return bad(*text, "a non-negative integer");
      }
      if (flag == "--participants") options.participants = number;
      if (flag == "--rooms") options.rooms = number;
      if (flag == "--seed") options.seed = number;
      if (flag == "--audio-slots") options.audioSlots = number;
      if (flag == "--one-way-delay-ms") options.oneWayDelayMs = number;
      if (flag == "--control-messages") options.controlMessages = number;
    } else if (flag == "--loss-percent") {
      const auto text = value();
      if (!text) return std::nullopt;
      double number = 0;
      if (!ParseNumber(*text, number) || number > 100) return bad(*text, "a percentage");
      options.lossPercent = number;
    } else if (flag == "--duration" || flag == "--max-run-seconds" || flag == "--join-rate" ||
               flag == "--control-rate") {
      const auto text = value();
      if (!text) return std::nullopt;
      double number = 0;
      if (!ParseNumber(*text, number) || number <= 0) return bad(*text, "a positive number");
      if (flag == "--duration") options.durationSeconds = number;
      if (flag == "--max-run-seconds") options.maxRunSeconds = number;
      if (flag == "--join-rate") options.joinRatePerSecond = number;
      if (flag == "--control-rate") options.controlRate = number;
    } else {
      bool threshold = false;
      for (const auto& name : Thresholds::Names()) {
        if (flag != FlagOf(name)) continue;
        threshold = true;
        const auto text = value();
        if (!text) return std::nullopt;
        double number = 0;
        if (!ParseNumber(*text, number)) return bad(*text, "a non-negative number");
        options.thresholds.Set(name, number);
      }
      if (!threshold) {
        *error = "unknown option " + flag;
        return std::nullopt;
      }
    }
  }
  if (serverGiven && !options.spawnServer.empty()) {
    *error = "--server and --spawn-server exclude each other";
    return std::nullopt;
  }
  if (options.serverPid != 0 && !options.spawnServer.empty()) {
    *error = "--server-pid is for --server; --spawn-server knows its server's pid";
    return std::nullopt;
  }
  return options;
}

void LoadtestCommandLine::ApplyOverrides(const Options& options, Scenario& scenario) {
  if (options.participants) {
    // Role counts that were "everyone" or beyond the new total follow it.
    const uint32_t total = *options.participants;
    if (scenario.audioPublishers && *scenario.audioPublishers > total) {
      scenario.audioPublishers = total;
    }
    if (scenario.audioSubscribers && *scenario.audioSubscribers > total) {
      scenario.audioSubscribers = total;
    }
    scenario.videoPublishers = std::min(scenario.videoPublishers, total);
    scenario.videoSubscribers = std::min(scenario.videoSubscribers, total);
    scenario.audio.priorityPublishers = std::min(scenario.audio.priorityPublishers, total);
    scenario.participants = total;
  }
  if (options.rooms) scenario.rooms = *options.rooms;
  // Another seed is another run: the paths' loss too, not only who talks when
  // (a scenario's own impairment.seed is overridden as well).
  if (options.seed) scenario.seed = scenario.impairment.seed = *options.seed;
  if (options.audioSlots) scenario.server.audioSlots = *options.audioSlots;
  if (options.durationSeconds) {
    scenario.durationSeconds = *options.durationSeconds;
    if (scenario.maxRunSeconds > 0 && scenario.maxRunSeconds < scenario.durationSeconds) {
      scenario.maxRunSeconds = scenario.durationSeconds + 60;
    }
  }
  if (options.maxRunSeconds) scenario.maxRunSeconds = *options.maxRunSeconds;
  if (options.joinRatePerSecond) scenario.joinRatePerSecond = *options.joinRatePerSecond;
  if (options.lossPercent) scenario.impairment.lossPercent = *options.lossPercent;
  if (options.oneWayDelayMs) scenario.impairment.oneWayDelayMs = *options.oneWayDelayMs;
  if (options.controlMessages) scenario.control.messages = *options.controlMessages;
  if (options.controlRate) scenario.control.ratePerSecond = *options.controlRate;
  if (options.controlDataChannel) scenario.control.dataChannel = *options.controlDataChannel;
  scenario.thresholds.Merge(options.thresholds);
}

}  // namespace myriad::loadtest
