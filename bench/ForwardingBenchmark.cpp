// myriad-bench-forwarding: server CPU time per forwarded packet.
//
// Starts the real server binary (one media worker), connects one publisher
// and N subscribers built from the project's own WebRTC client (real ICE,
// DTLS and SRTP over loopback), sends video-sized RTP packets at a fixed rate
// and reads the server's CPU time from /proc/<pid>/task/*/schedstat before
// and after. Reports server CPU microseconds per forwarded packet and the
// loss seen by the subscribers.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "server/transport/SrtpSession.h"

namespace {

using namespace std::chrono_literals;
using myriad::loadtest::RunUntil;
using myriad::loadtest::SyntheticMediaSource;
using myriad::loadtest::WebRtcClient;

struct Options {
  std::string serverBinary = MYRIAD_SERVER_BINARY;
  std::vector<int> subscriberCounts{1, 10, 100};
  int packetsPerSecond = 1000;
  int seconds = 10;
  size_t packetSize = 1200;
  std::string jsonPath;
  bool floor = true;
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "myriad-bench-forwarding: " << error << "\n";
  std::cerr << "usage: myriad-bench-forwarding [--server BIN] [--subscribers 1,10,100]\n"
               "         [--rate PACKETS_PER_SECOND] [--seconds N] [--packet-size BYTES]\n"
               "         [--json FILE] [--no-floor]\n";
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
    if (arg == "--server") {
      options.serverBinary = value();
    } else if (arg == "--subscribers") {
      options.subscriberCounts.clear();
      std::stringstream list(value());
      for (std::string item; std::getline(list, item, ',');) {
        options.subscriberCounts.push_back(std::stoi(item));
      }
    } else if (arg == "--rate") {
      options.packetsPerSecond = std::stoi(value());
    } else if (arg == "--seconds") {
      options.seconds = std::stoi(value());
    } else if (arg == "--packet-size") {
      options.packetSize = static_cast<size_t>(std::stoul(value()));
    } else if (arg == "--no-floor") {
      options.floor = false;
    } else if (arg == "--json") {
      options.jsonPath = value();
    } else {
      Usage("unknown option " + arg);
    }
  }
  return options;
}

uint16_t FreeTcpPort() {
  boost::asio::io_context context;
  boost::asio::ip::tcp::acceptor acceptor(context, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return acceptor.local_endpoint().port();
}

// Server process CPU time (user + system, all threads) in nanoseconds, from
// the scheduler's per-task accounting (finer than the 10 ms ticks of
// /proc/<pid>/stat).
uint64_t ProcessCpuNs(pid_t pid) {
  uint64_t total = 0;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream in(task.path() / "schedstat");
    uint64_t runtime = 0;
    if (in >> runtime) total += runtime;
  }
  return total;
}

struct ServerProcess {
  pid_t pid = -1;
  uint16_t httpPort = 0;

  bool Start(const std::string& binary, std::string* error) {
    httpPort = FreeTcpPort();
    pid = ::fork();
    if (pid < 0) {
      *error = "fork failed";
      return false;
    }
    if (pid == 0) {
      const std::string port = std::to_string(httpPort);
      ::setenv("MYRIAD_HTTP_PORT", port.c_str(), 1);
      ::setenv("MYRIAD_MEDIA_PORT_BASE", "0", 1);
      ::setenv("MYRIAD_MEDIA_WORKERS", "1", 1);
      ::setenv("MYRIAD_LOG_LEVEL", "warn", 1);
      ::setenv("MYRIAD_DRAIN_GRACE_PERIOD_S", "0", 1);
      ::execl(binary.c_str(), binary.c_str(), static_cast<char*>(nullptr));
      std::perror("exec myriad");
      ::_exit(127);
    }
    // Ready when /metrics answers (bounded wait: a benchmark, not a test).
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (std::chrono::steady_clock::now() < deadline) {
      std::string ignored;
      if (myriad::loadtest::MetricsScraper::Fetch("127.0.0.1", httpPort, 500ms, &ignored)) {
        return true;
      }
      int status = 0;
      if (::waitpid(pid, &status, WNOHANG) == pid) {
        *error = "the server exited during start-up";
        pid = -1;
        return false;
      }
      std::this_thread::sleep_for(50ms);
    }
    *error = "the server did not answer within 15 s";
    return false;
  }

  void Stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    int status = 0;
    ::waitpid(pid, &status, 0);
    pid = -1;
  }
  ~ServerProcess() { Stop(); }
};

int64_t ThreadCpuNs() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec;
}

// The floor this machine sets for forwarding one packet: SRTP-protecting it
// (AEAD_AES_128_GCM, as browsers negotiate) and sending it over loopback with
// sendmmsg in batches of 64, measured on this thread's CPU clock right now, so
// the forwarding cost can be reported as a ratio to it.
struct Floor {
  double srtpUs = 0;
  double sendUs = 0;
};

Floor MeasureFloor(size_t packetSize) {
  using myriad::server::transport::SrtpProfile;
  using myriad::server::transport::SrtpSession;
  constexpr int kPackets = 200'000;
  Floor floor;
  {
    std::array<uint8_t, 28> key{};
    for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 7 + 1);
    auto session =
        SrtpSession::Create(SrtpProfile::kAeadAes128Gcm, SrtpSession::Direction::kOutbound, key);
    std::vector<uint8_t> packet(packetSize + SrtpSession::kMaxTrailer, 0xAB);
    const int64_t start = ThreadCpuNs();
    for (int i = 0; i < kPackets; ++i) {
      packet[0] = 0x80;
      packet[1] = 96;
      packet[2] = static_cast<uint8_t>(i >> 8);
      packet[3] = static_cast<uint8_t>(i);
      packet[8] = 0x11;  // SSRC
      if (session->ProtectRtp(packet, packetSize) == 0) break;
    }
    floor.srtpUs = static_cast<double>(ThreadCpuNs() - start) / 1e3 / kPackets;
  }
  {
    const int receiver = ::socket(AF_INET, SOCK_DGRAM, 0);
    const int sender = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(receiver, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      std::perror("bind");
      return floor;
    }
    socklen_t length = sizeof(address);
    ::getsockname(receiver, reinterpret_cast<sockaddr*>(&address), &length);
    const int bufferBytes = 64 * 1024 * 1024;
    ::setsockopt(receiver, SOL_SOCKET, SO_RCVBUF, &bufferBytes, sizeof(bufferBytes));
    std::atomic<bool> done{false};
    std::thread drain([&] {
      std::vector<uint8_t> sink(2048);
      while (!done.load()) ::recv(receiver, sink.data(), sink.size(), MSG_DONTWAIT);
    });
    constexpr size_t kBatch = 64;
    std::vector<uint8_t> payload(packetSize, 0x5A);
    std::array<iovec, kBatch> iov{};
    std::array<mmsghdr, kBatch> messages{};
    for (size_t i = 0; i < kBatch; ++i) {
      iov[i] = iovec{payload.data(), payload.size()};
      messages[i].msg_hdr.msg_name = &address;
      messages[i].msg_hdr.msg_namelen = sizeof(address);
      messages[i].msg_hdr.msg_iov = &iov[i];
      messages[i].msg_hdr.msg_iovlen = 1;
    }
    const int64_t start = ThreadCpuNs();
    int sent = 0;
    while (sent < kPackets) {
      const int n = ::sendmmsg(sender, messages.data(), kBatch, 0);
      if (n <= 0) break;
      sent += n;
    }
    floor.sendUs = static_cast<double>(ThreadCpuNs() - start) / 1e3 / std::max(sent, 1);
    done = true;
    drain.join();
    ::close(sender);
    ::close(receiver);
  }
  return floor;
}

struct RunResult {
  int subscribers = 0;
  uint64_t sent = 0;
  uint64_t received = 0;
  double lossPercent = 0;
  double serverCpuMs = 0;
  double cpuUsPerForwarded = 0;
  size_t packetBytes = 0;
};

bool Await(boost::asio::io_context& context, const std::function<bool()>& done,
           std::chrono::milliseconds timeout, const std::string& what, std::string* error) {
  if (RunUntil(context, done, timeout)) return true;
  *error = "timed out waiting for " + what;
  return false;
}

std::optional<RunResult> RunOnce(const Options& options, int subscriberCount, std::string* error) {
  ServerProcess server;
  if (!server.Start(options.serverBinary, error)) return std::nullopt;

  boost::asio::io_context context;
  auto makeClient = [&](uint32_t seed) {
    WebRtcClient::Options clientOptions;
    clientOptions.port = server.httpPort;
    clientOptions.seed = seed;
    return std::make_unique<WebRtcClient>(context, clientOptions);
  };
  const std::string room = "bench";
  std::string failure;
  auto record = [&failure](const std::string& e) {
    if (!e.empty() && failure.empty()) failure = e;
  };

  auto publisher = makeClient(1);
  int pending = 1;
  publisher->Join(room, "publisher", [&](const std::string& e) {
    record(e);
    publisher->Publish({/*audio=*/false, /*video=*/true}, [&](const std::string& e2) {
      record(e2);
      --pending;
    });
  });
  if (!Await(
          context, [&] { return pending == 0 || !failure.empty(); }, 15s, "the publisher", error)) {
    return std::nullopt;
  }
  const auto* video = publisher->PublishedTrack("video");
  if (!failure.empty() || !video) {
    *error = failure.empty() ? "no video track" : failure;
    return std::nullopt;
  }
  const std::string trackId = video->trackId;

  std::vector<std::unique_ptr<WebRtcClient>> subscribers;
  std::vector<uint64_t> receivedBy(static_cast<size_t>(subscriberCount), 0);
  pending = subscriberCount;
  for (int i = 0; i < subscriberCount; ++i) {
    subscribers.push_back(makeClient(static_cast<uint32_t>(100 + i)));
    WebRtcClient& client = *subscribers.back();
    client.SetRtpHandler(
        [&receivedBy, i](myriad::rtp::RtpPacket&) { ++receivedBy[static_cast<size_t>(i)]; });
    client.Join(room, "subscriber-" + std::to_string(i),
                [&, &client = client](const std::string& e) {
                  record(e);
                  client.Subscribe(trackId, [&](const std::string& e2) {
                    record(e2);
                    --pending;
                  });
                });
  }
  if (!Await(
          context, [&] { return pending == 0 || !failure.empty(); }, 60s, "the subscribers",
          error)) {
    return std::nullopt;
  }
  if (!failure.empty()) {
    *error = failure;
    return std::nullopt;
  }
  if (!Await(
          context,
          [&] {
            return publisher->IsConnected() &&
                   std::all_of(subscribers.begin(), subscribers.end(),
                               [](const auto& c) { return c->IsConnected(); });
          },
          30s, "every transport to connect", error)) {
    return std::nullopt;
  }

  // Synthetic video of the requested packet size.
  auto config = publisher->SourceConfigFor(*video, 7);
  config.minPayloadSize = config.maxPayloadSize =
      options.packetSize > 60 ? options.packetSize - 40 : 20;
  SyntheticMediaSource source(config);
  std::array<uint8_t, 1600> buffer{};
  size_t packetBytes = 0;
  uint64_t sent = 0;
  auto sendOne = [&] {
    const int64_t nowUs = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count();
    const auto packet = source.NextPacket(buffer, publisher->NextTransportSequence(), nowUs);
    packetBytes = packet.size();
    if (publisher->SendRtp(packet)) ++sent;
  };

  // Warm-up: every subscriber has received something before we measure.
  for (int i = 0; i < 50; ++i) sendOne();
  if (!Await(
          context,
          [&] {
            return std::all_of(receivedBy.begin(), receivedBy.end(),
                               [](uint64_t n) { return n > 0; });
          },
          10s, "warm-up packets at every subscriber", error)) {
    return std::nullopt;
  }
  myriad::loadtest::RunFor(context, 300ms);
  std::fill(receivedBy.begin(), receivedBy.end(), 0);
  sent = 0;

  const uint64_t cpuBefore = ProcessCpuNs(server.pid);
  const uint64_t total = static_cast<uint64_t>(options.packetsPerSecond) * options.seconds;
  const auto start = std::chrono::steady_clock::now();
  boost::asio::steady_timer pacer(context);
  std::function<void()> tick = [&] {
    // Send what the schedule says is due by now (1 ms granularity).
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const uint64_t due =
        std::min<uint64_t>(total, static_cast<uint64_t>(elapsed * options.packetsPerSecond) + 1);
    while (sent < due) sendOne();
    if (sent < total) {
      pacer.expires_after(1ms);
      pacer.async_wait([&](const boost::system::error_code& ec) {
        if (!ec) tick();
      });
    }
  };
  tick();
  const uint64_t expected = total * static_cast<uint64_t>(subscriberCount);
  auto receivedTotal = [&] {
    uint64_t sum = 0;
    for (const uint64_t n : receivedBy) sum += n;
    return sum;
  };
  RunUntil(
      context, [&] { return sent >= total && receivedTotal() >= expected; },
      std::chrono::seconds(options.seconds + 5));
  myriad::loadtest::RunFor(context, 200ms);  // late packets still count
  const uint64_t cpuAfter = ProcessCpuNs(server.pid);

  RunResult result;
  result.subscribers = subscriberCount;
  result.sent = sent;
  result.received = receivedTotal();
  result.packetBytes = packetBytes;
  result.lossPercent =
      expected == 0
          ? 0
          : 100.0 * (1.0 - static_cast<double>(result.received) / static_cast<double>(expected));
  result.serverCpuMs = static_cast<double>(cpuAfter - cpuBefore) / 1e6;
  result.cpuUsPerForwarded = result.received == 0 ? 0
                                                  : static_cast<double>(cpuAfter - cpuBefore) /
                                                        1e3 / static_cast<double>(result.received);
  return result;
}

int Run(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  nlohmann::json report = nlohmann::json::array();
  double floorUs = 0;
  if (options.floor) {
    const Floor floor = MeasureFloor(options.packetSize);
    floorUs = floor.srtpUs + floor.sendUs;
    std::printf(
        "floor on this machine now: SRTP-GCM protect %.3f us + loopback sendmmsg %.3f us = %.3f us "
        "per packet\n",
        floor.srtpUs, floor.sendUs, floorUs);
    report.push_back({{"floor_srtp_gcm_us", floor.srtpUs}, {"floor_sendmmsg_us", floor.sendUs}});
  }
  std::printf("%-12s %10s %12s %8s %14s %18s %10s\n", "subscribers", "sent", "received", "loss%",
              "server CPU ms", "CPU us/forwarded", "x floor");
  int exitCode = 0;
  for (const int count : options.subscriberCounts) {
    std::string error;
    const auto result = RunOnce(options, count, &error);
    if (!result) {
      std::fprintf(stderr, "run with %d subscribers failed: %s\n", count, error.c_str());
      exitCode = 1;
      continue;
    }
    std::printf("%-12d %10llu %12llu %8.3f %14.1f %18.3f %10.2f\n", result->subscribers,
                static_cast<unsigned long long>(result->sent),
                static_cast<unsigned long long>(result->received), result->lossPercent,
                result->serverCpuMs, result->cpuUsPerForwarded,
                floorUs > 0 ? result->cpuUsPerForwarded / floorUs : 0.0);
    std::fflush(stdout);
    report.push_back({{"subscribers", result->subscribers},
                      {"packet_bytes", result->packetBytes},
                      {"packets_sent", result->sent},
                      {"packets_received", result->received},
                      {"loss_percent", result->lossPercent},
                      {"server_cpu_ms", result->serverCpuMs},
                      {"server_cpu_us_per_forwarded_packet", result->cpuUsPerForwarded}});
  }
  if (!options.jsonPath.empty()) std::ofstream(options.jsonPath) << report.dump(2) << "\n";
  return exitCode;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "myriad-bench-forwarding: %s\n", e.what());
  }
  return 1;
}
