// The synthetic media of the load generator and the integration tests.

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "loadtest/client/LoadtestPayload.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacket.h"
#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"

namespace myriad::integration {
namespace {

using loadtest::SyntheticMediaSource;

SyntheticMediaSource::Config VideoConfig() {
  SyntheticMediaSource::Config config;
  config.video = true;
  config.ssrc = 0x11223344;
  config.payloadType = 96;
  config.clockRate = 90000;
  config.midId = 4;
  config.mid = "1";
  config.transportCcId = 3;
  config.absSendTimeId = 2;
  config.seed = 7;
  config.framesPerSecond = 30;
  config.packetsPerFrame = 3;
  config.firstSequenceNumber = 65534;  // wraps within the test
  config.firstTimestamp = 0xFFFFF000;
  return config;
}

std::vector<uint8_t> Next(SyntheticMediaSource& source, uint16_t transportSequence,
                          int64_t sendTimeUs) {
  std::array<uint8_t, 1500> buffer{};
  const auto packet = source.NextPacket(buffer, transportSequence, sendTimeUs);
  REQUIRE(!packet.empty());
  return std::vector<uint8_t>(packet.begin(), packet.end());
}

}  // namespace

TEST_CASE("SyntheticMediaSource writes video frames at 90 kHz with extensions and send time",
          "[client]") {
  SyntheticMediaSource source(VideoConfig());
  for (uint16_t i = 0; i < 7; ++i) {
    auto bytes = Next(source, static_cast<uint16_t>(100 + i), 1'000'000 + i);
    const auto packet = rtp::RtpPacket::Parse(bytes);
    REQUIRE(packet.has_value());
    CHECK(packet->Ssrc() == 0x11223344);
    CHECK(packet->PayloadType() == 96);
    CHECK(packet->SequenceNumber() == static_cast<uint16_t>(65534 + i));
    // Three packets per frame share its timestamp; 30 fps is 3000 ticks.
    CHECK(packet->Timestamp() == static_cast<uint32_t>(0xFFFFF000 + (i / 3) * 3000));
    CHECK(packet->Marker() == (i % 3 == 2));
    CHECK(rtp::ReadStringExtension(packet->GetExtension(4)) == "1");
    CHECK(rtp::ReadTransportSequenceNumber(packet->GetExtension(3)) == 100 + i);
    CHECK(rtp::ReadAbsSendTime(packet->GetExtension(2)) ==
          rtp::AbsSendTimeFromMicros(1'000'000 + i));
    CHECK(SyntheticMediaSource::ReadSendTime(packet->Payload()) == 1'000'000 + i);
    CHECK(packet->PayloadSize() >= 400);
    CHECK(packet->PayloadSize() <= 1100);
  }
  CHECK(source.PacketsProduced() == 7);
}

TEST_CASE("SyntheticMediaSource is deterministic per seed and skips like a loss", "[client]") {
  SyntheticMediaSource first(VideoConfig());
  SyntheticMediaSource second(VideoConfig());
  auto otherConfig = VideoConfig();
  otherConfig.seed = 8;
  SyntheticMediaSource other(otherConfig);
  for (int i = 0; i < 5; ++i) {
    const auto a = Next(first, 1, 42);
    CHECK(a == Next(second, 1, 42));
    CHECK(a != Next(other, 1, 42));
  }
  // Skipping consumes sequence numbers and media time.
  first.Skip(4);
  auto bytes = Next(first, 1, 42);
  const auto packet = rtp::RtpPacket::Parse(bytes);
  REQUIRE(packet.has_value());
  CHECK(packet->SequenceNumber() == static_cast<uint16_t>(65534 + 9));
  CHECK(packet->Timestamp() == static_cast<uint32_t>(0xFFFFF000 + 3 * 3000));
}

TEST_CASE("SyntheticMediaSource writes Opus packets at 48 kHz with an audio level", "[client]") {
  SyntheticMediaSource::Config config;
  config.video = false;
  config.ssrc = 5;
  config.payloadType = 111;
  config.clockRate = 48000;
  config.audioLevelId = 1;
  config.minPayloadSize = 80;
  config.maxPayloadSize = 160;
  SyntheticMediaSource source(config);
  for (uint32_t i = 0; i < 3; ++i) {
    auto bytes = Next(source, 0, 0);
    const auto packet = rtp::RtpPacket::Parse(bytes);
    REQUIRE(packet.has_value());
    CHECK(packet->Timestamp() == i * 960);  // 20 ms
    CHECK(packet->Marker() == (i == 0));    // start of a talk spurt
    const auto level = rtp::ReadAudioLevel(packet->GetExtension(1));
    REQUIRE(level.has_value());
    CHECK(level->voiceActivity);
    CHECK(packet->PayloadSize() >= 80);
    CHECK(packet->PayloadSize() <= 160);
  }
  // Too small a buffer: nothing is written.
  std::array<uint8_t, 16> tiny{};
  CHECK(source.NextPacket(tiny, 0, 0).empty());
  CHECK(!SyntheticMediaSource::ReadSendTime(std::vector<uint8_t>(7)).has_value());
}

TEST_CASE("SyntheticMediaSource follows the talk level, marks spurts and leads with a header",
          "[client]") {
  SyntheticMediaSource::Config config;
  config.video = false;
  config.ssrc = 9;
  config.clockRate = 48000;
  config.audioLevelId = 1;
  config.minPayloadSize = 30;
  config.maxPayloadSize = 30;
  config.randomPayload = false;
  config.audioLevel = 127;
  config.voiceActivity = false;
  SyntheticMediaSource source(config);
  const std::vector<uint8_t> header = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  // Silence, then a talk spurt at -20 dBov starting with the marker bit
  // (RFC 3551 4.1), then silence again.
  struct Step {
    uint8_t level;
    bool voice;
    bool markSpurt;
  };
  const std::vector<Step> steps = {{127, false, false},
                                   {127, false, false},
                                   {20, true, true},
                                   {20, true, false},
                                   {127, false, false}};
  for (size_t i = 0; i < steps.size(); ++i) {
    INFO("packet " << i);
    source.SetAudioLevel(steps[i].level, steps[i].voice);
    if (steps[i].markSpurt) source.MarkTalkSpurt();
    std::array<uint8_t, 1500> buffer{};
    const auto bytes = source.NextPacket(buffer, 0, 1000, header);
    REQUIRE(!bytes.empty());
    const auto packet = rtp::RtpPacket::Parse(bytes);
    REQUIRE(packet.has_value());
    const auto level = rtp::ReadAudioLevel(packet->GetExtension(1));
    REQUIRE(level.has_value());
    CHECK(level->level == steps[i].level);
    CHECK(level->voiceActivity == steps[i].voice);
    CHECK(packet->Marker() == (i == 0 || steps[i].markSpurt));
    REQUIRE(packet->PayloadSize() == 30);
    const auto payload = packet->Payload();
    CHECK(std::vector<uint8_t>(payload.begin(), payload.begin() + 12) == header);
    // No noise requested: zeros after the header.
    CHECK(std::all_of(payload.begin() + 12, payload.end(), [](uint8_t b) { return b == 0; }));
  }
  // A header longer than the payload range makes the payload longer.
  const std::vector<uint8_t> longHeader(40, 0xAB);
  std::array<uint8_t, 1500> buffer{};
  const auto bytes = source.NextPacket(buffer, 0, 1000, longHeader);
  const auto packet = rtp::RtpPacket::Parse(bytes);
  REQUIRE(packet.has_value());
  CHECK(packet->PayloadSize() == 40);
}

namespace {

SyntheticMediaSource::Config Vp8Config() {
  auto config = VideoConfig();
  config.vp8 = true;
  config.width = 640;
  config.height = 360;
  config.firstPictureId = 0x7FFE;  // wraps within the tests
  config.firstTl0PicIdx = 254;
  return config;
}

// What a receiver reads from one VP8-mode packet.
struct Vp8Packet {
  std::vector<uint8_t> bytes;
  uint16_t sequenceNumber = 0;
  bool marker = false;
  size_t payloadSize = 0;
  rtp::Vp8PayloadDescriptor::Fields descriptor;
  bool keyFrame = false;  // Vp8PayloadDescriptor::IsKeyFrame
  std::optional<rtp::Vp8KeyFrameHeader> keyFrameHeader;
  std::optional<size_t> headerOffset;
  std::optional<loadtest::LoadtestPayload> record;
};

Vp8Packet NextVp8(SyntheticMediaSource& source, const loadtest::LoadtestPayload& record) {
  std::array<uint8_t, loadtest::LoadtestPayload::kSize> header{};
  REQUIRE(record.Serialize(header) == header.size());
  std::array<uint8_t, 1500> buffer{};
  const auto bytes = source.NextPacket(buffer, 0, record.sendTimeUs, header);
  REQUIRE(!bytes.empty());
  Vp8Packet result;
  result.bytes.assign(bytes.begin(), bytes.end());
  auto packet = rtp::RtpPacket::Parse(result.bytes);
  REQUIRE(packet.has_value());
  result.sequenceNumber = packet->SequenceNumber();
  result.marker = packet->Marker();
  result.payloadSize = packet->PayloadSize();
  const auto descriptor = rtp::Vp8PayloadDescriptor::Parse(packet->Payload());
  REQUIRE(descriptor.has_value());
  result.descriptor = descriptor->ToFields();
  result.keyFrame = descriptor->IsKeyFrame();
  result.keyFrameHeader = rtp::Vp8KeyFrameHeader::Parse(descriptor->Payload());
  result.headerOffset = SyntheticMediaSource::PayloadHeaderOffset(packet->Payload(), true);
  result.record = loadtest::LoadtestPayload::Parse(
      SyntheticMediaSource::PayloadHeader(packet->Payload(), true));
  return result;
}

// The PictureID of frame `frame` from Vp8Config's first one, modulo 2^15.
uint16_t PictureIdOf(uint64_t frame) { return static_cast<uint16_t>((0x7FFE + frame) & 0x7FFF); }

}  // namespace

TEST_CASE("SyntheticMediaSource changes its packets per frame from the next frame on", "[client]") {
  auto config = Vp8Config();
  config.packetsPerFrame = 3;
  config.keyFrameIntervalFrames = 3;
  SyntheticMediaSource source(config);
  // Per frame: the packet count set before it begins (0: none set, and one
  // set mid-frame that must not change the frame in progress).
  struct Step {
    uint32_t setBefore;
    uint32_t setMidFrame;
    size_t expectedPackets;
    bool expectedKey;
  };
  const std::vector<Step> steps = {
      {0, 0, 3, true},   // the first frame is a key frame
      {1, 0, 1, false},  // one packet: first and last at once
      {0, 5, 1, false},  // set after its first (and last) packet: next frame
      {0, 0, 5, true},   // keyFrameIntervalFrames 3
      {2, 4, 2, false},  // the later value waits for the next frame
      {0, 0, 4, false},
  };
  uint16_t transportSequence = 0;
  for (size_t frame = 0; frame < steps.size(); ++frame) {
    INFO("frame " << frame);
    const Step& step = steps[frame];
    REQUIRE(source.AtFrameStart());
    if (step.setBefore != 0) source.SetPacketsPerFrame(step.setBefore);
    CHECK(source.NextFrameIsKeyFrame() == step.expectedKey);
    for (size_t i = 0; i < step.expectedPackets; ++i) {
      auto bytes = Next(source, transportSequence++, 1'000'000);
      const auto packet = rtp::RtpPacket::Parse(bytes);
      REQUIRE(packet.has_value());
      // One capture time per frame at 30 fps, the marker on its last packet.
      CHECK(packet->Timestamp() == static_cast<uint32_t>(config.firstTimestamp + frame * 3000));
      CHECK(packet->Marker() == (i + 1 == step.expectedPackets));
      const auto descriptor = rtp::Vp8PayloadDescriptor::Parse(packet->Payload());
      REQUIRE(descriptor.has_value());
      CHECK(descriptor->StartOfPartition() == (i == 0));
      if (i == 0) CHECK(descriptor->IsKeyFrame() == step.expectedKey);
      if (i == 0 && step.setMidFrame != 0) source.SetPacketsPerFrame(step.setMidFrame);
    }
  }
  CHECK(source.KeyFramesStarted() == 2);
  // A skipped frame still moves the schedule and the capture time on.
  source.SetPacketsPerFrame(2);
  source.Skip(2);
  auto bytes = Next(source, transportSequence++, 1'000'000);
  const auto packet = rtp::RtpPacket::Parse(bytes);
  REQUIRE(packet.has_value());
  CHECK(packet->Timestamp() == static_cast<uint32_t>(config.firstTimestamp + 7 * 3000));
}

TEST_CASE("SyntheticMediaSource in VP8 mode writes RFC 7741 descriptors and a key frame header",
          "[client]") {
  SyntheticMediaSource source(Vp8Config());
  loadtest::LoadtestPayload record;
  record.stream = 2;
  record.publisherIndex = 17;
  // Four frames of three packets: a key frame, then interframes.
  for (uint64_t i = 0; i < 12; ++i) {
    INFO("packet " << i);
    const uint64_t frame = i / 3;
    const bool first = i % 3 == 0;
    record.sendTimeUs = static_cast<int64_t>(1'000'000 + i);
    const Vp8Packet packet = NextVp8(source, record);
    CHECK(packet.sequenceNumber == static_cast<uint16_t>(65534 + i));
    CHECK(packet.marker == (i % 3 == 2));  // RFC 7741 4.1: last packet of the frame
    // X with I (15 bits), L and T (TID 0), S and PID 0 only where the frame starts.
    CHECK(packet.descriptor.startOfPartition == first);
    CHECK(packet.descriptor.partitionIndex == 0);
    CHECK(packet.descriptor.hasPictureId);
    CHECK(packet.descriptor.pictureIdIs15Bit);
    CHECK(packet.descriptor.pictureId == PictureIdOf(frame));
    CHECK(packet.descriptor.hasTl0PicIdx);
    CHECK(packet.descriptor.tl0PicIdx == static_cast<uint8_t>(254 + frame));
    CHECK(packet.descriptor.hasTid);
    CHECK(packet.descriptor.tid == 0);
    CHECK(!packet.descriptor.nonReference);
    CHECK(packet.keyFrame == (i == 0));
    REQUIRE(packet.keyFrameHeader.has_value() == (i == 0));
    if (packet.keyFrameHeader) {
      CHECK(packet.keyFrameHeader->Width() == 640);
      CHECK(packet.keyFrameHeader->Height() == 360);
      CHECK(packet.keyFrameHeader->HorizontalScale() == 0);
      CHECK(packet.keyFrameHeader->VerticalScale() == 0);
      CHECK(packet.keyFrameHeader->Version() == 0);
      CHECK(packet.keyFrameHeader->ShowFrame());
      // first_part_size: what follows the 10-byte chunk in this packet.
      CHECK(packet.keyFrameHeader->FirstPartitionSize() == packet.payloadSize - 6 - 10);
    }
    if (first && i != 0) {
      // An interframe's tag: P = 1 (RFC 6386 9.1).
      CHECK((packet.bytes[packet.bytes.size() - packet.payloadSize + 6] & 0x01) == 1);
    }
    // The record follows the VP8 bytes: descriptor, then the key frame header
    // (10 bytes) or an interframe's frame tag (3 bytes) on a frame's first packet.
    const size_t expectedOffset = 6 + (first ? (i == 0 ? 10 : 3) : 0);
    CHECK(packet.headerOffset == expectedOffset);
    REQUIRE(packet.record.has_value());
    CHECK(*packet.record == record);
  }
  CHECK(source.KeyFramesStarted() == 1);
  CHECK(source.CurrentPictureId() == PictureIdOf(3));
}

TEST_CASE("SyntheticMediaSource in VP8 mode leads with the send time after the VP8 bytes",
          "[client]") {
  auto config = Vp8Config();
  config.packetsPerFrame = 2;
  SyntheticMediaSource source(config);
  for (int64_t i = 0; i < 4; ++i) {
    INFO("packet " << i);
    auto bytes = Next(source, 0, 5'000'000 + i);
    const auto packet = rtp::RtpPacket::Parse(bytes);
    REQUIRE(packet.has_value());
    const auto header = SyntheticMediaSource::PayloadHeader(packet->Payload(), true);
    CHECK(SyntheticMediaSource::ReadSendTime(header) == 5'000'000 + i);
    CHECK(packet->PayloadSize() >= 400);
    CHECK(packet->PayloadSize() <= 1100);
  }
  // Without VP8 the header starts the payload; a truncated descriptor has none.
  const std::vector<uint8_t> plain = {1, 2, 3};
  CHECK(SyntheticMediaSource::PayloadHeaderOffset(plain, false) == 0u);
  const std::vector<uint8_t> truncated = {0x90, 0xE0, 0x80};  // X, S; I, L, T announced
  CHECK(!SyntheticMediaSource::PayloadHeaderOffset(truncated, true).has_value());
  CHECK(SyntheticMediaSource::PayloadHeader(truncated, true).empty());
  // A frame start too short for its key frame header.
  const std::vector<uint8_t> shortKey = {0x10, 0x00, 0x9D, 0x01};
  CHECK(!SyntheticMediaSource::PayloadHeaderOffset(shortKey, true).has_value());
}

TEST_CASE(
    "SyntheticMediaSource in VP8 mode makes key frames at the start, on request and "
    "periodically",
    "[client]") {
  struct Case {
    const char* name;
    uint32_t interval;
    std::vector<uint64_t> requestBeforePacket;  // RequestKeyFrame before these packets
    std::vector<uint64_t> skipBeforePacket;     // one packet lost before these
    std::vector<uint64_t> expectedKeyFrames;    // frame numbers
  };
  const std::vector<Case> cases = {
      {"first frame only", 0, {}, {}, {0}},
      {"a request mid-frame makes the next frame a key frame", 0, {4}, {}, {0, 2}},
      {"a request at a frame start makes that frame a key frame", 0, {6}, {}, {0, 2}},
      {"requests before a frame starts coalesce", 0, {4, 5}, {}, {0, 2}},
      {"periodic", 3, {}, {}, {0, 3, 6}},
      {"a request restarts the period", 3, {4}, {}, {0, 2, 5}},
      {"a lost frame start still counts", 0, {4}, {6}, {0}},
  };
  for (const auto& test : cases) {
    SECTION(test.name) {
      auto config = Vp8Config();
      config.keyFrameIntervalFrames = test.interval;
      SyntheticMediaSource source(config);
      std::vector<uint64_t> keyFrames;
      uint64_t index = 0;
      while (index < 24) {  // eight frames of three packets
        const auto has = [index](const std::vector<uint64_t>& list) {
          return std::find(list.begin(), list.end(), index) != list.end();
        };
        if (has(test.requestBeforePacket)) source.RequestKeyFrame();
        if (has(test.skipBeforePacket)) {
          source.Skip(1);
          ++index;
          continue;
        }
        const Vp8Packet packet = NextVp8(source, loadtest::LoadtestPayload{});
        const uint64_t frame = index / 3;
        CHECK(packet.descriptor.pictureId == PictureIdOf(frame));
        if (packet.keyFrame) {
          REQUIRE(packet.keyFrameHeader.has_value());
          CHECK(packet.keyFrameHeader->Width() == 640);
          keyFrames.push_back(frame);
        }
        ++index;
      }
      CHECK(keyFrames == test.expectedKeyFrames);
    }
  }
}

TEST_CASE("SyntheticMediaSource without VP8 mode leaves payloads as they were", "[client]") {
  // Turning VP8 on for audio changes nothing either: it is a video format.
  auto videoConfig = VideoConfig();
  SyntheticMediaSource plain(videoConfig);
  SyntheticMediaSource::Config audioConfig;
  audioConfig.video = false;
  audioConfig.seed = 3;
  SyntheticMediaSource audio(audioConfig);
  audioConfig.vp8 = true;
  SyntheticMediaSource audioVp8(audioConfig);
  for (int i = 0; i < 4; ++i) {
    auto bytes = Next(plain, 0, 42);
    const auto packet = rtp::RtpPacket::Parse(bytes);
    REQUIRE(packet.has_value());
    CHECK(SyntheticMediaSource::ReadSendTime(packet->Payload()) == 42);
    CHECK(Next(audio, 0, 42) == Next(audioVp8, 0, 42));
  }
}

TEST_CASE("SyntheticMediaSource in VP8 mode changes its size only with a key frame", "[client]") {
  auto config = Vp8Config();
  config.packetsPerFrame = 2;
  SyntheticMediaSource source(config);
  struct Step {
    std::optional<std::pair<uint16_t, uint16_t>> resize;  // before the packet
    bool keyFrame;
    uint16_t height;  // in the key frame header
  };
  const std::vector<Step> steps = {
      {std::nullopt, true, 360},          // frame 0
      {std::nullopt, false, 0},           //
      {std::nullopt, false, 0},           // frame 1
      {std::pair{320, 180}, false, 0},    // mid-frame: the frame keeps its size
      {std::nullopt, true, 180},          // frame 2: a key frame at the new size
      {std::nullopt, false, 0},           //
      {std::pair{320, 180}, false, 0},    // frame 3: the same size, no key frame
      {std::nullopt, false, 0},           //
      {std::pair{0, 20000}, true, 16383}  // frame 4: clamped to RFC 6386's 14 bits
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    INFO("packet " << i);
    if (steps[i].resize) source.SetResolution(steps[i].resize->first, steps[i].resize->second);
    const Vp8Packet packet = NextVp8(source, loadtest::LoadtestPayload{});
    CHECK(packet.keyFrame == steps[i].keyFrame);
    if (steps[i].keyFrame) {
      REQUIRE(packet.keyFrameHeader.has_value());
      CHECK(packet.keyFrameHeader->Height() == steps[i].height);
    }
  }
  CHECK(source.GetConfig().width == 1);
}

}  // namespace myriad::integration
