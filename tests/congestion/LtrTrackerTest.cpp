#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "congestion/LtrTracker.h"

using myriad::congestion::LtrTracker;

namespace {

constexpr std::optional<uint16_t> kNone = std::nullopt;

// One line of a scripted scenario: an event, what it returns (the aggregate acknowledgement to
// forward to the publisher, for acks and removals) and the newest common frame afterwards.
struct Step {
  enum class Op { kAdd, kRemove, kAck, kKeyFrame };
  Op op;
  uint32_t subscriber;
  uint16_t frame;
  std::optional<uint16_t> forwarded;
  std::optional<uint16_t> newestCommon;
};

Step Add(uint32_t id, std::optional<uint16_t> common) {
  return {Step::Op::kAdd, id, 0, kNone, common};
}
Step Remove(uint32_t id, std::optional<uint16_t> forwarded, std::optional<uint16_t> common) {
  return {Step::Op::kRemove, id, 0, forwarded, common};
}
Step Ack(uint32_t id, uint16_t frame, std::optional<uint16_t> forwarded,
         std::optional<uint16_t> common) {
  return {Step::Op::kAck, id, frame, forwarded, common};
}
Step KeyFrame(uint16_t frame) { return {Step::Op::kKeyFrame, 0, frame, kNone, kNone}; }

void Run(LtrTracker& tracker, const std::vector<Step>& steps) {
  for (size_t i = 0; i < steps.size(); ++i) {
    const Step& step = steps[i];
    INFO("step " << i << ": subscriber " << step.subscriber << ", frame " << step.frame);
    std::optional<uint16_t> forwarded;
    switch (step.op) {
      case Step::Op::kAdd:
        tracker.AddSubscriber(step.subscriber);
        break;
      case Step::Op::kRemove:
        forwarded = tracker.RemoveSubscriber(step.subscriber);
        break;
      case Step::Op::kAck:
        forwarded = tracker.OnAcknowledged(step.subscriber, step.frame);
        break;
      case Step::Op::kKeyFrame:
        tracker.OnKeyFrame(step.frame);
        break;
    }
    CHECK(forwarded == step.forwarded);
    CHECK(tracker.NewestCommon() == step.newestCommon);
  }
}

}  // namespace

TEST_CASE("LtrTracker aggregates across subscribers joining and leaving", "[LtrTracker]") {
  LtrTracker tracker;
  CHECK(tracker.NewestCommon() == kNone);  // nobody to acknowledge anything
  Run(tracker, {
                   Add(1, kNone), Ack(1, 10, 10, 10),
                   Add(2, kNone),  // a joiner blocks the aggregate until it acknowledges
                   Ack(1, 20, kNone, kNone), Ack(2, 20, 20, 20), Add(3, kNone),
                   Ack(3, 30, kNone, kNone), Ack(1, 30, kNone, kNone),  // 2 is behind at 20
                   Remove(2, 30, 30),     // the leaver that was behind unblocks it
                   Remove(1, kNone, 30),  // nothing newer to tell the publisher
                   Remove(3, kNone, kNone), Remove(3, kNone, kNone),  // unknown: ignored
               });
  CHECK(tracker.SubscriberCount() == 0);
  CHECK(tracker.TrackedFrameCount() == 0);  // frames nobody acknowledges are forgotten
  CHECK(tracker.LastAggregateAcknowledgement() == 30);
}

TEST_CASE("LtrTracker orders frame ids across the 16-bit wrap", "[LtrTracker]") {
  LtrTracker tracker;
  Run(tracker, {
                   Add(1, kNone), Add(2, kNone), Ack(1, 65534, kNone, kNone),
                   Ack(2, 65534, 65534, 65534), Ack(1, 65535, kNone, 65534),
                   Ack(1, 2, kNone, 65534), Ack(2, 2, 2, 2),  // 2 comes after 65535
                   Ack(2, 65535, kNone, 2),                   // late, and older than 2
               });
  CHECK(tracker.RecoveryFrameFor(1) == 2);
  CHECK(tracker.LastAggregateAcknowledgement() == 2);
}

TEST_CASE("LtrTracker only moves the aggregate acknowledgement forward", "[LtrTracker]") {
  LtrTracker tracker;
  Run(tracker, {
                   Add(1, kNone), Add(2, kNone), Ack(1, 10, kNone, kNone),
                   Ack(1, 10, kNone, kNone),  // a repeated ack counts once
                   Ack(2, 10, 10, 10), Ack(1, 20, kNone, 10), Ack(2, 20, 20, 20), Add(3, kNone),
                   Ack(3, 10, kNone, 10),   // common again, but older than what was sent
                   Ack(99, 30, kNone, 10),  // unknown subscriber: ignored
               });
  CHECK(tracker.LastAggregateAcknowledgement() == 20);
  // The publisher still holds 10 (one of its last two acknowledgements) and everyone has it.
  CHECK(tracker.RecoveryFrameFor(1) == 10);
  CHECK(tracker.RecoveryFrameFor(3) == 10);
  // Without naming who lost: the same frame; an unknown subscriber gets none.
  CHECK(tracker.CommonRecoveryFrame() == 10);
  CHECK(tracker.RecoveryFrameFor(99) == kNone);
}

TEST_CASE("LtrTracker has no common recovery frame without subscribers or acknowledgements",
          "[LtrTracker]") {
  LtrTracker tracker;
  CHECK(tracker.CommonRecoveryFrame() == kNone);
  Run(tracker, {Add(1, kNone), Add(2, kNone), Ack(1, 10, kNone, kNone)});
  CHECK(tracker.CommonRecoveryFrame() == kNone);  // 2 lacks it
  Run(tracker, {Ack(2, 10, 10, 10)});
  CHECK(tracker.CommonRecoveryFrame() == 10);
  tracker.RemoveSubscriber(1);
  tracker.RemoveSubscriber(2);
  CHECK(tracker.CommonRecoveryFrame() == kNone);
}

TEST_CASE("LtrTracker picks the newest held reference every subscriber has", "[LtrTracker]") {
  LtrTracker tracker;
  CHECK(tracker.RecoveryFrameFor(1) == kNone);  // unknown subscriber
  tracker.AddSubscriber(1);
  tracker.AddSubscriber(2);
  CHECK(tracker.RecoveryFrameFor(1) == kNone);  // nothing acknowledged: PLI
  for (uint16_t frame : {10, 20, 30}) {
    tracker.OnAcknowledged(1, frame);
    tracker.OnAcknowledged(2, frame);
  }
  CHECK(tracker.RecoveryFrameFor(1) == 30);
  CHECK(tracker.RecoveryFrameFor(2) == 30);

  // Acknowledged by 1 only: not sent to the publisher, so not something it is known to hold.
  CHECK(tracker.OnAcknowledged(1, 40) == kNone);
  CHECK(tracker.RecoveryFrameFor(1) == 30);

  // A joiner that has acknowledged nothing would lose its picture to a recovery frame; so does
  // one that only has a frame the publisher dropped (10 is older than its last two acks).
  tracker.AddSubscriber(3);
  CHECK(tracker.RecoveryFrameFor(1) == kNone);
  CHECK(tracker.RecoveryFrameFor(3) == kNone);
  tracker.OnAcknowledged(3, 10);
  CHECK(tracker.NewestCommon() == 10);
  CHECK(tracker.RecoveryFrameFor(1) == kNone);
  CHECK(tracker.OnAcknowledged(3, 20) == kNone);
  CHECK(tracker.RecoveryFrameFor(1) == 20);  // the older of the two held references
  CHECK(tracker.RecoveryFrameFor(3) == 20);
  tracker.RemoveSubscriber(3);
  CHECK(tracker.RecoveryFrameFor(1) == 30);
}

TEST_CASE("LtrTracker forgets everything before a key frame", "[LtrTracker]") {
  LtrTracker tracker;
  Run(tracker, {
                   Add(1, kNone),
                   Add(2, kNone),
                   Ack(1, 10, kNone, kNone),
                   Ack(2, 10, 10, 10),
                   KeyFrame(15),
                   Ack(1, 12, kNone, kNone),  // decoded before the key frame, reported late
                   Ack(2, 12, kNone, kNone),
                   Ack(1, 15, kNone, kNone),  // the key frame itself can be a reference
                   Ack(2, 15, 15, 15),
               });
  CHECK(tracker.RecoveryFrameFor(1) == 15);
  tracker.OnKeyFrame(40);
  CHECK(tracker.RecoveryFrameFor(1) == kNone);
  CHECK(tracker.LastAggregateAcknowledgement() == kNone);
  CHECK(tracker.TrackedFrameCount() == 0);
  CHECK(tracker.SubscriberCount() == 2);  // the subscribers stay, with nothing acknowledged
  // After a key frame a lower id is a new numbering, not an old frame.
  tracker.OnKeyFrame(3);
  CHECK(tracker.OnAcknowledged(1, 3) == kNone);
  CHECK(tracker.OnAcknowledged(2, 3) == 3);
}

TEST_CASE("LtrTracker drops acknowledgements of frames too far behind", "[LtrTracker]") {
  LtrTracker tracker;
  tracker.AddSubscriber(1);
  CHECK(tracker.OnAcknowledged(1, 100) == 100);
  const auto far = static_cast<uint16_t>(100 + LtrTracker::kMaxFrameAge + 1);
  CHECK(tracker.OnAcknowledged(1, far) == far);
  CHECK(tracker.TrackedFrameCount() == 1);  // 100 is now too old to keep
  CHECK(tracker.OnAcknowledged(1, 100) == kNone);
  CHECK(tracker.TrackedFrameCount() == 1);
  CHECK(tracker.NewestCommon() == far);
  // Just inside the window is still accepted.
  const auto recent = static_cast<uint16_t>(far - LtrTracker::kMaxFrameAge + 1);
  CHECK(tracker.OnAcknowledged(1, recent) == kNone);
  CHECK(tracker.TrackedFrameCount() == 2);
}

TEST_CASE("LtrTracker rejoining subscriber starts with nothing acknowledged", "[LtrTracker]") {
  LtrTracker tracker;
  Run(tracker, {
                   Add(1, kNone), Add(2, kNone), Ack(1, 10, kNone, kNone), Ack(2, 10, 10, 10),
                   Add(2, kNone), Ack(2, 10, kNone, 10),  // already sent
               });
  CHECK(tracker.SubscriberCount() == 2);
}

TEST_CASE("LtrTracker keeps a bounded history", "[LtrTracker]") {
  LtrTracker tracker;
  tracker.AddSubscriber(1);
  tracker.AddSubscriber(2);
  CHECK(tracker.OnAcknowledged(2, 1) == kNone);
  for (uint16_t frame = 1; frame <= LtrTracker::kMaxTrackedFrames; ++frame) {
    CHECK(tracker.OnAcknowledged(1, frame) == (frame == 1 ? std::optional<uint16_t>(1) : kNone));
  }
  CHECK(tracker.TrackedFrameCount() == LtrTracker::kMaxTrackedFrames);
  CHECK(tracker.NewestCommon() == 1);
  // One more distinct frame pushes out the oldest, and with it subscriber 2's only ack.
  CHECK(tracker.OnAcknowledged(1, LtrTracker::kMaxTrackedFrames + 1) == kNone);
  CHECK(tracker.TrackedFrameCount() == LtrTracker::kMaxTrackedFrames);
  CHECK(tracker.NewestCommon() == kNone);
  CHECK(tracker.RecoveryFrameFor(2) == kNone);
  tracker.RemoveSubscriber(2);

  for (uint16_t frame = 34; frame <= 1000; ++frame) tracker.OnAcknowledged(1, frame);
  CHECK(tracker.TrackedFrameCount() == LtrTracker::kMaxTrackedFrames);
  CHECK(tracker.NewestCommon() == 1000);
  // Older than everything tracked while the table is full: ignored.
  CHECK(tracker.OnAcknowledged(1, 900) == kNone);
  CHECK(tracker.TrackedFrameCount() == LtrTracker::kMaxTrackedFrames);
  CHECK(tracker.LastAggregateAcknowledgement() == 1000);
  CHECK(tracker.RecoveryFrameFor(1) == 1000);
}

TEST_CASE("LtrTracker matches a brute-force model within its bounds", "[LtrTracker]") {
  // Random joins, leaves and acks over 30 frame ids around the wrap: few enough that nothing is
  // evicted, so the tracker must agree exactly with sets of acknowledged frames per subscriber.
  const auto newer = [](uint16_t a, uint16_t b) {
    const auto forward = static_cast<uint16_t>(a - b);
    return forward != 0 && forward < 0x8000;
  };
  std::mt19937 random(7);
  for (int run = 0; run < 20; ++run) {
    LtrTracker tracker;
    std::map<uint32_t, std::set<uint16_t>> acknowledged;
    std::vector<uint16_t> sent;  // aggregate acknowledgements, in order
    const auto newestCommon = [&]() -> std::optional<uint16_t> {
      if (acknowledged.empty()) return std::nullopt;
      std::optional<uint16_t> newest;
      for (uint16_t frame : acknowledged.begin()->second) {
        bool everyone = true;
        for (const auto& [id, frames] : acknowledged) everyone = everyone && frames.contains(frame);
        if (everyone && (!newest || newer(frame, *newest))) newest = frame;
      }
      return newest;
    };
    const auto expectForward = [&]() -> std::optional<uint16_t> {
      const auto common = newestCommon();
      if (!common || (!sent.empty() && !newer(*common, sent.back()))) return std::nullopt;
      sent.push_back(*common);
      return common;
    };
    for (int step = 0; step < 400; ++step) {
      const auto id = static_cast<uint32_t>(random() % 5);
      const auto frame = static_cast<uint16_t>(65520 + random() % 30);
      INFO("run " << run << " step " << step << " subscriber " << id << " frame " << frame);
      switch (random() % 8) {
        case 0:
          tracker.AddSubscriber(id);
          acknowledged[id].clear();
          break;
        case 1: {
          const auto forwarded = tracker.RemoveSubscriber(id);
          const bool known = acknowledged.erase(id) > 0;
          REQUIRE(forwarded == (known ? expectForward() : std::nullopt));
          break;
        }
        default: {
          const auto forwarded = tracker.OnAcknowledged(id, frame);
          const auto it = acknowledged.find(id);
          if (it == acknowledged.end()) {
            REQUIRE(forwarded == std::nullopt);
            break;
          }
          it->second.insert(frame);
          REQUIRE(forwarded == expectForward());
        }
      }
      REQUIRE(tracker.NewestCommon() == newestCommon());
      REQUIRE(tracker.SubscriberCount() == acknowledged.size());
      for (const auto& [subscriber, frames] : acknowledged) {
        // The newest of the last two sent that every subscriber has.
        std::optional<uint16_t> recovery;
        for (size_t i = sent.size();
             i-- > 0 && i + LtrTracker::kPublisherHeldReferences >= sent.size();) {
          bool everyone = true;
          for (const auto& [other, otherFrames] : acknowledged) {
            everyone = everyone && otherFrames.contains(sent[i]);
          }
          if (everyone) {
            recovery = sent[i];
            break;
          }
        }
        REQUIRE(tracker.RecoveryFrameFor(subscriber) == recovery);
      }
    }
  }
}
