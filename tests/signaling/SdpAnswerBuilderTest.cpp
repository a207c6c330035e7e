#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "signaling/SdpAnswerBuilder.h"
#include "signaling/SessionDescription.h"

using myriad::signaling::LocalTransportParameters;
using myriad::signaling::NegotiatedMedia;
using myriad::signaling::SdpAnswer;
using myriad::signaling::SdpAnswerBuilder;
using myriad::signaling::SdpMediaSection;
using myriad::signaling::SendStreamInfo;
using myriad::signaling::SessionDescription;

namespace {

using SendingByMid = std::map<std::string, SendStreamInfo>;

const char* kFixtures[] = {"publish-audio-video.sdp",      "publish-and-subscribe.sdp",
                           "publish-simulcast.sdp",        "subscribe-stopped.sdp",
                           "publish-with-datachannel.sdp", "publish-h264.sdp"};

const std::string kFingerprint =
    "3C:4A:AA:37:9F:1B:6E:52:0C:D8:21:B1:B6:75:10:5C:0A:47:6D:40:8E:29:9B:97:28:15:F4:1A:7A:34:8C:"
    "E9";

LocalTransportParameters Local() {
  LocalTransportParameters local;
  local.iceUfrag = "MyR1";
  local.icePwd = "myriadIcePassword0123456";
  local.fingerprintSha256 = kFingerprint;
  local.candidateIp = "203.0.113.7";
  local.candidatePort = 40000;
  return local;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(std::string(MYRIAD_SOURCE_DIR) + "/tests/signaling/fixtures/" + name,
                   std::ios::binary);
  REQUIRE(in.good());
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

SessionDescription ParseOk(std::string_view sdp) {
  std::string error;
  auto parsed = SessionDescription::Parse(sdp, &error);
  INFO(error);
  REQUIRE(parsed.has_value());
  return *parsed;
}

SdpAnswer BuildOk(const SessionDescription& offer, const SendingByMid& sending = {},
                  const LocalTransportParameters& local = Local()) {
  std::string error;
  auto answer = SdpAnswerBuilder::Build(offer, local, sending, &error);
  INFO(error);
  REQUIRE(answer.has_value());
  return *answer;
}

std::string BuildError(const SessionDescription& offer, const SendingByMid& sending = {},
                       const LocalTransportParameters& local = Local()) {
  std::string error;
  auto answer = SdpAnswerBuilder::Build(offer, local, sending, &error);
  REQUIRE_FALSE(answer.has_value());
  REQUIRE_FALSE(error.empty());
  return error;
}

size_t CountOf(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

std::vector<uint8_t> ExtensionIds(const SdpMediaSection& m) {
  std::vector<uint8_t> ids;
  for (const auto& e : m.extensions) ids.push_back(e.id);
  return ids;
}

SendStreamInfo VideoStream(uint32_t ssrc, std::string codec = "VP8", std::string fmtp = "") {
  return {ssrc, ssrc + 1, "cnameP9c8d", "P9c8d", "T3f1a", std::move(codec), std::move(fmtp)};
}

SendStreamInfo AudioStream(uint32_t ssrc) {
  return {ssrc, 0, "cnameP9c8d", "P9c8d", "T3f1b", "opus", "minptime=10;useinbandfec=1"};
}

// Everything every answer must satisfy, checked by parsing it back.
SessionDescription CheckCommonAnswerShape(const SessionDescription& offer,
                                          const SdpAnswer& answer) {
  const std::string& sdp = answer.sdp;
  INFO(sdp);
  auto parsed = ParseOk(sdp);
  REQUIRE(parsed.media.size() == offer.media.size());
  REQUIRE(answer.media.size() == offer.media.size());
  CHECK(sdp.rfind("v=0\r\no=- ", 0) == 0);
  CHECK(CountOf(sdp, "\r\na=ice-lite\r\n") == 1);
  CHECK(CountOf(sdp, "\r\na=msid-semantic: WMS *\r\n") == 1);
  CHECK(CountOf(sdp, "\n") == CountOf(sdp, "\r\n"));  // CRLF only (RFC 8866 §5)
  std::vector<std::string> accepted;
  for (size_t i = 0; i < parsed.media.size(); ++i) {
    INFO("m-line " << i);
    const SdpMediaSection& m = parsed.media[i];
    const NegotiatedMedia& n = answer.media[i];
    CHECK(m.mid == offer.media[i].mid);
    CHECK(n.mid == offer.media[i].mid);
    CHECK(m.kind == offer.media[i].kind);
    CHECK(m.protocol == offer.media[i].protocol);
    CHECK(m.Rejected() == n.rejected);
    if (n.rejected) {
      CHECK_FALSE(n.rejectReason.empty());
      CHECK(m.port == 0);
      continue;
    }
    accepted.push_back(m.mid);
    CHECK(m.port == 40000);
    CHECK(m.iceUfrag == "MyR1");
    CHECK(m.icePwd == "myriadIcePassword0123456");
    CHECK(m.fingerprintAlgorithm == "sha-256");
    CHECK(m.fingerprint == kFingerprint);
    CHECK(m.setup == "passive");
    if (n.dataChannel) {
      // RFC 8841 5: no RTP attributes, the SCTP port and message size instead.
      CHECK(m.codecs.empty());
      CHECK(m.sctpPort == SdpAnswerBuilder::kDefaultSctpPort);
      CHECK(m.maxMessageSize == SdpAnswerBuilder::kLocalMaxMessageSize);
      continue;
    }
    CHECK(m.rtcpMux);
    CHECK(m.rtcpRsize == offer.media[i].rtcpRsize);
    // Exactly the chosen codec (plus its RTX) with the offer's payload types.
    REQUIRE(m.codecs.size() == 1);
    CHECK(m.codecs[0].payloadType == n.codec.payloadType);
    CHECK(m.codecs[0].name == n.codec.name);
    CHECK(m.codecs[0].rtxPayloadType == n.codec.rtxPayloadType);
    CHECK(m.codecs[0].rtcpFeedback == n.codec.rtcpFeedback);
    CHECK(m.codecs[0].fmtp == n.codec.fmtp);
    const auto* offered = &offer.media[i].codecs;
    CHECK(std::any_of(offered->begin(), offered->end(), [&](const auto& c) {
      return c.payloadType == n.codec.payloadType && c.name == n.codec.name &&
             c.rtxPayloadType == n.codec.rtxPayloadType;
    }));
    CHECK(m.extensions.size() == n.extensions.size());
    const std::string expectedDirection = n.serverReceives ? "recvonly"
                                          : n.serverSends  ? "sendonly"
                                                           : "inactive";
    CHECK(m.direction == expectedDirection);
  }
  CHECK(parsed.bundleMids == accepted);
  CHECK(CountOf(sdp, "a=candidate:1 1 udp 2130706431 203.0.113.7 40000 typ host\r\n") ==
        accepted.size());
  CHECK(CountOf(sdp, "a=end-of-candidates\r\n") == accepted.size());
  CHECK(CountOf(sdp, "c=IN IP4 203.0.113.7\r\n") == accepted.size());
  return parsed;
}

}  // namespace

TEST_CASE("answer to a Chromium audio+video publish", "[sdp][answer]") {
  auto offer = ParseOk(ReadFixture("publish-audio-video.sdp"));
  auto answer = BuildOk(offer);
  auto parsed = CheckCommonAnswerShape(offer, answer);
  CHECK(parsed.bundleMids == std::vector<std::string>{"0", "1"});

  const NegotiatedMedia& audio = answer.media[0];
  CHECK(audio.serverReceives);
  CHECK_FALSE(audio.serverSends);
  CHECK(audio.codec.name == "opus");
  CHECK(audio.codec.payloadType == 111);
  CHECK(audio.codec.channels == 2);
  CHECK(audio.codec.fmtp == "minptime=10;useinbandfec=1");
  CHECK(audio.transportCc);
  CHECK_FALSE(audio.nack);
  CHECK(audio.remoteSsrcs == std::vector<uint32_t>{1223901313});
  CHECK(ExtensionIds(parsed.media[0]) == std::vector<uint8_t>{1, 2, 3, 4});
  CHECK(answer.sdp.find("a=rtpmap:111 opus/48000/2\r\n") != std::string::npos);

  const NegotiatedMedia& video = answer.media[1];
  CHECK(video.serverReceives);
  CHECK(video.codec.name == "VP8");
  CHECK(video.codec.payloadType == 96);
  CHECK(video.codec.rtxPayloadType == 97);
  CHECK(video.nack);
  CHECK(video.pli);
  CHECK(video.fir);
  CHECK(video.transportCc);
  CHECK(video.remb);
  CHECK(video.remoteSsrcs == std::vector<uint32_t>{147133853, 2806359156});
  REQUIRE(video.remoteSsrcGroups.size() == 1);
  CHECK(video.remoteSsrcGroups[0].semantics == "FID");
  // toffset(14), playout-delay(5), content-type(6), timing(7), color-space(8) are declined.
  CHECK(ExtensionIds(parsed.media[1]) == std::vector<uint8_t>{2, 13, 3, 4, 10, 11});
  CHECK(answer.sdp.find("m=video 40000 UDP/TLS/RTP/SAVPF 96 97\r\n") != std::string::npos);
  CHECK(answer.sdp.find("a=fmtp:97 apt=96\r\n") != std::string::npos);
  // A receive-only answer announces no SSRCs of its own.
  CHECK(parsed.media[0].ssrcs.empty());
  CHECK(parsed.media[1].ssrcs.empty());
  CHECK(answer.sdp.find("a=msid:") == std::string::npos);
}

TEST_CASE("answer binds recvonly m-lines to send streams and leaves the rest inactive",
          "[sdp][answer]") {
  auto offer = ParseOk(ReadFixture("publish-and-subscribe.sdp"));
  const SendingByMid sending = {{"2", VideoStream(1111)}, {"4", AudioStream(3333)}};
  auto answer = BuildOk(offer, sending);
  auto parsed = CheckCommonAnswerShape(offer, answer);
  CHECK(parsed.bundleMids == std::vector<std::string>{"0", "1", "2", "3", "4", "5"});

  const SdpMediaSection& video = parsed.media[2];
  CHECK(video.direction == "sendonly");
  CHECK(answer.media[2].serverSends);
  CHECK_FALSE(answer.media[2].serverReceives);
  CHECK(answer.media[2].codec.name == "VP8");
  CHECK(answer.media[2].codec.rtxPayloadType == 97);
  CHECK(video.ssrcs == std::vector<uint32_t>{1111, 1112});
  REQUIRE(video.ssrcGroups.size() == 1);
  CHECK(video.ssrcGroups[0].semantics == "FID");
  CHECK(video.ssrcGroups[0].ssrcs == std::vector<uint32_t>{1111, 1112});
  CHECK(video.cname == "cnameP9c8d");
  CHECK(video.msidStream == "P9c8d");
  CHECK(video.msidTrack == "T3f1a");
  CHECK(answer.sdp.find("a=ssrc:1111 msid:P9c8d T3f1a\r\n") != std::string::npos);
  CHECK(answer.sdp.find("a=ssrc:1112 msid:P9c8d T3f1a\r\n") != std::string::npos);
  CHECK(answer.sdp.find("a=ssrc:1112 cname:cnameP9c8d\r\n") != std::string::npos);

  const SdpMediaSection& audio = parsed.media[4];
  CHECK(audio.direction == "sendonly");
  CHECK(answer.media[4].codec.name == "opus");
  CHECK(audio.ssrcs == std::vector<uint32_t>{3333});  // opus has no RTX
  CHECK(audio.ssrcGroups.empty());
  CHECK(audio.msidTrack == "T3f1b");

  // Unbound subscriptions stay negotiated (the SDK may bind them later) but idle.
  for (size_t i : {3u, 5u}) {
    INFO("mid " << i);
    CHECK(parsed.media[i].direction == "inactive");
    CHECK_FALSE(answer.media[i].rejected);
    CHECK_FALSE(answer.media[i].serverSends);
    CHECK(parsed.media[i].ssrcs.empty());
  }
  // The publishing m-lines are answered as in the publish-only case.
  CHECK(parsed.media[0].direction == "recvonly");
  CHECK(parsed.media[1].direction == "recvonly");
}

TEST_CASE("answer to a simulcast publish receives the offered rids", "[sdp][answer]") {
  auto offer = ParseOk(ReadFixture("publish-simulcast.sdp"));
  auto answer = BuildOk(offer);
  auto parsed = CheckCommonAnswerShape(offer, answer);
  const SdpMediaSection& video = parsed.media[0];
  CHECK(video.direction == "recvonly");
  REQUIRE(video.rids.size() == 3);
  CHECK(video.rids[0].id == "q");
  CHECK(video.rids[1].id == "h");
  CHECK(video.rids[2].id == "f");
  for (const auto& rid : video.rids) CHECK(rid.direction == "recv");
  CHECK(video.simulcast == "recv q;h;f");
  CHECK(answer.media[0].remoteRids.size() == 3);
  // mid(9), rtp-stream-id(10), repaired-rtp-stream-id(11) are what demultiplexes the layers.
  CHECK(ExtensionIds(video) == std::vector<uint8_t>{2, 3, 4, 9, 10, 11});
}

TEST_CASE("answer rejects the stopped transceiver and keeps it out of BUNDLE", "[sdp][answer]") {
  auto offer = ParseOk(ReadFixture("subscribe-stopped.sdp"));
  auto answer = BuildOk(offer, {{"3", VideoStream(5000)}});
  auto parsed = CheckCommonAnswerShape(offer, answer);
  CHECK(answer.media[2].rejected);
  CHECK(answer.media[2].rejectReason.find("port 0") != std::string::npos);
  CHECK(parsed.media[2].port == 0);
  CHECK(parsed.media[2].mid == "2");
  CHECK(parsed.bundleMids == std::vector<std::string>{"0", "1", "3", "4", "5"});
  CHECK(parsed.media[3].direction == "sendonly");
  CHECK(answer.sdp.find("m=video 0 UDP/TLS/RTP/SAVPF 96 97 98 ") != std::string::npos);
}

TEST_CASE("answer refuses the mids the room's limits refuse", "[sdp][answer]") {
  auto offer = ParseOk(ReadFixture("subscribe-stopped.sdp"));
  std::string error;
  const std::map<std::string, std::string> refused{{"0", "room has 50 publishers"}};
  auto answer =
      SdpAnswerBuilder::Build(offer, Local(), {{"3", VideoStream(5000)}}, &error, refused);
  REQUIRE(answer.has_value());
  auto parsed = CheckCommonAnswerShape(offer, *answer);
  CHECK(answer->media[0].rejected);
  CHECK(answer->media[0].rejectReason == "room has 50 publishers");
  CHECK_FALSE(answer->media[0].serverReceives);
  CHECK(parsed.media[0].port == 0);
  CHECK_FALSE(answer->media[1].rejected);
  CHECK(parsed.media[3].direction == "sendonly");
}

TEST_CASE("answer accepts a WebRTC data channel m-line (RFC 8841)", "[sdp][answer]") {
  auto offer = ParseOk(ReadFixture("publish-with-datachannel.sdp"));
  auto answer = BuildOk(offer);
  auto parsed = CheckCommonAnswerShape(offer, answer);
  const auto& data = answer.media[2];
  CHECK_FALSE(data.rejected);
  CHECK(data.kind == "application");
  CHECK(data.dataChannel);
  CHECK(data.remoteSctpPort == 5000);
  CHECK(data.remoteMaxMessageSize == 262144);  // Chromium's a=max-message-size
  CHECK_FALSE(answer.media[0].dataChannel);
  CHECK(parsed.bundleMids == std::vector<std::string>{"0", "1", "2"});
  REQUIRE(parsed.media.size() == 3);
  CHECK(parsed.media[2].kind == "application");
  CHECK(parsed.media[2].protocol == "UDP/DTLS/SCTP");
  CHECK(parsed.media[2].formats == std::vector<std::string>{"webrtc-datachannel"});
  CHECK(parsed.media[2].sctpPort == 5000);
  CHECK(parsed.media[2].maxMessageSize == SdpAnswerBuilder::kLocalMaxMessageSize);
  CHECK(parsed.media[2].setup == "passive");
  CHECK(parsed.media[2].port != 0);

  SECTION("without a=max-message-size the peer takes 64 KiB (RFC 8841 6.1)") {
    auto text = ReadFixture("publish-with-datachannel.sdp");
    const auto at = text.find("a=max-message-size:262144\r\n");
    REQUIRE(at != std::string::npos);
    text.erase(at, std::string("a=max-message-size:262144\r\n").size());
    auto answered = BuildOk(ParseOk(text));
    CHECK(answered.media[2].remoteMaxMessageSize == 65536);
  }
  SECTION("a legacy DTLS/SCTP m-line and a second data channel are refused") {
    auto text = ReadFixture("publish-with-datachannel.sdp");
    auto legacy = text;
    const auto at = legacy.find("UDP/DTLS/SCTP webrtc-datachannel");
    legacy.replace(at, std::string("UDP/DTLS/SCTP webrtc-datachannel").size(), "DTLS/SCTP 5000");
    auto refused = BuildOk(ParseOk(legacy));
    CHECK(refused.media[2].rejected);
    CHECK_FALSE(refused.media[2].dataChannel);
    CHECK(refused.sdp.find("m=application 0 DTLS/SCTP 5000\r\n") != std::string::npos);

    // A copy of the application section as mid 3, in the BUNDLE group.
    const auto start = text.find("m=application");
    auto second = text.substr(start);
    second.replace(second.find("a=mid:2"), 7, "a=mid:3");
    auto twice = text + second;
    twice.replace(twice.find("a=group:BUNDLE 0 1 2"), 20, "a=group:BUNDLE 0 1 2 3");
    auto answered = BuildOk(ParseOk(twice));
    CHECK(answered.media[2].dataChannel);
    CHECK(answered.media[3].rejected);
    CHECK(answered.media[3].rejectReason == "only one data channel m-line per transport");
  }
}

TEST_CASE("answer to an H.264-preferring publisher picks H.264", "[sdp][answer]") {
  auto offer = ParseOk(ReadFixture("publish-h264.sdp"));
  auto answer = BuildOk(offer);
  CheckCommonAnswerShape(offer, answer);
  const NegotiatedMedia& video = answer.media[1];
  CHECK(video.codec.name == "H264");
  CHECK(video.codec.payloadType == 102);
  CHECK(video.codec.rtxPayloadType == 103);
  CHECK(video.codec.fmtp ==
        "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f");
  CHECK(answer.sdp.find(
            "a=fmtp:102 "
            "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n") !=
        std::string::npos);
}

TEST_CASE("H.264 subscriptions match packetization-mode and profile", "[sdp][answer][h264]") {
  auto offer = ParseOk(ReadFixture("publish-and-subscribe.sdp"));
  auto chosenPt = [&](std::string codec, std::string fmtp) -> int {
    auto answer = BuildOk(offer, {{"2", VideoStream(7000, codec, fmtp)}});
    CheckCommonAnswerShape(offer, answer);
    return answer.media[2].rejected ? -1 : answer.media[2].codec.payloadType;
  };
  // Recvonly offer: 102 42001f/pm1, 104 42001f/pm0, 108 42e01f/pm1, 114 42e01f/pm0,
  // 116 4d001f/pm1, 39 4d001f/pm0, 41 f4001f/pm1, 43 f4001f/pm0.
  CHECK(chosenPt("H264",
                 "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f") == 102);
  CHECK(chosenPt("H264", "packetization-mode=1;profile-level-id=42e01f") == 108);
  CHECK(chosenPt("h264", "profile-level-id=42E034; packetization-mode=1") ==
        108);  // level may differ
  CHECK(chosenPt("H264", "packetization-mode=1;profile-level-id=4d0032") == 116);
  CHECK(chosenPt("H264", "packetization-mode=1;profile-level-id=f4001f") == 41);
  CHECK(chosenPt("H264", "packetization-mode=0;profile-level-id=42e01f") ==
        -1);                                                 // SFU needs mode 1
  CHECK(chosenPt("H264", "profile-level-id=42e01f") == -1);  // absent = mode 0
  CHECK(chosenPt("H264", "packetization-mode=1;profile-level-id=640c1f") ==
        -1);                                                                    // High not offered
  CHECK(chosenPt("H264", "packetization-mode=1;profile-level-id=42e0") == -1);  // malformed
  CHECK(chosenPt("H264", "packetization-mode=1") == 102);  // absent = 42 00 (Baseline)
  CHECK(chosenPt("VP8", "") == 96);
  CHECK(chosenPt("VP9", "profile-id=0") == -1);  // not forwarded by the SFU
  auto answer = BuildOk(
      offer, {{"2", VideoStream(7000, "H264", "packetization-mode=1;profile-level-id=640c1f")}});
  CHECK(answer.media[2].rejectReason == "no offered codec matches H264");
  // The answer keeps the offered fmtp of the chosen H.264 format and its RTX.
  auto h264 = BuildOk(
      offer, {{"2", VideoStream(7000, "H264", "packetization-mode=1;profile-level-id=42e01f")}});
  CHECK(h264.media[2].codec.rtxPayloadType == 109);
  CHECK(
      h264.sdp.find("a=fmtp:108 "
                    "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n") !=
      std::string::npos);
  // An audio codec on a video m-line, and vice versa, cannot match.
  CHECK(BuildOk(offer, {{"2", AudioStream(1)}}).media[2].rejected);
  CHECK(BuildOk(offer, {{"4", VideoStream(1)}}).media[4].rejected);
}

namespace {

// A hand-written offer to vary one thing at a time.
std::string SmallOffer(const std::string& extraSession = "", const std::string& audioExtra = "",
                       const std::string& videoExtra = "") {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE a v\r\n" +
         extraSession +
         "m=audio 9 UDP/TLS/RTP/SAVPF 0 111\r\n"
         "c=IN IP4 0.0.0.0\r\n"
         "a=mid:a\r\n"
         "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
         "a=fingerprint:sha-256 0A:1B:2C\r\na=setup:actpass\r\n"
         "a=rtcp-mux\r\na=sendonly\r\n"
         "a=rtpmap:111 opus/48000/2\r\n"
         "a=extmap:15 urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
         "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
         audioExtra +
         "m=video 9 UDP/TLS/RTP/SAVPF 96 97 98\r\n"
         "a=mid:v\r\n"
         "a=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n"
         "a=fingerprint:sha-256 0A:1B:2C\r\na=setup:actpass\r\n"
         "a=rtcp-mux\r\na=recvonly\r\n"
         "a=rtpmap:96 VP8/90000\r\na=rtpmap:97 rtx/90000\r\na=fmtp:97 apt=96\r\n"
         "a=rtpmap:98 AV1/90000\r\n"
         "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack pli\r\na=rtcp-fb:96 goog-lntf\r\na=rtcp-fb:96 ccm "
         "tmmbr\r\n" +
         videoExtra;
}

std::string Without(std::string sdp, const std::string& line) {
  for (size_t at = sdp.find(line); at != std::string::npos; at = sdp.find(line))
    sdp.erase(at, line.size());
  return sdp;
}

std::string Replace(std::string sdp, const std::string& from, const std::string& to) {
  for (size_t at = sdp.find(from); at != std::string::npos; at = sdp.find(from, at + to.size())) {
    sdp.replace(at, from.size(), to);
  }
  return sdp;
}

}  // namespace

TEST_CASE("answer filters feedback and extensions", "[sdp][answer]") {
  auto offer = ParseOk(SmallOffer());
  auto answer = BuildOk(offer);
  auto parsed = CheckCommonAnswerShape(offer, answer);
  // goog-lntf is not acted on; ccm tmmbr is (bitrate caps for native publishers).
  CHECK(answer.media[1].codec.rtcpFeedback ==
        std::vector<std::string>{"nack", "nack pli", "ccm tmmbr"});
  CHECK(answer.media[1].nack);
  CHECK(answer.media[1].pli);
  CHECK_FALSE(answer.media[1].fir);
  // PT 0 (PCMU) comes first in the offer but is not forwarded: opus is chosen.
  CHECK(answer.media[0].codec.payloadType == 111);
  // Extension id 15 needs the two-byte header form, which this answer does not enable.
  CHECK(ExtensionIds(parsed.media[0]) == std::vector<uint8_t>{1});
  CHECK(parsed.media[1].direction == "inactive");
  CHECK_FALSE(parsed.media[0].rtcpRsize);
  CHECK(answer.sdp.find("a=rtcp-rsize") == std::string::npos);
}

TEST_CASE("answer accepts the Dependency Descriptor only with RPSI", "[sdp][answer]") {
  const std::string dd =
      "a=extmap:9 "
      "https://aomediacodec.github.io/av1-rtp-spec/"
      "#dependency-descriptor-rtp-header-extension\r\n";
  const std::string withDescriptor =
      Replace(SmallOffer(), "a=rtcp-fb:96 nack\r\n", "a=rtcp-fb:96 nack\r\n" + dd);
  REQUIRE(withDescriptor != SmallOffer());
  {
    auto offer = ParseOk(withDescriptor);
    auto parsed = CheckCommonAnswerShape(offer, BuildOk(offer));
    // A browser-like offer: no RPSI, so the descriptor is declined.
    const auto ids = ExtensionIds(parsed.media[1]);
    CHECK(std::find(ids.begin(), ids.end(), 9) == ids.end());
  }
  {
    auto offer = ParseOk(Replace(withDescriptor, "a=rtcp-fb:96 nack\r\n",
                                 "a=rtcp-fb:96 nack\r\na=rtcp-fb:96 nack rpsi\r\n"));
    auto answer = BuildOk(offer);
    auto parsed = CheckCommonAnswerShape(offer, answer);
    const auto& feedback = answer.media[1].codec.rtcpFeedback;
    CHECK(std::find(feedback.begin(), feedback.end(), "nack rpsi") != feedback.end());
    const auto ids = ExtensionIds(parsed.media[1]);
    CHECK(std::find(ids.begin(), ids.end(), 9) != ids.end());
  }
}

TEST_CASE("answer rejects m-lines the server cannot serve", "[sdp][answer]") {
  SECTION("no supported codec") {
    auto offer = ParseOk(Replace(SmallOffer(), "a=rtpmap:96 VP8/90000", "a=rtpmap:96 VP9/90000"));
    auto answer = BuildOk(offer);
    CheckCommonAnswerShape(offer, answer);
    CHECK(answer.media[1].rejected);
    CHECK(answer.media[1].rejectReason == "no supported codec offered");
    auto audioOnlyPcmu = ParseOk(Replace(SmallOffer(), "opus/48000/2", "opus/48000/1"));
    CHECK(BuildOk(audioOnlyPcmu).media[0].rejected);
  }
  SECTION("no rtcp-mux") {
    auto offer = ParseOk(Replace(SmallOffer(), "a=rtcp-mux\r\na=recvonly", "a=recvonly"));
    auto answer = BuildOk(offer);
    CheckCommonAnswerShape(offer, answer);
    CHECK(answer.media[1].rejectReason == "rtcp-mux is required");
  }
  SECTION("not in the BUNDLE group") {
    auto offer = ParseOk(Replace(SmallOffer(), "BUNDLE a v", "BUNDLE a"));
    auto answer = BuildOk(offer);
    CheckCommonAnswerShape(offer, answer);
    CHECK(answer.media[1].rejected);
    CHECK(answer.media[1].rejectReason == "not in the offer's BUNDLE group");
  }
  SECTION("no BUNDLE group at all: only the first m-line") {
    auto offer = ParseOk(Without(SmallOffer(), "a=group:BUNDLE a v\r\n"));
    auto answer = BuildOk(offer);
    CHECK_FALSE(answer.media[0].rejected);
    CHECK(answer.media[1].rejected);
    CHECK(answer.sdp.find("a=group:") == std::string::npos);
  }
  SECTION("unbundled tag rejected: the next accepted mid leads the group") {
    auto offer = ParseOk(Replace(SmallOffer(), "opus/48000/2", "opus/48000/1"));
    auto answer = BuildOk(offer);
    auto parsed = CheckCommonAnswerShape(offer, answer);
    CHECK(parsed.bundleMids == std::vector<std::string>{"v"});
  }
  SECTION("plain RTP and unknown media kinds") {
    auto offer = ParseOk(Replace(SmallOffer(), "m=video 9 UDP/TLS/RTP/SAVPF", "m=video 9 RTP/AVP"));
    CHECK(BuildOk(offer).media[1].rejectReason == "unsupported protocol 'RTP/AVP'");
    auto text = ParseOk(Replace(SmallOffer(), "m=video 9", "m=text 9"));
    auto answer = BuildOk(text);
    CheckCommonAnswerShape(text, answer);
    CHECK(answer.media[1].rejectReason == "unsupported media kind 'text'");
  }
}

TEST_CASE("offers without usable ICE or DTLS parameters are errors", "[sdp][answer]") {
  CHECK(BuildError(ParseOk(Without(SmallOffer(), "a=ice-ufrag:abcd\r\n"))) ==
        "no ice-ufrag for mid a");
  CHECK(BuildError(ParseOk(Without(SmallOffer(), "a=ice-pwd:0123456789abcdefghijkl\r\n"))) ==
        "no ice-pwd for mid a");
  CHECK(BuildError(ParseOk(Without(SmallOffer(), "a=fingerprint:sha-256 0A:1B:2C\r\n"))) ==
        "no fingerprint for mid a");
  CHECK(BuildError(ParseOk(Without(SmallOffer(), "a=setup:actpass\r\n")))
            .find("not actpass/active") != std::string::npos);
  CHECK(BuildError(ParseOk(Replace(SmallOffer(), "a=setup:actpass", "a=setup:passive"))) ==
        "setup 'passive' is not actpass/active for mid a");
  // Session-level values satisfy every section.
  std::string sessionLevel =
      Without(Without(SmallOffer(), "a=ice-ufrag:abcd\r\n"), "a=setup:actpass\r\n");
  sessionLevel = Replace(sessionLevel, "a=group:BUNDLE a v\r\n",
                         "a=group:BUNDLE a v\r\na=ice-ufrag:abcd\r\na=setup:active\r\n");
  auto answer = BuildOk(ParseOk(sessionLevel));
  CHECK(answer.sdp.find("a=setup:passive") != std::string::npos);
  // A port-0 m-line needs no transport parameters.
  std::string stopped = Replace(SmallOffer(), "m=video 9", "m=video 0");
  stopped = Replace(stopped, "BUNDLE a v", "BUNDLE a");
  size_t videoStart = stopped.find("m=video");
  stopped =
      stopped.substr(0, videoStart) + Without(stopped.substr(videoStart), "a=ice-ufrag:abcd\r\n");
  CHECK(BuildOk(ParseOk(stopped)).media[1].rejected);
  // A live m-line without a=mid cannot be bundled.
  CHECK(BuildError(ParseOk(Replace(Without(SmallOffer(), "a=mid:v\r\n"), "BUNDLE a v",
                                   "BUNDLE a"))) == "m-line 1 has no a=mid");
}

TEST_CASE("bad local parameters and send streams are errors", "[sdp][answer]") {
  auto offer = ParseOk(SmallOffer());
  auto with = [](auto change) {
    LocalTransportParameters local = Local();
    change(local);
    return local;
  };
  BuildError(offer, {}, with([](auto& l) { l.iceUfrag = "abc"; }));
  BuildError(offer, {}, with([](auto& l) { l.iceUfrag = "ab cd"; }));
  BuildError(offer, {}, with([](auto& l) { l.icePwd = "short"; }));
  BuildError(offer, {}, with([](auto& l) { l.fingerprintSha256 = "AB:CD"; }));
  BuildError(offer, {}, with([](auto& l) { l.candidateIp = ""; }));
  BuildError(offer, {}, with([](auto& l) { l.candidateIp = "1.2.3.4\r\na=evil"; }));
  BuildError(offer, {}, with([](auto& l) { l.candidatePort = 0; }));
  auto bad = VideoStream(10);
  bad.trackId = "has space";
  CHECK(BuildError(offer, {{"v", bad}}).find("mid v") != std::string::npos);
  bad = VideoStream(10);
  bad.streamId = std::string(65, 'x');
  BuildError(offer, {{"v", bad}});
  bad = VideoStream(0);
  bad.rtxSsrc = 0;
  BuildError(offer, {{"v", bad}});
  bad = VideoStream(10);
  bad.cname = "";
  BuildError(offer, {{"v", bad}});
  // Bindings for publishing or unknown mids are ignored.
  BuildOk(offer, {{"a", AudioStream(1)}, {"nope", bad}});
}

TEST_CASE("answer details: IPv6 candidate, RTX SSRC 0, session version, sendrecv",
          "[sdp][answer]") {
  auto offer = ParseOk(SmallOffer());
  LocalTransportParameters local = Local();
  local.candidateIp = "2001:db8::7";
  local.sessionVersion = 5;
  auto stream = VideoStream(4242);
  stream.rtxSsrc = 0;
  auto answer = BuildOk(offer, {{"v", stream}}, local);
  CHECK(answer.sdp.find("c=IN IP6 2001:db8::7\r\n") != std::string::npos);
  CHECK(answer.sdp.find("a=candidate:1 1 udp 2130706431 2001:db8::7 40000 typ host\r\n") !=
        std::string::npos);
  CHECK(answer.sdp.find(" 5 IN IP4 127.0.0.1\r\n") != std::string::npos);
  auto parsed = ParseOk(answer.sdp);
  CHECK(parsed.media[1].direction == "sendonly");
  CHECK(parsed.media[1].ssrcs == std::vector<uint32_t>{4242});  // no RTX stream announced
  CHECK(parsed.media[1].ssrcGroups.empty());
  CHECK(answer.media[1].codec.rtxPayloadType == 97);  // RTX itself is still negotiated

  // The o= session id is stable for one transport (same ufrag) across answers.
  auto again = BuildOk(offer);
  auto sessionId = [](const std::string& sdp) { return sdp.substr(0, sdp.find(" ", 9)); };
  CHECK(sessionId(again.sdp) == sessionId(answer.sdp));

  // sendrecv is treated as publishing only.
  auto sendrecv = ParseOk(Replace(SmallOffer(), "a=sendonly", "a=sendrecv"));
  auto answered = BuildOk(sendrecv, {{"a", AudioStream(9)}});
  CHECK(ParseOk(answered.sdp).media[0].direction == "recvonly");
  CHECK(answered.media[0].serverReceives);
  CHECK_FALSE(answered.media[0].serverSends);
}

TEST_CASE("answers to truncated fixtures always parse back", "[sdp][answer][malformed]") {
  std::mt19937 rng(7);
  for (const char* name : kFixtures) {
    INFO(name);
    const std::string full = ReadFixture(name);
    std::uniform_int_distribution<size_t> cut(full.size() / 2, full.size());
    for (int i = 0; i < 200; ++i) {
      const size_t length = cut(rng);
      auto offer = SessionDescription::Parse(std::string_view(full).substr(0, length), nullptr);
      if (!offer) continue;
      SendingByMid sending;
      for (const auto& m : offer->media) {
        sending[m.mid] = m.kind == "audio" ? AudioStream(100) : VideoStream(200);
      }
      std::string error;
      auto answer = SdpAnswerBuilder::Build(*offer, Local(), sending, &error);
      if (answer) CheckCommonAnswerShape(*offer, *answer);
    }
  }
}

// Dev-time browser check (tests/signaling/fixtures/check-answers.mjs): answers the offer in
// $MYRIAD_SDP_OFFER_FILE into $MYRIAD_SDP_ANSWER_FILE. The first recvonly m-line of each kind
// is bound to a send stream, the others stay unbound. Hidden: only runs when named.
TEST_CASE("answer an offer file for the browser check", "[.][browser]") {
  const char* offerFile = std::getenv("MYRIAD_SDP_OFFER_FILE");
  const char* answerFile = std::getenv("MYRIAD_SDP_ANSWER_FILE");
  if (!offerFile || !answerFile) {
    WARN("set MYRIAD_SDP_OFFER_FILE and MYRIAD_SDP_ANSWER_FILE");
    return;
  }
  std::ifstream in(offerFile, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream content;
  content << in.rdbuf();
  auto offer = ParseOk(content.str());
  SendingByMid sending;
  bool boundAudio = false, boundVideo = false;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const SdpMediaSection& m = offer.media[i];
    if (m.direction != "recvonly" || m.Rejected()) continue;
    const uint32_t ssrc = 0x10000 + static_cast<uint32_t>(i) * 2;
    if (m.kind == "video" && !boundVideo) {
      sending[m.mid] = {ssrc, ssrc + 1, "myriadcname", "Pbrowser", "Tvideo" + m.mid, "VP8", ""};
      boundVideo = true;
    } else if (m.kind == "audio" && !boundAudio) {
      sending[m.mid] = {ssrc, 0, "myriadcname", "Pbrowser", "Taudio" + m.mid, "opus", ""};
      boundAudio = true;
    }
  }
  LocalTransportParameters local = Local();
  local.candidateIp = "127.0.0.1";
  if (const char* version = std::getenv("MYRIAD_SDP_SESSION_VERSION"))
    local.sessionVersion = std::stoull(version);
  auto answer = BuildOk(offer, sending, local);
  std::ofstream(answerFile, std::ios::binary) << answer.sdp;
}
