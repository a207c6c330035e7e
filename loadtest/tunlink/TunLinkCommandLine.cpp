#include "loadtest/tunlink/TunLinkCommandLine.h"

#include "loadtest/CommandLineArguments.h"

namespace myriad::loadtest {
namespace {

bool ParseCount(const std::string& text, uint64_t& out, uint64_t min, uint64_t max) {
  return CommandLineArguments::ParseInteger(text, min, max, out);
}

bool ParseNumber(const std::string& text, double& out, double max) {
  return CommandLineArguments::ParseNumber(text, 0, max, out);
}

// splitmix64's finalizer: the two directions get unrelated loss patterns
// from one seed.
uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

constexpr double kMaxDelayMs = 10'000;

}  // namespace

std::string TunLinkCommandLine::Usage() {
  return "usage: myriad-tunlink --netns NAME [--root-dev NAME] [--netns-dev NAME]\n"
         "                      [--delay-ms MS] [--loss-percent P] [--only tcp|udp|all]\n"
         "                      [--to-netns-delay-ms MS] [--to-netns-loss-percent P]\n"
         "                      [--from-netns-delay-ms MS] [--from-netns-loss-percent P]\n"
         "                      [--seed N] [--queue-packets N] [--duration-seconds S]\n"
         "Joins a TUN device in the root network namespace (--root-dev, default myrtun0) and\n"
         "one in network namespace NAME (/var/run/netns/NAME; --netns-dev, default myrtun1)\n"
         "back to back, and impairs the IPv4 packets --only selects (default all) with a fixed\n"
         "one-way delay and independent random loss in each direction (seeded), so that real\n"
         "kernel TCP meets them: the kernel has no netem. Other packets pass at once.\n"
         "--delay-ms and --loss-percent set both directions; the --to-netns-* and\n"
         "--from-netns-* flags set one. Prints \"ready\" once both devices exist (configure\n"
         "their addresses then), runs until SIGINT/SIGTERM or --duration-seconds, and prints\n"
         "its counters on exit. Needs root (CAP_NET_ADMIN). Exit status: 0 done, 2 usage or\n"
         "setup error (no /dev/net/tun, no such namespace, not permitted).\n";
}

std::optional<TunLinkCommandLine::Options> TunLinkCommandLine::Parse(
    const std::vector<std::string>& arguments, std::string* error) {
  Options options;
  std::optional<double> delayMs, lossPercent, toDelayMs, toLossPercent, fromDelayMs,
      fromLossPercent;
  TunPacketFilter::Selection only = TunPacketFilter::Selection::kAll;
  CommandLineArguments walk(arguments);
  while (walk.Next()) {
    const std::string& flag = walk.Flag();
    const auto bad = [&](const std::string& text, const std::string& what) {
      return walk.Bad(text, what, error);
    };
    if (flag == "--help" || flag == "-h") {
      options.help = true;
      continue;
    }
    const auto text = walk.Value(error);
    if (!text) return std::nullopt;
    if (flag == "--netns" || flag == "--root-dev" || flag == "--netns-dev") {
      if (text->empty()) return bad(*text, "a name");
      if (flag == "--netns") options.netns = *text;
      if (flag == "--root-dev") options.rootDevice = *text;
      if (flag == "--netns-dev") options.netnsDevice = *text;
    } else if (flag == "--delay-ms" || flag == "--to-netns-delay-ms" ||
               flag == "--from-netns-delay-ms") {
      double number = 0;
      if (!ParseNumber(*text, number, kMaxDelayMs)) return bad(*text, "0..10000 ms");
      if (flag == "--delay-ms") delayMs = number;
      if (flag == "--to-netns-delay-ms") toDelayMs = number;
      if (flag == "--from-netns-delay-ms") fromDelayMs = number;
    } else if (flag == "--loss-percent" || flag == "--to-netns-loss-percent" ||
               flag == "--from-netns-loss-percent") {
      double number = 0;
      if (!ParseNumber(*text, number, 100)) return bad(*text, "a percentage");
      if (flag == "--loss-percent") lossPercent = number;
      if (flag == "--to-netns-loss-percent") toLossPercent = number;
      if (flag == "--from-netns-loss-percent") fromLossPercent = number;
    } else if (flag == "--only") {
      const auto selection = TunPacketFilter::ParseSelection(*text);
      if (!selection) return bad(*text, "tcp, udp or all");
      only = *selection;
    } else if (flag == "--seed") {
      if (!ParseCount(*text, options.seed, 0, UINT64_MAX)) return bad(*text, "an integer");
    } else if (flag == "--queue-packets") {
      uint64_t count = 0;
      if (!ParseCount(*text, count, 1, 1 << 20)) return bad(*text, "1..1048576");
      options.link.queuePackets = count;
    } else if (flag == "--duration-seconds") {
      if (!ParseNumber(*text, options.durationSeconds, 86400 * 365.0)) {
        return bad(*text, "a non-negative number of seconds");
      }
    } else {
      *error = "unknown option " + flag;
      return std::nullopt;
    }
  }
  if (options.help) return options;
  if (options.netns.empty()) {
    *error = "--netns NAME is required";
    return std::nullopt;
  }
  if (options.rootDevice == options.netnsDevice) {
    // Legal in two namespaces, but a name per side keeps `ip` output clear.
    *error = "--root-dev and --netns-dev must differ";
    return std::nullopt;
  }
  const auto set = [&](TunImpairment::Options& direction, const std::optional<double>& ownDelay,
                       const std::optional<double>& ownLoss, uint64_t stream) {
    const double ms = ownDelay.value_or(delayMs.value_or(0));
    direction.delay = std::chrono::microseconds(std::llround(ms * 1000));
    direction.lossRate = ownLoss.value_or(lossPercent.value_or(0)) / 100;
    direction.only = only;
    direction.seed = MixSeed(options.seed, stream);
  };
  set(options.link.toNetns, toDelayMs, toLossPercent, 0);
  set(options.link.fromNetns, fromDelayMs, fromLossPercent, 1);
  return options;
}

}  // namespace myriad::loadtest
