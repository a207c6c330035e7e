// UnmuteOvertaking: which refused unmutes a host's lock overtook. Times are
// microseconds on the generator's clock, given by the table.

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/UnmuteOvertaking.h"

namespace myriad::loadtest {

TEST_CASE("UnmuteOvertaking counts a refusal only when a lock was sent inside the unmute's cycle",
          "[loadtest][control]") {
  struct Row {
    std::string name;
    UnmuteOvertaking::Microphone microphone;
    bool acceptsRequest;
    int64_t sentUs;
    int64_t replyUs;
    bool overtaken;
  };
  // A host-mute cycle: lock at 1000, request to unmute at 1500, the owner
  // accepts at 1600 and hears back at `replyUs`. The next cycle's lock at 2500.
  const std::vector<Row> rows = {
      {"the next cycle's lock, sent before the slow reply",
       {{1000, 2500}, {1500}, {}},
       true,
       1600,
       2700,
       true},
      {"the next lock sent after the reply: a genuine refusal",
       {{1000, 2500}, {1500}, {}},
       true,
       1600,
       2400,
       false},
      {"only the cycle's own lock (before its request): a genuine refusal",
       {{1000}, {1500}, {}},
       true,
       1600,
       5000,
       false},
      {"no request to unmute before the accept: nothing to measure from",
       {{1000, 2500}, {1700}, {}},
       true,
       1600,
       5000,
       false},
      {"a later cycle's request does not move the start back",
       {{1000, 1550, 2500}, {1500, 3000}, {}},
       true,
       1600,
       1700,
       true},
      // A self cycle: the owner mutes at 1000 and unmutes at 1500.
      {"a host locked during the self cycle", {{1200}, {}, {1000}}, false, 1500, 1600, true},
      {"a lock before the self mute is an earlier cycle's",
       {{900}, {}, {1000}},
       false,
       1500,
       1600,
       false},
      {"an accept's check ignores self mutes", {{1200}, {}, {1000}}, true, 1500, 1600, false},
      {"a self unmute's check ignores requests to unmute",
       {{1200}, {1000}, {}},
       false,
       1500,
       1600,
       false},
  };
  for (const auto& row : rows) {
    INFO(row.name);
    CHECK(UnmuteOvertaking::Overtaken(row.microphone, row.acceptsRequest, row.sentUs,
                                      row.replyUs) == row.overtaken);
  }
}

}  // namespace myriad::loadtest
