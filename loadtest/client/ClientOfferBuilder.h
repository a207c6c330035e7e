#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace myriad::loadtest {

enum class VideoCodec { kVp8, kH264 };

// Payload types the client offers. The defaults are Chromium's; tests give a
// subscriber different numbers to prove the server rewrites them.
struct PayloadTypePlan {
  uint8_t opus = 111;
  uint8_t vp8 = 96;
  uint8_t vp8Rtx = 97;
  // H264 constrained baseline 42e01f, packetization-mode=1 (what the client
  // publishes) and baseline 42001f, which a subscriber also accepts.
  uint8_t h264 = 108;
  uint8_t h264Rtx = 109;
  uint8_t h264Baseline = 102;
  uint8_t h264BaselineRtx = 103;
};

// a=extmap ids (RFC 8285) the client offers, Chromium's by default. After
// negotiation the same struct holds what the answer accepted (0 = not
// negotiated).
struct ExtensionIds {
  uint8_t audioLevel = 1;
  uint8_t absSendTime = 2;
  uint8_t transportCc = 3;
  uint8_t mid = 4;
  uint8_t rtpStreamId = 10;
  uint8_t repairedRtpStreamId = 11;
  uint8_t videoOrientation = 13;
  // AV1 RTP specification appendix A.8; offered on video m-lines only with
  // OfferParameters::longTermReferences.
  uint8_t dependencyDescriptor = 12;
};

// One transceiver of the client, in offer order.
struct OfferMediaLine {
  enum class Direction { kSendOnly, kRecvOnly };

  std::string mid;
  // "audio", "video", or "application": the data channel m-line (RFC 8841),
  // which uses only mid and stopped.
  std::string kind;
  Direction direction = Direction::kSendOnly;
  // A stopped transceiver keeps its place with port 0 (RFC 8829 5.2.2).
  bool stopped = false;
  // sendonly only: the codec to publish (video), the SSRCs and msid track id.
  VideoCodec videoCodec = VideoCodec::kVp8;
  uint32_t ssrc = 0;
  uint32_t rtxSsrc = 0;  // video: the RTX SSRC of a=ssrc-group:FID
  std::string trackId;
  // sendonly video only: simulcast (RFC 8853) with one RTP stream per rid
  // (RFC 8851); the offer then announces no SSRCs, like Chromium's.
  std::vector<std::string> rids = {};
};

struct OfferParameters {
  std::string iceUfrag;
  std::string icePwd;
  std::string fingerprintSha256;  // "AB:CD:...", as DtlsCertificate gives it
  std::string cname;
  std::string streamId;  // a=msid stream id of the published tracks
  uint64_t sessionId = 1;
  uint64_t sessionVersion = 1;  // RFC 3264 8: grows with every offer
  PayloadTypePlan payloadTypes;
  ExtensionIds extensions;
  // Long-term reference feedback (docs/protocol.md "Long-term references"):
  // every video format also offers `a=rtcp-fb:<pt> nack rpsi`, and video
  // m-lines the Dependency Descriptor extension, which carries the frame ids.
  // The server accepts the two only together.
  bool longTermReferences = false;
  // The application m-line's a=sctp-port and a=max-message-size (RFC 8841
  // 5 and 6): Chromium's values.
  uint16_t sctpPort = 5000;
  uint32_t maxMessageSize = 262144;
};

// Writes a Unified Plan offer shaped like Chromium's (tests/signaling/
// fixtures/*.sdp): one BUNDLE group, ICE and DTLS parameters on every m-line
// with a=setup:actpass, rtcp-mux and rtcp-rsize, Chromium's extmap ids,
// sendonly m-lines with a=ssrc cname/msid (and the FID group for video RTX)
// or, for simulcast, a=rid and a=simulcast instead of SSRCs,
// recvonly m-lines that accept every codec the server forwards, and stopped
// m-lines with port 0 outside the BUNDLE group. With longTermReferences,
// video also offers RPSI feedback and the Dependency Descriptor. A line of
// kind "application" becomes the data channel m-line, as Chromium writes it
// after pc.createDataChannel (tests/signaling/fixtures/
// publish-with-datachannel.sdp; RFC 8841 5): UDP/DTLS/SCTP with
// webrtc-datachannel, the same ICE and DTLS parameters, a=sctp-port and
// a=max-message-size, in the BUNDLE group.
class ClientOfferBuilder {
 public:
  static std::string Build(const OfferParameters& parameters,
                           std::span<const OfferMediaLine> lines);
};

}  // namespace myriad::loadtest
