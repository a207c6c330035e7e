#pragma once

// Test helper: what a subscriber received on each video m-line, parsed the
// way a VP8 decoder would see it (RFC 7741 payload descriptor, RFC 6386 key
// frame header) plus the LoadtestPayload record that names the simulcast
// encoding a packet came from (SimulcastVideoSender).

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client/LoadtestPayload.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "rtp/Vp8KeyFrameHeader.h"
#include "rtp/Vp8PayloadDescriptor.h"

namespace myriad::integration {

class ReceivedVideoLog {
 public:
  using Clock = std::chrono::steady_clock;

  struct Packet {
    uint32_t ssrc = 0;
    uint16_t sequenceNumber = 0;
    uint32_t timestamp = 0;
    bool marker = false;
    uint8_t payloadType = 0;
    // Absent when the payload is no VP8 (or a malformed one).
    std::optional<rtp::Vp8PayloadDescriptor::Fields> descriptor;
    bool keyFrame = false;  // Vp8PayloadDescriptor::IsKeyFrame
    // From the key frame header; 0 on other packets.
    uint16_t width = 0;
    uint16_t height = 0;
    std::optional<loadtest::LoadtestPayload> record;
    Clock::time_point at;

    // The simulcast encoding (index into the sender's rids), or -1.
    int Encoding() const { return record && record->stream > 0 ? record->stream - 1 : -1; }
  };

  // Takes over the client's RTP handler. Media packets are filed under the
  // mid of the receiving m-line their SSRC belongs to; RTX and packets of
  // no m-line are counted only.
  void Attach(loadtest::WebRtcClient& client) {
    client.SetRtpHandler([this, &client](rtp::RtpPacket& packet) {
      const auto* track = client.ReceivingTrackBySsrc(packet.Ssrc());
      if (!track || track->kind != "video" || packet.Ssrc() != track->ssrc) {
        ++unfiled_;
        return;
      }
      Packet entry;
      entry.ssrc = packet.Ssrc();
      entry.sequenceNumber = packet.SequenceNumber();
      entry.timestamp = packet.Timestamp();
      entry.marker = packet.Marker();
      entry.payloadType = packet.PayloadType();
      entry.at = Clock::now();
      if (const auto descriptor = rtp::Vp8PayloadDescriptor::Parse(packet.Payload())) {
        entry.descriptor = descriptor->ToFields();
        entry.keyFrame = descriptor->IsKeyFrame();
        if (entry.keyFrame) {
          if (const auto header = rtp::Vp8KeyFrameHeader::Parse(descriptor->Payload())) {
            entry.width = header->Width();
            entry.height = header->Height();
          }
        }
      }
      entry.record = loadtest::LoadtestPayload::Parse(
          loadtest::SyntheticMediaSource::PayloadHeader(packet.Payload(), true));
      packets_[track->mid].push_back(entry);
    });
  }

  // The packets received on `mid`, in arrival order.
  const std::vector<Packet>& For(const std::string& mid) const {
    static const std::vector<Packet> kNone;
    const auto it = packets_.find(mid);
    return it == packets_.end() ? kNone : it->second;
  }
  size_t Count(const std::string& mid) const { return For(mid).size(); }
  size_t Unfiled() const { return unfiled_; }

 private:
  std::map<std::string, std::vector<Packet>> packets_;
  size_t unfiled_ = 0;
};

}  // namespace myriad::integration
