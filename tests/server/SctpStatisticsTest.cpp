// SctpStatistics: usrsctp's counters in the Prometheus text format, and that
// they follow real traffic through a lossy link.

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>

#include "server/transport/SctpStatistics.h"
#include "tests/server/SctpTestPair.h"

using namespace myriad::server::transport;
using namespace myriad::server::transport::testing;

TEST_CASE("SctpStatistics exposition names every counter with its labels", "[SctpStatistics]") {
  SctpStatistics::Sample sample;
  sample.dataChunksSent = 80;
  sample.chunksRetransmitted = 9;
  sample.chunksFastRetransmitted = 2;
  sample.retransmissionTimeouts = 5;
  const std::string text = SctpStatistics::Exposition(sample);
  for (const char* line : {
           "# TYPE myriad_sctp_data_chunks_sent_total counter\n",
           "myriad_sctp_data_chunks_sent_total 80\n",
           "myriad_sctp_retransmitted_chunks_total{trigger=\"fast\"} 2\n",
           "myriad_sctp_retransmitted_chunks_total{trigger=\"timeout\"} 7\n",
           "myriad_sctp_retransmission_timeouts_total 5\n",
       }) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
  // Counters from one copy may disagree by a count; the split never goes negative.
  sample.chunksFastRetransmitted = 12;
  CHECK(SctpStatistics::Exposition(sample).find(
            "myriad_sctp_retransmitted_chunks_total{trigger=\"timeout\"} 0\n") !=
        std::string::npos);
}

TEST_CASE("SctpStatistics counts the data and retransmissions of a lossy association",
          "[SctpStatistics]") {
  SctpTestPair::Config config;
  config.lossRate = 0.2;
  config.seed = 77;
  SctpTestPair pair(config);
  REQUIRE(pair.Connect());
  // The counters are the process's: compare what this association adds.
  const auto before = SctpStatistics::Read();
  REQUIRE(before);

  const auto channel = pair.client->OpenDataChannel("stats", "", {});
  REQUIRE(channel);
  REQUIRE(pair.RunUntil([&] { return !pair.serverEndpoint.opened.empty(); }));
  constexpr size_t kMessages = 200;
  size_t sent = 0;
  REQUIRE(pair.RunUntil(
      [&] {
        if (sent < kMessages) {
          const Bytes message = TextBytes("message " + std::to_string(sent));
          if (pair.client->Send(*channel, message, false) !=
              SctpAssociation::SendResult::kNotOpen) {
            ++sent;
          }
        }
        return pair.serverEndpoint.messages.size() == kMessages;
      },
      120s, 10ms));
  REQUIRE(pair.clientToServer.dropped > 0);

  const auto after = SctpStatistics::Read();
  REQUIRE(after);
  // Every message is a DATA chunk (the DCEP open one more); a fifth of them was lost on the
  // way and sent again, some by the T3 timer at this rate of one message per 10 ms.
  CHECK(after->dataChunksSent - before->dataChunksSent >= kMessages + 1);
  CHECK(after->chunksRetransmitted > before->chunksRetransmitted);
  CHECK(after->retransmissionTimeouts > before->retransmissionTimeouts);
}
