#include "loadtest/ImpairCommandLine.h"

#include <boost/asio/ip/address.hpp>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loadtest/CommandLineArguments.h"

namespace myriad::loadtest {
namespace {

bool ParseNumber(const std::string& text, double min, double max, double& out) {
  return CommandLineArguments::ParseNumber(text, min, max, out);
}

template <typename Integer>
bool ParseInteger(const std::string& text, Integer min, Integer max, Integer& out) {
  return CommandLineArguments::ParseInteger(text, min, max, out);
}

// "127.0.0.1:PORT" or "[::1]:PORT", loopback only.
std::optional<ImpairCommandLine::Endpoint> ParseLoopbackEndpoint(const std::string& text,
                                                                 uint16_t minPort,
                                                                 std::string* error) {
  const auto colon = text.rfind(':');
  uint16_t port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !ParseInteger<uint16_t>(text.substr(colon + 1), minPort, 65535, port)) {
    *error = "\"" + text + "\" is not ADDRESS:PORT";
    return std::nullopt;
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) {
    *error = "\"" + host + "\" is not an IP address";
    return std::nullopt;
  }
  if (!address.is_loopback()) {
    // The relay is a test tool: it must not become a forwarder to, or an
    // open port on, a real network.
    *error = address.to_string() + " is not a loopback address (127.0.0.0/8 or ::1 only)";
    return std::nullopt;
  }
  return ImpairCommandLine::Endpoint(address, port);
}

std::string Trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return "";
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

nlohmann::json DirectionJson(const ImpairmentRelay::DirectionCounters& counters) {
  return nlohmann::json{{"received", counters.received},
                        {"forwarded", counters.forwarded},
                        {"forwardedBytes", counters.forwardedBytes},
                        {"dropped", counters.Dropped()},
                        {"droppedQueueFull", counters.droppedQueueFull},
                        {"droppedRandomLoss", counters.droppedRandomLoss},
                        {"droppedBurstLoss", counters.droppedBurstLoss},
                        {"droppedLineFull", counters.droppedLineFull},
                        {"sendFailures", counters.sendFailures}};
}

}  // namespace

bool ImpairCommandLine::Set(const std::string& name, const std::string& value, Settings& settings,
                            std::string* error) {
  std::vector<LinkSettings*> links{&settings.uplink, &settings.downlink};
  std::string key = name;
  if (key.rfind("up-", 0) == 0) {
    links = {&settings.uplink};
    key = key.substr(3);
  } else if (key.rfind("down-", 0) == 0) {
    links = {&settings.downlink};
    key = key.substr(5);
  }
  const auto bad = [&](const std::string& what) {
    *error = name + ": \"" + value + "\" is not " + what;
    return false;
  };
  double number = 0;
  if (key == "kbps") {
    if (!ParseNumber(value, 0, 1e8, number)) return bad("a rate in kbit/s (0 = unlimited)");
    for (auto* link : links) link->kbps = number;
  } else if (key == "delay-ms" || key == "jitter-ms") {
    if (!ParseNumber(value, 0, 60000, number)) return bad("0..60000 ms");
    for (auto* link : links) (key == "delay-ms" ? link->delayMs : link->jitterMs) = number;
  } else if (key == "jitter-dist") {
    if (value != "uniform" && value != "normal") return bad("uniform or normal");
    for (auto* link : links) {
      link->jitterDistribution = value == "normal" ? LinkImpairment::JitterDistribution::kNormal
                                                   : LinkImpairment::JitterDistribution::kUniform;
    }
  } else if (key == "reorder") {
    if (value != "0" && value != "1") return bad("0 or 1");
    for (auto* link : links) link->reorder = value == "1";
  } else if (key == "loss") {
    if (!ParseNumber(value, 0, 1, number)) return bad("a probability 0..1");
    for (auto* link : links) link->loss = number;
  } else if (key == "burst") {
    if (!ParseNumber(value, 0, 1e6, number) || (number > 0 && number < 1)) {
      return bad("a mean burst length >= 1 packets (0 = independent losses)");
    }
    for (auto* link : links) link->burst = number;
  } else if (key == "queue-bytes") {
    uint64_t bytes = 0;
    if (!ParseInteger<uint64_t>(value, 0, 1'000'000'000, bytes)) {
      return bad("a byte count 0..1e9 (0 = unlimited)");
    }
    for (auto* link : links) link->queueBytes = bytes;
  } else {
    *error = "unknown setting " + name;
    return false;
  }
  return true;
}

std::optional<ImpairCommandLine::Settings> ImpairCommandLine::Parse(
    const std::vector<std::string>& arguments, std::string* error) {
  Settings settings;
  bool targetGiven = false;
  CommandLineArguments walk(arguments);
  while (walk.Next()) {
    const std::string& flag = walk.Flag();
    if (flag == "--help" || flag == "-h") {
      settings.help = true;
      continue;
    }
    if (flag.rfind("--", 0) != 0) {
      *error = "unexpected argument " + flag;
      return std::nullopt;
    }
    const auto valueGiven = walk.Value(error);
    if (!valueGiven) return std::nullopt;
    const std::string& value = *valueGiven;
    if (flag == "--target" || flag == "--listen") {
      std::string reason;
      const auto endpoint = ParseLoopbackEndpoint(value, flag == "--target" ? 1 : 0, &reason);
      if (!endpoint) {
        *error = flag + ": " + reason;
        return std::nullopt;
      }
      (flag == "--target" ? settings.target : settings.listen) = *endpoint;
      targetGiven = targetGiven || flag == "--target";
    } else if (flag == "--seed") {
      if (!ParseInteger<uint64_t>(value, 0, UINT64_MAX, settings.seed)) {
        *error = flag + ": \"" + value + "\" is not a non-negative integer";
        return std::nullopt;
      }
    } else if (flag == "--duration-s") {
      uint32_t seconds = 0;
      if (!ParseInteger<uint32_t>(value, 1, kMaxDurationSeconds, seconds)) {
        *error = flag + ": \"" + value + "\" is not 1.." + std::to_string(kMaxDurationSeconds);
        return std::nullopt;
      }
      settings.duration = std::chrono::seconds(seconds);
    } else if (!Set(flag.substr(2), value, settings, error)) {
      if (error->rfind("unknown setting", 0) == 0) *error = "unknown option " + flag;
      return std::nullopt;
    }
  }
  if (!targetGiven && !settings.help) {
    *error = "--target 127.0.0.1:PORT is required";
    return std::nullopt;
  }
  return settings;
}

ImpairCommandLine::Command ImpairCommandLine::ApplyCommand(const std::string& line,
                                                           Settings& settings) {
  const std::string text = Trim(line);
  if (text.empty() || text.front() == '#') return {};
  std::istringstream tokens(text);
  std::string name;
  std::string value;
  std::string extra;
  tokens >> name >> value >> extra;
  if (name == "stats" && value.empty()) return {Command::Kind::kStats, ""};
  if ((name == "quit" || name == "exit") && value.empty()) return {Command::Kind::kQuit, ""};
  if (value.empty() || !extra.empty()) {
    return {Command::Kind::kError, "expected `[up-|down-]SETTING VALUE`, `stats` or `quit`"};
  }
  std::string error;
  if (!Set(name, value, settings, &error)) return {Command::Kind::kError, error};
  return {Command::Kind::kChanged, "ok " + name + " " + value};
}

LinkImpairment::Options ImpairCommandLine::LinkOptionsOf(const LinkSettings& link, uint64_t seed) {
  LinkImpairment::Options options;
  options.rateBitsPerSecond = static_cast<uint64_t>(std::llround(link.kbps * 1000));
  options.queueLimitBytes = static_cast<size_t>(link.queueBytes);
  options.delay = std::chrono::microseconds(std::llround(link.delayMs * 1000));
  options.jitter = std::chrono::microseconds(std::llround(link.jitterMs * 1000));
  options.jitterDistribution = link.jitterDistribution;
  options.allowReorder = link.reorder;
  options.loss = link.burst > 0 ? GilbertElliottLoss::Bursty(link.loss, link.burst)
                                : GilbertElliottLoss::Independent(link.loss);
  options.seed = seed;
  return options;
}

ImpairmentRelay::PathOptions ImpairCommandLine::PathOptionsOf(const Settings& settings) {
  // The relay derives each mapping's and direction's generator from these.
  return ImpairmentRelay::PathOptions{LinkOptionsOf(settings.uplink, settings.seed),
                                      LinkOptionsOf(settings.downlink, settings.seed)};
}

ImpairmentRelay::Options ImpairCommandLine::RelayOptionsOf(const Settings& settings) {
  ImpairmentRelay::Options options;
  options.target = settings.target;
  options.listen = settings.listen;
  options.path = PathOptionsOf(settings);
  // A browser's bursts (a key frame is tens of packets) at a low rate cap
  // must meet the queue limit, not the line's capacity.
  options.lineCapacity = 8192;
  return options;
}

std::string ImpairCommandLine::StatsLine(const ImpairmentRelay::Counters& counters) {
  return nlohmann::json{{"uplink", DirectionJson(counters.uplink)},
                        {"downlink", DirectionJson(counters.downlink)},
                        {"mappings", counters.mappings},
                        {"mappingsRefused", counters.mappingsRefused}}
      .dump();
}

std::string ImpairCommandLine::Usage() {
  return "usage: myriad-impair --target 127.0.0.1:PORT [--listen 127.0.0.1:0] [--seed N]\n"
         "                     [--duration-s N] [link settings]\n"
         "A UDP relay on loopback with an impaired path (the kernel has no netem): point a\n"
         "client at the printed address instead of the server's; each client source gets its\n"
         "own back socket towards --target and its own links.\n"
         "Link settings, for both directions, or one with an up- (client -> server) or down-\n"
         "prefix (--up-kbps 300):\n"
         "  --kbps N          rate cap in kbit/s (0 = unlimited)\n"
         "  --queue-bytes N   the bottleneck's buffer, tail drop (0 = unlimited)\n"
         "  --delay-ms N      one-way delay\n"
         "  --jitter-ms N     +- jitter\n"
         "  --jitter-dist D   uniform (default) or normal (sigma = jitter / 2)\n"
         "  --reorder 0|1     let jitter reorder packets (default 0)\n"
         "  --loss P          loss probability 0..1\n"
         "  --burst N         mean loss-burst length in packets, Gilbert-Elliott (0 = "
         "independent)\n"
         "Prints `listening ADDRESS:PORT` once bound. Stdin, one command a line: a link setting\n"
         "without the dashes (`down-kbps 500`, `loss 0.05`; replies `ok ...` or `error ...`),\n"
         "`stats` (one JSON line of counters), `quit`. Exits on quit, EOF, SIGTERM, SIGINT or\n"
         "after --duration-s (default 600).\n";
}

}  // namespace myriad::loadtest
