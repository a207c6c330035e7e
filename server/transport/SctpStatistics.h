#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace myriad::server::transport {

// usrsctp's process-wide counters (its sctpstat), written in the Prometheus
// text format at scrape time like ProcessStats: how the data channels'
// SCTP recovers from loss. A chunk retransmitted by a fast retransmit
// (three SACKs that miss it) costs about a round trip; one retransmitted
// when the T3 timer expired costs the retransmission timeout, collapses the
// association's congestion window to one packet and queues everything new
// behind the retransmissions (RFC 9260 6.3.3, 7.2.3). Control messages late
// on the data channel are mostly the second kind.
//
// Exposition is pure; Read asks usrsctp and is nullopt while no association
// was ever created (the stack is not initialised then).
class SctpStatistics {
 public:
  struct Sample {
    // (usrsctp's packet counters stay 0 for AF_CONN associations: DTLS packets are counted by
    // the transport, myriad_packets_total{kind="dtls"}.)
    uint64_t dataChunksSent = 0;       // sctps_senddata (first transmissions and retransmissions)
    uint64_t chunksRetransmitted = 0;  // sctps_sendretransdata: all retransmitted DATA
    uint64_t chunksFastRetransmitted = 0;  // sctps_sendfastretrans: of those, fast
    uint64_t retransmissionTimeouts = 0;   // sctps_timodata: T3-rtx expirations
  };

  static std::optional<Sample> Read();

  // myriad_sctp_data_chunks_sent_total,
  // myriad_sctp_retransmitted_chunks_total{trigger="fast"|"timeout"} and
  // myriad_sctp_retransmission_timeouts_total, with HELP and TYPE lines.
  static std::string Exposition(const Sample& sample);
};

}  // namespace myriad::server::transport
