#include "server/transport/SrtpReplayWindow.h"

namespace myriad::server::transport {

bool SrtpReplayWindow::Received(uint64_t index) const {
  const uint64_t bit = index % kSize;
  return (bits_[bit / 64] >> (bit % 64)) & 1U;
}

void SrtpReplayWindow::Mark(uint64_t index) {
  const uint64_t bit = index % kSize;
  bits_[bit / 64] |= uint64_t{1} << (bit % 64);
}

void SrtpReplayWindow::Clear(uint64_t index) {
  const uint64_t bit = index % kSize;
  bits_[bit / 64] &= ~(uint64_t{1} << (bit % 64));
}

bool SrtpReplayWindow::IsNew(uint64_t index) const {
  if (!initialised_ || index > highest_) return true;
  if (highest_ - index >= kSize) return false;
  return !Received(index);
}

void SrtpReplayWindow::Accept(uint64_t index) {
  if (!initialised_) {
    initialised_ = true;
    highest_ = index;
    bits_.fill(0);
    Mark(index);
    return;
  }
  if (index > highest_) {
    // Slots for the indices we skip over now stand for new, unreceived ones.
    if (index - highest_ >= kSize) {
      bits_.fill(0);
    } else {
      for (uint64_t skipped = highest_ + 1; skipped < index; ++skipped) Clear(skipped);
    }
    highest_ = index;
    Clear(index);
  }
  Mark(index);
}

}  // namespace myriad::server::transport
