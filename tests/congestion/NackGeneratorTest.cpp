#include <array>
#include <catch2/catch.hpp>
#include <vector>

#include "congestion/NackGenerator.h"

using myriad::congestion::NackGenerator;

namespace {
std::vector<uint16_t> Collect(NackGenerator& nacks, int64_t nowMs, int64_t rttMs = 50) {
  std::array<uint16_t, 300> out{};
  const size_t count = nacks.Collect(nowMs, rttMs, out);
  return {out.begin(), out.begin() + static_cast<ptrdiff_t>(count)};
}
}  // namespace

TEST_CASE("NackGenerator requests a gap at once, then again after an RTT") {
  NackGenerator nacks;
  nacks.OnPacket(100, 0);
  nacks.OnPacket(101, 0);
  nacks.OnPacket(104, 10);
  CHECK(Collect(nacks, 10) == std::vector<uint16_t>{102, 103});
  CHECK(Collect(nacks, 30).empty());  // within the RTT: not again yet
  CHECK(Collect(nacks, 60) == std::vector<uint16_t>{102, 103});
  nacks.OnPacket(102, 70);  // the retransmission arrived
  CHECK(Collect(nacks, 200) == std::vector<uint16_t>{103});
}

TEST_CASE("NackGenerator handles sequence number wrap-around") {
  NackGenerator nacks;
  nacks.OnPacket(65534, 0);
  nacks.OnPacket(1, 0);
  CHECK(Collect(nacks, 0) == std::vector<uint16_t>{65535, 0});
}

TEST_CASE("NackGenerator ignores reordering that fills the gap before the request") {
  NackGenerator nacks;
  nacks.OnPacket(10, 0);
  nacks.OnPacket(12, 0);
  nacks.OnPacket(11, 0);
  CHECK(Collect(nacks, 0).empty());
  CHECK(nacks.MissingCount() == 0);
}

TEST_CASE("NackGenerator gives up after the maximum number of retries") {
  NackGenerator nacks;
  nacks.OnPacket(1, 0);
  nacks.OnPacket(3, 0);
  int requests = 0;
  for (int64_t t = 0; t < 10'000; t += 100) requests += static_cast<int>(Collect(nacks, t).size());
  CHECK(requests == NackGenerator::kMaxRetries);
  CHECK(nacks.MissingCount() == 0);
}

TEST_CASE("NackGenerator asks for a key frame instead of a huge gap") {
  NackGenerator nacks;
  nacks.OnPacket(1, 0);
  nacks.OnPacket(5, 0);
  const auto result = nacks.OnPacket(static_cast<uint16_t>(6 + NackGenerator::kMaxGap + 1), 0);
  CHECK(result.keyFrameNeeded);
  CHECK(Collect(nacks, 0).empty());  // the earlier small gap is dropped too
}

TEST_CASE("NackGenerator keeps at most kMaxMissing entries, dropping the oldest") {
  NackGenerator nacks;
  uint16_t seq = 0;
  nacks.OnPacket(seq, 0);
  for (int i = 0; i < 200; ++i) {
    seq = static_cast<uint16_t>(seq + 3);  // two lost before each arrival
    nacks.OnPacket(seq, 0);
  }
  CHECK(nacks.MissingCount() == NackGenerator::kMaxMissing);
  const auto requested = Collect(nacks, 0);
  REQUIRE(requested.size() == NackGenerator::kMaxMissing);
  CHECK(requested.back() == static_cast<uint16_t>(seq - 1));
}
