#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "rtp/RtpStreamRewriter.h"

using namespace myriad::rtp;
using Header = RtpStreamRewriter::Header;
using Incoming = RtpStreamRewriter::IncomingPacket;

namespace {
constexpr uint32_t kTimestampStep = 3000;  // 30 fps video at 90 kHz

uint32_t TimestampOf(uint32_t base, uint16_t seq) { return base + kTimestampStep * seq; }
}  // namespace

TEST_CASE("RtpStreamRewriter drops packets until a source is selected", "[RtpStreamRewriter]") {
  RtpStreamRewriter rewriter(1);
  CHECK_FALSE(rewriter.Rewrite(1, 1));
  CHECK_FALSE(rewriter.HasSent());
  CHECK_FALSE(rewriter.ToIncoming(0));
}

TEST_CASE("RtpStreamRewriter initial offsets are seeded", "[RtpStreamRewriter]") {
  RtpStreamRewriter a(7), b(7), c(8);
  a.SwitchSource(1, 0);
  b.SwitchSource(1, 0);
  c.SwitchSource(1, 0);
  const auto ha = a.Rewrite(100, 5000);
  const auto hb = b.Rewrite(100, 5000);
  const auto hc = c.Rewrite(100, 5000);
  REQUIRE(ha);
  REQUIRE(hb);
  REQUIRE(hc);
  CHECK(*ha == *hb);
  CHECK(ha->sequenceNumber != hc->sequenceNumber);  // holds for these seeds
  CHECK(ha->timestamp != hc->timestamp);
  // Offsets, not absolute values: the next packet keeps its spacing.
  const auto next = a.Rewrite(101, 5000 + kTimestampStep);
  REQUIRE(next);
  CHECK(next->sequenceNumber == static_cast<uint16_t>(ha->sequenceNumber + 1));
  CHECK(next->timestamp == ha->timestamp + kTimestampStep);
}

TEST_CASE("RtpStreamRewriter keeps the stream continuous across switches", "[RtpStreamRewriter]") {
  RtpStreamRewriter rewriter(42);
  const uint32_t sourceA = 0xA, sourceB = 0xB;
  const uint32_t tsA = 1000, tsB = 777777;

  // Source A wraps its sequence numbers, loses packet 6 and reorders 3/4.
  rewriter.SwitchSource(sourceA, 0);
  std::map<uint16_t, Header> outA;
  for (int i : {0, 1, 2, 4, 3, 5, 7, 8, 9}) {
    const uint16_t seq = static_cast<uint16_t>(65530 + i);
    const auto out = rewriter.Rewrite(seq, tsA + kTimestampStep * i);
    REQUIRE(out);
    outA[static_cast<uint16_t>(i)] = *out;
  }
  const Header first = outA[0];
  for (auto& [i, header] : outA) {
    CHECK(header.sequenceNumber == static_cast<uint16_t>(first.sequenceNumber + i));
    CHECK(header.timestamp == first.timestamp + kTimestampStep * i);
  }
  CHECK(rewriter.LastSentSequenceNumber() == outA[9].sequenceNumber);

  // Switch to B. B's packet 12 arrives first; 10/11 arrive late and are dropped; 15 is lost.
  rewriter.SwitchSource(sourceB, 1500);
  const auto b12 = rewriter.Rewrite(12, TimestampOf(tsB, 12));
  REQUIRE(b12);
  CHECK(b12->sequenceNumber == static_cast<uint16_t>(outA[9].sequenceNumber + 1));
  CHECK(b12->timestamp == outA[9].timestamp + 1500);
  CHECK_FALSE(rewriter.Rewrite(10, TimestampOf(tsB, 10)));
  const auto b14 = rewriter.Rewrite(14, TimestampOf(tsB, 14));
  const auto b13 = rewriter.Rewrite(13, TimestampOf(tsB, 13));
  CHECK_FALSE(rewriter.Rewrite(11, TimestampOf(tsB, 11)));
  const auto b16 = rewriter.Rewrite(16, TimestampOf(tsB, 16));
  REQUIRE(b13);
  REQUIRE(b14);
  REQUIRE(b16);
  CHECK(b13->sequenceNumber == static_cast<uint16_t>(b12->sequenceNumber + 1));
  CHECK(b14->sequenceNumber == static_cast<uint16_t>(b12->sequenceNumber + 2));
  CHECK(b16->sequenceNumber == static_cast<uint16_t>(b12->sequenceNumber + 4));  // gap kept
  CHECK(b16->timestamp == b12->timestamp + 4 * kTimestampStep);

  // Late packet of the old source after the switch is not ours to forward; retransmissions
  // of A's packets still map to the numbers they were sent with.
  CHECK(rewriter.MapRetransmission(sourceA, 65533, tsA + kTimestampStep * 3) == outA[3]);
  // A's packet 6 was lost upstream but lies inside A's segment: a recovered copy maps too.
  const auto a6 = rewriter.MapRetransmission(sourceA, 0, tsA + kTimestampStep * 6);
  REQUIRE(a6);
  CHECK(a6->sequenceNumber == static_cast<uint16_t>(first.sequenceNumber + 6));
  CHECK(a6->timestamp == first.timestamp + kTimestampStep * 6);
  // A's packet 10 was never forwarded (the switch came first).
  CHECK_FALSE(rewriter.MapRetransmission(sourceA, 4, tsA + kTimestampStep * 10));
  CHECK(rewriter.MapRetransmission(sourceB, 14, TimestampOf(tsB, 14)) == *b14);
  CHECK_FALSE(rewriter.MapRetransmission(sourceB, 11, TimestampOf(tsB, 11)));  // before switch
  CHECK_FALSE(rewriter.MapRetransmission(sourceB, 17, TimestampOf(tsB, 17)));  // not sent yet
  CHECK_FALSE(rewriter.MapRetransmission(0xC, 14, 0));

  // NACKs from the receiver map back to the incoming packet, across the switch.
  CHECK(rewriter.ToIncoming(outA[8].sequenceNumber) == Incoming{sourceA, 2});
  CHECK(rewriter.ToIncoming(b12->sequenceNumber) == Incoming{sourceB, 12});
  CHECK(rewriter.ToIncoming(static_cast<uint16_t>(b12->sequenceNumber + 3)) ==
        Incoming{sourceB, 15});
  CHECK_FALSE(rewriter.ToIncoming(static_cast<uint16_t>(b16->sequenceNumber + 1)));
  CHECK_FALSE(rewriter.ToIncoming(static_cast<uint16_t>(first.sequenceNumber - 1)));

  // Back to A, which has moved on meanwhile.
  rewriter.SwitchSource(sourceA, 3000);
  const auto a30 = rewriter.Rewrite(30, tsA + kTimestampStep * 36);
  REQUIRE(a30);
  CHECK(a30->sequenceNumber == static_cast<uint16_t>(b16->sequenceNumber + 1));
  CHECK(a30->timestamp == b16->timestamp + 3000);
  // A's old segment and its new one are told apart by the switch point.
  CHECK(rewriter.MapRetransmission(sourceA, 65533, tsA + kTimestampStep * 3) == outA[3]);
  CHECK(rewriter.MapRetransmission(sourceA, 30, tsA + kTimestampStep * 36) == *a30);
  CHECK(rewriter.ToIncoming(a30->sequenceNumber) == Incoming{sourceA, 30});
}

TEST_CASE("RtpStreamRewriter stays continuous under random loss, reordering and switches",
          "[RtpStreamRewriter]") {
  std::mt19937 rng(1234);
  std::bernoulli_distribution lose(0.1), swap(0.25);
  std::uniform_int_distribution<int> seqStart(0, 65535), length(5, 60);

  RtpStreamRewriter rewriter(99);
  std::set<uint16_t> usedOut;
  int64_t lastSegmentHighest = -1;  // extended outgoing seq, tracked by the test
  int64_t outExtendedBase = -1;
  uint32_t lastSentTimestamp = 0;

  for (int segment = 0; segment < 40; ++segment) {
    const uint32_t source = static_cast<uint32_t>(segment % 3);
    const uint16_t start = static_cast<uint16_t>(seqStart(rng));
    const uint32_t tsBase = static_cast<uint32_t>(rng());
    std::vector<int> order;
    for (int i = 0, n = length(rng); i < n; ++i) {
      if (!lose(rng)) order.push_back(i);
    }
    for (size_t i = 0; i + 1 < order.size(); ++i) {
      if (swap(rng)) std::swap(order[i], order[i + 1]);
    }
    if (order.empty()) continue;
    const uint32_t delta = 1000 + segment;
    rewriter.SwitchSource(source, delta);

    const int switchPoint = order.front();
    std::optional<Header> firstOut;
    int highestIndex = switchPoint;
    for (int i : order) {
      const uint16_t seq = static_cast<uint16_t>(start + i);
      const uint32_t ts = tsBase + kTimestampStep * static_cast<uint32_t>(i);
      const auto out = rewriter.Rewrite(seq, ts);
      INFO("segment " << segment << " index " << i << " switch point " << switchPoint);
      if (i < switchPoint) {
        CHECK_FALSE(out);
        continue;
      }
      REQUIRE(out);
      if (!firstOut) {
        firstOut = out;
        if (lastSegmentHighest >= 0) {
          CHECK(out->sequenceNumber == static_cast<uint16_t>(lastSegmentHighest + 1));
          CHECK(out->timestamp == lastSentTimestamp + delta);
          outExtendedBase = lastSegmentHighest + 1;
        } else {
          outExtendedBase = out->sequenceNumber;  // seeded start
        }
      }
      CHECK(out->sequenceNumber ==
            static_cast<uint16_t>(firstOut->sequenceNumber + i - switchPoint));
      CHECK(out->timestamp == firstOut->timestamp + kTimestampStep * (i - switchPoint));
      CHECK(usedOut.insert(out->sequenceNumber).second);  // never reused
      CHECK(rewriter.ToIncoming(out->sequenceNumber) == Incoming{source, seq});
      CHECK(rewriter.MapRetransmission(source, seq, ts) == *out);
      highestIndex = std::max(highestIndex, i);
    }
    lastSegmentHighest = outExtendedBase + (highestIndex - switchPoint);
    lastSentTimestamp = firstOut->timestamp + kTimestampStep * (highestIndex - switchPoint);
    CHECK(rewriter.LastSentSequenceNumber() == static_cast<uint16_t>(lastSegmentHighest));
    CHECK(rewriter.LastSentTimestamp() == lastSentTimestamp);
  }
}
