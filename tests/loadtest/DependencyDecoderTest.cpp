// The receiver's decoder model: which frames decode, and the feedback it
// asks for (NACK, RPSI acknowledgement, PLI), with fake time.

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <set>
#include <vector>

#include "loadtest/client/DependencyDecoder.h"

namespace myriad::loadtest {
namespace {

using FrameType = LtrFramePayload::FrameType;

// Packetizes frames as the sender does, numbering packets in order, and
// feeds them to the decoder unless dropped.
class Feed {
 public:
  explicit Feed(DependencyDecoder& decoder, uint16_t firstSequence = 1000)
      : decoder_(decoder), sequence_(firstSequence) {}

  // Sends frame `id`; packet indexes in `drop` are lost. Returns the
  // sequence numbers of the dropped packets.
  std::vector<uint16_t> Frame(uint16_t id, FrameType type, bool ltr, uint16_t reference,
                              uint16_t packets, int64_t nowMs,
                              const std::set<uint16_t>& drop = {}) {
    std::vector<uint16_t> dropped;
    for (uint16_t index = 0; index < packets; ++index) {
      const LtrFramePayload record{type,  ltr,     id, type == FrameType::kKey ? id : reference,
                                   index, packets, 0};
      const uint16_t sequence = sequence_++;
      records_.push_back({sequence, record});
      if (drop.count(index) != 0) {
        dropped.push_back(sequence);
        continue;
      }
      Deliver({sequence, record}, nowMs);
    }
    return dropped;
  }
  std::vector<uint16_t> Delta(uint16_t id, int64_t nowMs, bool ltr = false,
                              const std::set<uint16_t>& drop = {}) {
    return Frame(id, FrameType::kDelta, ltr, static_cast<uint16_t>(id - 1), 2, nowMs, drop);
  }
  // A retransmission of a packet sent earlier.
  void Resend(uint16_t sequence, int64_t nowMs) {
    for (const auto& packet : records_) {
      if (packet.sequenceNumber == sequence) Deliver(packet, nowMs);
    }
  }
  void Tick(int64_t nowMs) {
    decoder_.OnTimer(nowMs, actions_);
    Collect();
  }

  std::vector<uint16_t> nacks;
  std::vector<uint16_t> acknowledgements;
  int keyFrameRequests = 0;

 private:
  void Deliver(const DependencyDecoder::Packet& packet, int64_t nowMs) {
    decoder_.OnPacket(packet, nowMs, actions_);
    Collect();
  }
  void Collect() {
    nacks.insert(nacks.end(), actions_.nacks.begin(), actions_.nacks.end());
    acknowledgements.insert(acknowledgements.end(), actions_.acknowledgements.begin(),
                            actions_.acknowledgements.end());
    keyFrameRequests += actions_.requestKeyFrame ? 1 : 0;
  }

  DependencyDecoder& decoder_;
  uint16_t sequence_;
  std::vector<DependencyDecoder::Packet> records_;
  DependencyDecoder::Actions actions_;
};

DependencyDecoder::Options TestOptions() {
  DependencyDecoder::Options options;
  options.repairWaitMs = 100;
  options.nackRetryMs = 30;
  options.maxNacksPerPacket = 3;
  options.keyFrameRequestRetryMs = 500;
  return options;
}

}  // namespace

TEST_CASE("DependencyDecoder decodes an intact stream and acknowledges its references",
          "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder);
  feed.Frame(10, FrameType::kKey, true, 10, 5, 0);
  for (uint16_t id = 11; id < 40; ++id) feed.Delta(id, int64_t{id - 10} * 33, id % 10 == 0);
  feed.Tick(int64_t{40} * 33);
  const auto& stats = decoder.GetStats();
  CHECK(stats.framesDecoded == 30);
  CHECK(stats.framesSpanned == 30);
  CHECK(stats.keyFramesReceived == 1);
  CHECK(stats.keyFramesDecoded == 1);
  CHECK(stats.framesSkipped == 0);
  CHECK(feed.acknowledgements == std::vector<uint16_t>{10, 20, 30});
  CHECK(feed.nacks.empty());
  CHECK(feed.keyFrameRequests == 0);
  CHECK(stats.stallsOver200Ms == 0);
  CHECK(decoder.LastDecoded() == uint16_t{39});
}

TEST_CASE("DependencyDecoder waits for a key frame before decoding anything", "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder);
  feed.Delta(5, 0);
  feed.Delta(6, 33);
  feed.Frame(7, FrameType::kRecovery, false, 2, 2, 66);
  CHECK(decoder.GetStats().framesDecoded == 0);
  CHECK(feed.keyFrameRequests == 0);
  feed.Tick(99);
  CHECK(feed.keyFrameRequests == 0);
  feed.Tick(100);  // repairWaitMs after the first packet
  CHECK(feed.keyFrameRequests == 1);
  CHECK(decoder.AwaitingKeyFrame());
  feed.Frame(8, FrameType::kKey, true, 8, 4, 150);
  feed.Delta(9, 183);
  CHECK(decoder.GetStats().framesDecoded == 2);
  CHECK_FALSE(decoder.AwaitingKeyFrame());
  // Joining is not a stall.
  decoder.Finish(200);
  CHECK(decoder.GetStats().stallsOver200Ms == 0);
}

TEST_CASE("DependencyDecoder NACKs a gap and decodes on with the retransmission",
          "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder);
  feed.Frame(0, FrameType::kKey, true, 0, 3, 0);
  const auto lost = feed.Delta(1, 33, false, {1});
  REQUIRE(lost.size() == 1);
  CHECK(feed.nacks.empty());  // nothing after it yet: no gap seen
  feed.Delta(2, 66);
  CHECK(feed.nacks == lost);
  CHECK(decoder.LastDecoded() == uint16_t{0});
  feed.Resend(lost[0], 80);
  CHECK(decoder.LastDecoded() == uint16_t{2});
  CHECK(decoder.GetStats().packetsRepaired == 1);
  feed.Tick(200);
  CHECK(feed.nacks == lost);  // repaired: not asked again
  CHECK(feed.keyFrameRequests == 0);
  CHECK(decoder.GetStats().framesSkipped == 0);
}

TEST_CASE("DependencyDecoder retries a NACK a bounded number of times", "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());  // retry 30 ms, 3 in all
  Feed feed(decoder);
  feed.Frame(0, FrameType::kKey, true, 0, 2, 0);
  const auto lost = feed.Delta(1, 33, false, {0});  // NACKed at once
  feed.Delta(2, 40);
  struct Tick {
    int64_t atMs;
    size_t nacksSoFar;
  };
  const std::vector<Tick> ticks = {{50, 1}, {62, 1}, {63, 2}, {92, 2}, {93, 3}, {300, 3}};
  for (const auto& tick : ticks) {
    feed.Tick(tick.atMs);
    INFO("at " << tick.atMs << " ms");
    CHECK(feed.nacks.size() == tick.nacksSoFar);
  }
  CHECK(std::all_of(feed.nacks.begin(), feed.nacks.end(),
                    [&](uint16_t sequence) { return sequence == lost[0]; }));
}

TEST_CASE(
    "DependencyDecoder asks for a key frame when a loss stays, and a recovery frame "
    "from a decoded reference ends the break",
    "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder);
  feed.Frame(0, FrameType::kKey, true, 0, 3, 0);
  feed.Delta(1, 33);
  feed.Delta(2, 66, /*ltr=*/true);
  feed.Delta(3, 100, false, {0, 1});  // lost whole
  feed.Delta(4, 133);                 // blocked behind frame 3 from now on
  feed.Delta(5, 166);
  feed.Tick(232);
  CHECK(feed.keyFrameRequests == 0);
  feed.Tick(233);  // repairWaitMs after frame 4 arrived
  CHECK(feed.keyFrameRequests == 1);
  feed.Tick(700);
  CHECK(feed.keyFrameRequests == 1);
  feed.Tick(733);  // keyFrameRequestRetryMs later, still broken
  CHECK(feed.keyFrameRequests == 2);
  // A recovery frame from a reference never decoded does not help...
  feed.Frame(6, FrameType::kRecovery, false, 1, 2, 750);
  CHECK(decoder.LastDecoded() == uint16_t{2});
  // ...one from a decoded reference does, and deltas follow it.
  feed.Frame(7, FrameType::kRecovery, false, 2, 2, 800);
  feed.Delta(8, 833);
  CHECK(decoder.LastDecoded() == uint16_t{8});
  const auto& stats = decoder.GetStats();
  CHECK(stats.recoveryFramesDecoded == 1);
  CHECK(stats.keyFramesReceived == 1);
  CHECK(stats.framesSkipped == 4);  // 3, 4, 5, 6
  CHECK(stats.stallsOver200Ms == 1);
  CHECK(stats.stallsOver500Ms == 1);
  CHECK(stats.stallsOver2s == 0);
  CHECK(stats.longestStallMs == 800 - 66);
  CHECK(feed.acknowledgements == std::vector<uint16_t>{0, 2});
}

TEST_CASE("DependencyDecoder: a key frame ends a break and forgets earlier references",
          "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder);
  feed.Frame(0, FrameType::kKey, true, 0, 3, 0);
  feed.Delta(1, 33, /*ltr=*/true);
  feed.Delta(2, 66, false, {0});
  feed.Delta(3, 100);
  feed.Frame(4, FrameType::kKey, true, 4, 6, 400);
  CHECK(decoder.LastDecoded() == uint16_t{4});
  // Reference 1 came before the key frame: a recovery from it is broken.
  feed.Delta(5, 433, false, {0, 1});
  feed.Frame(6, FrameType::kRecovery, false, 1, 2, 466);
  CHECK(decoder.LastDecoded() == uint16_t{4});
  CHECK(decoder.GetStats().keyFramesDecoded == 2);
}

TEST_CASE("DependencyDecoder classes stalls by length", "[loadtest][ltr]") {
  struct Case {
    int64_t gapMs;
    uint64_t over200;
    uint64_t over500;
    uint64_t over2s;
  };
  const auto c =
      GENERATE(Case{33, 0, 0, 0}, Case{200, 0, 0, 0}, Case{201, 1, 0, 0}, Case{500, 1, 0, 0},
               Case{501, 1, 1, 0}, Case{2000, 1, 1, 0}, Case{2001, 1, 1, 1});
  INFO("gap " << c.gapMs << " ms");
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder);
  feed.Frame(0, FrameType::kKey, true, 0, 2, 1000);
  feed.Frame(1, FrameType::kKey, true, 1, 2, 1000 + c.gapMs);
  const auto& stats = decoder.GetStats();
  CHECK(stats.stallsOver200Ms == c.over200);
  CHECK(stats.stallsOver500Ms == c.over500);
  CHECK(stats.stallsOver2s == c.over2s);
  CHECK(stats.longestStallMs == c.gapMs);
}

TEST_CASE("DependencyDecoder counts a stall still going on at the end", "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder);
  feed.Frame(0, FrameType::kKey, true, 0, 2, 0);
  decoder.Finish(2500);
  decoder.Finish(9000);  // once only
  CHECK(decoder.GetStats().stallsOver2s == 1);
  CHECK(decoder.GetStats().longestStallMs == 2500);
}

TEST_CASE("DependencyDecoder follows frame ids and sequence numbers across the wrap",
          "[loadtest][ltr]") {
  DependencyDecoder decoder(TestOptions());
  Feed feed(decoder, /*firstSequence=*/0xFFFC);
  feed.Frame(0xFFFE, FrameType::kKey, true, 0xFFFE, 2, 0);
  feed.Delta(0xFFFF, 33);
  const auto lost = feed.Delta(0, 66, /*ltr=*/true, {1});
  feed.Delta(1, 100);
  CHECK(feed.nacks == lost);
  feed.Resend(lost[0], 110);
  CHECK(decoder.LastDecoded() == uint16_t{1});
  feed.Frame(2, FrameType::kRecovery, false, 0xFFFE, 2, 133);
  CHECK(decoder.LastDecoded() == uint16_t{2});
  CHECK(feed.acknowledgements == std::vector<uint16_t>{0xFFFE, 0});
  CHECK(decoder.GetStats().framesSpanned == 5);
}

}  // namespace myriad::loadtest
