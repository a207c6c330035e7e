#include <catch2/catch.hpp>
#include <random>
#include <vector>

#include "congestion/RtpRetransmissionBuffer.h"

using myriad::congestion::RtpRetransmissionBuffer;

namespace {
std::vector<uint8_t> Packet(uint16_t seq, size_t size) {
  std::vector<uint8_t> bytes(size);
  std::mt19937 random(seq);
  for (auto& b : bytes) b = static_cast<uint8_t>(random());
  return bytes;
}
}  // namespace

TEST_CASE("RtpRetransmissionBuffer returns stored packets bit-exact") {
  RtpRetransmissionBuffer buffer(100);
  REQUIRE(buffer.Capacity() == 128);  // rounded up to a power of two
  // 200 packets across the wrap; the last 128 must be there.
  for (uint16_t seq = 65436; seq != 100; ++seq)
    buffer.Store(seq, Packet(seq, 100 + seq % 900), seq);
  CHECK(buffer.Get(static_cast<uint16_t>(100 - 129)).packet.empty());
  for (uint16_t seq = static_cast<uint16_t>(100 - 128); seq != 100; ++seq) {
    const auto entry = buffer.Get(seq);
    const auto expected = Packet(seq, 100 + seq % 900);
    REQUIRE(std::vector<uint8_t>(entry.packet.begin(), entry.packet.end()) == expected);
    REQUIRE(entry.storedAtMs == seq);
  }
}

TEST_CASE("RtpRetransmissionBuffer forgets overwritten and never-stored packets") {
  RtpRetransmissionBuffer buffer(16);
  buffer.Store(1, Packet(1, 200), 0);
  CHECK(buffer.Get(2).packet.empty());
  CHECK(buffer.Get(17).packet.empty());  // same slot, different sequence number
  buffer.Store(17, Packet(17, 200), 0);
  CHECK(buffer.Get(1).packet.empty());
  CHECK(buffer.Get(17).packet.size() == 200);
}

TEST_CASE("RtpRetransmissionBuffer refuses packets larger than a slot") {
  RtpRetransmissionBuffer buffer(4);
  buffer.Store(3, Packet(3, RtpRetransmissionBuffer::kMaxPacketSize + 1), 0);
  CHECK(buffer.Get(3).packet.empty());
  buffer.Store(3, Packet(3, RtpRetransmissionBuffer::kMaxPacketSize), 0);
  CHECK(buffer.Get(3).packet.size() == RtpRetransmissionBuffer::kMaxPacketSize);
}

TEST_CASE("RtpRetransmissionBuffer with small slots keeps packets up to its slot size") {
  RtpRetransmissionBuffer buffer(64, 512);
  CHECK(buffer.MaxPacketSize() == 512);
  buffer.Store(5, Packet(5, 513), 0);
  CHECK(buffer.Get(5).packet.empty());
  buffer.Store(5, Packet(5, 512), 0);
  buffer.Store(6, Packet(6, 100), 0);
  const auto five = Packet(5, 512);
  const auto six = Packet(6, 100);
  REQUIRE(buffer.Get(5).packet.size() == 512);
  CHECK(std::equal(five.begin(), five.end(), buffer.Get(5).packet.begin()));
  REQUIRE(buffer.Get(6).packet.size() == 100);
  CHECK(std::equal(six.begin(), six.end(), buffer.Get(6).packet.begin()));
  // Neighbouring slots do not overlap.
  CHECK(buffer.Get(5).packet.data() + 512 <= buffer.Get(6).packet.data());
  CHECK(RtpRetransmissionBuffer(4, 4000).MaxPacketSize() ==
        RtpRetransmissionBuffer::kMaxPacketSize);
}
