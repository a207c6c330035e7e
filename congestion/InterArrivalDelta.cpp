#include "congestion/InterArrivalDelta.h"

#include <algorithm>

namespace myriad::congestion {

void InterArrivalDelta::Reset() {
  current_ = Group{};
  previous_ = Group{};
  reorderedInARow_ = 0;
}

bool InterArrivalDelta::BelongsToBurst(Timestamp sendTime, Timestamp arrivalTime) const {
  const TimeDelta arrivalDelta = arrivalTime - current_.lastArrivalTime;
  const TimeDelta sendDelta = sendTime - current_.lastSendTime;
  if (sendDelta == TimeDelta::Zero()) return true;  // sent together, keep them together
  const TimeDelta propagationDelta = arrivalDelta - sendDelta;
  return propagationDelta < TimeDelta::Zero() && arrivalDelta <= kBurstDeltaThreshold &&
         arrivalTime - current_.firstArrivalTime < kMaxBurstDuration;
}

bool InterArrivalDelta::StartsNewGroup(Timestamp sendTime, Timestamp arrivalTime) const {
  if (!current_.started) return true;
  if (BelongsToBurst(sendTime, arrivalTime)) return false;
  return sendTime - current_.firstSendTime > kSendTimeGroupLength;
}

std::optional<InterArrivalDelta::Deltas> InterArrivalDelta::OnPacket(Timestamp sendTime,
                                                                     Timestamp arrivalTime,
                                                                     size_t bytes) {
  std::optional<Deltas> deltas;
  if (current_.started && sendTime < current_.firstSendTime) {
    return std::nullopt;  // reordered behind a later group: its delay says nothing new
  }
  if (StartsNewGroup(sendTime, arrivalTime)) {
    if (previous_.started) {
      Deltas d;
      d.sendDelta = current_.lastSendTime - previous_.lastSendTime;
      d.arrivalDelta = current_.lastArrivalTime - previous_.lastArrivalTime;
      d.sizeDelta = current_.bytes - previous_.bytes;
      d.arrivalTime = current_.lastArrivalTime;
      if ((d.arrivalDelta - d.sendDelta).Abs() >= kArrivalJumpThreshold) {
        // The subscriber's clock jumped or the path was gone for seconds: start over.
        Reset();
      } else if (d.arrivalDelta < TimeDelta::Zero()) {
        // The group as a whole arrived before the one sent before it.
        if (++reorderedInARow_ >= kReorderedResetThreshold) Reset();
      } else {
        reorderedInARow_ = 0;
        deltas = d;
      }
    }
    if (current_.started) previous_ = current_;
    current_ = Group{true, sendTime, sendTime, arrivalTime, arrivalTime, 0};
  } else {
    current_.lastSendTime = std::max(current_.lastSendTime, sendTime);
  }
  current_.bytes += static_cast<int64_t>(bytes);
  current_.lastArrivalTime = std::max(current_.lastArrivalTime, arrivalTime);
  return deltas;
}

}  // namespace myriad::congestion
