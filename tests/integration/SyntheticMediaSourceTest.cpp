// The synthetic media of the load generator and the integration tests.

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

}  // namespace myriad::integration
