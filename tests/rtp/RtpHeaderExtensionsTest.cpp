#include <array>
#include <catch2/catch.hpp>
#include <cstdlib>

#include "rtp/RtpHeaderExtensions.h"

using namespace myriad::rtp;

TEST_CASE("Header extension URIs match the registered names", "[RtpHeaderExtensions]") {
  CHECK(kMidExtensionUri == "urn:ietf:params:rtp-hdrext:sdes:mid");
  CHECK(kRtpStreamIdExtensionUri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  CHECK(kRepairedRtpStreamIdExtensionUri ==
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
  CHECK(kAudioLevelExtensionUri == "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  CHECK(kTransportWideCcExtensionUri ==
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01");
  CHECK(kAbsSendTimeExtensionUri == "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time");
  CHECK(kVideoOrientationExtensionUri == "urn:3gpp:video-orientation");
}

TEST_CASE("Audio level follows RFC 6464", "[RtpHeaderExtensions]") {
  const std::array<uint8_t, 1> voice{0x80 | 30};
  auto level = ReadAudioLevel(voice);
  REQUIRE(level);
  CHECK(level->voiceActivity);
  CHECK(level->level == 30);
  const std::array<uint8_t, 1> silent{127};
  level = ReadAudioLevel(silent);
  REQUIRE(level);
  CHECK_FALSE(level->voiceActivity);
  CHECK(level->level == 127);
  CHECK_FALSE(ReadAudioLevel({}));

  std::array<uint8_t, 1> out{};
  REQUIRE(WriteAudioLevel(out, AudioLevel{true, 0}));
  CHECK(out[0] == 0x80);
  REQUIRE(WriteAudioLevel(out, AudioLevel{false, 200}));  // clamped
  CHECK(out[0] == 127);
  CHECK_FALSE(WriteAudioLevel({}, AudioLevel{}));
}

TEST_CASE("Transport-wide sequence number is 16-bit big endian", "[RtpHeaderExtensions]") {
  std::array<uint8_t, 2> value{0x12, 0x34};
  CHECK(ReadTransportSequenceNumber(value) == 0x1234);
  REQUIRE(WriteTransportSequenceNumber(value, 0xABCD));
  CHECK(value == std::array<uint8_t, 2>{0xAB, 0xCD});
  const std::array<uint8_t, 1> shortValue{1};
  CHECK_FALSE(ReadTransportSequenceNumber(shortValue));
  std::array<uint8_t, 1> shortOut{};
  CHECK_FALSE(WriteTransportSequenceNumber(shortOut, 1));
}

TEST_CASE("abs-send-time is 6.18 fixed point seconds", "[RtpHeaderExtensions]") {
  CHECK(AbsSendTimeFromMicros(0) == 0);
  CHECK(AbsSendTimeFromMicros(1'000'000) == 0x040000);
  CHECK(AbsSendTimeFromMicros(500'000) == 0x020000);
  CHECK(AbsSendTimeFromMicros(63'000'000) == 0xFC0000);
  CHECK(AbsSendTimeFromMicros(64'000'000) == 0);         // wraps every 64 s
  CHECK(AbsSendTimeFromMicros(-1'000'000) == 0xFC0000);  // -1 s == 63 s
  CHECK(AbsSendTimeFromMicros(1'000'000'000'000) ==
        AbsSendTimeFromMicros(1'000'000'000'000 % 64'000'000));
  for (int64_t us : {1, 3, 1234567, 33'333'333, 63'999'990}) {
    const int64_t back = AbsSendTimeToMicros(AbsSendTimeFromMicros(us));
    INFO(us);
    CHECK(std::llabs(back - us) <= 4);  // resolution is 1/2^18 s ~ 3.8 us
  }
  std::array<uint8_t, 3> value{};
  REQUIRE(WriteAbsSendTime(value, 0x1ABCDEF));  // only 24 bits are kept
  CHECK(value == std::array<uint8_t, 3>{0xAB, 0xCD, 0xEF});
  CHECK(ReadAbsSendTime(value) == 0xABCDEF);
  CHECK_FALSE(ReadAbsSendTime(std::span<const uint8_t>(value).first(2)));
}

TEST_CASE("Video orientation decodes the CVO byte", "[RtpHeaderExtensions]") {
  const std::array<uint8_t, 1> value{0x0B};  // C=1 F=0 R=3
  auto orientation = ReadVideoOrientation(value);
  REQUIRE(orientation);
  CHECK(orientation->frontCamera);
  CHECK_FALSE(orientation->horizontalFlip);
  CHECK(orientation->rotationDegrees == 270);
  const std::array<uint8_t, 1> flipped{0x05};
  orientation = ReadVideoOrientation(flipped);
  REQUIRE(orientation);
  CHECK(orientation->horizontalFlip);
  CHECK(orientation->rotationDegrees == 90);
  CHECK_FALSE(ReadVideoOrientation({}));
}

TEST_CASE("String extensions drop trailing zero padding", "[RtpHeaderExtensions]") {
  const std::array<uint8_t, 4> mid{'m', '0', 0, 0};
  CHECK(ReadStringExtension(mid) == "m0");
  const std::array<uint8_t, 1> rid{'h'};
  CHECK(ReadStringExtension(rid) == "h");
  CHECK(ReadStringExtension({}).empty());
}
