#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "congestion/TimeDelta.h"
#include "congestion/Timestamp.h"

namespace myriad::congestion {

// Turns acknowledged packets into the per-group delay samples the trendline works on
// (GoogCC, draft-ietf-rmcat-gcc-02 section 5.2). Packets sent within kSendTimeGroupLength of a
// group's first packet form one group, since a pacer sends a frame's packets back to back and
// only the spacing between such bursts says anything about the queue. A packet that arrives
// within kBurstDeltaThreshold of the previous one and "gained" time on the way (its arrival
// spacing is smaller than its send spacing) also joins the group: it was held up behind the
// group somewhere (a Wi-Fi aggregate, a batched receive) and arrived in the same burst.
//
// Each time a group completes, the deltas between it and the group before are returned:
// send delta (group last send time to last send time), arrival delta (last arrival to last
// arrival) and size delta. Send times are the server's clock, arrival times the subscriber's;
// only differences within each clock are used.
//
// Packets must be fed in arrival order. A packet sent before the current group started
// (reordered on the way) is ignored; arrival deltas that go negative are counted and several in
// a row, or an arrival clock jump, restart the grouping.
class InterArrivalDelta {
 public:
  static constexpr TimeDelta kSendTimeGroupLength = TimeDelta::FromMs(5);
  static constexpr TimeDelta kBurstDeltaThreshold = TimeDelta::FromMs(5);
  static constexpr TimeDelta kMaxBurstDuration = TimeDelta::FromMs(100);
  // Send and arrival spacing this far apart is a clock jump or an outage, not queueing.
  static constexpr TimeDelta kArrivalJumpThreshold = TimeDelta::FromSeconds(3);
  static constexpr int kReorderedResetThreshold = 3;

  struct Deltas {
    TimeDelta sendDelta;
    TimeDelta arrivalDelta;
    int64_t sizeDelta = 0;  // bytes
    Timestamp arrivalTime;  // last arrival of the group that completed (subscriber's clock)
  };

  std::optional<Deltas> OnPacket(Timestamp sendTime, Timestamp arrivalTime, size_t bytes);

  void Reset();

 private:
  struct Group {
    bool started = false;
    Timestamp firstSendTime;
    Timestamp lastSendTime;
    Timestamp firstArrivalTime;
    Timestamp lastArrivalTime;
    int64_t bytes = 0;
  };

  bool StartsNewGroup(Timestamp sendTime, Timestamp arrivalTime) const;
  bool BelongsToBurst(Timestamp sendTime, Timestamp arrivalTime) const;

  Group current_;
  Group previous_;
  int reorderedInARow_ = 0;
};

}  // namespace myriad::congestion
