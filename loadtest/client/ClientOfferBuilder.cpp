#include "loadtest/client/ClientOfferBuilder.h"

#include <vector>

namespace myriad::loadtest {
namespace {

// The extension URIs (RFC 8285 5), spelled as the server's rtp/ code does.
constexpr const char* kAudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
constexpr const char* kAbsSendTimeUri =
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
constexpr const char* kTransportCcUri =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
constexpr const char* kMidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
constexpr const char* kRtpStreamIdUri = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
constexpr const char* kRepairedRtpStreamIdUri =
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
constexpr const char* kVideoOrientationUri = "urn:3gpp:video-orientation";
constexpr const char* kDependencyDescriptorUri =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

struct VideoFormat {
  uint8_t payloadType;
  uint8_t rtxPayloadType;
  const char* name;
  const char* fmtp;  // "" for none
};

constexpr const char* kH264ConstrainedBaselineFmtp =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f";
constexpr const char* kH264BaselineFmtp =
    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f";

class SdpWriter {
 public:
  void Line(const std::string& text) {
    sdp_ += text;
    sdp_ += "\r\n";
  }
  std::string Take() { return std::move(sdp_); }

 private:
  std::string sdp_;
};

std::vector<VideoFormat> VideoFormats(const OfferMediaLine& line, const PayloadTypePlan& pt) {
  const VideoFormat vp8{pt.vp8, pt.vp8Rtx, "VP8", ""};
  const VideoFormat h264{pt.h264, pt.h264Rtx, "H264", kH264ConstrainedBaselineFmtp};
  const VideoFormat h264Baseline{pt.h264Baseline, pt.h264BaselineRtx, "H264", kH264BaselineFmtp};
  if (line.direction == OfferMediaLine::Direction::kSendOnly) {
    // The publisher's preference comes first (what setCodecPreferences does);
    // the server takes the first codec it supports.
    if (line.videoCodec == VideoCodec::kH264) return {h264, vp8};
    return {vp8, h264};
  }
  // A receiver accepts whatever the publisher sends.
  return {vp8, h264Baseline, h264};
}

void WriteVideoFormat(SdpWriter& out, const VideoFormat& format, bool longTermReferences) {
  const std::string pt = std::to_string(format.payloadType);
  out.Line("a=rtpmap:" + pt + " " + format.name + "/90000");
  // RFC 4585 4.2 / RFC 5104 7.1: the feedback Chromium offers for video.
  for (const char* feedback : {"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"}) {
    out.Line("a=rtcp-fb:" + pt + " " + feedback);
  }
  // RFC 4585 4.2: reference picture selection indication.
  if (longTermReferences) out.Line("a=rtcp-fb:" + pt + " nack rpsi");
  if (format.fmtp[0] != '\0') out.Line("a=fmtp:" + pt + " " + format.fmtp);
  // RFC 4588 8.6: the RTX format names the payload type it repairs.
  const std::string rtx = std::to_string(format.rtxPayloadType);
  out.Line("a=rtpmap:" + rtx + " rtx/90000");
  out.Line("a=fmtp:" + rtx + " apt=" + pt);
}

void WriteExtmap(SdpWriter& out, uint8_t id, const char* uri) {
  if (id != 0) out.Line("a=extmap:" + std::to_string(id) + " " + uri);
}

// RFC 8841 5, in Chromium's order: no rtcp, rtcp-mux or direction
// attributes (SCTP has none), the SCTP port and the largest message taken.
void WriteApplicationLine(SdpWriter& out, const OfferParameters& p, const OfferMediaLine& line) {
  out.Line(std::string("m=application") + (line.stopped ? " 0" : " 9") +
           " UDP/DTLS/SCTP webrtc-datachannel");
  out.Line("c=IN IP4 0.0.0.0");
  out.Line("a=ice-ufrag:" + p.iceUfrag);
  out.Line("a=ice-pwd:" + p.icePwd);
  out.Line("a=ice-options:trickle");
  out.Line("a=fingerprint:sha-256 " + p.fingerprintSha256);
  out.Line("a=setup:actpass");
  out.Line("a=mid:" + line.mid);
  out.Line("a=sctp-port:" + std::to_string(p.sctpPort));
  out.Line("a=max-message-size:" + std::to_string(p.maxMessageSize));
}

void WriteMediaLine(SdpWriter& out, const OfferParameters& p, const OfferMediaLine& line) {
  if (line.kind == "application") return WriteApplicationLine(out, p, line);
  const bool audio = line.kind == "audio";
  const bool sending = line.direction == OfferMediaLine::Direction::kSendOnly;
  const auto videoFormats = audio ? std::vector<VideoFormat>{} : VideoFormats(line, p.payloadTypes);

  std::string mline = "m=" + line.kind + (line.stopped ? " 0" : " 9") + " UDP/TLS/RTP/SAVPF";
  if (audio) {
    mline += " " + std::to_string(p.payloadTypes.opus);
  } else {
    for (const auto& format : videoFormats) {
      mline +=
          " " + std::to_string(format.payloadType) + " " + std::to_string(format.rtxPayloadType);
    }
  }
  out.Line(mline);
  out.Line("c=IN IP4 0.0.0.0");
  out.Line("a=rtcp:9 IN IP4 0.0.0.0");
  out.Line("a=ice-ufrag:" + p.iceUfrag);
  out.Line("a=ice-pwd:" + p.icePwd);
  out.Line("a=ice-options:trickle");
  out.Line("a=fingerprint:sha-256 " + p.fingerprintSha256);
  // RFC 8842 5.2: the offerer lets the answerer pick; the server answers
  // passive, which makes this client the DTLS client.
  out.Line("a=setup:actpass");
  out.Line("a=mid:" + line.mid);
  const ExtensionIds& ext = p.extensions;
  if (audio) {
    WriteExtmap(out, ext.audioLevel, kAudioLevelUri);
    WriteExtmap(out, ext.absSendTime, kAbsSendTimeUri);
    WriteExtmap(out, ext.transportCc, kTransportCcUri);
    WriteExtmap(out, ext.mid, kMidUri);
  } else {
    WriteExtmap(out, ext.absSendTime, kAbsSendTimeUri);
    WriteExtmap(out, ext.videoOrientation, kVideoOrientationUri);
    WriteExtmap(out, ext.transportCc, kTransportCcUri);
    WriteExtmap(out, ext.mid, kMidUri);
    WriteExtmap(out, ext.rtpStreamId, kRtpStreamIdUri);
    WriteExtmap(out, ext.repairedRtpStreamId, kRepairedRtpStreamIdUri);
    if (p.longTermReferences) {
      WriteExtmap(out, ext.dependencyDescriptor, kDependencyDescriptorUri);
    }
  }
  const std::string msid = p.streamId + " " + line.trackId;
  if (line.stopped) {
    out.Line("a=inactive");
  } else if (sending) {
    out.Line("a=sendonly");
    out.Line("a=msid:" + msid);
  } else {
    out.Line("a=recvonly");
  }
  out.Line("a=rtcp-mux");
  out.Line("a=rtcp-rsize");
  if (audio) {
    const std::string pt = std::to_string(p.payloadTypes.opus);
    out.Line("a=rtpmap:" + pt + " opus/48000/2");
    out.Line("a=rtcp-fb:" + pt + " transport-cc");
    out.Line("a=fmtp:" + pt + " minptime=10;useinbandfec=1");
  } else {
    for (const auto& format : videoFormats) {
      WriteVideoFormat(out, format, p.longTermReferences);
    }
  }
  if (!sending || line.stopped) return;
  if (!audio && !line.rids.empty()) {
    // RFC 8851 4 and RFC 8853 5.1: one rid per stream, then the simulcast
    // attribute listing them in the order the sender prefers.
    std::string list;
    for (const auto& rid : line.rids) {
      out.Line("a=rid:" + rid + " send");
      list += (list.empty() ? "" : ";") + rid;
    }
    out.Line("a=simulcast:send " + list);
    return;
  }
  if (line.ssrc == 0) return;
  // RFC 5576 4.2 and RFC 4588 8.6: the FID group pairs media and RTX SSRCs.
  const std::string ssrc = std::to_string(line.ssrc);
  const bool rtx = !audio && line.rtxSsrc != 0;
  if (rtx) out.Line("a=ssrc-group:FID " + ssrc + " " + std::to_string(line.rtxSsrc));
  out.Line("a=ssrc:" + ssrc + " cname:" + p.cname);
  out.Line("a=ssrc:" + ssrc + " msid:" + msid);
  if (rtx) {
    const std::string rtxSsrc = std::to_string(line.rtxSsrc);
    out.Line("a=ssrc:" + rtxSsrc + " cname:" + p.cname);
    out.Line("a=ssrc:" + rtxSsrc + " msid:" + msid);
  }
}

}  // namespace

std::string ClientOfferBuilder::Build(const OfferParameters& parameters,
                                      std::span<const OfferMediaLine> lines) {
  SdpWriter out;
  out.Line("v=0");
  out.Line("o=- " + std::to_string(parameters.sessionId) + " " +
           std::to_string(parameters.sessionVersion) + " IN IP4 127.0.0.1");
  out.Line("s=-");
  out.Line("t=0 0");
  // RFC 8843 7.2: stopped m-lines are not part of the BUNDLE group.
  std::string bundle;
  for (const auto& line : lines) {
    if (!line.stopped) bundle += " " + line.mid;
  }
  if (!bundle.empty()) out.Line("a=group:BUNDLE" + bundle);
  out.Line("a=extmap-allow-mixed");
  out.Line("a=msid-semantic: WMS " + parameters.streamId);
  for (const auto& line : lines) WriteMediaLine(out, parameters, line);
  return out.Take();
}

}  // namespace myriad::loadtest
