#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "rtp/StunIntegrity.h"
#include "rtp/StunMessage.h"
#include "rtp/StunMessageBuilder.h"

using myriad::rtp::StunAddress;
using myriad::rtp::StunIntegrity;
using myriad::rtp::StunMessage;
using myriad::rtp::StunMessageBuilder;

namespace {

std::vector<uint8_t> FromHex(std::string_view text) {
  std::vector<uint8_t> bytes;
  int high = -1;
  for (char c : text) {
    int value = -1;
    if (c >= '0' && c <= '9') value = c - '0';
    if (c >= 'a' && c <= 'f') value = c - 'a' + 10;
    if (value < 0) continue;
    if (high < 0) {
      high = value;
    } else {
      bytes.push_back(static_cast<uint8_t>(high * 16 + value));
      high = -1;
    }
  }
  return bytes;
}

// RFC 5769 2.1: Binding request, SOFTWARE "STUN test client", PRIORITY,
// ICE-CONTROLLED, USERNAME "evtj:h6vY" (padded with spaces), MESSAGE-INTEGRITY,
// FINGERPRINT.
const std::vector<uint8_t> kSampleRequest = FromHex(
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff"
    "80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf");

// RFC 5769 2.2: Binding success, SOFTWARE "test vector", XOR-MAPPED-ADDRESS
// 192.0.2.1:32853.
const std::vector<uint8_t> kSampleIpv4Response = FromHex(
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 08 00 01 a1 47 e1 12 a6 43"
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04 c0 7d 4c 96");

// RFC 5769 2.3: the same with XOR-MAPPED-ADDRESS
// [2001:db8:1234:5678:11:2233:4455:6677]:32853.
const std::vector<uint8_t> kSampleIpv6Response = FromHex(
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04 c8 fb 0b 4c");

constexpr std::string_view kPassword = "VOkJxbRl1RmTxUk/WvJxBt";
constexpr std::array<uint8_t, 12> kTransactionId = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
                                                    0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

StunAddress Ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
  StunAddress address;
  address.address[0] = a;
  address.address[1] = b;
  address.address[2] = c;
  address.address[3] = d;
  address.port = port;
  return address;
}

StunAddress SampleIpv6() {
  StunAddress address;
  address.ipv6 = true;
  address.address = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                     0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  address.port = 32853;
  return address;
}

std::vector<uint8_t> ToVector(std::span<const uint8_t> data) {
  return std::vector<uint8_t>(data.begin(), data.end());
}

}  // namespace

TEST_CASE("CRC-32 matches the published check value", "[stun]") {
  const std::string_view check = "123456789";
  REQUIRE(StunIntegrity::Crc32(std::span(reinterpret_cast<const uint8_t*>(check.data()),
                                         check.size())) == 0xCBF43926u);
}

TEST_CASE("RFC 5769 2.1 sample request parses and authenticates", "[stun]") {
  REQUIRE(kSampleRequest.size() == 108);
  REQUIRE(StunMessage::LooksLikeStun(kSampleRequest));
  const auto message = StunMessage::Parse(kSampleRequest);
  REQUIRE(message);
  CHECK(message->Type() == StunMessage::kBindingRequest);
  CHECK(message->TransactionId() == kTransactionId);
  REQUIRE(message->Username());
  CHECK(*message->Username() == "evtj:h6vY");
  CHECK(message->Priority() == std::optional<uint32_t>(0x6e0001ffu));
  CHECK(message->IceControlled() == std::optional<uint64_t>(0x932ff9b151263b36ull));
  CHECK_FALSE(message->IceControlling());
  CHECK_FALSE(message->HasUseCandidate());
  CHECK_FALSE(message->XorMappedAddress());
  CHECK_FALSE(message->ErrorCode());
  REQUIRE(message->HasMessageIntegrity());
  REQUIRE(message->HasFingerprint());
  CHECK(message->CheckFingerprint());
  CHECK(message->CheckMessageIntegrity(kPassword));
  CHECK_FALSE(message->CheckMessageIntegrity("VOkJxbRl1RmTxUk/WvJxBT"));
  CHECK_FALSE(message->CheckMessageIntegrity(""));
}

TEST_CASE("RFC 5769 2.2 and 2.3 sample responses decode the mapped address", "[stun]") {
  const auto ipv4 = StunMessage::Parse(kSampleIpv4Response);
  REQUIRE(ipv4);
  CHECK(ipv4->Type() == StunMessage::kBindingSuccessResponse);
  CHECK(ipv4->CheckFingerprint());
  CHECK(ipv4->CheckMessageIntegrity(kPassword));
  REQUIRE(ipv4->XorMappedAddress());
  CHECK(*ipv4->XorMappedAddress() == Ipv4(192, 0, 2, 1, 32853));

  const auto ipv6 = StunMessage::Parse(kSampleIpv6Response);
  REQUIRE(ipv6);
  CHECK(ipv6->Type() == StunMessage::kBindingSuccessResponse);
  CHECK(ipv6->CheckFingerprint());
  CHECK(ipv6->CheckMessageIntegrity(kPassword));
  REQUIRE(ipv6->XorMappedAddress());
  CHECK(*ipv6->XorMappedAddress() == SampleIpv6());
}

TEST_CASE("the builder reproduces the RFC 5769 vectors byte for byte", "[stun]") {
  // The RFC pads with spaces where the builder writes zeros (RFC 5389 15:
  // padding may be anything), so the test puts the space in before the
  // checksums are computed over it.
  std::array<uint8_t, 256> buffer{};

  SECTION("2.1 request") {
    StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, kTransactionId);
    REQUIRE(builder.AddSoftware("STUN test client"));
    REQUIRE(builder.AddPriority(0x6e0001ff));
    REQUIRE(builder.AddIceControlled(0x932ff9b151263b36ull));
    REQUIRE(builder.AddUsername("evtj:h6vY"));
    buffer[20 + 20 + 8 + 12 + 4 + 9] = 0x20;
    buffer[20 + 20 + 8 + 12 + 4 + 10] = 0x20;
    buffer[20 + 20 + 8 + 12 + 4 + 11] = 0x20;
    REQUIRE(builder.AddMessageIntegrity(kPassword));
    REQUIRE(builder.AddFingerprint());
    CHECK(ToVector(builder.Finish()) == kSampleRequest);
  }
  SECTION("2.2 IPv4 response") {
    StunMessageBuilder builder(buffer, StunMessage::kBindingSuccessResponse, kTransactionId);
    REQUIRE(builder.AddSoftware("test vector"));
    buffer[20 + 4 + 11] = 0x20;
    REQUIRE(builder.AddXorMappedAddress(Ipv4(192, 0, 2, 1, 32853)));
    REQUIRE(builder.AddMessageIntegrity(kPassword));
    REQUIRE(builder.AddFingerprint());
    CHECK(ToVector(builder.Finish()) == kSampleIpv4Response);
  }
  SECTION("2.3 IPv6 response") {
    StunMessageBuilder builder(buffer, StunMessage::kBindingSuccessResponse, kTransactionId);
    REQUIRE(builder.AddSoftware("test vector"));
    buffer[20 + 4 + 11] = 0x20;
    REQUIRE(builder.AddXorMappedAddress(SampleIpv6()));
    REQUIRE(builder.AddMessageIntegrity(kPassword));
    REQUIRE(builder.AddFingerprint());
    CHECK(ToVector(builder.Finish()) == kSampleIpv6Response);
  }
}

TEST_CASE("builder output round-trips through the parser", "[stun]") {
  std::array<uint8_t, 512> buffer{};
  const std::array<uint8_t, 12> transactionId = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

  SECTION("binding request with every ICE attribute") {
    StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, transactionId);
    REQUIRE(builder.AddUsername("server:client"));
    REQUIRE(builder.AddPriority(1853824767));
    REQUIRE(builder.AddUseCandidate());
    REQUIRE(builder.AddIceControlling(0x0102030405060708ull));
    REQUIRE(builder.AddMessageIntegrity("a-password-of-22-chars"));
    REQUIRE(builder.AddFingerprint());
    const auto bytes = builder.Finish();
    REQUIRE(bytes.size() == 20 + (4 + 16) + 8 + 4 + 12 + 24 + 8);
    const auto message = StunMessage::Parse(bytes);
    REQUIRE(message);
    CHECK(message->Type() == StunMessage::kBindingRequest);
    CHECK(message->TransactionId() == transactionId);
    CHECK(message->Username() == std::optional<std::string_view>("server:client"));
    CHECK(message->Priority() == std::optional<uint32_t>(1853824767));
    CHECK(message->HasUseCandidate());
    CHECK(message->IceControlling() == std::optional<uint64_t>(0x0102030405060708ull));
    CHECK_FALSE(message->IceControlled());
    CHECK(message->CheckMessageIntegrity("a-password-of-22-chars"));
    CHECK_FALSE(message->CheckMessageIntegrity("a-password-of-22-charz"));
    CHECK(message->CheckFingerprint());
  }
  SECTION("error response") {
    StunMessageBuilder builder(buffer, StunMessage::kBindingErrorResponse, transactionId);
    REQUIRE(builder.AddErrorCode(487, "Role Conflict"));
    REQUIRE(builder.AddFingerprint());
    const auto message = StunMessage::Parse(builder.Finish());
    REQUIRE(message);
    CHECK(message->Type() == StunMessage::kBindingErrorResponse);
    CHECK(message->ErrorCode() == std::optional<uint16_t>(487));
    CHECK_FALSE(message->HasMessageIntegrity());
    CHECK_FALSE(message->CheckMessageIntegrity("whatever"));
    CHECK(message->CheckFingerprint());
  }
  SECTION("indication without checksums") {
    StunMessageBuilder builder(buffer, StunMessage::kBindingIndication, transactionId);
    const auto bytes = builder.Finish();
    REQUIRE(bytes.size() == 20);
    const auto message = StunMessage::Parse(bytes);
    REQUIRE(message);
    CHECK(message->Type() == StunMessage::kBindingIndication);
    CHECK_FALSE(message->HasFingerprint());
    CHECK_FALSE(message->CheckFingerprint());
  }
  SECTION("IPv4 and IPv6 mapped addresses") {
    for (const auto& address : {Ipv4(203, 0, 113, 45, 51234), SampleIpv6(), Ipv4(0, 0, 0, 0, 0)}) {
      StunMessageBuilder builder(buffer, StunMessage::kBindingSuccessResponse, transactionId);
      REQUIRE(builder.AddXorMappedAddress(address));
      const auto message = StunMessage::Parse(builder.Finish());
      REQUIRE(message);
      CHECK(message->XorMappedAddress() == std::optional<StunAddress>(address));
    }
  }
}

TEST_CASE("the builder refuses what does not fit or comes out of order", "[stun]") {
  const std::array<uint8_t, 12> transactionId{};

  SECTION("buffer smaller than the header") {
    std::array<uint8_t, 19> buffer{};
    StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, transactionId);
    CHECK_FALSE(builder.AddPriority(1));
    CHECK(builder.Finish().empty());
  }
  SECTION("attribute overflowing the buffer poisons the builder") {
    std::array<uint8_t, 32> buffer{};
    StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, transactionId);
    REQUIRE(builder.AddPriority(1));  // 28 bytes
    CHECK_FALSE(builder.AddIceControlling(1));
    CHECK_FALSE(builder.AddUseCandidate());  // would fit, but the builder is poisoned
    CHECK(builder.Finish().empty());
  }
  SECTION("every attribute size at every buffer size") {
    for (size_t size = 20; size < 120; ++size) {
      std::vector<uint8_t> buffer(size);
      StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, transactionId);
      const bool ok = builder.AddUsername("abcdefghij") && builder.AddPriority(7) &&
                      builder.AddIceControlled(9) && builder.AddMessageIntegrity("key") &&
                      builder.AddFingerprint();
      const auto bytes = builder.Finish();
      CHECK(ok == (size >= 88));
      CHECK(bytes.empty() == !ok);
      if (ok) {
        const auto message = StunMessage::Parse(bytes);
        REQUIRE(message);
        CHECK(message->CheckMessageIntegrity("key"));
        CHECK(message->CheckFingerprint());
      }
    }
  }
  SECTION("attributes after MESSAGE-INTEGRITY") {
    std::array<uint8_t, 128> buffer{};
    StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, transactionId);
    REQUIRE(builder.AddMessageIntegrity("key"));
    CHECK_FALSE(builder.AddPriority(1));
    CHECK(builder.Finish().empty());
  }
  SECTION("MESSAGE-INTEGRITY after FINGERPRINT") {
    std::array<uint8_t, 128> buffer{};
    StunMessageBuilder builder(buffer, StunMessage::kBindingRequest, transactionId);
    REQUIRE(builder.AddFingerprint());
    CHECK_FALSE(builder.AddMessageIntegrity("key"));
    CHECK(builder.Finish().empty());
  }
  SECTION("empty key, bad error code, over-long username") {
    std::array<uint8_t, 1024> buffer{};
    CHECK_FALSE(StunMessageBuilder(buffer, 1, transactionId).AddMessageIntegrity(""));
    CHECK_FALSE(StunMessageBuilder(buffer, 1, transactionId).AddErrorCode(299, "x"));
    CHECK_FALSE(StunMessageBuilder(buffer, 1, transactionId).AddErrorCode(700, "x"));
    CHECK_FALSE(StunMessageBuilder(buffer, 1, transactionId).AddUsername(std::string(513, 'u')));
    CHECK(StunMessageBuilder(buffer, 1, transactionId).AddUsername(std::string(512, 'u')));
    CHECK(StunMessageBuilder(buffer, 0xC001, transactionId).Finish().empty());
  }
}

TEST_CASE("any changed byte breaks MESSAGE-INTEGRITY or FINGERPRINT", "[stun]") {
  for (size_t i = 0; i < kSampleRequest.size(); ++i) {
    for (uint8_t flip : {uint8_t{0x01}, uint8_t{0x80}}) {
      auto tampered = kSampleRequest;
      tampered[i] ^= flip;
      const auto message = StunMessage::Parse(tampered);
      if (!message) continue;  // the header or a length no longer holds
      INFO("byte " << i << " flip " << int(flip));
      CHECK_FALSE((message->CheckMessageIntegrity(kPassword) && message->CheckFingerprint()));
      // Everything up to the end of MESSAGE-INTEGRITY is covered by the HMAC.
      if (i < 100 && message->HasMessageIntegrity()) {
        CHECK_FALSE(message->CheckMessageIntegrity(kPassword));
      }
    }
  }
}

TEST_CASE("truncated messages are rejected at every length", "[stun]") {
  for (const auto* vector : {&kSampleRequest, &kSampleIpv4Response, &kSampleIpv6Response}) {
    for (size_t length = 0; length < vector->size(); ++length) {
      INFO("length " << length);
      CHECK_FALSE(StunMessage::Parse(std::span(vector->data(), length)));
    }
    // Truncated with the header's length field rewritten to match: whatever
    // parses must still be consistent (and never read past the end).
    for (size_t length = 20; length < vector->size(); length += 4) {
      std::vector<uint8_t> truncated(vector->begin(), vector->begin() + length);
      truncated[2] = static_cast<uint8_t>((length - 20) >> 8);
      truncated[3] = static_cast<uint8_t>(length - 20);
      const auto message = StunMessage::Parse(truncated);
      if (message) {
        CHECK_FALSE(message->CheckFingerprint());
        if (message->Username()) CHECK(message->Username()->size() <= length);
      }
    }
  }
}

TEST_CASE("malformed headers and attributes are rejected", "[stun]") {
  auto mutated = [](auto change) {
    auto bytes = kSampleRequest;
    change(bytes);
    return StunMessage::Parse(bytes);
  };
  CHECK_FALSE(mutated([](auto& b) { b[0] |= 0x40; }));  // top bits must be zero
  CHECK_FALSE(mutated([](auto& b) { b[4] ^= 0x01; }));  // magic cookie
  CHECK_FALSE(mutated([](auto& b) { b[3] = 0x59; }));   // length not a multiple of 4
  CHECK_FALSE(mutated([](auto& b) { b[3] = 0x5c; }));   // length past the data
  CHECK_FALSE(mutated([](auto& b) { b[3] = 0x54; }));   // length short of the data
  CHECK_FALSE(mutated([](auto& b) { b[22] = 0x01; }));  // SOFTWARE overruns the message
  CHECK_FALSE(mutated([](auto& b) { b[62] = 0x01; }));  // USERNAME overruns the message
  CHECK_FALSE(mutated([](auto& b) { b[43] = 0x05; }));  // PRIORITY of 5 bytes
  CHECK_FALSE(mutated([](auto& b) { b[51] = 0x04; }));  // ICE-CONTROLLED of 4 bytes
  CHECK_FALSE(mutated([](auto& b) { b[63] = 0x0d; }));  // USERNAME eats MESSAGE-INTEGRITY's header
  CHECK_FALSE(mutated([](auto& b) { b[79] = 0x10; }));  // MESSAGE-INTEGRITY of 16 bytes

  // An attribute after FINGERPRINT.
  auto extended = kSampleRequest;
  extended[3] += 8;
  for (uint8_t byte : {0x00, 0x24, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01}) extended.push_back(byte);
  CHECK_FALSE(StunMessage::Parse(extended));

  // Unknown family or wrong size in XOR-MAPPED-ADDRESS; error class out of range.
  auto ipv4 = kSampleIpv4Response;
  ipv4[41] = 0x03;
  CHECK_FALSE(StunMessage::Parse(ipv4));
  ipv4 = kSampleIpv4Response;
  ipv4[41] = 0x02;  // says IPv6 but carries 4 bytes
  CHECK_FALSE(StunMessage::Parse(ipv4));

  std::array<uint8_t, 64> buffer{};
  StunMessageBuilder builder(buffer, StunMessage::kBindingErrorResponse, kTransactionId);
  REQUIRE(builder.AddErrorCode(400, ""));
  auto error = ToVector(builder.Finish());
  error[26] = 0x07;  // class 7
  CHECK_FALSE(StunMessage::Parse(error));
  error[26] = 0x04;
  error[27] = 100;  // number 100
  CHECK_FALSE(StunMessage::Parse(error));
}

TEST_CASE("attributes after MESSAGE-INTEGRITY are ignored except FINGERPRINT", "[stun]") {
  // Header, MESSAGE-INTEGRITY, PRIORITY, FINGERPRINT (RFC 5389 15.4).
  std::vector<uint8_t> bytes = {0x00, 0x01, 0x00, 0x28, 0x21, 0x12, 0xa4, 0x42};
  bytes.insert(bytes.end(), kTransactionId.begin(), kTransactionId.end());
  bytes.insert(bytes.end(), {0x00, 0x08, 0x00, 0x14});
  bytes.insert(bytes.end(), 20, 0xAA);
  bytes.insert(bytes.end(), {0x00, 0x24, 0x00, 0x04, 0x00, 0x00, 0x00, 0x09});
  bytes.insert(bytes.end(), {0x80, 0x28, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00});
  const auto message = StunMessage::Parse(bytes);
  REQUIRE(message);
  CHECK(message->HasMessageIntegrity());
  CHECK_FALSE(message->Priority());
  CHECK(message->HasFingerprint());
  CHECK_FALSE(message->CheckFingerprint());
}

TEST_CASE("LooksLikeStun follows RFC 7983 demultiplexing", "[stun]") {
  CHECK(StunMessage::LooksLikeStun(kSampleIpv6Response));
  auto bytes = kSampleRequest;
  bytes[0] = 0x80;  // RTP
  CHECK_FALSE(StunMessage::LooksLikeStun(bytes));
  bytes[0] = 22;  // DTLS handshake
  CHECK_FALSE(StunMessage::LooksLikeStun(bytes));
  bytes = kSampleRequest;
  bytes[7] ^= 0xFF;
  CHECK_FALSE(StunMessage::LooksLikeStun(bytes));
  CHECK_FALSE(StunMessage::LooksLikeStun(std::span(kSampleRequest.data(), 19)));
}

TEST_CASE("random messages with a valid header never crash the parser", "[stun]") {
  std::mt19937 random(5389);
  std::vector<uint8_t> bytes;
  for (int round = 0; round < 20000; ++round) {
    const size_t attributes = 4 * (random() % 24);
    bytes.assign(20 + attributes, 0);
    for (auto& byte : bytes) byte = static_cast<uint8_t>(random());
    bytes[0] &= 0x01;
    bytes[2] = static_cast<uint8_t>(attributes >> 8);
    bytes[3] = static_cast<uint8_t>(attributes);
    bytes[4] = 0x21, bytes[5] = 0x12, bytes[6] = 0xa4, bytes[7] = 0x42;
    // Small attribute lengths and known types make the walker go deep.
    for (size_t offset = 20; offset + 4 <= bytes.size(); offset += 4) {
      if (random() % 3 == 0) {
        static constexpr uint16_t kTypes[] = {0x0006, 0x0008, 0x0009, 0x0020, 0x0024,
                                              0x0025, 0x8028, 0x8029, 0x802A, 0x8022};
        const uint16_t type = kTypes[random() % 10];
        bytes[offset] = static_cast<uint8_t>(type >> 8);
        bytes[offset + 1] = static_cast<uint8_t>(type);
        bytes[offset + 2] = 0;
        bytes[offset + 3] = static_cast<uint8_t>(random() % 24);
      }
    }
    const auto message = StunMessage::Parse(bytes);
    if (message) {
      (void)message->Username();
      (void)message->XorMappedAddress();
      (void)message->CheckMessageIntegrity("key");
      (void)message->CheckFingerprint();
    }
  }
  SUCCEED();
}
