// myriad-bench-sctp: how late conference control messages arrive over a data channel
// (server/transport/SctpAssociation, usrsctp) on a lossy path, with the default
// SctpAssociation::Options against SCTP's own timer defaults (RFC 9260 16 / usrsctp's: RTO
// 3 s initial, 1 s min, 60 s max, SACKs delayed 200 ms or every second packet).
//
// Not a timing benchmark: two associations in this process, wired back to back through a link
// with a fixed one-way delay and random loss (seeded), driven by a simulated clock. usrsctp's
// timers advance through SctpStack::HandleTimers every --timer-ms (as the server's timer
// will); its RTT measurements read gettimeofday, which this program replaces with the same
// simulated clock, so measured RTTs are the simulated ones. The link and the traffic are
// seeded; usrsctp itself draws random numbers (heartbeat jitter, which moves RTT samples), so
// runs of one seed differ a little: each line pools --seeds runs (about +-0.2 points).
//
// Traffic: the server sends small messages (50..300 bytes) on one reliable ordered channel,
// Poisson arrivals at --rate per second; the client only answers with SACKs. A message's
// latency runs from Send to the client's OnDataChannelMessage. Reported per scenario and loss
// rate: the share delivered within 200 ms (the target: 99.5% at 5% loss and 60 ms RTT), the
// 50th/90th/99th percentile and maximum latency, and packets per message (retransmissions
// and SACKs included).
//
// Scenarios:
//  - "options": SctpAssociation::Options{} on both ends (our client, e.g. the load generator);
//  - "sctp-defaults": Options::SctpDefaults() on both ends;
//  - "options, RFC peer": our sender, a receiver that delays SACKs as RFC 9260 6.2 and browsers
//    do (200 ms, every second packet): what a browser peer makes of the server's timers.

#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <exception>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "server/transport/SctpAssociation.h"
#include "server/transport/SctpStack.h"

namespace {

// Simulated wall clock in microseconds since the epoch; negative until the first run.
std::atomic<long long> simulatedMicros{-1};

}  // namespace

// Interposes libc's gettimeofday for this program: usrsctp resolves the symbol to the
// executable's definition and computes RTTs from it.
extern "C" int gettimeofday(struct timeval* __restrict tv, void* __restrict /*tz*/) noexcept {
  long long micros = simulatedMicros.load();
  if (micros < 0) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    micros = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
  }
  tv->tv_sec = static_cast<time_t>(micros / 1000000);
  tv->tv_usec = static_cast<suseconds_t>(micros % 1000000);
  return 0;
}

namespace {

using myriad::server::transport::DtlsRole;
using myriad::server::transport::SctpAssociation;
using myriad::server::transport::SctpStack;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct Options {
  uint32_t seed = 1;
  int seeds = 3;  // runs per scenario and loss rate (seed, seed + 1, ...), pooled
  int messages = 10000;
  double ratePerSecond = 20;
  int oneWayDelayMs = 30;
  int timerMs = 10;
  std::vector<double> lossRates{0, 0.02, 0.05, 0.10};
  bool unordered = false;  // the channel's messages may overtake each other
  // Redundancy at the application layer: every message sent `copies` times on an unordered
  // channel, `copyGapMs` apart; the receiver keeps the first copy and hands messages to the
  // application in order (a message waits for all before it), as a control protocol with a
  // sequence number would. Latency is then to that in-order hand-over.
  int copies = 1;
  int copyGapMs = 0;
  // Overrides of SctpAssociation::Options for the "options" scenarios, to try alternatives.
  SctpAssociation::Options tuned;
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "myriad-bench-sctp: " << error << "\n";
  std::cerr << "usage: myriad-bench-sctp [--seed 1] [--seeds 3] [--messages 10000] [--rate 20]\n"
               "         [--one-way-ms 30] [--timer-ms 10] [--loss 0,0.02,0.05,0.1]\n"
               "         [--rto-initial MS] [--rto-min MS] [--rto-max MS] [--sack-delay MS]\n"
               "         [--sack-frequency N] [--max-burst N]   (the \"options\" scenarios)\n"
               "         [--unordered] [--copies N] [--copy-gap-ms MS]\n";
  std::exit(error.empty() ? 0 : 2);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help") Usage("");
    if (arg == "--seed") {
      options.seed = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--seeds") {
      options.seeds = std::stoi(value());
    } else if (arg == "--messages") {
      options.messages = std::stoi(value());
    } else if (arg == "--rate") {
      options.ratePerSecond = std::stod(value());
    } else if (arg == "--one-way-ms") {
      options.oneWayDelayMs = std::stoi(value());
    } else if (arg == "--timer-ms") {
      options.timerMs = std::stoi(value());
    } else if (arg == "--unordered") {
      options.unordered = true;
    } else if (arg == "--copies") {
      options.copies = std::stoi(value());
      options.unordered = options.unordered || options.copies > 1;
    } else if (arg == "--copy-gap-ms") {
      options.copyGapMs = std::stoi(value());
    } else if (arg == "--rto-initial") {
      options.tuned.rtoInitial = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--rto-min") {
      options.tuned.rtoMin = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--rto-max") {
      options.tuned.rtoMax = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--sack-delay") {
      options.tuned.sackDelay = std::chrono::milliseconds(std::stoi(value()));
    } else if (arg == "--sack-frequency") {
      options.tuned.sackFrequency = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--max-burst") {
      options.tuned.maxBurst = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--loss") {
      options.lossRates.clear();
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');) {
        options.lossRates.push_back(std::stod(item));
      }
    } else {
      Usage("unknown option " + arg);
    }
  }
  if (options.messages <= 0 || options.seeds <= 0 || options.ratePerSecond <= 0 ||
      options.timerMs <= 0 || options.oneWayDelayMs < 0 || options.lossRates.empty() ||
      options.copies < 1 || options.copyGapMs < 0) {
    Usage("values must be positive");
  }
  return options;
}

// The simulated clock: steady time for HandleTimers, wall time for gettimeofday.
class SimulatedTime {
 public:
  SimulatedTime() : steady_(Clock::now()) {
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    wallMicros_ = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
    simulatedMicros = wallMicros_;
  }
  Clock::time_point Now() const { return steady_; }
  void Advance(std::chrono::microseconds by) {
    steady_ += by;
    wallMicros_ += by.count();
    simulatedMicros = wallMicros_;
  }

 private:
  Clock::time_point steady_;
  long long wallMicros_ = 0;
};

// One direction of the path: fixed delay, independent random loss.
class Link {
 public:
  Link(uint32_t seed, double lossRate, Clock::duration delay)
      : random_(seed), lossRate_(lossRate), delay_(delay) {}
  void Send(std::span<const uint8_t> packet, Clock::time_point now) {
    ++sent;
    if (std::uniform_real_distribution<double>(0, 1)(random_) < lossRate_) return;
    queue_.push_back({now + delay_, std::vector<uint8_t>(packet.begin(), packet.end())});
  }
  template <typename Deliver>
  void DeliverDue(Clock::time_point now, Deliver deliver) {
    size_t count = queue_.size();
    while (count-- > 0 && !queue_.empty() && queue_.front().due <= now) {
      const std::vector<uint8_t> packet = std::move(queue_.front().bytes);
      queue_.pop_front();
      deliver(packet);
    }
  }
  size_t sent = 0;

 private:
  struct Packet {
    Clock::time_point due;
    std::vector<uint8_t> bytes;
  };
  std::mt19937 random_;
  double lossRate_;
  Clock::duration delay_;
  std::deque<Packet> queue_;
};

struct Endpoint : SctpAssociation::Listener {
  Link* link = nullptr;
  const SimulatedTime* time = nullptr;
  bool up = false;
  bool failed = false;
  bool peerOpened = false;
  std::vector<Clock::time_point>* sendTimes = nullptr;
  std::vector<std::optional<Clock::time_point>> arrivals;  // first copy of each message

  void OnSctpSendPacket(std::span<const uint8_t> packet) override {
    link->Send(packet, time->Now());
  }
  void OnSctpAssociationUp() override { up = true; }
  void OnSctpAssociationFailed(std::string_view) override { failed = true; }
  void OnSctpAssociationClosed() override { failed = true; }
  void OnDataChannelOpen(uint16_t, std::string_view, std::string_view) override {
    peerOpened = true;
  }
  void OnDataChannelMessage(uint16_t, std::span<const uint8_t> message, bool) override {
    // The first four bytes number the message.
    const uint32_t index = (uint32_t{message[0]} << 24) | (uint32_t{message[1]} << 16) |
                           (uint32_t{message[2]} << 8) | message[3];
    if (index < arrivals.size() && !arrivals[index]) {
      arrivals[index] = time->Now();
      ++delivered;
    }
  }
  size_t delivered = 0;
  // Latency per delivered message; with `inOrder` a message counts as delivered only once all
  // before it are (an application that processes messages in sequence).
  std::vector<double> LatenciesMs(bool inOrder) const {
    std::vector<double> latencies;
    std::optional<Clock::time_point> previous;
    for (size_t i = 0; i < arrivals.size(); ++i) {
      if (!arrivals[i]) {
        if (inOrder) break;
        continue;
      }
      Clock::time_point at = *arrivals[i];
      if (inOrder && previous && *previous > at) at = *previous;
      previous = at;
      latencies.push_back(std::chrono::duration<double, std::milli>(at - (*sendTimes)[i]).count());
    }
    return latencies;
  }
  void OnDataChannelClosed(uint16_t) override {}
};

struct Scenario {
  std::string name;
  SctpAssociation::Options sender;
  SctpAssociation::Options receiver;
};

// What one run (one seed) measured.
struct RunData {
  std::vector<double> latenciesMs;  // of the delivered messages
  size_t sent = 0;
  size_t packets = 0;  // both directions, from the first message on
  double rtoSumMs = 0;
  double srttSumMs = 0;
  int pathSamples = 0;
  bool failed = false;
};

// The seeds of one scenario and loss rate together.
struct Result {
  double within200 = 0;
  double p50 = 0;
  double p90 = 0;
  double p99 = 0;
  double max = 0;
  double packetsPerMessage = 0;
  double meanRtoMs = 0;  // the sender's RTO, sampled every 100 ms
  double meanSrttMs = 0;
  bool failed = false;
};

double Percentile(const std::vector<double>& sorted, size_t total, double fraction) {
  // Undelivered messages count as infinitely late.
  const auto rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(total)));
  if (rank == 0) return sorted.empty() ? INFINITY : sorted.front();
  return rank <= sorted.size() ? sorted[rank - 1] : INFINITY;
}

void RunTasks(std::deque<std::function<void()>>& tasks) {
  while (!tasks.empty()) {
    const std::function<void()> task = std::move(tasks.front());
    tasks.pop_front();
    task();
  }
}

RunData Run(const Scenario& scenario, double lossRate, uint32_t seed, const Options& options) {
  SimulatedTime time;
  std::deque<std::function<void()>> tasks;
  const SctpStack::Post post = [&tasks](std::function<void()> task) {
    tasks.push_back(std::move(task));
  };
  const auto delay = std::chrono::milliseconds(options.oneWayDelayMs);
  Link serverToClient(seed * 2 + 1, lossRate, delay);
  Link clientToServer(seed * 2 + 2, lossRate, delay);
  std::vector<Clock::time_point> sendTimes(static_cast<size_t>(options.messages));
  Endpoint serverEndpoint;
  Endpoint clientEndpoint;
  for (Endpoint* endpoint : {&serverEndpoint, &clientEndpoint}) {
    endpoint->time = &time;
    endpoint->sendTimes = &sendTimes;
    endpoint->arrivals.resize(sendTimes.size());
  }
  serverEndpoint.link = &serverToClient;
  clientEndpoint.link = &clientToServer;
  auto server =
      std::make_unique<SctpAssociation>(DtlsRole::kServer, serverEndpoint, post, scenario.sender);
  auto client =
      std::make_unique<SctpAssociation>(DtlsRole::kClient, clientEndpoint, post, scenario.receiver);
  SctpStack& stack = SctpStack::Instance();
  stack.HandleTimers(time.Now());
  RunData data;
  data.sent = sendTimes.size();
  const auto finish = [&] {
    data.failed = data.failed || serverEndpoint.failed || clientEndpoint.failed;
    data.latenciesMs = clientEndpoint.LatenciesMs(/*inOrder=*/options.copies > 1);
    client.reset();
    server.reset();
    RunTasks(tasks);  // tasks for the destroyed associations find nothing
    return data;
  };
  if (!server->Start() || !client->Start()) {
    data.failed = true;
    return finish();
  }

  const auto timerInterval = std::chrono::milliseconds(options.timerMs);
  Clock::time_point nextTimers = time.Now() + timerInterval;
  const auto step = [&] {
    time.Advance(1ms);
    serverToClient.DeliverDue(
        time.Now(), [&](const std::vector<uint8_t>& packet) { client->ProcessSctpPacket(packet); });
    clientToServer.DeliverDue(
        time.Now(), [&](const std::vector<uint8_t>& packet) { server->ProcessSctpPacket(packet); });
    if (time.Now() >= nextTimers) {
      stack.HandleTimers(time.Now());
      nextTimers += timerInterval;
    }
    RunTasks(tasks);
  };
  const auto runUntil = [&](const auto& done, Clock::duration limit) {
    const auto end = time.Now() + limit;
    while (!done() && time.Now() < end) step();
    return done();
  };

  // Set-up goes through the same lossy link.
  if (!runUntil([&] { return serverEndpoint.up && clientEndpoint.up; }, 300s)) {
    data.failed = true;
    return finish();
  }
  SctpAssociation::DataChannelOptions channelOptions;
  channelOptions.ordered = !options.unordered;
  const auto channel = server->OpenDataChannel("control", "myriad", channelOptions);
  if (!channel || !runUntil([&] { return clientEndpoint.peerOpened; }, 300s)) {
    data.failed = true;
    return finish();
  }

  const size_t packetsBefore = serverToClient.sent + clientToServer.sent;
  struct PendingCopy {
    Clock::time_point due;
    std::vector<uint8_t> message;
  };
  std::deque<PendingCopy> pendingCopies;  // due times ascend: gaps are fixed
  const auto sendDueCopies = [&] {
    while (!pendingCopies.empty() && pendingCopies.front().due <= time.Now()) {
      server->Send(*channel, pendingCopies.front().message, true);
      pendingCopies.pop_front();
    }
  };
  std::mt19937 random(seed);
  std::exponential_distribution<double> gap(options.ratePerSecond);
  std::uniform_int_distribution<size_t> size(50, 300);
  auto nextSend = time.Now();
  auto nextSample = time.Now();
  for (size_t i = 0; i < sendTimes.size(); ++i) {
    nextSend +=
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(random)));
    while (time.Now() < nextSend) {
      step();
      sendDueCopies();
      if (time.Now() >= nextSample) {
        nextSample += 100ms;
        if (const auto path = server->GetPathStatus()) {
          data.rtoSumMs += static_cast<double>(path->rto.count());
          data.srttSumMs += static_cast<double>(path->smoothedRtt.count());
          ++data.pathSamples;
        }
      }
    }
    std::vector<uint8_t> message(size(random), static_cast<uint8_t>(i));
    const auto index = static_cast<uint32_t>(i);
    message[0] = static_cast<uint8_t>(index >> 24);
    message[1] = static_cast<uint8_t>(index >> 16);
    message[2] = static_cast<uint8_t>(index >> 8);
    message[3] = static_cast<uint8_t>(index);
    sendTimes[i] = time.Now();
    server->Send(*channel, message, true);
    for (int copy = 1; copy < options.copies; ++copy) {
      pendingCopies.push_back(
          {time.Now() + std::chrono::milliseconds(copy * options.copyGapMs), message});
    }
    sendDueCopies();
  }
  runUntil(
      [&] {
        sendDueCopies();
        return clientEndpoint.delivered == sendTimes.size();
      },
      120s);
  data.packets = serverToClient.sent + clientToServer.sent - packetsBefore;
  return finish();
}

Result Summarize(const std::vector<RunData>& runs) {
  Result result;
  std::vector<double> sorted;
  size_t total = 0;
  size_t packets = 0;
  double rtoSum = 0;
  double srttSum = 0;
  int samples = 0;
  for (const RunData& run : runs) {
    sorted.insert(sorted.end(), run.latenciesMs.begin(), run.latenciesMs.end());
    total += run.sent;
    packets += run.packets;
    rtoSum += run.rtoSumMs;
    srttSum += run.srttSumMs;
    samples += run.pathSamples;
    result.failed = result.failed || run.failed;
  }
  std::sort(sorted.begin(), sorted.end());
  if (total == 0) return result;
  const auto within =
      static_cast<size_t>(std::upper_bound(sorted.begin(), sorted.end(), 200.0) - sorted.begin());
  result.within200 = static_cast<double>(within) / static_cast<double>(total);
  result.p50 = Percentile(sorted, total, 0.50);
  result.p90 = Percentile(sorted, total, 0.90);
  result.p99 = Percentile(sorted, total, 0.99);
  result.max = sorted.size() == total && !sorted.empty() ? sorted.back() : INFINITY;
  result.packetsPerMessage = static_cast<double>(packets) / static_cast<double>(total);
  if (samples > 0) {
    result.meanRtoMs = rtoSum / samples;
    result.meanSrttMs = srttSum / samples;
  }
  return result;
}

std::string Describe(const SctpAssociation::Options& options) {
  std::ostringstream text;
  text << "RTO initial/min/max " << options.rtoInitial.count() << "/" << options.rtoMin.count()
       << "/" << options.rtoMax.count() << " ms, SACK every " << options.sackFrequency
       << " packet(s) or " << options.sackDelay.count() << " ms";
  return text.str();
}

int RunAll(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  const SctpAssociation::Options ours = options.tuned;
  const SctpAssociation::Options defaults = SctpAssociation::Options::SctpDefaults();
  SctpAssociation::Options rfcPeer = ours;
  rfcPeer.sackDelay = 200ms;
  rfcPeer.sackFrequency = 2;
  const std::vector<Scenario> scenarios{{"options", ours, ours},
                                        {"sctp-defaults", defaults, defaults},
                                        {"options, RFC peer", ours, rfcPeer}};
  std::printf(
      "myriad-bench-sctp: %d messages of 50..300 bytes, Poisson %.0f/s, server -> "
      "client, %s channel, %d cop%s %d ms apart\n",
      options.messages, options.ratePerSecond, options.unordered ? "unordered" : "ordered",
      options.copies, options.copies == 1 ? "y" : "ies", options.copyGapMs);
  std::printf("one-way delay %d ms (RTT %d ms), HandleTimers every %d ms, seeds %u..%u pooled\n",
              options.oneWayDelayMs, 2 * options.oneWayDelayMs, options.timerMs, options.seed,
              options.seed + static_cast<uint32_t>(options.seeds) - 1);
  std::printf("  options:       %s\n", Describe(ours).c_str());
  std::printf("  sctp-defaults: %s\n", Describe(defaults).c_str());
  std::printf("  RFC peer:      the receiver SACKs every 2 packets or 200 ms\n\n");
  std::printf("%-18s %5s  %9s  %8s %8s %8s %8s  %8s  %8s %8s\n", "scenario", "loss", "<=200ms",
              "p50", "p90", "p99", "max", "pkts/msg", "srtt", "rto");
  for (const Scenario& scenario : scenarios) {
    for (const double loss : options.lossRates) {
      std::vector<RunData> runs;
      runs.reserve(static_cast<size_t>(options.seeds));
      for (int i = 0; i < options.seeds; ++i) {
        runs.push_back(Run(scenario, loss, options.seed + static_cast<uint32_t>(i), options));
      }
      const Result result = Summarize(runs);
      std::printf(
          "%-18s %4.0f%%  %8.2f%%  %6.0fms %6.0fms %6.0fms %6.0fms  %8.2f  %6.0fms %6.0fms%s\n",
          scenario.name.c_str(), loss * 100, result.within200 * 100, result.p50, result.p90,
          result.p99, result.max, result.packetsPerMessage, result.meanSrttMs, result.meanRtoMs,
          result.failed ? "  (association failed)" : "");
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return RunAll(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "myriad-bench-sctp: %s\n", e.what());
  }
  return 1;
}
