#pragma once

#include <sys/socket.h>

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace myriad::server {

// A worker's UDP socket with batched system calls: recvmmsg(2) drains up to
// kBatch datagrams per wake-up and sendmmsg(2) sends what a batch produced in
// one call. Sending is zero-copy when the caller builds the datagram in the
// slot it got from AcquireSlot (the forwarding path does: rewrite and SRTP
// protect happen in place in the slot). Single-threaded, like its worker.
class UdpBatchSocket {
 public:
  using Endpoint = boost::asio::ip::udp::endpoint;
  using Clock = std::chrono::steady_clock;
  // `arrival` is the kernel's receive time (SO_TIMESTAMPNS) on our steady
  // clock: with batched reads, the time we get around to a datagram says
  // nothing about when it arrived, and transport-wide feedback (bandwidth
  // probes above all) needs the real spacing.
  using DatagramHandler = std::function<void(std::span<uint8_t> datagram, const Endpoint& from,
                                             Clock::time_point arrival)>;
  static constexpr size_t kBatch = 64;
  static constexpr size_t kSlotSize = 2048;
  // Receive at most this much so an in-place SRTP operation always fits.
  static constexpr size_t kMaxDatagram = kSlotSize - 64;

  explicit UdpBatchSocket(boost::asio::io_context& context);
  ~UdpBatchSocket();
  UdpBatchSocket(const UdpBatchSocket&) = delete;
  UdpBatchSocket& operator=(const UdpBatchSocket&) = delete;

  bool Bind(const Endpoint& endpoint, std::string* error);
  uint16_t LocalPort() const;
  // Called once per received batch, after its sends were flushed, with each
  // datagram's arrival time and the time the flush returned: the delay the
  // server added to everything the batch produced.
  using BatchDoneHandler =
      std::function<void(std::span<const Clock::time_point> arrivals, Clock::time_point flushed)>;

  // Calls `handler` for every datagram; after each batch, flushes sends
  // (then `batchDone`, if set).
  void StartReceiving(DatagramHandler handler, BatchDoneHandler batchDone = nullptr);
  void Close();

  // The buffer in which the next outgoing datagram may be built.
  std::span<uint8_t> AcquireSlot();
  // Queues a datagram (copied unless it lives in the acquired slot); sent at
  // the end of the current batch or handler. Returns false when it cannot be
  // queued (closed socket).
  bool Send(std::span<const uint8_t> datagram, const Endpoint& to);
  // Sends everything queued now. Returns the number of datagrams the kernel
  // refused (counted by the caller as drops).
  size_t Flush();

  uint64_t DatagramsSent() const { return datagramsSent_; }
  uint64_t SendFailures() const { return sendFailures_; }

 private:
  void WaitReadable();
  void OnReadable();
  void ScheduleFlush();

  boost::asio::io_context& context_;
  boost::asio::ip::udp::socket socket_;
  DatagramHandler handler_;
  BatchDoneHandler batchDone_;
  bool flushScheduled_ = false;
  std::array<Clock::time_point, kBatch> arrivals_{};

  std::array<std::array<uint8_t, kSlotSize>, kBatch> receiveBuffers_{};
  std::array<iovec, kBatch> receiveIov_{};
  std::array<sockaddr_storage, kBatch> receiveAddresses_{};
  std::array<mmsghdr, kBatch> receiveMessages_{};
  static constexpr size_t kControlSize = 64;  // fits one SCM_TIMESTAMPNS
  std::array<std::array<uint8_t, kControlSize>, kBatch> receiveControl_{};

  std::array<std::array<uint8_t, kSlotSize>, kBatch> sendBuffers_{};
  std::array<iovec, kBatch> sendIov_{};
  std::array<sockaddr_storage, kBatch> sendAddresses_{};
  std::array<mmsghdr, kBatch> sendMessages_{};
  size_t queued_ = 0;
  uint64_t datagramsSent_ = 0;
  uint64_t sendFailures_ = 0;
};

}  // namespace myriad::server
