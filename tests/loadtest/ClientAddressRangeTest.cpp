// Client address ranges for the load generator's shared socket: parsing,
// the private-range rule, address order, and the locality check.

#include <catch2/catch.hpp>
#include <string>

#include "loadtest/client/ClientAddressRange.h"

namespace myriad::loadtest {
namespace {

uint32_t Address(uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

}  // namespace

TEST_CASE("ClientAddressRange: loopback by default, 127.1.0.1 up", "[loadtest]") {
  const auto range = ClientAddressRange::Loopback();
  CHECK(range.IsLoopback());
  CHECK(range.First() == Address(127, 1, 0, 1));
  CHECK(range.Last() == Address(127, 255, 255, 254));
  // Host bytes 255 and 0 are skipped.
  CHECK(range.Next(Address(127, 1, 0, 254)) == Address(127, 1, 1, 1));
  CHECK(range.Next(range.Last()) == std::nullopt);
  CHECK(range.CheckLocal().empty());
}

TEST_CASE("ClientAddressRange parses a private CIDR and stays inside it", "[loadtest]") {
  std::string error;
  const auto range = ClientAddressRange::ParseCidr("10.97.0.0/16", &error);
  REQUIRE(range.has_value());
  CHECK_FALSE(range->IsLoopback());
  CHECK(range->First() == Address(10, 97, 0, 1));
  CHECK(range->Last() == Address(10, 97, 255, 254));
  CHECK(range->ToString() == "10.97.0.0/16");
  CHECK(range->Next(Address(10, 97, 3, 254)) == Address(10, 97, 4, 1));

  // A /30 has two usable addresses (.1 and .2), then none.
  const auto small = ClientAddressRange::ParseCidr("192.168.7.4/30", &error);
  REQUIRE(small.has_value());
  CHECK(small->First() == Address(192, 168, 7, 5));
  CHECK(small->Last() == Address(192, 168, 7, 6));
  CHECK(small->Next(small->First()) == small->Last());
  CHECK(small->Next(small->Last()) == std::nullopt);

  CHECK(ClientAddressRange::ParseCidr("172.20.0.0/14", &error).has_value());
  CHECK(ClientAddressRange::ParseCidr("127.50.0.0/16", &error)->IsLoopback());
}

TEST_CASE("ClientAddressRange refuses malformed, public and oversized networks", "[loadtest]") {
  const auto refused = [](const std::string& text) {
    std::string error;
    const auto range = ClientAddressRange::ParseCidr(text, &error);
    CHECK_FALSE(range.has_value());
    return error;
  };
  CHECK(refused("10.97.0.0") == "\"10.97.0.0\" is not A.B.C.D/N");
  CHECK(refused("10.97.0/16") == "\"10.97.0/16\" is not A.B.C.D/N");
  CHECK(refused("10.97.0.0/") == "\"10.97.0.0/\" is not A.B.C.D/N");
  CHECK(refused("10.97.0.0/16x") == "\"10.97.0.0/16x\" is not A.B.C.D/N");
  CHECK(refused("10.97.0.0/31") == "\"10.97.0.0/31\" needs a prefix length from 8 to 30");
  CHECK(refused("10.0.0.0/7") == "\"10.0.0.0/7\" needs a prefix length from 8 to 30");
  CHECK(refused("10.97.0.1/16") == "\"10.97.0.1/16\" has host bits set");
  CHECK(refused("8.8.0.0/16") ==
        "\"8.8.0.0/16\" is not inside 127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16");
  // 172.0.0.0/8 overlaps 172.16.0.0/12 but is not inside it.
  CHECK(refused("172.0.0.0/8").find("is not inside") != std::string::npos);
  CHECK(refused("192.168.0.0/15").find("is not inside") != std::string::npos);
}

TEST_CASE("ClientAddressRange::CheckLocal says which route makes a network local", "[loadtest]") {
  std::string error;
  // TEST-NET-style private prefix that no test machine routes locally.
  const auto range = ClientAddressRange::ParseCidr("10.251.77.0/24", &error);
  REQUIRE(range.has_value());
  const std::string why = range->CheckLocal();
  CHECK(why.find("cannot send from 10.251.77.1") != std::string::npos);
  CHECK(why.find("ip route add local 10.251.77.0/24 dev lo") != std::string::npos);
}

}  // namespace myriad::loadtest
