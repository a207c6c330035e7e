#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace myriad::loadtest {

// The IPv4 addresses MultiAddressUdpSocket hands its simulated clients, one
// each, so the server sees a distinct 5-tuple per client.
//
// The default is loopback (127.1.0.1 .. 127.254.255.254), which reaches a
// server on this host's loopback only: the kernel never routes a 127/8
// source out of the loopback device. A server in a network namespace (a
// benchmark's veth link) needs clients on a routable network that is local
// to this host: an "AnyIP" route makes a whole prefix local without an
// address per client (`ip route add local 10.97.0.0/16 dev lo`, ip-route(8)),
// and the namespace routes the prefix back over its link.
class ClientAddressRange {
 public:
  // 127.1.0.1 .. 127.254.255.254.
  static ClientAddressRange Loopback();
  // "A.B.C.D/N" with 8 <= N <= 30, inside 10.0.0.0/8, 172.16.0.0/12 or
  // 192.168.0.0/16 (a load generator has no business sending from public
  // addresses), or inside 127.0.0.0/8. nullopt with `error` set otherwise.
  static std::optional<ClientAddressRange> ParseCidr(const std::string& text, std::string* error);

  bool IsLoopback() const { return (first_ >> 24) == 127U; }
  // Host byte order. Network and broadcast addresses are excluded.
  uint32_t First() const { return first_; }
  uint32_t Last() const { return last_; }
  // The address after `address` that a client may use (host bytes 0 and
  // 255 skipped: they read as network/broadcast addresses in captures), or
  // nullopt past Last().
  std::optional<uint32_t> Next(uint32_t address) const;
  std::string ToString() const;

  // "" when this host can send from the range's first address (a UDP
  // socket binds it), else why not and which route would fix it.
  std::string CheckLocal() const;

 private:
  ClientAddressRange(uint32_t first, uint32_t last, uint8_t prefixLength);

  uint32_t first_;
  uint32_t last_;
  uint8_t prefixLength_;
};

}  // namespace myriad::loadtest
