#include "server/transport/SctpStatistics.h"

#include <usrsctp.h>

#include <algorithm>

#include "server/transport/SctpStack.h"

namespace myriad::server::transport {
namespace {

void Header(std::string& out, const char* name, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
}

void Line(std::string& out, const char* name, const char* labels, uint64_t value) {
  out += name;
  out += labels;
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

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
  std::string out;
  Header(out, "myriad_sctp_data_chunks_sent_total",
         "SCTP DATA chunks sent, first transmissions and retransmissions.");
  Line(out, "myriad_sctp_data_chunks_sent_total", "", sample.dataChunksSent);
  Header(out, "myriad_sctp_retransmitted_chunks_total",
         "SCTP DATA chunks retransmitted, by what triggered it (fast retransmit or the T3 "
         "timer).");
  const uint64_t fast = std::min(sample.chunksFastRetransmitted, sample.chunksRetransmitted);
  Line(out, "myriad_sctp_retransmitted_chunks_total", "{trigger=\"fast\"}", fast);
  Line(out, "myriad_sctp_retransmitted_chunks_total", "{trigger=\"timeout\"}",
       sample.chunksRetransmitted - fast);
  Header(out, "myriad_sctp_retransmission_timeouts_total",
         "Expirations of SCTP's retransmission timer (T3-rtx) for DATA.");
  Line(out, "myriad_sctp_retransmission_timeouts_total", "", sample.retransmissionTimeouts);
  return out;
}

}  // namespace myriad::server::transport
