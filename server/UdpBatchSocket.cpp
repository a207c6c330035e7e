#include "server/UdpBatchSocket.h"

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace myriad::server {

namespace asio = boost::asio;

namespace {
// Bounded work per wake-up keeps timers and signalling posts responsive
// under a flood; the socket is re-armed and drained again right after.
constexpr int kMaxBatchesPerWakeup = 8;
}  // namespace

UdpBatchSocket::UdpBatchSocket(asio::io_context& context) : context_(context), socket_(context) {
  for (size_t i = 0; i < kBatch; ++i) {
    receiveIov_[i] = iovec{receiveBuffers_[i].data(), kMaxDatagram};
    sendIov_[i] = iovec{sendBuffers_[i].data(), 0};
  }
}

UdpBatchSocket::~UdpBatchSocket() { Close(); }

bool UdpBatchSocket::Bind(const Endpoint& endpoint, std::string* error) {
  boost::system::error_code ec;
  socket_.open(endpoint.protocol(), ec);
  if (!ec) socket_.bind(endpoint, ec);
  if (ec) {
    *error = ec.message();
    boost::system::error_code ignored;
    socket_.close(ignored);
    return false;
  }
  // Large buffers absorb bursts between two turns of the event loop; the
  // kernel caps them at its own maximum.
  socket_.set_option(asio::socket_base::receive_buffer_size(8 * 1024 * 1024), ec);
  socket_.set_option(asio::socket_base::send_buffer_size(8 * 1024 * 1024), ec);
  socket_.non_blocking(true, ec);
  const int on = 1;
  ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  return true;
}

uint16_t UdpBatchSocket::LocalPort() const {
  boost::system::error_code ec;
  const auto endpoint = socket_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void UdpBatchSocket::StartReceiving(DatagramHandler handler, BatchDoneHandler batchDone) {
  handler_ = std::move(handler);
  batchDone_ = std::move(batchDone);
  WaitReadable();
}

void UdpBatchSocket::Close() {
  if (!socket_.is_open()) return;
  Flush();
  boost::system::error_code ignored;
  socket_.close(ignored);
}

void UdpBatchSocket::WaitReadable() {
  socket_.async_wait(asio::ip::udp::socket::wait_read, [this](const boost::system::error_code& ec) {
    if (ec || !socket_.is_open()) return;
    OnReadable();
    if (socket_.is_open()) WaitReadable();
  });
}

void UdpBatchSocket::OnReadable() {
  const int fd = socket_.native_handle();
  for (int round = 0; round < kMaxBatchesPerWakeup; ++round) {
    for (size_t i = 0; i < kBatch; ++i) {
      auto& header = receiveMessages_[i].msg_hdr;
      header = msghdr{};
      header.msg_name = &receiveAddresses_[i];
      header.msg_namelen = sizeof(sockaddr_storage);
      header.msg_iov = &receiveIov_[i];
      header.msg_iovlen = 1;
      header.msg_control = receiveControl_[i].data();
      header.msg_controllen = kControlSize;
    }
    const int received = ::recvmmsg(fd, receiveMessages_.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (received <= 0) break;
    // Kernel timestamps are CLOCK_REALTIME; map them onto the steady clock
    // through one pair of readings per batch.
    const auto steadyNow = Clock::now();
    timespec realNow{};
    ::clock_gettime(CLOCK_REALTIME, &realNow);
    const int64_t realNowNs = int64_t{realNow.tv_sec} * 1'000'000'000 + realNow.tv_nsec;
    size_t handled = 0;
    for (int i = 0; i < received; ++i) {
      const auto& message = receiveMessages_[static_cast<size_t>(i)];
      Endpoint from;
      const socklen_t nameLength = message.msg_hdr.msg_namelen;
      if (nameLength > from.capacity()) continue;
      std::memcpy(from.data(), &receiveAddresses_[static_cast<size_t>(i)], nameLength);
      from.resize(nameLength);
      // Truncated datagrams (larger than a slot) are not media we can use.
      if (message.msg_hdr.msg_flags & MSG_TRUNC) continue;
      auto arrival = steadyNow;
      for (cmsghdr* control = CMSG_FIRSTHDR(const_cast<msghdr*>(&message.msg_hdr));
           control != nullptr;
           control = CMSG_NXTHDR(const_cast<msghdr*>(&message.msg_hdr), control)) {
        if (control->cmsg_level == SOL_SOCKET && control->cmsg_type == SCM_TIMESTAMPNS) {
          timespec stamp{};
          std::memcpy(&stamp, CMSG_DATA(control), sizeof(stamp));
          const int64_t ageNs = realNowNs - (int64_t{stamp.tv_sec} * 1'000'000'000 + stamp.tv_nsec);
          // A clock step makes the age meaningless; keep "now" then.
          if (ageNs >= 0 && ageNs < 1'000'000'000)
            arrival = steadyNow - std::chrono::nanoseconds(ageNs);
        }
      }
      arrivals_[handled++] = arrival;
      handler_(std::span<uint8_t>(receiveBuffers_[static_cast<size_t>(i)].data(), message.msg_len),
               from, arrival);
    }
    Flush();
    if (batchDone_ && handled > 0) {
      batchDone_(std::span<const Clock::time_point>(arrivals_.data(), handled), Clock::now());
    }
    if (static_cast<size_t>(received) < kBatch) break;
  }
}

std::span<uint8_t> UdpBatchSocket::AcquireSlot() {
  if (queued_ == kBatch) Flush();
  return std::span<uint8_t>(sendBuffers_[queued_].data(), kSlotSize);
}

bool UdpBatchSocket::Send(std::span<const uint8_t> datagram, const Endpoint& to) {
  if (!socket_.is_open() || datagram.size() > kSlotSize) return false;
  if (queued_ == kBatch) Flush();
  auto& slot = sendBuffers_[queued_];
  if (datagram.data() != slot.data()) std::memcpy(slot.data(), datagram.data(), datagram.size());
  sendIov_[queued_].iov_len = datagram.size();
  std::memcpy(&sendAddresses_[queued_], to.data(), to.size());
  auto& header = sendMessages_[queued_].msg_hdr;
  header = msghdr{};
  header.msg_name = &sendAddresses_[queued_];
  header.msg_namelen = static_cast<socklen_t>(to.size());
  header.msg_iov = &sendIov_[queued_];
  header.msg_iovlen = 1;
  ++queued_;
  ScheduleFlush();
  return true;
}

void UdpBatchSocket::ScheduleFlush() {
  // Sends made outside a receive batch (timers, signalling) go out when the
  // current handler returns.
  if (flushScheduled_) return;
  flushScheduled_ = true;
  asio::post(context_, [this] {
    flushScheduled_ = false;
    Flush();
  });
}

size_t UdpBatchSocket::Flush() {
  size_t failed = 0;
  size_t offset = 0;
  const int fd = socket_.native_handle();
  while (offset < queued_) {
    const int sent = ::sendmmsg(fd, sendMessages_.data() + offset,
                                static_cast<unsigned>(queued_ - offset), MSG_DONTWAIT);
    if (sent > 0) {
      offset += static_cast<size_t>(sent);
      datagramsSent_ += static_cast<uint64_t>(sent);
      continue;
    }
    if (sent < 0 && errno == EINTR) continue;
    // EAGAIN (socket buffer full) or an error for the first message in the
    // batch (e.g. unreachable destination): drop it, go on with the rest.
    ++failed;
    ++offset;
  }
  sendFailures_ += failed;
  queued_ = 0;
  return failed;
}

}  // namespace myriad::server
