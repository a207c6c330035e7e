// myriad-bench-tier-switch: simulcast tier switch latency (issue 4), from a
// viewer's setVideoLevel to the first packet of the new tier it receives.
//
// Starts the real server binary and connects, over loopback, one publisher
// sending a 1280x720 camera as three VP8 simulcast encodings (q/h/f at
// 320x180, 640x360, 1280x720, 30 fps, answering PLIs with a key frame on the
// stream they name and following `tierPlan`: SimulcastVideoSender) and N
// viewers, all built from the project's own WebRTC client. Every client
// gets the same added one-way delay on its datagrams and its signalling
// (ClientTransport and SignalingClient `addedDelay` = RTT / 2), so each is
// that round trip away from the server.
//
// The viewers start at 180p. Then, on a seeded schedule, one viewer at a
// time asks for another of 180p, 360p and 720p; the time from the call to
// SetVideoLevel to the first received key frame of the requested height (the
// first packet of the new tier: the server switches only there) is one
// sample. Each sample is classed by what the publisher was encoding when it
// was asked: `encoded` (a tier at that height was being sent: a switch, one
// PLI) or `re-plan` (none was: the server re-plans, debounced, and the
// publisher resumes or resizes an encoding). With --anchors, three more
// viewers hold 180p, 360p and 720p throughout, so every tier stays encoded.
//
// Each sample is split with the publisher's own timestamps: request -> the
// key frame's send time (carried in its payload), and that send time ->
// arrival at the viewer; and request -> the first PLI for that encoding or
// the first tierPlan that makes the height encoded, when one came between.

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "loadtest/ServerProcess.h"
#include "loadtest/client/FrameScheduler.h"
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
using myriad::loadtest::RunFor;
using myriad::loadtest::RunUntil;
using myriad::loadtest::ServerProcess;
using myriad::loadtest::SimulcastVideoSender;
using myriad::loadtest::WebRtcClient;
using Clock = std::chrono::steady_clock;
using Json = nlohmann::json;

constexpr std::array<int, 3> kHeights = {180, 360, 720};
constexpr int kFramesPerSecond = 30;

struct Options {
  std::string serverBinary = MYRIAD_SERVER_BINARY;
  std::vector<int> rttsMs{50, 0};
  int viewers = 4;
  int switches = 40;
  uint32_t seed = 1;
  bool anchors = false;
  // Quiet time between a completed switch and the next request, drawn
  // uniformly: long enough for the re-plan a switch causes (debounce
  // 300 ms, at most 1 s) to have happened.
  int minGapMs = 1000;
  int maxGapMs = 2000;
  std::chrono::milliseconds switchTimeout{5000};
  std::string jsonPath;
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "myriad-bench-tier-switch: " << error << "\n";
  std::cerr << "usage: myriad-bench-tier-switch [--server BIN] [--rtt 50,0] [--viewers 4]\n"
               "         [--switches 40] [--seed 1] [--anchors] [--gap MIN_MS,MAX_MS]\n"
               "         [--json FILE]\n";
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
    } else if (arg == "--rtt") {
      options.rttsMs = IntList(value());
    } else if (arg == "--viewers") {
      options.viewers = std::stoi(value());
    } else if (arg == "--switches") {
      options.switches = std::stoi(value());
    } else if (arg == "--seed") {
      options.seed = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--anchors") {
      options.anchors = true;
    } else if (arg == "--gap") {
      const auto gap = IntList(value());
      if (gap.size() != 2 || gap[0] < 0 || gap[1] < gap[0]) Usage("--gap wants MIN_MS,MAX_MS");
      options.minGapMs = gap[0];
      options.maxGapMs = gap[1];
    } else if (arg == "--json") {
      options.jsonPath = value();
    } else {
      Usage("unknown option " + arg);
    }
  }
  if (options.viewers < 1 || options.switches < 1) Usage("--viewers and --switches must be >= 1");
  for (const int rtt : options.rttsMs) {
    if (rtt < 0) Usage("--rtt values must be >= 0");
  }
  return options;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

Clock::time_point FromUs(int64_t us) { return Clock::time_point(std::chrono::microseconds(us)); }

// Linear interpolation between the closest ranks (numpy's default).
double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  const auto low = static_cast<size_t>(std::floor(rank));
  const size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (values[high] - values[low]) * (rank - static_cast<double>(low));
}

// A switch in flight or done.
struct Sample {
  int viewer = 0;
  int fromHeight = 0;
  int toHeight = 0;
  bool encoded = false;  // the publisher was sending a tier of that height
  Clock::time_point requestedAt;
  std::optional<Clock::time_point> receivedAt;
  int encoding = -1;          // the simulcast stream the new tier came on
  int previousEncoding = -1;  // and the one before
  int64_t keyFrameSendUs = 0;
  std::optional<Clock::time_point> pliAt;   // first PLI for `encoding` after the request
  std::optional<Clock::time_point> planAt;  // first plan making the height encoded after it

  double LatencyMs() const { return Ms(*receivedAt - requestedAt); }
  double ToKeyFrameSentMs() const { return Ms(FromUs(keyFrameSendUs) - requestedAt); }
  double TransitMs() const { return Ms(*receivedAt - FromUs(keyFrameSendUs)); }
};

struct Viewer {
  std::unique_ptr<WebRtcClient> client;
  uint32_t videoSsrc = 0;
  int height = 0;         // the height it asked for last
  int lastEncoding = -1;  // of the last packet received
  int lastKeyHeight = 0;
  uint64_t packets = 0;
  Sample* pending = nullptr;
};

struct PublisherEvent {
  Clock::time_point at;
  int encoding = -1;                // PLI: the stream it names
  std::vector<int> encodedHeights;  // tierPlan: the active encodings' heights
};

struct RunResult {
  int rttMs = 0;
  std::vector<Sample> samples;
  int timeouts = 0;
  uint64_t plansReceived = 0;
  uint64_t keyFrameRequests = 0;
};

std::unique_ptr<WebRtcClient> MakeClient(boost::asio::io_context& context, uint16_t port,
                                         uint32_t seed, std::chrono::milliseconds oneWay) {
  WebRtcClient::Options options;
  options.port = port;
  options.seed = seed;
  options.transport.addedDelay = oneWay;
  auto client = std::make_unique<WebRtcClient>(context, options);
  client->Signaling().SetAddedDelay(oneWay);
  return client;
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

// The heights the plan has the publisher encode (capture height over each
// active encoding's scaleResolutionDownBy).
std::vector<int> EncodedHeights(const WebRtcClient::TierPlan& plan, int captureHeight) {
  std::vector<int> heights;
  for (const auto& encoding : plan.encodings) {
    if (!encoding.active) continue;
    const double scale = encoding.scaleResolutionDownBy >= 1 ? encoding.scaleResolutionDownBy : 1;
    heights.push_back(static_cast<int>(std::lround(captureHeight / scale)));
  }
  return heights;
}

bool Contains(const std::vector<int>& values, int value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

std::optional<RunResult> RunOnce(const Options& options, int rttMs, std::string* error) {
  ServerProcess server;
  ServerProcess::Options serverOptions;
  serverOptions.binary = options.serverBinary;
  serverOptions.environment = {{"MYRIAD_MEDIA_WORKERS", "1"}};
  if (!server.Start(serverOptions, error)) return std::nullopt;
  const auto oneWay = std::chrono::milliseconds(rttMs / 2);

  boost::asio::io_context context;
  const std::string room = "tier-switch";
  auto camera = MakeClient(context, server.HttpPort(), 1, oneWay);
  if (!Await(
          context, [&](auto done) { camera->Join(room, "camera", done); }, "publisher join",
          error)) {
    return std::nullopt;
  }
  if (camera->VideoLevels().empty() || LevelOf(*camera, 180) < 0 || LevelOf(*camera, 360) < 0 ||
      LevelOf(*camera, 720) < 0) {
    *error = "the server's ladder lacks 180p, 360p or 720p";
    return std::nullopt;
  }
  WebRtcClient::PublishRequest publish;
  publish.audio = false;
  publish.video = true;
  publish.videoRids = {"q", "h", "f"};
  publish.videoTiers = 3;
  publish.videoWidth = 1280;
  publish.videoHeight = 720;
  if (!Await(
          context, [&](auto done) { camera->Publish(publish, done); }, "publish", error)) {
    return std::nullopt;
  }
  const WebRtcClient::MediaTrack track = *camera->PublishedTrack("video");
  SimulcastVideoSender::Options senderOptions;
  senderOptions.encodings = {{"q", 320, 180}, {"h", 640, 360}, {"f", 1280, 720}};
  senderOptions.captureWidth = 1280;
  senderOptions.captureHeight = 720;
  senderOptions.framesPerSecond = kFramesPerSecond;
  senderOptions.seed = options.seed;
  SimulcastVideoSender sender(*camera, track, senderOptions);

  // The publisher's side of each switch: PLIs and plans as they arrive.
  std::vector<PublisherEvent> plis;
  std::vector<PublisherEvent> plans;
  camera->SetKeyFrameRequestHandler([&](uint32_t ssrc) {
    const auto index = sender.IndexOfSsrc(ssrc);
    if (index) plis.push_back({Clock::now(), static_cast<int>(*index), {}});
    sender.OnKeyFrameRequest(ssrc);
  });
  camera->SetEventHandler([&](const Json& message) {
    if (message.value("type", "") != "tierPlan") return;
    if (const auto* plan = camera->TierPlanFor(track.mid)) {
      plans.push_back({Clock::now(), -1, EncodedHeights(*plan, publish.videoHeight)});
    }
  });
  myriad::loadtest::FrameScheduler pump(context, kFramesPerSecond, [&](int64_t sendTimeUs) {
    if (camera->IsConnected()) sender.SendFrame(sendTimeUs);
  });
  pump.Start();

  // Viewers (then anchors) at 180p (anchors at 180p, 360p, 720p).
  std::vector<Viewer> viewers(static_cast<size_t>(options.viewers + (options.anchors ? 3 : 0)));
  for (size_t i = 0; i < viewers.size(); ++i) {
    Viewer& viewer = viewers[i];
    const bool anchor = static_cast<int>(i) >= options.viewers;
    viewer.height = anchor ? kHeights[i - static_cast<size_t>(options.viewers)] : 180;
    viewer.client = MakeClient(context, server.HttpPort(), static_cast<uint32_t>(100 + i), oneWay);
    WebRtcClient& client = *viewer.client;
    if (!Await(
            context, [&](auto done) { client.Join(room, "viewer-" + std::to_string(i), done); },
            "viewer join", error) ||
        !Await(
            context,
            [&](auto done) {
              client.SubscribeVideo(track.trackId, LevelOf(client, viewer.height), done);
            },
            "subscribe", error)) {
      return std::nullopt;
    }
    viewer.videoSsrc = client.SubscribedTrack(track.trackId)->ssrc;
    client.SetRtpHandler([&viewer](myriad::rtp::RtpPacket& packet) {
      if (packet.Ssrc() != viewer.videoSsrc) return;  // RTX
      const auto now = Clock::now();
      ++viewer.packets;
      const auto payload = packet.Payload();
      const auto encoding = SimulcastVideoSender::EncodingOf(payload);
      const int previous = viewer.lastEncoding;
      viewer.lastEncoding = encoding ? static_cast<int>(*encoding) : -1;
      const auto descriptor = myriad::rtp::Vp8PayloadDescriptor::Parse(payload);
      if (!descriptor || !descriptor->IsKeyFrame()) return;
      const auto header = myriad::rtp::Vp8KeyFrameHeader::Parse(descriptor->Payload());
      if (!header) return;
      viewer.lastKeyHeight = header->Height();
      Sample* sample = viewer.pending;
      if (sample == nullptr || header->Height() != sample->toHeight) return;
      sample->receivedAt = now;
      sample->encoding = viewer.lastEncoding;
      sample->previousEncoding = previous;
      const auto record = myriad::loadtest::LoadtestPayload::Parse(
          myriad::loadtest::SyntheticMediaSource::PayloadHeader(payload, true));
      sample->keyFrameSendUs = record ? record->sendTimeUs : 0;
      viewer.pending = nullptr;
    });
  }
  // Everyone connected and watching the height it asked for.
  if (!RunUntil(
          context,
          [&] {
            if (!camera->IsConnected()) return false;
            return std::all_of(viewers.begin(), viewers.end(), [](const Viewer& v) {
              return v.client->IsConnected() && v.lastKeyHeight == v.height && v.packets > 30;
            });
          },
          20s)) {
    *error = "the viewers did not all settle on their first tier";
    return std::nullopt;
  }
  RunFor(context, 1s);

  RunResult result;
  result.rttMs = rttMs;
  result.samples.reserve(static_cast<size_t>(options.switches));
  std::mt19937 random(options.seed);
  std::uniform_int_distribution<int> gapMs(options.minGapMs, options.maxGapMs);
  std::uniform_int_distribution<int> pickViewer(0, options.viewers - 1);
  std::uniform_int_distribution<int> pickOther(0, 1);
  for (int k = 0; k < options.switches; ++k) {
    RunFor(context, std::chrono::milliseconds(gapMs(random)));
    Viewer& viewer = viewers[static_cast<size_t>(pickViewer(random))];
    std::vector<int> others;
    for (const int height : kHeights) {
      if (height != viewer.height) others.push_back(height);
    }
    const int toHeight = others[static_cast<size_t>(pickOther(random))];

    Sample& sample = result.samples.emplace_back();
    sample.viewer = static_cast<int>(&viewer - viewers.data());
    sample.fromHeight = viewer.height;
    sample.toHeight = toHeight;
    const auto* plan = camera->TierPlanFor(track.mid);
    sample.encoded =
        plan != nullptr && Contains(EncodedHeights(*plan, publish.videoHeight), toHeight);
    const size_t plisBefore = plis.size();
    const size_t plansBefore = plans.size();
    viewer.pending = &sample;
    viewer.height = toHeight;
    sample.requestedAt = Clock::now();
    if (!viewer.client->SetVideoLevel(track.trackId, LevelOf(*viewer.client, toHeight))) {
      *error = "setVideoLevel refused by the client";
      return std::nullopt;
    }
    if (!RunUntil(
            context, [&] { return viewer.pending == nullptr; }, options.switchTimeout)) {
      viewer.pending = nullptr;
      ++result.timeouts;
      std::fprintf(stderr, "switch %d (viewer %d, %dp -> %dp) timed out\n", k, sample.viewer,
                   sample.fromHeight, sample.toHeight);
      result.samples.pop_back();
      continue;
    }
    const auto keyFrameSentAt = FromUs(sample.keyFrameSendUs);
    for (size_t i = plisBefore; i < plis.size(); ++i) {
      if (plis[i].encoding == sample.encoding && plis[i].at <= keyFrameSentAt) {
        sample.pliAt = plis[i].at;
        break;
      }
    }
    for (size_t i = plansBefore; i < plans.size(); ++i) {
      if (Contains(plans[i].encodedHeights, toHeight) && plans[i].at <= keyFrameSentAt) {
        sample.planAt = plans[i].at;
        break;
      }
    }
  }
  result.plansReceived = camera->TierPlansReceived();
  for (size_t i = 0; i < sender.EncodingCount(); ++i) {
    result.keyFrameRequests += sender.KeyFrameRequests(i);
  }
  return result;
}

struct Summary {
  size_t count = 0;
  double median = 0;
  double p90 = 0;
  double max = 0;
  double min = 0;
};

Summary Summarize(const std::vector<double>& values) {
  Summary s;
  s.count = values.size();
  if (values.empty()) return s;
  s.median = Percentile(values, 50);
  s.p90 = Percentile(values, 90);
  s.max = *std::max_element(values.begin(), values.end());
  s.min = *std::min_element(values.begin(), values.end());
  return s;
}

Json ToJson(const Summary& s) {
  return {{"count", s.count},
          {"median_ms", s.median},
          {"p90_ms", s.p90},
          {"max_ms", s.max},
          {"min_ms", s.min}};
}

// One row per class of switch: latency, then its parts (medians).
Json Report(const RunResult& run) {
  Json rows = Json::array();
  const std::vector<std::pair<std::string, std::function<bool(const Sample&)>>> classes = {
      {"all", [](const Sample&) { return true; }},
      {"encoded", [](const Sample& s) { return s.encoded; }},
      {"re-plan", [](const Sample& s) { return !s.encoded; }},
  };
  for (const auto& [name, in] : classes) {
    std::vector<double> latency;
    std::vector<double> toKeyFrame;
    std::vector<double> transit;
    std::vector<double> toPli;
    std::vector<double> toPlan;
    size_t sameEncoding = 0;
    for (const Sample& s : run.samples) {
      if (!in(s)) continue;
      latency.push_back(s.LatencyMs());
      toKeyFrame.push_back(s.ToKeyFrameSentMs());
      transit.push_back(s.TransitMs());
      if (s.pliAt) toPli.push_back(Ms(*s.pliAt - s.requestedAt));
      if (s.planAt) toPlan.push_back(Ms(*s.planAt - s.requestedAt));
      if (s.encoding == s.previousEncoding) ++sameEncoding;
    }
    const Summary total = Summarize(latency);
    std::printf("%8d ms  %-8s %6zu %9.1f %9.1f %9.1f | %13.1f %11.1f | %5zu %9.1f | %5zu %9.1f\n",
                run.rttMs, name.c_str(), total.count, total.median, total.p90, total.max,
                Summarize(toKeyFrame).median, Summarize(transit).median, toPli.size(),
                Summarize(toPli).median, toPlan.size(), Summarize(toPlan).median);
    rows.push_back({{"class", name},
                    {"latency", ToJson(total)},
                    {"request_to_key_frame_sent", ToJson(Summarize(toKeyFrame))},
                    {"key_frame_transit", ToJson(Summarize(transit))},
                    {"request_to_pli_at_publisher", ToJson(Summarize(toPli))},
                    {"request_to_plan_at_publisher", ToJson(Summarize(toPlan))},
                    {"new_tier_on_same_encoding", sameEncoding}});
  }
  std::fflush(stdout);
  Json samples = Json::array();
  for (const Sample& s : run.samples) {
    samples.push_back({{"viewer", s.viewer},
                       {"from", s.fromHeight},
                       {"to", s.toHeight},
                       {"class", s.encoded ? "encoded" : "re-plan"},
                       {"latency_ms", s.LatencyMs()},
                       {"to_key_frame_sent_ms", s.ToKeyFrameSentMs()},
                       {"transit_ms", s.TransitMs()},
                       {"to_pli_ms", s.pliAt ? Json(Ms(*s.pliAt - s.requestedAt)) : Json()},
                       {"to_plan_ms", s.planAt ? Json(Ms(*s.planAt - s.requestedAt)) : Json()},
                       {"encoding", s.encoding},
                       {"previous_encoding", s.previousEncoding}});
  }
  return {{"added_rtt_ms", run.rttMs},
          {"timeouts", run.timeouts},
          {"tier_plans_received", run.plansReceived},
          {"key_frame_requests_at_publisher", run.keyFrameRequests},
          {"classes", rows},
          {"samples", samples}};
}

int Run(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  std::printf("tier switch latency: %d viewers%s, %d switches per run, seed %u, gaps %d-%d ms\n",
              options.viewers, options.anchors ? " + 3 anchors (180p/360p/720p)" : "",
              options.switches, options.seed, options.minGapMs, options.maxGapMs);
  std::printf("%11s  %-8s %6s %9s %9s %9s | %13s %11s | %5s %9s | %5s %9s\n", "added RTT", "class",
              "count", "median", "p90", "max", "->key sent", "key transit", "PLIs", "->PLI",
              "plans", "->plan");
  Json report = {{"viewers", options.viewers},
                 {"anchors", options.anchors},
                 {"switches", options.switches},
                 {"seed", options.seed},
                 {"gap_ms", {options.minGapMs, options.maxGapMs}},
                 {"runs", Json::array()}};
  int exitCode = 0;
  for (const int rtt : options.rttsMs) {
    std::string error;
    const auto result = RunOnce(options, rtt, &error);
    if (!result) {
      std::fprintf(stderr, "run at %d ms added RTT failed: %s\n", rtt, error.c_str());
      exitCode = 1;
      continue;
    }
    report["runs"].push_back(Report(*result));
    if (result->timeouts > 0) {
      std::printf("%8d ms  %d switch(es) timed out after %lld ms\n", rtt, result->timeouts,
                  static_cast<long long>(options.switchTimeout.count()));
      exitCode = 1;
    }
  }
  if (!options.jsonPath.empty()) std::ofstream(options.jsonPath) << report.dump(2) << "\n";
  return exitCode;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "myriad-bench-tier-switch: %s\n", e.what());
  }
  return 1;
}
