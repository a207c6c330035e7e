// DelayLine: a network path's latency in user space. Time is passed in
// (ReleaseDue(now)) except in the one case that checks the timer.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "loadtest/client/DelayLine.h"
#include "loadtest/client/RunUntil.h"

namespace myriad::loadtest {
namespace {

using namespace std::chrono_literals;
using Clock = DelayLine::Clock;
using Endpoint = DelayLine::Endpoint;

// A fixed origin for the injected clock: the tests never run the
// io_context, so the line's timer never fires.
const Clock::time_point kT0 = Clock::time_point{} + 1000s;

struct Released {
  std::string bytes;
  Endpoint peer;
  uint32_t tag = 0;
  Clock::time_point at;
};

// A line that records what it releases.
struct RecordingLine {
  explicit RecordingLine(DelayLine::Options options)
      : line(context, options,
             [this](std::span<uint8_t> bytes, const Endpoint& peer, uint32_t tag,
                    Clock::time_point now) {
               released.push_back({std::string(bytes.begin(), bytes.end()), peer, tag, now});
               if (onRelease) onRelease(released.back());
             }) {}

  bool Push(const std::string& text, uint32_t tag, Clock::time_point now,
            const Endpoint& peer = {}) {
    return line.Push(Bytes(text), peer, tag, now);
  }
  bool PushAt(const std::string& text, uint32_t tag, Clock::time_point due) {
    return line.PushAt(Bytes(text), {}, tag, due);
  }
  static std::span<const uint8_t> Bytes(const std::string& text) {
    return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
  }
  std::vector<std::string> ReleasedBytes() const {
    std::vector<std::string> out;
    for (const auto& r : released) out.push_back(r.bytes);
    return out;
  }

  boost::asio::io_context context;
  std::vector<Released> released;
  std::function<void(const Released&)> onRelease;
  DelayLine line;
};

DelayLine::Options WithDelay(std::chrono::microseconds delay, size_t capacity = 16,
                             size_t reserved = 64) {
  return DelayLine::Options{delay, capacity, reserved};
}

}  // namespace

TEST_CASE("DelayLine releases each item once its delay has passed, with its peer and tag",
          "[loadtest][delay]") {
  RecordingLine recording(WithDelay(25ms));
  const Endpoint server(boost::asio::ip::make_address("127.0.0.1"), 40000);
  REQUIRE(recording.Push("first", 7, kT0, server));
  REQUIRE(recording.Push("second", 8, kT0 + 1ms));
  REQUIRE(recording.Push("third", 9, kT0 + 2ms));
  CHECK(recording.line.Size() == 3);
  CHECK(recording.line.NextDue() == kT0 + 25ms);

  CHECK(recording.line.ReleaseDue(kT0 + 24ms) == 0);
  CHECK(recording.released.empty());

  CHECK(recording.line.ReleaseDue(kT0 + 25ms) == 1);
  REQUIRE(recording.released.size() == 1);
  CHECK(recording.released[0].bytes == "first");
  CHECK(recording.released[0].peer == server);
  CHECK(recording.released[0].tag == 7);
  CHECK(recording.released[0].at == kT0 + 25ms);
  CHECK(recording.line.NextDue() == kT0 + 26ms);

  // A late release hands over everything due, in order.
  CHECK(recording.line.ReleaseDue(kT0 + 40ms) == 2);
  CHECK(recording.ReleasedBytes() == std::vector<std::string>{"first", "second", "third"});
  CHECK(recording.released[2].tag == 9);
  CHECK(recording.line.Size() == 0);
  CHECK(!recording.line.NextDue());
  CHECK(recording.line.Released() == 3);
  CHECK(recording.line.Dropped() == 0);
}

TEST_CASE("DelayLine releases in due order: earlier due times overtake, equal ones keep push order",
          "[loadtest][delay]") {
  struct Case {
    const char* name;
    std::vector<int> dueMs;  // item i is "i", pushed in this order
    std::vector<std::string> expected;
  };
  const std::vector<Case> cases = {
      {"ascending", {10, 20, 30}, {"0", "1", "2"}},
      {"descending", {30, 20, 10}, {"2", "1", "0"}},
      {"equal", {15, 15, 15}, {"0", "1", "2"}},
      {"one overtakes two", {20, 30, 10}, {"2", "0", "1"}},
      {"ties after an overtaker", {20, 10, 20, 10}, {"1", "3", "0", "2"}},
      {"middle", {10, 30, 20, 40}, {"0", "2", "1", "3"}},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    RecordingLine recording(WithDelay(0us));
    for (size_t i = 0; i < c.dueMs.size(); ++i) {
      REQUIRE(recording.PushAt(std::to_string(i), 0, kT0 + std::chrono::milliseconds(c.dueMs[i])));
    }
    CHECK(recording.line.NextDue() ==
          kT0 + std::chrono::milliseconds(*std::min_element(c.dueMs.begin(), c.dueMs.end())));
    CHECK(recording.line.ReleaseDue(kT0 + 100ms) == c.dueMs.size());
    CHECK(recording.ReleasedBytes() == c.expected);
  }
}

TEST_CASE("DelayLine is bounded: a full line drops and counts, released slots are reused",
          "[loadtest][delay]") {
  RecordingLine recording(WithDelay(10ms, /*capacity=*/2, /*reserved=*/4));
  CHECK(recording.line.Capacity() == 2);
  CHECK(recording.Push("a", 0, kT0));
  CHECK(recording.Push("b", 0, kT0));
  CHECK_FALSE(recording.Push("c", 0, kT0));
  CHECK(recording.line.Dropped() == 1);
  CHECK(recording.line.Size() == 2);

  CHECK(recording.line.ReleaseDue(kT0 + 10ms) == 2);
  // Items bigger than the reservation still fit (the slot grows).
  const std::string big(3000, 'x');
  CHECK(recording.Push(big, 1, kT0 + 20ms));
  CHECK(recording.Push("d", 2, kT0 + 21ms));
  CHECK_FALSE(recording.Push("e", 3, kT0 + 22ms));
  CHECK(recording.line.Dropped() == 2);
  CHECK(recording.line.ReleaseDue(kT0 + 31ms) == 2);
  CHECK(recording.ReleasedBytes() == std::vector<std::string>{"a", "b", big, "d"});
  // No capacity still holds one item.
  RecordingLine tiny(WithDelay(1ms, /*capacity=*/0));
  CHECK(tiny.line.Capacity() == 1);
  CHECK(tiny.Push("only", 0, kT0));
  CHECK_FALSE(tiny.Push("more", 0, kT0));
}

TEST_CASE("DelayLine matches an ordered reference across ring wrap-arounds (seeded)",
          "[loadtest][delay]") {
  // Random pushes with a base delay plus jitter, and releases at random
  // times, against a reference: a stable sort by due time.
  std::mt19937 random(20261201);
  RecordingLine recording(WithDelay(5ms, /*capacity=*/8));
  struct Held {
    Clock::time_point due;
    std::string bytes;
  };
  std::vector<Held> reference;
  std::vector<std::string> expected;
  uint64_t pushed = 0;
  uint64_t dropped = 0;
  Clock::time_point now = kT0;
  for (int step = 0; step < 5000; ++step) {
    now += std::chrono::microseconds(random() % 2000);
    if (random() % 3 != 0) {
      const auto jitter = std::chrono::microseconds(random() % 4000);
      const std::string bytes = std::to_string(pushed++);
      const bool accepted = recording.PushAt(bytes, 0, now + 5ms + jitter);
      CHECK(accepted == (reference.size() < 8));
      if (accepted) {
        reference.push_back({now + 5ms + jitter, bytes});
      } else {
        ++dropped;
      }
    } else {
      std::stable_sort(reference.begin(), reference.end(),
                       [](const Held& a, const Held& b) { return a.due < b.due; });
      while (!reference.empty() && reference.front().due <= now) {
        expected.push_back(reference.front().bytes);
        reference.erase(reference.begin());
      }
      const size_t before = recording.released.size();
      recording.line.ReleaseDue(now);
      REQUIRE(recording.ReleasedBytes() == expected);
      for (size_t i = before; i < recording.released.size(); ++i) {
        CHECK(recording.released[i].at == now);
      }
    }
    CHECK(recording.line.Size() == reference.size());
  }
  CHECK(recording.line.Dropped() == dropped);
  CHECK(expected.size() > 1000);
}

TEST_CASE("DelayLine flushes with ReleaseAll and forgets with Clear", "[loadtest][delay]") {
  RecordingLine recording(WithDelay(25ms));
  recording.Push("x", 0, kT0);
  recording.Push("y", 0, kT0 + 1ms);
  CHECK(recording.line.ReleaseAll(kT0 + 2ms) == 2);
  CHECK(recording.ReleasedBytes() == std::vector<std::string>{"x", "y"});
  CHECK(recording.released[1].at == kT0 + 2ms);

  recording.Push("z", 0, kT0 + 3ms);
  recording.line.Clear();
  CHECK(recording.line.Size() == 0);
  CHECK(recording.line.ReleaseDue(kT0 + 1s) == 0);
  CHECK(recording.released.size() == 2);
  // Cleared slots are free again.
  for (int i = 0; i < 16; ++i) CHECK(recording.Push("again", 0, kT0 + 4ms));
}

TEST_CASE("DelayLine::ReleaseTagged flushes one tag's items in due order and keeps the rest",
          "[loadtest][delay]") {
  RecordingLine recording(WithDelay(25ms, /*capacity=*/8));
  // Interleaved tags; "b2" is due before "b1" (pushed with an earlier due).
  recording.PushAt("a1", 1, kT0 + 10ms);
  recording.PushAt("b1", 2, kT0 + 20ms);
  recording.PushAt("a2", 1, kT0 + 30ms);
  recording.PushAt("b2", 2, kT0 + 15ms);
  recording.PushAt("a3", 1, kT0 + 40ms);

  CHECK(recording.line.ReleaseTagged(2, kT0) == 2);
  CHECK(recording.ReleasedBytes() == std::vector<std::string>{"b2", "b1"});
  CHECK(recording.released[0].tag == 2);
  CHECK(recording.released[0].at == kT0);
  CHECK(recording.line.Size() == 3);
  CHECK(recording.line.ReleaseTagged(2, kT0) == 0);

  // The others keep their due order and times; the flushed slots are free.
  CHECK(recording.line.NextDue() == kT0 + 10ms);
  CHECK(recording.line.ReleaseDue(kT0 + 30ms) == 2);
  for (int i = 0; i < 5; ++i) CHECK(recording.PushAt("more", 3, kT0 + 50ms));
  CHECK(recording.line.ReleaseDue(kT0 + 1s) == 6);
  CHECK(recording.ReleasedBytes() == std::vector<std::string>{"b2", "b1", "a1", "a2", "a3", "more",
                                                              "more", "more", "more", "more"});
}

TEST_CASE("DelayLine's handler may push onto the line and clear it while releasing",
          "[loadtest][delay]") {
  SECTION("a push from the handler that is already due goes out in the same release") {
    RecordingLine recording(WithDelay(10ms));
    recording.Push("ping", 0, kT0);
    recording.Push("later", 0, kT0 + 5ms);
    recording.onRelease = [&](const Released& r) {
      if (r.bytes == "ping") {
        // Due at kT0 + 10 ms (pushed "at" kT0): before "later".
        recording.Push("pong", 1, kT0);
        // Due after this release's `now`: stays.
        recording.Push("echo", 2, r.at);
      }
    };
    CHECK(recording.line.ReleaseDue(kT0 + 15ms) == 3);
    CHECK(recording.ReleasedBytes() == std::vector<std::string>{"ping", "pong", "later"});
    CHECK(recording.line.Size() == 1);
    CHECK(recording.line.NextDue() == kT0 + 25ms);
  }
  SECTION("Clear from the handler stops the release; the item being handled stays intact") {
    RecordingLine recording(WithDelay(10ms, /*capacity=*/2));
    recording.Push("close", 0, kT0);
    recording.Push("lost", 0, kT0);
    recording.onRelease = [&](const Released& r) {
      if (r.bytes == "close") {
        recording.line.Clear();
        // The line is empty again: both slots but the one in use are free,
        // and the one in use comes back after the handler.
        CHECK(recording.Push("after", 0, kT0 + 20ms));
        CHECK_FALSE(recording.Push("full", 0, kT0 + 20ms));
      }
    };
    CHECK(recording.line.ReleaseDue(kT0 + 10ms) == 1);
    CHECK(recording.ReleasedBytes() == std::vector<std::string>{"close"});
    CHECK(recording.line.Size() == 1);
    CHECK(recording.Push("fits", 0, kT0 + 20ms));
    CHECK(recording.line.ReleaseDue(kT0 + 30ms) == 2);
    CHECK(recording.ReleasedBytes() == std::vector<std::string>{"close", "after", "fits"});
  }
}

TEST_CASE("DelayLine's timer releases items on the io_context, never before they are due",
          "[loadtest][delay]") {
  boost::asio::io_context context;
  std::vector<std::pair<std::string, Clock::time_point>> released;
  DelayLine line(context, WithDelay(20ms),
                 [&](std::span<uint8_t> bytes, const Endpoint&, uint32_t, Clock::time_point now) {
                   released.emplace_back(std::string(bytes.begin(), bytes.end()), now);
                 });
  const auto pushedAt = Clock::now();
  line.Push(RecordingLine::Bytes("b"), {}, 0, pushedAt);
  // Due before "b": the timer is re-armed for it.
  line.PushAt(RecordingLine::Bytes("a"), {}, 0, pushedAt + 10ms);
  REQUIRE(RunUntil(
      context, [&] { return released.size() == 2; }, 5s));
  CHECK(released[0].first == "a");
  CHECK(released[1].first == "b");
  CHECK(released[0].second >= pushedAt + 10ms);
  CHECK(released[1].second >= pushedAt + 20ms);
  CHECK(line.Size() == 0);
}

}  // namespace myriad::loadtest
