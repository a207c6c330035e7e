// Loss counted from sequence-number gaps, as receiver reports count it.

#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "loadtest/SequenceGapCounter.h"

namespace myriad::loadtest {

TEST_CASE("SequenceGapCounter counts gaps, late packets and wrap-around", "[loadtest]") {
  struct Row {
    const char* what;
    std::vector<uint16_t> sequence;
    uint64_t expected;
    uint64_t lost;
  };
  const auto row =
      GENERATE(Row{"nothing", {}, 0, 0}, Row{"in order", {10, 11, 12, 13}, 4, 0},
               Row{"one gap", {10, 11, 14, 15}, 6, 2},
               Row{"late packet fills its gap", {10, 12, 11, 13}, 4, 0},
               Row{"wrap", {65534, 65535, 0, 1}, 4, 0},
               Row{"gap across the wrap", {65534, 1}, 4, 2}, Row{"duplicate", {5, 6, 6, 7}, 3, 0},
               Row{"old packet from before the first", {100, 99}, 1, 0});
  INFO(row.what);
  SequenceGapCounter counter;
  for (const uint16_t sequence : row.sequence) counter.Add(sequence);
  CHECK(counter.Received() == row.sequence.size());
  CHECK(counter.Expected() == row.expected);
  CHECK(counter.Lost() == row.lost);
}

TEST_CASE("SequenceGapCounter follows a stream through several wraps", "[loadtest]") {
  SequenceGapCounter counter;
  uint16_t sequence = 60000;
  for (int i = 0; i < 200'000; ++i) {
    if (i % 1000 != 999) counter.Add(sequence);  // one in a thousand lost
    ++sequence;
  }
  CHECK(counter.Expected() == 200'000 - 1);  // the very last one was lost
  CHECK(counter.Lost() == 199);
}

}  // namespace myriad::loadtest
