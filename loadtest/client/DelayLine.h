#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace myriad::loadtest {

// A network path's latency in user space (the test machines' kernels have
// no netem): holds copies of messages (datagrams, WebSocket frames) and
// hands each to the owner's handler once its due time has come, earliest
// due first (equal due times in push order), from one timer on the owner's
// io_context. The owner puts one on each direction of a connection: a
// client with 25 ms on its sends and 25 ms on its receives is 50 ms of
// round trip away from the server.
//
// Push gives an item `now + delay`; PushAt takes any due time, so a
// per-item delay (jitter, issue 5) may overtake earlier items, as on a real
// path. Bounded like a router queue: `capacity` items at most, the rest are
// dropped and counted.
//
// No allocation per item once built: the item slots are allocated with the
// line, each reserving `reservedItemBytes` (items up to that size are
// copied into the reservation; bigger ones grow their slot once).
//
// Time is passed in: the timer calls ReleaseDue(Clock::now()); tests call
// Push/PushAt/ReleaseDue with their own clock and never run the io_context.
//
// Single-threaded. The handler may push onto this line and Clear() it, but
// must not destroy it.
class DelayLine {
 public:
  using Clock = std::chrono::steady_clock;
  using Endpoint = boost::asio::ip::udp::endpoint;
  // An item released: its bytes (valid during the call), the peer and tag
  // pushed with it, and the time of the release.
  using Handler = std::function<void(std::span<uint8_t> bytes, const Endpoint& peer, uint32_t tag,
                                     Clock::time_point now)>;

  struct Options {
    std::chrono::microseconds delay{0};
    size_t capacity = 1024;
    size_t reservedItemBytes = 0;
  };

  DelayLine(boost::asio::io_context& context, Options options, Handler handler);
  ~DelayLine();
  DelayLine(const DelayLine&) = delete;
  DelayLine& operator=(const DelayLine&) = delete;

  // Holds a copy of `bytes` until now + delay. `peer` and `tag` are the
  // caller's (a datagram's destination or source, a frame's type) and come
  // back with the bytes. False, and counted in Dropped(), when the line is
  // full.
  bool Push(std::span<const uint8_t> bytes, const Endpoint& peer, uint32_t tag,
            Clock::time_point now);
  // The same with an explicit due time; an item due before items already
  // held is released before them.
  bool PushAt(std::span<const uint8_t> bytes, const Endpoint& peer, uint32_t tag,
              Clock::time_point due);
  // Hands every item due at or before `now` to the handler, in due order,
  // and re-arms the timer for the next one. Returns how many.
  size_t ReleaseDue(Clock::time_point now);
  // Hands every item held to the handler at once, in due order (flush
  // before closing a connection, so what was sent is not lost).
  size_t ReleaseAll(Clock::time_point now);
  // Hands every item pushed with `tag` to the handler at once, in due
  // order; the others keep theirs (one path's flush on a line shared by
  // many). The handler must not push onto this line. Returns how many.
  size_t ReleaseTagged(uint32_t tag, Clock::time_point now);
  // Forgets every item held.
  void Clear();

  // The due time of the next item, or nullopt when empty.
  std::optional<Clock::time_point> NextDue() const;
  std::chrono::microseconds Delay() const { return options_.delay; }
  size_t Size() const { return count_; }
  size_t Capacity() const { return slots_.size(); }
  uint64_t Dropped() const { return dropped_; }
  uint64_t Released() const { return released_; }

 private:
  struct Slot {
    std::vector<uint8_t> bytes;
    Endpoint peer;
    uint32_t tag = 0;
    Clock::time_point due;
  };

  // Index into order_ of the i-th item in due order.
  size_t OrderIndex(size_t i) const { return (head_ + i) % order_.size(); }
  size_t ReleaseUntil(std::optional<Clock::time_point> until, Clock::time_point now);
  void Arm();

  Options options_;
  Handler handler_;
  boost::asio::steady_timer timer_;
  std::vector<Slot> slots_;
  // Slot indices in due order: a ring of count_ entries from head_. With
  // one delay for every item, each push lands at the end (O(1)); an item
  // due earlier is moved forward past the later ones.
  std::vector<size_t> order_;
  size_t head_ = 0;
  size_t count_ = 0;
  std::vector<size_t> freeSlots_;      // a stack
  std::vector<size_t> taggedScratch_;  // ReleaseTagged's, reserved with the line
  std::optional<Clock::time_point> armedFor_;
  uint64_t dropped_ = 0;
  uint64_t released_ = 0;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace myriad::loadtest
