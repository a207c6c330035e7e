#pragma once

#include <string>

namespace myriad::server {

// Participant and track ids: a letter saying what it names ('P', 'T')
// followed by 48 random bits in hex from the OpenSSL CSPRNG, so ids cannot
// be guessed by other clients.
class IdGenerator {
 public:
  static std::string Make(char prefix);
};

}  // namespace myriad::server
