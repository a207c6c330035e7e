// The load generator's client as a receiver that reports transport-wide
// congestion control feedback (WebRtcClient::Options::sendTransportFeedback):
// the server estimates the downlink of a subscriber that reports, and of
// none that does not (its estimator starts with the first feedback). The
// arrival times the feedback reports are the kernel's
// (ClientTransport::Options::kernelReceiveTimestamps), not when the
// client's thread got round to reading.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SimulcastVideoSender.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "tests/integration/Await.h"
#include "tests/integration/FramePump.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::MetricsScraper;
using loadtest::RunUntil;
using loadtest::SimulcastVideoSender;
using loadtest::WebRtcClient;
using Clock = std::chrono::steady_clock;

// A viewer of `trackId` at the 720p level, counting the media it receives.
struct Viewer {
  std::unique_ptr<WebRtcClient> client;
  size_t mediaPackets = 0;
};

Viewer Subscribed(boost::asio::io_context& context, const InProcessServer& server, uint32_t seed,
                  const std::string& trackId, bool sendTransportFeedback) {
  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = seed;
  options.sendTransportFeedback = sendTransportFeedback;
  Viewer viewer{std::make_unique<WebRtcClient>(context, options)};
  REQUIRE(Await(context, [&](auto done) {
            viewer.client->Join("feedback", "viewer" + std::to_string(seed), done);
          }) == "");
  const auto& levels = viewer.client->VideoLevels();
  const auto level = std::find(levels.begin(), levels.end(), 720);
  REQUIRE(level != levels.end());
  REQUIRE(Await(context, [&](auto done) {
            viewer.client->SubscribeVideo(trackId, static_cast<int>(level - levels.begin()), done);
          }) == "");
  return viewer;
}

}  // namespace

TEST_CASE(
    "The server estimates the downlink of a subscriber that sends transport-wide feedback, and "
    "of none that does not",
    "[integration][bandwidth]") {
  InProcessServer server;
  boost::asio::io_context context;
  WebRtcClient::Options cameraOptions;
  cameraOptions.port = server.HttpPort();
  cameraOptions.seed = 1;
  WebRtcClient camera(context, cameraOptions);
  REQUIRE(Await(context, [&](auto done) { camera.Join("feedback", "camera", done); }) == "");
  REQUIRE(Await(context, [&](auto done) {
            camera.Publish({.audio = false,
                            .video = true,
                            .videoRids = {"q", "h", "f"},
                            .videoTiers = 3,
                            .videoWidth = 1280,
                            .videoHeight = 720},
                           done);
          }) == "");
  const WebRtcClient::MediaTrack track = *camera.PublishedTrack("video");
  SimulcastVideoSender::Options senderOptions;
  senderOptions.encodings = {
      {"q", 320, 180, 150'000}, {"h", 640, 360, 500'000}, {"f", 1280, 720, 1'500'000}};
  senderOptions.captureWidth = 1280;
  senderOptions.captureHeight = 720;
  SimulcastVideoSender sender(camera, track, senderOptions);
  sender.AnswerKeyFrameRequests();
  FramePump pump(context, camera, sender);
  pump.Start();

  // One sample per allocation round (250 ms) of every subscriber whose
  // estimator runs; the registry is the process's, so only growth counts.
  const std::string kEstimates = "myriad_downlink_estimate_bps_count";
  const double before = MetricsScraper::Value(server.Metrics(), kEstimates);

  // A subscriber without feedback: a second of video, 4 allocation rounds,
  // and no estimate.
  Viewer silent = Subscribed(context, server, 2, track.trackId, false);
  silent.client->SetRtpHandler([&](rtp::RtpPacket& packet) {
    if (packet.PayloadSize() > 0) ++silent.mediaPackets;
  });
  CHECK(silent.client->TransportFeedback() == nullptr);
  REQUIRE(RunUntil(
      context, [&] { return silent.mediaPackets >= 60; }, 10s));
  const auto firstPacketsAt = Clock::now();
  REQUIRE(RunUntil(
      context, [&] { return Clock::now() - firstPacketsAt >= 1s && silent.mediaPackets >= 120; },
      10s));
  CHECK(MetricsScraper::Value(server.Metrics(), kEstimates) == before);

  // One that reports: estimates appear.
  Viewer reporting = Subscribed(context, server, 3, track.trackId, true);
  reporting.client->SetRtpHandler([&](rtp::RtpPacket& packet) {
    if (packet.PayloadSize() > 0) ++reporting.mediaPackets;
  });
  const loadtest::TransportFeedbackReporter* feedback = reporting.client->TransportFeedback();
  REQUIRE(feedback != nullptr);
  double estimates = before;
  auto lastScrape = Clock::now();
  const bool estimated = RunUntil(
      context,
      [&] {
        // Scrape at most every 100 ms: each is a blocking HTTP request.
        if (Clock::now() - lastScrape < 100ms) return false;
        lastScrape = Clock::now();
        estimates = MetricsScraper::Value(server.Metrics(), kEstimates);
        return estimates > before;
      },
      10s);
  INFO("media packets " << reporting.mediaPackets << ", packets recorded "
                        << feedback->GetCounters().packetsRecorded << ", feedback sent "
                        << feedback->GetCounters().feedbackSent);
  CHECK(estimated);
  CHECK(feedback->GetCounters().feedbackSent > 0);
  CHECK(feedback->GetCounters().sendFailures == 0);
  // Its media SSRC is one the subscriber receives.
  const auto* received = reporting.client->SubscribedTrack(track.trackId);
  REQUIRE(received != nullptr);
  REQUIRE(feedback->MediaSsrc().has_value());
  CHECK(reporting.client->ReceivingTrackBySsrc(*feedback->MediaSsrc()) == received);
}

}  // namespace myriad::integration

namespace myriad::integration {

TEST_CASE(
    "With kernel receive timestamps a client knows when each datagram arrived, also while its "
    "thread was busy",
    "[integration][client]") {
  InProcessServer server;
  boost::asio::io_context context;
  const auto options = [&](uint32_t seed, bool kernelTimestamps) {
    WebRtcClient::Options o;
    o.port = server.HttpPort();
    o.seed = seed;
    o.transport.kernelReceiveTimestamps = kernelTimestamps;
    return o;
  };
  WebRtcClient publisher(context, options(1, false));
  REQUIRE(Await(context, [&](auto done) { publisher.Join("arrivals", "pub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) {
            publisher.Publish({.audio = true, .video = false}, done);
          }) == "");
  const auto* audio = publisher.PublishedTrack("audio");
  REQUIRE(audio != nullptr);
  // What each subscriber's transport says about every packet: when it
  // arrived, and when it was handled.
  struct Arrival {
    Clock::time_point arrived;
    Clock::time_point handled;
  };
  struct Subscriber {
    std::unique_ptr<WebRtcClient> client;
    std::vector<Arrival> arrivals;
  };
  std::vector<Subscriber> subscribers;
  for (const bool kernel : {true, false}) {
    Subscriber subscriber{std::make_unique<WebRtcClient>(context, options(kernel ? 2 : 3, kernel)),
                          {}};
    REQUIRE(Await(context, [&](auto done) {
              subscriber.client->Join("arrivals", kernel ? "kernel" : "batch", done);
            }) == "");
    REQUIRE(Await(context,
                  [&](auto done) { subscriber.client->Subscribe(audio->trackId, done); }) == "");
    subscribers.push_back(std::move(subscriber));
  }
  for (auto& subscriber : subscribers) {
    subscriber.client->SetRtpHandler([&subscriber](rtp::RtpPacket&) {
      subscriber.arrivals.push_back({subscriber.client->Transport().LastArrival(), Clock::now()});
    });
  }
  Subscriber& kernel = subscribers[0];
  Subscriber& batch = subscribers[1];
  loadtest::SyntheticMediaSource source(publisher.SourceConfigFor(*audio, 4));
  SentPacketLog sent;
  const auto received = [&](size_t count) {
    return kernel.arrivals.size() >= count && batch.arrivals.size() >= count;
  };
  // Connected end to end: a packet reaches both.
  for (int i = 0; i < 100 && !received(1); ++i) {
    sent.Produce(publisher, source);
    RunUntil(
        context, [&] { return received(1); }, 50ms);
  }
  REQUIRE(received(1));

  // A burst, then the thread is busy for 50 ms: the server forwards the
  // burst meanwhile, and it waits in the sockets. The kernel's times fall
  // inside the busy spell; a batch's read time is after it. (Tried again if
  // the server forwarded nothing within the spell.)
  bool shown = false;
  for (int attempt = 0; attempt < 5 && !shown; ++attempt) {
    const size_t kernelFrom = kernel.arrivals.size();
    const size_t batchFrom = batch.arrivals.size();
    for (int i = 0; i < 5; ++i) sent.Produce(publisher, source);
    const auto busyFrom = Clock::now();
    const auto busyUntil = busyFrom + 50ms;
    while (Clock::now() < busyUntil) {
    }
    REQUIRE(RunUntil(
        context,
        [&] {
          return kernel.arrivals.size() >= kernelFrom + 5 && batch.arrivals.size() >= batchFrom + 5;
        },
        5s));
    const auto during = [&](const Subscriber& subscriber, size_t from) {
      size_t count = 0;
      for (size_t i = from; i < subscriber.arrivals.size(); ++i) {
        const auto& arrival = subscriber.arrivals[i];
        CHECK(arrival.arrived <= arrival.handled);
        if (arrival.arrived >= busyFrom && arrival.arrived < busyUntil) ++count;
      }
      return count;
    };
    const size_t kernelDuring = during(kernel, kernelFrom);
    const size_t batchDuring = during(batch, batchFrom);
    INFO("attempt " << attempt << ": " << kernelDuring << " kernel times and " << batchDuring
                    << " batch times inside the busy spell");
    CHECK(batchDuring == 0);
    shown = kernelDuring > 0;
  }
  CHECK(shown);
}

}  // namespace myriad::integration
