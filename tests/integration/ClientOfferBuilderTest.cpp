// The client's offers parse like Chromium's and the server can answer them.

#include <algorithm>
#include <catch2/catch.hpp>
#include <string_view>
#include <vector>

#include "loadtest/client/ClientOfferBuilder.h"
#include "signaling/SdpAnswerBuilder.h"
#include "signaling/SessionDescription.h"

namespace myriad::integration {
namespace {

using loadtest::ClientOfferBuilder;
using loadtest::OfferMediaLine;
using loadtest::OfferParameters;
using Direction = OfferMediaLine::Direction;

constexpr const char* kFingerprint =
    "E4:BC:C7:FF:E6:78:43:E5:A8:B5:31:78:7D:EE:30:AA:8F:74:7D:90:DF:F4:22:CE:26:D9:23:C4:D4:A8:1F:"
    "5C";

OfferParameters Parameters() {
  OfferParameters parameters;
  parameters.iceUfrag = "qgQX";
  parameters.icePwd = "K5f7D/vbObVrpxJnsUZkEHy1";
  parameters.fingerprintSha256 = kFingerprint;
  parameters.cname = "BCnT78B";
  parameters.streamId = "stream";
  return parameters;
}

std::vector<OfferMediaLine> Lines() {
  std::vector<OfferMediaLine> lines(4);
  lines[0] = {"0", "audio", Direction::kSendOnly, false, loadtest::VideoCodec::kVp8, 1111, 0, "a"};
  lines[1] = {"1",  "video", Direction::kSendOnly, false, loadtest::VideoCodec::kH264, 2222,
              3333, "v"};
  lines[2] = {"2", "video", Direction::kRecvOnly, true, loadtest::VideoCodec::kVp8, 0, 0, ""};
  lines[3] = {"3", "video", Direction::kRecvOnly, false, loadtest::VideoCodec::kVp8, 0, 0, ""};
  return lines;
}

}  // namespace

TEST_CASE("ClientOfferBuilder writes a Unified Plan offer like Chromium's", "[client]") {
  const auto lines = Lines();
  const std::string sdp = ClientOfferBuilder::Build(Parameters(), lines);
  std::string error;
  const auto offer = signaling::SessionDescription::Parse(sdp, &error);
  INFO(error << "\n" << sdp);
  REQUIRE(offer.has_value());
  REQUIRE(offer->media.size() == 4);
  // RFC 8843 7.2: the stopped m-line is outside the BUNDLE group.
  CHECK(offer->bundleMids == std::vector<std::string>{"0", "1", "3"});

  const auto& audio = offer->media[0];
  CHECK(audio.direction == "sendonly");
  CHECK(audio.iceUfrag == "qgQX");
  CHECK(audio.fingerprintAlgorithm == "sha-256");
  CHECK(audio.fingerprint == kFingerprint);
  CHECK(audio.setup == "actpass");
  CHECK(audio.rtcpMux);
  CHECK(audio.rtcpRsize);
  REQUIRE(audio.codecs.size() == 1);
  CHECK(audio.codecs[0].name == "opus");
  CHECK(audio.codecs[0].payloadType == 111);
  CHECK(audio.codecs[0].channels == 2);
  CHECK(audio.ssrcs == std::vector<uint32_t>{1111});
  CHECK(audio.cname == "BCnT78B");
  CHECK(audio.msidStream == "stream");
  CHECK(audio.msidTrack == "a");
  REQUIRE(audio.extensions.size() == 4);
  CHECK(audio.extensions[0].id == 1);  // Chromium's ids
  CHECK(audio.extensions[0].uri == "urn:ietf:params:rtp-hdrext:ssrc-audio-level");

  const auto& video = offer->media[1];
  REQUIRE(video.codecs.size() == 2);
  CHECK(video.codecs[0].name == "H264");  // the preferred codec first
  CHECK(video.codecs[0].payloadType == 108);
  CHECK(video.codecs[0].rtxPayloadType == std::optional<uint8_t>(109));
  CHECK(video.codecs[0].FmtpParameter("packetization-mode") == std::optional<std::string>("1"));
  CHECK(video.codecs[0].rtcpFeedback ==
        std::vector<std::string>{"goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"});
  CHECK(video.codecs[1].name == "VP8");
  REQUIRE(video.ssrcGroups.size() == 1);
  CHECK(video.ssrcGroups[0].semantics == "FID");
  CHECK(video.ssrcGroups[0].ssrcs == std::vector<uint32_t>{2222, 3333});

  CHECK(offer->media[2].Rejected());
  CHECK(offer->media[2].direction == "inactive");
  const auto& receiving = offer->media[3];
  CHECK(receiving.direction == "recvonly");
  CHECK(receiving.ssrcs.empty());
  REQUIRE(receiving.codecs.size() == 3);
  CHECK(receiving.codecs[0].name == "VP8");

  // The server answers it: publishes accepted, the unbound receiver idle.
  signaling::LocalTransportParameters local;
  local.iceUfrag = "serverufrag";
  local.icePwd = "serverpasswordserverpassword";
  local.fingerprintSha256 = kFingerprint;
  local.candidateIp = "127.0.0.1";
  local.candidatePort = 50000;
  const auto answer = signaling::SdpAnswerBuilder::Build(*offer, local, {}, &error);
  INFO(error);
  REQUIRE(answer.has_value());
  REQUIRE(answer->media.size() == 4);
  CHECK(answer->media[0].serverReceives);
  CHECK(answer->media[1].serverReceives);
  CHECK(answer->media[1].codec.name == "H264");
  CHECK(answer->media[2].rejected);
  CHECK(!answer->media[3].rejected);
  CHECK(!answer->media[3].serverSends);
}

TEST_CASE("ClientOfferBuilder leaves out the BUNDLE group when every m-line is stopped",
          "[client]") {
  auto lines = Lines();
  for (auto& line : lines) line.stopped = true;
  const std::string sdp = ClientOfferBuilder::Build(Parameters(), lines);
  CHECK(sdp.find("a=group:BUNDLE") == std::string::npos);
  std::string error;
  CHECK(signaling::SessionDescription::Parse(sdp, &error).has_value());
}

TEST_CASE("ClientOfferBuilder offers simulcast video with a=rid and a=simulcast, no SSRCs",
          "[client]") {
  std::vector<OfferMediaLine> lines(1);
  lines[0].mid = "0";
  lines[0].kind = "video";
  lines[0].direction = Direction::kSendOnly;
  lines[0].trackId = "v";
  lines[0].rids = {"q", "h", "f"};
  const std::string sdp = ClientOfferBuilder::Build(Parameters(), lines);
  std::string error;
  const auto offer = signaling::SessionDescription::Parse(sdp, &error);
  INFO(error << "\n" << sdp);
  REQUIRE(offer.has_value());
  const auto& video = offer->media[0];
  REQUIRE(video.rids.size() == 3);
  CHECK(video.rids[0].id == "q");
  CHECK(video.rids[2].id == "f");
  CHECK(video.rids[1].direction == "send");
  CHECK(video.simulcast == "send q;h;f");
  CHECK(video.ssrcs.empty());
  CHECK(video.msidTrack == "v");
  // The rid extension is offered so the streams can be told apart.
  bool ridExtension = false;
  for (const auto& extension : video.extensions) {
    ridExtension |= extension.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
  }
  CHECK(ridExtension);
}

TEST_CASE("ClientOfferBuilder offers long-term reference feedback on video only when asked",
          "[client][ltr]") {
  constexpr std::string_view kDependencyDescriptorUri =
      "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";
  const auto lines = Lines();
  for (const bool ltr : {false, true}) {
    INFO("longTermReferences " << ltr);
    OfferParameters parameters = Parameters();
    parameters.longTermReferences = ltr;
    const std::string sdp = ClientOfferBuilder::Build(parameters, lines);
    std::string error;
    const auto offer = signaling::SessionDescription::Parse(sdp, &error);
    INFO(error << "\n" << sdp);
    REQUIRE(offer.has_value());
    for (const auto& section : offer->media) {
      const bool video = section.kind == "video";
      for (const auto& codec : section.codecs) {
        if (codec.name == "rtx") continue;
        const bool rpsi = std::find(codec.rtcpFeedback.begin(), codec.rtcpFeedback.end(),
                                    "nack rpsi") != codec.rtcpFeedback.end();
        CHECK(rpsi == (ltr && video));
      }
      const bool descriptor = std::any_of(
          section.extensions.begin(), section.extensions.end(), [&](const auto& extension) {
            return extension.uri == kDependencyDescriptorUri &&
                   extension.id == parameters.extensions.dependencyDescriptor;
          });
      CHECK(descriptor == (ltr && video));
    }
  }
}

TEST_CASE("ClientOfferBuilder writes the data channel m-line as Chromium does", "[client][sctp]") {
  std::vector<OfferMediaLine> lines(2);
  lines[0] = {"0", "audio", Direction::kSendOnly, false, loadtest::VideoCodec::kVp8, 1111, 0, "a"};
  lines[1].mid = "1";
  lines[1].kind = "application";
  const std::string sdp = ClientOfferBuilder::Build(Parameters(), lines);
  INFO(sdp);
  // RFC 8841 5, attribute for attribute in the order of Chromium's offer
  // (tests/signaling/fixtures/publish-with-datachannel.sdp), last in the SDP.
  const std::string expected = std::string("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n") +
                               "c=IN IP4 0.0.0.0\r\n"
                               "a=ice-ufrag:qgQX\r\n"
                               "a=ice-pwd:K5f7D/vbObVrpxJnsUZkEHy1\r\n"
                               "a=ice-options:trickle\r\n"
                               "a=fingerprint:sha-256 " +
                               kFingerprint +
                               "\r\n"
                               "a=setup:actpass\r\n"
                               "a=mid:1\r\n"
                               "a=sctp-port:5000\r\n"
                               "a=max-message-size:262144\r\n";
  const size_t at = sdp.find("m=application");
  REQUIRE(at != std::string::npos);
  CHECK(sdp.substr(at) == expected);
  CHECK(sdp.find("a=group:BUNDLE 0 1\r\n") != std::string::npos);

  std::string error;
  const auto offer = signaling::SessionDescription::Parse(sdp, &error);
  INFO(error);
  REQUIRE(offer.has_value());
  REQUIRE(offer->media.size() == 2);
  const auto& data = offer->media[1];
  CHECK(data.kind == "application");
  CHECK(!data.IsRtp());
  CHECK(data.protocol == "UDP/DTLS/SCTP");
  CHECK(data.formats == std::vector<std::string>{"webrtc-datachannel"});
  CHECK(data.port == 9);
  CHECK(data.sctpPort == 5000);
  CHECK(data.maxMessageSize == 262144);
  CHECK(data.setup == "actpass");
  CHECK(data.fingerprint == kFingerprint);
  CHECK(offer->bundleMids == std::vector<std::string>{"0", "1"});
}

TEST_CASE("ClientOfferBuilder writes a stopped data channel m-line with port 0 outside BUNDLE",
          "[client][sctp]") {
  std::vector<OfferMediaLine> lines(2);
  lines[0].mid = "0";
  lines[0].kind = "application";
  lines[0].stopped = true;
  lines[1] = {"1", "audio", Direction::kSendOnly, false, loadtest::VideoCodec::kVp8, 1111, 0, "a"};
  OfferParameters parameters = Parameters();
  parameters.sctpPort = 5001;
  parameters.maxMessageSize = 65536;
  const std::string sdp = ClientOfferBuilder::Build(parameters, lines);
  INFO(sdp);
  CHECK(sdp.find("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n") != std::string::npos);
  CHECK(sdp.find("a=sctp-port:5001\r\n") != std::string::npos);
  CHECK(sdp.find("a=max-message-size:65536\r\n") != std::string::npos);
  std::string error;
  const auto offer = signaling::SessionDescription::Parse(sdp, &error);
  INFO(error);
  REQUIRE(offer.has_value());
  CHECK(offer->media[0].Rejected());
  CHECK(offer->bundleMids == std::vector<std::string>{"1"});
}

TEST_CASE("ClientOfferBuilder offers no data channel unless a line asks for one",
          "[client][sctp]") {
  const std::string sdp = ClientOfferBuilder::Build(Parameters(), Lines());
  CHECK(sdp.find("m=application") == std::string::npos);
  CHECK(sdp.find("sctp") == std::string::npos);
}

}  // namespace myriad::integration
