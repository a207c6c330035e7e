#pragma once

// Test helper shared by the DTLS and SRTP tests: a client and a server
// DtlsTransport wired back to back in memory.

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/transport/DtlsCertificate.h"
#include "server/transport/DtlsTransport.h"
#include "tests/server/OpenSslTestClock.h"

namespace myriad::server::transport::testing {

using Bytes = std::vector<uint8_t>;
using State = DtlsTransport::State;

inline Bytes ToBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

inline std::string Fingerprint(const DtlsCertificate& certificate, const EVP_MD* digest,
                               bool lowercase = false) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> bytes{};
  unsigned int length = 0;
  REQUIRE(X509_digest(certificate.Certificate(), digest, bytes.data(), &length) == 1);
  const char* hex = lowercase ? "0123456789abcdef" : "0123456789ABCDEF";
  std::string text;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) text.push_back(':');
    text.push_back(hex[bytes[i] >> 4]);
    text.push_back(hex[bytes[i] & 0x0F]);
  }
  return text;
}

// Records what a transport reports. Datagrams are queued, never delivered
// from inside the callback, so the two transports never re-enter each other.
struct Endpoint : DtlsTransport::Listener {
  std::vector<Bytes> outbox;
  size_t sentCount = 0;
  size_t largestDatagram = 0;
  std::optional<SrtpKeyMaterial> keys;
  std::vector<std::string> failures;
  std::vector<Bytes> received;
  int closedCount = 0;
  std::function<void()> onConnected;

  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override {
    outbox.emplace_back(datagram.begin(), datagram.end());
    ++sentCount;
    largestDatagram = std::max(largestDatagram, datagram.size());
  }
  void OnDtlsConnected(const SrtpKeyMaterial& material) override {
    keys = material;
    if (onConnected) onConnected();
  }
  void OnDtlsFailed(std::string_view reason) override { failures.emplace_back(reason); }
  void OnDtlsApplicationData(std::span<const uint8_t> data) override {
    received.emplace_back(data.begin(), data.end());
  }
  void OnDtlsClosed() override { ++closedCount; }
};

// A client and a server transport wired back to back in memory.
struct Pair {
  std::unique_ptr<DtlsCertificate> clientCertificate = DtlsCertificate::Generate();
  std::unique_ptr<DtlsCertificate> serverCertificate = DtlsCertificate::Generate();
  Endpoint clientEndpoint;
  Endpoint serverEndpoint;
  std::unique_ptr<DtlsTransport> client;
  std::unique_ptr<DtlsTransport> server;
  // Return false to drop a datagram: (from the client?, index in that direction).
  std::function<bool(bool, size_t)> deliver = [](bool, size_t) { return true; };
  size_t clientToServer = 0;
  size_t serverToClient = 0;

  Pair() {
    REQUIRE(clientCertificate);
    REQUIRE(serverCertificate);
    client = std::make_unique<DtlsTransport>(*clientCertificate, DtlsRole::kClient, clientEndpoint);
    server = std::make_unique<DtlsTransport>(*serverCertificate, DtlsRole::kServer, serverEndpoint);
  }

  void ExchangeFingerprints() {
    client->SetRemoteFingerprint("sha-256", serverCertificate->FingerprintSha256());
    server->SetRemoteFingerprint("sha-256", clientCertificate->FingerprintSha256());
  }

  // Advances the fake OpenSSL clock to the earlier of the two running
  // retransmission timers and lets both transports handle it. False when no
  // timer runs.
  bool ExpireTimers() {
    std::optional<std::chrono::milliseconds> next;
    for (const auto* transport : {client.get(), server.get()}) {
      const auto remaining = transport->TimeUntilTimeout();
      if (remaining && (!next || *remaining < *next)) next = remaining;
    }
    if (!next) return false;
    AdvanceOpenSslClock(*next);
    client->HandleTimeout();
    server->HandleTimeout();
    return true;
  }

  // Moves queued datagrams both ways until none are left.
  void Pump() {
    for (int round = 0; round < 100; ++round) {
      if (clientEndpoint.outbox.empty() && serverEndpoint.outbox.empty()) return;
      auto fromClient = std::move(clientEndpoint.outbox);
      clientEndpoint.outbox.clear();
      for (const auto& datagram : fromClient) {
        if (deliver(true, clientToServer++)) server->ProcessPacket(datagram);
      }
      auto fromServer = std::move(serverEndpoint.outbox);
      serverEndpoint.outbox.clear();
      for (const auto& datagram : fromServer) {
        if (deliver(false, serverToClient++)) client->ProcessPacket(datagram);
      }
    }
    FAIL("datagrams kept flowing");
  }

  void Connect() {
    ExchangeFingerprints();
    server->Start();
    client->Start();
    Pump();
  }

  bool BothConnected() const {
    return client->GetState() == State::kConnected && server->GetState() == State::kConnected;
  }
};

}  // namespace myriad::server::transport::testing
