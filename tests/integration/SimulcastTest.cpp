// Simulcast tiers end to end through a real server (docs/protocol.md
// "Simulcast tiers"): a publisher sends three VP8 encodings, subscribers ask
// for levels, the server plans the tiers, tells the publisher (`tierPlan`)
// and switches each subscriber between encodings at key frames only, with
// sequence numbers, timestamps and picture ids rewritten into one stream.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SimulcastVideoSender.h"
#include "loadtest/client/WebRtcClient.h"
#include "tests/integration/Await.h"
#include "tests/integration/FramePump.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/ReceivedVideoLog.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::RunUntil;
using loadtest::SimulcastVideoSender;
using loadtest::WebRtcClient;
using Packet = ReceivedVideoLog::Packet;

constexpr auto kDeadline = 5s;

// A 1280x720 camera sent as q, h and f at a quarter, half and full size.
SimulcastVideoSender::Options Camera720pOptions() {
  SimulcastVideoSender::Options options;
  options.encodings = {{"q", 320, 180}, {"h", 640, 360}, {"f", 1280, 720}};
  options.captureWidth = 1280;
  options.captureHeight = 720;
  return options;
}

std::unique_ptr<WebRtcClient> Joined(boost::asio::io_context& context,
                                     const InProcessServer& server, uint32_t seed) {
  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = seed;
  auto client = std::make_unique<WebRtcClient>(context, options);
  REQUIRE(Await(context, [&](auto done) {
            client->Join("simulcast", "p" + std::to_string(seed), done);
          }) == "");
  return client;
}

// The ladder level (index into `videoLevels`) of a picture height.
int LevelOf(const WebRtcClient& client, int height) {
  const auto& levels = client.VideoLevels();
  const auto it = std::find(levels.begin(), levels.end(), height);
  REQUIRE(it != levels.end());
  return static_cast<int>(it - levels.begin());
}

// One subscriber of the camera's video.
struct Viewer {
  std::unique_ptr<WebRtcClient> client;
  ReceivedVideoLog log;
  std::string mid;

  const std::vector<Packet>& Packets() const { return log.For(mid); }
  // The index of the last key frame received, or nullopt.
  std::optional<size_t> LastKeyFrame() const {
    const auto& packets = Packets();
    for (size_t i = packets.size(); i-- > 0;) {
      if (packets[i].keyFrame) return i;
    }
    return std::nullopt;
  }
  // Settled on `encoding` at `height`: the last key frame is that
  // encoding's at that height, and at least `packets` packets arrived
  // since, all of it.
  bool SettledAt(int encoding, int height, size_t packets = 8) const {
    const auto key = LastKeyFrame();
    if (!key) return false;
    const auto& all = Packets();
    if (all[*key].height != height || all.size() - *key < packets) return false;
    for (size_t i = *key; i < all.size(); ++i) {
      if (all[i].Encoding() != encoding) return false;
    }
    return true;
  }
};

std::string Describe(const Packet& packet) {
  std::ostringstream out;
  out << "encoding " << packet.Encoding() << " seq " << packet.sequenceNumber << " ts "
      << packet.timestamp << " marker " << packet.marker;
  if (packet.descriptor) {
    out << " pictureId " << packet.descriptor->pictureId << " tl0PicIdx "
        << int{packet.descriptor->tl0PicIdx} << " S " << packet.descriptor->startOfPartition;
  }
  if (packet.keyFrame) out << " key " << packet.width << "x" << packet.height;
  return out.str();
}

// What a decoder needs of the one stream a subscriber sees, checked over
// every pair of consecutive packets: sequence numbers +1, timestamps never
// going back (+ across frames), PictureID and TL0PICIDX +1 from one frame
// to the next, and a change of source encoding only where a key frame of
// the new one starts, after a complete frame of the old one. Returns the
// number of encoding switches.
size_t CheckOneContinuousStream(const std::vector<Packet>& packets) {
  // The first packets may be interframes: a key frame the server forwards
  // while the subscriber's transport is still connecting is lost, and the
  // server asks for another once it is up (Participant::OnTransportConnected).
  // What matters is that nothing else than a key frame changes the source.
  size_t switches = 0;
  for (size_t i = 1; i < packets.size(); ++i) {
    const Packet& before = packets[i - 1];
    const Packet& after = packets[i];
    INFO("packet " << i - 1 << ": " << Describe(before));
    INFO("packet " << i << ": " << Describe(after));
    REQUIRE(before.descriptor.has_value());
    REQUIRE(after.descriptor.has_value());
    REQUIRE(after.Encoding() >= 0);
    CHECK(after.sequenceNumber == static_cast<uint16_t>(before.sequenceNumber + 1));
    const auto advance = static_cast<int32_t>(after.timestamp - before.timestamp);
    const bool newFrame = after.descriptor->startOfPartition;
    if (newFrame) {
      CHECK(advance > 0);
      CHECK(before.marker);
      CHECK(after.descriptor->pictureId ==
            ((before.descriptor->pictureId + 1) & rtp::Vp8PayloadDescriptor::kMaxPictureId15Bit));
      CHECK(after.descriptor->tl0PicIdx == static_cast<uint8_t>(before.descriptor->tl0PicIdx + 1));
    } else {
      CHECK(advance == 0);
      CHECK(after.descriptor->pictureId == before.descriptor->pictureId);
    }
    if (after.Encoding() != before.Encoding()) {
      ++switches;
      CHECK(after.keyFrame);
    }
  }
  return switches;
}

}  // namespace

TEST_CASE(
    "Simulcast: subscribers get the tier of their level, switch at key frames into one "
    "continuous stream, and the publisher encodes what is watched",
    "[integration][simulcast]") {
  InProcessServer server([](config::ServerConfig& config) {
    // Quicker re-plans than the default 300 ms; still debounced.
    config.simulcast.debounceMs = 100;
    config.simulcast.maxDelayMs = 300;
  });
  boost::asio::io_context context;

  auto camera = Joined(context, server, 1);
  REQUIRE(camera->VideoLevels().size() == 10);
  REQUIRE(Await(context, [&](auto done) {
            camera->Publish({.audio = false,
                             .video = true,
                             .videoRids = {"q", "h", "f"},
                             .videoTiers = 3,
                             .videoWidth = 1280,
                             .videoHeight = 720},
                            done);
          }) == "");
  const WebRtcClient::MediaTrack track = *camera->PublishedTrack("video");
  REQUIRE(track.simulcast.size() == 3);
  SimulcastVideoSender sender(*camera, track, Camera720pOptions());
  sender.AnswerKeyFrameRequests();
  FramePump pump(context, *camera, sender);
  pump.Start();

  // Three viewers asking for 180p, 360p and 720p.
  const std::vector<int> heights = {180, 360, 720};
  std::vector<Viewer> viewers(heights.size());
  for (size_t i = 0; i < viewers.size(); ++i) {
    Viewer& viewer = viewers[i];
    viewer.client = Joined(context, server, static_cast<uint32_t>(10 + i));
    viewer.log.Attach(*viewer.client);
    const int level = LevelOf(*viewer.client, heights[i]);
    REQUIRE(Await(context, [&](auto done) {
              viewer.client->SubscribeVideo(track.trackId, level, done);
            }) == "");
    const auto* subscribed = viewer.client->SubscribedTrack(track.trackId);
    REQUIRE(subscribed != nullptr);
    CHECK(subscribed->videoLevel == level);
    viewer.mid = subscribed->mid;
  }

  // The plan: three tiers, one per level asked for, encoded on q, h and f
  // in ascending order (the capture is 720p: scale 4, 2, 1).
  const auto planActive = [&](size_t active) {
    const auto* plan = camera->TierPlanFor(track.mid);
    return plan != nullptr && plan->ActiveCount() == active;
  };
  REQUIRE(RunUntil(
      context, [&] { return planActive(3); }, kDeadline));
  const WebRtcClient::TierPlan threeTiers = *camera->TierPlanFor(track.mid);
  REQUIRE(threeTiers.encodings.size() == 3);
  const std::vector<std::string> rids = {"q", "h", "f"};
  const std::vector<double> threeTierScales = {4, 2, 1};
  for (size_t i = 0; i < 3; ++i) {
    INFO("encoding " << i);
    CHECK(threeTiers.encodings[i].rid == rids[i]);
    CHECK(threeTiers.encodings[i].active);
    CHECK(threeTiers.encodings[i].scaleResolutionDownBy == Approx(threeTierScales[i]));
    CHECK(threeTiers.encodings[i].maxBitrate > 0);
  }
  CHECK(threeTiers.encodings[0].maxBitrate < threeTiers.encodings[1].maxBitrate);
  CHECK(threeTiers.encodings[1].maxBitrate < threeTiers.encodings[2].maxBitrate);

  // Each viewer settles on the encoding of its height: viewer i on rid i.
  // `wanted` per viewer: {encoding, height}, or encoding -1 to skip one.
  using Wanted = std::vector<std::pair<int, int>>;
  const auto allSettled = [&](const Wanted& wanted) {
    for (size_t i = 0; i < viewers.size(); ++i) {
      if (wanted[i].first >= 0 && !viewers[i].SettledAt(wanted[i].first, wanted[i].second)) {
        return false;
      }
    }
    return true;
  };
  const auto settle = [&](const Wanted& wanted, const std::function<bool()>& also) {
    const bool settled = RunUntil(
        context, [&] { return allSettled(wanted) && also(); }, kDeadline);
    for (size_t i = 0; i < viewers.size(); ++i) {
      if (wanted[i].first < 0) continue;
      INFO("viewer " << i << " wants encoding " << wanted[i].first << " at " << wanted[i].second
                     << "p; " << viewers[i].Packets().size() << " packets, last: "
                     << (viewers[i].Packets().empty() ? "none"
                                                      : Describe(viewers[i].Packets().back())));
      CHECK(viewers[i].SettledAt(wanted[i].first, wanted[i].second));
    }
    REQUIRE(settled);
  };
  settle({{0, 180}, {1, 360}, {2, 720}}, [] { return true; });

  // The 180p viewer now wants 720p: nobody wants 180p any more, so the
  // plan drops to two tiers. The surviving levels keep their rids (360p on
  // h, 720p on f: no encoder is resized) and q is paused.
  Viewer& resized = viewers[0];
  const size_t switchFrom = resized.Packets().size();
  std::vector<size_t> beforeResize;
  for (const Viewer& viewer : viewers) beforeResize.push_back(viewer.Packets().size());
  REQUIRE(resized.client->SetVideoLevel(track.trackId, LevelOf(*resized.client, 720)));
  REQUIRE(RunUntil(
      context, [&] { return planActive(2); }, kDeadline));
  const WebRtcClient::TierPlan twoTiers = *camera->TierPlanFor(track.mid);
  CHECK(twoTiers.version > threeTiers.version);
  REQUIRE(twoTiers.encodings.size() == 3);
  CHECK(!twoTiers.encodings[0].active);
  CHECK(twoTiers.encodings[1].active);
  CHECK(twoTiers.encodings[1].scaleResolutionDownBy == Approx(2));
  CHECK(twoTiers.encodings[2].active);
  CHECK(twoTiers.encodings[2].scaleResolutionDownBy == Approx(1));

  // The publisher applies it (q paused); the resized viewer ends on f with
  // the other 720p viewer, the 360p viewer stays on h.
  settle({{2, 720}, {1, 360}, {2, 720}}, [&] { return !sender.Active(0); });
  // The resized viewer kept getting the 180p stream until it switched at a
  // 720p key frame of f.
  {
    const auto& packets = resized.Packets();
    size_t firstNew = switchFrom;
    while (firstNew < packets.size() && packets[firstNew].Encoding() == 0) ++firstNew;
    REQUIRE(firstNew < packets.size());
    INFO("first packet of the new encoding: " << Describe(packets[firstNew]));
    CHECK(firstNew > 0);
    CHECK(packets[firstNew].keyFrame);
    CHECK(packets[firstNew].height == 720);
    for (size_t i = 0; i < switchFrom; ++i) CHECK(packets[i].height != 720);
  }
  // Every viewer saw one decodable stream. Since the resize only the resized
  // viewer switched (once): the others' encodings survived the re-plan
  // untouched. (Before it, a viewer may have switched while the first plans
  // formed: the first viewer's demand alone plans one tier.)
  for (size_t i = 0; i < viewers.size(); ++i) {
    const auto& counters = viewers[i].client->Transport().GetCounters();
    INFO("viewer " << i << " unfiled " << viewers[i].log.Unfiled() << " srtpBeforeConnected "
                   << counters.srtpBeforeConnected << " unprotectFailures "
                   << counters.unprotectFailures << " rtpReceived " << counters.rtpPacketsReceived);
    const auto& packets = viewers[i].Packets();
    CheckOneContinuousStream(packets);
    REQUIRE(beforeResize[i] > 0);
    const std::vector<Packet> sinceResize(
        packets.begin() + static_cast<std::ptrdiff_t>(beforeResize[i] - 1), packets.end());
    CHECK(CheckOneContinuousStream(sinceResize) == (i == 0 ? 1 : 0));
  }

  // Demand drops: the 360p viewer leaves (one 720p tier, still on f), then
  // the others (nothing is encoded). Leaving, not unsubscribing: an offer
  // whose only m-line is stopped carries no ICE parameters, which the server
  // refuses as bad_sdp.
  REQUIRE(Await(context, [&](auto done) { viewers[1].client->Leave(done); }) == "");
  REQUIRE(RunUntil(
      context, [&] { return planActive(1); }, kDeadline));
  const WebRtcClient::TierPlan oneTier = *camera->TierPlanFor(track.mid);
  CHECK(oneTier.version > twoTiers.version);
  CHECK(!oneTier.encodings[0].active);
  CHECK(!oneTier.encodings[1].active);
  CHECK(oneTier.encodings[2].active);
  CHECK(oneTier.encodings[2].scaleResolutionDownBy == Approx(1));
  settle({{2, 720}, {-1, 0}, {2, 720}}, [&] { return !sender.Active(1); });
  for (const size_t i : {size_t{0}, size_t{2}}) {
    INFO("viewer " << i);
    CheckOneContinuousStream(viewers[i].Packets());
  }

  for (const size_t i : {size_t{0}, size_t{2}}) {
    REQUIRE(Await(context, [&](auto done) { viewers[i].client->Leave(done); }) == "");
  }
  REQUIRE(RunUntil(
      context, [&] { return planActive(0); }, kDeadline));
  CHECK(camera->TierPlanFor(track.mid)->version > oneTier.version);
}

}  // namespace myriad::integration

namespace myriad::integration {

TEST_CASE("Simulcast: viewport tiles state their level, prefetched tiles the lowest",
          "[integration][simulcast]") {
  InProcessServer server([](config::ServerConfig& config) {
    config.simulcast.debounceMs = 50;
    config.simulcast.maxDelayMs = 100;
  });
  boost::asio::io_context context;
  auto camera = Joined(context, server, 1);
  REQUIRE(Await(context, [&](auto done) {
            camera->Publish({.audio = false,
                             .video = true,
                             .videoRids = {"q", "h", "f"},
                             .videoTiers = 3,
                             .videoWidth = 1280,
                             .videoHeight = 720},
                            done);
          }) == "");
  const WebRtcClient::MediaTrack track = *camera->PublishedTrack("video");
  // The camera sends (the server plans only for encoders that run).
  SimulcastVideoSender sender(*camera, track, Camera720pOptions());
  sender.AnswerKeyFrameRequests();
  FramePump pump(context, *camera, sender);
  pump.Start();

  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = 2;
  options.viewportVideoLevel = 3;  // 360p tiles
  WebRtcClient viewer(context, options);
  REQUIRE(Await(context, [&](auto done) { viewer.Join("simulcast", "viewer", done); }) == "");
  REQUIRE(LevelOf(viewer, 360) == 3);

  // One tier at the only level asked for, 360p: scale 2 of the 720p capture, on h, the rid
  // the camera already sends at that size (simulcast::RidAssignment's nominal levels).
  const auto planIs = [&](double scale) {
    const auto* plan = camera->TierPlanFor(track.mid);
    return plan != nullptr && plan->ActiveCount() == 1 && plan->encodings[1].active &&
           plan->encodings[1].scaleResolutionDownBy == Approx(scale);
  };
  const auto describePlan = [&] {
    std::string described = "plan";
    if (const auto* plan = camera->TierPlanFor(track.mid)) {
      for (const auto& encoding : plan->encodings) {
        described += " " + encoding.rid + ":";
        described += encoding.active ? std::to_string(encoding.scaleResolutionDownBy) : "off";
      }
    }
    return described;
  };
  REQUIRE(Await(context, [&](auto done) { viewer.SetViewport({track.trackId}, {}, done); }) == "");
  REQUIRE(viewer.SubscribedTrack(track.trackId) != nullptr);
  CHECK(viewer.SubscribedTrack(track.trackId)->videoLevel == 3);
  const bool onScreen = RunUntil(
      context, [&] { return planIs(2); }, kDeadline);
  INFO(describePlan());
  REQUIRE(onScreen);

  // The page flips: the tile is only prefetched now and asks for level 0
  // (90p: scale 8), on the same rid (resizing one encoding, pausing none).
  REQUIRE(Await(context, [&](auto done) { viewer.SetViewport({}, {track.trackId}, done); }) == "");
  CHECK(viewer.SubscribedTrack(track.trackId)->videoLevel == 0);
  REQUIRE(RunUntil(
      context, [&] { return planIs(8); }, kDeadline));

  // And back on screen.
  REQUIRE(Await(context, [&](auto done) { viewer.SetViewport({track.trackId}, {}, done); }) == "");
  CHECK(viewer.SubscribedTrack(track.trackId)->videoLevel == 3);
  const bool backOnScreen = RunUntil(
      context, [&] { return planIs(2); }, kDeadline);
  INFO(describePlan());
  REQUIRE(backOnScreen);
}

}  // namespace myriad::integration
