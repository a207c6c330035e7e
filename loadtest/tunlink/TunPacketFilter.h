#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace myriad::loadtest {

// Which IP packets crossing myriad-tunlink are impaired: all IPv4, or only
// IPv4 TCP, or only IPv4 UDP. A benchmark impairs only what its own user
// space relay does not (TCP, when the load generator's ImpairmentRelay
// already delays and drops the UDP), so the two paths suffer the same
// network without the UDP being impaired twice.
//
// Anything else (IPv6 neighbour discovery, a truncated or malformed header)
// is passed untouched: the link must never make a packet worse than a wire
// would, and a header we cannot read is not ours to judge.
//
// Pure and allocation-free.
class TunPacketFilter {
 public:
  enum class Selection { kAll, kTcp, kUdp };

  static constexpr uint8_t kTcp = 6;
  static constexpr uint8_t kUdp = 17;

  explicit TunPacketFilter(Selection selection) : selection_(selection) {}

  // "all" / "tcp" / "udp"; nullopt for anything else.
  static std::optional<Selection> ParseSelection(const std::string& text);
  static const char* NameOf(Selection selection);

  // The IPv4 protocol number of a packet as read from a TUN device with
  // IFF_NO_PI (the packet starts with the IP header), or nullopt when it is
  // not a well-formed IPv4 header (too short, another version, a header
  // length below 20 bytes or beyond the packet, a total length beyond the
  // packet).
  static std::optional<uint8_t> Ipv4ProtocolOf(std::span<const uint8_t> packet);

  // Whether this packet is to be impaired.
  bool Matches(std::span<const uint8_t> packet) const;
  Selection GetSelection() const { return selection_; }

 private:
  Selection selection_;
};

}  // namespace myriad::loadtest
