#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace myriad::loadtest {

// Who talks when, and how loud, in a load test: a seeded, deterministic
// plan a test can read to know the loudest K at any instant. Pure logic;
// times are microseconds from the start of the run.
//
// A fixed number of "speech channels" (talkingShare of the publishers, at
// least one) each carry one talker at a time, back to back: when a channel's
// talk spurt ends, a publisher that is silent at that moment takes over for
// a spurt drawn from [minSpurt, maxSpurt]. First spurts are drawn from
// [maxSpurt / 10, maxSpurt] so the channels change at different times.
//
// Channel c speaks at a fixed RFC 6464 level (-dBov: 20 means -20 dBov).
// The first `foregroundChannels` are the loudest, 1 dB apart from
// `loudestLevel` on, so the loudest talkers at any instant are exactly
// theirs and in a known order. The others are background talkers, starting
// `backgroundGap` dB below the quietest foreground channel and 1 dB apart
// from there down to `quietestLevel` (where the rest share the level). The
// gap should exceed the server's switch margin, so a new foreground talker
// can displace a background one that took a slot meanwhile.
class TalkSchedule {
 public:
  struct Config {
    uint32_t publishers = 0;
    double talkingShare = 0.05;
    int64_t minSpurtUs = 1'500'000;
    int64_t maxSpurtUs = 4'000'000;
    uint8_t loudestLevel = 20;
    uint8_t quietestLevel = 35;
    uint32_t foregroundChannels = 3;
    uint8_t backgroundGap = 8;
    int64_t durationUs = 0;
    uint32_t seed = 1;
  };

  struct Spurt {
    uint32_t publisher = 0;
    uint32_t channel = 0;
    uint8_t level = 0;  // -dBov
    int64_t startUs = 0;
    int64_t endUs = 0;  // exclusive
  };

  explicit TalkSchedule(Config config);

  const Config& GetConfig() const { return config_; }
  uint32_t Channels() const { return channels_; }
  uint8_t ChannelLevel(uint32_t channel) const;
  // Every spurt, ordered by start time.
  const std::vector<Spurt>& Spurts() const { return spurts_; }
  // The spurts of one publisher, ordered by start time.
  std::vector<Spurt> SpurtsOf(uint32_t publisher) const;

  // The spurt `publisher` is in at `atUs`, or nullptr when it is silent.
  const Spurt* SpurtAt(uint32_t publisher, int64_t atUs) const;
  // True when `publisher` talks at no instant of [fromUs, toUs].
  bool SilentThroughout(uint32_t publisher, int64_t fromUs, int64_t toUs) const;
  // Everyone talking at `atUs`, loudest first (ties: lower channel first).
  std::vector<Spurt> TalkersAt(int64_t atUs) const;
  // The publishers of the k loudest talkers at `atUs`, leaving out
  // `excluded` (a subscriber never hears itself).
  std::vector<uint32_t> LoudestAt(int64_t atUs, uint32_t k,
                                  std::optional<uint32_t> excluded = std::nullopt) const;

 private:
  Config config_;
  uint32_t channels_ = 0;
  std::vector<Spurt> spurts_;
  std::vector<std::vector<uint32_t>> byPublisher_;  // indices into spurts_
};

}  // namespace myriad::loadtest
