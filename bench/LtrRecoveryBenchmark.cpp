// myriad-bench-ltr: loss recovery with long-term references against
// PLI-only (issue 5).
//
// Starts the real server binary and connects, over loopback, one publisher
// (LtrVideoSender: a VP8-shaped 30 fps stream, key frames `--key-packets`
// packets, other frames `--delta-packets`, every `--ltr-interval`-th frame a
// long-term reference) and N viewers (LtrVideoReceiver with its
// DependencyDecoder: NACK, then PLI when a frame stays undecodable,
// acknowledgements of decoded references). Every viewer's downlink goes
// through its own ImpairmentRelay with bursty Gilbert-Elliott loss (seeded
// per viewer) and a fixed one-way delay on both directions; the publisher's
// path is clean. Once every viewer decodes, the loss is switched on and the
// run measures for `--seconds`.
//
// Two modes, each on a fresh server: `ltr` (every client offers RPSI and the
// Dependency Descriptor; the server turns a viewer's PLI into "recover from"
// a reference every viewer acknowledged when it can) and `pli` (nobody
// offers them: every unrepaired loss costs every viewer a key frame).
//
// Reported per mode: stalls (intervals without a decodable frame at a
// viewer) over 2 s, 500 ms and 200 ms, in all and per viewer-minute; key
// frames and recovery frames the publisher sent; recover-from requests and
// PLIs it received; the share of frames sent that each viewer decoded; the
// publisher's bytes; the downlink loss the relays applied.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/ServerProcess.h"
#include "loadtest/client/FrameScheduler.h"
#include "loadtest/client/GilbertElliottLoss.h"
#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/LtrVideoReceiver.h"
#include "loadtest/client/LtrVideoSender.h"
#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/WebRtcClient.h"

namespace {

using namespace std::chrono_literals;
using myriad::loadtest::DependencyDecoder;
using myriad::loadtest::GilbertElliottLoss;
using myriad::loadtest::ImpairmentRelay;
using myriad::loadtest::LtrVideoReceiver;
using myriad::loadtest::LtrVideoSender;
using myriad::loadtest::MetricsScraper;
using myriad::loadtest::RunFor;
using myriad::loadtest::RunUntil;
using myriad::loadtest::ServerProcess;
using myriad::loadtest::WebRtcClient;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr int kFramesPerSecond = 30;

struct Options {
  std::string serverBinary = MYRIAD_SERVER_BINARY;
  int viewers = 20;
  int seconds = 60;
  double loss = 0.05;
  double burst = 3;  // mean loss-burst length, packets
  int delayMs = 20;  // one way, each direction of every viewer's path
  // The viewers' downlink bottleneck (0: none) and its buffer (0: unbounded).
  uint64_t downlinkKbps = 0;
  size_t queueBytes = 0;
  uint32_t ltrInterval = 15;
  uint16_t deltaPackets = 2;
  uint16_t keyPackets = 10;
  uint32_t seed = 1;
  std::vector<std::string> modes{"ltr", "pli"};
  std::string jsonPath;
};

[[noreturn]] void Usage() {
  std::cerr << "usage: myriad-bench-ltr [--server BIN] [--viewers N] [--seconds S]\n"
               "         [--loss RATE] [--burst PACKETS] [--delay-ms MS] [--ltr-interval N]\n"
               "         [--downlink-kbps N] [--queue-bytes N]\n"
               "         [--delta-packets N] [--key-packets N] [--seed N]\n"
               "         [--modes ltr,pli] [--json FILE]\n";
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (arg == "--server") {
      options.serverBinary = value();
    } else if (arg == "--viewers") {
      options.viewers = std::stoi(value());
    } else if (arg == "--seconds") {
      options.seconds = std::stoi(value());
    } else if (arg == "--loss") {
      options.loss = std::stod(value());
    } else if (arg == "--burst") {
      options.burst = std::stod(value());
    } else if (arg == "--delay-ms") {
      options.delayMs = std::stoi(value());
    } else if (arg == "--downlink-kbps") {
      options.downlinkKbps = std::stoull(value());
    } else if (arg == "--queue-bytes") {
      options.queueBytes = std::stoull(value());
    } else if (arg == "--ltr-interval") {
      options.ltrInterval = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--delta-packets") {
      options.deltaPackets = static_cast<uint16_t>(std::stoul(value()));
    } else if (arg == "--key-packets") {
      options.keyPackets = static_cast<uint16_t>(std::stoul(value()));
    } else if (arg == "--seed") {
      options.seed = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--modes") {
      options.modes.clear();
      std::string list = value();
      size_t start = 0;
      while (start <= list.size()) {
        const size_t end = std::min(list.find(',', start), list.size());
        const std::string mode = list.substr(start, end - start);
        if (mode != "ltr" && mode != "pli") Usage();
        options.modes.push_back(mode);
        start = end + 1;
      }
    } else if (arg == "--json") {
      options.jsonPath = value();
    } else {
      Usage();
    }
  }
  if (options.viewers < 1 || options.seconds < 1 || options.loss < 0 || options.loss >= 1) {
    Usage();
  }
  return options;
}

bool Await(boost::asio::io_context& context,
           const std::function<void(WebRtcClient::Callback)>& start, const std::string& what,
           std::string* error) {
  std::optional<std::string> result;
  start([&result](const std::string& e) { result = e; });
  if (!RunUntil(
          context, [&] { return result.has_value(); }, 15s)) {
    *error = "timed out: " + what;
    return false;
  }
  if (!result->empty()) *error = what + ": " + *result;
  return result->empty();
}

struct ModeResult {
  std::string mode;
  double seconds = 0;
  int viewers = 0;
  uint64_t stallsOver2s = 0;
  uint64_t stallsOver500Ms = 0;
  uint64_t stallsOver200Ms = 0;
  int64_t timeInStallsOver200MsMs = 0;
  int64_t longestStallMs = 0;  // over the whole run, warm-up included
  uint64_t framesSent = 0;
  uint64_t framesDecoded = 0;
  uint64_t keyFramesSent = 0;
  uint64_t recoveryFramesSent = 0;
  uint64_t recoverFromReceived = 0;
  uint64_t keyFrameRequestsReceived = 0;
  uint64_t acknowledgementsReceived = 0;
  uint64_t publisherBytes = 0;
  uint64_t keyFramesReceivedByViewers = 0;
  uint64_t viewerKeyFrameRequests = 0;
  uint64_t viewerNacks = 0;
  uint64_t packetsRepaired = 0;
  uint64_t downlinkPackets = 0;
  uint64_t downlinkLost = 0;
  uint64_t downlinkQueueDrops = 0;
  // The server's own counters (/metrics) at the end of the run.
  Json serverCounters = Json::object();

  double ViewerMinutes() const { return viewers * seconds / 60.0; }
  double DecodedPercent() const {
    const double expected = static_cast<double>(framesSent) * viewers;
    return expected > 0 ? 100.0 * static_cast<double>(framesDecoded) / expected : 0;
  }
  Json ToJson() const {
    const double minutes = ViewerMinutes();
    return Json{
        {"mode", mode},
        {"seconds", seconds},
        {"viewers", viewers},
        {"stallsOver2s", stallsOver2s},
        {"stallsOver500ms", stallsOver500Ms},
        {"stallsOver200ms", stallsOver200Ms},
        {"stallsOver2sPerViewerMinute", stallsOver2s / minutes},
        {"stallsOver500msPerViewerMinute", stallsOver500Ms / minutes},
        {"stallsOver200msPerViewerMinute", stallsOver200Ms / minutes},
        {"timeInStallsOver200msPercent",
         100.0 * static_cast<double>(timeInStallsOver200MsMs) / (minutes * 60'000.0)},
        {"longestStallMs", longestStallMs},
        {"framesSent", framesSent},
        {"framesDecodedPercent", DecodedPercent()},
        {"keyFramesSent", keyFramesSent},
        {"recoveryFramesSent", recoveryFramesSent},
        {"recoverFromReceived", recoverFromReceived},
        {"keyFrameRequestsReceived", keyFrameRequestsReceived},
        {"acknowledgementsReceived", acknowledgementsReceived},
        {"publisherBytes", publisherBytes},
        {"keyFramesReceivedByViewers", keyFramesReceivedByViewers},
        {"viewerKeyFrameRequests", viewerKeyFrameRequests},
        {"viewerNacks", viewerNacks},
        {"packetsRepaired", packetsRepaired},
        {"downlinkPackets", downlinkPackets},
        {"downlinkQueueDrops", downlinkQueueDrops},
        {"server", serverCounters},
        {"downlinkLossPercent", downlinkPackets > 0 ? 100.0 * static_cast<double>(downlinkLost) /
                                                          static_cast<double>(downlinkPackets)
                                                    : 0.0}};
  }
};

struct Viewer {
  std::unique_ptr<WebRtcClient> client;
  std::unique_ptr<LtrVideoReceiver> receiver;
  DependencyDecoder::Stats atStart;
};

std::optional<ModeResult> RunMode(const Options& options, const std::string& mode,
                                  std::string* error) {
  const bool ltr = mode == "ltr";
  ServerProcess server;
  ServerProcess::Options serverOptions;
  serverOptions.binary = options.serverBinary;
  serverOptions.environment["MYRIAD_LOG_LEVEL"] = "warn";
  if (!server.Start(serverOptions, error)) return std::nullopt;

  boost::asio::io_context context;
  const auto clientOptions = [&](uint32_t seed) {
    WebRtcClient::Options o;
    o.port = server.HttpPort();
    o.seed = seed;
    o.longTermReferences = ltr;
    return o;
  };
  WebRtcClient publisher(context, clientOptions(options.seed));
  if (!Await(
          context, [&](auto done) { publisher.Join("ltr-bench", "publisher", done); }, "join",
          error)) {
    return std::nullopt;
  }
  if (!Await(
          context, [&](auto done) { publisher.Publish({.audio = false, .video = true}, done); },
          "publish", error)) {
    return std::nullopt;
  }
  const auto* video = publisher.PublishedTrack("video");
  if (!video) {
    *error = "no published video";
    return std::nullopt;
  }
  const std::string trackId = video->trackId;
  LtrVideoSender::Options senderOptions;
  senderOptions.encoder.longTermReferences = ltr;
  senderOptions.encoder.ltrIntervalFrames = options.ltrInterval;
  senderOptions.deltaFramePackets = options.deltaPackets;
  senderOptions.keyFramePackets = options.keyPackets;
  senderOptions.seed = options.seed;
  LtrVideoSender sender(publisher, *video, senderOptions);
  if (sender.Negotiated() != ltr) {
    *error = "the answer did not negotiate what the mode asks";
    return std::nullopt;
  }
  myriad::loadtest::FrameScheduler pump(context, kFramesPerSecond, [&](int64_t sendTimeUs) {
    if (publisher.IsConnected()) sender.SendFrame(sendTimeUs);
  });
  pump.Start();

  ImpairmentRelay::PathOptions cleanPath;
  cleanPath.uplink.delay = std::chrono::milliseconds(options.delayMs);
  cleanPath.downlink.delay = std::chrono::milliseconds(options.delayMs);
  cleanPath.downlink.rateBitsPerSecond = options.downlinkKbps * 1000;
  cleanPath.downlink.queueLimitBytes = options.queueBytes;
  std::vector<Viewer> viewers;
  for (int i = 0; i < options.viewers; ++i) {
    Viewer viewer;
    auto o = clientOptions(options.seed * 1000 + static_cast<uint32_t>(i) + 1);
    ImpairmentRelay::PathOptions path = cleanPath;
    path.downlink.seed = uint64_t{options.seed} * 7919 + static_cast<uint64_t>(i);
    o.transport.impairment = path;
    viewer.client = std::make_unique<WebRtcClient>(context, o);
    if (!Await(
            context,
            [&](auto done) { viewer.client->Join("ltr-bench", "v" + std::to_string(i), done); },
            "viewer join", error) ||
        !Await(
            context, [&](auto done) { viewer.client->Subscribe(trackId, done); }, "subscribe",
            error)) {
      return std::nullopt;
    }
    viewer.receiver = std::make_unique<LtrVideoReceiver>(context, *viewer.client, trackId,
                                                         LtrVideoReceiver::Options{});
    viewer.receiver->Start();
    viewers.push_back(std::move(viewer));
  }
  if (!RunUntil(
          context,
          [&] {
            return std::all_of(viewers.begin(), viewers.end(), [](const Viewer& viewer) {
              return viewer.receiver->Decoder().GetStats().framesDecoded >= 30;
            });
          },
          30s)) {
    *error = "not every viewer decoded video within 30 s";
    return std::nullopt;
  }
  // A clean second so the start-up key frames and acknowledgements settle.
  RunFor(context, 1s);

  // The loss starts; counters from here on.
  const auto lossy = GilbertElliottLoss::Bursty(options.loss, options.burst);
  std::vector<ImpairmentRelay::Counters> relayAtStart;
  for (auto& viewer : viewers) {
    ImpairmentRelay& relay = *viewer.client->Transport().Relay();
    ImpairmentRelay::PathOptions path = relay.GetPathOptions();
    path.downlink.loss = lossy;
    relay.SetPathOptions(path, Clock::now());
    relayAtStart.push_back(relay.GetCounters());
    viewer.atStart = viewer.receiver->Decoder().GetStats();
  }
  const auto encoderAtStart = sender.Encoder().GetCounters();
  const auto senderAtStart = sender.GetCounters();
  const size_t feedbackAtStart = sender.FeedbackLog().size();
  const auto startedAt = Clock::now();
  RunFor(context, std::chrono::seconds(options.seconds));
  const double seconds = std::chrono::duration<double>(Clock::now() - startedAt).count();
  pump.Stop();

  ModeResult result;
  result.mode = mode;
  result.seconds = seconds;
  result.viewers = options.viewers;
  const auto& encoder = sender.Encoder().GetCounters();
  result.framesSent = sender.GetCounters().frames - senderAtStart.frames;
  result.keyFramesSent = encoder.keyFrames - encoderAtStart.keyFrames;
  result.recoveryFramesSent = encoder.recoveryFrames - encoderAtStart.recoveryFrames;
  result.publisherBytes = sender.GetCounters().bytes - senderAtStart.bytes;
  const auto& log = sender.FeedbackLog();
  for (size_t i = feedbackAtStart; i < log.size(); ++i) {
    switch (log[i].kind) {
      case LtrVideoSender::Feedback::Kind::kKeyFrameRequest:
        ++result.keyFrameRequestsReceived;
        break;
      case LtrVideoSender::Feedback::Kind::kRecoverFrom:
        ++result.recoverFromReceived;
        break;
      case LtrVideoSender::Feedback::Kind::kAcknowledged:
        ++result.acknowledgementsReceived;
        break;
    }
  }
  for (size_t i = 0; i < viewers.size(); ++i) {
    Viewer& viewer = viewers[i];
    viewer.receiver->Finish();
    const auto& end = viewer.receiver->Decoder().GetStats();
    const auto& start = viewer.atStart;
    result.stallsOver2s += end.stallsOver2s - start.stallsOver2s;
    result.stallsOver500Ms += end.stallsOver500Ms - start.stallsOver500Ms;
    result.stallsOver200Ms += end.stallsOver200Ms - start.stallsOver200Ms;
    result.timeInStallsOver200MsMs += end.timeInStallsOver200MsMs - start.timeInStallsOver200MsMs;
    result.longestStallMs = std::max(result.longestStallMs, end.longestStallMs);
    result.framesDecoded += end.framesDecoded - start.framesDecoded;
    result.keyFramesReceivedByViewers += end.keyFramesReceived - start.keyFramesReceived;
    result.viewerKeyFrameRequests += end.keyFrameRequests - start.keyFrameRequests;
    result.viewerNacks += end.nacksSent - start.nacksSent;
    result.packetsRepaired += end.packetsRepaired - start.packetsRepaired;
    const auto relay = viewer.client->Transport().Relay()->GetCounters();
    result.downlinkPackets += relay.downlink.received - relayAtStart[i].downlink.received;
    result.downlinkLost +=
        (relay.downlink.droppedRandomLoss + relay.downlink.droppedBurstLoss) -
        (relayAtStart[i].downlink.droppedRandomLoss + relayAtStart[i].downlink.droppedBurstLoss);
    result.downlinkQueueDrops +=
        relay.downlink.droppedQueueFull - relayAtStart[i].downlink.droppedQueueFull;
  }
  // Whole-run server counters (start-up included): how the server decided.
  if (const auto samples =
          MetricsScraper::Fetch("127.0.0.1", server.HttpPort(), std::chrono::seconds(5), error)) {
    for (const char* series :
         {"myriad_ltr_feedback_total{message=\"recovery_sent\"}",
          "myriad_ltr_feedback_total{message=\"pli_fallback\"}",
          "myriad_ltr_feedback_total{message=\"acknowledgement_received\"}",
          "myriad_ltr_feedback_total{message=\"acknowledgement_sent\"}",
          "myriad_keyframe_requests_throttled_total",
          "myriad_keyframe_requests_total{direction=\"received\",type=\"pli\"}",
          "myriad_keyframe_requests_total{direction=\"sent\",type=\"pli\"}"}) {
      result.serverCounters[series] = MetricsScraper::Value(*samples, series);
    }
  }
  for (auto& viewer : viewers) viewer.client->Transport().Close();
  publisher.Transport().Close();
  RunFor(context, 100ms);
  server.Stop();
  return result;
}

std::string Ratio(double ltr, double pli) {
  if (pli == 0) return ltr == 0 ? "-" : "inf";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f", ltr / pli);
  return text;
}

void PrintTable(const std::vector<ModeResult>& results) {
  struct Row {
    const char* name;
    std::function<double(const ModeResult&)> value;
    const char* format;
  };
  const std::vector<Row> rows = {
      {"stalls > 2 s", [](const ModeResult& r) { return double(r.stallsOver2s); }, "%.0f"},
      {"stalls > 500 ms", [](const ModeResult& r) { return double(r.stallsOver500Ms); }, "%.0f"},
      {"stalls > 200 ms", [](const ModeResult& r) { return double(r.stallsOver200Ms); }, "%.0f"},
      {"  > 2 s per viewer-min",
       [](const ModeResult& r) { return r.stallsOver2s / r.ViewerMinutes(); }, "%.3f"},
      {"  > 500 ms per viewer-min",
       [](const ModeResult& r) { return r.stallsOver500Ms / r.ViewerMinutes(); }, "%.3f"},
      {"  > 200 ms per viewer-min",
       [](const ModeResult& r) { return r.stallsOver200Ms / r.ViewerMinutes(); }, "%.3f"},
      {"time in stalls > 200 ms %",
       [](const ModeResult& r) {
         return 100.0 * static_cast<double>(r.timeInStallsOver200MsMs) /
                (r.ViewerMinutes() * 60'000.0);
       },
       "%.2f"},
      {"frames decoded %", [](const ModeResult& r) { return r.DecodedPercent(); }, "%.2f"},
      {"key frames sent", [](const ModeResult& r) { return double(r.keyFramesSent); }, "%.0f"},
      {"recovery frames sent", [](const ModeResult& r) { return double(r.recoveryFramesSent); },
       "%.0f"},
      {"recover-from received", [](const ModeResult& r) { return double(r.recoverFromReceived); },
       "%.0f"},
      {"PLIs received", [](const ModeResult& r) { return double(r.keyFrameRequestsReceived); },
       "%.0f"},
      {"viewers' PLIs sent", [](const ModeResult& r) { return double(r.viewerKeyFrameRequests); },
       "%.0f"},
      {"publisher MB sent",
       [](const ModeResult& r) { return static_cast<double>(r.publisherBytes) / 1e6; }, "%.2f"},
      {"downlink loss %",
       [](const ModeResult& r) {
         return r.downlinkPackets > 0 ? 100.0 * static_cast<double>(r.downlinkLost) /
                                            static_cast<double>(r.downlinkPackets)
                                      : 0.0;
       },
       "%.2f"},
      {"downlink queue drops", [](const ModeResult& r) { return double(r.downlinkQueueDrops); },
       "%.0f"},
      {"NACKed seqs (viewers)", [](const ModeResult& r) { return double(r.viewerNacks); }, "%.0f"},
      {"repaired by RTX", [](const ModeResult& r) { return double(r.packetsRepaired); }, "%.0f"}};
  std::printf("%-28s", "");
  for (const auto& result : results) std::printf(" %12s", result.mode.c_str());
  const bool both = results.size() == 2 && results[0].mode == "ltr" && results[1].mode == "pli";
  if (both) std::printf(" %10s", "ltr/pli");
  std::printf("\n");
  for (const auto& row : rows) {
    std::printf("%-28s", row.name);
    for (const auto& result : results) {
      char text[32];
      std::snprintf(text, sizeof(text), row.format, row.value(result));
      std::printf(" %12s", text);
    }
    if (both) {
      std::printf(" %10s", Ratio(row.value(results[0]), row.value(results[1])).c_str());
    }
    std::printf("\n");
  }
}

int Run(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  std::printf(
      "LTR recovery vs PLI: %d viewers, %d s per mode, downlink loss %.1f%% in bursts of %.1f "
      "packets, %d ms one way, downlink cap %llu kbps (buffer %zu bytes), LTR every %u frames, "
      "key/delta %u/%u packets, seed %u\n",
      options.viewers, options.seconds, options.loss * 100, options.burst, options.delayMs,
      static_cast<unsigned long long>(options.downlinkKbps), options.queueBytes,
      options.ltrInterval, options.keyPackets, options.deltaPackets, options.seed);
  std::vector<ModeResult> results;
  for (const auto& mode : options.modes) {
    std::string error;
    auto result = RunMode(options, mode, &error);
    if (!result) {
      std::fprintf(stderr, "mode %s failed: %s\n", mode.c_str(), error.c_str());
      return 1;
    }
    results.push_back(std::move(*result));
  }
  PrintTable(results);
  for (const auto& result : results) {
    std::printf("server counters (%s, whole run): %s\n", result.mode.c_str(),
                result.serverCounters.dump().c_str());
  }
  if (!options.jsonPath.empty()) {
    Json runs = Json::array();
    for (const auto& result : results) runs.push_back(result.ToJson());
    Json out{{"benchmark", "ltr-recovery"},
             {"viewers", options.viewers},
             {"secondsPerMode", options.seconds},
             {"loss", options.loss},
             {"burstPackets", options.burst},
             {"oneWayDelayMs", options.delayMs},
             {"downlinkKbps", options.downlinkKbps},
             {"queueBytes", options.queueBytes},
             {"ltrIntervalFrames", options.ltrInterval},
             {"keyFramePackets", options.keyPackets},
             {"deltaFramePackets", options.deltaPackets},
             {"seed", options.seed},
             {"runs", runs}};
    std::ofstream(options.jsonPath) << out.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "myriad-bench-ltr: %s\n", e.what());
    return 1;
  }
}
