#include "server/transport/SctpStatistics.h"

#include <usrsctp.h>

#include <algorithm>

#include "server/PrometheusText.h"
#include "server/transport/SctpStack.h"

namespace myriad::server::transport {

std::optional<SctpStatistics::Sample> SctpStatistics::Read() {
  if (!SctpStack::Started()) return std::nullopt;
  // A copy of the stack's counters; they are plain integers the associations' threads bump,
  // so a scrape may see one a few counts behind.
  struct sctpstat stats {};
  usrsctp_get_stat(&stats);
  Sample sample;
  sample.dataChunksSent = stats.sctps_senddata;
  sample.chunksRetransmitted = stats.sctps_sendretransdata;
  sample.chunksFastRetransmitted = stats.sctps_sendfastretrans;
  sample.retransmissionTimeouts = stats.sctps_timodata;
  return sample;
}

std::string SctpStatistics::Exposition(const Sample& sample) {
  using Text = PrometheusText;
  std::string out;
  Text::AppendHeader(out, "myriad_sctp_data_chunks_sent_total", "counter",
                     "SCTP DATA chunks sent, first transmissions and retransmissions.");
  Text::AppendSample(out, "myriad_sctp_data_chunks_sent_total", "",
                     std::to_string(sample.dataChunksSent));
  Text::AppendHeader(out, "myriad_sctp_retransmitted_chunks_total", "counter",
                     "SCTP DATA chunks retransmitted, by what triggered it (fast retransmit or "
                     "the T3 timer).");
  const uint64_t fast = std::min(sample.chunksFastRetransmitted, sample.chunksRetransmitted);
  Text::AppendSample(out, "myriad_sctp_retransmitted_chunks_total", "{trigger=\"fast\"}",
                     std::to_string(fast));
  Text::AppendSample(out, "myriad_sctp_retransmitted_chunks_total", "{trigger=\"timeout\"}",
                     std::to_string(sample.chunksRetransmitted - fast));
  Text::AppendHeader(out, "myriad_sctp_retransmission_timeouts_total", "counter",
                     "Expirations of SCTP's retransmission timer (T3-rtx) for DATA.");
  Text::AppendSample(out, "myriad_sctp_retransmission_timeouts_total", "",
                     std::to_string(sample.retransmissionTimeouts));
  return out;
}

}  // namespace myriad::server::transport
