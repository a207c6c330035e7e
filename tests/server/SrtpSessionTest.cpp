#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <vector>

#include "server/transport/SrtpSession.h"
#include "tests/server/DtlsTestPair.h"
#include "tests/server/LibSrtpReference.h"

using myriad::server::transport::SrtpMasterKeyAndSaltLength;
using myriad::server::transport::SrtpProfile;
using myriad::server::transport::SrtpSession;
using myriad::server::transport::testing::LibSrtpReference;
using myriad::server::transport::testing::Pair;
using Direction = SrtpSession::Direction;

namespace {

// A packet buffer with room for either implementation's trailer, 4-byte
// aligned as libsrtp wants.
struct PacketBuffer {
  alignas(4) std::array<uint8_t, 1500 + LibSrtpReference::kMaxTrailer> bytes{};
  size_t length = 0;

  std::span<uint8_t> All() { return bytes; }
  std::span<uint8_t> Packet() { return std::span(bytes).first(length); }
  std::vector<uint8_t> Copy() const {
    return std::vector<uint8_t>(bytes.begin(), bytes.begin() + length);
  }
  void Assign(const std::vector<uint8_t>& packet) {
    std::copy(packet.begin(), packet.end(), bytes.begin());
    length = packet.size();
  }
};

std::vector<uint8_t> Key(SrtpProfile profile, uint32_t seed) {
  std::mt19937 random(seed);
  std::vector<uint8_t> key(SrtpMasterKeyAndSaltLength(profile));
  for (auto& byte : key) byte = static_cast<uint8_t>(random());
  return key;
}

// RFC 3550 5.1: V=2, PT 96, then sequence number, timestamp, SSRC, payload.
std::vector<uint8_t> RtpPacket(uint16_t sequence, uint32_t ssrc = 0x11223344,
                               size_t payloadSize = 160) {
  std::vector<uint8_t> packet = {0x80,
                                 96,
                                 static_cast<uint8_t>(sequence >> 8),
                                 static_cast<uint8_t>(sequence),
                                 0x00,
                                 0x01,
                                 0x02,
                                 0x03,
                                 static_cast<uint8_t>(ssrc >> 24),
                                 static_cast<uint8_t>(ssrc >> 16),
                                 static_cast<uint8_t>(ssrc >> 8),
                                 static_cast<uint8_t>(ssrc)};
  for (size_t i = 0; i < payloadSize; ++i) packet.push_back(static_cast<uint8_t>(i * 7 + sequence));
  return packet;
}

// RFC 3550 6.4.2: an empty receiver report (PT 201, length 1 word).
std::vector<uint8_t> RtcpReceiverReport(uint32_t ssrc = 0x55667788) {
  return {0x80,
          201,
          0x00,
          0x01,
          static_cast<uint8_t>(ssrc >> 24),
          static_cast<uint8_t>(ssrc >> 16),
          static_cast<uint8_t>(ssrc >> 8),
          static_cast<uint8_t>(ssrc)};
}

struct SessionPair {
  std::unique_ptr<SrtpSession> outbound;
  std::unique_ptr<SrtpSession> inbound;

  SessionPair(SrtpProfile profile, const std::vector<uint8_t>& key)
      : outbound(SrtpSession::Create(profile, Direction::kOutbound, key)),
        inbound(SrtpSession::Create(profile, Direction::kInbound, key)) {
    REQUIRE(outbound);
    REQUIRE(inbound);
  }

  // Protects `plain` and returns the SRTP bytes (empty on failure).
  std::vector<uint8_t> ProtectRtp(const std::vector<uint8_t>& plain) {
    PacketBuffer buffer;
    buffer.Assign(plain);
    buffer.length = outbound->ProtectRtp(buffer.All(), buffer.length);
    return buffer.Copy();
  }
  std::vector<uint8_t> ProtectRtcp(const std::vector<uint8_t>& plain) {
    PacketBuffer buffer;
    buffer.Assign(plain);
    buffer.length = outbound->ProtectRtcp(buffer.All(), buffer.length);
    return buffer.Copy();
  }
  // Unprotects and returns the plain bytes, or nullopt on failure.
  std::optional<std::vector<uint8_t>> UnprotectRtp(const std::vector<uint8_t>& secured) {
    PacketBuffer buffer;
    buffer.Assign(secured);
    buffer.length = inbound->UnprotectRtp(buffer.Packet());
    if (buffer.length == 0) return std::nullopt;
    return buffer.Copy();
  }
  std::optional<std::vector<uint8_t>> UnprotectRtcp(const std::vector<uint8_t>& secured) {
    PacketBuffer buffer;
    buffer.Assign(secured);
    buffer.length = inbound->UnprotectRtcp(buffer.Packet());
    if (buffer.length == 0) return std::nullopt;
    return buffer.Copy();
  }
};

size_t RtpTagSize(SrtpProfile profile) {
  // RFC 7714 12: 16-byte GCM tag; RFC 3711 5.2 / RFC 5764: 80-bit HMAC tag.
  return profile == SrtpProfile::kAeadAes128Gcm ? 16 : 10;
}

}  // namespace

TEST_CASE("SRTP round trip is bit-exact for RTP and RTCP", "[srtp]") {
  for (const auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    INFO("profile " << static_cast<int>(profile));
    SessionPair sessions(profile, Key(profile, 1));
    for (uint16_t sequence = 1000; sequence < 1010; ++sequence) {
      const auto plain = RtpPacket(sequence);
      const auto secured = sessions.ProtectRtp(plain);
      REQUIRE(secured.size() == plain.size() + RtpTagSize(profile));
      // The header stays readable, the payload does not.
      CHECK(std::equal(plain.begin(), plain.begin() + 12, secured.begin()));
      CHECK_FALSE(std::equal(plain.begin() + 12, plain.end(), secured.begin() + 12));
      const auto decrypted = sessions.UnprotectRtp(secured);
      REQUIRE(decrypted);
      CHECK(*decrypted == plain);
    }
    for (int i = 0; i < 5; ++i) {
      const auto plain = RtcpReceiverReport();
      const auto secured = sessions.ProtectRtcp(plain);
      // RFC 3711 3.4: E flag + 31-bit SRTCP index, then the tag.
      REQUIRE(secured.size() == plain.size() + 4 + RtpTagSize(profile));
      const auto decrypted = sessions.UnprotectRtcp(secured);
      REQUIRE(decrypted);
      CHECK(*decrypted == plain);
    }
  }
}

TEST_CASE("SRTP rejects tampered packets", "[srtp]") {
  for (const auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    INFO("profile " << static_cast<int>(profile));
    SessionPair sessions(profile, Key(profile, 2));
    const auto secured = sessions.ProtectRtp(RtpPacket(7));
    REQUIRE_FALSE(secured.empty());
    // Header (authenticated), payload and tag: any single flipped byte fails.
    for (size_t i : {size_t{1}, size_t{3}, size_t{9}, size_t{20}, secured.size() - 1}) {
      auto tampered = secured;
      tampered[i] ^= 0x01;
      INFO("byte " << i);
      CHECK_FALSE(sessions.UnprotectRtp(tampered));
    }
    CHECK(sessions.UnprotectRtp(secured));  // the original still passes

    const auto securedRtcp = sessions.ProtectRtcp(RtcpReceiverReport());
    auto tamperedRtcp = securedRtcp;
    tamperedRtcp[5] ^= 0x80;
    CHECK_FALSE(sessions.UnprotectRtcp(tamperedRtcp));

    // A different key does not authenticate.
    auto other = SrtpSession::Create(profile, Direction::kInbound, Key(profile, 99));
    REQUIRE(other);
    PacketBuffer buffer;
    buffer.Assign(secured);
    CHECK(other->UnprotectRtp(buffer.Packet()) == 0);
  }
}

TEST_CASE("SRTP inbound rejects replays but accepts reordering", "[srtp]") {
  for (const auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    INFO("profile " << static_cast<int>(profile));
    SessionPair sessions(profile, Key(profile, 3));
    const auto p10 = sessions.ProtectRtp(RtpPacket(10));
    const auto p11 = sessions.ProtectRtp(RtpPacket(11));
    const auto p12 = sessions.ProtectRtp(RtpPacket(12));
    CHECK(sessions.UnprotectRtp(p12));
    CHECK(sessions.UnprotectRtp(p10));
    CHECK(sessions.UnprotectRtp(p11));
    CHECK_FALSE(sessions.UnprotectRtp(p10));
    CHECK_FALSE(sessions.UnprotectRtp(p12));

    const auto rtcp = sessions.ProtectRtcp(RtcpReceiverReport());
    CHECK(sessions.UnprotectRtcp(rtcp));
    CHECK_FALSE(sessions.UnprotectRtcp(rtcp));
  }
}

TEST_CASE("SRTP outbound may protect the same sequence number again", "[srtp]") {
  for (const auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    INFO("profile " << static_cast<int>(profile));
    SessionPair sessions(profile, Key(profile, 4));
    const auto plain5 = RtpPacket(5);
    const auto lost = sessions.ProtectRtp(plain5);
    const auto next = sessions.ProtectRtp(RtpPacket(6));
    // The receiver NACKs 5; the SFU resends the same packet.
    const auto resent = sessions.ProtectRtp(plain5);
    REQUIRE_FALSE(resent.empty());
    CHECK(resent == lost);
    CHECK(sessions.UnprotectRtp(next));
    const auto decrypted = sessions.UnprotectRtp(resent);
    REQUIRE(decrypted);
    CHECK(*decrypted == plain5);
  }
}

TEST_CASE("SRTP follows the rollover counter across a sequence wrap", "[srtp]") {
  SessionPair sessions(SrtpProfile::kAeadAes128Gcm, Key(SrtpProfile::kAeadAes128Gcm, 5));
  for (uint32_t i = 65530; i < 65542; ++i) {
    const auto plain = RtpPacket(static_cast<uint16_t>(i));
    const auto decrypted = sessions.UnprotectRtp(sessions.ProtectRtp(plain));
    REQUIRE(decrypted);
    CHECK(*decrypted == plain);
  }
}

TEST_CASE("SRTP sessions serve any SSRC", "[srtp]") {
  SessionPair sessions(SrtpProfile::kAeadAes128Gcm, Key(SrtpProfile::kAeadAes128Gcm, 6));
  for (uint32_t ssrc : {1u, 2u, 0xFFFFFFFFu}) {
    const auto plain = RtpPacket(1, ssrc);
    const auto decrypted = sessions.UnprotectRtp(sessions.ProtectRtp(plain));
    REQUIRE(decrypted);
    CHECK(*decrypted == plain);
  }
}

TEST_CASE("SRTP refuses bad keys, small buffers and malformed packets", "[srtp]") {
  const auto profile = SrtpProfile::kAeadAes128Gcm;
  auto key = Key(profile, 7);
  CHECK_FALSE(
      SrtpSession::Create(profile, Direction::kInbound, std::span(key.data(), key.size() - 1)));
  CHECK_FALSE(SrtpSession::Create(SrtpProfile::kAes128CmHmacSha1_80, Direction::kInbound, key));
  CHECK(SrtpSession::Create(SrtpProfile::kAes128CmHmacSha1_80, Direction::kInbound,
                            Key(SrtpProfile::kAes128CmHmacSha1_80, 7)));

  SessionPair sessions(profile, key);
  const auto plain = RtpPacket(1);
  // No room for the trailer.
  std::vector<uint8_t> tight(plain.size() + SrtpSession::kMaxTrailer - 1);
  std::copy(plain.begin(), plain.end(), tight.begin());
  CHECK(sessions.outbound->ProtectRtp(tight, plain.size()) == 0);
  // Length beyond the buffer, and shorter than a header.
  PacketBuffer buffer;
  buffer.Assign(plain);
  CHECK(sessions.outbound->ProtectRtp(buffer.All(), buffer.bytes.size() + 1) == 0);
  CHECK(sessions.outbound->ProtectRtp(buffer.All(), 11) == 0);
  CHECK(sessions.outbound->ProtectRtcp(buffer.All(), 7) == 0);
  // Wrong direction.
  CHECK(sessions.inbound->ProtectRtp(buffer.All(), buffer.length) == 0);
  // Short or garbage input to unprotect.
  CHECK(sessions.inbound->UnprotectRtp(std::span(buffer.bytes).first(11)) == 0);
  CHECK(sessions.inbound->UnprotectRtcp(std::span(buffer.bytes).first(7)) == 0);
  std::mt19937 random(3711);
  for (int i = 0; i < 500; ++i) {
    buffer.length = 12 + random() % 200;
    for (size_t j = 0; j < buffer.length; ++j) buffer.bytes[j] = static_cast<uint8_t>(random());
    buffer.bytes[0] = 0x80 | (buffer.bytes[0] & 0x1F);
    CHECK(sessions.inbound->UnprotectRtp(buffer.Packet()) == 0);
    CHECK(sessions.inbound->UnprotectRtcp(buffer.Packet()) == 0);
  }
}

TEST_CASE("keys exported by a real DTLS handshake protect crosswise", "[srtp][dtls]") {
  Pair pair;
  pair.Connect();
  REQUIRE(pair.BothConnected());
  const auto& clientKeys = *pair.clientEndpoint.keys;
  const auto& serverKeys = *pair.serverEndpoint.keys;

  auto clientOut = SrtpSession::Create(clientKeys.profile, Direction::kOutbound,
                                       clientKeys.localMasterKeyAndSalt);
  auto clientIn = SrtpSession::Create(clientKeys.profile, Direction::kInbound,
                                      clientKeys.remoteMasterKeyAndSalt);
  auto serverOut = SrtpSession::Create(serverKeys.profile, Direction::kOutbound,
                                       serverKeys.localMasterKeyAndSalt);
  auto serverIn = SrtpSession::Create(serverKeys.profile, Direction::kInbound,
                                      serverKeys.remoteMasterKeyAndSalt);
  REQUIRE(clientOut);
  REQUIRE(clientIn);
  REQUIRE(serverOut);
  REQUIRE(serverIn);

  const auto plain = RtpPacket(42);
  PacketBuffer buffer;
  buffer.Assign(plain);
  buffer.length = clientOut->ProtectRtp(buffer.All(), buffer.length);
  REQUIRE(buffer.length > plain.size());
  buffer.length = serverIn->UnprotectRtp(buffer.Packet());
  REQUIRE(buffer.length == plain.size());
  CHECK(buffer.Copy() == plain);

  const auto report = RtcpReceiverReport();
  buffer.Assign(report);
  buffer.length = serverOut->ProtectRtcp(buffer.All(), buffer.length);
  REQUIRE(buffer.length > report.size());
  // The client's own inbound key is the server's: its outbound key would not do.
  auto wrong = SrtpSession::Create(clientKeys.profile, Direction::kInbound,
                                   clientKeys.localMasterKeyAndSalt);
  REQUIRE(wrong);
  auto copy = buffer.Copy();
  CHECK(wrong->UnprotectRtcp(copy) == 0);
  buffer.length = clientIn->UnprotectRtcp(buffer.Packet());
  REQUIRE(buffer.length == report.size());
  CHECK(buffer.Copy() == report);
}

namespace {

// RTP with two CSRCs and a one-byte header extension (RFC 8285), so the
// header SRTP leaves in the clear is more than the fixed 12 bytes.
std::vector<uint8_t> RtpPacketWithExtension(uint16_t sequence, uint32_t ssrc) {
  auto packet = RtpPacket(sequence, ssrc, 100 + sequence % 50);
  packet[0] = 0x80 | 0x10 | 0x02;
  const std::vector<uint8_t> middle = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,  // CSRCs
                                       0xBE, 0xDE, 0x00, 0x01,                          // ext
                                       0x10, 0xAB, 0x00, 0x00};
  packet.insert(packet.begin() + 12, middle.begin(), middle.end());
  return packet;
}

// A compound RTCP packet: RR + PLI (RFC 4585 6.3.1).
std::vector<uint8_t> RtcpCompound(uint32_t ssrc) {
  auto packet = RtcpReceiverReport(ssrc);
  const std::vector<uint8_t> pli = {0x81, 206,  0x00, 0x02, 0x01, 0x02,
                                    0x03, 0x04, 0x0A, 0x0B, 0x0C, 0x0D};
  packet.insert(packet.end(), pli.begin(), pli.end());
  return packet;
}

LibSrtpReference::Direction ReferenceDirection(Direction direction) {
  return direction == Direction::kInbound ? LibSrtpReference::Direction::kInbound
                                          : LibSrtpReference::Direction::kOutbound;
}

}  // namespace

// libsrtp2 is the reference implementation: for the same keys and packets
// our output must be byte-identical to its output, and each must accept the
// other's. Covers both profiles, CSRCs and extensions, a sequence-number
// wrap (rollover counter 0 -> 1), several SSRCs and compound RTCP.
TEST_CASE("SRTP output is byte-identical to libsrtp2 and interoperates both ways",
          "[srtp][interop]") {
  for (const auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    INFO("profile " << static_cast<int>(profile));
    const auto key = Key(profile, 42);
    auto ours = SrtpSession::Create(profile, Direction::kOutbound, key);
    auto oursIn = SrtpSession::Create(profile, Direction::kInbound, key);
    auto reference =
        LibSrtpReference::Create(profile, ReferenceDirection(Direction::kOutbound), key);
    auto referenceIn =
        LibSrtpReference::Create(profile, ReferenceDirection(Direction::kInbound), key);
    REQUIRE(ours);
    REQUIRE(oursIn);
    REQUIRE(reference);
    REQUIRE(referenceIn);

    int compared = 0;
    for (uint32_t i = 65500; i < 65600; ++i) {
      for (const uint32_t ssrc : {0x01020304U, 0xCAFEBABEU}) {
        const auto plain = (i % 3 == 0) ? RtpPacketWithExtension(static_cast<uint16_t>(i), ssrc)
                                        : RtpPacket(static_cast<uint16_t>(i), ssrc);
        PacketBuffer mine;
        mine.Assign(plain);
        mine.length = ours->ProtectRtp(mine.All(), mine.length);
        PacketBuffer theirs;
        theirs.Assign(plain);
        theirs.length = reference->ProtectRtp(theirs.All(), theirs.length);
        REQUIRE(mine.length > plain.size());
        REQUIRE(mine.Copy() == theirs.Copy());

        // Ours -> libsrtp inbound; libsrtp output -> ours inbound.
        PacketBuffer toReference = mine;
        toReference.length = referenceIn->UnprotectRtp(toReference.Packet());
        REQUIRE(toReference.Copy() == plain);
        PacketBuffer toOurs = theirs;
        toOurs.length = oursIn->UnprotectRtp(toOurs.Packet());
        REQUIRE(toOurs.Copy() == plain);
        ++compared;
      }
    }
    CHECK(compared == 200);

    for (int i = 0; i < 20; ++i) {
      const uint32_t ssrc = i % 2 == 0 ? 0x11111111U : 0x22222222U;
      const auto plain = i % 4 < 2 ? RtcpReceiverReport(ssrc) : RtcpCompound(ssrc);
      PacketBuffer mine;
      mine.Assign(plain);
      mine.length = ours->ProtectRtcp(mine.All(), mine.length);
      PacketBuffer theirs;
      theirs.Assign(plain);
      theirs.length = reference->ProtectRtcp(theirs.All(), theirs.length);
      REQUIRE(mine.length > plain.size());
      // The SRTCP index sequence per SSRC is the same, so the bytes are too.
      REQUIRE(mine.Copy() == theirs.Copy());
      PacketBuffer toReference = mine;
      toReference.length = referenceIn->UnprotectRtcp(toReference.Packet());
      REQUIRE(toReference.Copy() == plain);
      PacketBuffer toOurs = theirs;
      toOurs.length = oursIn->UnprotectRtcp(toOurs.Packet());
      REQUIRE(toOurs.Copy() == plain);
    }
  }
}

TEST_CASE("SRTP inbound follows a stream that starts just before a wrap and reorders across it",
          "[srtp]") {
  for (const auto profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAes128CmHmacSha1_80}) {
    INFO("profile " << static_cast<int>(profile));
    SessionPair sessions(profile, Key(profile, 8));
    std::vector<std::vector<uint8_t>> secured;
    std::vector<std::vector<uint8_t>> plain;
    for (uint32_t i = 65530; i < 65546; ++i) {
      plain.push_back(RtpPacket(static_cast<uint16_t>(i)));
      secured.push_back(sessions.ProtectRtp(plain.back()));
    }
    // Deliver 0,1,2,...,5 then 7,6 (6 = seq 65535 after 65536 = seq 0), then the rest.
    std::vector<size_t> order = {0, 1, 2, 3, 4, 5, 7, 6, 8, 10, 9, 11, 12, 13, 14, 15};
    for (size_t i : order) {
      INFO("packet " << i);
      const auto decrypted = sessions.UnprotectRtp(secured[i]);
      REQUIRE(decrypted);
      CHECK(*decrypted == plain[i]);
    }
    // Every one of them is now a replay.
    for (const auto& packet : secured) CHECK_FALSE(sessions.UnprotectRtp(packet));
  }
}

TEST_CASE("SRTP inbound creates a stream only for an authentic packet", "[srtp]") {
  const auto profile = SrtpProfile::kAeadAes128Gcm;
  SessionPair sessions(profile, Key(profile, 9));
  auto forged = sessions.ProtectRtp(RtpPacket(100, 0xABCDEF01));
  forged.back() ^= 0xFF;
  CHECK_FALSE(sessions.UnprotectRtp(forged));
  CHECK(sessions.inbound->StreamCount() == 0);
  // The forged packet did not poison that SSRC's state: the real one passes.
  forged.back() ^= 0xFF;
  CHECK(sessions.UnprotectRtp(forged));
  CHECK(sessions.inbound->StreamCount() == 1);
}
