#include <openssl/evp.h>
#include <openssl/x509.h>

#include <array>
#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "server/transport/DtlsCertificate.h"
#include "server/transport/DtlsTransport.h"
#include "tests/server/DtlsTestPair.h"

using myriad::server::transport::DtlsCertificate;
using myriad::server::transport::DtlsRole;
using myriad::server::transport::DtlsTransport;
using myriad::server::transport::SrtpKeyMaterial;
using myriad::server::transport::SrtpProfile;
using State = DtlsTransport::State;
using myriad::server::transport::testing::AdvanceOpenSslClock;
using myriad::server::transport::testing::Bytes;
using myriad::server::transport::testing::Fingerprint;
using myriad::server::transport::testing::Pair;
using myriad::server::transport::testing::ToBytes;

namespace {

void RequireCrosswiseKeys(const Pair& pair) {
  REQUIRE(pair.clientEndpoint.keys);
  REQUIRE(pair.serverEndpoint.keys);
  const auto& client = *pair.clientEndpoint.keys;
  const auto& server = *pair.serverEndpoint.keys;
  CHECK(client.profile == server.profile);
  CHECK(client.localMasterKeyAndSalt == server.remoteMasterKeyAndSalt);
  CHECK(client.remoteMasterKeyAndSalt == server.localMasterKeyAndSalt);
  CHECK(client.localMasterKeyAndSalt != client.remoteMasterKeyAndSalt);
}

}  // namespace

TEST_CASE("DTLS client and server connect and agree on SRTP keys", "[dtls]") {
  Pair pair;
  CHECK(pair.client->GetState() == State::kNew);
  CHECK_FALSE(pair.client->TimeUntilTimeout());
  pair.Connect();
  REQUIRE(pair.BothConnected());
  CHECK(pair.clientEndpoint.failures.empty());
  CHECK(pair.serverEndpoint.failures.empty());
  RequireCrosswiseKeys(pair);
  // GCM is preferred by the server's list (RFC 7714).
  CHECK(pair.clientEndpoint.keys->profile == SrtpProfile::kAeadAes128Gcm);
  CHECK(pair.clientEndpoint.keys->localMasterKeyAndSalt.size() == 16 + 12);
  // No datagram exceeds the MTU, and timers stop once connected.
  CHECK(pair.clientEndpoint.largestDatagram <= DtlsTransport::kMtu);
  CHECK(pair.serverEndpoint.largestDatagram <= DtlsTransport::kMtu);
  CHECK_FALSE(pair.client->TimeUntilTimeout());
  CHECK_FALSE(pair.server->TimeUntilTimeout());
}

TEST_CASE("DTLS handshake in flight reports a retransmission timer", "[dtls]") {
  Pair pair;
  pair.ExchangeFingerprints();
  pair.client->Start();
  REQUIRE(pair.clientEndpoint.outbox.size() == 1);  // ClientHello
  CHECK(pair.client->GetState() == State::kConnecting);
  const auto timeout = pair.client->TimeUntilTimeout();
  REQUIRE(timeout);
  CHECK(*timeout > std::chrono::milliseconds(0));
  CHECK(*timeout <= DtlsTransport::kDefaultInitialRetransmitTimeout);
  // Calling HandleTimeout early does nothing.
  pair.client->HandleTimeout();
  CHECK(pair.clientEndpoint.sentCount == 1);
}

TEST_CASE("the remote fingerprint may arrive after the handshake", "[dtls]") {
  Pair pair;
  pair.client->SetRemoteFingerprint("sha-256", pair.serverCertificate->FingerprintSha256());
  pair.server->Start();
  pair.client->Start();
  pair.Pump();
  CHECK(pair.client->GetState() == State::kConnected);
  CHECK(pair.server->GetState() == State::kConnecting);
  CHECK_FALSE(pair.serverEndpoint.keys);

  // Data from the not yet authenticated peer is not delivered.
  REQUIRE(pair.client->SendApplicationData(ToBytes("too early")));
  pair.Pump();
  CHECK(pair.serverEndpoint.received.empty());

  pair.server->SetRemoteFingerprint("SHA-256", pair.clientCertificate->FingerprintSha256());
  REQUIRE(pair.BothConnected());
  RequireCrosswiseKeys(pair);
}

TEST_CASE("fingerprints in other algorithms and lowercase are accepted", "[dtls]") {
  for (const EVP_MD* digest : {EVP_sha1(), EVP_sha384(), EVP_sha512()}) {
    Pair pair;
    const std::string name = digest == EVP_sha1()     ? "sha-1"
                             : digest == EVP_sha384() ? "sha-384"
                                                      : "sha-512";
    pair.client->SetRemoteFingerprint(name, Fingerprint(*pair.serverCertificate, digest, true));
    pair.server->SetRemoteFingerprint(name, Fingerprint(*pair.clientCertificate, digest));
    pair.server->Start();
    pair.client->Start();
    pair.Pump();
    INFO(name);
    CHECK(pair.BothConnected());
  }
}

TEST_CASE("a wrong remote fingerprint fails the side that checks it", "[dtls]") {
  auto otherCertificate = DtlsCertificate::Generate();
  REQUIRE(otherCertificate);

  SECTION("server checks") {
    Pair pair;
    pair.client->SetRemoteFingerprint("sha-256", pair.serverCertificate->FingerprintSha256());
    pair.server->SetRemoteFingerprint("sha-256", otherCertificate->FingerprintSha256());
    pair.server->Start();
    pair.client->Start();
    pair.Pump();
    CHECK(pair.server->GetState() == State::kFailed);
    REQUIRE(pair.serverEndpoint.failures.size() == 1);
    CHECK(pair.serverEndpoint.failures[0].find("fingerprint") != std::string::npos);
    CHECK_FALSE(pair.serverEndpoint.keys);
    CHECK(pair.client->GetState() == State::kConnected);
    CHECK_FALSE(pair.server->SendApplicationData(ToBytes("x")));
  }
  SECTION("client checks") {
    Pair pair;
    pair.client->SetRemoteFingerprint("sha-256", otherCertificate->FingerprintSha256());
    pair.server->SetRemoteFingerprint("sha-256", pair.clientCertificate->FingerprintSha256());
    pair.server->Start();
    pair.client->Start();
    pair.Pump();
    CHECK(pair.client->GetState() == State::kFailed);
    REQUIRE(pair.clientEndpoint.failures.size() == 1);
    CHECK_FALSE(pair.clientEndpoint.keys);
  }
  SECTION("fingerprint set late and wrong") {
    Pair pair;
    pair.client->SetRemoteFingerprint("sha-256", pair.serverCertificate->FingerprintSha256());
    pair.server->Start();
    pair.client->Start();
    pair.Pump();
    pair.server->SetRemoteFingerprint("sha-256", otherCertificate->FingerprintSha256());
    CHECK(pair.server->GetState() == State::kFailed);
    CHECK(pair.serverEndpoint.failures.size() == 1);
  }
  SECTION("malformed or unsupported fingerprints") {
    const std::string good = Fingerprint(*DtlsCertificate::Generate(), EVP_sha256());
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"md5", good},                                 // not allowed
        {"sha-256", good.substr(0, good.size() - 3)},  // one byte short
        {"sha-256", good + ":00"},                     // one byte long
        {"sha-256", std::string(good).replace(4, 1, "G")},
        {"sha-256", std::string(good).replace(2, 1, "-")},
        {"sha-256", good + ":"},
        {"sha-256", ""},
    };
    for (const auto& [algorithm, fingerprint] : cases) {
      Pair pair;
      pair.client->SetRemoteFingerprint("sha-256", pair.serverCertificate->FingerprintSha256());
      pair.server->SetRemoteFingerprint(algorithm, fingerprint);
      pair.server->Start();
      pair.client->Start();
      pair.Pump();
      INFO(algorithm << " " << fingerprint);
      CHECK(pair.server->GetState() == State::kFailed);
      CHECK(pair.serverEndpoint.failures.size() == 1);
    }
  }
}

TEST_CASE("DTLS application data flows both ways", "[dtls]") {
  Pair pair;
  pair.Connect();
  REQUIRE(pair.BothConnected());
  REQUIRE(pair.client->SendApplicationData(ToBytes("from client")));
  REQUIRE(pair.server->SendApplicationData(ToBytes("from server")));
  const Bytes large(1000, 0x5A);
  REQUIRE(pair.client->SendApplicationData(large));
  pair.Pump();
  REQUIRE(pair.serverEndpoint.received.size() == 2);
  CHECK(pair.serverEndpoint.received[0] == ToBytes("from client"));
  CHECK(pair.serverEndpoint.received[1] == large);
  REQUIRE(pair.clientEndpoint.received.size() == 1);
  CHECK(pair.clientEndpoint.received[0] == ToBytes("from server"));
  CHECK_FALSE(pair.client->SendApplicationData({}));
}

TEST_CASE("a listener may send from inside OnDtlsConnected", "[dtls]") {
  Pair pair;
  pair.serverEndpoint.onConnected = [&] {
    CHECK(pair.server->SendApplicationData(ToBytes("hello from the callback")));
  };
  pair.Connect();
  REQUIRE(pair.BothConnected());
  REQUIRE(pair.clientEndpoint.received.size() == 1);
  CHECK(pair.clientEndpoint.received[0] == ToBytes("hello from the callback"));
}

TEST_CASE("close_notify closes the peer", "[dtls]") {
  Pair pair;
  pair.Connect();
  REQUIRE(pair.BothConnected());
  pair.client->Close();
  CHECK(pair.client->GetState() == State::kClosed);
  CHECK_FALSE(pair.client->SendApplicationData(ToBytes("x")));
  pair.Pump();
  CHECK(pair.server->GetState() == State::kClosed);
  CHECK(pair.serverEndpoint.closedCount == 1);
  CHECK(pair.clientEndpoint.closedCount == 0);  // local Close does not report
  CHECK(pair.serverEndpoint.failures.empty());
}

TEST_CASE("nothing is sent or processed before Start", "[dtls]") {
  Pair pair;
  pair.ExchangeFingerprints();
  CHECK_FALSE(pair.client->SendApplicationData(ToBytes("x")));
  pair.client->Start();
  REQUIRE(pair.clientEndpoint.outbox.size() == 1);
  const Bytes clientHello = pair.clientEndpoint.outbox[0];
  pair.server->ProcessPacket(clientHello);  // not started: dropped
  CHECK(pair.serverEndpoint.outbox.empty());
  CHECK(pair.server->GetState() == State::kNew);
  pair.server->Start();
  CHECK(pair.serverEndpoint.outbox.empty());  // a server waits
  pair.Pump();
  CHECK(pair.BothConnected());
}

TEST_CASE("garbage and truncated records do not break the handshake", "[dtls]") {
  std::mt19937 random(6347);
  auto garbage = [&](size_t size) {
    Bytes bytes(size);
    for (auto& byte : bytes) byte = static_cast<uint8_t>(random());
    bytes[0] = static_cast<uint8_t>(20 + random() % 44);  // passes RFC 7983 demux
    return bytes;
  };

  SECTION("garbage before and during the handshake") {
    Pair pair;
    pair.ExchangeFingerprints();
    pair.server->Start();
    for (int i = 0; i < 200; ++i) pair.server->ProcessPacket(garbage(1 + random() % 300));
    pair.client->Start();
    for (int i = 0; i < 200; ++i) pair.client->ProcessPacket(garbage(1 + random() % 300));
    pair.Pump();
    CHECK(pair.BothConnected());
    // And after: records that do not decrypt are dropped (RFC 6347 4.1.2.7).
    for (int i = 0; i < 200; ++i) pair.server->ProcessPacket(garbage(1 + random() % 300));
    REQUIRE(pair.client->SendApplicationData(ToBytes("still alive")));
    pair.Pump();
    CHECK(pair.server->GetState() == State::kConnected);
    REQUIRE(pair.serverEndpoint.received.size() == 1);
  }
  SECTION("a ClientHello truncated at every length, then the real one") {
    Pair pair;
    pair.ExchangeFingerprints();
    pair.server->Start();
    pair.client->Start();
    REQUIRE(pair.clientEndpoint.outbox.size() == 1);
    const Bytes clientHello = pair.clientEndpoint.outbox[0];
    for (size_t length = 1; length < clientHello.size(); ++length) {
      pair.server->ProcessPacket(std::span(clientHello.data(), length));
    }
    CHECK(pair.server->GetState() == State::kConnecting);
    pair.Pump();
    CHECK(pair.BothConnected());
  }
  SECTION("every flight truncated once") {
    Pair pair;
    pair.ExchangeFingerprints();
    pair.server->Start();
    pair.client->Start();
    for (int round = 0; round < 10 && !pair.BothConnected(); ++round) {
      for (auto [from, to] : {std::pair{&pair.clientEndpoint, pair.server.get()},
                              std::pair{&pair.serverEndpoint, pair.client.get()}}) {
        auto datagrams = std::move(from->outbox);
        from->outbox.clear();
        for (const auto& datagram : datagrams) {
          to->ProcessPacket(std::span(datagram.data(), datagram.size() / 2));
          to->ProcessPacket(datagram);
        }
      }
    }
    CHECK(pair.BothConnected());
  }
  SECTION("an empty datagram is ignored") {
    Pair pair;
    pair.Connect();
    pair.server->ProcessPacket({});
    CHECK(pair.BothConnected());
  }
}

TEST_CASE("a dropped datagram is recovered by retransmission", "[dtls]") {
  // Count the datagrams of a clean handshake, then drop each one in turn.
  size_t clientDatagrams = 0;
  size_t serverDatagrams = 0;
  {
    Pair pair;
    pair.Connect();
    REQUIRE(pair.BothConnected());
    clientDatagrams = pair.clientToServer;
    serverDatagrams = pair.serverToClient;
  }
  REQUIRE(clientDatagrams >= 2);
  REQUIRE(serverDatagrams >= 2);

  for (int fromClient = 0; fromClient < 2; ++fromClient) {
    const size_t count = fromClient ? clientDatagrams : serverDatagrams;
    for (size_t dropped = 0; dropped < count; ++dropped) {
      INFO((fromClient ? "client" : "server") << " datagram " << dropped << " dropped");
      Pair pair;
      pair.deliver = [&](bool isClient, size_t index) {
        return !(isClient == (fromClient == 1) && index == dropped);
      };
      pair.Connect();
      CHECK_FALSE(pair.BothConnected());
      int timeouts = 0;
      while (!pair.BothConnected() && timeouts < 5 && pair.ExpireTimers()) {
        ++timeouts;
        pair.Pump();
      }
      CHECK(timeouts >= 1);
      CHECK(pair.BothConnected());
      if (pair.BothConnected()) RequireCrosswiseKeys(pair);
    }
  }
}

TEST_CASE("retransmission timeouts double up to their cap", "[dtls]") {
  Pair pair;
  pair.client->SetRetransmitTimeouts(std::chrono::milliseconds(100),
                                     std::chrono::milliseconds(300));
  pair.client->Start();
  std::vector<long long> timeouts;
  for (int i = 0; i < 4; ++i) {
    const auto remaining = pair.client->TimeUntilTimeout();
    REQUIRE(remaining);
    timeouts.push_back(remaining->count());
    AdvanceOpenSslClock(*remaining);
    pair.client->HandleTimeout();
  }
  CHECK(pair.clientEndpoint.sentCount == 5);
  // Rounded up to milliseconds from OpenSSL's microseconds.
  CHECK(timeouts[0] >= 99);
  CHECK(timeouts[0] <= 100);
  CHECK(timeouts[1] >= 199);
  CHECK(timeouts[1] <= 200);
  CHECK(timeouts[2] >= 299);
  CHECK(timeouts[2] <= 300);
  CHECK(timeouts[3] >= 299);
  CHECK(timeouts[3] <= 300);
}

TEST_CASE("retransmission timeouts too short for OpenSSL are raised", "[dtls]") {
  Pair pair;
  pair.client->SetRetransmitTimeouts(std::chrono::milliseconds(1), std::chrono::milliseconds(1));
  pair.client->Start();
  CHECK(pair.clientEndpoint.sentCount == 1);  // no retransmission loop inside the read
  const auto remaining = pair.client->TimeUntilTimeout();
  REQUIRE(remaining);
  CHECK(*remaining > std::chrono::milliseconds(15));
  CHECK(*remaining <= DtlsTransport::kMinRetransmitTimeout);
}

TEST_CASE("a handshake without answer fails after the retransmission limit", "[dtls]") {
  Pair pair;
  pair.ExchangeFingerprints();
  pair.client->Start();
  CHECK(pair.clientEndpoint.sentCount == 1);
  std::chrono::milliseconds waited{0};
  for (int i = 0; i < DtlsTransport::kMaxRetransmissions; ++i) {
    const auto remaining = pair.client->TimeUntilTimeout();
    REQUIRE(remaining);
    CHECK(*remaining <= DtlsTransport::kDefaultMaxRetransmitTimeout);
    AdvanceOpenSslClock(*remaining);
    waited += *remaining;
    pair.client->HandleTimeout();
    CHECK(pair.client->GetState() == State::kConnecting);
  }
  CHECK(pair.clientEndpoint.sentCount == 1 + DtlsTransport::kMaxRetransmissions);
  // Every retransmission is the same ClientHello; only the record sequence
  // number in the 13-byte record header differs (RFC 6347 4.1).
  const auto& first = pair.clientEndpoint.outbox.front();
  for (const auto& datagram : pair.clientEndpoint.outbox) {
    REQUIRE(datagram.size() == first.size());
    CHECK(std::equal(datagram.begin() + 13, datagram.end(), first.begin() + 13));
  }
  const auto remaining = pair.client->TimeUntilTimeout();
  REQUIRE(remaining);
  AdvanceOpenSslClock(*remaining);
  waited += *remaining;
  pair.client->HandleTimeout();
  CHECK(pair.client->GetState() == State::kFailed);
  REQUIRE(pair.clientEndpoint.failures.size() == 1);
  CHECK(pair.clientEndpoint.failures[0].find("timed out") != std::string::npos);
  CHECK_FALSE(pair.client->TimeUntilTimeout());
  pair.client->HandleTimeout();
  CHECK(pair.clientEndpoint.failures.size() == 1);
  // 0.5 + 1 + 2 + 4 + 8 * 5 seconds with the defaults.
  CHECK(waited >= std::chrono::milliseconds(47000));
  CHECK(waited <= std::chrono::milliseconds(47600));
}

TEST_CASE("LooksLikeDtls follows RFC 7983", "[dtls]") {
  const std::array<uint8_t, 1> handshake = {22};
  const std::array<uint8_t, 1> low = {19};
  const std::array<uint8_t, 1> high = {64};
  const std::array<uint8_t, 1> last = {63};
  CHECK(DtlsTransport::LooksLikeDtls(handshake));
  CHECK(DtlsTransport::LooksLikeDtls(last));
  CHECK_FALSE(DtlsTransport::LooksLikeDtls(low));
  CHECK_FALSE(DtlsTransport::LooksLikeDtls(high));
  CHECK_FALSE(DtlsTransport::LooksLikeDtls({}));
}
