// libFuzzer target: access token verification on arbitrary join tokens. It must never throw or
// crash, and it may accept only what the key signed: the fuzzer cannot forge an HMAC, so an
// accepted token must re-verify identically and carry the expected room.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signaling/AccessToken.h"

using myriad::signaling::AccessKeys;
using myriad::signaling::AccessToken;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The seed corpus is signed with these keys (tests/fuzz/corpus/FuzzAccessToken).
  static const AccessKeys kKeys{{"k1", "fuzz-secret-0123456789abcdef0123456789"},
                                {"k2", "fuzz-secret-second-key-0123456789abcdef"}};
  const std::string_view token(reinterpret_cast<const char*>(data), size);
  const std::chrono::sys_seconds now{std::chrono::seconds(1700000000)};
  const auto result = AccessToken::Verify(token, kKeys, now, "demo");
  if (result.claims) {
    if (result.claims->room != "demo" || result.claims->identity.empty()) __builtin_trap();
    if (now >= result.claims->expiresAt + AccessToken::kClockSkew) __builtin_trap();
  } else if (AccessToken::ErrorName(result.error).empty()) {
    __builtin_trap();
  }
  return 0;
}
