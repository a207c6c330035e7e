#include "loadtest/tunlink/TunPacketFilter.h"

namespace myriad::loadtest {
namespace {

constexpr size_t kMinIpv4HeaderBytes = 20;

}  // namespace

std::optional<TunPacketFilter::Selection> TunPacketFilter::ParseSelection(const std::string& text) {
  if (text == "all") return Selection::kAll;
  if (text == "tcp") return Selection::kTcp;
  if (text == "udp") return Selection::kUdp;
  return std::nullopt;
}

const char* TunPacketFilter::NameOf(Selection selection) {
  switch (selection) {
    case Selection::kAll:
      return "all";
    case Selection::kTcp:
      return "tcp";
    case Selection::kUdp:
      return "udp";
  }
  return "all";
}

std::optional<uint8_t> TunPacketFilter::Ipv4ProtocolOf(std::span<const uint8_t> packet) {
  if (packet.size() < kMinIpv4HeaderBytes) return std::nullopt;
  if ((packet[0] >> 4) != 4) return std::nullopt;
  const size_t headerBytes = size_t{packet[0] & 0x0FU} * 4;
  if (headerBytes < kMinIpv4HeaderBytes || headerBytes > packet.size()) return std::nullopt;
  const size_t totalBytes = (size_t{packet[2]} << 8) | packet[3];
  if (totalBytes < headerBytes || totalBytes > packet.size()) return std::nullopt;
  return packet[9];
}

bool TunPacketFilter::Matches(std::span<const uint8_t> packet) const {
  const auto protocol = Ipv4ProtocolOf(packet);
  if (!protocol) return false;
  switch (selection_) {
    case Selection::kAll:
      return true;
    case Selection::kTcp:
      return *protocol == kTcp;
    case Selection::kUdp:
      return *protocol == kUdp;
  }
  return false;
}

}  // namespace myriad::loadtest
