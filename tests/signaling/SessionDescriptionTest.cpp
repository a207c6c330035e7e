#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "signaling/SessionDescription.h"

using myriad::signaling::SdpCodec;
using myriad::signaling::SdpMediaSection;
using myriad::signaling::SessionDescription;

namespace {

// Offers captured from Chromium by tests/signaling/fixtures/capture-offers.mjs.
std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(MYRIAD_SOURCE_DIR) + "/tests/signaling/fixtures/" + name,
                   std::ios::binary);
  REQUIRE(in.good());
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

SessionDescription ParseOk(const std::string& sdp) {
  std::string error;
  auto parsed = SessionDescription::Parse(sdp, &error);
  INFO(error);
  REQUIRE(parsed.has_value());
  return *parsed;
}

std::string ParseError(const std::string& sdp) {
  std::string error;
  auto parsed = SessionDescription::Parse(sdp, &error);
  REQUIRE_FALSE(parsed.has_value());
  REQUIRE_FALSE(error.empty());
  return error;
}

const SdpCodec* FindCodec(const SdpMediaSection& m, uint8_t pt) {
  auto it = std::find_if(m.codecs.begin(), m.codecs.end(),
                         [&](const SdpCodec& c) { return c.payloadType == pt; });
  return it == m.codecs.end() ? nullptr : &*it;
}

std::string ExtensionUri(const SdpMediaSection& m, uint8_t id) {
  for (const auto& e : m.extensions) {
    if (e.id == id) return e.uri;
  }
  return {};
}

// A small hand-written offer with LF endings and transport attributes at session level.
const char* kMinimalOffer =
    "v=0\n"
    "o=- 1 1 IN IP4 127.0.0.1\n"
    "s=-\n"
    "t=0 0\n"
    "a=group:BUNDLE a\n"
    "a=ice-ufrag:abcd\n"
    "a=ice-pwd:0123456789abcdefghijkl\n"
    "a=fingerprint:SHA-256 0A:1B\n"
    "a=setup:ACTPASS\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\n"
    "c=IN IP4 0.0.0.0\n"
    "a=mid:a\n"
    "a=rtcp-mux\n"
    "a=rtpmap:111 opus/48000/2\n";

}  // namespace

TEST_CASE("Chromium publish offer: audio and video sendonly", "[sdp]") {
  auto offer = ParseOk(ReadFixture("publish-audio-video.sdp"));
  REQUIRE(offer.media.size() == 2);
  CHECK(offer.bundleMids == std::vector<std::string>{"0", "1"});

  const SdpMediaSection& audio = offer.media[0];
  CHECK(audio.kind == "audio");
  CHECK(audio.port == 9);
  CHECK(audio.protocol == "UDP/TLS/RTP/SAVPF");
  CHECK(audio.mid == "0");
  CHECK(audio.direction == "sendonly");
  CHECK_FALSE(audio.Rejected());
  CHECK(audio.IsRtp());
  CHECK(audio.iceUfrag == "Y+Ju");
  CHECK(audio.icePwd == "s4VT7MCZqFdBK0pcFT7/YlUB");
  CHECK(audio.fingerprintAlgorithm == "sha-256");
  CHECK(audio.fingerprint ==
        "69:A5:FC:85:53:2F:2E:4B:07:8A:60:F5:60:2D:4A:3B:A6:25:0A:4B:84:C6:3A:D4:CC:3C:BD:45:F5:51:"
        "D2:BA");
  CHECK(audio.setup == "actpass");
  CHECK(audio.rtcpMux);
  CHECK(audio.rtcpRsize);
  // m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126: order is the client's preference.
  REQUIRE(audio.codecs.size() == 8);
  CHECK(audio.formats.size() == 8);
  const SdpCodec& opus = audio.codecs[0];
  CHECK(opus.payloadType == 111);
  CHECK(opus.name == "opus");
  CHECK(opus.clockRate == 48000);
  CHECK(opus.channels == 2);
  CHECK(opus.fmtp == "minptime=10;useinbandfec=1");
  CHECK(opus.FmtpParameter("useinbandfec") == "1");
  CHECK(opus.rtcpFeedback == std::vector<std::string>{"transport-cc"});
  CHECK_FALSE(opus.rtxPayloadType);
  CHECK(audio.codecs[1].name == "red");
  CHECK(audio.codecs[2].name == "G722");
  CHECK(audio.codecs[2].clockRate == 8000);
  CHECK(audio.codecs[2].channels == 1);
  CHECK(ExtensionUri(audio, 1) == "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  CHECK(ExtensionUri(audio, 4) == "urn:ietf:params:rtp-hdrext:sdes:mid");
  CHECK(audio.ssrcs == std::vector<uint32_t>{1223901313});
  CHECK(audio.ssrcGroups.empty());
  CHECK(audio.cname == "b2kFO2qN9K4+LkC3");
  CHECK(audio.msidStream == "ccc1c9c2-175f-493d-87cf-520533068a51");
  CHECK(audio.msidTrack == "6f444e0a-0a1f-44e0-b161-dabe0bbcbe99");

  const SdpMediaSection& video = offer.media[1];
  CHECK(video.kind == "video");
  CHECK(video.mid == "1");
  CHECK(video.direction == "sendonly");
  // 23 formats, 11 of them rtx folded into their codec.
  CHECK(video.formats.size() == 23);
  REQUIRE(video.codecs.size() == 12);
  CHECK(std::none_of(video.codecs.begin(), video.codecs.end(),
                     [](const SdpCodec& c) { return c.name == "rtx"; }));
  const SdpCodec& vp8 = video.codecs[0];
  CHECK(vp8.payloadType == 96);
  CHECK(vp8.name == "VP8");
  CHECK(vp8.clockRate == 90000);
  CHECK(vp8.rtxPayloadType == 97);
  CHECK(vp8.rtcpFeedback ==
        std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"});
  const SdpCodec* h264 = FindCodec(video, 102);
  REQUIRE(h264);
  CHECK(h264->name == "H264");
  CHECK(h264->rtxPayloadType == 103);
  CHECK(h264->FmtpParameter("packetization-mode") == "1");
  CHECK(h264->FmtpParameter("PROFILE-LEVEL-ID") == "42001f");
  CHECK_FALSE(h264->FmtpParameter("sprop-parameter-sets"));
  REQUIRE(FindCodec(video, 104));
  CHECK(FindCodec(video, 104)->FmtpParameter("packetization-mode") == "0");
  REQUIRE(FindCodec(video, 118));
  CHECK(FindCodec(video, 118)->name == "red");
  CHECK(FindCodec(video, 118)->rtxPayloadType == 119);
  REQUIRE(FindCodec(video, 120));
  CHECK_FALSE(FindCodec(video, 120)->rtxPayloadType);  // ulpfec has no rtx
  CHECK(ExtensionUri(video, 13) == "urn:3gpp:video-orientation");
  CHECK(ExtensionUri(video, 10) == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  CHECK(ExtensionUri(video, 11) == "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id");
  CHECK(video.extensions.size() == 11);
  CHECK(video.ssrcs == std::vector<uint32_t>{147133853, 2806359156});
  REQUIRE(video.ssrcGroups.size() == 1);
  CHECK(video.ssrcGroups[0].semantics == "FID");
  CHECK(video.ssrcGroups[0].ssrcs == std::vector<uint32_t>{147133853, 2806359156});
  CHECK(video.msidTrack == "00adf971-24a1-4c92-9f2a-33d98abb34e3");
  CHECK(video.rids.empty());
  CHECK(video.simulcast.empty());
}

TEST_CASE("Chromium offer with publish and four recvonly subscriptions", "[sdp]") {
  auto offer = ParseOk(ReadFixture("publish-and-subscribe.sdp"));
  REQUIRE(offer.media.size() == 6);
  CHECK(offer.bundleMids == std::vector<std::string>{"0", "1", "2", "3", "4", "5"});
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"audio", "sendonly"}, {"video", "sendonly"}, {"video", "recvonly"},
      {"video", "recvonly"}, {"audio", "recvonly"}, {"audio", "recvonly"}};
  for (size_t i = 0; i < expected.size(); ++i) {
    INFO("m-line " << i);
    CHECK(offer.media[i].mid == std::to_string(i));
    CHECK(offer.media[i].kind == expected[i].first);
    CHECK(offer.media[i].direction == expected[i].second);
    CHECK(offer.media[i].iceUfrag == offer.media[0].iceUfrag);
  }
  const SdpMediaSection& recvVideo = offer.media[2];
  CHECK(recvVideo.ssrcs.empty());
  CHECK(recvVideo.msidStream.empty());
  CHECK(recvVideo.cname.empty());
  // The receive side lists more codecs (all VP9/H264/AV1 profiles it can decode).
  CHECK(recvVideo.formats.size() == 34);
  CHECK(recvVideo.codecs.size() == 18);
  REQUIRE(FindCodec(recvVideo, 108));
  CHECK(FindCodec(recvVideo, 108)->FmtpParameter("profile-level-id") == "42e01f");
  CHECK(FindCodec(recvVideo, 108)->rtxPayloadType == 109);
  REQUIRE(FindCodec(recvVideo, 49));
  CHECK(FindCodec(recvVideo, 49)->name == "flexfec-03");
  CHECK(offer.media[4].codecs[0].name == "opus");
  CHECK(offer.media[1].cname == "BCnT78B/lovQll0T");
}

TEST_CASE("Chromium simulcast offer has rids and a=simulcast", "[sdp]") {
  auto offer = ParseOk(ReadFixture("publish-simulcast.sdp"));
  REQUIRE(offer.media.size() == 1);
  const SdpMediaSection& video = offer.media[0];
  CHECK(video.direction == "sendonly");
  REQUIRE(video.rids.size() == 3);
  CHECK(video.rids[0].id == "q");
  CHECK(video.rids[1].id == "h");
  CHECK(video.rids[2].id == "f");
  for (const auto& rid : video.rids) {
    CHECK(rid.direction == "send");
    CHECK(rid.params.empty());
  }
  CHECK(video.simulcast == "send q;h;f");
  // With rids Chromium announces no SSRCs; the SFU learns them from rtp-stream-id.
  CHECK(video.ssrcs.empty());
  CHECK(ExtensionUri(video, 10) == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id");
  CHECK(ExtensionUri(video, 3) == "urn:3gpp:video-orientation");
  CHECK(video.msidStream == "4d899c24-f0b2-4541-9ba2-02f39343f661");
}

TEST_CASE("Chromium renegotiation with a stopped transceiver", "[sdp]") {
  auto offer = ParseOk(ReadFixture("subscribe-stopped.sdp"));
  REQUIRE(offer.media.size() == 6);
  // The stopped transceiver keeps its m-line with port 0 and leaves the BUNDLE group.
  CHECK(offer.bundleMids == std::vector<std::string>{"0", "1", "3", "4", "5"});
  CHECK(offer.media[2].mid == "2");
  CHECK(offer.media[2].port == 0);
  CHECK(offer.media[2].Rejected());
  CHECK(offer.media[2].direction == "inactive");
  // After the first round the default candidate's port appears on the BUNDLE tag.
  CHECK(offer.media[0].port == 56705);
  CHECK_FALSE(offer.media[0].Rejected());
  CHECK(offer.media[3].direction == "recvonly");
  CHECK_FALSE(offer.media[3].Rejected());
}

TEST_CASE("Chromium offer with a data channel", "[sdp]") {
  auto offer = ParseOk(ReadFixture("publish-with-datachannel.sdp"));
  REQUIRE(offer.media.size() == 3);
  CHECK(offer.bundleMids == std::vector<std::string>{"0", "1", "2"});
  const SdpMediaSection& data = offer.media[2];
  CHECK(data.kind == "application");
  CHECK(data.mid == "2");
  CHECK(data.protocol == "UDP/DTLS/SCTP");
  CHECK_FALSE(data.IsRtp());
  CHECK(data.formats == std::vector<std::string>{"webrtc-datachannel"});
  CHECK(data.codecs.empty());
  CHECK(data.sctpPort == 5000);
  CHECK(data.maxMessageSize == 262144);
  CHECK(data.direction == "sendrecv");  // RFC 8866 §6.7 default
  CHECK(data.fingerprint == offer.media[0].fingerprint);
}

TEST_CASE("Chromium offer with H.264 preferred", "[sdp]") {
  auto offer = ParseOk(ReadFixture("publish-h264.sdp"));
  REQUIRE(offer.media.size() == 2);
  const SdpMediaSection& video = offer.media[1];
  REQUIRE_FALSE(video.codecs.empty());
  CHECK(video.codecs[0].name == "H264");
  CHECK(video.codecs[0].payloadType == 102);
  CHECK(video.codecs[0].rtxPayloadType == 103);
  CHECK(video.codecs[0].FmtpParameter("packetization-mode") == "1");
  CHECK(offer.media[0].codecs[0].name == "opus");
}

TEST_CASE("every fixture parses identically with LF and CRLF line endings", "[sdp]") {
  for (const char* name :
       {"publish-audio-video.sdp", "publish-and-subscribe.sdp", "publish-simulcast.sdp",
        "subscribe-stopped.sdp", "publish-with-datachannel.sdp", "publish-h264.sdp"}) {
    INFO(name);
    std::string crlf = ReadFixture(name);
    REQUIRE(crlf.find("\r\n") != std::string::npos);
    std::string lf = crlf;
    lf.erase(std::remove(lf.begin(), lf.end(), '\r'), lf.end());
    auto a = ParseOk(crlf);
    auto b = ParseOk(lf);
    REQUIRE(a.media.size() == b.media.size());
    for (size_t i = 0; i < a.media.size(); ++i) {
      CHECK(a.media[i].mid == b.media[i].mid);
      CHECK(a.media[i].codecs.size() == b.media[i].codecs.size());
      CHECK(a.media[i].fingerprint == b.media[i].fingerprint);
      CHECK(a.media[i].ssrcs == b.media[i].ssrcs);
      CHECK(a.media[i].simulcast == b.media[i].simulcast);
    }
  }
}

TEST_CASE("session-level transport attributes are inherited and normalised", "[sdp]") {
  auto offer = ParseOk(kMinimalOffer);
  REQUIRE(offer.media.size() == 1);
  const SdpMediaSection& m = offer.media[0];
  CHECK(m.iceUfrag == "abcd");
  CHECK(m.icePwd == "0123456789abcdefghijkl");
  CHECK(m.fingerprintAlgorithm == "sha-256");
  CHECK(m.fingerprint == "0A:1B");
  CHECK(m.setup == "actpass");
  CHECK(m.direction == "sendrecv");
  CHECK(m.codecs.size() == 1);

  // Media-level values override the session-level ones.
  std::string overridden =
      std::string(kMinimalOffer) + "a=ice-ufrag:wxyz\na=setup:active\na=recvonly\n";
  auto offer2 = ParseOk(overridden);
  CHECK(offer2.media[0].iceUfrag == "wxyz");
  CHECK(offer2.media[0].setup == "active");
  CHECK(offer2.media[0].direction == "recvonly");
  CHECK(offer2.media[0].icePwd == "0123456789abcdefghijkl");
}

TEST_CASE("unknown attributes and lines are ignored, static payload types need no rtpmap",
          "[sdp]") {
  std::string sdp = std::string(kMinimalOffer) +
                    "a=x-unknown-thing:1 2 3\n"
                    "a=flag-without-value\n"
                    "b=AS:500\n"
                    "i=some title\n"
                    "m=audio 9 UDP/TLS/RTP/SAVPF 0 8 99\n"
                    "a=mid:b\n"
                    "a=rtcp-fb:* nack\n"
                    "a=fmtp:webrtc-datachannel ignored-here\r\n"
                    "\n";
  // "a=fmtp:webrtc-datachannel" is invalid for an RTP section.
  ParseError(sdp);
  sdp.erase(sdp.find("a=fmtp:webrtc"));
  auto offer = ParseOk(sdp);
  REQUIRE(offer.media.size() == 2);
  const SdpMediaSection& m = offer.media[1];
  // PT 99 has no rtpmap and is not static, so it cannot be interpreted and is dropped.
  REQUIRE(m.codecs.size() == 2);
  CHECK(m.codecs[0].name == "PCMU");
  CHECK(m.codecs[1].name == "PCMA");
  CHECK(m.codecs[1].clockRate == 8000);
  CHECK(m.codecs[0].rtcpFeedback == std::vector<std::string>{"nack"});
}

TEST_CASE("bundle-only sections are not rejected", "[sdp]") {
  std::string sdp =
      std::string(kMinimalOffer) + "m=video 0 UDP/TLS/RTP/SAVPF 96\na=mid:v\na=bundle-only\n";
  auto offer = ParseOk(sdp);
  CHECK(offer.media[1].port == 0);
  CHECK(offer.media[1].bundleOnly);
  CHECK_FALSE(offer.media[1].Rejected());
}

TEST_CASE("malformed SDP is rejected with a reason", "[sdp][malformed]") {
  const std::string base = kMinimalOffer;
  auto withLine = [&](const std::string& line) { return base + line + "\n"; };
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = base;
    s.replace(s.find(from), from.size(), to);
    return s;
  };

  CHECK(ParseError("") == "line 0: empty SDP");
  ParseError("\r\n\r\n");
  CHECK(ParseError("hello world").find("expected <type>=<value>") != std::string::npos);
  ParseError(std::string("\x00\x01\x02garbage", 10));
  CHECK(ParseError("o=- 1 1 IN IP4 127.0.0.1\nv=0\n").find("must start with v=0") !=
        std::string::npos);
  ParseError("v=1\nm=audio 9 RTP/AVP 0\n");
  ParseError(base + "v=0\n");
  // Missing m= line.
  CHECK(ParseError("v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nt=0 0\n").find("no media section") !=
        std::string::npos);
  // Bad m-lines.
  ParseError(withLine("m=audio"));
  ParseError(withLine("m=audio 9 UDP/TLS/RTP/SAVPF"));
  CHECK(ParseError(withLine("m=audio 70000 UDP/TLS/RTP/SAVPF 0")).find("bad port") !=
        std::string::npos);
  ParseError(withLine("m=audio -1 UDP/TLS/RTP/SAVPF 0"));
  ParseError(withLine("m=audio 9/x UDP/TLS/RTP/SAVPF 0"));
  ParseError(withLine("m=audio 9 UDP/TLS/RTP/SAVPF 128"));
  ParseError(withLine("m=audio 9 UDP/TLS/RTP/SAVPF opus"));
  // rtpmap.
  CHECK(ParseError(withLine("a=rtpmap:128 opus/48000/2")) ==
        "line 15: rtpmap payload type '128' is not 0-127");
  ParseError(withLine("a=rtpmap:300 opus/48000/2"));
  ParseError(withLine("a=rtpmap:x opus/48000/2"));
  ParseError(withLine("a=rtpmap:111 opus"));
  ParseError(withLine("a=rtpmap:112 opus/0"));
  ParseError(withLine("a=rtpmap:112 opus/48000/2/1"));
  ParseError(withLine("a=rtpmap:112 opus/48000/0"));
  ParseError(withLine("a=rtpmap:112 opus/99999999999"));
  CHECK(ParseError(withLine("a=rtpmap:111 opus/48000/2")).find("second rtpmap") !=
        std::string::npos);
  // Other numeric attributes.
  ParseError(withLine("a=fmtp:1000 apt=1"));
  ParseError(withLine("a=rtcp-fb:111"));
  ParseError(withLine("a=rtcp-fb:abc nack"));
  ParseError(withLine("a=extmap:0 urn:x"));
  ParseError(withLine("a=extmap:256 urn:x"));
  ParseError(withLine("a=extmap:3"));
  ParseError(withLine("a=extmap:3 urn:x\na=extmap:3 urn:y"));
  ParseError(withLine("a=ssrc:4294967296 cname:x"));
  ParseError(withLine("a=ssrc:abc cname:x"));
  ParseError(withLine("a=ssrc-group:FID 1 x"));
  ParseError(withLine("a=ssrc-group:FID"));
  ParseError(withLine("a=sctp-port:65536"));
  ParseError(withLine("a=max-message-size:-5"));
  ParseError(withLine("a=rid:q sideways"));
  ParseError(withLine("a=rid:q!x send"));
  ParseError(withLine("a=msid:a b c"));
  ParseError(withLine("a=mid:b"));  // second mid in one section
  ParseError(withLine("a=fingerprint:sha-256 XYZ"));
  ParseError(withLine("a=fingerprint:sha-256 0A:1"));
  ParseError(replace("a=mid:a", "a=mid:a b"));
  CHECK(ParseError(base + "m=audio 9 UDP/TLS/RTP/SAVPF 111\na=mid:a\n").find("duplicate mid") !=
        std::string::npos);
  CHECK(ParseError(replace("BUNDLE a", "BUNDLE a zz")).find("unknown mid") != std::string::npos);
  ParseError(withLine("a=mid\x01x"));
  ParseError(replace("a=rtcp-mux\n", "a=rtcp\rmux\n"));
  ParseError(withLine("A=foo"));
  ParseError(withLine("a"));
}

TEST_CASE("truncated Chromium offers never crash", "[sdp][malformed]") {
  std::mt19937 rng(20240613);
  for (const char* name :
       {"publish-audio-video.sdp", "publish-and-subscribe.sdp", "publish-simulcast.sdp",
        "subscribe-stopped.sdp", "publish-with-datachannel.sdp", "publish-h264.sdp"}) {
    INFO(name);
    const std::string full = ReadFixture(name);
    const auto fullMedia = ParseOk(full).media.size();
    // The BUNDLE group names every live mid, so until the last a=mid line is complete the
    // group refers to a mid that does not exist yet.
    const size_t lastMidEnd = full.find('\r', full.rfind("\na=mid:"));
    std::uniform_int_distribution<size_t> cut(0, full.size() - 1);
    for (int i = 0; i < 400; ++i) {
      const size_t length = cut(rng);
      INFO("truncated to " << length);
      std::string error;
      auto parsed = SessionDescription::Parse(std::string_view(full).substr(0, length), &error);
      if (length < lastMidEnd) CHECK_FALSE(parsed);
      if (parsed) {
        // Cut inside the last section, e.g. in the middle of an a=ssrc line's attribute.
        CHECK(parsed->media.size() == fullMedia);
      } else {
        CHECK_FALSE(error.empty());
      }
    }
  }
}

TEST_CASE("every prefix of a small offer is handled", "[sdp][malformed]") {
  const std::string full = kMinimalOffer;
  const size_t midEnd = full.find("a=mid:a") + 7;
  for (size_t length = 0; length <= full.size(); ++length) {
    INFO("prefix length " << length);
    std::string error;
    auto parsed = SessionDescription::Parse(full.substr(0, length), &error);
    CHECK(parsed.has_value() == error.empty());
    if (length < midEnd) CHECK_FALSE(parsed);
    // Cut at a line boundary after the mid: a complete, shorter offer.
    if (length >= midEnd && (full[length - 1] == '\n' || length == midEnd)) CHECK(parsed);
  }
}
