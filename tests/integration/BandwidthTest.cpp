// Downlink bandwidth end to end over real sockets (docs/protocol.md
// "Bandwidth"): a subscriber reports transport-wide feedback from behind an
// ImpairmentRelay; the server estimates its downlink, steps its simulcast
// tier down when the link is capped and back up one tier at a time when the
// cap is lifted, and caps the publisher's encoding of the tier it serves.

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/LoadtestPayload.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SimulcastVideoSender.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"
#include "tests/integration/Await.h"
#include "tests/integration/FramePump.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::ImpairmentRelay;
using loadtest::RunUntil;
using loadtest::SimulcastVideoSender;
using loadtest::WebRtcClient;
using Clock = std::chrono::steady_clock;

constexpr int kF = 2;  // the encodings' indexes: q, h, f
const std::vector<std::string> kRids = {"q", "h", "f"};

// The media a subscriber receives on its video m-line.
class ReceivedMedia {
 public:
  struct Packet {
    Clock::time_point at;
    size_t bytes = 0;  // the RTP packet
    int encoding = -1;
    bool keyFrame = false;
    uint16_t height = 0;  // of a key frame
    // The picture this packet belongs to: the height of the newest key
    // frame received (the server switches streams only at key frames, and
    // a stream re-planned to another size starts with one).
    uint16_t pictureHeight = 0;
  };

  void Attach(WebRtcClient& client) {
    client.SetRtpHandler([this, &client](rtp::RtpPacket& packet) {
      const auto* track = client.ReceivingTrackBySsrc(packet.Ssrc());
      // Media only: RTX (probes' padding, retransmissions) is not picture.
      if (!track || track->kind != "video" || packet.Ssrc() != track->ssrc ||
          packet.PayloadSize() == 0) {
        return;
      }
      Packet entry;
      entry.at = Clock::now();
      entry.bytes = packet.Size();
      if (const auto record = loadtest::LoadtestPayload::Parse(
              loadtest::SyntheticMediaSource::PayloadHeader(packet.Payload(), true));
          record && record->stream > 0) {
        entry.encoding = record->stream - 1;
      }
      if (const auto descriptor = rtp::Vp8PayloadDescriptor::Parse(packet.Payload());
          descriptor && descriptor->IsKeyFrame()) {
        entry.keyFrame = true;
        if (const auto header = rtp::Vp8KeyFrameHeader::Parse(descriptor->Payload())) {
          entry.height = header->Height();
          pictureHeight_ = entry.height;
        }
      }
      entry.pictureHeight = pictureHeight_;
      packets_.push_back(entry);
    });
  }

  const std::vector<Packet>& Packets() const { return packets_; }

  // Bits per second over the `window` before `now`.
  double RateBps(Clock::time_point now, Clock::duration window = 2s) const {
    size_t bytes = 0;
    for (auto it = packets_.rbegin(); it != packets_.rend() && it->at > now - window; ++it) {
      if (it->at <= now) bytes += it->bytes;
    }
    return static_cast<double>(bytes) * 8 / std::chrono::duration<double>(window).count();
  }

  // When the newest packet of a picture at least `height` tall arrived.
  std::optional<Clock::time_point> LastArrivalAtLeast(uint16_t height) const {
    for (auto it = packets_.rbegin(); it != packets_.rend(); ++it) {
      if (it->pictureHeight >= height) return it->at;
    }
    return std::nullopt;
  }

  // The encoding of the newest packet, or -1.
  int Current() const { return packets_.empty() ? -1 : packets_.back().encoding; }
  // The picture height of the newest packet, 0 before a key frame.
  uint16_t CurrentHeight() const { return packets_.empty() ? 0 : packets_.back().pictureHeight; }

  // Settled on pictures `height` tall: a key frame of that height started
  // what arrived since, at least `packets` packets.
  bool SettledOnHeight(uint16_t height, size_t packets = 30) const {
    for (size_t i = packets_.size(); i-- > 0;) {
      if (packets_[i].keyFrame) {
        return packets_[i].height == height && packets_.size() - i >= packets;
      }
    }
    return false;
  }

  // Settled on `encoding`: its key frame started what arrived since, at
  // least `packets` packets all of it.
  bool SettledOn(int encoding, size_t packets = 30) const {
    for (size_t i = packets_.size(); i-- > 0;) {
      if (packets_[i].encoding != encoding) return false;
      if (packets_[i].keyFrame) return packets_.size() - i >= packets;
    }
    return false;
  }

  // The encodings in the order received from packet `from` on, each
  // repetition collapsed.
  std::vector<int> Sequence(size_t from = 0) const {
    std::vector<int> sequence;
    for (size_t i = from; i < packets_.size(); ++i) {
      if (sequence.empty() || sequence.back() != packets_[i].encoding) {
        sequence.push_back(packets_[i].encoding);
      }
    }
    return sequence;
  }

 private:
  std::vector<Packet> packets_;
  uint16_t pictureHeight_ = 0;
};

std::string Text(const std::vector<int>& sequence) {
  std::ostringstream out;
  for (size_t i = 0; i < sequence.size(); ++i) {
    out << (i ? " " : "")
        << (sequence[i] >= 0 ? kRids[static_cast<size_t>(sequence[i])] : std::string("?"));
  }
  return out.str();
}

double Seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

// Timings go to stdout only when asked for (MYRIAD_TEST_LOG, as the
// server's logs): a passing test is quiet.
void Report(const std::string& line) {
  if (std::getenv("MYRIAD_TEST_LOG") != nullptr) std::printf("[BandwidthTest] %s\n", line.c_str());
}

std::unique_ptr<WebRtcClient> Joined(boost::asio::io_context& context,
                                     const InProcessServer& server, WebRtcClient::Options options,
                                     const std::string& name) {
  options.port = server.HttpPort();
  auto client = std::make_unique<WebRtcClient>(context, options);
  REQUIRE(Await(context, [&](auto done) { client->Join("bandwidth", name, done); }) == "");
  return client;
}

// A camera that published one 1280x720 track as three VP8 encodings (kRids).
std::unique_ptr<WebRtcClient> PublishingCamera(boost::asio::io_context& context,
                                               const InProcessServer& server, uint32_t seed,
                                               WebRtcClient::MediaTrack& track) {
  WebRtcClient::Options options;
  options.seed = seed;
  auto camera = Joined(context, server, options, "camera");
  REQUIRE(Await(context, [&](auto done) {
            camera->Publish({.audio = false,
                             .video = true,
                             .videoRids = kRids,
                             .videoTiers = 3,
                             .videoWidth = 1280,
                             .videoHeight = 720},
                            done);
          }) == "");
  track = *camera->PublishedTrack("video");
  REQUIRE(track.simulcast.size() == 3);
  return camera;
}

// Its sender at 30 fps with `bitrates` for q, h and f, following the tier
// plans (pauses, sizes and maxBitrate caps) and answering PLIs.
SimulcastVideoSender::Options CameraSenderOptions(const std::array<uint32_t, 3>& bitrates,
                                                  uint32_t seed) {
  SimulcastVideoSender::Options options;
  options.encodings = {
      {"q", 320, 180, bitrates[0]}, {"h", 640, 360, bitrates[1]}, {"f", 1280, 720, bitrates[2]}};
  options.framesPerSecond = 30;
  options.captureWidth = 1280;
  options.captureHeight = 720;
  options.seed = seed;
  return options;
}

// The camera's newest plan for `mid`, as text.
std::string PlanText(const WebRtcClient& camera, const std::string& mid) {
  std::ostringstream out;
  if (const auto* plan = camera.TierPlanFor(mid)) {
    out << "; plan v" << plan->version << ":";
    for (const auto& encoding : plan->encodings) {
      out << " " << encoding.rid << (encoding.active ? "" : " (paused)") << " /"
          << encoding.scaleResolutionDownBy << " " << encoding.maxBitrate / 1000 << " kbit/s";
    }
  }
  return out.str();
}

int LevelOf(const WebRtcClient& client, int height) {
  const auto& levels = client.VideoLevels();
  const auto it = std::find(levels.begin(), levels.end(), height);
  REQUIRE(it != levels.end());
  return static_cast<int>(it - levels.begin());
}

}  // namespace

TEST_CASE(
    "Bandwidth: a subscriber behind a capped downlink steps down off the top tier, the "
    "publisher's tier is capped to it, and it climbs back one tier at a time when the cap goes",
    "[integration][bandwidth]") {
  InProcessServer server;
  boost::asio::io_context context;

  // The camera: three VP8 encodings at their own bitrates.
  WebRtcClient::MediaTrack track;
  auto camera = PublishingCamera(context, server, 1, track);
  const auto senderOptions = CameraSenderOptions({150'000, 500'000, 1'500'000}, 7);
  SimulcastVideoSender sender(*camera, track, senderOptions);
  sender.AnswerKeyFrameRequests();
  FramePump pump(context, *camera, sender);
  pump.Start();

  // Two viewers on unimpaired paths at 180p and 360p keep q and h in the
  // plan, so the capped viewer has a tier to step down to at once (a lone
  // viewer's plan has one tier: it is paused until its capped demand
  // re-plans the publisher; the next test case). They send no feedback, so
  // they cast no votes on the caps.
  std::vector<std::unique_ptr<WebRtcClient>> lowerTierViewers;
  for (const int height : {180, 360}) {
    WebRtcClient::Options options;
    options.seed = static_cast<uint32_t>(10 + height);
    auto client = Joined(context, server, options, "viewer" + std::to_string(height));
    REQUIRE(Await(context, [&](auto done) {
              client->SubscribeVideo(track.trackId, LevelOf(*client, height), done);
            }) == "");
    lowerTierViewers.push_back(std::move(client));
  }

  // The subscriber: 720p, with feedback, behind a relay whose downlink is
  // unlimited to start with.
  WebRtcClient::Options viewerOptions;
  viewerOptions.seed = 2;
  viewerOptions.sendTransportFeedback = true;
  viewerOptions.transport.impairment = ImpairmentRelay::PathOptions{};
  auto viewer = Joined(context, server, viewerOptions, "viewer");
  ReceivedMedia received;
  received.Attach(*viewer);
  REQUIRE(Await(context, [&](auto done) {
            viewer->SubscribeVideo(track.trackId, LevelOf(*viewer, 720), done);
          }) == "");
  const auto start = Clock::now();
  const auto describe = [&] {
    std::ostringstream out;
    const auto now = Clock::now();
    out << "at " << Seconds(now - start) << " s: receiving "
        << (received.Current() >= 0 ? kRids[static_cast<size_t>(received.Current())] : "nothing")
        << " (" << received.CurrentHeight() << "p) at " << received.RateBps(now) / 1000
        << " kbit/s; encodings received: " << Text(received.Sequence());
    out << PlanText(*camera, track.mid);
    if (const auto* feedback = viewer->TransportFeedback()) {
      out << "; feedback sent " << feedback->GetCounters().feedbackSent;
    }
    if (const auto* relay = viewer->Transport().Relay()) {
      const auto counters = relay->GetCounters();
      out << "; relay downlink forwarded " << counters.downlink.forwarded << ", dropped "
          << counters.downlink.Dropped();
    }
    return out.str();
  };

  // a. Unlimited: once the server estimates the downlink (from the first
  // feedback on) the subscriber settles on f, and is still on it after 8
  // allocation rounds.
  const loadtest::TransportFeedbackReporter& feedback = *viewer->TransportFeedback();
  {
    std::optional<Clock::time_point> firstFeedbackAt;
    const bool settled = RunUntil(
        context,
        [&] {
          if (!firstFeedbackAt && feedback.GetCounters().feedbackSent > 0) {
            firstFeedbackAt = Clock::now();
          }
          return firstFeedbackAt && Clock::now() - *firstFeedbackAt >= 2s &&
                 received.SettledOn(kF) && received.CurrentHeight() == 720;
        },
        15s);
    INFO(describe());
    REQUIRE(settled);
    Report("a. on f with feedback running for 2 s " + describe());
  }

  ImpairmentRelay& relay = *viewer->Transport().Relay();
  // The rate the received encoding is capped to in the publisher's newest
  // plan (0: no plan, or no cap stated).
  const auto planCapOfCurrent = [&]() -> uint64_t {
    const auto* plan = camera->TierPlanFor(track.mid);
    const int current = received.Current();
    if (!plan || current < 0) return 0;
    const auto* encoding = plan->Encoding(kRids[static_cast<size_t>(current)]);
    return encoding && encoding->active ? encoding->maxBitrate : 0;
  };
  // The downlink is capped at `capBps` behind a 40 KB buffer: within 10 s
  // the subscriber is off f, receives between 80% and 110% of the cap over
  // 2 s and the plan caps what it receives at `planCapLimitBps` at most;
  // then it stays so for 5 s.
  const auto capDownlink = [&](double capBps, double planCapLimitBps, const std::string& step) {
    ImpairmentRelay::PathOptions capped = relay.GetPathOptions();
    capped.downlink.rateBitsPerSecond = static_cast<uint64_t>(capBps);
    capped.downlink.queueLimitBytes = 40'000;
    const size_t cappedFrom = received.Packets().size();
    const auto cappedAt = Clock::now();
    relay.SetPathOptions(capped, cappedAt);
    const auto inBand = [&](double rate) { return rate >= capBps * 0.8 && rate <= capBps * 1.1; };
    // Adapted: a full window of the capped link, none of it 720p (the rate
    // is the adapted stream's, not the link draining 720p), its rate in
    // the band, and the plan caps what arrives within the limit. What is
    // not yet, or nullptr.
    const auto notAdapted = [&](Clock::time_point now) -> const char* {
      const auto last720 = received.LastArrivalAtLeast(720);
      const double rate = received.RateBps(now);
      if (now - cappedAt < 2s) return "no full window yet";
      if (received.Current() < 0 || received.CurrentHeight() >= 720 ||
          (last720 && *last720 > now - 2s)) {
        return "720p in the window";
      }
      if (rate < capBps * 0.8) return "rate below the band";
      if (rate > capBps * 1.1) return "rate above the band";
      if (planCapOfCurrent() == 0) return "no plan cap";
      if (planCapOfCurrent() > planCapLimitBps) return "plan cap above its limit";
      return nullptr;
    };
    // Within 10 s it is adapted, and stays so for 5 s: a moment in the
    // band that does not last is not settling (the clock restarts).
    std::optional<Clock::time_point> adaptedSince;
    std::ostringstream periods;  // the adapted periods that did not last
    size_t flickers = 0;         // ... and how many lasted under 250 ms
    const bool settled = RunUntil(
        context,
        [&] {
          const auto now = Clock::now();
          if (const char* reason = notAdapted(now)) {
            if (adaptedSince && now - *adaptedSince < 250ms) {
              ++flickers;
            } else if (adaptedSince) {
              periods << " adapted " << Seconds(*adaptedSince - cappedAt) << "-"
                      << Seconds(now - cappedAt) << " s, then " << reason << " ("
                      << received.RateBps(now) / 1000 << " kbit/s, plan cap "
                      << planCapOfCurrent() / 1000 << " kbit/s);";
            }
            adaptedSince.reset();
            return false;
          }
          if (!adaptedSince) {
            if (now - cappedAt > 10s) return false;
            adaptedSince = now;
          }
          return now - *adaptedSince >= 5s;
        },
        16s);
    const auto& packets = received.Packets();
    size_t off720 = cappedFrom;
    while (off720 < packets.size() && packets[off720].pictureHeight >= 720) ++off720;
    std::ostringstream timings;
    timings << step << " off 720p after "
            << (off720 < packets.size() ? Seconds(packets[off720].at - cappedAt) : -1.0) << " s;"
            << periods.str() << " " << flickers << " crossings of the band's edge under 250 ms; "
            << (adaptedSince ? "adapted for good (5 s) from " +
                                   std::to_string(Seconds(*adaptedSince - cappedAt)) + " s; "
                             : std::string("not adapted for 5 s; "));
    Report(timings.str() + describe());
    INFO(timings.str());
    INFO(describe());
    INFO("the plan caps the received encoding at " << planCapOfCurrent() / 1000 << " kbit/s");
    CHECK(received.CurrentHeight() < 720);
    CHECK(inBand(received.RateBps(Clock::now())));
    CHECK(planCapOfCurrent() > 0);
    CHECK(planCapOfCurrent() <= planCapLimitBps);
    REQUIRE(settled);
    // Down one tier at a time (LayerSelector).
    const auto down = received.Sequence(cappedFrom);
    INFO(step << " encodings since the cap: " << Text(down));
    for (size_t i = 1; i < down.size(); ++i) CHECK(down[i] >= down[i - 1] - 1);
  };

  // b. 500 kbit/s: below 720p's minimum (a quarter of its 2.5 Mbit/s)
  // with room for h (360p, 500 kbit/s at most): off 720p onto h at once;
  // then the level the viewer asks for is capped at what the link affords
  // (450p: half its 815 kbit/s target fits), the publisher re-plans f to
  // it (nobody asks for 720p any more), and the viewer moves onto f at
  // about the link's rate, capped at most 10% above the link in the plan.
  capDownlink(500'000, 550'000, "b. 500 kbit/s:");
  {
    // The publisher no longer encodes 720p for a viewer who cannot take it.
    const auto* plan = camera->TierPlanFor(track.mid);
    REQUIRE(plan != nullptr);
    INFO(describe());
    for (const auto& encoding : plan->encodings) {
      if (encoding.active) CHECK(encoding.scaleResolutionDownBy > 1.01);
    }
  }
  // b2. 350 kbit/s: the encoding it receives still fits, at the rate the
  // subscriber's share caps it to. The cap follows the estimate, which
  // swings up to ~20% above the link between two overuse detections
  // (GoogCC's additive increase), so the cap may be 30% above; it is the
  // vote's, not the ladder's, and the camera sends the encoding at it.
  capDownlink(350'000, 455'000, "b2. 350 kbit/s:");
  {
    const int current = received.Current();
    REQUIRE(current >= 0);
    const std::string& rid = kRids[static_cast<size_t>(current)];
    // The camera applies the newest plan with its next frame.
    const bool applied = RunUntil(
        context,
        [&] { return sender.AppliedPlanVersion() == camera->TierPlanFor(track.mid)->version; }, 1s);
    CHECK(applied);
    const auto* encoding = camera->TierPlanFor(track.mid)->Encoding(rid);
    REQUIRE(encoding != nullptr);
    CHECK(encoding->maxBitrate < 455'000);
    CHECK(sender.BitrateBps(static_cast<size_t>(current)) ==
          std::min<uint64_t>(senderOptions.encodings[static_cast<size_t>(current)].bitrateBps,
                             encoding->maxBitrate));
  }

  // c. The cap is lifted: back on 720p (the viewer's demand is raised, the
  // plan re-encodes 720p), one tier at a time.
  ImpairmentRelay::PathOptions lifted = relay.GetPathOptions();
  lifted.downlink.rateBitsPerSecond = 0;
  lifted.downlink.queueLimitBytes = 0;
  const size_t liftedFrom = received.Packets().size();
  const auto liftedAt = Clock::now();
  relay.SetPathOptions(lifted, liftedAt);
  {
    const bool back = RunUntil(
        context, [&] { return received.SettledOnHeight(720); }, 15s);
    INFO(describe());
    REQUIRE(back);
    const auto& packets = received.Packets();
    size_t onF = liftedFrom;
    while (onF < packets.size() && packets[onF].pictureHeight < 720) ++onF;
    Report("c. first 720p packet after " + std::to_string(Seconds(packets[onF].at - liftedAt)) +
           " s, settled after " + std::to_string(Seconds(Clock::now() - liftedAt)) + " s " +
           describe());
  }
  const auto up = received.Sequence(liftedFrom);
  INFO("encodings since the cap was lifted: " << Text(up));
  for (size_t i = 1; i < up.size(); ++i) CHECK(up[i] <= up[i - 1] + 1);
  CHECK(viewer->Transport().GetCounters().unprotectFailures == 0);
}

TEST_CASE(
    "Bandwidth: a publisher whose every viewer sits behind 500 kbit/s is re-planned to a level "
    "they can take and sends about 500 kbit/s, not its full ladder",
    "[integration][bandwidth]") {
  InProcessServer server;
  boost::asio::io_context context;

  WebRtcClient::MediaTrack track;
  auto camera = PublishingCamera(context, server, 3, track);
  // Each encoding may send up to 1.5 Mbit/s: what it sends is the plan's.
  SimulcastVideoSender sender(*camera, track,
                              CameraSenderOptions({1'500'000, 1'500'000, 1'500'000}, 9));
  sender.AnswerKeyFrameRequests();
  // What the camera sends, to measure its rate.
  std::vector<std::pair<Clock::time_point, size_t>> sent;
  sender.SetSentHandler([&](size_t /*encoding*/, std::span<const uint8_t> packet) {
    sent.emplace_back(Clock::now(), packet.size());
  });
  const auto sentRateBps = [&](Clock::time_point now) {
    size_t bytes = 0;
    for (auto it = sent.rbegin(); it != sent.rend() && it->first > now - 2s; ++it) {
      bytes += it->second;
    }
    return static_cast<double>(bytes) * 8 / 2;
  };
  FramePump pump(context, *camera, sender);
  pump.Start();

  // Two 720p viewers, each behind its own relay: the plan has one tier,
  // 720p, and nothing below it.
  struct Viewer {
    std::unique_ptr<WebRtcClient> client;
    ReceivedMedia received;
  };
  std::vector<std::unique_ptr<Viewer>> viewers;
  for (uint32_t i = 0; i < 2; ++i) {
    WebRtcClient::Options options;
    options.seed = 20 + i;
    options.sendTransportFeedback = true;
    options.transport.impairment = ImpairmentRelay::PathOptions{};
    auto viewer = std::make_unique<Viewer>();
    viewer->client = Joined(context, server, options, "viewer" + std::to_string(i));
    viewer->received.Attach(*viewer->client);
    REQUIRE(Await(context, [&](auto done) {
              viewer->client->SubscribeVideo(track.trackId, LevelOf(*viewer->client, 720), done);
            }) == "");
    viewers.push_back(std::move(viewer));
  }
  const auto describe = [&] {
    std::ostringstream out;
    const auto now = Clock::now();
    out << "camera sends " << sentRateBps(now) / 1000 << " kbit/s";
    for (size_t i = 0; i < viewers.size(); ++i) {
      const auto& received = viewers[i]->received;
      out << "; viewer " << i << " receives " << received.CurrentHeight() << "p at "
          << received.RateBps(now) / 1000 << " kbit/s";
    }
    out << PlanText(*camera, track.mid);
    return out.str();
  };

  // Unlimited: both settle on 720p, which the camera sends at well over
  // 1 Mbit/s.
  {
    const bool settled = RunUntil(
        context,
        [&] {
          return std::all_of(viewers.begin(), viewers.end(),
                             [](const auto& v) { return v->received.SettledOnHeight(720); }) &&
                 sentRateBps(Clock::now()) > 1'000'000;
        },
        15s);
    INFO(describe());
    REQUIRE(settled);
    Report("unlimited: " + describe());
  }

  // Both downlinks capped at 500 kbit/s.
  constexpr double kCapBps = 500'000;
  const auto cappedAt = Clock::now();
  for (auto& viewer : viewers) {
    ImpairmentRelay& relay = *viewer->client->Transport().Relay();
    ImpairmentRelay::PathOptions capped = relay.GetPathOptions();
    capped.downlink.rateBitsPerSecond = static_cast<uint64_t>(kCapBps);
    capped.downlink.queueLimitBytes = 40'000;
    relay.SetPathOptions(capped, cappedAt);
  }
  // Within 15 s: the camera encodes nothing at 720p, sends at most 30%
  // more than one viewer's link over 2 s, and both viewers receive video
  // at over half their link; for 3 s on end.
  std::optional<Clock::time_point> adaptedSince;
  const bool adapted = RunUntil(
      context,
      [&] {
        const auto now = Clock::now();
        const auto* plan = camera->TierPlanFor(track.mid);
        bool ok = plan != nullptr && now - cappedAt >= 2s && sentRateBps(now) <= kCapBps * 1.3;
        if (plan) {
          for (const auto& encoding : plan->encodings) {
            if (encoding.active && encoding.scaleResolutionDownBy <= 1.01) ok = false;
          }
        }
        for (const auto& viewer : viewers) {
          const auto& received = viewer->received;
          if (received.RateBps(now) < kCapBps * 0.5 || received.CurrentHeight() >= 720 ||
              received.CurrentHeight() == 0) {
            ok = false;
          }
        }
        if (!ok) {
          adaptedSince.reset();
          return false;
        }
        if (!adaptedSince) {
          if (now - cappedAt > 15s) return false;
          adaptedSince = now;
        }
        return now - *adaptedSince >= 3s;
      },
      20s);
  Report("capped: adapted from " +
         (adaptedSince ? std::to_string(Seconds(*adaptedSince - cappedAt)) : std::string("-")) +
         " s: " + describe());
  INFO(describe());
  REQUIRE(adapted);
  for (const auto& viewer : viewers) {
    CHECK(viewer->client->Transport().GetCounters().unprotectFailures == 0);
  }
}

}  // namespace myriad::integration
