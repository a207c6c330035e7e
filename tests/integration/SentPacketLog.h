#pragma once

// Test helper: what a publisher sent, so a receiver's packets can be matched
// to them bit-exactly. Payloads are seeded random bytes led by the send time,
// so a payload identifies its packet.

#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtpPacket.h"

namespace myriad::integration {

class SentPacketLog {
 public:
  struct Sent {
    std::vector<uint8_t> bytes;  // the whole plain packet
    uint16_t sequenceNumber = 0;
    uint32_t timestamp = 0;
    bool marker = false;
    uint16_t transportSequence = 0;
    std::optional<uint32_t> absSendTime;
    std::vector<uint8_t> audioLevel;  // the raw element, empty if none
  };

  static int64_t NowUs() {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  // Produces the next packet of `source` and logs it; sends it unless
  // `send` is false (a loss before the network).
  Sent Produce(loadtest::WebRtcClient& client, loadtest::SyntheticMediaSource& source,
               bool send = true) {
    std::array<uint8_t, 1500> buffer{};
    const uint16_t transportSequence = client.NextTransportSequence();
    const auto bytes = source.NextPacket(buffer, transportSequence, NowUs());
    REQUIRE(!bytes.empty());
    auto packet = rtp::RtpPacket::Parse(bytes);
    REQUIRE(packet.has_value());
    const auto& config = source.GetConfig();
    Sent sent;
    sent.bytes.assign(bytes.begin(), bytes.end());
    sent.sequenceNumber = packet->SequenceNumber();
    sent.timestamp = packet->Timestamp();
    sent.marker = packet->Marker();
    sent.transportSequence = transportSequence;
    if (config.absSendTimeId != 0) {
      sent.absSendTime = rtp::ReadAbsSendTime(packet->GetExtension(config.absSendTimeId));
    }
    if (config.audioLevelId != 0) {
      const auto level = packet->GetExtension(config.audioLevelId);
      sent.audioLevel.assign(level.begin(), level.end());
    }
    const std::vector<uint8_t> payload(packet->Payload().begin(), packet->Payload().end());
    REQUIRE(indexByPayload_.emplace(payload, packets_.size()).second);
    packets_.push_back(std::move(sent));
    if (send) REQUIRE(client.SendRtp(bytes));
    return packets_.back();
  }

  const std::vector<Sent>& Packets() const { return packets_; }
  // The logged packet with this payload, or nullptr.
  const Sent* FindByPayload(std::span<const uint8_t> payload) const {
    const auto it = indexByPayload_.find(std::vector<uint8_t>(payload.begin(), payload.end()));
    return it == indexByPayload_.end() ? nullptr : &packets_[it->second];
  }

 private:
  std::vector<Sent> packets_;
  std::map<std::vector<uint8_t>, size_t> indexByPayload_;
};

}  // namespace myriad::integration
