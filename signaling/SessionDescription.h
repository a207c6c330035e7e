#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace myriad::signaling {

// One payload format of an RTP m-line (RFC 8866 §6.6 rtpmap, §6.15 fmtp, RFC 4585 §4.2 rtcp-fb).
struct SdpCodec {
  uint8_t payloadType = 0;
  std::string name;  // encoding name as offered, e.g. "opus", "VP8", "H264"
  uint32_t clockRate = 0;
  uint8_t channels = 1;
  std::string fmtp;                       // format parameters verbatim, "" if none
  std::vector<std::string> rtcpFeedback;  // "nack", "nack pli", "transport-cc", ...
  // RTX (RFC 4588) is not a codec of its own here: an "rtx" format with apt=<this PT> is
  // folded into the codec it repairs.
  std::optional<uint8_t> rtxPayloadType;

  // The value of `key` in a "k1=v1;k2=v2" fmtp (keys case-insensitive, RFC 6184 §8.1 style).
  std::optional<std::string> FmtpParameter(std::string_view key) const;
};

// a=extmap (RFC 8285 §5).
struct SdpExtension {
  uint8_t id = 0;
  std::string uri;
};

// a=ssrc-group (RFC 5576 §4.2), e.g. FID <media> <rtx> or SIM <low> <mid> <high>.
struct SdpSsrcGroup {
  std::string semantics;
  std::vector<uint32_t> ssrcs;
};

// a=rid (RFC 8851 §4).
struct SdpRid {
  std::string id;
  std::string direction;  // "send" or "recv"
  std::string params;     // restrictions verbatim, e.g. "pt=96;max-width=640", "" if none
};

struct SdpMediaSection {
  std::string kind;  // "audio", "video", "application", or whatever else was offered
  uint16_t port = 0;
  std::string protocol;              // e.g. "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP"
  std::vector<std::string> formats;  // m-line <fmt> tokens verbatim (PTs or "webrtc-datachannel")
  std::string mid;
  std::string direction;  // sendrecv|sendonly|recvonly|inactive (defaults per RFC 8866 §6.7)
  std::vector<SdpCodec> codecs;  // in m-line order (the offerer's preference), RTX folded in
  std::vector<SdpExtension> extensions;
  std::vector<uint32_t> ssrcs;  // distinct SSRCs of a=ssrc lines, in order of appearance
  std::vector<SdpSsrcGroup> ssrcGroups;
  std::string cname;
  std::string msidStream, msidTrack;  // from a=msid, else from a=ssrc:<x> msid:
  std::vector<SdpRid> rids;
  std::string simulcast;  // a=simulcast value verbatim, e.g. "send q;h;f"
  // Transport parameters; session-level values are inherited when the section has none.
  std::string iceUfrag, icePwd, fingerprintAlgorithm, fingerprint, setup;
  bool rtcpMux = false, rtcpRsize = false;
  // RFC 8843 §6: a bundle-only section carries port 0 but is not rejected.
  bool bundleOnly = false;
  uint16_t sctpPort = 0;
  uint32_t maxMessageSize = 0;
  bool hasMaxMessageSize = false;  // a=max-message-size present (0 then means "no limit")

  bool Rejected() const { return port == 0 && !bundleOnly; }
  // The section carries RTP (audio/video), as opposed to SCTP data channels.
  bool IsRtp() const;
};

// An SDP offer (RFC 8866) as a Unified Plan browser produces it (RFC 8829 JSEP): one media
// section per transceiver, identified by its mid.
class SessionDescription {
 public:
  // Never throws. On malformed input returns nullopt and, if `error` is non-null, a one-line
  // reason ("line 12: rtpmap payload type 300 out of range"). Unknown attributes are ignored;
  // CRLF and LF line endings are both accepted.
  static std::optional<SessionDescription> Parse(std::string_view sdp, std::string* error);

  std::vector<SdpMediaSection> media;
  std::vector<std::string> bundleMids;  // first a=group:BUNDLE, in offer order

  const SdpMediaSection* FindMid(std::string_view mid) const;
};

}  // namespace myriad::signaling
