#include <catch2/catch.hpp>
#include <string>

#include "signaling/Base64Url.h"

using myriad::signaling::Base64Url;

TEST_CASE("Base64Url encodes the RFC 4648 section 10 vectors without padding", "[signaling]") {
  // RFC 4648 section 10, with the padding JWS leaves out.
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    INFO(plain);
    CHECK(Base64Url::Encode(std::string_view(plain)) == encoded);
    CHECK(Base64Url::DecodeToString(encoded) == std::string(plain));
  }
}

TEST_CASE("Base64Url uses - and _ where base64 has + and /", "[signaling]") {
  const std::uint8_t bytes[] = {0xfb, 0xff, 0xbf};
  CHECK(Base64Url::Encode(bytes) == "-_-_");
  const auto decoded = Base64Url::Decode("-_-_");
  REQUIRE(decoded);
  CHECK(*decoded == std::vector<std::uint8_t>{0xfb, 0xff, 0xbf});
}

TEST_CASE("Base64Url refuses what no canonical encoding produces", "[signaling]") {
  for (const char* bad :
       {"Zg==", "Zm9v+", "Zm9v/", "Z", "Zm9vY", "Zm 9v", "Zh", "Zm9=", "Zm9vYm\n"}) {
    INFO(bad);
    CHECK_FALSE(Base64Url::Decode(bad).has_value());
  }
  // "Zh" would decode to 'f' too, with non-zero leftover bits: only "Zg" is accepted.
  CHECK(Base64Url::DecodeToString("Zg") == std::string("f"));
}
