// libFuzzer target for DtlsTransport. The first input byte picks a mode:
//  - even: the rest is a series of datagrams (2-byte length prefix each) fed
//    to a server-role transport, as an attacker on the 5-tuple could;
//  - odd: a real client and server handshake where the input decides, step
//    by step, which datagram is delivered, dropped, truncated, corrupted or
//    replaced with garbage, and when timeouts, data and closes happen.
// Either way nothing may crash, leak or trip the sanitizers, and a transport
// that reports success must have matching crosswise keys.
//
// OpenSSL 3.0 times DTLS retransmissions with gettimeofday() and takes no
// injected clock, so this binary replaces gettimeofday() with real time plus
// an offset that the "timers" action advances (as tests/server does).

#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "server/transport/DtlsCertificate.h"
#include "server/transport/DtlsTransport.h"

using myriad::server::transport::DtlsCertificate;
using myriad::server::transport::DtlsRole;
using myriad::server::transport::DtlsTransport;
using myriad::server::transport::SrtpKeyMaterial;

namespace {

std::atomic<long long> clockOffsetMicroseconds{0};

void Require(bool condition) {
  if (!condition) __builtin_trap();
}

const DtlsCertificate& ServerCertificate() {
  static const auto certificate = DtlsCertificate::Generate();
  Require(certificate != nullptr);
  return *certificate;
}

const DtlsCertificate& ClientCertificate() {
  static const auto certificate = DtlsCertificate::Generate();
  Require(certificate != nullptr);
  return *certificate;
}

// Reads the fuzz input front to back; past the end it yields zeros.
class InputReader {
 public:
  explicit InputReader(std::span<const uint8_t> input) : input_(input) {}
  bool Empty() const { return offset_ >= input_.size(); }
  uint8_t Byte() { return Empty() ? 0 : input_[offset_++]; }
  uint16_t U16() {
    const uint16_t high = Byte();
    return static_cast<uint16_t>((high << 8) | Byte());
  }
  std::span<const uint8_t> Bytes(size_t count) {
    const size_t available = Empty() ? 0 : std::min(count, input_.size() - offset_);
    const auto bytes = input_.subspan(offset_, available);
    offset_ += available;
    return bytes;
  }

 private:
  std::span<const uint8_t> input_;
  size_t offset_ = 0;
};

struct Recorder : DtlsTransport::Listener {
  std::deque<std::vector<uint8_t>> outbox;
  std::optional<SrtpKeyMaterial> keys;
  int failures = 0;
  int closes = 0;

  void OnDtlsSendPacket(std::span<const uint8_t> datagram) override {
    Require(!datagram.empty() && datagram.size() <= DtlsTransport::kMtu);
    if (outbox.size() < 256) outbox.emplace_back(datagram.begin(), datagram.end());
  }
  void OnDtlsConnected(const SrtpKeyMaterial& material) override {
    Require(!keys.has_value());
    keys = material;
  }
  void OnDtlsFailed(std::string_view reason) override {
    Require(!reason.empty());
    ++failures;
  }
  void OnDtlsApplicationData(std::span<const uint8_t> /*data*/) override {}
  void OnDtlsClosed() override { ++closes; }
};

void FeedServer(InputReader& input) {
  Recorder recorder;
  DtlsTransport server(ServerCertificate(), DtlsRole::kServer, recorder);
  server.SetRemoteFingerprint("sha-256", ClientCertificate().FingerprintSha256());
  server.Start();
  while (!input.Empty()) {
    const size_t length = input.U16();
    server.ProcessPacket(input.Bytes(length));
    (void)server.TimeUntilTimeout();
  }
  server.HandleTimeout();
  Require(recorder.failures <= 1);
}

void Handshake(InputReader& input) {
  Recorder clientRecorder;
  Recorder serverRecorder;
  DtlsTransport client(ClientCertificate(), DtlsRole::kClient, clientRecorder);
  DtlsTransport server(ServerCertificate(), DtlsRole::kServer, serverRecorder);
  client.SetRemoteFingerprint("sha-256", ServerCertificate().FingerprintSha256());
  server.SetRemoteFingerprint("sha-256", ClientCertificate().FingerprintSha256());
  server.Start();
  client.Start();

  for (int step = 0; step < 64 && !input.Empty(); ++step) {
    const uint8_t action = input.Byte();
    const bool toServer = action & 0x80;
    Recorder& from = toServer ? clientRecorder : serverRecorder;
    DtlsTransport& to = toServer ? server : client;
    switch (action & 0x07) {
      case 0:
      case 1: {  // deliver the next datagram as it is
        if (from.outbox.empty()) break;
        to.ProcessPacket(from.outbox.front());
        from.outbox.pop_front();
        break;
      }
      case 2: {  // drop it
        if (!from.outbox.empty()) from.outbox.pop_front();
        break;
      }
      case 3: {  // truncate it
        if (from.outbox.empty()) break;
        auto datagram = from.outbox.front();
        from.outbox.pop_front();
        datagram.resize(datagram.size() * input.Byte() / 256);
        to.ProcessPacket(datagram);
        break;
      }
      case 4: {  // corrupt one byte
        if (from.outbox.empty()) break;
        auto datagram = from.outbox.front();
        from.outbox.pop_front();
        const size_t position = input.U16() % datagram.size();
        datagram[position] ^= input.Byte() | 1;
        to.ProcessPacket(datagram);
        break;
      }
      case 5: {  // garbage from the input
        to.ProcessPacket(input.Bytes(input.Byte()));
        break;
      }
      case 6: {  // let the earlier retransmission timer expire
        auto remaining = client.TimeUntilTimeout();
        const auto serverRemaining = server.TimeUntilTimeout();
        if (!remaining || (serverRemaining && *serverRemaining < *remaining)) {
          remaining = serverRemaining;
        }
        if (remaining) {
          clockOffsetMicroseconds += std::chrono::microseconds(*remaining).count();
        }
        client.HandleTimeout();
        server.HandleTimeout();
        break;
      }
      case 7: {  // application data or close
        if (input.Byte() & 1) {
          const auto data = input.Bytes(input.Byte());
          (void)to.SendApplicationData(data);
        } else {
          to.Close();
        }
        break;
      }
    }
  }
  if (clientRecorder.keys && serverRecorder.keys) {
    Require(clientRecorder.keys->localMasterKeyAndSalt ==
            serverRecorder.keys->remoteMasterKeyAndSalt);
    Require(clientRecorder.keys->remoteMasterKeyAndSalt ==
            serverRecorder.keys->localMasterKeyAndSalt);
  }
  Require(clientRecorder.failures <= 1 && serverRecorder.failures <= 1);
  Require(clientRecorder.closes <= 1 && serverRecorder.closes <= 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  InputReader input(std::span<const uint8_t>(data, size));
  if (input.Byte() & 1) {
    Handshake(input);
  } else {
    FeedServer(input);
  }
  return 0;
}

extern "C" int gettimeofday(struct timeval* __restrict tv, void* __restrict /*tz*/) noexcept {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const long long microseconds = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000 +
                                 clockOffsetMicroseconds.load();
  tv->tv_sec = static_cast<time_t>(microseconds / 1000000);
  tv->tv_usec = static_cast<suseconds_t>(microseconds % 1000000);
  return 0;
}
