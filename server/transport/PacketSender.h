#pragma once

#include <boost/asio/ip/udp.hpp>
#include <span>

namespace myriad::server::transport {

// Where a transport hands datagrams to the network: the worker's UDP socket in
// the server, an in-memory pipe in tests.
class PacketSender {
 public:
  virtual ~PacketSender() = default;
  // Returns false when the datagram could not be sent (counted by the caller).
  virtual bool SendPacket(std::span<const uint8_t> datagram,
                          const boost::asio::ip::udp::endpoint& to) = 0;
};

}  // namespace myriad::server::transport
