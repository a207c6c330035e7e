// The client transport receives in batches (one recvmmsg of up to
// kReceiveBatch datagrams per wake-up): a burst larger than a batch arrives
// whole and in order, across many transports on one thread.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "loadtest/client/ClientTransport.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "server/transport/SctpAssociation.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {

using namespace std::chrono_literals;
using loadtest::ClientTransport;
using loadtest::RunUntil;
using loadtest::SyntheticMediaSource;
using loadtest::WebRtcClient;

TEST_CASE("ClientTransport drains bursts larger than one receive batch on every socket",
          "[integration][client]") {
  InProcessServer server;
  boost::asio::io_context context;
  const auto options = [&](uint32_t seed) {
    WebRtcClient::Options o;
    o.port = server.HttpPort();
    o.seed = seed;
    return o;
  };
  WebRtcClient publisher(context, options(1));
  REQUIRE(Await(context, [&](auto done) { publisher.Join("burst", "pub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) {
            publisher.Publish({.audio = true, .video = false}, done);
          }) == "");
  const std::string trackId = publisher.PublishedTrack("audio")->trackId;
  constexpr int kSubscribers = 6;
  std::vector<std::unique_ptr<WebRtcClient>> subscribers;
  std::vector<std::vector<uint16_t>> sequences(kSubscribers);
  for (int i = 0; i < kSubscribers; ++i) {
    subscribers.push_back(std::make_unique<WebRtcClient>(context, options(10 + i)));
    auto& client = *subscribers.back();
    REQUIRE(Await(context, [&](auto done) { client.Join("burst", "sub", done); }) == "");
    REQUIRE(Await(context, [&](auto done) { client.Subscribe(trackId, done); }) == "");
    client.SetRtpHandler([&sequences, i](rtp::RtpPacket& packet) {
      sequences[i].push_back(packet.SequenceNumber());
    });
  }
  REQUIRE(RunUntil(
      context,
      [&] {
        for (const auto& client : subscribers) {
          if (!client->IsConnected()) return false;
        }
        return publisher.IsConnected();
      },
      5s));

  // Three batches' worth at once, without running the io_context between.
  constexpr size_t kBurst = 3 * ClientTransport::kReceiveBatch + 5;
  SyntheticMediaSource audio(publisher.SourceConfigFor(*publisher.PublishedTrack("audio"), 3));
  SentPacketLog sent;
  for (size_t i = 0; i < kBurst; ++i) sent.Produce(publisher, audio);
  REQUIRE(RunUntil(
      context,
      [&] {
        for (const auto& received : sequences) {
          if (received.size() < kBurst) return false;
        }
        return true;
      },
      5s));
  for (int i = 0; i < kSubscribers; ++i) {
    INFO("subscriber " << i);
    CHECK(sequences[i].size() == kBurst);
    for (size_t j = 1; j < sequences[i].size(); ++j) {
      CHECK(sequences[i][j] == static_cast<uint16_t>(sequences[i][j - 1] + 1));
    }
    const auto& counters = subscribers[i]->Transport().GetCounters();
    CHECK(counters.rtpPacketsReceived == kBurst);
    CHECK(counters.unprotectFailures == 0);
    CHECK(counters.datagramsFromUnknownSources == 0);
  }
}

TEST_CASE("ClientTransport with an added delay is that far away both ways, and still connects",
          "[integration][client][delay]") {
  InProcessServer server;
  boost::asio::io_context context;
  constexpr auto kDelay = 30ms;
  WebRtcClient::Options delayedOptions;
  delayedOptions.port = server.HttpPort();
  delayedOptions.seed = 1;
  delayedOptions.transport.addedDelay = kDelay;
  WebRtcClient delayed(context, delayedOptions);
  WebRtcClient::Options plainOptions = delayedOptions;
  plainOptions.seed = 2;
  plainOptions.transport.addedDelay = 0ms;
  WebRtcClient plain(context, plainOptions);

  // The delayed client publishes, the plain one receives.
  REQUIRE(Await(context, [&](auto done) { delayed.Join("delay", "far", done); }) == "");
  REQUIRE(Await(context,
                [&](auto done) { delayed.Publish({.audio = true, .video = false}, done); }) == "");
  const auto* audio = delayed.PublishedTrack("audio");
  REQUIRE(audio != nullptr);
  REQUIRE(Await(context, [&](auto done) { plain.Join("delay", "near", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { plain.Subscribe(audio->trackId, done); }) == "");
  std::vector<ClientTransport::Clock::time_point> arrivals;
  plain.SetRtpHandler([&](rtp::RtpPacket&) { arrivals.push_back(ClientTransport::Clock::now()); });
  REQUIRE(RunUntil(
      context, [&] { return delayed.IsConnected() && plain.IsConnected(); }, 10s));

  // ICE, DTLS and SRTP all went through the lines: a connectivity check's
  // answer came back no sooner than two delays after the check left.
  const auto roundTrip = delayed.Transport().LastCheckRoundTrip();
  REQUIRE(roundTrip.has_value());
  CHECK(*roundTrip >= 2 * kDelay);
  const auto plainRoundTrip = plain.Transport().LastCheckRoundTrip();
  REQUIRE(plainRoundTrip.has_value());
  CHECK(*plainRoundTrip < kDelay);

  // A packet sent by the delayed client reaches the plain one no sooner
  // than one delay later (the server forwards what arrives; the first
  // packets may still meet a subscriber transport that is connecting).
  SyntheticMediaSource source(delayed.SourceConfigFor(*audio, 3));
  SentPacketLog sent;
  std::vector<ClientTransport::Clock::time_point> sentAt;
  for (int i = 0; i < 20 && arrivals.empty(); ++i) {
    sentAt.push_back(ClientTransport::Clock::now());
    sent.Produce(delayed, source);
    RunUntil(
        context, [&] { return !arrivals.empty(); }, 100ms);
  }
  REQUIRE(!arrivals.empty());
  CHECK(arrivals.front() - sentAt.front() >= kDelay);
  CHECK(delayed.Transport().GetCounters().delayLineDrops == 0);

  // Close sends what the send line holds (the close_notify) before the
  // socket goes, and leaves no timer behind that would touch it.
  delayed.Transport().Close();
  loadtest::RunFor(context, 2 * kDelay);
  CHECK(delayed.Transport().GetState() == ClientTransport::State::kClosed);
}

namespace {

// Takes the association's events and ignores them.
struct IgnoringSctpListener : server::transport::SctpAssociation::Listener {
  void OnSctpSendPacket(std::span<const uint8_t> /*packet*/) override {}
  void OnSctpAssociationUp() override {}
  void OnSctpAssociationFailed(std::string_view /*reason*/) override {}
  void OnSctpAssociationClosed() override {}
  void OnDataChannelOpen(uint16_t /*streamId*/, std::string_view /*label*/,
                         std::string_view /*protocol*/) override {}
  void OnDataChannelMessage(uint16_t /*streamId*/, std::span<const uint8_t> /*message*/,
                            bool /*binary*/) override {}
  void OnDataChannelClosed(uint16_t /*streamId*/) override {}
};

}  // namespace

TEST_CASE("ClientTransport runs SCTP over its DTLS as the client, and aborts it on Close",
          "[integration][client][sctp]") {
  using server::transport::SctpAssociation;
  InProcessServer server;
  boost::asio::io_context context;
  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = 7;
  options.controlChannel = true;
  WebRtcClient client(context, options);
  REQUIRE(Await(context, [&](auto done) { client.Join("sctp", "dc", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { client.NegotiateControlChannel(done); }) == "");
  REQUIRE(RunUntil(
      context, [&] { return client.ControlChannelOpen(); }, 5s));

  ClientTransport& transport = client.Transport();
  REQUIRE(transport.Sctp() != nullptr);
  CHECK(transport.Sctp()->GetState() == SctpAssociation::State::kConnected);
  CHECK(transport.Sctp()->GetRole() == server::transport::DtlsRole::kClient);
  CHECK(transport.Sctp()->GetOptions().remotePort == 5000);
  CHECK(transport.Sctp()->GetOptions().remoteMaxMessageSize == 262144);
  const auto& counters = transport.GetCounters();
  CHECK(counters.sctpPacketsSent > 0);
  CHECK(counters.sctpPacketsReceived > 0);
  IgnoringSctpListener listener;
  CHECK(!transport.EnableDataChannels(SctpAssociation::Options{}, listener));  // once only

  // Close notifies the server: an ABORT (one more SCTP packet), then the
  // DTLS close_notify.
  const uint64_t sentBefore = counters.sctpPacketsSent;
  transport.Close(/*notifyPeer=*/true);
  CHECK(counters.sctpPacketsSent == sentBefore + 1);
  CHECK(transport.Sctp() == nullptr);
  CHECK(!client.ControlChannelOpen());
  context.poll();  // the retired association goes
}

}  // namespace myriad::integration
