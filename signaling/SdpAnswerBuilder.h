#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "signaling/SessionDescription.h"

namespace myriad::signaling {

// The server's side of the one transport every m-line is bundled on.
struct LocalTransportParameters {
  std::string iceUfrag, icePwd;   // RFC 8839 §5.4: 4-256 / 22-256 ice-chars
  std::string fingerprintSha256;  // "AB:CD:..", 32 bytes
  std::string candidateIp;        // announced address, IPv4 or IPv6
  uint16_t candidatePort = 0;
  // RFC 3264 §8: the o= version must grow with every answer on the same transport.
  uint64_t sessionVersion = 1;
};

// What the server sends on a subscribing (client recvonly) mid.
struct SendStreamInfo {
  uint32_t ssrc = 0;
  uint32_t rtxSsrc = 0;  // 0: no RTX stream
  std::string cname;
  std::string streamId;   // a=msid stream id: the publishing participantId
  std::string trackId;    // a=msid track id
  std::string codecName;  // codec the server will send on this mid, e.g. "VP8", "H264", "opus"
  std::string codecFmtp;  // the publisher's fmtp, to match H264 profile/packetization-mode
};

// The outcome for one offered m-line, in offer order.
struct NegotiatedMedia {
  std::string mid;
  std::string kind;
  bool rejected = false;
  std::string rejectReason;
  bool serverReceives = false;  // client publishes on this mid (offer sendonly/sendrecv)
  bool serverSends = false;     // client subscribes (offer recvonly) and the mid is bound
  SdpCodec codec;  // chosen codec with PT from the offer, rtxPayloadType if RTX accepted
  std::vector<SdpExtension> extensions;  // accepted, ids as offered
  bool nack = false, pli = false, fir = false, transportCc = false, remb = false;
  std::vector<uint32_t> remoteSsrcs;
  std::vector<SdpSsrcGroup> remoteSsrcGroups;
  std::vector<SdpRid> remoteRids;
  // An accepted data channel m-line (kind "application", RFC 8841): the peer's SCTP port and
  // the largest message it accepts (its a=max-message-size; 65536 when it has none, RFC 8841
  // 6.1; 0 when it said 0: no limit).
  bool dataChannel = false;
  uint16_t remoteSctpPort = 0;
  uint32_t remoteMaxMessageSize = 0;
};

struct SdpAnswer {
  std::string sdp;
  std::vector<NegotiatedMedia> media;
};

// Answers a client's offer as an ICE-lite, DTLS-passive SFU with everything BUNDLEd on one
// host candidate (docs/protocol.md). Stateless: the caller keeps the bindings across offers.
class SdpAnswerBuilder {
 public:
  // Data channels (RFC 8841): the SCTP port both sides use unless the SDP says otherwise, the
  // largest message a peer without a=max-message-size accepts (6.1), and what we accept.
  static constexpr uint16_t kDefaultSctpPort = 5000;
  static constexpr uint32_t kDefaultMaxMessageSize = 65536;
  static constexpr uint32_t kLocalMaxMessageSize = 262144;

  // nullopt + error when the offer cannot be answered at all (no ICE/DTLS parameters, a setup
  // role that leaves the server as DTLS client, bad local parameters). Individual m-lines the
  // server cannot serve are rejected in the answer instead, and so are the
  // mids in `refusedMids` (mid -> reason; the room's limits). Never throws.
  static std::optional<SdpAnswer> Build(const SessionDescription& offer,
                                        const LocalTransportParameters& local,
                                        const std::map<std::string, SendStreamInfo>& sendingByMid,
                                        std::string* error,
                                        const std::map<std::string, std::string>& refusedMids = {});
};

}  // namespace myriad::signaling
