#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "congestion/SendSideBandwidthEstimator.h"
#include "rtp/TransportCcFeedback.h"
#include "rtp/TransportCcFeedbackBuilder.h"
#include "tests/congestion/AllocationCounter.h"
#include "tests/congestion/BandwidthEstimationSimulation.h"
#include "tests/congestion/CongestionTestPrinters.h"
#include "tests/congestion/SimulatedBottleneck.h"

namespace myriad::congestion {
namespace {

constexpr DataRate Kbps(int64_t kbps) { return DataRate::FromKbps(kbps); }
constexpr Timestamp Seconds(int64_t seconds) { return Timestamp::FromMs(seconds * 1000); }

using Simulation = BandwidthEstimationSimulation;

Simulation::Options PathOptions(DataRate capacity, int64_t oneWayDelayMs, uint32_t seed,
                                DataRate desired) {
  Simulation::Options options;
  options.link.capacity = capacity;
  options.link.oneWayDelay = TimeDelta::FromMs(oneWayDelayMs);
  options.link.seed = seed;
  options.seed = seed;
  options.desired = desired;
  return options;
}

// When the target first reached `rate` at or after `from`.
std::optional<Timestamp> FirstReaching(const Simulation& sim, DataRate rate, Timestamp from) {
  for (const Simulation::Sample& sample : sim.Samples()) {
    if (sample.time >= from && sample.result.target >= rate) return sample.time;
  }
  return std::nullopt;
}

// A hand-driven subscriber: records arrivals and turns them into parsed feedback.
class FeedbackWriter {
 public:
  void Arrived(uint16_t seq, Timestamp arrival) {
    REQUIRE(builder_.AddReceivedPacket(seq, arrival.Us()) ==
            rtp::TransportCcFeedbackBuilder::AddResult::kAdded);
  }

  // The feedback for what arrived since the last call (the buffer lives until the next call).
  rtp::TransportCcFeedback Take() {
    const size_t size = builder_.Serialize(buffer_);
    REQUIRE(size > 0);
    builder_.StartNextFeedback();
    const std::optional<rtp::TransportCcFeedback> feedback =
        rtp::TransportCcFeedback::Parse(std::span<uint8_t>(buffer_.data(), size));
    REQUIRE(feedback);
    return *feedback;
  }

 private:
  rtp::TransportCcFeedbackBuilder builder_{1, 2};
  std::array<uint8_t, 1500> buffer_{};
};

SendSideBandwidthEstimator::Options Start(int64_t kbps) {
  SendSideBandwidthEstimator::Options options;
  options.start = Kbps(kbps);
  return options;
}

// The first probe of an estimator started at 300 kbit/s that wants 2 Mbit/s, asked for at
// 10 ms: 600 kbit/s.
ProbeRequest FirstProbeAt10Ms(SendSideBandwidthEstimator& estimator) {
  estimator.SetDesiredRate(Kbps(2000));
  const auto asked = estimator.Process(Timestamp::FromMs(10));
  REQUIRE(asked.probe);
  REQUIRE(asked.probe->rate == Kbps(600));
  return *asked.probe;
}

}  // namespace

TEST_CASE("SendSideBandwidthEstimator finds a 500 kbit/s bottleneck within 10 s and stays there") {
  // With a desired rate it probes from the start; without, AIMD alone gets there.
  for (int64_t delayMs : {10, 40, 100}) {
    for (int64_t desiredKbps : {0, 2000}) {
      for (uint32_t seed : {1u, 2u, 3u}) {
        INFO("one-way delay " << delayMs << " ms, desired " << desiredKbps << ", seed " << seed);
        Simulation sim(PathOptions(Kbps(500), delayMs, seed, Kbps(desiredKbps)));
        sim.RunUntil(Seconds(60));
        const std::optional<Timestamp> settled =
            sim.SettledWithin(Kbps(400), Kbps(600), Seconds(0));
        REQUIRE(settled);
        CHECK(*settled <= Seconds(10));
        // No runaway: the queue never overflowed, and every packet was matched across the
        // sequence number wrap (the simulation starts at 65000).
        CHECK(sim.Link().QueueDrops() == 0);
        CHECK(sim.Estimator().UnknownFeedbackCount() == 0);
        CHECK(sim.LastResult().lossBased == Kbps(20'000));
      }
    }
  }
}

TEST_CASE("SendSideBandwidthEstimator follows a drop from 2 Mbit/s to 500 kbit/s within 10 s") {
  for (int64_t delayMs : {10, 40, 100}) {
    for (size_t queueBytes : {15'000u, 60'000u}) {
      for (uint32_t seed : {1u, 2u}) {
        INFO("one-way delay " << delayMs << " ms, queue " << queueBytes << ", seed " << seed);
        Simulation::Options options = PathOptions(Kbps(2000), delayMs, seed, Kbps(2000));
        options.link.queueBytes = queueBytes;
        Simulation sim(options);
        sim.RunUntil(Seconds(30));
        // Using the 2 Mbit/s before the drop.
        CHECK(sim.SettledWithin(Kbps(1600), Kbps(2400), Seconds(20)));
        sim.SetCapacity(Kbps(500));
        sim.RunUntil(Seconds(60));
        const std::optional<Timestamp> settled =
            sim.SettledWithin(Kbps(400), Kbps(600), Seconds(30));
        REQUIRE(settled);
        CHECK(*settled - Seconds(30) <= TimeDelta::FromSeconds(10));
      }
    }
  }
}

TEST_CASE("SendSideBandwidthEstimator probes up to a capacity that grew from 500 kbit/s to 2") {
  for (int64_t delayMs : {10, 40, 100}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      INFO("one-way delay " << delayMs << " ms, seed " << seed);
      Simulation sim(PathOptions(Kbps(500), delayMs, seed, Kbps(2000)));
      sim.RunUntil(Seconds(30));
      const int probesBefore = sim.ProbesSent();
      sim.SetCapacity(Kbps(2000));
      sim.RunUntil(Seconds(60));
      const std::optional<Timestamp> settled =
          sim.SettledWithin(Kbps(1600), Kbps(2400), Seconds(30));
      REQUIRE(settled);
      CHECK(*settled - Seconds(30) <= TimeDelta::FromSeconds(15));
      CHECK(sim.ProbesSent() > probesBefore);
    }
  }
}

TEST_CASE("SendSideBandwidthEstimator: without a desired rate there is no probing and no jump") {
  Simulation sim(PathOptions(Kbps(500), 40, 1, DataRate::Zero()));
  sim.RunUntil(Seconds(30));
  sim.SetCapacity(Kbps(2000));
  sim.RunUntil(Seconds(60));
  CHECK(sim.ProbesSent() == 0);
  // AIMD alone climbs 8% a second at best: it takes longer than probing does.
  const std::optional<Timestamp> reached = FirstReaching(sim, Kbps(1600), Seconds(30));
  CHECK((!reached || *reached - Seconds(30) > TimeDelta::FromSeconds(12)));
}

TEST_CASE("SendSideBandwidthEstimator: random loss over 10% lowers the loss bound, 1% does not") {
  struct Case {
    double loss;
    bool bounded;
  };
  for (const Case& c : {Case{0.01, false}, Case{0.10, true}, Case{0.20, true}}) {
    for (uint32_t seed : {1u, 2u, 3u}) {
      INFO("loss " << c.loss << ", seed " << seed);
      Simulation::Options options =
          PathOptions(DataRate::PlusInfinity(), 40, seed, DataRate::Zero());
      options.link.randomLoss = c.loss;
      Simulation sim(options);
      sim.RunUntil(Seconds(30));
      const SendSideBandwidthEstimator::Result& result = sim.LastResult();
      if (c.bounded) {
        CHECK(result.lossBased < Kbps(300));  // below where it started
        CHECK(result.target == result.lossBased);
        CHECK(result.lossRatio > 0.02);
      } else {
        for (const Simulation::Sample& sample : sim.Samples()) {
          REQUIRE(sample.result.lossBased == Kbps(20'000));
        }
        CHECK(result.target > Kbps(2000));  // 8% a second from 300 kbit/s for 30 s
        CHECK(result.lossRatio < 0.05);
      }
    }
  }
}

TEST_CASE("SendSideBandwidthEstimator keeps arrival times continuous across the 24-bit wrap") {
  // The reference time (signed 24 bits of 64 ms) wraps about 5 s into the run.
  Simulation::Options options = PathOptions(Kbps(500), 40, 1, Kbps(2000));
  options.receiverClockOffset =
      TimeDelta::FromUs((int64_t{1} << 23) * rtp::TransportCcFeedback::kReferenceTimeTickUs) -
      TimeDelta::FromSeconds(5);
  Simulation sim(options);
  sim.RunUntil(Seconds(30));
  const std::optional<Timestamp> settled = sim.SettledWithin(Kbps(400), Kbps(600), Seconds(0));
  REQUIRE(settled);
  CHECK(*settled <= Seconds(10));
  // A clock that jumped back 298 hours would freeze the throughput window.
  REQUIRE(sim.Estimator().AcknowledgedRate());
  CHECK(*sim.Estimator().AcknowledgedRate() > Kbps(400));
  CHECK(*sim.Estimator().AcknowledgedRate() < Kbps(600));
}

TEST_CASE("SendSideBandwidthEstimator ignores and counts feedback for unknown packets") {
  SendSideBandwidthEstimator estimator(Start(300));
  FeedbackWriter subscriber;
  for (uint16_t seq = 100; seq < 110; ++seq) {
    estimator.OnPacketSent(seq, 1000, Timestamp::FromMs(seq));
  }
  CHECK(estimator.InFlightBytes() == 10'000);
  // Numbers never sent: 200 and 205, with 201-204 reported lost in between.
  subscriber.Arrived(200, Timestamp::FromMs(500));
  subscriber.Arrived(205, Timestamp::FromMs(505));
  const auto result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(600));
  CHECK(estimator.UnknownFeedbackCount() == 6);
  CHECK(estimator.InFlightBytes() == 10'000);
  CHECK(result.target == Kbps(300));
  CHECK(result.lossRatio == 0);

  FeedbackWriter other;  // a fresh report of the real packets
  for (uint16_t seq = 100; seq < 110; ++seq) other.Arrived(seq, Timestamp::FromMs(seq + 50));
  estimator.OnTransportFeedback(other.Take(), Timestamp::FromMs(700));
  CHECK(estimator.UnknownFeedbackCount() == 6);
  CHECK(estimator.InFlightBytes() == 0);
}

TEST_CASE("SendSideBandwidthEstimator settles each packet once however often it is reported") {
  SendSideBandwidthEstimator estimator(Start(300));
  FeedbackWriter subscriber;
  for (int64_t i = 0; i < 40; ++i) {
    const auto seq = static_cast<uint16_t>(65520 + i);  // across the wrap
    estimator.OnPacketSent(seq, 1200, Timestamp::FromMs(10 * i));
    subscriber.Arrived(seq, Timestamp::FromMs(10 * i + 30));
  }
  rtp::TransportCcFeedback feedback = subscriber.Take();
  estimator.OnTransportFeedback(feedback, Timestamp::FromMs(450));
  REQUIRE(estimator.AcknowledgedRate());
  const DataRate rate = *estimator.AcknowledgedRate();
  CHECK(rate == Kbps(960));
  CHECK(estimator.InFlightBytes() == 0);
  // The same report again (a duplicate on the path): nothing counts twice.
  estimator.OnTransportFeedback(feedback, Timestamp::FromMs(460));
  CHECK(*estimator.AcknowledgedRate() == rate);
  CHECK(estimator.UnknownFeedbackCount() == 0);
}

TEST_CASE("SendSideBandwidthEstimator tolerates reordering on the path") {
  SendSideBandwidthEstimator estimator(Start(300));
  estimator.OnRtt(TimeDelta::FromMs(60));
  FeedbackWriter subscriber;
  SendSideBandwidthEstimator::Result result;
  for (int64_t i = 0; i < 400; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    estimator.OnPacketSent(seq, 1000, Timestamp::FromMs(10 * i));
    // Every fourth packet overtakes its predecessor by 3 ms; otherwise a steady 30 ms path.
    const int64_t arrivalMs = 10 * i + 30 - (i % 4 == 3 ? 13 : 0);
    subscriber.Arrived(seq, Timestamp::FromMs(arrivalMs));
    if (i % 10 == 9) {
      result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(10 * i + 60));
      CHECK(result.usage != BandwidthUsage::kOverusing);
    }
  }
  CHECK(result.target > Kbps(300));
  CHECK(result.lossRatio == 0);
  CHECK(estimator.UnknownFeedbackCount() == 0);
}

TEST_CASE("SendSideBandwidthEstimator: a growing queue is overuse and cuts the target") {
  SendSideBandwidthEstimator estimator(Start(1000));
  estimator.OnRtt(TimeDelta::FromMs(50));
  FeedbackWriter subscriber;
  bool overused = false;
  SendSideBandwidthEstimator::Result result;
  // 1000-byte packets every 8 ms (1 Mbit/s) through an 800 kbit/s link: each waits 2 ms more.
  for (int64_t i = 0; i < 250; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    estimator.OnPacketSent(seq, 1000, Timestamp::FromMs(8 * i));
    subscriber.Arrived(seq, Timestamp::FromMs(10 * i + 20));
    if (i % 10 == 9) {
      result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(10 * i + 40));
      overused |= result.usage == BandwidthUsage::kOverusing;
    }
  }
  CHECK(overused);
  // Decreased to 0.85 x the 800 kbit/s that got through, or below.
  CHECK(result.delayBased <= Kbps(680));
  CHECK(result.target == result.delayBased);
}

TEST_CASE("SendSideBandwidthEstimator asks for a probe and a successful one raises the target") {
  SendSideBandwidthEstimator estimator(Start(300));
  CHECK_FALSE(estimator.Process(Timestamp::FromMs(0)).probe);  // nothing desired
  estimator.SetDesiredRate(Kbps(2000));
  const SendSideBandwidthEstimator::Result asked = estimator.Process(Timestamp::FromMs(10));
  REQUIRE(asked.probe);
  const ProbeRequest probe = *asked.probe;
  CHECK(probe.rate == Kbps(600));
  CHECK(probe.duration == TimeDelta::FromMs(15));
  CHECK(probe.minPackets == 5);
  CHECK_FALSE(estimator.Process(Timestamp::FromMs(20)).probe);  // one at a time

  // The cluster: rate x duration in 5 packets of 225 bytes, 3 ms apart; the path carries it.
  FeedbackWriter subscriber;
  for (int i = 0; i < 5; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    estimator.OnPacketSent(seq, 225, Timestamp::FromMs(20 + 3 * i), probe.clusterId);
    subscriber.Arrived(seq, Timestamp::FromMs(70 + 3 * i));
  }
  const auto result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(120));
  CHECK(result.delayBased == Kbps(600));
  CHECK(result.target == Kbps(600));
  // The measurement is reported with the feedback that completed it, once.
  REQUIRE(result.probeMeasured);
  CHECK(result.probeMeasured->clusterId == probe.clusterId);
  CHECK(result.probeMeasured->rate == Kbps(600));
  CHECK_FALSE(estimator.Process(Timestamp::FromMs(130)).probeMeasured);
}

TEST_CASE("SendSideBandwidthEstimator counts media sent inside a probe cluster with it") {
  // A 600 kbit/s probe on a 2 Mbit/s bottleneck that a video frame (3 x 1200 bytes) enters just
  // after the probe's first packet: the padding waits behind the frame. Counted alone, the
  // padding's 900 bytes over its stretched receive interval measure about 380 kbit/s, a failed
  // probe; counted with the frame, the cluster shows what the path carried: about its capacity.
  SendSideBandwidthEstimator estimator(Start(300));
  const ProbeRequest probe = FirstProbeAt10Ms(estimator);

  SimulatedBottleneck::Options link;
  link.capacity = Kbps(2000);
  link.oneWayDelay = TimeDelta::FromMs(50);
  SimulatedBottleneck path(link);
  FeedbackWriter subscriber;
  uint16_t seq = 0;
  auto send = [&](size_t bytes, int64_t atMs, int clusterId) {
    const Timestamp at = Timestamp::FromMs(atMs);
    estimator.OnPacketSent(seq, bytes, at, clusterId);
    const std::optional<Timestamp> arrival = path.Send(bytes, at);
    REQUIRE(arrival);
    subscriber.Arrived(seq, *arrival);
    ++seq;
  };
  send(225, 10, probe.clusterId);
  for (int i = 0; i < 3; ++i) send(1200, 11, -1);  // the frame, inside the cluster's window
  for (int i = 1; i < 5; ++i) send(225, 10 + 3 * i, probe.clusterId);
  const auto result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(150));
  REQUIRE(result.probeMeasured);
  CHECK(result.probeMeasured->clusterId == probe.clusterId);
  // Saturated (received clearly slower than sent): 0.95 x the receive rate, about 2 Mbit/s.
  CHECK(result.probeMeasured->rate >= Kbps(1700));
  CHECK(result.probeMeasured->rate <= Kbps(2000));
  CHECK(result.target >= Kbps(1700));
}

TEST_CASE("SendSideBandwidthEstimator counts no media with a cluster after its window") {
  // The same probe without the frame inside; a packet sent after the cluster's duration is
  // not the cluster's, so the measurement is the padding's own 600 kbit/s.
  SendSideBandwidthEstimator estimator(Start(300));
  const ProbeRequest probe = FirstProbeAt10Ms(estimator);
  FeedbackWriter subscriber;
  uint16_t seq = 0;
  auto send = [&](size_t bytes, int64_t atMs, int clusterId, int64_t arrivalMs) {
    estimator.OnPacketSent(seq, bytes, Timestamp::FromMs(atMs), clusterId);
    subscriber.Arrived(seq, Timestamp::FromMs(arrivalMs));
    ++seq;
  };
  for (int i = 0; i < 5; ++i) send(225, 10 + 3 * i, probe.clusterId, 60 + 3 * i);
  // 10 + 15 ms is the window's end; a large packet at 26 ms arriving late would otherwise drag
  // the measurement far down.
  send(1200, 26, -1, 120);
  const auto result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(150));
  REQUIRE(result.probeMeasured);
  CHECK(result.probeMeasured->rate == Kbps(600));
}

TEST_CASE("SendSideBandwidthEstimator halves the target when feedback stops") {
  SendSideBandwidthEstimator estimator(Start(1000));
  std::vector<DataRate> targets;  // one per 100 ms
  for (int ms = 0; ms <= 3000; ms += 10) {
    estimator.OnPacketSent(static_cast<uint16_t>(ms / 10), 1200, Timestamp::FromMs(ms));
    const auto result = estimator.Process(Timestamp::FromMs(ms));
    if (ms % 100 == 0) targets.push_back(result.target);
  }
  CHECK(targets[10] == Kbps(1000));  // 1.0 s after the first send: not yet
  CHECK(targets[11] == Kbps(500));
  CHECK(targets[20] == Kbps(500));
  CHECK(targets[21] == Kbps(250));
  CHECK(targets[30] == Kbps(250));  // the third halving is due at 3.03 s

  // Feedback comes back; afterwards nothing is sent: silence is not congestion.
  FeedbackWriter subscriber;
  subscriber.Arrived(300, Timestamp::FromMs(3030));
  estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(3060));
  const DataRate after = estimator.Target();
  for (int ms = 3100; ms <= 10'000; ms += 25) {
    CHECK(estimator.Process(Timestamp::FromMs(ms)).target >= after);
  }
}

TEST_CASE("SendSideBandwidthEstimator allocates nothing per packet or feedback") {
  SendSideBandwidthEstimator estimator(Start(300));
  estimator.SetDesiredRate(Kbps(5000));
  rtp::TransportCcFeedbackBuilder builder(1, 2);
  std::array<uint8_t, 1500> buffer{};
  const uint64_t before = AllocationCount();
  for (int64_t i = 0; i < 20'000; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    const Timestamp now = Timestamp::FromMs(5 * i);
    estimator.OnPacketSent(seq, 1200, now, i % 50 < 5 ? static_cast<int>(i / 50) : -1);
    if (i % 7 != 0) builder.AddReceivedPacket(seq, now.Us() + 40'000 + (i % 3) * 1000);
    if (i % 20 == 19) {
      const size_t size = builder.Serialize(buffer);
      builder.StartNextFeedback();
      if (const auto feedback =
              rtp::TransportCcFeedback::Parse(std::span<uint8_t>(buffer.data(), size))) {
        estimator.OnTransportFeedback(*feedback, now + TimeDelta::FromMs(60));
      }
    }
    if (i % 5 == 0) estimator.Process(now);
  }
  const uint64_t after = AllocationCount();
  CHECK(after == before);
}

}  // namespace myriad::congestion

namespace myriad::congestion {

TEST_CASE(
    "SendSideBandwidthEstimator: after a second of silence an overuse verdict ends and "
    "probing may resume") {
  SendSideBandwidthEstimator estimator(Start(1000));
  estimator.OnRtt(TimeDelta::FromMs(50));
  estimator.SetDesiredRate(Kbps(3000));
  FeedbackWriter subscriber;
  SendSideBandwidthEstimator::Result result;
  // Overuse as above: 1 Mbit/s into an 800 kbit/s link, until the detector says so.
  int64_t lastFeedbackMs = 0;
  for (int64_t i = 0; i < 250 && result.usage != BandwidthUsage::kOverusing; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    estimator.OnPacketSent(seq, 1000, Timestamp::FromMs(8 * i));
    subscriber.Arrived(seq, Timestamp::FromMs(10 * i + 20));
    if (i % 10 == 9) {
      lastFeedbackMs = 10 * i + 40;
      result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(lastFeedbackMs));
    }
  }
  REQUIRE(result.usage == BandwidthUsage::kOverusing);
  // Then nothing is sent (the allocator paused the only video). While the verdict stands, no
  // probe; a second after the last feedback it is dropped, and once the ceiling the overuse
  // left stops blocking probes (ProbeController::kCeilingBlocksFor) a probe is asked for.
  const auto justBefore = estimator.Process(Timestamp::FromMs(lastFeedbackMs + 990));
  CHECK(justBefore.usage == BandwidthUsage::kOverusing);
  CHECK_FALSE(justBefore.probe);
  CHECK(estimator.Process(Timestamp::FromMs(lastFeedbackMs + 1000)).usage ==
        BandwidthUsage::kNormal);
  std::optional<int64_t> probedAtMs;
  for (int64_t ms = lastFeedbackMs + 1000; ms <= lastFeedbackMs + 5000 && !probedAtMs; ms += 25) {
    if (estimator.Process(Timestamp::FromMs(ms)).probe) probedAtMs = ms;
  }
  REQUIRE(probedAtMs);
  CHECK(*probedAtMs - lastFeedbackMs <= 3000 + 25);
}

TEST_CASE("SendSideBandwidthEstimator: a verdict stands while packets are still in flight") {
  SendSideBandwidthEstimator estimator(Start(1000));
  estimator.OnRtt(TimeDelta::FromMs(50));
  estimator.SetDesiredRate(Kbps(3000));
  FeedbackWriter subscriber;
  SendSideBandwidthEstimator::Result result;
  int64_t i = 0;
  for (; i < 250 && result.usage != BandwidthUsage::kOverusing; ++i) {
    const auto seq = static_cast<uint16_t>(i);
    estimator.OnPacketSent(seq, 1000, Timestamp::FromMs(8 * i));
    subscriber.Arrived(seq, Timestamp::FromMs(10 * i + 20));
    if (i % 10 == 9) {
      result = estimator.OnTransportFeedback(subscriber.Take(), Timestamp::FromMs(10 * i + 40));
    }
  }
  REQUIRE(result.usage == BandwidthUsage::kOverusing);
  // Sending goes on but no feedback comes back: not silence (the feedback timeout's case).
  const int64_t sentMs = 8 * i + 1;
  estimator.OnPacketSent(static_cast<uint16_t>(i), 1000, Timestamp::FromMs(sentMs));
  CHECK(estimator.Process(Timestamp::FromMs(sentMs + 1500)).usage == BandwidthUsage::kOverusing);
}

}  // namespace myriad::congestion
