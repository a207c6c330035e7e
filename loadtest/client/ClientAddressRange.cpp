#include "loadtest/client/ClientAddressRange.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace myriad::loadtest {
namespace {

bool Within(uint32_t address, uint32_t network, unsigned prefixLength) {
  const uint32_t mask = prefixLength == 0 ? 0 : ~uint32_t{0} << (32 - prefixLength);
  return (address & mask) == (network & mask);
}

std::string Dotted(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 0xFFU) + "." +
         std::to_string((address >> 8) & 0xFFU) + "." + std::to_string(address & 0xFFU);
}

bool Skipped(uint32_t address) {
  const uint32_t host = address & 0xFFU;
  return host == 0 || host == 0xFFU;
}

}  // namespace

ClientAddressRange::ClientAddressRange(uint32_t first, uint32_t last, uint8_t prefixLength)
    : first_(first), last_(last), prefixLength_(prefixLength) {}

ClientAddressRange ClientAddressRange::Loopback() {
  return ClientAddressRange((127U << 24) | (1U << 16) | 1U, (127U << 24) | 0xFFFFFEU, 8);
}

std::optional<ClientAddressRange> ClientAddressRange::ParseCidr(const std::string& text,
                                                                std::string* error) {
  const auto fail = [&](const std::string& why) -> std::optional<ClientAddressRange> {
    *error = "\"" + text + "\" " + why;
    return std::nullopt;
  };
  const auto slash = text.find('/');
  if (slash == std::string::npos) return fail("is not A.B.C.D/N");
  in_addr parsed{};
  if (::inet_pton(AF_INET, text.substr(0, slash).c_str(), &parsed) != 1) {
    return fail("is not A.B.C.D/N");
  }
  unsigned prefixLength = 0;
  const char* begin = text.data() + slash + 1;
  const char* end = text.data() + text.size();
  const auto [stop, ec] = std::from_chars(begin, end, prefixLength);
  if (begin == end || ec != std::errc() || stop != end) return fail("is not A.B.C.D/N");
  if (prefixLength < 8 || prefixLength > 30) return fail("needs a prefix length from 8 to 30");
  const uint32_t address = ntohl(parsed.s_addr);
  const uint32_t mask = ~uint32_t{0} << (32 - prefixLength);
  if ((address & ~mask) != 0) return fail("has host bits set");
  const bool loopback = Within(address, 127U << 24, 8);
  const bool privateRange = Within(address, 10U << 24, 8) ||
                            Within(address, (172U << 24) | (16U << 16), 12) ||
                            Within(address, (192U << 24) | (168U << 16), 16);
  // The prefix must lie inside its private block too (10.0.0.0/7 is not).
  const unsigned blockLength = Within(address, 10U << 24, 8)    ? 8
                               : Within(address, 172U << 24, 8) ? 12
                               : Within(address, 192U << 24, 8) ? 16
                                                                : 8;
  if ((!loopback && !privateRange) || prefixLength < blockLength) {
    return fail("is not inside 127.0.0.0/8, 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16");
  }
  uint32_t first = address + 1;
  uint32_t last = (address | ~mask) - 1;
  while (first <= last && Skipped(first)) ++first;
  while (last >= first && Skipped(last)) --last;
  if (first > last) return fail("has no usable address");
  return ClientAddressRange(first, last, static_cast<uint8_t>(prefixLength));
}

std::optional<uint32_t> ClientAddressRange::Next(uint32_t address) const {
  if (address >= last_) return std::nullopt;
  uint32_t next = address + 1;
  while (next <= last_ && Skipped(next)) ++next;
  if (next > last_) return std::nullopt;
  return next;
}

std::string ClientAddressRange::ToString() const {
  const uint32_t mask = ~uint32_t{0} << (32 - prefixLength_);
  return Dotted(first_ & mask) + "/" + std::to_string(prefixLength_);
}

std::string ClientAddressRange::CheckLocal() const {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::string("cannot open a UDP socket: ") + std::strerror(errno);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_addr.s_addr = htonl(first_);
  const int result = ::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof(local));
  const int bindError = errno;
  ::close(fd);
  if (result == 0) return "";
  return "this host cannot send from " + Dotted(first_) + " (" + std::strerror(bindError) +
         "): make the client network local first, e.g. `ip route add local " + ToString() +
         " dev lo`";
}

}  // namespace myriad::loadtest
