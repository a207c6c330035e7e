#include "signaling/SessionDescription.h"

#include <algorithm>
#include <map>
#include <stdexcept>
#include <utility>

#include "signaling/SdpGrammar.h"

namespace myriad::signaling {
namespace {

using namespace sdp_grammar;

// Thrown inside the parser only; Parse() turns it into nullopt + message.
class SdpSyntaxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

[[noreturn]] void Fail(size_t lineNumber, const std::string& what) {
  throw SdpSyntaxError("line " + std::to_string(lineNumber) + ": " + what);
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && IsSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && IsSpace(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && !IsSpace(text[i])) ++i;
    if (i > start) words.push_back(text.substr(start, i - start));
  }
  return words;
}

// "first rest of line" -> {"first", "rest of line"}.
std::pair<std::string_view, std::string_view> SplitFirstWord(std::string_view text) {
  text = Trim(text);
  size_t i = 0;
  while (i < text.size() && !IsSpace(text[i])) ++i;
  return {text.substr(0, i), Trim(text.substr(i))};
}

// RFC 8851 §10: rid-id = 1*(alpha-numeric / "-" / "_")
bool IsRidId(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
           c == '_';
  });
}

// RFC 8866 §9: proto = token *("/" token)
bool IsProtocol(std::string_view text) {
  size_t start = 0;
  while (true) {
    size_t slash = text.find('/', start);
    if (!IsToken(text.substr(start, slash == std::string_view::npos ? slash : slash - start)))
      return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

bool IsDirection(std::string_view name) {
  return name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive";
}

uint8_t ParsePayloadType(size_t lineNumber, std::string_view text, std::string_view what) {
  // RFC 3550 §5.1: PT is 7 bits.
  auto value = ParseUnsigned(text, 127);
  if (!value)
    Fail(lineNumber, std::string(what) + " payload type '" + std::string(text) + "' is not 0-127");
  return static_cast<uint8_t>(*value);
}

struct RtpMap {
  std::string name;
  uint32_t clockRate = 0;
  uint8_t channels = 1;
};

// RFC 3551 §6 static payload types, for m-lines that omit a=rtpmap for them.
std::optional<RtpMap> StaticPayloadType(uint8_t pt) {
  switch (pt) {
    case 0:
      return RtpMap{"PCMU", 8000, 1};
    case 3:
      return RtpMap{"GSM", 8000, 1};
    case 4:
      return RtpMap{"G723", 8000, 1};
    case 8:
      return RtpMap{"PCMA", 8000, 1};
    case 9:
      return RtpMap{"G722", 8000, 1};
    case 13:
      return RtpMap{"CN", 8000, 1};
    case 18:
      return RtpMap{"G729", 8000, 1};
    case 26:
      return RtpMap{"JPEG", 90000, 1};
    case 31:
      return RtpMap{"H261", 90000, 1};
    case 34:
      return RtpMap{"H263", 90000, 1};
    default:
      return std::nullopt;
  }
}

// Transport attributes that may appear at session level and are inherited by media sections.
struct TransportAttributes {
  std::string iceUfrag, icePwd, fingerprintAlgorithm, fingerprint, setup, direction;
};

// Everything collected for one media section before the codec list can be assembled: the
// order of a=rtpmap/a=fmtp/a=rtcp-fb lines relative to each other is not fixed by RFC 8866.
struct MediaInProgress {
  SdpMediaSection section;
  size_t firstLine = 0;
  std::vector<uint8_t> payloadTypes;
  std::map<uint8_t, RtpMap> rtpMaps;
  std::map<uint8_t, std::string> fmtps;
  std::map<uint8_t, std::vector<std::string>> feedback;
  std::vector<std::string> wildcardFeedback;
  std::string ssrcMsidStream, ssrcMsidTrack;
};

class Parser {
 public:
  SessionDescription Run(std::string_view sdp) {
    size_t position = 0;
    size_t lineNumber = 0;
    bool sawVersion = false;
    while (position < sdp.size()) {
      size_t end = sdp.find('\n', position);
      if (end == std::string_view::npos) end = sdp.size();
      std::string_view line = sdp.substr(position, end - position);
      position = end + 1;
      ++lineNumber;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty()) continue;  // tolerated, e.g. a trailing blank line
      for (char c : line) {
        auto u = static_cast<unsigned char>(c);
        // RFC 8866 §9: no CR, LF or NUL inside a line; other controls have no business here
        // and would be echoed into the answer.
        if ((u < 0x20 && c != '\t') || u == 0x7F) Fail(lineNumber, "control character in line");
      }
      // RFC 8866 §5: <type>=<value>, type is exactly one case-significant character.
      if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
        Fail(lineNumber, "expected <type>=<value>");
      }
      const char type = line[0];
      const std::string_view value = line.substr(2);
      if (!sawVersion) {
        if (type != 'v') Fail(lineNumber, "SDP must start with v=0");
        if (value != "0") Fail(lineNumber, "unsupported SDP version '" + std::string(value) + "'");
        sawVersion = true;
        continue;
      }
      if (type == 'v') Fail(lineNumber, "duplicate v= line");
      if (type == 'm') {
        FinishMedia();
        StartMedia(lineNumber, value);
        continue;
      }
      // o=, s=, t=, c=, b=, ... carry nothing an ICE-lite SFU needs.
      if (type != 'a') continue;
      const size_t colon = value.find(':');
      const std::string_view name = value.substr(0, colon);
      const std::string_view attributeValue =
          colon == std::string_view::npos ? std::string_view() : Trim(value.substr(colon + 1));
      if (current_) {
        MediaAttribute(lineNumber, name, attributeValue);
      } else {
        SessionAttribute(lineNumber, name, attributeValue);
      }
    }
    if (!sawVersion) Fail(lineNumber, "empty SDP");
    FinishMedia();
    if (result_.media.empty()) Fail(lineNumber, "no media section (m= line)");
    Validate();
    return std::move(result_);
  }

 private:
  bool TransportAttribute(size_t lineNumber, std::string_view name, std::string_view value,
                          TransportAttributes& into) {
    if (name == "ice-ufrag") {
      into.iceUfrag = value;
    } else if (name == "ice-pwd") {
      into.icePwd = value;
    } else if (name == "fingerprint") {
      auto [algorithm, fingerprint] = SplitFirstWord(value);
      if (!IsToken(algorithm) || !IsFingerprint(fingerprint)) {
        Fail(lineNumber, "malformed fingerprint '" + std::string(value) + "'");
      }
      // RFC 8122 allows several; the first one is the one the DTLS layer checks.
      if (into.fingerprint.empty()) {
        into.fingerprintAlgorithm = Lower(algorithm);
        into.fingerprint = fingerprint;
      }
    } else if (name == "setup") {
      into.setup = Lower(value);
    } else if (IsDirection(name)) {
      into.direction = name;
    } else {
      return false;
    }
    return true;
  }

  void SessionAttribute(size_t lineNumber, std::string_view name, std::string_view value) {
    if (TransportAttribute(lineNumber, name, value, session_)) return;
    if (name == "group") {
      auto words = SplitWords(value);
      // RFC 8843 §7.1; only the first BUNDLE group matters for a one-transport SFU.
      if (words.empty() || words[0] != "BUNDLE" || sawBundleGroup_) return;
      sawBundleGroup_ = true;
      for (size_t i = 1; i < words.size(); ++i) {
        if (!IsToken(words[i])) Fail(lineNumber, "bad mid in BUNDLE group");
        result_.bundleMids.emplace_back(words[i]);
      }
    }
  }

  void StartMedia(size_t lineNumber, std::string_view value) {
    // RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
    auto words = SplitWords(value);
    if (words.size() < 4) Fail(lineNumber, "m= line needs <media> <port> <proto> <fmt>...");
    current_.emplace();
    current_->firstLine = lineNumber;
    SdpMediaSection& section = current_->section;
    if (!IsToken(words[0])) Fail(lineNumber, "bad media type");
    section.kind = words[0];
    std::string_view portText = words[1];
    if (size_t slash = portText.find('/'); slash != std::string_view::npos) {
      if (!ParseUnsigned(portText.substr(slash + 1), 65535)) {
        Fail(lineNumber, "bad number of ports '" + std::string(portText) + "'");
      }
      portText = portText.substr(0, slash);
    }
    auto port = ParseUnsigned(portText, 65535);
    if (!port) Fail(lineNumber, "bad port '" + std::string(words[1]) + "'");
    section.port = static_cast<uint16_t>(*port);
    if (!IsProtocol(words[2])) Fail(lineNumber, "bad transport protocol");
    section.protocol = words[2];
    for (size_t i = 3; i < words.size(); ++i) {
      if (!IsToken(words[i])) Fail(lineNumber, "bad format '" + std::string(words[i]) + "'");
      section.formats.emplace_back(words[i]);
      if (section.IsRtp()) {
        uint8_t pt = ParsePayloadType(lineNumber, words[i], "m= line");
        auto& pts = current_->payloadTypes;
        if (std::find(pts.begin(), pts.end(), pt) == pts.end()) pts.push_back(pt);
      }
    }
  }

  void MediaAttribute(size_t lineNumber, std::string_view name, std::string_view value) {
    MediaInProgress& media = *current_;
    SdpMediaSection& section = media.section;
    if (TransportAttribute(lineNumber, name, value, mediaTransport_)) return;
    if (name == "mid") {
      if (!IsToken(value)) Fail(lineNumber, "bad mid '" + std::string(value) + "'");
      if (!section.mid.empty()) Fail(lineNumber, "second a=mid in one media section");
      section.mid = value;
    } else if (name == "rtpmap") {
      // RFC 8866 §6.6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]
      auto [ptText, encoding] = SplitFirstWord(value);
      uint8_t pt = ParsePayloadType(lineNumber, ptText, "rtpmap");
      std::vector<std::string_view> parts;
      size_t start = 0;
      while (true) {
        size_t slash = encoding.find('/', start);
        parts.push_back(
            encoding.substr(start, slash == std::string_view::npos ? slash : slash - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
      }
      if (parts.size() < 2 || parts.size() > 3 || !IsToken(parts[0])) {
        Fail(lineNumber, "malformed rtpmap '" + std::string(value) + "'");
      }
      RtpMap map;
      map.name = parts[0];
      auto clock = ParseUnsigned(parts[1], UINT32_MAX);
      if (!clock || *clock == 0)
        Fail(lineNumber, "bad rtpmap clock rate '" + std::string(parts[1]) + "'");
      map.clockRate = static_cast<uint32_t>(*clock);
      if (parts.size() == 3) {
        auto channels = ParseUnsigned(parts[2], 255);
        if (!channels || *channels == 0) Fail(lineNumber, "bad rtpmap channel count");
        map.channels = static_cast<uint8_t>(*channels);
      }
      if (!media.rtpMaps.emplace(pt, std::move(map)).second) {
        Fail(lineNumber, "second rtpmap for payload type " + std::to_string(pt));
      }
    } else if (name == "fmtp") {
      // Non-RTP sections (SCTP) have no payload types; their fmtp, if any, is irrelevant.
      if (!section.IsRtp()) return;
      auto [ptText, parameters] = SplitFirstWord(value);
      uint8_t pt = ParsePayloadType(lineNumber, ptText, "fmtp");
      media.fmtps.emplace(pt, std::string(parameters));
    } else if (name == "rtcp-fb") {
      if (!section.IsRtp()) return;
      // RFC 4585 §4.2: a=rtcp-fb:<pt|*> <type> [<parameters>]
      auto [ptText, feedbackText] = SplitFirstWord(value);
      auto words = SplitWords(feedbackText);
      if (words.empty()) Fail(lineNumber, "rtcp-fb without a feedback type");
      std::string feedback;
      for (auto word : words) feedback += (feedback.empty() ? "" : " ") + std::string(word);
      if (ptText == "*") {
        media.wildcardFeedback.push_back(std::move(feedback));
      } else {
        media.feedback[ParsePayloadType(lineNumber, ptText, "rtcp-fb")].push_back(
            std::move(feedback));
      }
    } else if (name == "extmap") {
      // RFC 8285 §5: a=extmap:<id>[/<direction>] <URI> [<attributes>]
      auto [idText, rest] = SplitFirstWord(value);
      idText = idText.substr(0, idText.find('/'));
      auto id = ParseUnsigned(idText, 255);
      if (!id || *id == 0) Fail(lineNumber, "extmap id '" + std::string(idText) + "' is not 1-255");
      auto [uri, attributes] = SplitFirstWord(rest);
      if (uri.empty()) Fail(lineNumber, "extmap without URI");
      for (const auto& existing : section.extensions) {
        if (existing.id == *id) Fail(lineNumber, "second extmap with id " + std::to_string(*id));
      }
      section.extensions.push_back({static_cast<uint8_t>(*id), std::string(uri)});
    } else if (name == "ssrc") {
      // RFC 5576 §4.1: a=ssrc:<ssrc-id> <attribute>[:<value>]
      auto [ssrcText, attribute] = SplitFirstWord(value);
      auto ssrc = ParseUnsigned(ssrcText, UINT32_MAX);
      if (!ssrc) Fail(lineNumber, "bad ssrc '" + std::string(ssrcText) + "'");
      auto& ssrcs = section.ssrcs;
      if (std::find(ssrcs.begin(), ssrcs.end(), *ssrc) == ssrcs.end()) {
        ssrcs.push_back(static_cast<uint32_t>(*ssrc));
      }
      const size_t colon = attribute.find(':');
      const std::string_view attributeName = attribute.substr(0, colon);
      const std::string_view attributeValue =
          colon == std::string_view::npos ? std::string_view() : Trim(attribute.substr(colon + 1));
      if (attributeName == "cname" && section.cname.empty()) {
        section.cname = attributeValue;
      } else if (attributeName == "msid" && media.ssrcMsidStream.empty()) {
        auto words = SplitWords(attributeValue);
        if (!words.empty()) media.ssrcMsidStream = words[0];
        if (words.size() > 1) media.ssrcMsidTrack = words[1];
      }
    } else if (name == "ssrc-group") {
      // RFC 5576 §4.2: a=ssrc-group:<semantics> <ssrc-id> ...
      auto words = SplitWords(value);
      if (words.size() < 2 || !IsToken(words[0])) Fail(lineNumber, "malformed ssrc-group");
      SdpSsrcGroup group{std::string(words[0]), {}};
      for (size_t i = 1; i < words.size(); ++i) {
        auto ssrc = ParseUnsigned(words[i], UINT32_MAX);
        if (!ssrc) Fail(lineNumber, "bad ssrc '" + std::string(words[i]) + "' in ssrc-group");
        group.ssrcs.push_back(static_cast<uint32_t>(*ssrc));
      }
      section.ssrcGroups.push_back(std::move(group));
    } else if (name == "msid") {
      // RFC 8830 §2: a=msid:<stream id> [<track id>]; Chrome writes "-" for "no stream".
      auto words = SplitWords(value);
      if (words.empty() || words.size() > 2) Fail(lineNumber, "malformed msid");
      section.msidStream = words[0];
      section.msidTrack = words.size() > 1 ? std::string(words[1]) : std::string();
    } else if (name == "rid") {
      // RFC 8851 §10: a=rid:<rid-id> <send|recv> [<restrictions>]
      auto [id, rest] = SplitFirstWord(value);
      auto [direction, params] = SplitFirstWord(rest);
      if (!IsRidId(id)) Fail(lineNumber, "bad rid id '" + std::string(id) + "'");
      if (direction != "send" && direction != "recv") {
        Fail(lineNumber, "rid direction must be send or recv");
      }
      section.rids.push_back({std::string(id), std::string(direction), std::string(params)});
    } else if (name == "simulcast") {
      section.simulcast = value;
    } else if (name == "rtcp-mux") {
      section.rtcpMux = true;
    } else if (name == "rtcp-rsize") {
      section.rtcpRsize = true;
    } else if (name == "bundle-only") {
      section.bundleOnly = true;
    } else if (name == "sctp-port") {
      auto port = ParseUnsigned(value, 65535);
      if (!port) Fail(lineNumber, "bad sctp-port '" + std::string(value) + "'");
      section.sctpPort = static_cast<uint16_t>(*port);
    } else if (name == "max-message-size") {
      auto size = ParseUnsigned(value, UINT32_MAX);
      if (!size) Fail(lineNumber, "bad max-message-size '" + std::string(value) + "'");
      section.maxMessageSize = static_cast<uint32_t>(*size);
      section.hasMaxMessageSize = true;
    }
    // Anything else (rtcp, ice-options, rtcp-xr, candidate, extmap-allow-mixed, ...) is not
    // needed to answer and is ignored.
  }

  void FinishMedia() {
    if (!current_) return;
    MediaInProgress& media = *current_;
    SdpMediaSection& section = media.section;

    for (uint8_t pt : media.payloadTypes) {
      SdpCodec codec;
      codec.payloadType = pt;
      auto map = media.rtpMaps.find(pt);
      std::optional<RtpMap> rtpMap =
          map != media.rtpMaps.end() ? std::optional<RtpMap>(map->second) : StaticPayloadType(pt);
      if (!rtpMap) continue;  // a dynamic PT without rtpmap cannot be interpreted
      codec.name = rtpMap->name;
      codec.clockRate = rtpMap->clockRate;
      codec.channels = rtpMap->channels;
      if (auto fmtp = media.fmtps.find(pt); fmtp != media.fmtps.end()) codec.fmtp = fmtp->second;
      if (auto fb = media.feedback.find(pt); fb != media.feedback.end())
        codec.rtcpFeedback = fb->second;
      for (const auto& fb : media.wildcardFeedback) {
        if (std::find(codec.rtcpFeedback.begin(), codec.rtcpFeedback.end(), fb) ==
            codec.rtcpFeedback.end()) {
          codec.rtcpFeedback.push_back(fb);
        }
      }
      section.codecs.push_back(std::move(codec));
    }
    // RFC 4588 §8.6: rtx/<clock> with fmtp apt=<associated PT>.
    for (const SdpCodec& rtx : section.codecs) {
      if (!IEquals(rtx.name, "rtx")) continue;
      auto apt = rtx.FmtpParameter("apt");
      auto associated = apt ? ParseUnsigned(*apt, 127) : std::nullopt;
      if (!associated) continue;
      for (SdpCodec& codec : section.codecs) {
        if (codec.payloadType == *associated && !IEquals(codec.name, "rtx") &&
            !codec.rtxPayloadType) {
          codec.rtxPayloadType = rtx.payloadType;
        }
      }
    }
    std::erase_if(section.codecs, [](const SdpCodec& c) { return IEquals(c.name, "rtx"); });

    if (section.msidStream.empty()) {
      section.msidStream = media.ssrcMsidStream;
      section.msidTrack = media.ssrcMsidTrack;
    }
    // RFC 8866 §6.7: direction defaults to the session-level one, else sendrecv.
    section.direction = !mediaTransport_.direction.empty() ? mediaTransport_.direction
                        : !session_.direction.empty()      ? session_.direction
                                                           : "sendrecv";
    auto inherit = [](const std::string& own, const std::string& session) {
      return own.empty() ? session : own;
    };
    section.iceUfrag = inherit(mediaTransport_.iceUfrag, session_.iceUfrag);
    section.icePwd = inherit(mediaTransport_.icePwd, session_.icePwd);
    section.setup = inherit(mediaTransport_.setup, session_.setup);
    if (!mediaTransport_.fingerprint.empty()) {
      section.fingerprintAlgorithm = mediaTransport_.fingerprintAlgorithm;
      section.fingerprint = mediaTransport_.fingerprint;
    } else {
      section.fingerprintAlgorithm = session_.fingerprintAlgorithm;
      section.fingerprint = session_.fingerprint;
    }
    result_.media.push_back(std::move(section));
    current_.reset();
    mediaTransport_ = {};
  }

  void Validate() {
    // RFC 5888 §4: mids are unique within the session.
    for (size_t i = 0; i < result_.media.size(); ++i) {
      const std::string& mid = result_.media[i].mid;
      if (mid.empty()) continue;
      for (size_t j = i + 1; j < result_.media.size(); ++j) {
        if (result_.media[j].mid == mid) throw SdpSyntaxError("duplicate mid '" + mid + "'");
      }
    }
    for (const auto& mid : result_.bundleMids) {
      if (!result_.FindMid(mid))
        throw SdpSyntaxError("BUNDLE group names unknown mid '" + mid + "'");
    }
  }

  SessionDescription result_;
  TransportAttributes session_;
  TransportAttributes mediaTransport_;
  std::optional<MediaInProgress> current_;
  bool sawBundleGroup_ = false;
};

}  // namespace

std::optional<std::string> SdpCodec::FmtpParameter(std::string_view key) const {
  std::string_view rest = fmtp;
  while (!rest.empty()) {
    size_t semicolon = rest.find(';');
    std::string_view item = Trim(rest.substr(0, semicolon));
    rest = semicolon == std::string_view::npos ? std::string_view() : rest.substr(semicolon + 1);
    size_t equals = item.find('=');
    if (IEquals(Trim(item.substr(0, equals)), key)) {
      return equals == std::string_view::npos ? std::string()
                                              : std::string(Trim(item.substr(equals + 1)));
    }
  }
  return std::nullopt;
}

bool SdpMediaSection::IsRtp() const {
  // "RTP/AVP", "RTP/SAVPF", "UDP/TLS/RTP/SAVPF", "TCP/DTLS/RTP/SAVPF", ...
  return protocol.find("RTP/") != std::string::npos;
}

const SdpMediaSection* SessionDescription::FindMid(std::string_view mid) const {
  for (const auto& section : media) {
    if (section.mid == mid) return &section;
  }
  return nullptr;
}

std::optional<SessionDescription> SessionDescription::Parse(std::string_view sdp,
                                                            std::string* error) {
  try {
    return Parser().Run(sdp);
  } catch (const std::exception& e) {
    if (error) *error = e.what();
  } catch (...) {
    if (error) *error = "unexpected failure while parsing SDP";
  }
  return std::nullopt;
}

}  // namespace myriad::signaling
