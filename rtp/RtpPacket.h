#pragma once

// Non-owning, mutable view over one RTP packet (RFC 3550 section 5.1) with RFC 8285 header
// extensions. Parse validates every length once; accessors afterwards read without re-checking.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

// Maps a local extension id (index) to the id to write instead; 0 means "drop the element".
using ExtensionIdMap = std::array<uint8_t, 256>;

class RtpPacket {
 public:
  static constexpr size_t kFixedHeaderSize = 12;
  static constexpr uint8_t kVersion = 2;
  // RFC 8285 section 4.2 / 4.3 "defined by profile" values.
  static constexpr uint16_t kOneByteExtensionProfile = 0xBEDE;
  static constexpr uint16_t kTwoByteExtensionProfileMask = 0xFFF0;
  static constexpr uint16_t kTwoByteExtensionProfile = 0x1000;
  static constexpr uint8_t kMaxOneByteExtensionId = 14;

  // Returns nullopt unless the buffer holds exactly one well-formed RTP packet: version 2,
  // CSRC list, extension block and padding all inside the buffer, padding count non-zero.
  static std::optional<RtpPacket> Parse(std::span<uint8_t> buffer);

  uint8_t Version() const { return data_[0] >> 6; }
  bool HasPadding() const { return (data_[0] & 0x20) != 0; }
  bool HasExtension() const { return (data_[0] & 0x10) != 0; }
  uint8_t CsrcCount() const { return data_[0] & 0x0F; }
  uint32_t Csrc(size_t index) const;  // index < CsrcCount()

  bool Marker() const { return (data_[1] & 0x80) != 0; }
  uint8_t PayloadType() const { return data_[1] & 0x7F; }
  uint16_t SequenceNumber() const;
  uint32_t Timestamp() const;
  uint32_t Ssrc() const;

  void SetMarker(bool marker);
  void SetPayloadType(uint8_t payloadType);  // low 7 bits are used
  void SetSequenceNumber(uint16_t seq);
  void SetTimestamp(uint32_t timestamp);
  void SetSsrc(uint32_t ssrc);
  void SetCsrc(size_t index, uint32_t csrc);  // index < CsrcCount()

  // Fixed header + CSRCs + extension block.
  size_t HeaderSize() const { return headerSize_; }
  size_t PaddingSize() const { return paddingSize_; }
  size_t PayloadSize() const { return data_.size() - headerSize_ - paddingSize_; }
  std::span<uint8_t> Payload() const { return data_.subspan(headerSize_, PayloadSize()); }
  std::span<uint8_t> Data() const { return data_; }
  size_t Size() const { return data_.size(); }

  // Extension block (RFC 3550 5.3.1), without the 4-byte profile/length word.
  uint16_t ExtensionProfile() const { return extensionProfile_; }
  std::span<uint8_t> ExtensionData() const;
  bool HasOneByteExtensions() const;
  bool HasTwoByteExtensions() const;

  // Value of the first element with `id` (RFC 8285), or an empty span when absent.
  // Two-byte elements may legitimately be empty; use FindExtension to tell "absent" apart.
  std::span<uint8_t> GetExtension(uint8_t id) const;
  std::optional<std::span<uint8_t>> FindExtension(uint8_t id) const;

  // Calls visit(id, value) for each element in order, skipping padding. Stops at the first
  // malformed element (RFC 8285 leaves the rest undefined) or at one-byte id 15 (section 4.2).
  template <typename Visitor>
  void ForEachExtension(Visitor&& visit) const {
    WalkExtensions([&](uint8_t id, size_t elementStart, size_t valueStart, size_t valueSize) {
      visit(id, data_.subspan(valueStart, valueSize));
      return true;
    });
  }

  // Rewrites element ids in place through `map` (indexed by the current id). An element whose
  // new id is 0 - or above 14 in the one-byte form, which cannot encode it - is overwritten with
  // zero bytes, which RFC 8285 section 4.2/4.3 defines as padding, so lengths never change.
  void RemapExtensionIds(const ExtensionIdMap& map);

 private:
  RtpPacket(std::span<uint8_t> data, size_t headerSize, size_t paddingSize, size_t extensionOffset,
            size_t extensionSize, uint16_t extensionProfile)
      : data_(data),
        headerSize_(headerSize),
        paddingSize_(paddingSize),
        extensionOffset_(extensionOffset),
        extensionSize_(extensionSize),
        extensionProfile_(extensionProfile) {}

  // Walks elements; `step(id, elementStart, valueStart, valueSize)` returns false to stop.
  template <typename Step>
  void WalkExtensions(Step&& step) const;

  std::span<uint8_t> data_;
  size_t headerSize_ = 0;
  size_t paddingSize_ = 0;
  size_t extensionOffset_ = 0;  // first element byte, i.e. after the profile/length word
  size_t extensionSize_ = 0;
  uint16_t extensionProfile_ = 0;
};

template <typename Step>
void RtpPacket::WalkExtensions(Step&& step) const {
  const bool oneByte = HasOneByteExtensions();
  if (!oneByte && !HasTwoByteExtensions()) return;
  const size_t end = extensionOffset_ + extensionSize_;
  size_t pos = extensionOffset_;
  while (pos < end) {
    const uint8_t first = data_[pos];
    // Id 0 is a single padding byte in both forms (RFC 8285 4.2, 4.3); its length bits are
    // ignored so that zeroed-out elements stay walkable byte by byte.
    if ((oneByte ? (first >> 4) : first) == 0) {
      ++pos;
      continue;
    }
    uint8_t id;
    size_t valueSize;
    size_t valueStart;
    if (oneByte) {
      id = first >> 4;
      if (id == 15) return;  // RFC 8285 4.2: reserved, processing stops here
      valueSize = (first & 0x0F) + 1u;
      valueStart = pos + 1;
    } else {
      if (pos + 1 >= end) return;
      id = first;
      valueSize = data_[pos + 1];
      valueStart = pos + 2;
    }
    if (valueStart + valueSize > end) return;
    if (!step(id, pos, valueStart, valueSize)) return;
    pos = valueStart + valueSize;
  }
}

}  // namespace myriad::rtp
