#pragma once

#include <cstdint>
#include <random>

namespace myriad::loadtest {

// Bursty packet loss, the Gilbert-Elliott model: a two-state Markov chain
// stepped once per packet. In the good state a packet is lost with
// probability `lossInGood` (1 - k in the literature), in the bad state with
// `lossInBad` (1 - h); after each packet the chain moves good -> bad with
// probability `goodToBad` (p) and bad -> good with `badToGood` (r).
// Real paths (Wi-Fi, congested access links) lose packets in runs, which
// hurts audio concealment and NACK recovery far more than the same rate of
// independent losses; a load test of loss recovery needs both.
//
// With goodToBad = 0 the bad state is never entered: independent losses at
// `lossInGood` (Independent()). The default options lose nothing.
//
// Deterministic: the generator is the object's own, seeded at construction,
// and every packet draws exactly two numbers whatever happens to it, so one
// seed gives one loss pattern for a given sequence of options.
class GilbertElliottLoss {
 public:
  enum class State { kGood, kBad };
  enum class Outcome { kDelivered, kLostInGood, kLostInBad };

  struct Options {
    double goodToBad = 0;   // p
    double badToGood = 1;   // r
    double lossInGood = 0;  // 1 - k
    double lossInBad = 1;   // 1 - h
  };

  // Independent losses at `lossRate` (clamped to 0..1).
  static Options Independent(double lossRate);
  // The simple Gilbert model (no loss in the good state, every packet lost
  // in the bad one) with this long-run loss rate and mean loss-burst length
  // in packets: r = 1 / burst, p = r * loss / (1 - loss). A burst below 1
  // is taken as 1; a burst too short for the loss rate (p would exceed 1,
  // i.e. burst < loss / (1 - loss)) is raised to that bound, keeping the
  // rate. loss <= 0 loses nothing, loss >= 1 loses everything.
  static Options Bursty(double averageLoss, double meanBurstLength);
  // The long-run loss rate of `options` (the chain's stationary mix of the
  // two states' loss probabilities).
  static double AverageLoss(const Options& options);

  GilbertElliottLoss(Options options, uint64_t seed);

  // The fate of the next packet; then the chain takes its step.
  Outcome Next();
  // New probabilities from the next packet on; the state and the generator
  // carry over, except that options which never enter the bad state leave
  // it at once.
  void SetOptions(const Options& options);
  const Options& GetOptions() const { return options_; }
  State CurrentState() const { return state_; }

 private:
  // Uniform in [0, 1) from the top 53 bits: the same on every standard
  // library, unlike std::uniform_real_distribution's algorithm.
  double Uniform();

  Options options_;
  std::mt19937_64 random_;
  State state_ = State::kGood;
};

}  // namespace myriad::loadtest
