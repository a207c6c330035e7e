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
// frame every `packetsPerFrame` packets (SetPacketsPerFrame changes it from
// the next frame on, as an encoder's packetiser does when its rate changes),
// audio one `packetTimeMs` per packet.
// A caller that paces packets at that rate gets timestamps that match real
// time.
//
// With Config::vp8, video payloads are shaped like a VP8 encoder's so that a
// server can find key frames, learn the resolution and rewrite picture ids
// (simulcast switching): every payload leads with an RFC 7741 4.2 payload
// descriptor, and the first packet of a frame continues with the RFC 6386
// 9.1 uncompressed data chunk (the 3-byte frame tag; on a key frame also
// the start code and the coded size). The send time or the caller's header
// follows those bytes (PayloadHeaderOffset says where); the rest is noise.
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
    // Video only: VP8 payloads (see above), `width` x `height` in the key
    // frame headers (1..16383, RFC 6386 9.1; GetConfig() has the size in
    // use, which SetResolution changes). The first frame is a key frame,
    // then every `keyFrameIntervalFrames`-th frame after the last one (0:
    // only on RequestKeyFrame).
    bool vp8 = false;
    uint16_t width = 1280;
    uint16_t height = 720;
    uint32_t keyFrameIntervalFrames = 0;
    // The first frame's 15-bit PictureID and 8-bit TL0PICIDX; both grow by
    // one per frame (every frame is in the base temporal layer).
    uint16_t firstPictureId = 0;
    uint8_t firstTl0PicIdx = 0;
  };

  static constexpr size_t kSendTimeSize = 8;
  // VP8 mode: the payload descriptor (RFC 7741 4.2) with X, I (15-bit
  // PictureID), L and T (TL0PICIDX, TID 0); the frame tag of an interframe
  // and the whole uncompressed chunk of a key frame (RFC 6386 9.1).
  static constexpr size_t kVp8DescriptorSize = 6;
  static constexpr size_t kVp8FrameTagSize = 3;
  static constexpr size_t kVp8KeyFrameHeaderSize = 10;

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

  // VP8 mode: the next frame that starts is a key frame (what an encoder
  // does for a PLI, RFC 4585 6.3.1). Requests before it starts coalesce.
  void RequestKeyFrame() { keyFrameRequested_ = true; }
  // VP8 mode: the picture size of the next frames (clamped to 1..16383). A
  // VP8 stream changes size only at a key frame (RFC 6386 9.1), so a change
  // also requests one; the frame in progress keeps its size.
  void SetResolution(uint16_t width, uint16_t height);
  // Video: the packet count of frames that begin from now on (at least 1);
  // the frame in progress keeps its own.
  void SetPacketsPerFrame(uint32_t packets);
  // Video: whether the next packet is the first of a frame.
  bool AtFrameStart() const { return packetInFrame_ == 0; }
  // VP8 mode: whether the frame the next packet belongs to is a key frame
  // (decided when it begins; an encoder knows before it packetises).
  bool NextFrameIsKeyFrame() const;

  // Consumes `count` sequence numbers (and their media time) without
  // producing packets: a loss before the network. Frames that start in the
  // gap still count (picture ids, key frame schedule).
  void Skip(uint16_t count);

  uint16_t NextSequenceNumber() const { return sequenceNumber_; }
  uint64_t PacketsProduced() const { return produced_; }
  // VP8 mode: key frames started so far (produced or skipped), and the
  // PictureID of the frame the last packet belonged to.
  uint64_t KeyFramesStarted() const { return keyFramesStarted_; }
  uint16_t CurrentPictureId() const { return pictureId_; }
  const Config& GetConfig() const { return config_; }

  // The send time a packet of this source carries in its payload, at the
  // start of the payload header (see PayloadHeaderOffset).
  static std::optional<int64_t> ReadSendTime(std::span<const uint8_t> payload);
  // Where the payload header (send time or the caller's header) starts in a
  // payload of a source whose Config::vp8 is `vp8`: 0 without VP8; with VP8
  // after the payload descriptor, and on the first packet of a frame after
  // the frame tag (interframe) or the key frame header. nullopt when a VP8
  // payload is too short for what its descriptor announces.
  static std::optional<size_t> PayloadHeaderOffset(std::span<const uint8_t> payload, bool vp8);
  // The payload from that offset on; empty when there is none.
  static std::span<const uint8_t> PayloadHeader(std::span<const uint8_t> payload, bool vp8);

 private:
  uint32_t CurrentTimestamp() const;
  bool Vp8() const { return config_.video && config_.vp8; }
  // Video: at a frame's first packet (produced or skipped) fixes the frame's
  // packet count and starts the VP8 frame; once per frame.
  void BeginFrameIfDue();
  // VP8 mode: moves the picture ids on and decides whether the frame is a
  // key frame.
  void StartVp8Frame();
  // After a packet is produced or skipped: the position in the frame.
  void AdvancePacket();
  // VP8 mode: the bytes before the payload header in the next packet.
  size_t Vp8PrefixSize() const;
  // Writes the VP8 descriptor (and frame tag / key frame header) of the
  // next packet, `payloadSize` bytes long, into payload_.
  void WriteVp8Prefix(size_t payloadSize);
  std::span<uint8_t> Build(std::span<uint8_t> buffer, uint16_t transportSequence,
                           int64_t sendTimeUs, std::span<const uint8_t> header);

  Config config_;
  std::mt19937 random_;
  uint16_t sequenceNumber_;
  uint64_t packetIndex_ = 0;  // produced and skipped
  uint64_t produced_ = 0;
  bool markNext_ = false;
  // Video: the frame in progress.
  uint64_t frameIndex_ = 0;     // frames begun before it
  uint32_t packetInFrame_ = 0;  // packets of it produced or skipped
  uint32_t framePackets_ = 1;   // its packet count
  bool frameBegun_ = false;
  // VP8 mode.
  uint16_t pictureId_ = 0;
  uint8_t tl0PicIdx_ = 0;
  bool frameIsKey_ = false;
  bool keyFrameRequested_ = false;
  uint32_t framesSinceKey_ = 0;
  uint64_t keyFramesStarted_ = 0;
  uint16_t nextWidth_ = 0;  // SetResolution, for the next key frame
  uint16_t nextHeight_ = 0;
  std::array<uint8_t, 1500> payload_{};
};

}  // namespace myriad::loadtest
