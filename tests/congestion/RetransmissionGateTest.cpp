#include <catch2/catch.hpp>

#include "congestion/RetransmissionGate.h"

using myriad::congestion::RetransmissionGate;
using Decision = RetransmissionGate::Decision;

TEST_CASE("RetransmissionGate: age limit includes half the round trip", "[RetransmissionGate]") {
  struct Row {
    bool video;
    int64_t ageMs;
    int64_t rttMs;
    Decision expected;
  };
  const Row rows[] = {
      {true, 100, 50, Decision::kSend},
      {true, 970, 60, Decision::kSend},      // arrives at 1000 ms: still useful
      {true, 971, 60, Decision::kTooOld},    // arrives at 1001 ms
      {true, 600, 1000, Decision::kTooOld},  // a long path makes a young packet useless
      {false, 250, 100, Decision::kSend},
      {false, 251, 100, Decision::kTooOld},
  };
  for (const Row& row : rows) {
    RetransmissionGate gate(row.video);
    const int64_t now = 10'000;
    CHECK(gate.Check(7, now - row.ageMs, now, row.rttMs) == row.expected);
  }
}

TEST_CASE("RetransmissionGate: one resend per round trip per packet", "[RetransmissionGate]") {
  RetransmissionGate gate(true);
  const int64_t stored = 1000;
  CHECK(gate.Check(500, stored, 1100, 80) == Decision::kSend);
  // The receiver asks again before our copy can have arrived.
  CHECK(gate.Check(500, stored, 1150, 80) == Decision::kResentWithinRtt);
  // Another packet is not affected.
  CHECK(gate.Check(501, stored, 1150, 80) == Decision::kSend);
  // One RTT later the copy was evidently lost too: resend.
  CHECK(gate.Check(500, stored, 1180, 80) == Decision::kSend);
  CHECK(gate.Check(500, stored, 1200, 80) == Decision::kResentWithinRtt);
}

TEST_CASE("RetransmissionGate: the table forgets a packet when its slot is reused",
          "[RetransmissionGate]") {
  RetransmissionGate gate(true);
  CHECK(gate.Check(3, 0, 10, 100) == Decision::kSend);
  // Same slot (3 + kRecent), different packet: evicts 3.
  CHECK(gate.Check(3 + RetransmissionGate::kRecent, 0, 20, 100) == Decision::kSend);
  CHECK(gate.Check(3, 0, 30, 100) == Decision::kSend);
  // A zero RTT still waits the floor interval.
  CHECK(gate.Check(3, 0, 35, 0) == Decision::kResentWithinRtt);
  CHECK(gate.Check(3, 0, 30 + RetransmissionGate::kMinResendIntervalMs, 0) == Decision::kSend);
}
