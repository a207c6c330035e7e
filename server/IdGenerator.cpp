#include "server/IdGenerator.h"

#include <openssl/rand.h>

#include <array>
#include <cstdint>

namespace myriad::server {

std::string IdGenerator::Make(char prefix) {
  std::array<uint8_t, 6> bytes{};
  RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(1, prefix);
  for (const uint8_t b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

}  // namespace myriad::server
