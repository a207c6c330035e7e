// The simulcast camera of the load generator and the integration tests: one
// VP8 stream per rid, key frames on request, pausing as a tier plan says.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client/LoadtestPayload.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SimulcastVideoSender.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacket.h"
#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::SimulcastVideoSender;
using loadtest::WebRtcClient;

// What one sent packet says about itself.
struct SentPacket {
  size_t encoding = 0;
  uint32_t ssrc = 0;
  std::string mid;
  std::string rid;
  uint16_t pictureId = 0;
  bool keyFrame = false;
  uint16_t width = 0;
  uint16_t height = 0;
  std::optional<size_t> recordEncoding;
};

SentPacket Describe(size_t encoding, std::span<const uint8_t> bytes,
                    const WebRtcClient::MediaTrack& track) {
  std::vector<uint8_t> copy(bytes.begin(), bytes.end());
  auto packet = rtp::RtpPacket::Parse(copy);
  REQUIRE(packet.has_value());
  SentPacket sent;
  sent.encoding = encoding;
  sent.ssrc = packet->Ssrc();
  sent.mid = rtp::ReadStringExtension(packet->GetExtension(track.extensions.mid));
  sent.rid = rtp::ReadStringExtension(packet->GetExtension(track.extensions.rtpStreamId));
  const auto descriptor = rtp::Vp8PayloadDescriptor::Parse(packet->Payload());
  REQUIRE(descriptor.has_value());
  sent.pictureId = descriptor->PictureId();
  sent.keyFrame = descriptor->IsKeyFrame();
  if (const auto header = rtp::Vp8KeyFrameHeader::Parse(descriptor->Payload())) {
    sent.width = header->Width();
    sent.height = header->Height();
  }
  sent.recordEncoding = SimulcastVideoSender::EncodingOf(packet->Payload());
  return sent;
}

// The encodings that sent a key frame, in the packets from `from` on.
std::vector<size_t> KeyFramesFrom(const std::vector<SentPacket>& sent, size_t from) {
  std::vector<size_t> encodings;
  for (size_t i = from; i < sent.size(); ++i) {
    if (sent[i].keyFrame) encodings.push_back(sent[i].encoding);
  }
  return encodings;
}

std::vector<size_t> EncodingsFrom(const std::vector<SentPacket>& sent, size_t from) {
  std::vector<size_t> encodings;
  for (size_t i = from; i < sent.size(); ++i) {
    if (encodings.empty() || encodings.back() != sent[i].encoding) {
      encodings.push_back(sent[i].encoding);
    }
  }
  return encodings;
}

WebRtcClient::TierPlan Plan(const std::string& mid, uint64_t version, bool q, bool h, bool f) {
  WebRtcClient::TierPlan plan;
  plan.mid = mid;
  plan.version = version;
  plan.encodings = {
      {.rid = "q", .active = q}, {.rid = "h", .active = h}, {.rid = "f", .active = f}};
  return plan;
}

}  // namespace

TEST_CASE(
    "SimulcastVideoSender sends one VP8 stream per rid, answers key frame requests and "
    "pauses as the tier plan says",
    "[integration][client]") {
  InProcessServer server;
  boost::asio::io_context context;
  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = 5;
  WebRtcClient camera(context, options);
  REQUIRE(Await(context, [&](auto done) { camera.Join("sender", "camera", done); }) == "");
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
  REQUIRE(track.simulcast.size() == 3);
  REQUIRE(track.extensions.rtpStreamId != 0);
  REQUIRE(track.extensions.mid != 0);
  REQUIRE(loadtest::RunUntil(
      context, [&] { return camera.IsConnected(); }, 5s));

  SimulcastVideoSender::Options senderOptions;
  senderOptions.encodings = {{"q", 320, 180}, {"h", 640, 360}, {"x", 1, 1}, {"f", 1280, 720}};
  senderOptions.packetsPerFrame = 2;
  SimulcastVideoSender sender(camera, track, senderOptions);
  // "x" is not a rid of the track.
  REQUIRE(sender.EncodingCount() == 3);
  CHECK(sender.Mid() == track.mid);
  CHECK(!sender.IndexOfRid("x").has_value());
  std::vector<SentPacket> sent;
  sender.SetSentHandler([&](size_t encoding, std::span<const uint8_t> bytes) {
    sent.push_back(Describe(encoding, bytes, track));
  });

  // Each rid: its SSRC from the track, the mid and rid extensions, its own
  // picture size in the first (key) frame, its index in the record.
  for (int frame = 0; frame < 3; ++frame) sender.SendFrame(1'000'000 + frame * 33'000);
  REQUIRE(sent.size() == 3 * 3 * 2);
  const std::vector<std::pair<uint16_t, uint16_t>> sizes = {{320, 180}, {640, 360}, {1280, 720}};
  std::map<size_t, std::vector<uint16_t>> pictureIds;
  for (size_t i = 0; i < sent.size(); ++i) {
    INFO("packet " << i);
    const SentPacket& packet = sent[i];
    const size_t encoding = packet.encoding;
    REQUIRE(encoding < 3);
    CHECK(packet.ssrc == track.simulcast[encoding].ssrc);
    CHECK(packet.ssrc == sender.Ssrc(encoding));
    CHECK(packet.rid == track.simulcast[encoding].rid);
    CHECK(packet.mid == track.mid);
    CHECK(packet.recordEncoding == encoding);
    const bool firstPacketOfStream = i < 6 && i % 2 == 0;
    CHECK(packet.keyFrame == firstPacketOfStream);
    if (packet.keyFrame) {
      CHECK(packet.width == sizes[encoding].first);
      CHECK(packet.height == sizes[encoding].second);
    }
    if (i % 2 == 0) pictureIds[encoding].push_back(packet.pictureId);
  }
  for (const auto& [encoding, ids] : pictureIds) {
    REQUIRE(ids.size() == 3);
    CHECK(ids[1] == ((ids[0] + 1) & 0x7FFF));
    CHECK(ids[2] == ((ids[1] + 1) & 0x7FFF));
  }

  // A PLI for "h" makes its next frame (only) a key frame.
  CHECK(!sender.OnKeyFrameRequest(0x12345678));
  CHECK(sender.OnKeyFrameRequest(sender.Ssrc(1)));
  CHECK(sender.KeyFrameRequests(1) == 1);
  size_t from = sent.size();
  sender.SendFrame(1'100'000);
  CHECK(KeyFramesFrom(sent, from) == std::vector<size_t>{1});

  // A plan pausing "f": only "q" and "h" send. An older plan, or one for
  // another mid, changes nothing.
  sender.ApplyTierPlan(Plan(track.mid, 4, true, true, false));
  CHECK(sender.AppliedPlanVersion() == 4u);
  CHECK(!sender.Active(2));
  sender.ApplyTierPlan(Plan(track.mid, 3, true, true, true));
  sender.ApplyTierPlan(Plan("other", 9, true, true, true));
  from = sent.size();
  CHECK(sender.SendFrame(1'200'000) == 4);
  CHECK(EncodingsFrom(sent, from) == std::vector<size_t>{0, 1});
  CHECK(KeyFramesFrom(sent, from).empty());
  // Resumed, "f" starts with a key frame at its size.
  sender.ApplyTierPlan(Plan(track.mid, 5, false, true, true));
  from = sent.size();
  sender.SendFrame(1'300'000);
  CHECK(EncodingsFrom(sent, from) == std::vector<size_t>{1, 2});
  CHECK(KeyFramesFrom(sent, from) == std::vector<size_t>{2});
  CHECK(sent.back().encoding == 2);
  CHECK(sent[from + 2].width == 1280);
}

TEST_CASE("SimulcastVideoSender resizes rids by the plan's scaleResolutionDownBy at a key frame",
          "[client]") {
  // No server: a track as an answer would leave it; nothing goes on the wire.
  boost::asio::io_context context;
  WebRtcClient client(context, WebRtcClient::Options{});
  WebRtcClient::MediaTrack track;
  track.mid = "1";
  track.kind = "video";
  track.sending = true;
  track.payloadType = 96;
  track.clockRate = 90000;
  track.extensions.mid = 4;
  track.extensions.rtpStreamId = 10;
  track.simulcast = {{"q", 11}, {"h", 22}, {"f", 33}};
  SimulcastVideoSender::Options options;
  options.encodings = {{"q", 320, 180}, {"h", 640, 360}, {"f", 1280, 720}};
  options.captureWidth = 1280;
  options.captureHeight = 720;
  SimulcastVideoSender sender(client, track, options);
  REQUIRE(sender.EncodingCount() == 3);
  std::vector<SentPacket> sent;
  sender.SetSentHandler([&](size_t encoding, std::span<const uint8_t> bytes) {
    sent.push_back(Describe(encoding, bytes, track));
  });
  CHECK(sender.SendFrame(1000) == 0);  // not connected: produced, not sent
  REQUIRE(sent.size() == 6);
  CHECK(KeyFramesFrom(sent, 0) == std::vector<size_t>{0, 1, 2});

  // Two tiers, as the planner assigns them: 360p on "q", 720p on "h".
  WebRtcClient::TierPlan plan;
  plan.mid = "1";
  plan.version = 1;
  plan.encodings = {{.rid = "q", .active = true, .scaleResolutionDownBy = 2},
                    {.rid = "h", .active = true, .scaleResolutionDownBy = 1},
                    {.rid = "f", .active = false}};
  sender.ApplyTierPlan(plan);
  size_t from = sent.size();
  sender.SendFrame(2000);
  REQUIRE(sent.size() == from + 4);
  CHECK(KeyFramesFrom(sent, from) == std::vector<size_t>{0, 1});
  CHECK(sent[from].width == 640);
  CHECK(sent[from].height == 360);
  CHECK(sent[from + 2].width == 1280);
  CHECK(sent[from + 2].height == 720);
  CHECK(sender.Source(0).GetConfig().height == 360);

  // The same sizes again: no new key frame.
  plan.version = 2;
  sender.ApplyTierPlan(plan);
  from = sent.size();
  sender.SendFrame(3000);
  CHECK(KeyFramesFrom(sent, from).empty());
}

}  // namespace myriad::integration

namespace myriad::integration {

TEST_CASE("SimulcastVideoSender sizes frames to each encoding's bitrate, capped by the plan",
          "[client]") {
  // No server: a track as an answer would leave it; nothing goes on the wire.
  boost::asio::io_context context;
  WebRtcClient client(context, WebRtcClient::Options{});
  WebRtcClient::MediaTrack track;
  track.mid = "1";
  track.kind = "video";
  track.sending = true;
  track.payloadType = 96;
  track.clockRate = 90000;
  track.extensions.mid = 4;
  track.extensions.rtpStreamId = 10;
  track.extensions.transportCc = 3;
  track.simulcast = {{"q", 11}, {"h", 22}, {"f", 33}};
  SimulcastVideoSender::Options options;
  options.encodings = {{"q", 320, 180, 150'000}, {"h", 640, 360, 500'000}, {"f", 1280, 720, 0}};
  options.framesPerSecond = 30;
  options.packetsPerFrame = 2;
  options.maxPayloadSize = 1000;
  SimulcastVideoSender sender(client, track, options);
  REQUIRE(sender.EncodingCount() == 3);

  struct Frame {
    std::vector<size_t> bytes = std::vector<size_t>(3, 0);
    std::vector<bool> key = std::vector<bool>(3, false);
    std::vector<size_t> packets = std::vector<size_t>(3, 0);
    std::vector<bool> marker = std::vector<bool>(3, false);  // on the last packet
  };
  std::vector<Frame> frames;
  sender.SetSentHandler([&](size_t encoding, std::span<const uint8_t> bytes) {
    REQUIRE(!frames.empty());
    REQUIRE(bytes.size() <= 1500);
    frames.back().bytes[encoding] += bytes.size();
    ++frames.back().packets[encoding];
    if (Describe(encoding, bytes, track).keyFrame) frames.back().key[encoding] = true;
    // The record survives the sizing: a receiver still tells the encodings apart.
    std::vector<uint8_t> copy(bytes.begin(), bytes.end());
    const auto packet = rtp::RtpPacket::Parse(copy);
    REQUIRE(packet.has_value());
    CHECK(SimulcastVideoSender::EncodingOf(packet->Payload()) == encoding);
    frames.back().marker[encoding] = packet->Marker();
  });
  int64_t nowUs = 1'000'000;
  // Sends `seconds` of frames; the bits per second each encoding sent.
  const auto sendFor = [&](int seconds) {
    const size_t first = frames.size();
    for (int i = 0; i < seconds * 30; ++i) {
      frames.emplace_back();
      sender.SendFrame(nowUs);
      nowUs += 33'333;
    }
    std::vector<double> rates(3, 0);
    for (size_t i = first; i < frames.size(); ++i) {
      for (size_t encoding = 0; encoding < 3; ++encoding) {
        rates[encoding] += static_cast<double>(frames[i].bytes[encoding]) * 8 / seconds;
      }
    }
    return rates;
  };

  // Table: a plan (or none), the rates then in force and sent. f has no
  // bitrate: payload sizes from the options, whatever the plan says.
  // Packets per interframe of q and h: as few payloads of at most 1000
  // bytes as the frame's share needs (h at 500 kbit/s: 2083 bytes, 3).
  struct Phase {
    const char* name;
    std::optional<std::vector<uint64_t>> planMaxBitrates;
    std::vector<uint32_t> expected;
    std::vector<size_t> interframePackets;
  };
  const std::vector<Phase> phases = {
      {"configured", std::nullopt, {150'000, 500'000, 0}, {1, 3}},
      {"capped", std::vector<uint64_t>{100'000, 800'000, 300'000}, {100'000, 500'000, 0}, {1, 3}},
      {"capped lower",
       std::vector<uint64_t>{150'000, 250'000, 300'000},
       {150'000, 250'000, 0},
       {1, 2}},
      {"no caps", std::vector<uint64_t>{0, 0, 0}, {150'000, 500'000, 0}, {1, 3}},
  };
  uint64_t version = 0;
  for (const Phase& phase : phases) {
    INFO(phase.name);
    if (phase.planMaxBitrates) {
      WebRtcClient::TierPlan plan;
      plan.mid = "1";
      plan.version = ++version;
      const std::vector<std::string> rids = {"q", "h", "f"};
      for (size_t i = 0; i < 3; ++i) {
        plan.encodings.push_back({.rid = rids[i],
                                  .active = true,
                                  .scaleResolutionDownBy = 0,
                                  .maxBitrate = (*phase.planMaxBitrates)[i]});
      }
      sender.ApplyTierPlan(plan);
    }
    for (size_t i = 0; i < 3; ++i) CHECK(sender.BitrateBps(i) == phase.expected[i]);
    // The first second after a change settles what the frames before owed.
    sendFor(1);
    const size_t measured = frames.size();
    const auto rates = sendFor(2);
    for (size_t i = 0; i < 2; ++i) {
      INFO("encoding " << i << " sent " << rates[i] << " bit/s");
      CHECK(rates[i] == Approx(phase.expected[i]).epsilon(0.10));
      // Every frame is whole (its last packet has the marker) and the
      // interframes are packetised for the rate in force.
      for (size_t f = measured; f < frames.size(); ++f) {
        CHECK(frames[f].marker[i]);
        if (!frames[f].key[i]) CHECK(frames[f].packets[i] == phase.interframePackets[i]);
      }
    }
    // Payload sizes drawn from [200, 1000] bytes, 2 per frame at 30 fps.
    CHECK(rates[2] > 2 * 30 * 8 * 200);
    CHECK(rates[2] < 2 * 30 * 8 * 1100);
  }

  // A key frame is larger than the interframes around it, and the frames
  // after it pay for it: the rate over the next second stays.
  sender.OnKeyFrameRequest(sender.Ssrc(1));
  const size_t keyFrame = frames.size();
  const auto rates = sendFor(1);
  REQUIRE(frames[keyFrame].key[1]);
  CHECK(!frames[keyFrame + 1].key[1]);
  CHECK(frames[keyFrame].bytes[1] > frames[keyFrame - 1].bytes[1] * 3 / 2);
  // Twice the 2083-byte share: 5 payloads of at most 1000 bytes.
  CHECK(frames[keyFrame].packets[1] == 5);
  CHECK(frames[keyFrame].marker[1]);
  CHECK(frames[keyFrame + 1].bytes[1] < frames[keyFrame - 1].bytes[1]);
  CHECK(rates[1] == Approx(500'000).epsilon(0.10));
}

}  // namespace myriad::integration
