#pragma once

// Test helper: keeps a copy of every RTP and RTCP packet a client decrypted,
// with its arrival time, for the assertions that follow.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtcpCompound.h"
#include "rtp/RtcpHeader.h"
#include "rtp/RtpPacket.h"

namespace myriad::integration {

class PacketRecorder {
 public:
  using Clock = std::chrono::steady_clock;

  struct Received {
    std::vector<uint8_t> bytes;
    Clock::time_point at;
  };

  void Attach(loadtest::WebRtcClient& client) {
    client.SetRtpHandler([this](rtp::RtpPacket& packet) {
      rtp_.push_back(Received{{packet.Data().begin(), packet.Data().end()}, Clock::now()});
    });
    client.SetRtcpHandler([this](std::span<uint8_t> compound) {
      rtcp_.push_back(Received{{compound.begin(), compound.end()}, Clock::now()});
    });
  }

  std::vector<Received>& Rtp() { return rtp_; }
  std::vector<Received>& Rtcp() { return rtcp_; }

  // A view over a recorded packet (the recorder owns the bytes).
  static rtp::RtpPacket View(Received& received) {
    auto packet = rtp::RtpPacket::Parse(received.bytes);
    REQUIRE(packet.has_value());
    return *packet;
  }

  size_t CountRtp(uint32_t ssrc) {
    size_t count = 0;
    for (auto& received : rtp_) count += View(received).Ssrc() == ssrc ? 1 : 0;
    return count;
  }

  // Calls visit(header, arrival) for every RTCP packet of every recorded
  // compound from index `from` on.
  template <typename Visitor>
  void ForEachRtcp(Visitor&& visit, size_t from = 0) {
    for (size_t i = from; i < rtcp_.size(); ++i) {
      const auto compound = rtp::RtcpCompound::Parse(rtcp_[i].bytes);
      REQUIRE(compound.has_value());
      for (const rtp::RtcpHeader header : *compound) visit(header, rtcp_[i].at);
    }
  }

 private:
  std::vector<Received> rtp_;
  std::vector<Received> rtcp_;
};

}  // namespace myriad::integration
