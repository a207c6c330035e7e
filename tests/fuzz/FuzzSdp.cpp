// libFuzzer target for the SDP offer parser and the answer builder: any input must either be
// rejected with an error or parse; a parsed offer must either be refused with an error or yield
// an answer that our own parser accepts again with the same number of m-lines.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "signaling/SdpAnswerBuilder.h"
#include "signaling/SessionDescription.h"

using myriad::signaling::LocalTransportParameters;
using myriad::signaling::SdpAnswerBuilder;
using myriad::signaling::SendStreamInfo;
using myriad::signaling::SessionDescription;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  auto offer = SessionDescription::Parse(text, &error);
  if (!offer) {
    if (error.empty()) __builtin_trap();
    return 0;
  }

  LocalTransportParameters local;
  local.iceUfrag = "fuzz";
  local.icePwd = "fuzzfuzzfuzzfuzzfuzzfuzz";
  local.fingerprintSha256 =
      "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:"
      "EE:FF";
  local.candidateIp = "192.0.2.1";
  local.candidatePort = 50000;

  // Bind every mid, with the codec picked from the input so H264 matching is exercised too.
  std::map<std::string, SendStreamInfo> sending;
  uint32_t ssrc = 1000;
  for (const auto& m : offer->media) {
    SendStreamInfo info{ssrc,   ssrc + 1, "fuzzcname", "Pfuzz", "T" + std::to_string(ssrc),
                        "opus", ""};
    if (m.kind == "video") {
      info.codecName = (size % 2) ? "VP8" : "H264";
      info.codecFmtp = "packetization-mode=1;profile-level-id=42e01f";
    }
    sending.emplace(m.mid, std::move(info));
    ssrc += 2;
  }

  auto answer = SdpAnswerBuilder::Build(*offer, local, sending, &error);
  if (!answer) {
    if (error.empty()) __builtin_trap();
    return 0;
  }
  auto reparsed = SessionDescription::Parse(answer->sdp, &error);
  if (!reparsed || reparsed->media.size() != offer->media.size() ||
      answer->media.size() != offer->media.size()) {
    __builtin_trap();
  }
  return 0;
}
