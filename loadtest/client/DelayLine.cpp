#include "loadtest/client/DelayLine.h"

#include <algorithm>

namespace myriad::loadtest {

DelayLine::DelayLine(boost::asio::io_context& context, Options options, Handler handler)
    : options_(options), handler_(std::move(handler)), timer_(context) {
  // A line of no capacity would have no ring to index; it holds one item.
  const size_t capacity = std::max<size_t>(options_.capacity, 1);
  slots_.resize(capacity);
  for (auto& slot : slots_) slot.bytes.reserve(options_.reservedItemBytes);
  order_.resize(capacity);
  freeSlots_.reserve(capacity);
  taggedScratch_.reserve(capacity);
  // Popped from the back: slot 0 is used first.
  for (size_t i = capacity; i-- > 0;) freeSlots_.push_back(i);
}

DelayLine::~DelayLine() {
  alive_.reset();
  // Asio's timer cancel() reports failure by exception; a destructor must
  // not throw, and a timer that cannot be cancelled is gone with us anyway.
  try {
    timer_.cancel();
  } catch (...) {
  }
}

bool DelayLine::Push(std::span<const uint8_t> bytes, const Endpoint& peer, uint32_t tag,
                     Clock::time_point now) {
  return PushAt(bytes, peer, tag, now + options_.delay);
}

bool DelayLine::PushAt(std::span<const uint8_t> bytes, const Endpoint& peer, uint32_t tag,
                       Clock::time_point due) {
  if (freeSlots_.empty()) {
    ++dropped_;
    return false;
  }
  const size_t slotIndex = freeSlots_.back();
  freeSlots_.pop_back();
  Slot& slot = slots_[slotIndex];
  slot.bytes.assign(bytes.begin(), bytes.end());
  slot.peer = peer;
  slot.tag = tag;
  slot.due = due;
  // After every item due at or before `due`: equal due times keep push order.
  size_t position = count_;
  while (position > 0 && slots_[order_[OrderIndex(position - 1)]].due > due) {
    order_[OrderIndex(position)] = order_[OrderIndex(position - 1)];
    --position;
  }
  order_[OrderIndex(position)] = slotIndex;
  ++count_;
  if (position == 0) Arm();
  return true;
}

size_t DelayLine::ReleaseDue(Clock::time_point now) { return ReleaseUntil(now, now); }

size_t DelayLine::ReleaseAll(Clock::time_point now) { return ReleaseUntil(std::nullopt, now); }

size_t DelayLine::ReleaseUntil(std::optional<Clock::time_point> until, Clock::time_point now) {
  size_t released = 0;
  while (count_ > 0) {
    const size_t slotIndex = order_[head_];
    Slot& slot = slots_[slotIndex];
    if (until && slot.due > *until) break;
    head_ = (head_ + 1) % order_.size();
    --count_;
    ++released;
    ++released_;
    // The slot is in neither the order nor the free list while the handler
    // runs: a push from the handler takes another one, and Clear() from it
    // leaves this one alone.
    handler_(std::span<uint8_t>(slot.bytes), slot.peer, slot.tag, now);
    freeSlots_.push_back(slotIndex);
  }
  Arm();
  return released;
}

size_t DelayLine::ReleaseTagged(uint32_t tag, Clock::time_point now) {
  // Taken out of the order first (kept items close up, in order), then
  // handed over: the handler sees a consistent line.
  taggedScratch_.clear();
  size_t kept = 0;
  for (size_t i = 0; i < count_; ++i) {
    const size_t slotIndex = order_[OrderIndex(i)];
    if (slots_[slotIndex].tag == tag) {
      taggedScratch_.push_back(slotIndex);
    } else {
      order_[OrderIndex(kept++)] = slotIndex;
    }
  }
  count_ = kept;
  for (const size_t slotIndex : taggedScratch_) {
    Slot& slot = slots_[slotIndex];
    ++released_;
    handler_(std::span<uint8_t>(slot.bytes), slot.peer, slot.tag, now);
    freeSlots_.push_back(slotIndex);
  }
  Arm();
  return taggedScratch_.size();
}

void DelayLine::Clear() {
  for (size_t i = 0; i < count_; ++i) freeSlots_.push_back(order_[OrderIndex(i)]);
  head_ = 0;
  count_ = 0;
  Arm();
}

std::optional<DelayLine::Clock::time_point> DelayLine::NextDue() const {
  if (count_ == 0) return std::nullopt;
  return slots_[order_[head_]].due;
}

void DelayLine::Arm() {
  const auto next = NextDue();
  if (next == armedFor_) return;
  armedFor_ = next;
  if (!next) {
    timer_.cancel();
    return;
  }
  // Replaces a pending wait, whose handler then sees operation_aborted.
  timer_.expires_at(*next);
  std::weak_ptr<bool> alive = alive_;
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    armedFor_.reset();
    // A wait that completed just before being replaced still lands here:
    // harmless, ReleaseDue releases only what is due and re-arms.
    ReleaseDue(Clock::now());
  });
}

}  // namespace myriad::loadtest
