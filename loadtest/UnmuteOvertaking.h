#pragma once

#include <cstdint>
#include <vector>

namespace myriad::loadtest {

// Whether an owner's unmute that the server refused as `mute_locked` was
// overtaken by a host's lock: the policy's right answer on a slow path, not
// a fault of the server (RunReport::Control::overtaken).
//
// The control plan (ControlSchedule) keeps a microphone out of new cycles
// for hold + settle after a cycle starts. When a reply is slower than that,
// the next cycle's host may lock the microphone while the owner's unmute
// is still on its way, and the server rightly refuses the unmute. Overtaken
// means: a lock of the microphone was sent after the unmute's own cycle
// began and before the unmute's reply arrived. The cycle began with the
// host's request to unmute (for an owner accepting it) or with the owner's
// own mute (for a self unmute): the latest of those sent before the unmute.
//
// Pure logic over the generator's clock (microseconds); the lists need not
// be sorted.
class UnmuteOvertaking {
 public:
  struct Microphone {
    std::vector<int64_t> locksSentUs;           // acked hostMute (with lock) requests
    std::vector<int64_t> unmuteRequestsSentUs;  // acked requestUnmute requests
    std::vector<int64_t> selfMutesSentUs;       // the owner's own mute requests
  };

  // `acceptsRequest`: the unmute answers a host's request (else it is the
  // owner's own).
  static bool Overtaken(const Microphone& microphone, bool acceptsRequest, int64_t sentUs,
                        int64_t replyUs);
};

}  // namespace myriad::loadtest
