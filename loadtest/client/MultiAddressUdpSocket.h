#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>

#include "loadtest/client/ClientAddressRange.h"

namespace myriad::loadtest {

// One UDP socket that stands in for many clients: each attached client gets
// its own address (by default loopback, 127.1.x.y; ClientAddressRange) on
// the socket's port, so the server
// sees a distinct 5-tuple per client, while the generator reads everything
// with one recvmmsg per batch and sends everything a handler produced with
// one sendmmsg. The source of a sent datagram and the client a received one
// belongs to travel in IP_PKTINFO control messages (ip(7)).
//
// This is what lets a thousand simulated participants share a core: with a
// socket per client every packet costs its own system call and wake-up.
// Bound to the wildcard address (a socket cannot bind a /8), it drops
// datagrams addressed to anything but an attached client.
//
// Single-threaded: used from its io_context's thread only.
class MultiAddressUdpSocket {
 public:
  using Endpoint = boost::asio::ip::udp::endpoint;
  using Clock = std::chrono::steady_clock;

  class Receiver {
   public:
    virtual ~Receiver() = default;
    // A datagram for this receiver's address. The receiver may Detach (and
    // be destroyed after returning) from inside the call.
    virtual void OnSharedDatagram(std::span<uint8_t> datagram, const Endpoint& from,
                                  Clock::time_point now) = 0;
  };

  struct Counters {
    uint64_t datagramsSent = 0;
    uint64_t sendCalls = 0;     // sendmmsg calls
    uint64_t sendFailures = 0;  // datagrams the kernel refused
    uint64_t datagramsReceived = 0;
    uint64_t receiveCalls = 0;          // recvmmsg calls that returned data
    uint64_t datagramsUnaddressed = 0;  // for no attached client (or no PKTINFO)
  };

  static constexpr size_t kBatch = 64;
  static constexpr size_t kMaxDatagramSize = 2048;
  // `bufferBytes`: the socket's receive and send buffer sizes. Clients get
  // `addresses` in order: 127.1.0.1, 127.1.0.2, ... by default.
  MultiAddressUdpSocket(boost::asio::io_context& context, int bufferBytes,
                        ClientAddressRange addresses = ClientAddressRange::Loopback());
  ~MultiAddressUdpSocket();
  MultiAddressUdpSocket(const MultiAddressUdpSocket&) = delete;
  MultiAddressUdpSocket& operator=(const MultiAddressUdpSocket&) = delete;

  // Binds 0.0.0.0:0 with IP_PKTINFO and starts receiving.
  bool Open(std::string* error);
  uint16_t Port() const { return port_; }

  // A fresh address for `receiver`; its local endpoint is that
  // address and Port(). nullopt if closed or the address space is used up.
  std::optional<Endpoint> Attach(Receiver& receiver);
  void Detach(const Endpoint& local);
  size_t Attached() const { return receivers_.size(); }

  // Queues a datagram from `local` (an attached endpoint) to `remote`; sent
  // with the rest of the batch once the current handler returns, or at once
  // when the batch is full. False if it cannot be queued.
  bool Send(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> datagram);
  void Flush();

  const Counters& GetCounters() const { return counters_; }
  void Close();

 private:
  struct Batch;

  void ReceiveNext();
  void ReceiveBatch();

  boost::asio::io_context& context_;
  boost::asio::ip::udp::socket socket_;
  int receiveBufferBytes_;
  uint16_t port_ = 0;
  ClientAddressRange addresses_;
  std::optional<uint32_t> nextAddress_;
  std::unordered_map<uint32_t, Receiver*> receivers_;  // by IPv4 address
  std::unique_ptr<Batch> batch_;
  bool flushPosted_ = false;
  Counters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace myriad::loadtest
