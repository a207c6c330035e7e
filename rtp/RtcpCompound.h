#pragma once

// A compound RTCP packet (RFC 3550 section 6.1): RTCP packets back to back, each carrying its
// own length. Parse checks that the lengths chain exactly to the end of the datagram, so a
// single corrupt length rejects the whole datagram instead of mis-framing later packets.
//
//   if (auto compound = RtcpCompound::Parse(datagram)) {
//     for (RtcpHeader packet : *compound) {
//       switch (packet.PacketType()) {
//         case RtcpHeader::kSenderReport: SenderReport::Parse(packet.Packet()); ...
//         default: break;  // unknown types are framed and validated, then skipped
//       }
//     }
//   }
//
// First-packet-must-be-SR/RR (RFC 3550 A.2) is not enforced: reduced-size RTCP (RFC 5506)
// legitimately sends lone feedback packets.

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>

#include "rtp/RtcpHeader.h"

namespace myriad::rtp {

class RtcpCompound {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = RtcpHeader;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = RtcpHeader;

    Iterator() = default;
    // Parse validated every packet, so dereferencing a non-end iterator always succeeds.
    RtcpHeader operator*() const { return *RtcpHeader::Parse(rest_); }
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator copy = *this;
      ++*this;
      return copy;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.rest_.size() == b.rest_.size();
    }

   private:
    friend class RtcpCompound;
    explicit Iterator(std::span<uint8_t> rest) : rest_(rest) {}
    std::span<uint8_t> rest_;
  };

  // nullopt for an empty buffer, any packet failing RtcpHeader::Parse, or trailing bytes.
  static std::optional<RtcpCompound> Parse(std::span<uint8_t> buffer);

  Iterator begin() const { return Iterator(data_); }
  Iterator end() const { return Iterator(data_.last(0)); }
  size_t PacketCount() const { return packetCount_; }
  std::span<uint8_t> Data() const { return data_; }

 private:
  RtcpCompound(std::span<uint8_t> data, size_t packetCount)
      : data_(data), packetCount_(packetCount) {}
  std::span<uint8_t> data_;
  size_t packetCount_ = 0;
};

}  // namespace myriad::rtp
