#pragma once

#include <array>
#include <cstdint>

namespace myriad::server::transport {

// RFC 3711 3.3.2: the replay list of one SRTP or SRTCP stream, a sliding
// bitmap of the last kSize indices below the highest authenticated one.
// Check before authenticating, Accept only after: a forged packet must not
// move the window.
class SrtpReplayWindow {
 public:
  static constexpr uint64_t kSize = 1024;

  // True if `index` is new: above the highest seen, or inside the window and
  // not yet received. Indices at or below highest - kSize are too old.
  bool IsNew(uint64_t index) const;
  void Accept(uint64_t index);

  bool Empty() const { return !initialised_; }
  uint64_t Highest() const { return highest_; }

 private:
  // Bit (index % kSize) is set when that index was received; the bitmap
  // covers (highest_ - kSize, highest_].
  bool Received(uint64_t index) const;
  void Mark(uint64_t index);
  void Clear(uint64_t index);

  std::array<uint64_t, kSize / 64> bits_{};
  uint64_t highest_ = 0;
  bool initialised_ = false;
};

}  // namespace myriad::server::transport
