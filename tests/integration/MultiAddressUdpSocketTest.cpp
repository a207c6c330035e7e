// One UDP socket standing in for many clients: each gets its own loopback
// address, the peer sees distinct 5-tuples, replies reach only their client,
// and sends are batched into few system calls. Then the whole WebRTC stack
// (ICE, DTLS, SRTP) over it against a real server.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "loadtest/client/MultiAddressUdpSocket.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {

using namespace std::chrono_literals;
using loadtest::MultiAddressUdpSocket;
using loadtest::RunUntil;
using Endpoint = boost::asio::ip::udp::endpoint;

namespace {

struct RecordingReceiver : MultiAddressUdpSocket::Receiver {
  std::vector<std::string> received;
  std::vector<Endpoint> from;
  void OnSharedDatagram(std::span<uint8_t> datagram, const Endpoint& source,
                        MultiAddressUdpSocket::Clock::time_point) override {
    received.emplace_back(datagram.begin(), datagram.end());
    from.push_back(source);
  }
};

std::span<const uint8_t> Bytes(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

}  // namespace

TEST_CASE("MultiAddressUdpSocket gives each client its own loopback address", "[integration]") {
  boost::asio::io_context context;
  MultiAddressUdpSocket shared(context, 1 << 20);
  std::string error;
  REQUIRE(shared.Open(&error));

  // A plain peer that echoes every datagram to where it came from.
  boost::asio::ip::udp::socket peer(context,
                                    Endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const Endpoint peerEndpoint = peer.local_endpoint();
  std::set<Endpoint> sources;
  std::array<uint8_t, 2048> buffer{};
  Endpoint sender;
  std::function<void()> echo = [&] {
    peer.async_receive_from(boost::asio::buffer(buffer), sender,
                            [&](const boost::system::error_code& ec, size_t size) {
                              if (ec) return;
                              sources.insert(sender);
                              peer.send_to(boost::asio::buffer(buffer.data(), size), sender);
                              echo();
                            });
  };
  echo();

  constexpr int kClients = 3;
  std::vector<RecordingReceiver> receivers(kClients);
  std::vector<Endpoint> locals;
  for (auto& receiver : receivers) {
    const auto local = shared.Attach(receiver);
    REQUIRE(local);
    CHECK(local->address().to_v4().to_bytes()[0] == 127);
    CHECK(local->port() == shared.Port());
    locals.push_back(*local);
  }
  CHECK(std::set<Endpoint>(locals.begin(), locals.end()).size() == kClients);

  // 70 datagrams per client, queued in one go: batched into few sendmmsg calls.
  constexpr int kEach = 70;
  for (int n = 0; n < kEach; ++n) {
    for (int c = 0; c < kClients; ++c) {
      REQUIRE(shared.Send(locals[c], peerEndpoint,
                          Bytes("client " + std::to_string(c) + " #" + std::to_string(n))));
    }
  }
  REQUIRE(RunUntil(
      context,
      [&] {
        for (const auto& receiver : receivers) {
          if (receiver.received.size() < kEach) return false;
        }
        return true;
      },
      5s));
  // The peer saw one source per client, all on the shared port.
  CHECK(sources == std::set<Endpoint>(locals.begin(), locals.end()));
  for (int c = 0; c < kClients; ++c) {
    INFO("client " << c);
    CHECK(receivers[c].received.size() == kEach);
    for (int n = 0; n < kEach; ++n) {
      CHECK(receivers[c].received[n] == "client " + std::to_string(c) + " #" + std::to_string(n));
      CHECK(receivers[c].from[n] == peerEndpoint);
    }
  }
  const auto& counters = shared.GetCounters();
  CHECK(counters.datagramsSent == kClients * kEach);
  CHECK(counters.sendFailures == 0);
  // 210 datagrams in batches of up to 64.
  CHECK(counters.sendCalls <= 4);
  CHECK(counters.datagramsReceived == kClients * kEach);

  // A detached client hears nothing more; datagrams for unknown addresses
  // are counted, not delivered.
  shared.Detach(locals[1]);
  boost::asio::ip::udp::socket stranger(context,
                                        Endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  stranger.send_to(boost::asio::buffer(std::string("to nobody")),
                   Endpoint(boost::asio::ip::make_address("127.0.0.1"), shared.Port()));
  stranger.send_to(boost::asio::buffer(std::string("to the detached one")), locals[1]);
  REQUIRE(shared.Send(locals[0], peerEndpoint, Bytes("still here")));
  REQUIRE(RunUntil(
      context, [&] { return receivers[0].received.size() == kEach + 1; }, 5s));
  REQUIRE(RunUntil(
      context, [&] { return shared.GetCounters().datagramsUnaddressed == 2; }, 5s));
  CHECK(receivers[1].received.size() == kEach);
  CHECK(receivers[2].received.size() == kEach);
}

TEST_CASE("MultiAddressUdpSocket hands out the addresses of its range, then none",
          "[integration]") {
  boost::asio::io_context context;
  std::string error;
  // Two usable addresses: 127.77.0.1 and 127.77.0.2.
  const auto range = loadtest::ClientAddressRange::ParseCidr("127.77.0.0/30", &error);
  REQUIRE(range.has_value());
  MultiAddressUdpSocket shared(context, 1 << 20, *range);
  REQUIRE(shared.Open(&error));
  boost::asio::ip::udp::socket peer(context,
                                    Endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  const Endpoint peerEndpoint = peer.local_endpoint();

  std::vector<RecordingReceiver> receivers(3);
  const auto first = shared.Attach(receivers[0]);
  const auto second = shared.Attach(receivers[1]);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->address().to_string() == "127.77.0.1");
  CHECK(second->address().to_string() == "127.77.0.2");
  CHECK_FALSE(shared.Attach(receivers[2]).has_value());

  // The peer sees the range's address as the source, and its reply reaches
  // that client only.
  REQUIRE(shared.Send(*second, peerEndpoint, Bytes("from the second")));
  std::array<uint8_t, 64> buffer{};
  Endpoint sender;
  size_t size = 0;
  peer.async_receive_from(boost::asio::buffer(buffer), sender,
                          [&](const boost::system::error_code& ec, size_t n) {
                            if (!ec) size = n;
                          });
  REQUIRE(RunUntil(
      context, [&] { return size > 0; }, 5s));
  CHECK(sender == *second);
  peer.send_to(boost::asio::buffer(std::string("back")), sender);
  REQUIRE(RunUntil(
      context, [&] { return !receivers[1].received.empty(); }, 5s));
  CHECK(receivers[1].received == std::vector<std::string>{"back"});
  CHECK(receivers[0].received.empty());
}

TEST_CASE("WebRTC clients sharing one MultiAddressUdpSocket connect and exchange media",
          "[integration][client]") {
  InProcessServer server;
  boost::asio::io_context context;
  MultiAddressUdpSocket shared(context, 4 << 20);
  std::string error;
  REQUIRE(shared.Open(&error));
  const auto options = [&](uint32_t seed) {
    loadtest::WebRtcClient::Options o;
    o.port = server.HttpPort();
    o.seed = seed;
    o.transport.sharedSocket = &shared;
    return o;
  };
  loadtest::WebRtcClient publisher(context, options(1));
  REQUIRE(Await(context, [&](auto done) { publisher.Join("shared", "pub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) {
            publisher.Publish({.audio = true, .video = false}, done);
          }) == "");
  const std::string trackId = publisher.PublishedTrack("audio")->trackId;
  std::vector<std::unique_ptr<loadtest::WebRtcClient>> subscribers;
  std::vector<size_t> received(2, 0);
  for (int i = 0; i < 2; ++i) {
    subscribers.push_back(std::make_unique<loadtest::WebRtcClient>(context, options(10 + i)));
    auto& client = *subscribers.back();
    REQUIRE(Await(context, [&](auto done) { client.Join("shared", "sub", done); }) == "");
    REQUIRE(Await(context, [&](auto done) { client.Subscribe(trackId, done); }) == "");
    client.SetRtpHandler([&received, i](rtp::RtpPacket&) { ++received[i]; });
  }
  REQUIRE(RunUntil(
      context,
      [&] {
        return publisher.IsConnected() && subscribers[0]->IsConnected() &&
               subscribers[1]->IsConnected();
      },
      10s));
  // Three transports, three addresses, one socket.
  CHECK(shared.Attached() == 3);
  CHECK(publisher.Transport().LocalEndpoint() != subscribers[0]->Transport().LocalEndpoint());

  loadtest::SyntheticMediaSource audio(
      publisher.SourceConfigFor(*publisher.PublishedTrack("audio"), 3));
  SentPacketLog sent;
  constexpr size_t kPackets = 50;
  for (size_t i = 0; i < kPackets; ++i) sent.Produce(publisher, audio);
  REQUIRE(RunUntil(
      context, [&] { return received[0] >= kPackets && received[1] >= kPackets; }, 5s));
  CHECK(received[0] == kPackets);
  CHECK(received[1] == kPackets);
  for (const auto& client : subscribers) {
    CHECK(client->Transport().GetCounters().unprotectFailures == 0);
  }
}

}  // namespace myriad::integration
