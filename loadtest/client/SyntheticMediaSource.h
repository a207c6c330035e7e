#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>

namespace myriad::loadtest {

// Produces the RTP packets of one synthetic audio or video stream, for load
// and integration tests: seeded random payloads (the same seed gives the same
// bytes), media timestamps at the codec clock rate, the header extensions a
// browser sends, and the send time in the first 8 payload bytes so a receiver
// can measure end-to-end latency.
//
// Timestamps follow the packet count, not the wall clock: video advances one
// frame every `packetsPerFrame` packets, audio one `packetTimeMs` per packet.
// A caller that paces packets at that rate gets timestamps that match real
// time.
class SyntheticMediaSource {
 public:
  struct Config {
    bool video = true;
    uint32_t ssrc = 0;
    uint8_t payloadType = 96;
    uint32_t clockRate = 90000;  // 90 kHz video, 48 kHz Opus (RFC 7587 4.1)
    // Header-extension ids to write, 0 = leave out (RFC 8285 one-byte form).
    uint8_t midId = 0;
    uint8_t ridId = 0;
    uint8_t transportCcId = 0;
    uint8_t absSendTimeId = 0;
    uint8_t audioLevelId = 0;
    std::string mid;
    std::string rid;
    uint32_t seed = 1;
    // Payload sizes are drawn uniformly from this range (at least 8 bytes for
    // the send time).
    size_t minPayloadSize = 400;
    size_t maxPayloadSize = 1100;
    uint32_t framesPerSecond = 30;  // video
    uint32_t packetsPerFrame = 3;   // video
    uint32_t packetTimeMs = 20;     // audio
    uint16_t firstSequenceNumber = 0;
    uint32_t firstTimestamp = 0;
    // Seeded noise after the leading bytes; false leaves zeros (cheaper for
    // a load generator that sends tens of thousands of packets a second).
    bool randomPayload = true;
    // RFC 6464 3: the level (0..127, -dBov) and voice flag audio carries
    // until SetAudioLevel changes them.
    uint8_t audioLevel = 30;
    bool voiceActivity = true;
  };

  static constexpr size_t kSendTimeSize = 8;

  explicit SyntheticMediaSource(Config config);

  // Writes the next packet into `buffer` and returns it, or an empty span if
  // it does not fit. `transportSequence` goes into the transport-wide-cc
  // extension, `sendTimeUs` (any steady clock, in microseconds) into
  // abs-send-time and the first payload bytes.
  std::span<uint8_t> NextPacket(std::span<uint8_t> buffer, uint16_t transportSequence,
                                int64_t sendTimeUs);
  // The same with `payloadHeader` as the first payload bytes instead of the
  // send time (a load generator's own record, e.g. LoadtestPayload); the
  // payload is at least as long as the header. No allocation.
  std::span<uint8_t> NextPacket(std::span<uint8_t> buffer, uint16_t transportSequence,
                                int64_t sendTimeUs, std::span<const uint8_t> payloadHeader);

  // RFC 6464 3: the audio level (0 loudest .. 127 silence, in -dBov) and
  // voice-activity flag of the next audio packets.
  void SetAudioLevel(uint8_t level, bool voiceActivity);
  // RFC 3551 4.1: the next audio packet starts a talk spurt (marker bit).
  void MarkTalkSpurt() { markNext_ = true; }

  // Consumes `count` sequence numbers (and their media time) without
  // producing packets: a loss before the network.
  void Skip(uint16_t count);

  uint16_t NextSequenceNumber() const { return sequenceNumber_; }
  uint64_t PacketsProduced() const { return produced_; }
  const Config& GetConfig() const { return config_; }

  // The send time a packet of this source carries in its payload.
  static std::optional<int64_t> ReadSendTime(std::span<const uint8_t> payload);

 private:
  uint32_t TimestampOf(uint64_t packetIndex) const;
  std::span<uint8_t> Build(std::span<uint8_t> buffer, uint16_t transportSequence,
                           int64_t sendTimeUs, std::span<const uint8_t> header);

  Config config_;
  std::mt19937 random_;
  uint16_t sequenceNumber_;
  uint64_t packetIndex_ = 0;  // produced and skipped
  uint64_t produced_ = 0;
  bool markNext_ = false;
  std::array<uint8_t, 1500> payload_{};
};

}  // namespace myriad::loadtest
