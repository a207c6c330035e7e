// myriad-bench-bandwidth-step: convergence and utilisation when a
// subscriber's downlink bottleneck steps (issue 5), e.g. 2 Mbit/s ->
// 500 kbit/s -> 2 Mbit/s, 30 s per phase.
//
// Starts the real server binary and connects, over loopback, one publisher
// sending a 1280x720 camera as three VP8 simulcast encodings (q/h/f at
// 320x180, 640x360, 1280x720, 30 fps, following `tierPlan` including its
// maxBitrate caps and answering PLIs: SimulcastVideoSender) and one
// subscriber that asks for 720p and returns transport-wide feedback, as a
// browser does. The subscriber's path goes through an ImpairmentRelay whose
// downlink (server -> subscriber) is the bottleneck: a rate cap with a
// tail-drop buffer of --queue-ms at the cap in force; the uplink is not
// impaired. The cap changes at each phase boundary; the first phase's cap
// is in force from the subscriber's join, so phase 1 measures start-up.
//
// Each encoding's encoder runs at --encoder-kbps (default 2500 for every
// rid, libwebrtc's and the server ladder's rate for 720p) unless the plan's
// maxBitrate caps it: as in a browser, the server's plan decides what is
// sent, and a lone 720p viewer's plan puts 720p on rid q. With the
// BandwidthTest's 150/500/1500 kbit/s the top tier alone could not fill a
// 2 Mbit/s link, and utilisation would measure the encoder, not the server.
// SimulcastVideoSender packetises each rid for its configured rate (2.5
// Mbit/s: 18 packets a frame, so that key frames fit), so a rid capped far
// below it sends at least ~290 kbit/s of packet overhead; runs whose plan
// keeps 180p on q (--reference-viewers 180,...) should give per-rid rates
// (--encoder-kbps 200,700,2500).
//
// With --reference-viewers 720 (or 180,360...) more subscribers on
// unimpaired paths watch the same camera at those heights, also with
// feedback; they keep their tiers in the plan and vote on its caps.
//
// Every 100 ms one sample: the cap in force, what the relay delivered to
// the subscriber (goodput over the last 500 ms, every byte: media, probes,
// RTCP, SRTP overhead and the IPv4/UDP headers the link counts), the
// subscriber's received video rate, the height of the tier it receives
// (from VP8 key frame headers; 0 while no frame has arrived for 500 ms),
// the publisher's send rate (RTP before SRTP) per
// encoding and in all, the plan's maxBitrate per rid, the relay's queue
// drops, the largest one-way delay of the video packets received in the
// sample (publisher send time in the payload to kernel receive time at the
// subscriber, both on this process's steady clock: the bottleneck's
// queueing plus loopback), and the server's estimate for this subscriber.
// The server exposes no per-subscriber estimate (the metric
// myriad_downlink_estimate_bps is one histogram for all subscribers), so
// the benchmark runs it at log level debug and reads the "bandwidth"
// logger's allocation lines (every 250 ms) for the subscriber's
// participant id from its log file.

#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "loadtest/ServerProcess.h"
#include "loadtest/client/FrameScheduler.h"
#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/LoadtestPayload.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SimulcastVideoSender.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"

namespace {

using namespace std::chrono_literals;
using myriad::loadtest::ImpairmentRelay;
using myriad::loadtest::RunUntil;
using myriad::loadtest::ServerProcess;
using myriad::loadtest::SimulcastVideoSender;
using myriad::loadtest::WebRtcClient;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr int kFramesPerSecond = 30;
constexpr int kEncodings = 3;
const std::array<std::string, kEncodings> kRids = {"q", "h", "f"};
constexpr int kSubscriberHeight = 720;
constexpr int kSampleMs = 100;
// Rates are over the last 500 ms: 15 frames, short enough to show a step,
// long enough that a key frame does not read as a rate.
constexpr int kRateWindowSamples = 5;
// Goodput within 20% of the cap counts as converged (the band).
constexpr double kBand = 0.2;
// No frame for this long: the viewer's picture froze.
constexpr std::array<int, 2> kStallMs = {200, 500};
// After this long without a frame the received height reads 0.
constexpr auto kNoVideoAfter = 500ms;

struct Options {
  std::string serverBinary = MYRIAD_SERVER_BINARY;
  uint32_t seed = 1;
  int phaseMs = 30'000;
  std::vector<int> capsKbps{2000, 500, 2000};
  int queueMs = 300;
  // Per rid (q, h, f); one value: the same for all.
  std::vector<int> encoderKbps{2500, 2500, 2500};
  std::vector<int> referenceHeights;
  std::string csvPath;
  std::string jsonPath;
  std::string serverLogPath;  // "" = a temporary file, removed at the end
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "myriad-bench-bandwidth-step: " << error << "\n";
  std::cerr << "usage: myriad-bench-bandwidth-step [--server BIN] [--seed 1] [--phase-seconds 30]\n"
               "         [--caps 2000,500,2000] [--queue-ms 300] [--encoder-kbps 2500|Q,H,F]\n"
               "         [--reference-viewer | --reference-viewers 720[,360...]]\n"
               "         [--csv FILE] [--json FILE] [--server-log FILE]\n";
  std::exit(error.empty() ? 0 : 2);
}

std::vector<int> IntList(const std::string& text) {
  std::vector<int> values;
  std::stringstream list(text);
  for (std::string item; std::getline(list, item, ',');) values.push_back(std::stoi(item));
  return values;
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
    } else if (arg == "--seed") {
      options.seed = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--phase-seconds") {
      options.phaseMs = static_cast<int>(std::lround(std::stod(value()) * 1000));
    } else if (arg == "--caps") {
      options.capsKbps = IntList(value());
    } else if (arg == "--queue-ms") {
      options.queueMs = std::stoi(value());
    } else if (arg == "--encoder-kbps") {
      options.encoderKbps = IntList(value());
      if (options.encoderKbps.size() == 1)
        options.encoderKbps.resize(kEncodings, options.encoderKbps[0]);
    } else if (arg == "--reference-viewer") {
      options.referenceHeights = {kSubscriberHeight};
    } else if (arg == "--reference-viewers") {
      options.referenceHeights = IntList(value());
    } else if (arg == "--csv") {
      options.csvPath = value();
    } else if (arg == "--json") {
      options.jsonPath = value();
    } else if (arg == "--server-log") {
      options.serverLogPath = value();
    } else {
      Usage("unknown option " + arg);
    }
  }
  if (options.capsKbps.empty()) Usage("--caps needs at least one rate");
  for (const int cap : options.capsKbps) {
    if (cap <= 0) Usage("--caps values must be > 0 (kbit/s)");
  }
  // Phase boundaries fall on sample ticks.
  if (options.phaseMs < 2000 || options.phaseMs % kSampleMs != 0) {
    Usage("--phase-seconds must be at least 2 and a multiple of 0.1");
  }
  if (options.queueMs <= 0) Usage("--queue-ms must be > 0");
  if (options.encoderKbps.size() != kEncodings ||
      std::any_of(options.encoderKbps.begin(), options.encoderKbps.end(),
                  [](int kbps) { return kbps <= 0; })) {
    Usage("--encoder-kbps wants one rate or three (q,h,f), each > 0");
  }
  return options;
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// What the capped subscriber receives on its video m-line (media only: RTX
// carries nothing but the server's probe padding here, since the client
// sends no NACK).
class ReceivedVideo {
 public:
  struct TierChange {
    Clock::time_point at;
    int encoding = -1;
    int height = 0;
  };

  void Attach(WebRtcClient& client) {
    client.SetRtpHandler([this, &client](myriad::rtp::RtpPacket& packet) {
      const auto* track = client.ReceivingTrackBySsrc(packet.Ssrc());
      if (!track || track->kind != "video" || packet.Ssrc() != track->ssrc ||
          packet.PayloadSize() == 0) {
        return;
      }
      // The kernel's receive time (feedback turns it on): what the server's
      // estimator sees too, without this thread's scheduling.
      OnPacket(packet, client.Transport().LastArrival());
    });
  }

  uint64_t Bytes() const { return bytes_; }
  // The height of the last key frame received, or 0.
  int Height() const { return height_; }
  int Encoding() const { return encoding_; }
  const std::vector<TierChange>& Changes() const { return changes_; }
  // When each frame's last packet (RTP marker) arrived.
  const std::vector<Clock::time_point>& FrameArrivals() const { return frames_; }
  // The largest one-way delay since the last call, in ms (nullopt: no packet).
  std::optional<double> TakeMaxDelayMs() {
    const auto delay = maxDelayMs_;
    maxDelayMs_.reset();
    return delay;
  }

 private:
  void OnPacket(myriad::rtp::RtpPacket& packet, Clock::time_point at) {
    bytes_ += packet.Size();
    const auto payload = packet.Payload();
    const auto record = myriad::loadtest::LoadtestPayload::Parse(
        myriad::loadtest::SyntheticMediaSource::PayloadHeader(payload, true));
    if (record) {
      const double delayMs =
          std::chrono::duration<double, std::milli>(at.time_since_epoch()).count() -
          static_cast<double>(record->sendTimeUs) / 1000.0;
      maxDelayMs_ = std::max(maxDelayMs_.value_or(delayMs), delayMs);
    }
    int encoding = encoding_;
    if (const auto index = SimulcastVideoSender::EncodingOf(payload)) {
      encoding = static_cast<int>(*index);
    }
    int height = height_;
    if (const auto descriptor = myriad::rtp::Vp8PayloadDescriptor::Parse(payload);
        descriptor && descriptor->IsKeyFrame()) {
      if (const auto header = myriad::rtp::Vp8KeyFrameHeader::Parse(descriptor->Payload())) {
        height = header->Height();
      }
    }
    // A switch shows as a new encoding or a new key frame size (a plan may
    // resize the encoding being received).
    if (encoding != encoding_ || height != height_) {
      changes_.push_back({at, encoding, height});
      encoding_ = encoding;
      height_ = height;
    }
    if (packet.Marker()) frames_.push_back(at);
  }

  uint64_t bytes_ = 0;
  int encoding_ = -1;
  int height_ = 0;
  std::vector<TierChange> changes_;
  std::vector<Clock::time_point> frames_;
  std::optional<double> maxDelayMs_;
};

// The server's allocation lines for one subscriber, read from its log file
// as the server appends them (DownlinkController::Allocate, logger
// "bandwidth" at debug):
//   <id>: estimate E kbit/s (delay D, loss L, loss ratio R, acked A), desired W kbit/s,
//   N tracks, first: tier T (B kbit/s)[, asks level V]
// A text format, not an interface: if it changes, the estimate columns go
// empty and the run says so.
class ServerLogFollower {
 public:
  struct Allocation {
    int64_t estimateKbps = 0;
    int64_t ackedKbps = 0;
    int tier = -1;  // the first track's tier, -1: paused
    int64_t allocatedKbps = 0;
    // The ladder level the subscriber's first track asks the publisher for
    // (servers that log it), -1: not logged.
    int asksLevel = -1;
  };

  explicit ServerLogFollower(const std::string& path) : in_(path, std::ios::binary) {}
  void SetParticipant(const std::string& id) { marker_ = id + ": estimate "; }

  // Reads what was appended since the last call; the newest allocation of
  // the participant in it, if any.
  std::optional<Allocation> Poll() {
    std::optional<Allocation> newest;
    if (!in_.is_open()) return newest;
    std::array<char, 65536> buffer{};
    while (true) {
      in_.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
      const auto got = in_.gcount();
      if (got <= 0) break;
      pending_.append(buffer.data(), static_cast<size_t>(got));
    }
    in_.clear();  // EOF now; the server writes more later
    size_t start = 0;
    for (size_t end; (end = pending_.find('\n', start)) != std::string::npos; start = end + 1) {
      if (marker_.empty()) continue;
      const size_t at = pending_.find(marker_, start);
      if (at == std::string::npos || at > end) continue;
      Allocation allocation;
      long long estimate = 0;
      long long delay = 0;
      long long loss = 0;
      double ratio = 0;
      long long acked = 0;
      long long desired = 0;
      int tracks = 0;
      int tier = -1;
      long long allocated = 0;
      const std::string line = pending_.substr(at + marker_.size(), end - at - marker_.size());
      if (std::sscanf(line.c_str(),
                      "%lld kbit/s (delay %lld, loss %lld, loss ratio %lf, acked %lld), desired "
                      "%lld kbit/s, %d tracks, first: tier %d (%lld kbit/s)",
                      &estimate, &delay, &loss, &ratio, &acked, &desired, &tracks, &tier,
                      &allocated) == 9) {
        allocation.estimateKbps = estimate;
        allocation.ackedKbps = acked;
        allocation.tier = tier;
        allocation.allocatedKbps = allocated;
        if (const size_t asks = line.find(kAsksLevel); asks != std::string::npos) {
          allocation.asksLevel = std::atoi(line.c_str() + asks + std::strlen(kAsksLevel));
        }
        newest = allocation;
      }
    }
    pending_.erase(0, start);
    return newest;
  }

 private:
  static constexpr const char* kAsksLevel = ", asks level ";

  std::ifstream in_;
  std::string marker_;
  std::string pending_;
};

struct Sample {
  int index = 0;
  Clock::time_point at;
  int phase = 0;
  int capKbps = 0;
  // Cumulative counters.
  uint64_t relayBytes = 0;
  uint64_t relayDrops = 0;
  uint64_t receivedBytes = 0;
  std::array<uint64_t, kEncodings> sentBytes{};
  // Rates over the last kRateWindowSamples samples, kbit/s.
  double goodputKbps = 0;
  double receivedKbps = 0;
  double publisherKbps = 0;
  std::array<double, kEncodings> encodingKbps{};
  // The newest plan's maxBitrate per rid, kbit/s (0: paused or no plan).
  std::array<int64_t, kEncodings> planKbps{};
  int height = 0;  // 0: no frame for kNoVideoAfter
  int encoding = -1;
  std::optional<double> maxDelayMs;
  std::optional<ServerLogFollower::Allocation> allocation;  // the newest so far
};

struct PhaseSummary {
  int capKbps = 0;
  std::optional<double> convergenceS;  // nullopt: never settled in the band
  double measuredFromS = 0;            // the part the means are over, from the step
  double inBandShare = 0;              // of the phase's samples
  double utilisation = 0;              // mean goodput / cap
  double receivedShare = 0;            // mean received video rate / cap
  double publisherShare = 0;           // mean publisher send rate / cap
  std::optional<double> estimateShare;
  uint64_t queueDrops = 0;
  int tierSwitches = 0;
  std::array<int, kStallMs.size()> stalls{};
  double longestGapMs = 0;
  double frozenS = 0;  // time in gaps over kStallMs.back()
  double meanMaxDelayMs = 0;
  int heightAtEnd = 0;
};

// The sample's mean of `value` over the samples [from, to).
double Mean(const std::vector<Sample>& samples, size_t from, size_t to,
            const std::function<double(const Sample&)>& value) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += value(samples[i]);
  return to > from ? sum / static_cast<double>(to - from) : 0;
}

PhaseSummary Summarize(const std::vector<Sample>& samples, const ReceivedVideo& video,
                       Clock::time_point start, Clock::time_point end, int phase, int phaseMs,
                       int capKbps) {
  PhaseSummary summary;
  summary.capKbps = capKbps;
  const auto stepAt = start + std::chrono::milliseconds(static_cast<int64_t>(phase) * phaseMs);
  const auto phaseEnd = std::min(end, stepAt + std::chrono::milliseconds(phaseMs));
  size_t first = samples.size();
  size_t last = 0;  // one past
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples[i].index == 0 || samples[i].phase != phase) continue;
    first = std::min(first, i);
    last = i + 1;
  }
  if (first >= last) return summary;
  const double cap = capKbps;
  const auto inBand = [&](const Sample& s) {
    return s.goodputKbps >= cap * (1 - kBand) && s.goodputKbps <= cap * (1 + kBand);
  };
  // Converged: in the band from this sample to the end of the phase.
  size_t settled = last;
  while (settled > first && inBand(samples[settled - 1])) --settled;
  size_t from = settled;
  if (settled < last) {
    summary.convergenceS = Seconds(samples[settled].at - stepAt);
  } else {
    from = first + (last - first) / 2;  // never settled: the second half
  }
  summary.measuredFromS = Seconds(samples[from].at - stepAt);
  size_t inBandCount = 0;
  for (size_t i = first; i < last; ++i) inBandCount += inBand(samples[i]) ? 1 : 0;
  summary.inBandShare = static_cast<double>(inBandCount) / static_cast<double>(last - first);
  summary.utilisation =
      Mean(samples, from, last, [](const Sample& s) { return s.goodputKbps; }) / cap;
  summary.receivedShare =
      Mean(samples, from, last, [](const Sample& s) { return s.receivedKbps; }) / cap;
  summary.publisherShare =
      Mean(samples, from, last, [](const Sample& s) { return s.publisherKbps; }) / cap;
  double estimateSum = 0;
  size_t estimates = 0;
  double delaySum = 0;
  size_t delays = 0;
  for (size_t i = from; i < last; ++i) {
    if (samples[i].allocation) {
      estimateSum += static_cast<double>(samples[i].allocation->estimateKbps);
      ++estimates;
    }
    if (samples[i].maxDelayMs) {
      delaySum += *samples[i].maxDelayMs;
      ++delays;
    }
  }
  if (estimates > 0) summary.estimateShare = estimateSum / static_cast<double>(estimates) / cap;
  summary.meanMaxDelayMs = delays > 0 ? delaySum / static_cast<double>(delays) : 0;
  summary.queueDrops = samples[last - 1].relayDrops - samples[first - 1].relayDrops;
  summary.heightAtEnd = samples[last - 1].height;
  for (const auto& change : video.Changes()) {
    // The first key frame is the start, not a switch.
    if (change.at >= stepAt && change.at < phaseEnd && &change != &video.Changes().front()) {
      ++summary.tierSwitches;
    }
  }
  // Gaps between frames that start in the phase; the picture the run ends
  // on counts up to its end. Waiting for the first frame is joining, not a
  // stall (RunResult::firstFrameS).
  std::vector<Clock::time_point> frames = video.FrameArrivals();
  frames.push_back(end);
  Clock::time_point previous = frames.front();
  for (const auto at : frames) {
    if (previous >= stepAt && previous < phaseEnd && at > previous) {
      const double gapMs = std::chrono::duration<double, std::milli>(at - previous).count();
      summary.longestGapMs = std::max(summary.longestGapMs, gapMs);
      for (size_t k = 0; k < kStallMs.size(); ++k) {
        if (gapMs > kStallMs[k]) ++summary.stalls[k];
      }
      if (gapMs > kStallMs.back()) summary.frozenS += gapMs / 1000.0;
    }
    previous = at;
  }
  return summary;
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

int LevelOf(const WebRtcClient& client, int height) {
  const auto& levels = client.VideoLevels();
  const auto it = std::find(levels.begin(), levels.end(), height);
  return it == levels.end() ? -1 : static_cast<int>(it - levels.begin());
}

// The downlink at `capKbps` behind a buffer of queueMs at that rate.
ImpairmentRelay::PathOptions CappedPath(int capKbps, int queueMs) {
  ImpairmentRelay::PathOptions path;
  path.downlink.rateBitsPerSecond = static_cast<uint64_t>(capKbps) * 1000;
  path.downlink.queueLimitBytes = static_cast<size_t>(capKbps) * static_cast<size_t>(queueMs) / 8;
  return path;
}

struct RunResult {
  std::vector<Sample> samples;
  std::vector<PhaseSummary> phases;
  std::string subscriberId;
  uint64_t plansReceived = 0;
  std::optional<double> firstFrameS;  // subscribe -> first complete frame
  std::vector<int> videoLevels;       // the server's ladder heights
};

std::optional<RunResult> RunOnce(const Options& options, const std::string& serverLog,
                                 std::string* error) {
  ServerProcess server;
  ServerProcess::Options serverOptions;
  serverOptions.binary = options.serverBinary;
  serverOptions.environment = {{"MYRIAD_MEDIA_WORKERS", "1"}, {"MYRIAD_LOG_LEVEL", "debug"}};
  serverOptions.logPath = serverLog;
  if (!server.Start(serverOptions, error)) return std::nullopt;
  ServerLogFollower log(serverLog);

  boost::asio::io_context context;
  const std::string room = "bandwidth-step";
  const auto makeClient = [&](uint32_t seed) {
    WebRtcClient::Options clientOptions;
    clientOptions.port = server.HttpPort();
    clientOptions.seed = seed;
    clientOptions.sendTransportFeedback = true;
    return clientOptions;
  };

  // The camera.
  auto camera = std::make_unique<WebRtcClient>(context, makeClient(options.seed * 100 + 1));
  if (!Await(
          context, [&](auto done) { camera->Join(room, "camera", done); }, "publisher join",
          error)) {
    return std::nullopt;
  }
  if (LevelOf(*camera, kSubscriberHeight) < 0) {
    *error = "the server's ladder lacks 720p";
    return std::nullopt;
  }
  WebRtcClient::PublishRequest publish;
  publish.audio = false;
  publish.video = true;
  publish.videoRids = {kRids.begin(), kRids.end()};
  publish.videoTiers = kEncodings;
  publish.videoWidth = 1280;
  publish.videoHeight = 720;
  if (!Await(
          context, [&](auto done) { camera->Publish(publish, done); }, "publish", error)) {
    return std::nullopt;
  }
  const WebRtcClient::MediaTrack track = *camera->PublishedTrack("video");
  const auto encoderBps = [&options](size_t rid) {
    return static_cast<uint32_t>(options.encoderKbps[rid]) * 1000;
  };
  SimulcastVideoSender::Options senderOptions;
  senderOptions.encodings = {{"q", 320, 180, encoderBps(0)},
                             {"h", 640, 360, encoderBps(1)},
                             {"f", 1280, 720, encoderBps(2)}};
  senderOptions.captureWidth = 1280;
  senderOptions.captureHeight = 720;
  senderOptions.framesPerSecond = kFramesPerSecond;
  senderOptions.seed = options.seed;
  SimulcastVideoSender sender(*camera, track, senderOptions);
  std::array<uint64_t, kEncodings> sentBytes{};
  sender.SetSentHandler([&sentBytes](size_t encoding, std::span<const uint8_t> packet) {
    if (encoding < sentBytes.size()) sentBytes[encoding] += packet.size();
  });
  sender.AnswerKeyFrameRequests();
  myriad::loadtest::FrameScheduler pump(context, kFramesPerSecond, [&](int64_t sendTimeUs) {
    if (camera->IsConnected()) sender.SendFrame(sendTimeUs);
  });
  pump.Start();

  // Reference viewers on unimpaired paths.
  std::vector<std::unique_ptr<WebRtcClient>> references;
  for (size_t i = 0; i < options.referenceHeights.size(); ++i) {
    const int height = options.referenceHeights[i];
    auto client = std::make_unique<WebRtcClient>(
        context, makeClient(options.seed * 100 + 10 + static_cast<uint32_t>(i)));
    WebRtcClient& reference = *client;
    if (!Await(
            context,
            [&](auto done) { reference.Join(room, "reference-" + std::to_string(i), done); },
            "reference viewer join", error)) {
      return std::nullopt;
    }
    if (LevelOf(reference, height) < 0) {
      *error = "no ladder level of height " + std::to_string(height);
      return std::nullopt;
    }
    if (!Await(
            context,
            [&](auto done) {
              reference.SubscribeVideo(track.trackId, LevelOf(reference, height), done);
            },
            "reference viewer subscribe", error)) {
      return std::nullopt;
    }
    references.push_back(std::move(client));
  }

  // The subscriber, behind the first phase's cap from the start.
  WebRtcClient::Options viewerOptions = makeClient(options.seed * 100 + 2);
  viewerOptions.transport.impairment = CappedPath(options.capsKbps.front(), options.queueMs);
  WebRtcClient viewer(context, viewerOptions);
  ReceivedVideo video;
  video.Attach(viewer);
  if (!Await(
          context, [&](auto done) { viewer.Join(room, "viewer", done); }, "viewer join", error)) {
    return std::nullopt;
  }
  log.SetParticipant(viewer.ParticipantId());
  const auto subscribedAt = Clock::now();
  if (!Await(
          context,
          [&](auto done) {
            viewer.SubscribeVideo(track.trackId, LevelOf(viewer, kSubscriberHeight), done);
          },
          "viewer subscribe", error)) {
    return std::nullopt;
  }
  ImpairmentRelay* relay = viewer.Transport().Relay();
  if (relay == nullptr) {
    *error = "the subscriber's transport has no relay";
    return std::nullopt;
  }

  RunResult result;
  result.subscriberId = viewer.ParticipantId();
  result.videoLevels = viewer.VideoLevels();
  const int phases = static_cast<int>(options.capsKbps.size());
  const int ticks = phases * options.phaseMs / kSampleMs;
  result.samples.reserve(static_cast<size_t>(ticks) + 1);
  // Time 0 is the subscribe request: phase 1 includes joining the tier.
  const auto start = subscribedAt;
  std::optional<ServerLogFollower::Allocation> allocation;
  boost::asio::steady_timer timer(context);
  int tick = 0;
  std::function<void()> takeSample = [&] {
    const auto now = Clock::now();
    Sample sample;
    sample.index = tick;
    sample.at = now;
    sample.phase = tick == 0 ? 0 : (tick - 1) * kSampleMs / options.phaseMs;
    sample.capKbps = options.capsKbps[static_cast<size_t>(sample.phase)];
    const auto counters = relay->GetCounters().downlink;
    // In the link's unit: whole IP packets (ImpairmentRelay::Options).
    sample.relayBytes = counters.forwardedBytes +
                        counters.forwarded * ImpairmentRelay::Options{}.packetOverheadBytes;
    sample.relayDrops = counters.Dropped();
    sample.receivedBytes = video.Bytes();
    sample.sentBytes = sentBytes;
    if (!result.samples.empty()) {
      const Sample& old =
          result.samples[result.samples.size() -
                         std::min<size_t>(result.samples.size(), kRateWindowSamples)];
      const double seconds = Seconds(now - old.at);
      const auto kbps = [seconds](uint64_t bytes) {
        return seconds > 0 ? static_cast<double>(bytes) * 8 / seconds / 1000 : 0;
      };
      sample.goodputKbps = kbps(sample.relayBytes - old.relayBytes);
      sample.receivedKbps = kbps(sample.receivedBytes - old.receivedBytes);
      for (size_t e = 0; e < kEncodings; ++e) {
        sample.encodingKbps[e] = kbps(sample.sentBytes[e] - old.sentBytes[e]);
        sample.publisherKbps += sample.encodingKbps[e];
      }
    }
    if (const auto* plan = camera->TierPlanFor(track.mid)) {
      for (size_t e = 0; e < kEncodings; ++e) {
        const auto* encoding = plan->Encoding(kRids[e]);
        sample.planKbps[e] =
            encoding && encoding->active ? static_cast<int64_t>(encoding->maxBitrate / 1000) : 0;
      }
    }
    const auto& frames = video.FrameArrivals();
    const bool showing = !frames.empty() && now - frames.back() < kNoVideoAfter;
    sample.height = showing ? video.Height() : 0;
    sample.encoding = showing ? video.Encoding() : -1;
    sample.maxDelayMs = video.TakeMaxDelayMs();
    if (const auto newest = log.Poll()) allocation = newest;
    sample.allocation = allocation;
    result.samples.push_back(sample);

    // The next phase's cap, from this tick on; its buffer holds queueMs
    // at the new rate (LinkImpairment carries the backlog over).
    if (tick > 0 && tick < ticks && tick * kSampleMs % options.phaseMs == 0) {
      const int next = tick * kSampleMs / options.phaseMs;
      ImpairmentRelay::PathOptions path = relay->GetPathOptions();
      path.downlink =
          CappedPath(options.capsKbps[static_cast<size_t>(next)], options.queueMs).downlink;
      relay->SetPathOptions(path, now);
    }
    if (tick == ticks) return;
    ++tick;
    timer.expires_at(start + std::chrono::milliseconds(tick * kSampleMs));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) takeSample();
    });
  };
  takeSample();
  const auto runFor = std::chrono::milliseconds(static_cast<int64_t>(ticks) * kSampleMs);
  if (!RunUntil(
          context, [&] { return tick == ticks && result.samples.size() > size_t(ticks); },
          runFor + 5s)) {
    *error = "the sampling timer fell behind by more than 5 s";
    return std::nullopt;
  }
  const auto end = result.samples.back().at;
  for (int phase = 0; phase < phases; ++phase) {
    result.phases.push_back(Summarize(result.samples, video, start, end, phase, options.phaseMs,
                                      options.capsKbps[static_cast<size_t>(phase)]));
  }
  result.plansReceived = camera->TierPlansReceived();
  if (!video.FrameArrivals().empty()) {
    result.firstFrameS = Seconds(video.FrameArrivals().front() - start);
  }
  if (!allocation) {
    std::fprintf(stderr,
                 "no allocation line for %s in the server log %s: the estimate column is empty\n",
                 result.subscriberId.c_str(), serverLog.c_str());
  }
  return result;
}

std::string Formatted(const std::optional<double>& value, const char* format) {
  if (!value) return "";
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), format, *value);
  return text.data();
}

// One row per sample (tick 0 is the baseline, not a sample). Empty fields:
// not known at that time (no allocation logged yet, no video packet in the
// sample, no frame for 500 ms).
void WriteCsv(const std::string& path, const RunResult& run, Clock::time_point start) {
  std::ofstream out(path);
  out << "t_s,phase,cap_kbps,goodput_kbps,received_kbps,publisher_kbps,pub_q_kbps,pub_h_kbps,"
         "pub_f_kbps,plan_q_kbps,plan_h_kbps,plan_f_kbps,received_height,received_rid,"
         "max_delay_ms,queue_drops,estimate_kbps,acked_kbps,server_tier,allocated_kbps,"
         "asks_height\n";
  for (const Sample& s : run.samples) {
    if (s.index == 0) continue;
    out << Formatted(Seconds(s.at - start), "%.1f") << ',' << s.phase + 1 << ',' << s.capKbps;
    for (const double kbps : {s.goodputKbps, s.receivedKbps, s.publisherKbps, s.encodingKbps[0],
                              s.encodingKbps[1], s.encodingKbps[2]}) {
      out << ',' << Formatted(kbps, "%.0f");
    }
    for (const int64_t kbps : s.planKbps) out << ',' << kbps;
    out << ',' << s.height << ','
        << (s.encoding >= 0 ? kRids[static_cast<size_t>(s.encoding)] : std::string()) << ','
        << Formatted(s.maxDelayMs, "%.1f") << ',' << s.relayDrops << ',';
    if (const auto& a = s.allocation) {
      out << a->estimateKbps << ',' << a->ackedKbps << ',' << a->tier << ',' << a->allocatedKbps
          << ',';
      if (a->asksLevel >= 0 && static_cast<size_t>(a->asksLevel) < run.videoLevels.size()) {
        out << run.videoLevels[static_cast<size_t>(a->asksLevel)];
      }
    } else {
      out << ",,,,";
    }
    out << '\n';
  }
}

Json ToJson(const PhaseSummary& p) {
  const auto optional = [](const std::optional<double>& v) { return v ? Json(*v) : Json(); };
  return {{"cap_kbps", p.capKbps},
          {"convergence_s", optional(p.convergenceS)},
          {"measured_from_s", p.measuredFromS},
          {"in_band_share", p.inBandShare},
          {"utilisation", p.utilisation},
          {"received_video_over_cap", p.receivedShare},
          {"publisher_over_cap", p.publisherShare},
          {"estimate_over_cap", optional(p.estimateShare)},
          {"queue_drops", p.queueDrops},
          {"tier_switches", p.tierSwitches},
          {"stalls_over_200ms", p.stalls[0]},
          {"stalls_over_500ms", p.stalls[1]},
          {"longest_gap_ms", p.longestGapMs},
          {"frozen_s", p.frozenS},
          {"mean_max_delay_ms", p.meanMaxDelayMs},
          {"height_at_end", p.heightAtEnd}};
}

int Run(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  std::string serverLog = options.serverLogPath;
  if (serverLog.empty()) {
    serverLog = "/tmp/myriad-bench-bandwidth-step-" + std::to_string(::getpid()) + ".log";
  }
  std::string caps;
  for (const int cap : options.capsKbps) caps += (caps.empty() ? "" : " -> ") + std::to_string(cap);
  std::string references;
  for (const int height : options.referenceHeights) {
    references += (references.empty() ? "" : ", ") + std::to_string(height) + "p";
  }
  std::string encoders;
  for (size_t i = 0; i < kEncodings; ++i) {
    encoders +=
        (encoders.empty() ? "" : " ") + kRids[i] + " " + std::to_string(options.encoderKbps[i]);
  }
  std::printf(
      "bandwidth step: caps %s kbit/s, %.1f s per phase, buffer %d ms at the cap, encoders "
      "(kbit/s) %s, seed %u, reference viewers: %s\n",
      caps.c_str(), options.phaseMs / 1000.0, options.queueMs, encoders.c_str(), options.seed,
      references.empty() ? "none" : references.c_str());
  std::fflush(stdout);

  std::string error;
  const auto result = RunOnce(options, serverLog, &error);
  if (options.serverLogPath.empty()) std::remove(serverLog.c_str());
  if (!result) {
    std::fprintf(stderr, "myriad-bench-bandwidth-step: %s\n", error.c_str());
    return 1;
  }
  const auto start = result->samples.front().at;

  std::printf("%5s %9s %12s %8s %11s %10s %12s %12s %6s %8s %11s %9s %9s %9s %8s\n", "phase", "cap",
              "convergence", "in band", "utilisation", "video/cap", "publisher/cap", "estimate/cap",
              "drops", "switches", "stalls 200/500", "longest", "frozen", "delay", "height");
  for (size_t i = 0; i < result->phases.size(); ++i) {
    const PhaseSummary& p = result->phases[i];
    const std::string convergence =
        p.convergenceS ? Formatted(p.convergenceS, "%.1f s") : std::string("never");
    const std::string estimate =
        p.estimateShare ? Formatted(p.estimateShare, "%.2f") : std::string("-");
    std::printf(
        "%5zu %4d kb/s %12s %7.0f%% %10.2f%s %10.2f %13.2f %12s %6llu %8d %7d/%-3d %6.0f ms %7.1f "
        "s "
        "%6.0f ms %6dp\n",
        i + 1, p.capKbps, convergence.c_str(), p.inBandShare * 100, p.utilisation,
        p.convergenceS ? " " : "*", p.receivedShare, p.publisherShare, estimate.c_str(),
        static_cast<unsigned long long>(p.queueDrops), p.tierSwitches, p.stalls[0], p.stalls[1],
        p.longestGapMs, p.frozenS, p.meanMaxDelayMs, p.heightAtEnd);
  }
  std::printf("(* never within %.0f%% of the cap to the phase's end: means over its second half)\n",
              kBand * 100);
  std::printf("first frame %s s after subscribing; %llu tier plans to the publisher\n",
              result->firstFrameS ? Formatted(result->firstFrameS, "%.2f").c_str() : "never",
              static_cast<unsigned long long>(result->plansReceived));
  std::fflush(stdout);

  if (!options.csvPath.empty()) WriteCsv(options.csvPath, *result, start);
  if (!options.jsonPath.empty()) {
    Json phases = Json::array();
    for (const auto& phase : result->phases) phases.push_back(ToJson(phase));
    Json report = {{"seed", options.seed},
                   {"phase_seconds", options.phaseMs / 1000.0},
                   {"caps_kbps", options.capsKbps},
                   {"queue_ms", options.queueMs},
                   {"encoder_kbps", options.encoderKbps},
                   {"reference_viewer_heights", options.referenceHeights},
                   {"tier_plans_received", result->plansReceived},
                   {"first_frame_s", result->firstFrameS ? Json(*result->firstFrameS) : Json()},
                   {"phases", phases}};
    std::ofstream(options.jsonPath) << report.dump(2) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "myriad-bench-bandwidth-step: %s\n", e.what());
  }
  return 1;
}
