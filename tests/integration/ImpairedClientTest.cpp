// Clients behind an ImpairmentRelay (ClientTransport::Options::impairment
// and impairmentRelay) against a real in-process server: ICE, DTLS and SRTP
// cross the relay, media flows, the path's delay shows, and its options
// change while the call runs.

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "loadtest/client/ClientTransport.h"
#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {

using namespace std::chrono_literals;
using loadtest::ClientTransport;
using loadtest::GilbertElliottLoss;
using loadtest::ImpairmentRelay;
using loadtest::RunUntil;
using loadtest::SyntheticMediaSource;
using loadtest::WebRtcClient;
using Clock = ClientTransport::Clock;

namespace {

// Sends one packet at a time until the receiver has counted `target`
// packets (the first may meet a subscription still connecting).
bool SendUntilReceived(boost::asio::io_context& context, WebRtcClient& publisher,
                       SyntheticMediaSource& source, SentPacketLog& sent, const size_t& received,
                       size_t target) {
  for (int i = 0; i < 200 && received < target; ++i) {
    sent.Produce(publisher, source);
    RunUntil(
        context, [&] { return received >= target; }, 20ms);
  }
  return received >= target;
}

// A packet the subscriber received: its index in the publisher's log
// (payloads identify packets; the server rewrites sequence numbers).
struct Arrival {
  size_t index = 0;
  Clock::time_point at;
};

}  // namespace

TEST_CASE("A client behind its own impairment relay connects, sends and receives media",
          "[integration][client][impairment]") {
  InProcessServer server;
  boost::asio::io_context context;
  constexpr auto kUplinkDelay = 20ms;
  constexpr auto kDownlinkDelay = 15ms;
  const auto options = [&](uint32_t seed) {
    WebRtcClient::Options o;
    o.port = server.HttpPort();
    o.seed = seed;
    ImpairmentRelay::PathOptions path;
    path.uplink.delay = kUplinkDelay;
    path.downlink.delay = kDownlinkDelay;
    path.downlink.rateBitsPerSecond = 2'000'000;
    o.transport.impairment = path;
    return o;
  };
  WebRtcClient publisher(context, options(1));
  WebRtcClient subscriber(context, options(2));
  REQUIRE(Await(context, [&](auto done) { publisher.Join("impaired", "pub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) {
            publisher.Publish({.audio = true, .video = false}, done);
          }) == "");
  const auto* audio = publisher.PublishedTrack("audio");
  REQUIRE(audio != nullptr);
  REQUIRE(Await(context, [&](auto done) { subscriber.Join("impaired", "sub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { subscriber.Subscribe(audio->trackId, done); }) == "");
  SentPacketLog sent;
  std::vector<Arrival> arrivals;
  size_t received = 0;
  subscriber.SetRtpHandler([&](rtp::RtpPacket& packet) {
    ++received;
    if (const auto* match = sent.FindByPayload(packet.Payload())) {
      arrivals.push_back({static_cast<size_t>(match - sent.Packets().data()), Clock::now()});
    }
  });
  const auto arrived = [&](size_t index) {
    for (const auto& arrival : arrivals) {
      if (arrival.index == index) return &arrival;
    }
    return static_cast<const Arrival*>(nullptr);
  };
  REQUIRE(RunUntil(
      context, [&] { return publisher.IsConnected() && subscriber.IsConnected(); }, 10s));

  // The transport talks to its relay, and the relay to the server's candidate.
  for (WebRtcClient* client : {&publisher, &subscriber}) {
    const ClientTransport& transport = client->Transport();
    REQUIRE(transport.Relay() != nullptr);
    CHECK(transport.PathEndpoint() == transport.Relay()->FrontEndpoint());
    CHECK(transport.Relay()->Target() == transport.Remote().candidate);
    CHECK(transport.Relay()->Mappings() == 1);
    // Every connectivity check crossed both directions of the path.
    const auto roundTrip = transport.LastCheckRoundTrip();
    REQUIRE(roundTrip);
    CHECK(*roundTrip >= kUplinkDelay + kDownlinkDelay);
    CHECK(transport.GetCounters().datagramsFromUnknownSources == 0);
  }

  SyntheticMediaSource source(publisher.SourceConfigFor(*audio, 3));
  REQUIRE(SendUntilReceived(context, publisher, source, sent, received, 1));
  // Now connected end to end: a packet crosses the publisher's uplink and
  // the subscriber's downlink.
  const size_t probe = sent.Packets().size();
  const auto sentAt = Clock::now();
  sent.Produce(publisher, source);
  REQUIRE(RunUntil(
      context, [&] { return arrived(probe) != nullptr; }, 5s));
  CHECK(arrived(probe)->at - sentAt >= kUplinkDelay + kDownlinkDelay);

  // The subscriber's downlink loses everything from now on...
  ImpairmentRelay& subscriberRelay = *subscriber.Transport().Relay();
  ImpairmentRelay::PathOptions lossy = subscriberRelay.GetPathOptions();
  lossy.downlink.loss = GilbertElliottLoss::Independent(1.0);
  subscriberRelay.SetPathOptions(lossy, Clock::now());
  const size_t firstLost = sent.Packets().size();
  const uint64_t droppedBefore = subscriberRelay.GetCounters().downlink.droppedRandomLoss;
  for (int i = 0; i < 10; ++i) sent.Produce(publisher, source);
  REQUIRE(RunUntil(
      context,
      [&] {
        return subscriberRelay.GetCounters().downlink.droppedRandomLoss >= droppedBefore + 10;
      },
      5s));
  // (What the downlink had admitted before the change may still arrive.)
  for (const auto& arrival : arrivals) CHECK(arrival.index < firstLost);

  // ...until it is healed.
  lossy.downlink.loss = GilbertElliottLoss::Options{};
  subscriberRelay.SetPathOptions(lossy, Clock::now());
  const size_t healed = sent.Packets().size();
  REQUIRE(SendUntilReceived(context, publisher, source, sent, received, received + 5));
  CHECK(arrivals.back().index >= healed);

  const auto publisherCounters = publisher.Transport().Relay()->GetCounters();
  CHECK(publisherCounters.uplink.forwarded > 10);
  CHECK(publisherCounters.downlink.forwarded > 0);
  CHECK(publisherCounters.uplink.Dropped() == 0);
  CHECK(subscriber.Transport().GetCounters().unprotectFailures == 0);

  // Close passes the close_notify on through the relay and closes it.
  publisher.Transport().Close();
  CHECK(!publisher.Transport().Relay()->IsOpen());
  CHECK(publisher.Transport().Relay()->GetCounters().uplink.forwarded >
        publisherCounters.uplink.forwarded);
}

TEST_CASE("Clients share a given impairment relay, each with its own mapping",
          "[integration][client][impairment]") {
  // One worker: the relay's target is the one media port.
  InProcessServer server([](config::ServerConfig& config) { config.media.workers = 1; });
  REQUIRE(server.MediaPorts().size() == 1);
  boost::asio::io_context context;
  const ImpairmentRelay::Endpoint media(boost::asio::ip::address_v4::loopback(),
                                        server.MediaPorts()[0]);
  ImpairmentRelay::Options relayOptions;
  relayOptions.target = media;
  relayOptions.path.uplink.delay = 10ms;
  relayOptions.path.downlink.delay = 10ms;
  ImpairmentRelay relay(context, relayOptions);
  std::string error;
  REQUIRE(relay.Open(&error));

  const auto options = [&](uint32_t seed, ImpairmentRelay* through) {
    WebRtcClient::Options o;
    o.port = server.HttpPort();
    o.seed = seed;
    o.transport.impairmentRelay = through;
    return o;
  };
  WebRtcClient publisher(context, options(1, &relay));
  WebRtcClient subscriber(context, options(2, &relay));
  REQUIRE(Await(context, [&](auto done) { publisher.Join("shared", "pub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) {
            publisher.Publish({.audio = true, .video = false}, done);
          }) == "");
  const auto* audio = publisher.PublishedTrack("audio");
  REQUIRE(audio != nullptr);
  REQUIRE(Await(context, [&](auto done) { subscriber.Join("shared", "sub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { subscriber.Subscribe(audio->trackId, done); }) == "");
  size_t received = 0;
  subscriber.SetRtpHandler([&](rtp::RtpPacket&) { ++received; });
  REQUIRE(RunUntil(
      context, [&] { return publisher.IsConnected() && subscriber.IsConnected(); }, 10s));

  CHECK(relay.Mappings() == 2);
  const auto publisherBack = relay.BackEndpointOf(publisher.Transport().LocalEndpoint());
  const auto subscriberBack = relay.BackEndpointOf(subscriber.Transport().LocalEndpoint());
  REQUIRE(publisherBack);
  REQUIRE(subscriberBack);
  CHECK(*publisherBack != *subscriberBack);
  CHECK(publisher.Transport().Relay() == &relay);

  SyntheticMediaSource source(publisher.SourceConfigFor(*audio, 3));
  SentPacketLog sent;
  REQUIRE(SendUntilReceived(context, publisher, source, sent, received, 5));

  // A given relay that leads elsewhere fails the transport with the reason.
  ImpairmentRelay::Options elsewhere = relayOptions;
  elsewhere.target.port(static_cast<uint16_t>(media.port() == 65535 ? 1 : media.port() + 1));
  ImpairmentRelay wrong(context, elsewhere);
  REQUIRE(wrong.Open(&error));
  WebRtcClient lost(context, options(3, &wrong));
  REQUIRE(Await(context, [&](auto done) { lost.Join("shared", "lost", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { lost.Publish({.audio = true, .video = false}, done); }) ==
          "");
  CHECK(lost.Transport().GetState() == ClientTransport::State::kFailed);
  CHECK_THAT(lost.Transport().FailureReason(), Catch::Contains("does not lead to"));

  // The shared relay outlives its clients' transports, and is not theirs to close.
  publisher.Transport().Close();
  CHECK(relay.IsOpen());
}

}  // namespace myriad::integration
