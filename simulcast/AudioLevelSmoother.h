#pragma once

#include <cstdint>

namespace myriad::simulcast {

// Smooths the RFC 6464 audio level of one audio source over time, in dBov.
//
// RFC 6464 section 3 carries one level per packet (0..127, meaning -dBov: 0 is the loudest, 127
// silence). Per-packet levels jump between syllables, so ranking speakers on them would switch
// slots several times a second; an exponential moving average with a time constant fixes that.
// The weight of a sample comes from the time it covers (the time since the previous sample), so
// the smoothing does not depend on the packet rate (20 ms Opus, 60 ms, DTX gaps).
//
// A source that sends nothing for `silenceTimeoutMs` (muted, Opus DTX, gone) is silent: its level
// is kSilenceDbov, and the next sample starts from silence instead of the stale value.
//
// Pure logic, time passed in; no allocation.
class AudioLevelSmoother {
 public:
  static constexpr double kSilenceDbov = -127;
  // The time a sample is taken to cover when nothing precedes it (the first one, or the first
  // after a silence timeout): the default Opus frame (RFC 7587 section 4.2, 20 ms ptime).
  static constexpr int64_t kFirstSampleMs = 20;

  // `timeConstantMs` applies while the level rises; `releaseTimeConstantMs`
  // (0: the same) while it falls. A slower fall keeps a speaker who just
  // stopped ranked above background talkers until the next foreground
  // speaker has risen, so a slot is not lent to a quiet talker in between.
  AudioLevelSmoother(int64_t timeConstantMs, int64_t silenceTimeoutMs,
                     int64_t releaseTimeConstantMs = 0);

  // One packet's level (RFC 6464, 0..127 -dBov; larger values count as 127). Samples arriving at
  // the same instant (one batch of packets) after the first get no weight, and a sample older
  // than the newest one counts as covering no time.
  void OnSample(uint8_t level, int64_t nowMs);

  // The smoothed level in dBov (-127..0), or kSilenceDbov after silenceTimeoutMs without samples.
  double LevelDbov(int64_t nowMs) const;

  bool HasSample() const { return hasSample_; }

 private:
  int64_t timeConstantMs_;
  int64_t silenceTimeoutMs_;
  int64_t releaseTimeConstantMs_;
  bool hasSample_ = false;
  int64_t lastSampleMs_ = 0;
  double smoothedDbov_ = kSilenceDbov;
};

}  // namespace myriad::simulcast
