#include "signaling/SdpAnswerBuilder.h"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string_view>

#include "signaling/SdpGrammar.h"

namespace myriad::signaling {
namespace {

using namespace sdp_grammar;

// Thrown inside the builder only; Build() turns it into nullopt + message.
class AnswerError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Header extensions the forwarding path understands or can rewrite (RFC 8285 ids as offered).
constexpr std::array<std::string_view, 7> kAcceptedExtensions = {
    "urn:ietf:params:rtp-hdrext:sdes:mid",
    "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    "urn:3gpp:video-orientation",
};

// RTCP feedback the server acts on (RFC 4585 §4.2, RFC 5104 §7.1, transport-cc and REMB drafts).
// "nack rpsi" and "ccm tmmbr" are for native clients: long-term reference
// acknowledgements and bitrate caps (docs/protocol.md "Long-term references").
constexpr std::array<std::string_view, 7> kAcceptedFeedback = {
    "nack", "nack pli", "ccm fir", "transport-cc", "goog-remb", "nack rpsi", "ccm tmmbr"};

// The Dependency Descriptor is accepted only with "nack rpsi": it carries the
// frame ids of long-term reference feedback. Browsers, which never offer
// RPSI, keep forwarding without it (a descriptor switched between simulcast
// encodings would need rewriting).
constexpr std::string_view kDependencyDescriptorUri =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

// RFC 8285 §4.2: the one-byte header form only carries ids 1-14. The answer does not echo
// a=extmap-allow-mixed, so larger ids (two-byte form) are declined.
constexpr uint8_t kMaxOneByteExtensionId = 14;

// RFC 8445 §5.1.2.1 with type preference 126 (host), local preference 65535, component 1.
constexpr uint32_t kHostCandidatePriority = 2130706431;

bool Contains(const auto& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool IsH264(const SdpCodec& codec) { return IEquals(codec.name, "H264"); }

std::string PacketizationMode(const SdpCodec& codec) {
  // RFC 6184 §8.1: absent means 0 (single NAL unit mode).
  return codec.FmtpParameter("packetization-mode").value_or("0");
}

// profile_idc and profile-iop, the first two bytes of profile-level-id (RFC 6184 §8.1); the
// level may differ between the publisher and a subscriber. Absent means 42 00 (Baseline).
std::optional<std::string> H264Profile(const SdpCodec& codec) {
  std::string id = codec.FmtpParameter("profile-level-id").value_or("420010");
  if (id.size() != 6 || !std::all_of(id.begin(), id.end(), IsHexDigit)) return std::nullopt;
  return Lower(id.substr(0, 4));
}

// The codecs the SFU forwards: opus/48000/2, VP8/90000, H264/90000 in non-interleaved mode.
bool IsSupported(const SdpCodec& codec, std::string_view kind) {
  if (kind == "audio") {
    return IEquals(codec.name, "opus") && codec.clockRate == 48000 && codec.channels == 2;
  }
  if (kind == "video") {
    if (IEquals(codec.name, "VP8")) return codec.clockRate == 90000;
    if (IsH264(codec)) return codec.clockRate == 90000 && PacketizationMode(codec) == "1";
  }
  return false;
}

bool MatchesSendStream(const SdpCodec& codec, std::string_view kind, const SendStreamInfo& info) {
  if (!IsSupported(codec, kind) || !IEquals(codec.name, info.codecName)) return false;
  if (!IsH264(codec)) return true;
  SdpCodec published;
  published.fmtp = info.codecFmtp;
  const auto profile = H264Profile(codec);
  return PacketizationMode(codec) == PacketizationMode(published) && profile &&
         profile == H264Profile(published);
}

const SdpCodec* FirstSupported(const SdpMediaSection& m) {
  for (const auto& codec : m.codecs) {
    if (IsSupported(codec, m.kind)) return &codec;
  }
  return nullptr;
}

const SdpCodec* FirstMatching(const SdpMediaSection& m, const SendStreamInfo& info) {
  for (const auto& codec : m.codecs) {
    if (MatchesSendStream(codec, m.kind, info)) return &codec;
  }
  return nullptr;
}

// Stable per transport (the ufrag only changes on ICE restart); RFC 8866 §5.2 wants a number
// that fits in 63 bits.
uint64_t SessionId(std::string_view iceUfrag) {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a
  for (char c : iceUfrag) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ull;
  }
  return (hash & 0x3FFFFFFFFFFFFFFFull) | 1;
}

void ValidateLocal(const LocalTransportParameters& local) {
  if (local.iceUfrag.size() < 4 || local.iceUfrag.size() > 256 || !IsIceChars(local.iceUfrag)) {
    throw AnswerError("local ice-ufrag must be 4-256 ice-chars");
  }
  if (local.icePwd.size() < 22 || local.icePwd.size() > 256 || !IsIceChars(local.icePwd)) {
    throw AnswerError("local ice-pwd must be 22-256 ice-chars");
  }
  if (local.fingerprintSha256.size() != 32 * 3 - 1 || !IsFingerprint(local.fingerprintSha256)) {
    throw AnswerError("local fingerprint must be 32 colon-separated hex bytes");
  }
  // IPv4, IPv6 or a host name (RFC 8839 §5.1 connection-address); nothing that could end the line.
  const bool addressOk =
      !local.candidateIp.empty() &&
      std::all_of(local.candidateIp.begin(), local.candidateIp.end(), [](char c) {
        return IsHexDigit(c) || (c >= 'g' && c <= 'z') || (c >= 'G' && c <= 'Z') || c == '.' ||
               c == ':' || c == '-';
      });
  if (!addressOk) throw AnswerError("local candidate address is empty or malformed");
  if (local.candidatePort == 0) throw AnswerError("local candidate port is 0");
}

void ValidateSendStream(const std::string& mid, const SendStreamInfo& info) {
  // RFC 8830 §2: msid-id = 1*64token-char
  auto isMsidId = [](const std::string& id) { return id.size() <= 64 && IsToken(id); };
  if (!isMsidId(info.streamId) || !isMsidId(info.trackId)) {
    throw AnswerError("send stream for mid " + mid + ": stream/track id must be 1-64 token chars");
  }
  if (!IsVisibleText(info.cname)) throw AnswerError("send stream for mid " + mid + ": bad cname");
  if (info.ssrc == 0 || info.ssrc == info.rtxSsrc) {
    throw AnswerError("send stream for mid " + mid + ": ssrc must be non-zero and differ from rtx");
  }
}

void CheckOfferTransport(const SdpMediaSection& m) {
  const std::string where = " for mid " + m.mid;
  if (m.iceUfrag.empty()) throw AnswerError("no ice-ufrag" + where);
  if (m.icePwd.empty()) throw AnswerError("no ice-pwd" + where);
  if (m.fingerprint.empty()) throw AnswerError("no fingerprint" + where);
  // RFC 5763 §5: the server must end up passive (DTLS server); an offer that insists on being
  // passive itself, or says nothing, cannot be served.
  if (m.setup != "actpass" && m.setup != "active") {
    throw AnswerError("setup '" + m.setup + "' is not actpass/active" + where);
  }
}

// One m-line's decision plus what the SDP writer needs that NegotiatedMedia does not hold.
struct MediaPlan {
  NegotiatedMedia negotiated;
  const SdpMediaSection* offer = nullptr;
  std::string answerDirection;
  const SendStreamInfo* sending = nullptr;
};

void Reject(MediaPlan& plan, std::string reason) {
  plan.negotiated.rejected = true;
  plan.negotiated.rejectReason = std::move(reason);
}

void Negotiate(MediaPlan& plan, const std::map<std::string, SendStreamInfo>& sendingByMid) {
  const SdpMediaSection& m = *plan.offer;
  NegotiatedMedia& out = plan.negotiated;
  const SdpCodec* chosen = nullptr;
  if (m.direction == "sendonly" || m.direction == "sendrecv") {
    // Publishing: the client's order is its preference (RFC 8829 §5.3.1).
    chosen = FirstSupported(m);
    if (!chosen) return Reject(plan, "no supported codec offered");
    out.serverReceives = true;
    plan.answerDirection = "recvonly";
  } else if (auto binding = sendingByMid.find(m.mid);
             m.direction == "recvonly" && binding != sendingByMid.end()) {
    ValidateSendStream(m.mid, binding->second);
    chosen = FirstMatching(m, binding->second);
    if (!chosen) return Reject(plan, "no offered codec matches " + binding->second.codecName);
    out.serverSends = true;
    plan.sending = &binding->second;
    plan.answerDirection = "sendonly";
  } else {
    // An unbound recvonly (or inactive) m-line stays negotiated but idle, so a later offer can
    // bind it without the client having to add a new transceiver.
    chosen = FirstSupported(m);
    if (!chosen) return Reject(plan, "no supported codec offered");
    plan.answerDirection = "inactive";
  }

  out.codec = *chosen;
  out.codec.rtcpFeedback.clear();
  for (const auto& feedback : chosen->rtcpFeedback) {
    if (!Contains(kAcceptedFeedback, feedback) || Contains(out.codec.rtcpFeedback, feedback))
      continue;
    out.codec.rtcpFeedback.push_back(feedback);
    out.nack |= feedback == "nack";
    out.pli |= feedback == "nack pli";
    out.fir |= feedback == "ccm fir";
    out.transportCc |= feedback == "transport-cc";
    out.remb |= feedback == "goog-remb";
  }
  const bool longTermReferences = Contains(out.codec.rtcpFeedback, "nack rpsi");
  for (const auto& extension : m.extensions) {
    if (extension.id > kMaxOneByteExtensionId) continue;
    if (Contains(kAcceptedExtensions, extension.uri) ||
        (longTermReferences && extension.uri == kDependencyDescriptorUri)) {
      out.extensions.push_back(extension);
    }
  }
  out.remoteSsrcs = m.ssrcs;
  out.remoteSsrcGroups = m.ssrcGroups;
  if (out.serverReceives) {
    for (const auto& rid : m.rids) {
      if (rid.direction == "send") out.remoteRids.push_back(rid);
    }
  }
}

// The list part of "a=simulcast:send q;h;f [recv ...]" (RFC 8853 §5.1).
std::string SimulcastSendList(std::string_view value) {
  size_t start = 0;
  while (start < value.size()) {
    size_t end = value.find(' ', start);
    if (end == std::string_view::npos) break;
    std::string_view direction = value.substr(start, end - start);
    size_t listEnd = value.find(' ', end + 1);
    std::string_view list =
        value.substr(end + 1, listEnd == std::string_view::npos ? listEnd : listEnd - end - 1);
    if (direction == "send") return std::string(list);
    if (listEnd == std::string_view::npos) break;
    start = listEnd + 1;
  }
  return {};
}

class AnswerWriter {
 public:
  explicit AnswerWriter(const LocalTransportParameters& local) : local_(local) {
    addressType_ = local.candidateIp.find(':') != std::string::npos ? "IP6" : "IP4";
  }

  void Session(const std::vector<std::string>& bundle) {
    Line("v=0");
    Line("o=- " + std::to_string(SessionId(local_.iceUfrag)) + " " +
         std::to_string(local_.sessionVersion) + " IN IP4 127.0.0.1");
    Line("s=-");
    Line("t=0 0");
    Line("a=ice-lite");  // RFC 8445 §2.5
    if (!bundle.empty()) {
      std::string group = "a=group:BUNDLE";
      for (const auto& mid : bundle) group += " " + mid;
      Line(group);
    }
    Line("a=msid-semantic: WMS *");
  }

  void Rejected(const SdpMediaSection& offer) {
    // RFC 8829 §5.3.1: a rejected section keeps media type, proto and formats, with port 0.
    std::string mline = "m=" + offer.kind + " 0 " + offer.protocol;
    for (const auto& format : offer.formats) mline += " " + format;
    Line(mline);
    Line("c=IN IP4 0.0.0.0");
    if (!offer.mid.empty()) Line("a=mid:" + offer.mid);
  }

  void Accepted(const MediaPlan& plan) {
    const SdpMediaSection& offer = *plan.offer;
    const NegotiatedMedia& media = plan.negotiated;
    const SdpCodec& codec = media.codec;
    const std::string port = std::to_string(local_.candidatePort);
    std::string mline = "m=" + offer.kind + " " + port + " " + offer.protocol + " " +
                        std::to_string(codec.payloadType);
    if (codec.rtxPayloadType) mline += " " + std::to_string(*codec.rtxPayloadType);
    Line(mline);
    Line("c=IN " + addressType_ + " " + local_.candidateIp);
    Line("a=mid:" + media.mid);
    Line("a=ice-ufrag:" + local_.iceUfrag);
    Line("a=ice-pwd:" + local_.icePwd);
    Line("a=fingerprint:sha-256 " + local_.fingerprintSha256);
    Line("a=setup:passive");
    Line("a=" + plan.answerDirection);
    if (plan.sending) Line("a=msid:" + plan.sending->streamId + " " + plan.sending->trackId);
    Line("a=rtcp-mux");
    if (offer.rtcpRsize) Line("a=rtcp-rsize");  // RFC 5506 §5: only if offered
    for (const auto& extension : media.extensions) {
      Line("a=extmap:" + std::to_string(extension.id) + " " + extension.uri);
    }
    const std::string pt = std::to_string(codec.payloadType);
    std::string rtpmap =
        "a=rtpmap:" + pt + " " + codec.name + "/" + std::to_string(codec.clockRate);
    if (codec.channels > 1) rtpmap += "/" + std::to_string(codec.channels);
    Line(rtpmap);
    for (const auto& feedback : codec.rtcpFeedback) Line("a=rtcp-fb:" + pt + " " + feedback);
    if (!codec.fmtp.empty()) Line("a=fmtp:" + pt + " " + codec.fmtp);
    if (codec.rtxPayloadType) {
      const std::string rtx = std::to_string(*codec.rtxPayloadType);
      Line("a=rtpmap:" + rtx + " rtx/" + std::to_string(codec.clockRate));
      Line("a=fmtp:" + rtx + " apt=" + pt);
    }
    if (!media.remoteRids.empty()) {
      // RFC 8853 §5.3: the answerer receives the layers the offerer sends.
      for (const auto& rid : media.remoteRids) Line("a=rid:" + rid.id + " recv");
      std::string list = SimulcastSendList(offer.simulcast);
      if (!list.empty()) Line("a=simulcast:recv " + list);
    }
    if (plan.sending) SendStreamLines(*plan.sending, codec.rtxPayloadType.has_value());
    Line("a=candidate:1 1 udp " + std::to_string(kHostCandidatePriority) + " " +
         local_.candidateIp + " " + port + " typ host");
    Line("a=end-of-candidates");
  }

  // RFC 8841 5: the answerer's own SCTP port and the largest message it accepts.
  void AcceptedDataChannel(const MediaPlan& plan) {
    const std::string port = std::to_string(local_.candidatePort);
    Line("m=application " + port + " UDP/DTLS/SCTP webrtc-datachannel");
    Line("c=IN " + addressType_ + " " + local_.candidateIp);
    Line("a=mid:" + plan.negotiated.mid);
    Line("a=ice-ufrag:" + local_.iceUfrag);
    Line("a=ice-pwd:" + local_.icePwd);
    Line("a=fingerprint:sha-256 " + local_.fingerprintSha256);
    Line("a=setup:passive");
    Line("a=sctp-port:" + std::to_string(SdpAnswerBuilder::kDefaultSctpPort));
    Line("a=max-message-size:" + std::to_string(SdpAnswerBuilder::kLocalMaxMessageSize));
    Line("a=candidate:1 1 udp " + std::to_string(kHostCandidatePriority) + " " +
         local_.candidateIp + " " + port + " typ host");
    Line("a=end-of-candidates");
  }

  std::string Take() { return std::move(sdp_); }

 private:
  void SendStreamLines(const SendStreamInfo& info, bool rtxAccepted) {
    const bool withRtx = rtxAccepted && info.rtxSsrc != 0;
    const std::string ssrc = std::to_string(info.ssrc);
    const std::string rtxSsrc = std::to_string(info.rtxSsrc);
    const std::string msid = " msid:" + info.streamId + " " + info.trackId;
    // RFC 5576 §4.2 / RFC 4588 §8.6: the FID group pairs the media SSRC with its RTX SSRC.
    if (withRtx) Line("a=ssrc-group:FID " + ssrc + " " + rtxSsrc);
    Line("a=ssrc:" + ssrc + " cname:" + info.cname);
    Line("a=ssrc:" + ssrc + msid);
    if (withRtx) {
      Line("a=ssrc:" + rtxSsrc + " cname:" + info.cname);
      Line("a=ssrc:" + rtxSsrc + msid);
    }
  }

  void Line(const std::string& text) {
    sdp_ += text;
    sdp_ += "\r\n";
  }

  const LocalTransportParameters& local_;
  std::string addressType_;
  std::string sdp_;
};

SdpAnswer BuildAnswer(const SessionDescription& offer, const LocalTransportParameters& local,
                      const std::map<std::string, SendStreamInfo>& sendingByMid,
                      const std::map<std::string, std::string>& refusedMids) {
  ValidateLocal(local);
  if (offer.media.empty()) throw AnswerError("offer has no media section");

  std::vector<MediaPlan> plans(offer.media.size());
  bool anyAccepted = false;
  bool dataChannelAccepted = false;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const SdpMediaSection& m = offer.media[i];
    MediaPlan& plan = plans[i];
    plan.offer = &m;
    plan.negotiated.mid = m.mid;
    plan.negotiated.kind = m.kind;
    if (m.Rejected()) {
      Reject(plan, "rejected in the offer (port 0)");
      continue;
    }
    if (m.mid.empty()) throw AnswerError("m-line " + std::to_string(i) + " has no a=mid");
    CheckOfferTransport(m);
    const bool bundled = Contains(offer.bundleMids, m.mid);
    if (m.kind == "application") {
      // RFC 8841 4 / 5.1: SCTP over DTLS over UDP (ICE), one data channel m-line per transport.
      const bool webrtc =
          m.protocol == "UDP/DTLS/SCTP" &&
          std::find(m.formats.begin(), m.formats.end(), "webrtc-datachannel") != m.formats.end();
      if (!webrtc) {
        Reject(plan, "unsupported data channel protocol '" + m.protocol + "'");
      } else if (!offer.bundleMids.empty() && !bundled) {
        Reject(plan, "not in the offer's BUNDLE group");
      } else if (dataChannelAccepted) {
        Reject(plan, "only one data channel m-line per transport");
      } else if (offer.bundleMids.empty() && anyAccepted) {
        Reject(plan, "offer has no BUNDLE group; only the first m-line is served");
      } else {
        dataChannelAccepted = true;
        plan.negotiated.dataChannel = true;
        plan.negotiated.remoteSctpPort =
            m.sctpPort != 0 ? m.sctpPort : SdpAnswerBuilder::kDefaultSctpPort;
        plan.negotiated.remoteMaxMessageSize =
            m.hasMaxMessageSize ? m.maxMessageSize : SdpAnswerBuilder::kDefaultMaxMessageSize;
      }
    } else if (m.kind != "audio" && m.kind != "video") {
      Reject(plan, "unsupported media kind '" + m.kind + "'");
    } else if (!m.IsRtp() || m.protocol.find("SAVP") == std::string::npos) {
      Reject(plan, "unsupported protocol '" + m.protocol + "'");  // only DTLS-SRTP
    } else if (!m.rtcpMux) {
      Reject(plan, "rtcp-mux is required");  // RFC 5761: one port for RTP and RTCP
    } else if (!offer.bundleMids.empty() && !bundled) {
      Reject(plan, "not in the offer's BUNDLE group");
    } else if (const auto refused = refusedMids.find(m.mid); refused != refusedMids.end()) {
      Reject(plan, refused->second);
    } else {
      Negotiate(plan, sendingByMid);
      // Without any BUNDLE group only one m-line can share the one transport.
      if (!plan.negotiated.rejected && offer.bundleMids.empty() && anyAccepted) {
        Reject(plan, "offer has no BUNDLE group; only the first m-line is served");
      }
    }
    anyAccepted |= !plan.negotiated.rejected;
  }

  // RFC 8843 §7.3.1: the answer's group lists accepted mids; the first one (the offerer's tag
  // when accepted, else the next accepted one) is the BUNDLE tag.
  std::vector<std::string> bundle;
  for (const auto& mid : offer.bundleMids) {
    const auto it = std::find_if(plans.begin(), plans.end(),
                                 [&](const MediaPlan& p) { return p.negotiated.mid == mid; });
    if (it != plans.end() && !it->negotiated.rejected) bundle.push_back(mid);
  }

  AnswerWriter writer(local);
  writer.Session(bundle);
  SdpAnswer answer;
  for (auto& plan : plans) {
    if (plan.negotiated.rejected) {
      writer.Rejected(*plan.offer);
    } else if (plan.negotiated.dataChannel) {
      writer.AcceptedDataChannel(plan);
    } else {
      writer.Accepted(plan);
    }
    answer.media.push_back(std::move(plan.negotiated));
  }
  answer.sdp = writer.Take();
  return answer;
}

}  // namespace

std::optional<SdpAnswer> SdpAnswerBuilder::Build(
    const SessionDescription& offer, const LocalTransportParameters& local,
    const std::map<std::string, SendStreamInfo>& sendingByMid, std::string* error,
    const std::map<std::string, std::string>& refusedMids) {
  try {
    return BuildAnswer(offer, local, sendingByMid, refusedMids);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
  } catch (...) {
    if (error) *error = "unexpected failure while building the SDP answer";
  }
  return std::nullopt;
}

}  // namespace myriad::signaling
