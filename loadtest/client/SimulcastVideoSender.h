#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"

namespace myriad::loadtest {

// The camera of a simulcast publisher as a browser runs it: one VP8 encoder
// (a SyntheticMediaSource in VP8 mode) per rid of a published video track,
// each with its own resolution and SSRC, the mid and rid header extensions
// (RFC 8852 3.1, RFC 8853 5.1). It answers key frame requests on the stream
// whose SSRC they name, and follows the publisher's newest `tierPlan` like
// RTCRtpSender.setParameters: a rid the plan marks inactive sends nothing,
// one that becomes active again starts with a key frame, and with a capture
// size each rid is encoded at that size over its scaleResolutionDownBy
// (from the next key frame on, which the change requests).
//
// Every payload carries a LoadtestPayload record after the VP8 bytes with
// `stream` = 1 + the rid's index, so a receiver can tell which encoding a
// forwarded packet came from (EncodingOf).
//
// An encoding with a bitrate is sized like an encoder's output under rate
// control: each frame gets bitrate / framesPerSecond bytes of RTP packets
// (headers included: what the server meters and forwards), in as few
// packets of at most maxPayloadSize as that needs (a browser's packetiser:
// fewer packets at a lower rate), spread evenly; a key frame gets keyFrameScale times that, and
// what a frame used above or below its share is made up over the next
// frames, so the rate holds over a second. The plan's maxBitrate for the
// rid (RTCRtpEncodingParameters.maxBitrate) caps the rate, as a browser's
// encoder obeys it. Without a bitrate, payload sizes are drawn from
// [minPayloadSize, maxPayloadSize] and the plan's maxBitrate is not looked
// at.
//
// Single-threaded, on the client's io_context; the client must outlive it.
class SimulcastVideoSender {
 public:
  struct Encoding {
    std::string rid;
    uint16_t width = 0;
    uint16_t height = 0;
    // Bits per second of RTP packets (see the class comment); 0: payload
    // sizes from the options' range instead.
    uint32_t bitrateBps = 0;
  };

  struct Options {
    // The published track's rids to send, each with its picture size.
    std::vector<Encoding> encodings;
    uint32_t seed = 1;
    uint32_t publisherIndex = 0;  // in the LoadtestPayload record
    uint32_t framesPerSecond = 30;
    // Without a bitrate: packets per frame (with one, the frame's size
    // decides).
    uint32_t packetsPerFrame = 2;
    // 0: key frames only at the start, on request and on resuming.
    uint32_t keyFrameIntervalFrames = 0;
    size_t minPayloadSize = 200;
    size_t maxPayloadSize = 1000;
    // With a bitrate: a key frame's size over an interframe's share.
    double keyFrameScale = 2.0;
    bool randomPayload = true;
    // Pause and resume rids as the newest tierPlan says.
    bool followTierPlan = true;
    // The camera's size: a plan's scaleResolutionDownBy then resizes the
    // rids. 0: the rids keep their configured sizes.
    uint16_t captureWidth = 0;
    uint16_t captureHeight = 0;
  };

  // `published` is an active simulcast video of `client` (PublishedTrack);
  // encodings whose rid it does not announce are left out.
  SimulcastVideoSender(WebRtcClient& client, const WebRtcClient::MediaTrack& published,
                       Options options);
  ~SimulcastVideoSender();
  SimulcastVideoSender(const SimulcastVideoSender&) = delete;
  SimulcastVideoSender& operator=(const SimulcastVideoSender&) = delete;

  // Takes the client's key frame requests (SetKeyFrameRequestHandler) until
  // destroyed; requests for other SSRCs are ignored.
  void AnswerKeyFrameRequests();
  // A PLI or FIR naming `ssrc`: the next frame of that encoding is a key
  // frame. False when no encoding has the SSRC.
  bool OnKeyFrameRequest(uint32_t ssrc);
  // Pauses the rids `plan` marks inactive and resumes (with a key frame) the
  // ones it marks active, resized with a capture size, their rate capped by
  // the plan's maxBitrate (none when the plan gives none); rids it does not
  // list keep their state. A plan not newer than the last one applied is
  // ignored.
  void ApplyTierPlan(const WebRtcClient::TierPlan& plan);

  // Sends the next frame of every active encoding, after applying a newer
  // tierPlan of the client (Options::followTierPlan); returns the packets
  // sent.
  size_t SendFrame(int64_t sendTimeUs);
  // Called with every packet sent (plain, before SRTP) and its encoding.
  void SetSentHandler(
      std::function<void(size_t encoding, std::span<const uint8_t> packet)> handler) {
    onSent_ = std::move(handler);
  }

  const std::string& Mid() const { return mid_; }
  size_t EncodingCount() const { return streams_.size(); }
  const Encoding& EncodingAt(size_t index) const { return streams_[index].encoding; }
  uint32_t Ssrc(size_t index) const { return streams_[index].source.GetConfig().ssrc; }
  bool Active(size_t index) const { return streams_[index].active; }
  // The rate an encoding is sized to now: its bitrateBps, capped by the
  // plan's maxBitrate; 0 for an encoding without a bitrate.
  uint32_t BitrateBps(size_t index) const;
  // The index of the encoding with this rid or SSRC, or nullopt.
  std::optional<size_t> IndexOfRid(const std::string& rid) const;
  std::optional<size_t> IndexOfSsrc(uint32_t ssrc) const;
  SyntheticMediaSource& Source(size_t index) { return streams_[index].source; }
  uint64_t KeyFrameRequests(size_t index) const { return streams_[index].keyFrameRequests; }
  // The version of the last tierPlan applied; nullopt before the first.
  std::optional<uint64_t> AppliedPlanVersion() const { return appliedPlanVersion_; }

  // The encoding index a payload sent by such a sender came from (its
  // record's `stream` - 1), or nullopt.
  static std::optional<size_t> EncodingOf(std::span<const uint8_t> payload);

 private:
  // The largest payload a bitrate-sized packet gets: with the RTP header
  // and the VP8 prefix it stays below a 1500-byte packet.
  static constexpr size_t kMaxSizedPayload = 1200;
  // A frame's excess or shortfall is made up over about this many frames.
  static constexpr int64_t kCarryFrames = 10;

  struct Stream {
    Encoding encoding;
    SyntheticMediaSource source;
    bool active = true;
    uint64_t keyFrameRequests = 0;
    // The newest applied plan's maxBitrate for the rid; 0 = none.
    uint64_t planMaxBitrateBps = 0;
    // With a bitrate: bytes earlier frames left unused (+) or overspent (-).
    int64_t carryBytes = 0;
    // RTP header and VP8 prefix of the stream's last packet: what a packet
    // has besides the payload header we size.
    size_t overheadBytes = 0;
  };

  // One frame of stream `index`, its packets sized to the rate; returns the
  // packets sent.
  size_t SendSizedFrame(size_t index, int64_t sendTimeUs, std::span<uint8_t> buffer);
  // Sends (and reports) one packet built by the stream's source.
  bool Send(size_t index, std::span<const uint8_t> packet);
  size_t SizedPayloadLimit() const;

  WebRtcClient& client_;
  Options options_;
  std::string mid_;
  std::vector<Stream> streams_;
  std::optional<uint64_t> appliedPlanVersion_;
  bool answeringKeyFrameRequests_ = false;
  // The record, then filler (seeded noise with randomPayload): the payload
  // header a bitrate-sized packet carries, as long as its size needs.
  std::array<uint8_t, kMaxSizedPayload> sizedPayload_{};
  std::function<void(size_t, std::span<const uint8_t>)> onSent_;
};

}  // namespace myriad::loadtest
