#pragma once

#include <boost/asio/ip/udp.hpp>
#include <cstring>
#include <functional>

namespace myriad::server {

// Hash of a UDP endpoint for the worker's 5-tuple routing table.
struct EndpointHash {
  size_t operator()(const boost::asio::ip::udp::endpoint& endpoint) const noexcept {
    const auto address = endpoint.address();
    size_t hash = std::hash<uint16_t>{}(endpoint.port());
    if (address.is_v4()) {
      hash ^= std::hash<uint32_t>{}(address.to_v4().to_uint()) * 0x9E3779B97F4A7C15ull;
    } else {
      const auto bytes = address.to_v6().to_bytes();
      uint64_t high = 0;
      uint64_t low = 0;
      std::memcpy(&high, bytes.data(), 8);
      std::memcpy(&low, bytes.data() + 8, 8);
      hash ^= std::hash<uint64_t>{}(high)*0x9E3779B97F4A7C15ull;
      hash ^= std::hash<uint64_t>{}(low) + 0x7F4A7C159E3779B9ull + (hash << 6);
    }
    return hash;
  }
};

}  // namespace myriad::server
