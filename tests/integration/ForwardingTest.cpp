// End-to-end forwarding through a real server over loopback UDP: two
// clients built from the project's transport code (ICE, DTLS, SRTP) join a
// room, one publishes, the other subscribes, and every packet is checked
// after decryption on the receiving side.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <set>
#include <vector>

#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/GenericNack.h"
#include "rtp/Pli.h"
#include "rtp/ReceiverReport.h"
#include "rtp/RtcpHeader.h"
#include "rtp/RtpHeaderExtensions.h"
#include "rtp/RtxPacket.h"
#include "rtp/SenderReport.h"
#include "rtp/TransportCcFeedback.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/PacketRecorder.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using loadtest::ExtensionIds;
using loadtest::MetricsScraper;
using loadtest::PayloadTypePlan;
using loadtest::RunFor;
using loadtest::RunUntil;
using loadtest::SyntheticMediaSource;
using loadtest::WebRtcClient;
using MediaTrack = WebRtcClient::MediaTrack;

constexpr auto kDeadline = 5s;

double Delta(const MetricsScraper::Samples& after, const MetricsScraper::Samples& before,
             const std::string& series) {
  return MetricsScraper::Value(after, series) - MetricsScraper::Value(before, series);
}

WebRtcClient::Options ClientOptions(const InProcessServer& server, uint32_t seed) {
  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = seed;
  return options;
}

// Numbers unlike Chromium's (the publisher's), so that every payload type
// and header-extension id a subscriber sees proves the server rewrote it.
WebRtcClient::Options RenumberedOptions(const InProcessServer& server, uint32_t seed) {
  WebRtcClient::Options options = ClientOptions(server, seed);
  options.payloadTypes = PayloadTypePlan{.opus = 120,
                                         .vp8 = 100,
                                         .vp8Rtx = 101,
                                         .h264 = 122,
                                         .h264Rtx = 123,
                                         .h264Baseline = 124,
                                         .h264BaselineRtx = 125};
  options.extensions = ExtensionIds{.audioLevel = 5,
                                    .absSendTime = 6,
                                    .transportCc = 7,
                                    .mid = 8,
                                    .rtpStreamId = 12,
                                    .repairedRtpStreamId = 14,
                                    .videoOrientation = 9};
  return options;
}

void SendRtcp(WebRtcClient& client, std::span<const uint8_t> packet) {
  REQUIRE(!packet.empty());
  REQUIRE(client.SendRtcp(packet));
}

void SendPli(WebRtcClient& client, uint32_t mediaSsrc) {
  std::array<uint8_t, rtp::Pli::kSize> buffer{};
  const size_t length = rtp::Pli::Serialize({client.RtcpSsrc(), mediaSsrc}, buffer);
  SendRtcp(client, std::span<const uint8_t>(buffer.data(), length));
}

void SendNack(WebRtcClient& client, uint32_t mediaSsrc, std::span<const uint16_t> lost) {
  std::array<uint8_t, 256> buffer{};
  rtp::GenericNack::Fields fields;
  fields.senderSsrc = client.RtcpSsrc();
  fields.mediaSsrc = mediaSsrc;
  fields.lostSequenceNumbers = lost;
  const size_t length = rtp::GenericNack::Serialize(fields, buffer);
  SendRtcp(client, std::span<const uint8_t>(buffer.data(), length));
}

// Arrival times of the PLIs for `mediaSsrc` in compounds from index `from`.
std::vector<Clock::time_point> PlisFor(PacketRecorder& recorder, uint32_t mediaSsrc,
                                       size_t from = 0) {
  std::vector<Clock::time_point> plis;
  recorder.ForEachRtcp(
      [&](const rtp::RtcpHeader& header, Clock::time_point at) {
        if (header.PacketType() != rtp::RtcpHeader::kPayloadFeedback ||
            header.CountOrFormat() != rtp::RtcpHeader::kFmtPli) {
          return;
        }
        const auto pli = rtp::Pli::Parse(header.Packet());
        REQUIRE(pli.has_value());
        if (pli->MediaSsrc() == mediaSsrc) plis.push_back(at);
      },
      from);
  return plis;
}

// Every sequence number NACKed for `mediaSsrc` in compounds from `from` on.
std::set<uint16_t> NackedFor(PacketRecorder& recorder, uint32_t mediaSsrc, size_t from = 0) {
  std::set<uint16_t> nacked;
  recorder.ForEachRtcp(
      [&](const rtp::RtcpHeader& header, Clock::time_point) {
        if (header.PacketType() != rtp::RtcpHeader::kTransportFeedback ||
            header.CountOrFormat() != rtp::RtcpHeader::kFmtGenericNack) {
          return;
        }
        const auto nack = rtp::GenericNack::Parse(header.Packet());
        REQUIRE(nack.has_value());
        if (nack->MediaSsrc() != mediaSsrc) return;
        nack->ForEachLostSequenceNumber([&](uint16_t sequence) { nacked.insert(sequence); });
      },
      from);
  return nacked;
}

size_t NackMessagesFor(PacketRecorder& recorder, uint32_t mediaSsrc) {
  size_t count = 0;
  recorder.ForEachRtcp([&](const rtp::RtcpHeader& header, Clock::time_point) {
    if (header.PacketType() == rtp::RtcpHeader::kTransportFeedback &&
        header.CountOrFormat() == rtp::RtcpHeader::kFmtGenericNack) {
      const auto nack = rtp::GenericNack::Parse(header.Packet());
      REQUIRE(nack.has_value());
      count += nack->MediaSsrc() == mediaSsrc ? 1 : 0;
    }
  });
  return count;
}

// Transport-wide sequence numbers reported received in transport-cc feedback.
std::set<uint16_t> ReportedReceived(PacketRecorder& recorder) {
  std::set<uint16_t> received;
  recorder.ForEachRtcp([&](const rtp::RtcpHeader& header, Clock::time_point) {
    if (header.PacketType() != rtp::RtcpHeader::kTransportFeedback ||
        header.CountOrFormat() != rtp::RtcpHeader::kFmtTransportCc) {
      return;
    }
    const auto feedback = rtp::TransportCcFeedback::Parse(header.Packet());
    REQUIRE(feedback.has_value());
    for (const auto& status : *feedback) {
      if (status.received) received.insert(status.sequenceNumber);
    }
  });
  return received;
}

std::set<uint8_t> ExtensionIdsIn(const rtp::RtpPacket& packet) {
  std::set<uint8_t> ids;
  packet.ForEachExtension([&](uint8_t id, std::span<uint8_t>) { ids.insert(id); });
  return ids;
}

// Sequence numbers, in wrap-around order, form one run without holes.
bool Contiguous(const std::vector<uint16_t>& sequenceNumbers) {
  if (sequenceNumbers.empty()) return true;
  std::set<uint16_t> relative;
  for (const uint16_t sequence : sequenceNumbers) {
    relative.insert(static_cast<uint16_t>(sequence - sequenceNumbers.front() + 0x8000));
  }
  return relative.size() == sequenceNumbers.size() &&
         *relative.rbegin() - *relative.begin() + 1u == relative.size();
}

}  // namespace

TEST_CASE("A subscriber receives the publisher's media rewritten for its transport, with feedback",
          "[integration][forwarding]") {
  InProcessServer server;
  boost::asio::io_context context;
  WebRtcClient alice(context, ClientOptions(server, 1));
  WebRtcClient bob(context, RenumberedOptions(server, 2));
  PacketRecorder aliceReceived;
  PacketRecorder bobReceived;
  aliceReceived.Attach(alice);
  bobReceived.Attach(bob);

  REQUIRE(Await(context, [&](auto done) { alice.Join("forwarding", "Alice", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { alice.Publish({.audio = true, .video = true}, done); }) ==
          "");
  const MediaTrack aliceVideo = *alice.PublishedTrack("video");
  const MediaTrack aliceAudio = *alice.PublishedTrack("audio");
  CHECK(aliceVideo.codecName == "VP8");
  CHECK(aliceVideo.payloadType == 96);
  CHECK(aliceVideo.rtxPayloadType == 97);
  CHECK(aliceAudio.codecName == "opus");
  CHECK(aliceAudio.payloadType == 111);
  REQUIRE(!aliceVideo.trackId.empty());
  REQUIRE(!aliceAudio.trackId.empty());

  // Bob learns Alice's tracks from the `joined` snapshot; Alice hears of Bob.
  REQUIRE(Await(context, [&](auto done) { bob.Join("forwarding", "Bob", done); }) == "");
  CHECK(bob.Participants().count(alice.ParticipantId()) == 1);
  REQUIRE(bob.RemoteTracks().count(aliceVideo.trackId) == 1);
  CHECK(bob.RemoteTracks().at(aliceVideo.trackId).kind == "video");
  CHECK(bob.RemoteTracks().at(aliceAudio.trackId).source == "microphone");
  REQUIRE(RunUntil(
      context, [&] { return alice.Participants().count(bob.ParticipantId()) == 1; }, kDeadline));

  REQUIRE(Await(context, [&](auto done) { bob.Subscribe(aliceVideo.trackId, done); }) == "");
  REQUIRE(Await(context, [&](auto done) { bob.Subscribe(aliceAudio.trackId, done); }) == "");
  const MediaTrack bobVideo = *bob.SubscribedTrack(aliceVideo.trackId);
  const MediaTrack bobAudio = *bob.SubscribedTrack(aliceAudio.trackId);
  CHECK(bobVideo.codecName == "VP8");
  CHECK(bobVideo.payloadType == 100);
  CHECK(bobVideo.rtxPayloadType == 101);
  CHECK(bobAudio.payloadType == 120);
  REQUIRE(bobVideo.ssrc != 0);
  REQUIRE(bobVideo.rtxSsrc != 0);
  REQUIRE(bobAudio.ssrc != 0);
  CHECK(bobVideo.ssrc != aliceVideo.ssrc);
  CHECK(bobVideo.extensions.transportCc == 7);
  CHECK(bobAudio.extensions.audioLevel == 5);

  REQUIRE(RunUntil(
      context, [&] { return alice.IsConnected() && bob.IsConnected(); }, kDeadline));

  // Alice's video also carries a rid: neither mid nor rid may reach Bob.
  auto videoConfig = alice.SourceConfigFor(aliceVideo, 1001);
  videoConfig.ridId = aliceVideo.extensions.rtpStreamId;
  videoConfig.rid = "h";
  REQUIRE(videoConfig.ridId == 10);
  SyntheticMediaSource video(videoConfig);
  SyntheticMediaSource audio(alice.SourceConfigFor(aliceAudio, 1002));
  SentPacketLog sentVideo;
  SentPacketLog sentAudio;

  // 200 video and 100 audio packets, in bursts of 15 that Bob's socket holds
  // even while this thread is busy sending.
  size_t expected = 0;
  for (int i = 0; i < 200; ++i) {
    sentVideo.Produce(alice, video);
    ++expected;
    if (i % 2 == 1) {
      sentAudio.Produce(alice, audio);
      ++expected;
    }
    if (i % 10 == 9) {
      const bool delivered = RunUntil(
          context, [&] { return bobReceived.Rtp().size() >= expected; }, kDeadline);
      INFO("Bob received " << bobReceived.Rtp().size() << " of " << expected);
      REQUIRE(delivered);
    }
  }

  // Every packet arrives once, bit-exact, rewritten for Bob's transport.
  REQUIRE(bobReceived.Rtp().size() == 300);
  std::map<uint32_t, std::optional<uint16_t>> sequenceOffset;
  std::map<uint32_t, std::optional<uint32_t>> timestampOffset;
  std::map<uint32_t, std::vector<uint16_t>> sequences;
  std::map<uint16_t, std::vector<uint8_t>> bobVideoPayloadBySequence;
  std::map<uint16_t, uint32_t> bobVideoTimestampBySequence;
  std::set<const SentPacketLog::Sent*> matched;
  std::optional<uint16_t> lastTransportSequence;
  for (auto& received : bobReceived.Rtp()) {
    const rtp::RtpPacket packet = PacketRecorder::View(received);
    const bool isVideo = packet.Ssrc() == bobVideo.ssrc;
    INFO("SSRC " << packet.Ssrc());
    REQUIRE((isVideo || packet.Ssrc() == bobAudio.ssrc));
    const MediaTrack& track = isVideo ? bobVideo : bobAudio;
    const SentPacketLog::Sent* sent =
        (isVideo ? sentVideo : sentAudio).FindByPayload(packet.Payload());
    REQUIRE(sent != nullptr);  // the payload is bit-exact
    REQUIRE(matched.insert(sent).second);
    CHECK(packet.PayloadType() == track.payloadType);
    CHECK(packet.Marker() == sent->marker);
    // Sequence numbers and timestamps are shifted by one constant per stream
    // (the subscriber's stream starts at random values, RFC 3550 5.1).
    const uint16_t offset = static_cast<uint16_t>(packet.SequenceNumber() - sent->sequenceNumber);
    auto& streamOffset = sequenceOffset[packet.Ssrc()];
    if (!streamOffset) streamOffset = offset;
    CHECK(offset == *streamOffset);
    const uint32_t shift = packet.Timestamp() - sent->timestamp;
    auto& streamShift = timestampOffset[packet.Ssrc()];
    if (!streamShift) streamShift = shift;
    CHECK(shift == *streamShift);
    auto& streamSequences = sequences[packet.Ssrc()];
    if (!streamSequences.empty()) {
      CHECK(packet.SequenceNumber() == static_cast<uint16_t>(streamSequences.back() + 1));
    }
    streamSequences.push_back(packet.SequenceNumber());
    if (isVideo) {
      bobVideoPayloadBySequence[packet.SequenceNumber()].assign(packet.Payload().begin(),
                                                                packet.Payload().end());
      bobVideoTimestampBySequence[packet.SequenceNumber()] = packet.Timestamp();
    }
    // Only extensions Bob negotiated, under his ids: mid and rid are gone.
    const auto ids = ExtensionIdsIn(packet);
    const std::set<uint8_t> allowed =
        isVideo ? std::set<uint8_t>{7, 6} : std::set<uint8_t>{7, 6, 5};
    CHECK(std::includes(allowed.begin(), allowed.end(), ids.begin(), ids.end()));
    CHECK(ids.count(7) == 1);
    CHECK(rtp::ReadAbsSendTime(packet.GetExtension(6)) == sent->absSendTime);
    if (!isVideo) {
      const auto level = packet.GetExtension(5);
      CHECK(std::vector<uint8_t>(level.begin(), level.end()) == sent->audioLevel);
    }
    // Bob's own transport-wide sequence, one counter across his streams.
    const auto transportSequence = rtp::ReadTransportSequenceNumber(packet.GetExtension(7));
    REQUIRE(transportSequence.has_value());
    if (lastTransportSequence) {
      CHECK(*transportSequence == static_cast<uint16_t>(*lastTransportSequence + 1));
    }
    lastTransportSequence = transportSequence;
  }
  CHECK(sequences[bobVideo.ssrc].size() == 200);
  CHECK(sequences[bobAudio.ssrc].size() == 100);
  CHECK(Contiguous(sequences[bobVideo.ssrc]));
  CHECK(Contiguous(sequences[bobAudio.ssrc]));

  // Transport-wide feedback to Alice covers every packet she sent.
  REQUIRE(RunUntil(
      context,
      [&] {
        const auto reported = ReportedReceived(aliceReceived);
        for (const auto* log : {&sentVideo, &sentAudio}) {
          for (const auto& sent : log->Packets()) {
            if (!reported.count(sent.transportSequence)) return false;
          }
        }
        return true;
      },
      kDeadline));

  // Receiver reports to Alice (every second) account for her streams.
  const uint16_t lastVideoSequence = sentVideo.Packets().back().sequenceNumber;
  std::optional<rtp::ReportBlock::Fields> videoReport;
  REQUIRE(RunUntil(
      context,
      [&] {
        aliceReceived.ForEachRtcp([&](const rtp::RtcpHeader& header, Clock::time_point) {
          if (header.PacketType() != rtp::RtcpHeader::kReceiverReport) return;
          const auto report = rtp::ReceiverReport::Parse(header.Packet());
          REQUIRE(report.has_value());
          for (size_t i = 0; i < report->ReportBlockCount(); ++i) {
            const auto block = report->ReportBlockAt(i).ToFields();
            if (block.sourceSsrc == aliceVideo.ssrc &&
                static_cast<uint16_t>(block.extendedHighestSequenceNumber) == lastVideoSequence) {
              videoReport = block;
            }
          }
        });
        return videoReport.has_value();
      },
      3s));
  CHECK(videoReport->cumulativeLost == 0);
  CHECK(videoReport->fractionLost == 0);

  // A NACK from Bob is answered over RTX with his RTX SSRC and payload type.
  const auto bobMetricsBefore = server.Metrics();
  const std::vector<uint16_t> nacked = {sequences[bobVideo.ssrc][4], sequences[bobVideo.ssrc][5],
                                        sequences[bobVideo.ssrc][40]};
  const size_t beforeRtx = bobReceived.Rtp().size();
  SendNack(bob, bobVideo.ssrc, nacked);
  REQUIRE(RunUntil(
      context, [&] { return bobReceived.Rtp().size() >= beforeRtx + 3; }, kDeadline));
  std::set<uint16_t> retransmitted;
  std::optional<uint16_t> lastRtxSequence;
  for (size_t i = beforeRtx; i < bobReceived.Rtp().size(); ++i) {
    const rtp::RtpPacket rtx = PacketRecorder::View(bobReceived.Rtp()[i]);
    CHECK(rtx.Ssrc() == bobVideo.rtxSsrc);
    CHECK(rtx.PayloadType() == bobVideo.rtxPayloadType);
    const auto original = rtp::RtxOriginalSequenceNumber(rtx);
    REQUIRE(original.has_value());
    retransmitted.insert(*original);
    REQUIRE(bobVideoPayloadBySequence.count(*original) == 1);
    const auto& payload = bobVideoPayloadBySequence[*original];
    const auto rtxPayload = rtx.Payload().subspan(rtp::kRtxOsnSize);
    CHECK(std::vector<uint8_t>(rtxPayload.begin(), rtxPayload.end()) == payload);
    CHECK(rtx.Timestamp() == bobVideoTimestampBySequence[*original]);
    if (lastRtxSequence) {
      CHECK(rtx.SequenceNumber() == static_cast<uint16_t>(*lastRtxSequence + 1));
    }
    lastRtxSequence = rtx.SequenceNumber();
    const auto transportSequence = rtp::ReadTransportSequenceNumber(rtx.GetExtension(7));
    REQUIRE(transportSequence.has_value());
    CHECK(*transportSequence == static_cast<uint16_t>(*lastTransportSequence + 1));
    lastTransportSequence = transportSequence;
  }
  CHECK(retransmitted == std::set<uint16_t>(nacked.begin(), nacked.end()));
  const auto bobMetricsAfter = server.Metrics();
  CHECK(Delta(bobMetricsAfter, bobMetricsBefore, "myriad_retransmissions_total{result=\"sent\"}") ==
        3);
  CHECK(Delta(bobMetricsAfter, bobMetricsBefore, "myriad_nacks_total{direction=\"received\"}") ==
        1);

  // Key frame requests: wait until the PLIs of the new subscription (and of
  // Bob's transport coming up) are 400 ms in the past, beyond the 300 ms
  // throttle window and any request it coalesced.
  const auto quietSince = Clock::now();
  REQUIRE(RunUntil(
      context,
      [&] {
        const auto plis = PlisFor(aliceReceived, aliceVideo.ssrc);
        const auto last = plis.empty() ? quietSince : std::max(quietSince, plis.back());
        return Clock::now() - last > 400ms;
      },
      3s));
  const auto pliMetricsBefore = server.Metrics();
  const size_t pliFrom = aliceReceived.Rtcp().size();
  SendPli(bob, bobVideo.ssrc);
  SendPli(bob, bobVideo.ssrc);
  REQUIRE(RunUntil(
      context, [&] { return !PlisFor(aliceReceived, aliceVideo.ssrc, pliFrom).empty(); },
      kDeadline));
  // Two requests within 300 ms: one PLI now, and the coalesced one no sooner
  // than the window allows; never more than one per window.
  RunFor(context, 800ms);
  const auto plis = PlisFor(aliceReceived, aliceVideo.ssrc, pliFrom);
  REQUIRE(!plis.empty());
  REQUIRE(plis.size() <= 2);
  CHECK(std::count_if(plis.begin(), plis.end(),
                      [&](Clock::time_point at) { return at - plis.front() < 250ms; }) == 1);
  if (plis.size() == 2) CHECK(plis[1] - plis[0] >= 280ms);
  const auto pliMetricsAfter = server.Metrics();
  CHECK(Delta(pliMetricsAfter, pliMetricsBefore,
              "myriad_keyframe_requests_total{direction=\"received\",type=\"pli\"}") == 2);
  CHECK(Delta(pliMetricsAfter, pliMetricsBefore,
              "myriad_keyframe_requests_total{direction=\"sent\",type=\"pli\"}") ==
        static_cast<double>(plis.size()));
  CHECK(Delta(pliMetricsAfter, pliMetricsBefore, "myriad_keyframe_requests_throttled_total") >= 1);

  // Alice's sender reports reach Bob as sender reports for his SSRCs.
  for (const MediaTrack* track : {&aliceVideo, &aliceAudio}) {
    const auto& last = (track == &aliceVideo ? sentVideo : sentAudio).Packets().back();
    std::array<uint8_t, rtp::SenderReport::kFixedSize> buffer{};
    rtp::SenderReport::Fields fields;
    fields.senderSsrc = track->ssrc;
    fields.ntpTimestamp = 0xE000000000000000ull;
    fields.rtpTimestamp = last.timestamp;
    fields.packetCount = 1;
    fields.octetCount = 1;
    const size_t length = rtp::SenderReport::Serialize(fields, buffer);
    SendRtcp(alice, std::span<const uint8_t>(buffer.data(), length));
  }
  std::map<uint32_t, rtp::SenderReport::Fields> bobReports;
  REQUIRE(RunUntil(
      context,
      [&] {
        bobReceived.ForEachRtcp([&](const rtp::RtcpHeader& header, Clock::time_point) {
          if (header.PacketType() != rtp::RtcpHeader::kSenderReport) return;
          const auto report = rtp::SenderReport::Parse(header.Packet());
          REQUIRE(report.has_value());
          bobReports[report->SenderSsrc()] = rtp::SenderReport::Fields{
              report->SenderSsrc(),  report->NtpTimestamp(), report->RtpTimestamp(),
              report->PacketCount(), report->OctetCount(),   {}};
        });
        return bobReports.count(bobVideo.ssrc) && bobReports.count(bobAudio.ssrc);
      },
      3s));
  CHECK(bobReports[bobVideo.ssrc].packetCount == 200);
  CHECK(bobReports[bobAudio.ssrc].packetCount == 100);
  CHECK(bobReports[bobVideo.ssrc].ntpTimestamp != 0);
  // RTP time on Bob's clock (Alice's shifted like his packets), extrapolated
  // from Alice's report by at most a few seconds.
  const uint32_t videoAdvance =
      bobReports[bobVideo.ssrc].rtpTimestamp -
      (sentVideo.Packets().back().timestamp + *timestampOffset[bobVideo.ssrc]);
  CHECK(videoAdvance < 90000u * 5);
  const uint32_t audioAdvance =
      bobReports[bobAudio.ssrc].rtpTimestamp -
      (sentAudio.Packets().back().timestamp + *timestampOffset[bobAudio.ssrc]);
  CHECK(audioAdvance < 48000u * 5);

  // The server NACKs what it lost from Alice: three packets never sent.
  const auto gapMetricsBefore = server.Metrics();
  const size_t nackFrom = aliceReceived.Rtcp().size();
  const size_t bobBeforeGap = bobReceived.CountRtp(bobVideo.ssrc);
  sentVideo.Produce(alice, video);
  std::vector<SentPacketLog::Sent> lost;
  for (int i = 0; i < 3; ++i) lost.push_back(sentVideo.Produce(alice, video, /*send=*/false));
  sentVideo.Produce(alice, video);
  const std::set<uint16_t> lostSequences = {lost[0].sequenceNumber, lost[1].sequenceNumber,
                                            lost[2].sequenceNumber};
  REQUIRE(RunUntil(
      context, [&] { return NackedFor(aliceReceived, aliceVideo.ssrc, nackFrom) == lostSequences; },
      kDeadline));
  // Alice repairs them over RTX; Bob gets them as plain media in his numbering.
  uint16_t aliceRtxSequence = 1;
  for (auto& packet : lost) {
    std::array<uint8_t, 1600> buffer{};
    const auto original = rtp::RtpPacket::Parse(packet.bytes);
    REQUIRE(original.has_value());
    auto rtx = rtp::OriginalToRtx(*original, buffer, aliceVideo.rtxPayloadType, aliceVideo.rtxSsrc,
                                  aliceRtxSequence++);
    REQUIRE(rtx.has_value());
    REQUIRE(rtp::WriteTransportSequenceNumber(rtx->GetExtension(aliceVideo.extensions.transportCc),
                                              alice.NextTransportSequence()));
    REQUIRE(alice.SendRtp(rtx->Data()));
  }
  REQUIRE(RunUntil(
      context, [&] { return bobReceived.CountRtp(bobVideo.ssrc) == bobBeforeGap + 5; }, kDeadline));
  std::vector<uint16_t> allVideoSequences;
  for (auto& received : bobReceived.Rtp()) {
    const rtp::RtpPacket packet = PacketRecorder::View(received);
    if (packet.Ssrc() != bobVideo.ssrc) continue;
    const auto* sent = sentVideo.FindByPayload(packet.Payload());
    REQUIRE(sent != nullptr);
    CHECK(static_cast<uint16_t>(packet.SequenceNumber() - sent->sequenceNumber) ==
          *sequenceOffset[bobVideo.ssrc]);
    CHECK(packet.Timestamp() - sent->timestamp == *timestampOffset[bobVideo.ssrc]);
    allVideoSequences.push_back(packet.SequenceNumber());
  }
  CHECK(allVideoSequences.size() == 205);
  CHECK(Contiguous(allVideoSequences));
  // Once repaired, the server stops asking.
  RunFor(context, 100ms);
  const size_t nacksAfterRepair = NackMessagesFor(aliceReceived, aliceVideo.ssrc);
  RunFor(context, 300ms);
  CHECK(NackMessagesFor(aliceReceived, aliceVideo.ssrc) == nacksAfterRepair);
  const auto gapMetricsAfter = server.Metrics();
  CHECK(Delta(gapMetricsAfter, gapMetricsBefore, "myriad_nacks_total{direction=\"sent\"}") >= 1);

  // Nothing failed to decrypt on either side.
  CHECK(alice.Transport().GetCounters().unprotectFailures == 0);
  CHECK(bob.Transport().GetCounters().unprotectFailures == 0);
  CHECK(bob.Transport().GetCounters().malformedRtp == 0);
}

TEST_CASE("Subscriptions follow renegotiation, codecs and departures",
          "[integration][forwarding]") {
  InProcessServer server;
  boost::asio::io_context context;
  auto aliceOptions = ClientOptions(server, 3);
  aliceOptions.videoCodec = loadtest::VideoCodec::kH264;
  WebRtcClient alice(context, aliceOptions);
  WebRtcClient bob(context, RenumberedOptions(server, 4));
  PacketRecorder bobReceived;
  bobReceived.Attach(bob);

  REQUIRE(Await(context, [&](auto done) { alice.Join("renegotiation", "Alice", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { bob.Join("renegotiation", "Bob", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { alice.Publish({.audio = true, .video = true}, done); }) ==
          "");
  const MediaTrack aliceVideo = *alice.PublishedTrack("video");
  const MediaTrack aliceAudio = *alice.PublishedTrack("audio");
  CHECK(aliceVideo.codecName == "H264");
  CHECK(aliceVideo.payloadType == 108);

  // Bob heard of the tracks through a `roster` batch.
  REQUIRE(RunUntil(
      context, [&] { return bob.RemoteTracks().size() == 2; }, kDeadline));
  CHECK(bob.RemoteTracks().at(aliceVideo.trackId).participantId == alice.ParticipantId());
  CHECK(bob.RemoteTracks().at(aliceVideo.trackId).source == "camera");

  REQUIRE(Await(context, [&](auto done) { bob.Subscribe(aliceVideo.trackId, done); }) == "");
  REQUIRE(Await(context, [&](auto done) { bob.Subscribe(aliceAudio.trackId, done); }) == "");
  const MediaTrack bobVideo = *bob.SubscribedTrack(aliceVideo.trackId);
  const MediaTrack bobAudio = *bob.SubscribedTrack(aliceAudio.trackId);
  // The publisher's H264 profile (42e01f) picks Bob's matching format.
  CHECK(bobVideo.codecName == "H264");
  CHECK(bobVideo.payloadType == 122);
  CHECK(bobVideo.rtxPayloadType == 123);
  REQUIRE(RunUntil(
      context, [&] { return alice.IsConnected() && bob.IsConnected(); }, kDeadline));

  SyntheticMediaSource video(alice.SourceConfigFor(aliceVideo, 2001));
  SyntheticMediaSource audio(alice.SourceConfigFor(aliceAudio, 2002));
  SentPacketLog sentVideo;
  SentPacketLog sentAudio;
  for (int i = 0; i < 30; ++i) sentVideo.Produce(alice, video);
  for (int i = 0; i < 10; ++i) sentAudio.Produce(alice, audio);
  REQUIRE(RunUntil(
      context, [&] { return bobReceived.Rtp().size() == 40; }, kDeadline));
  for (auto& received : bobReceived.Rtp()) {
    const rtp::RtpPacket packet = PacketRecorder::View(received);
    if (packet.Ssrc() == bobVideo.ssrc) {
      CHECK(packet.PayloadType() == 122);
      CHECK(sentVideo.FindByPayload(packet.Payload()) != nullptr);
    } else {
      CHECK(packet.Ssrc() == bobAudio.ssrc);
      CHECK(packet.PayloadType() == 120);
      CHECK(sentAudio.FindByPayload(packet.Payload()) != nullptr);
    }
  }

  // Bob stops his video transceiver: audio keeps flowing, video stops.
  REQUIRE(Await(context, [&](auto done) { bob.Unsubscribe(aliceVideo.trackId, done); }) == "");
  CHECK(bob.SubscribedTrack(aliceVideo.trackId) == nullptr);
  CHECK(bob.SubscribedTrack(aliceAudio.trackId) != nullptr);
  for (int i = 0; i < 30; ++i) sentVideo.Produce(alice, video);
  for (int i = 0; i < 10; ++i) sentAudio.Produce(alice, audio);
  // Audio after video from the same socket: once the audio is in, the video
  // would have been too.
  REQUIRE(RunUntil(
      context, [&] { return bobReceived.CountRtp(bobAudio.ssrc) == 20; }, kDeadline));
  CHECK(bobReceived.CountRtp(bobVideo.ssrc) == 30);

  // Subscribing again on a new m-line works after the stopped one.
  REQUIRE(Await(context, [&](auto done) { bob.Subscribe(aliceVideo.trackId, done); }) == "");
  const MediaTrack bobVideoAgain = *bob.SubscribedTrack(aliceVideo.trackId);
  CHECK(bobVideoAgain.mid != bobVideo.mid);
  for (int i = 0; i < 10; ++i) sentVideo.Produce(alice, video);
  REQUIRE(RunUntil(
      context, [&] { return bobReceived.CountRtp(bobVideoAgain.ssrc) == 10; }, kDeadline));

  // A latecomer gets the snapshot; everyone hears when Alice leaves.
  WebRtcClient carol(context, ClientOptions(server, 5));
  REQUIRE(Await(context, [&](auto done) { carol.Join("renegotiation", "Carol", done); }) == "");
  CHECK(carol.Participants().size() == 2);
  CHECK(carol.RemoteTracks().size() == 2);
  REQUIRE(RunUntil(
      context, [&] { return bob.Participants().count(carol.ParticipantId()); }, kDeadline));

  REQUIRE(Await(context, [&](auto done) { alice.Leave(done); }) == "");
  CHECK(alice.HasLeft());
  CHECK(alice.LeftReason() == "requested");
  REQUIRE(RunUntil(
      context,
      [&] {
        return !bob.Participants().count(alice.ParticipantId()) &&
               !carol.Participants().count(alice.ParticipantId());
      },
      kDeadline));
  CHECK(bob.RemoteTracks().empty());
  CHECK(carol.RemoteTracks().empty());
  // Alice's departure reached Bob as one `left` entry of a roster batch (her
  // tracks go with her), and batch versions only grow.
  size_t leftEntries = 0;
  uint64_t lastVersion = 0;
  for (const auto& event : bob.Events()) {
    if (event.value("type", "") != "roster") continue;
    CHECK(event.value("version", uint64_t{0}) > lastVersion);
    lastVersion = event.value("version", uint64_t{0});
    for (const auto& left : event.value("left", nlohmann::json::array())) {
      if (left == alice.ParticipantId()) ++leftEntries;
    }
  }
  CHECK(leftEntries == 1);
  CHECK(bob.RosterVersion() == lastVersion);
}

}  // namespace myriad::integration
