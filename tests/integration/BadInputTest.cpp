// Hostile and broken input against a running server, while a call keeps
// flowing: every abuse is counted where an operator looks (/metrics), and
// the call loses nothing to it.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "loadtest/client/MetricsScraper.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/SignalingClient.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/StunMessage.h"
#include "rtp/StunMessageBuilder.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/PacketRecorder.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {
namespace {

using namespace std::chrono_literals;
using loadtest::MetricsScraper;
using loadtest::RunFor;
using loadtest::RunUntil;
using loadtest::SignalingClient;
using loadtest::SyntheticMediaSource;
using loadtest::WebRtcClient;
using Bytes = std::vector<uint8_t>;
using Json = nlohmann::json;
using Udp = boost::asio::ip::udp;

constexpr auto kDeadline = 5s;

std::string Drop(const char* reason) {
  return std::string("myriad_dropped_packets_total{reason=\"") + reason + "\"}";
}

std::string SignalingError(const char* code) {
  return std::string("myriad_signaling_errors_total{code=\"") + code + "\"}";
}

// The drops the server must count, per reason, for what we send it.
struct ExpectedDrops {
  std::map<std::string, double> byReason;

  // RFC 7983 demultiplexing of a datagram from a 5-tuple no ICE check has
  // validated, as the worker does it.
  void FromUnknownEndpoint(std::span<const uint8_t> datagram) {
    if (datagram.empty()) {
      ++byReason["not_stun_dtls_or_rtp"];
    } else if (datagram[0] <= 3) {
      const auto message = rtp::StunMessage::Parse(datagram);
      if (!message) {
        ++byReason["malformed_stun"];
      } else if (message->Type() == rtp::StunMessage::kBindingRequest) {
        ++byReason["stun_auth_failed"];  // no transport has its ufrag or password
      }
    } else if ((datagram[0] >= 20 && datagram[0] <= 63) ||
               (datagram[0] >= 128 && datagram[0] <= 191)) {
      ++byReason["unknown_endpoint"];
    } else {
      ++byReason["not_stun_dtls_or_rtp"];
    }
  }
};

Bytes RandomBytes(std::mt19937& random, size_t size) {
  Bytes bytes(size);
  for (auto& byte : bytes) byte = static_cast<uint8_t>(random());
  return bytes;
}

// A binding request as a browser would send it to `transport`'s server, but
// with the given integrity key and username.
Bytes BindingRequest(std::mt19937& random, const std::string& username, const std::string& key) {
  std::array<uint8_t, 512> buffer{};
  std::array<uint8_t, 12> transactionId{};
  for (auto& byte : transactionId) byte = static_cast<uint8_t>(random());
  rtp::StunMessageBuilder builder(buffer, rtp::StunMessage::kBindingRequest, transactionId);
  builder.AddUsername(username);
  builder.AddPriority(1862270975);
  builder.AddIceControlling(0x0102030405060708ull);
  builder.AddUseCandidate();
  builder.AddMessageIntegrity(key);
  builder.AddFingerprint();
  const auto message = builder.Finish();
  REQUIRE(!message.empty());
  return Bytes(message.begin(), message.end());
}

// A DTLS 1.2 record header (RFC 6347 4.1) with a random epoch and sequence
// number and a random body of `bodySize` bytes.
Bytes DtlsRecord(std::mt19937& random, uint8_t contentType, size_t bodySize) {
  Bytes record = {contentType, 0xFE, 0xFD};
  for (int i = 0; i < 8; ++i) record.push_back(static_cast<uint8_t>(random() % (i < 2 ? 3 : 256)));
  record.push_back(static_cast<uint8_t>(bodySize >> 8));
  record.push_back(static_cast<uint8_t>(bodySize));
  const Bytes body = RandomBytes(random, bodySize);
  record.insert(record.end(), body.begin(), body.end());
  return record;
}

}  // namespace

TEST_CASE("Hostile input is counted and dropped while a call keeps flowing",
          "[integration][bad-input]") {
  InProcessServer server;
  boost::asio::io_context context;
  WebRtcClient::Options aliceOptions;
  aliceOptions.port = server.HttpPort();
  aliceOptions.seed = 31;
  WebRtcClient alice(context, aliceOptions);
  auto bobOptions = aliceOptions;
  bobOptions.seed = 32;
  WebRtcClient bob(context, bobOptions);
  PacketRecorder bobReceived;
  bobReceived.Attach(bob);

  REQUIRE(Await(context, [&](auto done) { alice.Join("abuse", "Alice", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { alice.Publish({.audio = true, .video = true}, done); }) ==
          "");
  const auto aliceVideo = *alice.PublishedTrack("video");
  REQUIRE(Await(context, [&](auto done) { bob.Join("abuse", "Bob", done); }) == "");
  REQUIRE(Await(context, [&](auto done) { bob.Subscribe(aliceVideo.trackId, done); }) == "");
  const auto bobVideo = *bob.SubscribedTrack(aliceVideo.trackId);
  REQUIRE(RunUntil(
      context, [&] { return alice.IsConnected() && bob.IsConnected(); }, kDeadline));

  // The call: Alice's video to Bob, confirmed packet by packet.
  SyntheticMediaSource video(alice.SourceConfigFor(aliceVideo, 3001));
  SentPacketLog sent;
  auto pump = [&](int packets) {
    for (int i = 0; i < packets; ++i) sent.Produce(alice, video);
    const bool delivered = RunUntil(
        context, [&] { return bobReceived.Rtp().size() == sent.Packets().size(); }, kDeadline);
    INFO("Bob has " << bobReceived.Rtp().size() << " of " << sent.Packets().size()
                    << " packets; Alice left: " << alice.LeftReason());
    REQUIRE(delivered);
  };
  pump(20);

  const uint16_t roomPort = alice.Transport().Remote().candidate.port();
  const auto mediaPorts = server.MediaPorts();
  REQUIRE(mediaPorts.size() == 2);
  Udp::socket attacker(context, Udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  auto sendFromAttacker = [&](uint16_t port, std::span<const uint8_t> datagram) {
    attacker.send_to(boost::asio::buffer(datagram.data(), datagram.size()),
                     Udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  };
  std::mt19937 random(20240611);
  ExpectedDrops expected;
  const auto before = server.Metrics();

  // 1. A flood of random datagrams of random sizes to each media port. The
  //    call's packets go between them: the worker meets them in one queue.
  for (const uint16_t port : mediaPorts) {
    for (int i = 0; i < 5000; ++i) {
      const Bytes datagram = RandomBytes(random, random() % 1401);
      sendFromAttacker(port, datagram);
      expected.FromUnknownEndpoint(datagram);
      if (i % 50 == 49) pump(1);
    }
  }

  // 2. A valid connectivity check for Alice's transport, truncated at every
  //    length (the whole one is never sent: it would validate the attacker).
  const auto& remote = alice.Transport().Remote();
  const std::string username = remote.iceUfrag + ":" + alice.Transport().LocalUfrag();
  const Bytes check = BindingRequest(random, username, remote.icePwd);
  for (size_t length = 0; length < check.size(); ++length) {
    const std::span<const uint8_t> truncated(check.data(), length);
    sendFromAttacker(roomPort, truncated);
    expected.FromUnknownEndpoint(truncated);
    if (length % 20 == 19) pump(1);
  }

  // 3. Checks for Alice's transport that fail authentication: a wrong
  //    password (with USE-CANDIDATE, to try to take over her media), and
  //    the right password under another remote ufrag.
  for (int i = 0; i < 100; ++i) {
    const Bytes forged = BindingRequest(random, username, "not-the-password-0123456789");
    sendFromAttacker(roomPort, forged);
    expected.FromUnknownEndpoint(forged);
  }
  for (int i = 0; i < 10; ++i) {
    const Bytes forged = BindingRequest(random, remote.iceUfrag + ":evil", remote.icePwd);
    sendFromAttacker(roomPort, forged);
    expected.FromUnknownEndpoint(forged);
  }
  pump(5);

  // 4. Truncated and garbage DTLS records, from an unknown endpoint and
  //    from Alice's own validated 5-tuple (spoofed source on a real network).
  const Bytes handshake = DtlsRecord(random, 22, 100);
  for (size_t length = 1; length <= handshake.size(); ++length) {
    const std::span<const uint8_t> truncated(handshake.data(), length);
    sendFromAttacker(roomPort, truncated);
    expected.FromUnknownEndpoint(truncated);
    alice.Transport().SendRawDatagram(truncated);
  }
  for (int i = 0; i < 200; ++i) {
    const Bytes record =
        DtlsRecord(random, static_cast<uint8_t>(20 + random() % 44), random() % 300);
    sendFromAttacker(roomPort, record);
    expected.FromUnknownEndpoint(record);
    alice.Transport().SendRawDatagram(record);
    if (i % 20 == 19) pump(1);
  }

  // 5. RTP- and RTCP-looking garbage: from an unknown endpoint, and from
  //    Alice's 5-tuple with her SSRC (fails SRTP authentication).
  for (int i = 0; i < 200; ++i) {
    Bytes packet = RandomBytes(random, 12 + random() % 1000);
    packet[0] = static_cast<uint8_t>(0x80 | (packet[0] & 0x3F));
    sendFromAttacker(roomPort, packet);
    expected.FromUnknownEndpoint(packet);

    Bytes spoofed = RandomBytes(random, 12 + random() % 1000);
    spoofed[0] = 0x80;
    if (i % 2 == 0) {
      spoofed[1] = aliceVideo.payloadType;
      for (int b = 0; b < 4; ++b)
        spoofed[8 + b] = static_cast<uint8_t>(aliceVideo.ssrc >> (24 - 8 * b));
    } else {
      spoofed[1] = static_cast<uint8_t>(200 + random() % 7);  // SR..PSFB
    }
    alice.Transport().SendRawDatagram(spoofed);
    ++expected.byReason["srtp_unprotect_failed"];
    if (i % 20 == 19) pump(1);
  }
  pump(10);

  // Every datagram is counted under the reason an operator expects (the
  // second worker is not in the call's path: wait for its counters).
  MetricsScraper::Samples after;
  auto countersMatch = [&] {
    after = server.Metrics();
    for (const char* reason : {"not_stun_dtls_or_rtp", "malformed_stun", "stun_auth_failed",
                               "unknown_endpoint", "srtp_unprotect_failed", "malformed_rtp",
                               "malformed_rtcp", "srtp_not_ready", "unknown_ssrc"}) {
      const double delta =
          MetricsScraper::Value(after, Drop(reason)) - MetricsScraper::Value(before, Drop(reason));
      if (delta != expected.byReason[reason]) return false;
    }
    return true;
  };
  const auto metricsDeadline = std::chrono::steady_clock::now() + kDeadline;
  while (!countersMatch() && std::chrono::steady_clock::now() < metricsDeadline) {
    RunFor(context, 20ms);
  }
  for (const char* reason : {"not_stun_dtls_or_rtp", "malformed_stun", "stun_auth_failed",
                             "unknown_endpoint", "srtp_unprotect_failed", "malformed_rtp",
                             "malformed_rtcp", "srtp_not_ready", "unknown_ssrc"}) {
    INFO(reason);
    CHECK(MetricsScraper::Value(after, Drop(reason)) -
              MetricsScraper::Value(before, Drop(reason)) ==
          expected.byReason[reason]);
  }
  CHECK(expected.byReason["malformed_stun"] > 100);
  CHECK(expected.byReason["unknown_endpoint"] > 1000);
  CHECK(MetricsScraper::Value(after, "myriad_dtls_handshake_failures_total") ==
        MetricsScraper::Value(before, "myriad_dtls_handshake_failures_total"));
  CHECK(MetricsScraper::Value(after, "myriad_participants") == 2);
  // The forged checks did not take over Alice's media path: the server's
  // feedback still reaches her, and she is still connected.
  const size_t aliceRtcpBefore = alice.Transport().GetCounters().rtcpPacketsReceived;
  pump(5);
  CHECK(RunUntil(
      context,
      [&] { return alice.Transport().GetCounters().rtcpPacketsReceived > aliceRtcpBefore; },
      kDeadline));
  CHECK(alice.IsConnected());
  CHECK(!alice.HasLeft());

  // 6. Signalling abuse on a WebSocket of its own: each bad message gets
  //    `error` with the documented code, and the connection stays usable.
  SignalingClient intruder(context);
  std::vector<Json> replies;
  intruder.SetMessageHandler([&](const Json& message) { replies.push_back(message); });
  std::optional<std::string> connected;
  intruder.Connect("127.0.0.1", server.HttpPort(), [&](const std::string& e) { connected = e; });
  REQUIRE(RunUntil(
      context, [&] { return connected.has_value(); }, kDeadline));
  REQUIRE(*connected == "");
  auto expectError = [&](const std::string& code, const Json& id) {
    const size_t index = replies.size();
    return [&, index, code, id] {
      REQUIRE(RunUntil(
          context, [&] { return replies.size() > index; }, kDeadline));
      const Json& reply = replies[index];
      INFO(reply.dump());
      CHECK(reply.value("type", "") == "error");
      CHECK(reply.value("code", "") == code);
      CHECK(reply.value("id", Json()) == id);
      CHECK(!reply.value("message", "").empty());
    };
  };
  const auto signalingBefore = server.Metrics();
  {
    auto check = expectError("bad_json", nullptr);
    intruder.SendText("{\"type\": \"join\", ");
    check();
  }
  {
    auto check = expectError("bad_json", nullptr);
    intruder.SendText("[\"join\"]");
    check();
  }
  {
    auto check = expectError("bad_message", nullptr);
    intruder.SendBinary(std::string("\x00\x01\x02 binary", 10));
    check();
  }
  {
    auto check = expectError("unknown_type", "x1");
    intruder.Send({{"type", "dance"}, {"id", "x1"}});
    check();
  }
  {
    auto check = expectError("not_joined", 7);
    intruder.Send({{"type", "offer"}, {"id", 7}, {"sdp", "v=0\r\n"}});
    check();
  }
  {
    auto check = expectError("bad_room", 8);
    intruder.Send({{"type", "join"}, {"id", 8}, {"room", "no spaces!"}, {"name", "Mallory"}});
    check();
  }
  std::optional<Json> joined;
  intruder.Request({{"type", "join"}, {"room", "abuse-elsewhere"}, {"name", "Mallory"}}, kDeadline,
                   [&](std::optional<Json> reply) { joined = reply.value_or(Json()); });
  REQUIRE(RunUntil(
      context, [&] { return joined.has_value(); }, kDeadline));
  CHECK(joined->value("type", "") == "joined");
  {
    auto check = expectError("already_joined", 9);
    intruder.Send({{"type", "join"}, {"id", 9}, {"room", "abuse"}, {"name", "Mallory"}});
    check();
  }
  {
    auto check = expectError("bad_json", nullptr);
    intruder.SendText("not json at all");
    check();
  }
  CHECK(intruder.IsOpen());
  const auto signalingAfter = server.Metrics();
  auto signalingDelta = [&](const char* code) {
    return MetricsScraper::Value(signalingAfter, SignalingError(code)) -
           MetricsScraper::Value(signalingBefore, SignalingError(code));
  };
  CHECK(signalingDelta("bad_json") == 3);
  CHECK(signalingDelta("bad_message") == 1);
  CHECK(signalingDelta("unknown_type") == 1);
  CHECK(signalingDelta("not_joined") == 1);
  CHECK(signalingDelta("bad_room") == 1);
  CHECK(signalingDelta("already_joined") == 1);
  intruder.Send({{"type", "leave"}});
  REQUIRE(RunUntil(
      context, [&] { return !replies.empty() && replies.back().value("type", "") == "left"; },
      kDeadline));
  CHECK(replies.back().value("reason", "") == "requested");

  // 7. A participant whose offer names the wrong certificate fingerprint:
  //    the server refuses its DTLS handshake and it leaves the room.
  pump(5);
  const auto impostorBefore = server.Metrics();
  auto impostorOptions = aliceOptions;
  impostorOptions.seed = 33;
  impostorOptions.offerWrongFingerprint = true;
  WebRtcClient impostor(context, impostorOptions);
  REQUIRE(Await(context, [&](auto done) { impostor.Join("abuse", "Impostor", done); }) == "");
  REQUIRE(Await(context,
                [&](auto done) { impostor.Publish({.audio = true, .video = false}, done); }) == "");
  REQUIRE(RunUntil(
      context, [&] { return impostor.HasLeft(); }, kDeadline));
  // docs/protocol.md: `dtls_failed` covers a certificate that does not
  // match the offer's fingerprint.
  CHECK(impostor.LeftReason() == "dtls_failed");
  REQUIRE(RunUntil(
      context,
      [&] {
        return !alice.Participants().count(impostor.ParticipantId()) &&
               !bob.Participants().count(impostor.ParticipantId());
      },
      kDeadline));
  const auto impostorAfter = server.Metrics();
  CHECK(MetricsScraper::Value(impostorAfter, "myriad_dtls_handshake_failures_total") -
            MetricsScraper::Value(impostorBefore, "myriad_dtls_handshake_failures_total") ==
        1);
  CHECK(MetricsScraper::Value(impostorAfter, "myriad_dtls_handshakes_total") ==
        MetricsScraper::Value(impostorBefore, "myriad_dtls_handshakes_total"));

  // The call lost nothing to any of it: every packet Alice sent reached Bob
  // once, bit-exact, in one unbroken sequence.
  pump(20);
  REQUIRE(bobReceived.Rtp().size() == sent.Packets().size());
  std::optional<uint16_t> previous;
  for (auto& received : bobReceived.Rtp()) {
    const rtp::RtpPacket packet = PacketRecorder::View(received);
    CHECK(packet.Ssrc() == bobVideo.ssrc);
    CHECK(sent.FindByPayload(packet.Payload()) != nullptr);
    if (previous) CHECK(packet.SequenceNumber() == static_cast<uint16_t>(*previous + 1));
    previous = packet.SequenceNumber();
  }
  CHECK(bob.Transport().GetCounters().unprotectFailures == 0);
  CHECK(alice.Transport().GetCounters().unprotectFailures == 0);
  CHECK(alice.IsConnected());
  CHECK(bob.IsConnected());
  CHECK(!alice.HasLeft());
  CHECK(!bob.HasLeft());
}

}  // namespace myriad::integration
