// The synthetic media of the load generator and the integration tests.

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "loadtest/client/SyntheticMediaSource.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacket.h"

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

}  // namespace myriad::integration
