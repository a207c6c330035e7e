#pragma once

// RTCP Source Description, PT=202 (RFC 3550 section 6.5):
//
//   |V=2|P|    SC   |  PT=SDES=202  |             length            |
//   chunk 1..SC:
//   |                          SSRC/CSRC_1                          |
//   |                           SDES items                          |
//
// An item is type (8 bits), length (8 bits), text. Each chunk's item list ends with one or
// more null octets up to the next 32-bit boundary (6.5, "at least one null octet").

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "rtp/RtcpHeader.h"

namespace myriad::rtp {

class Sdes {
 public:
  // Item types, RFC 3550 6.5.1 - 6.5.8.
  static constexpr uint8_t kEnd = 0;
  static constexpr uint8_t kCname = 1;
  static constexpr uint8_t kName = 2;
  static constexpr uint8_t kEmail = 3;
  static constexpr uint8_t kPhone = 4;
  static constexpr uint8_t kLocation = 5;
  static constexpr uint8_t kTool = 6;
  static constexpr uint8_t kNote = 7;
  static constexpr uint8_t kPriv = 8;

  struct ItemFields {
    uint8_t type = kCname;   // non-zero
    std::string_view value;  // at most 255 bytes
  };
  struct ChunkFields {
    uint32_t ssrc = 0;
    std::span<const ItemFields> items;
  };
  struct Fields {
    std::span<const ChunkFields> chunks;  // at most 31
  };

  // View over one chunk; the chunk was validated by Sdes::Parse.
  class Chunk {
   public:
    uint32_t Ssrc() const;
    void SetSsrc(uint32_t ssrc);
    // Calls visit(type, value) for each item in order.
    template <typename Visitor>
    void ForEachItem(Visitor&& visit) const {
      for (size_t pos = 4; data_[pos] != kEnd; pos += 2 + data_[pos + 1]) {
        visit(data_[pos], data_.subspan(pos + 2, data_[pos + 1]));
      }
    }
    std::optional<std::span<uint8_t>> FindItem(uint8_t type) const;
    std::string_view Cname() const;  // empty when the chunk has no CNAME
    size_t Size() const { return data_.size(); }

   private:
    friend class Sdes;
    explicit Chunk(std::span<uint8_t> data) : data_(data) {}
    std::span<uint8_t> data_;
  };

  class ChunkIterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Chunk;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Chunk;

    ChunkIterator() = default;
    Chunk operator*() const;
    ChunkIterator& operator++();
    ChunkIterator operator++(int) {
      ChunkIterator copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const ChunkIterator& a, const ChunkIterator& b) {
      return a.remaining_ == b.remaining_;
    }

   private:
    friend class Sdes;
    ChunkIterator(std::span<uint8_t> rest, size_t remaining) : rest_(rest), remaining_(remaining) {}
    std::span<uint8_t> rest_;
    size_t remaining_ = 0;  // chunks left including the current one
  };

  // One SDES packet; nullopt unless PT=202 and all SC chunks are well formed inside the body.
  static std::optional<Sdes> Parse(std::span<uint8_t> buffer);
  static size_t SerializedSize(const Fields& fields);                     // 0 if fields are invalid
  static size_t Serialize(const Fields& fields, std::span<uint8_t> out);  // bytes or 0

  size_t ChunkCount() const { return header_.CountOrFormat(); }
  ChunkIterator begin() const { return ChunkIterator(header_.Body(), ChunkCount()); }
  ChunkIterator end() const { return ChunkIterator({}, 0); }
  const RtcpHeader& Header() const { return header_; }

 private:
  explicit Sdes(RtcpHeader header) : header_(header) {}
  // Size of the chunk starting at data[0], or 0 if it is malformed or runs past the end.
  static size_t ChunkSizeAt(std::span<const uint8_t> data);
  static size_t ChunkSerializedSize(const ChunkFields& chunk);

  RtcpHeader header_;
};

}  // namespace myriad::rtp
