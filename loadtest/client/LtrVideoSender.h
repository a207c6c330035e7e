#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/client/LtrEncoderModel.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/Rpsi.h"

namespace myriad::loadtest {

// A native camera with long-term references (docs/protocol.md "Long-term
// references") on one plain (non-simulcast) published VP8 track: each
// frame's type comes from an LtrEncoderModel, which the server's feedback
// drives (PLI/FIR -> key frame; RPSI acknowledgements; RPSI "recover from"
// -> a frame predicted from that reference). Every packet carries
// - the Dependency Descriptor's mandatory fields (start/end of frame,
//   template 0, frame_number = the model's frame id), when negotiated;
// - a VP8 payload descriptor and frame header (RFC 7741 4.2, RFC 6386 9.1),
//   so the server finds key frames;
// - an LtrFramePayload record after those bytes for the receiver's
//   DependencyDecoder; zero filler up to `payloadSize`.
// Key frames have `keyFramePackets` packets and the others
// `deltaFramePackets`, so what a key frame costs shows in the bytes sent.
//
// It installs the client's key frame request and LTR message handlers.
// Single-threaded, on the client's io_context; the client must outlive it.
class LtrVideoSender {
 public:
  struct Options {
    LtrEncoderModel::Options encoder;
    uint32_t framesPerSecond = 30;
    uint16_t deltaFramePackets = 2;
    uint16_t keyFramePackets = 10;
    size_t payloadSize = 1000;  // bytes of RTP payload per packet
    uint16_t width = 640;
    uint16_t height = 360;
    uint32_t seed = 1;  // first sequence number and timestamp
  };

  // Feedback from the server, in arrival order (tests look at it).
  struct Feedback {
    enum class Kind { kKeyFrameRequest, kAcknowledged, kRecoverFrom };
    Kind kind = Kind::kKeyFrameRequest;
    uint16_t frameId = 0;      // RPSI only
    uint16_t nextFrameId = 0;  // the frame the encoder was about to send
  };

  struct Counters {
    uint64_t frames = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;  // RTP packets, headers included
    uint64_t sendFailures = 0;
  };

  // `published` is the active video track the client publishes (its SSRC,
  // payload type and extension ids).
  LtrVideoSender(WebRtcClient& client, const WebRtcClient::MediaTrack& published, Options options);
  LtrVideoSender(const LtrVideoSender&) = delete;
  LtrVideoSender& operator=(const LtrVideoSender&) = delete;

  // Sends the next frame's packets at once; returns the frame sent.
  LtrEncoderModel::Frame SendFrame(int64_t sendTimeUs);

  const LtrEncoderModel& Encoder() const { return encoder_; }
  const std::vector<Feedback>& FeedbackLog() const { return feedback_; }
  const Counters& GetCounters() const { return counters_; }
  uint32_t Ssrc() const { return ssrc_; }
  // Whether the answer accepted long-term references for the track.
  bool Negotiated() const { return dependencyDescriptorId_ != 0; }

 private:
  void OnKeyFrameRequest(uint32_t mediaSsrc);
  void OnLtrMessage(const rtp::Rpsi::LtrMessage& message);
  size_t WritePayload(const LtrEncoderModel::Frame& frame, uint16_t index, uint16_t count,
                      int64_t sendTimeUs);

  WebRtcClient& client_;
  Options options_;
  LtrEncoderModel encoder_;
  uint32_t ssrc_;
  uint8_t payloadType_;
  uint8_t midId_;
  std::string mid_;
  uint8_t transportCcId_;
  uint8_t dependencyDescriptorId_;
  uint16_t sequenceNumber_;
  uint32_t firstTimestamp_;
  uint16_t pictureId_ = 0;
  std::vector<Feedback> feedback_;
  Counters counters_;
  std::array<uint8_t, 1500> payload_{};
  std::array<uint8_t, 1600> packet_{};
};

}  // namespace myriad::loadtest
