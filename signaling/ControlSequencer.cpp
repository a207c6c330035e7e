#include "signaling/ControlSequencer.h"

#include <utility>

namespace myriad::signaling {

ControlSequencer::Received ControlSequencer::Receive(uint64_t seq, std::string message,
                                                     bool unordered) {
  Received result;
  if (seq < nextExpected_ || heldBack_.count(seq) != 0) {
    ++duplicates_;
    result.duplicate = true;
    return result;
  }
  if (seq != nextExpected_) {
    if (heldBack_.size() >= kMaxHeldBack) {
      result.overflow = true;
      return result;
    }
    if (unordered) {
      // Handed over now; its seq is kept so the sequence can pass it and its copy is a
      // duplicate.
      heldBack_.emplace(seq, std::nullopt);
      result.ready.push_back(std::move(message));
      result.readySeqs.push_back(seq);
    } else {
      heldBack_.emplace(seq, std::move(message));
    }
    return result;
  }
  result.ready.push_back(std::move(message));
  result.readySeqs.push_back(seq);
  ++nextExpected_;
  // What overtook it follows, as far as the sequence is complete (what went early, not again).
  for (auto it = heldBack_.begin(); it != heldBack_.end() && it->first == nextExpected_;) {
    if (it->second) {
      result.ready.push_back(std::move(*it->second));
      result.readySeqs.push_back(it->first);
    }
    it = heldBack_.erase(it);
    ++nextExpected_;
  }
  return result;
}

}  // namespace myriad::signaling
