#include <array>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "rtp/StunMessage.h"
#include "rtp/StunMessageBuilder.h"
#include "server/transport/DtlsCertificate.h"
#include "server/transport/WebRtcTransport.h"

using namespace myriad::server::transport;
using myriad::rtp::StunMessage;
using myriad::rtp::StunMessageBuilder;

namespace {

struct RecordingSender : PacketSender {
  std::vector<std::vector<uint8_t>> sent;
  bool SendPacket(std::span<const uint8_t> datagram,
                  const boost::asio::ip::udp::endpoint&) override {
    sent.emplace_back(datagram.begin(), datagram.end());
    return true;
  }
};

struct RecordingListener : WebRtcTransport::Listener {
  std::vector<std::string> closed;
  int connected = 0;
  void OnTransportConnected() override { ++connected; }
  void OnTransportClosed(std::string_view reason) override { closed.emplace_back(reason); }
  void OnRtpPacket(myriad::rtp::RtpPacket&, WebRtcTransport::Clock::time_point) override {}
  void OnRtcpPacket(std::span<uint8_t>, WebRtcTransport::Clock::time_point) override {}
};

std::vector<uint8_t> BindingRequest(const WebRtcTransport& transport) {
  std::array<uint8_t, 256> buffer{};
  std::array<uint8_t, 12> transaction{};
  transaction.fill(7);
  StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, transaction);
  builder.AddUsername(transport.LocalUfrag() + ":remote");
  builder.AddPriority(1);
  builder.AddIceControlling(42);
  builder.AddUseCandidate();
  builder.AddMessageIntegrity(transport.LocalPassword());
  builder.AddFingerprint();
  const auto bytes = builder.Finish();
  return {bytes.begin(), bytes.end()};
}

}  // namespace

TEST_CASE("WebRtcTransport closes when ICE consent expires (RFC 7675)") {
  auto certificate = DtlsCertificate::Generate();
  REQUIRE(certificate);
  RecordingSender sender;
  RecordingListener listener;
  const auto start = WebRtcTransport::Clock::time_point{} + std::chrono::hours(1);
  WebRtcTransport transport(*certificate, sender, listener,
                            WebRtcTransport::Options{std::chrono::milliseconds(30000)}, start);
  transport.SetRemoteParameters("remote", "sha-256", certificate->FingerprintSha256());
  const boost::asio::ip::udp::endpoint peer(boost::asio::ip::make_address("127.0.0.1"), 5000);

  SECTION("a transport that never gets a check expires after the timeout") {
    transport.OnTick(start + std::chrono::seconds(29));
    CHECK(listener.closed.empty());
    transport.OnTick(start + std::chrono::seconds(31));
    REQUIRE(listener.closed == std::vector<std::string>{"ice_consent_expired"});
    CHECK(transport.IsClosed());
  }

  SECTION("each valid check renews consent for another timeout") {
    const auto request = BindingRequest(transport);
    const auto message = StunMessage::Parse(request);
    REQUIRE(message);
    CHECK(transport.ProcessStun(*message, peer, start + std::chrono::seconds(20)));
    REQUIRE(sender.sent.size() == 1);  // the binding success response
    CHECK(transport.SelectedEndpoint() == peer);
    transport.OnTick(start + std::chrono::seconds(45));
    CHECK(listener.closed.empty());
    transport.OnTick(start + std::chrono::seconds(51));
    CHECK(listener.closed == std::vector<std::string>{"ice_consent_expired"});
  }

  SECTION("a check with a wrong password neither answers nor renews consent") {
    auto request = BindingRequest(transport);
    request[request.size() - 12] ^= 0xFF;  // inside MESSAGE-INTEGRITY
    const auto message = StunMessage::Parse(request);
    if (message)
      CHECK_FALSE(transport.ProcessStun(*message, peer, start + std::chrono::seconds(20)));
    CHECK(sender.sent.empty());
    transport.OnTick(start + std::chrono::seconds(31));
    CHECK(listener.closed == std::vector<std::string>{"ice_consent_expired"});
  }

  SECTION("closing is reported once") {
    transport.Close("test");
    transport.OnTick(start + std::chrono::minutes(5));
    CHECK(listener.closed == std::vector<std::string>{"test"});
  }
}

TEST_CASE("WebRtcTransport drops SRTP before DTLS has produced keys") {
  auto certificate = DtlsCertificate::Generate();
  RecordingSender sender;
  RecordingListener listener;
  const auto now = WebRtcTransport::Clock::time_point{} + std::chrono::hours(1);
  WebRtcTransport transport(*certificate, sender, listener, WebRtcTransport::Options{}, now);
  std::array<uint8_t, 64> packet{};
  packet[0] = 0x80;
  packet[1] = 96;
  transport.ProcessSrtp(packet, {}, now);
  CHECK_FALSE(transport.IsConnected());
  CHECK(listener.connected == 0);
}
