#include "loadtest/ControlOneWayDelays.h"

namespace myriad::loadtest {

void ControlOneWayDelays::Add(int64_t sentUs, int64_t serverReceivedUs, int64_t serverRepliedUs,
                              int64_t replyUs) {
  const int64_t uplink = serverReceivedUs - sentUs;
  const int64_t atServer = serverRepliedUs - serverReceivedUs;
  const int64_t downlink = replyUs - serverRepliedUs;
  if (uplink < -kClockToleranceUs || downlink < -kClockToleranceUs || atServer < 0) {
    inconsistent_ = true;
  }
  ++samples_;
  if (uplink <= withinUs_) ++uplinkWithin_;
  if (downlink <= withinUs_) ++downlinkWithin_;
  uplink_.Record(uplink);
  downlink_.Record(downlink);
  atServer_.Record(atServer);
}

}  // namespace myriad::loadtest
