#include <catch2/catch.hpp>
#include <cstdint>

#include "congestion/SentPacketHistory.h"
#include "tests/congestion/AllocationCounter.h"
#include "tests/congestion/CongestionTestPrinters.h"

namespace myriad::congestion {

using Report = SentPacketHistory::Report;

TEST_CASE("SentPacketHistory finds what was sent and nothing else") {
  SentPacketHistory history;
  CHECK(history.Find(1) == nullptr);  // nothing sent yet
  CHECK(history.OnReceived(1).report == Report::kUnknown);

  history.OnPacketSent(100, 1200, Timestamp::FromMs(10));
  history.OnPacketSent(101, 300, Timestamp::FromMs(11), 7);
  const SentPacketHistory::SentPacket* packet = history.Find(101);
  REQUIRE(packet != nullptr);
  CHECK(packet->bytes == 300);
  CHECK(packet->sendTime == Timestamp::FromMs(11));
  CHECK(packet->probeClusterId == 7);
  CHECK(history.Find(100)->probeClusterId == -1);
  CHECK(history.Find(102) == nullptr);  // not sent yet
  CHECK(history.Find(99) == nullptr);   // before the first
  CHECK(history.OnLost(102).report == Report::kUnknown);
}

TEST_CASE("SentPacketHistory unwraps sequence numbers across the wrap") {
  SentPacketHistory history;
  for (uint16_t i = 0; i < 20; ++i) {
    history.OnPacketSent(static_cast<uint16_t>(65530 + i), 1000, Timestamp::FromMs(i));
  }
  // 65530..65535 then 0..13: all distinct, in order.
  int64_t previous = -1;
  for (uint16_t i = 0; i < 20; ++i) {
    const auto* packet = history.Find(static_cast<uint16_t>(65530 + i));
    REQUIRE(packet != nullptr);
    CHECK(packet->sendTime == Timestamp::FromMs(i));
    CHECK(packet->sequenceNumber > previous);
    previous = packet->sequenceNumber;
  }
  CHECK(history.Find(65535)->sequenceNumber + 1 == history.Find(0)->sequenceNumber);
  CHECK(history.OnReceived(2).report == Report::kFirst);
  CHECK(history.Find(14) == nullptr);
}

TEST_CASE("SentPacketHistory forgets packets the ring overwrote") {
  SentPacketHistory history;
  const auto capacity = static_cast<uint16_t>(SentPacketHistory::kCapacity);
  for (uint16_t seq = 0; seq <= capacity; ++seq)
    history.OnPacketSent(seq, 100, Timestamp::FromMs(seq));
  CHECK(history.Find(0) == nullptr);  // slot reused by `capacity`
  CHECK(history.OnReceived(0).report == Report::kUnknown);
  REQUIRE(history.Find(capacity) != nullptr);
  CHECK(history.Find(1) != nullptr);
  // The evicted packet left flight unreported.
  CHECK(history.InFlightBytes() == int64_t{100} * capacity);
}

TEST_CASE("SentPacketHistory settles each packet once") {
  struct Case {
    const char* name;
    bool firstReceived;
    bool secondReceived;
    Report expectedSecond;
  };
  for (const Case& c : {
           Case{"received twice", true, true, Report::kRepeat},
           Case{"lost twice", false, false, Report::kRepeat},
           Case{"received, then lost", true, false, Report::kRepeat},
           Case{"lost, then received", false, true, Report::kReceivedAfterLoss},
       }) {
    INFO(c.name);
    SentPacketHistory history;
    history.OnPacketSent(5, 1000, Timestamp::FromMs(0));
    history.OnPacketSent(6, 500, Timestamp::FromMs(1));
    CHECK(history.InFlightBytes() == 1500);
    const auto first = c.firstReceived ? history.OnReceived(5) : history.OnLost(5);
    CHECK(first.report == Report::kFirst);
    CHECK(history.InFlightBytes() == 500);
    const auto second = c.secondReceived ? history.OnReceived(5) : history.OnLost(5);
    CHECK(second.report == c.expectedSecond);
    REQUIRE(second.packet != nullptr);
    CHECK(second.packet->bytes == 1000);
    CHECK(history.InFlightBytes() == 500);  // settled once, whatever came later
    const bool everReceived = c.firstReceived || c.secondReceived;
    CHECK(history.AcknowledgedBytes() == (everReceived ? 1000 : 0));
  }
}

TEST_CASE("SentPacketHistory allocates only at construction") {
  SentPacketHistory history;
  const uint64_t before = AllocationCount();
  for (uint32_t i = 0; i < 10'000; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    history.OnPacketSent(seq, 1200, Timestamp::FromMs(i));
    if (i % 3 == 0) history.OnReceived(seq);
    if (i % 3 == 1) history.OnLost(seq);
  }
  const uint64_t after = AllocationCount();
  CHECK(after == before);
}

}  // namespace myriad::congestion
