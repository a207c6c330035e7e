#include "loadtest/client/MultiAddressUdpSocket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <cstring>

namespace myriad::loadtest {

namespace asio = boost::asio;

// Buffers for one recvmmsg and one sendmmsg. Control space fits one
// in_pktinfo per message.
struct MultiAddressUdpSocket::Batch {
  static constexpr size_t kControlSize = CMSG_SPACE(sizeof(in_pktinfo));

  alignas(8) std::array<std::array<uint8_t, kMaxDatagramSize>, kBatch> receiveData{};
  std::array<iovec, kBatch> receiveIov{};
  std::array<sockaddr_in, kBatch> receiveSources{};
  std::array<std::array<uint8_t, kControlSize>, kBatch> receiveControl{};
  std::array<mmsghdr, kBatch> receiveHeaders{};

  alignas(8) std::array<std::array<uint8_t, kMaxDatagramSize>, kBatch> sendData{};
  std::array<iovec, kBatch> sendIov{};
  std::array<sockaddr_in, kBatch> sendDestinations{};
  std::array<std::array<uint8_t, kControlSize>, kBatch> sendControl{};
  std::array<mmsghdr, kBatch> sendHeaders{};
  size_t queued = 0;
};

MultiAddressUdpSocket::MultiAddressUdpSocket(asio::io_context& context, int bufferBytes,
                                             ClientAddressRange addresses)
    : context_(context),
      socket_(context),
      receiveBufferBytes_(bufferBytes),
      addresses_(addresses),
      nextAddress_(addresses.First()),
      batch_(std::make_unique<Batch>()) {}

MultiAddressUdpSocket::~MultiAddressUdpSocket() { Close(); }

bool MultiAddressUdpSocket::Open(std::string* error) {
  boost::system::error_code ec;
  socket_.open(asio::ip::udp::v4(), ec);
  if (!ec) socket_.bind(Endpoint(asio::ip::address_v4::any(), 0), ec);
  if (ec) {
    if (error != nullptr) *error = "cannot bind a UDP socket: " + ec.message();
    return false;
  }
  const int on = 1;
  if (::setsockopt(socket_.native_handle(), IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) != 0) {
    if (error != nullptr) *error = "IP_PKTINFO refused";
    socket_.close(ec);
    return false;
  }
  // Every client's traffic queues here while the thread works: ask for more
  // than net.core.rmem_max when privileged (SO_RCVBUFFORCE, socket(7)).
  if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVBUFFORCE, &receiveBufferBytes_,
                   sizeof(receiveBufferBytes_)) != 0) {
    socket_.set_option(asio::socket_base::receive_buffer_size(receiveBufferBytes_), ec);
  }
  if (::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_SNDBUFFORCE, &receiveBufferBytes_,
                   sizeof(receiveBufferBytes_)) != 0) {
    socket_.set_option(asio::socket_base::send_buffer_size(receiveBufferBytes_), ec);
  }
  socket_.non_blocking(true, ec);
  port_ = socket_.local_endpoint(ec).port();
  ReceiveNext();
  return true;
}

std::optional<MultiAddressUdpSocket::Endpoint> MultiAddressUdpSocket::Attach(Receiver& receiver) {
  if (!socket_.is_open()) return std::nullopt;
  if (!nextAddress_) return std::nullopt;
  const uint32_t address = *nextAddress_;
  nextAddress_ = addresses_.Next(address);
  receivers_[address] = &receiver;
  return Endpoint(asio::ip::address_v4(address), port_);
}

void MultiAddressUdpSocket::Detach(const Endpoint& local) {
  if (!local.address().is_v4()) return;
  receivers_.erase(local.address().to_v4().to_uint());
}

bool MultiAddressUdpSocket::Send(const Endpoint& local, const Endpoint& remote,
                                 std::span<const uint8_t> datagram) {
  if (!socket_.is_open() || datagram.size() > kMaxDatagramSize || !local.address().is_v4() ||
      !remote.address().is_v4()) {
    return false;
  }
  Batch& batch = *batch_;
  if (batch.queued == kBatch) Flush();
  const size_t i = batch.queued++;
  std::memcpy(batch.sendData[i].data(), datagram.data(), datagram.size());
  batch.sendIov[i] = iovec{batch.sendData[i].data(), datagram.size()};
  sockaddr_in& to = batch.sendDestinations[i];
  to = sockaddr_in{};
  to.sin_family = AF_INET;
  to.sin_port = htons(remote.port());
  to.sin_addr.s_addr = htonl(remote.address().to_v4().to_uint());
  // ip(7) IP_PKTINFO on send: ipi_spec_dst is the source address to use.
  std::array<uint8_t, Batch::kControlSize>& control = batch.sendControl[i];
  control.fill(0);
  mmsghdr& header = batch.sendHeaders[i];
  header = mmsghdr{};
  header.msg_hdr.msg_name = &to;
  header.msg_hdr.msg_namelen = sizeof(to);
  header.msg_hdr.msg_iov = &batch.sendIov[i];
  header.msg_hdr.msg_iovlen = 1;
  header.msg_hdr.msg_control = control.data();
  header.msg_hdr.msg_controllen = control.size();
  cmsghdr* cmsg = CMSG_FIRSTHDR(&header.msg_hdr);
  cmsg->cmsg_level = IPPROTO_IP;
  cmsg->cmsg_type = IP_PKTINFO;
  cmsg->cmsg_len = CMSG_LEN(sizeof(in_pktinfo));
  in_pktinfo info{};
  info.ipi_spec_dst.s_addr = htonl(local.address().to_v4().to_uint());
  std::memcpy(CMSG_DATA(cmsg), &info, sizeof(info));

  if (!flushPosted_) {
    // Everything queued until the current handler returns (and handlers
    // already waiting to run) goes out in one call.
    flushPosted_ = true;
    std::weak_ptr<bool> alive = alive_;
    asio::post(context_, [this, alive] {
      if (alive.expired()) return;
      flushPosted_ = false;
      Flush();
    });
  }
  return true;
}

void MultiAddressUdpSocket::Flush() {
  Batch& batch = *batch_;
  size_t offset = 0;
  while (offset < batch.queued && socket_.is_open()) {
    const int sent = ::sendmmsg(socket_.native_handle(), batch.sendHeaders.data() + offset,
                                static_cast<unsigned>(batch.queued - offset), MSG_DONTWAIT);
    ++counters_.sendCalls;
    if (sent <= 0) {
      // The first datagram was refused (buffer full): count it, go on.
      ++counters_.sendFailures;
      ++offset;
      continue;
    }
    counters_.datagramsSent += static_cast<uint64_t>(sent);
    offset += static_cast<size_t>(sent);
  }
  batch.queued = 0;
}

void MultiAddressUdpSocket::ReceiveNext() {
  std::weak_ptr<bool> alive = alive_;
  socket_.async_wait(asio::ip::udp::socket::wait_read,
                     [this, alive](const boost::system::error_code& ec) {
                       if (alive.expired()) return;
                       if (ec == asio::error::operation_aborted || !socket_.is_open()) return;
                       if (!ec) ReceiveBatch();
                       if (alive.expired() || !socket_.is_open()) return;
                       ReceiveNext();
                     });
}

void MultiAddressUdpSocket::ReceiveBatch() {
  Batch& batch = *batch_;
  for (size_t i = 0; i < kBatch; ++i) {
    batch.receiveIov[i] = iovec{batch.receiveData[i].data(), batch.receiveData[i].size()};
    mmsghdr& header = batch.receiveHeaders[i];
    header = mmsghdr{};
    header.msg_hdr.msg_name = &batch.receiveSources[i];
    header.msg_hdr.msg_namelen = sizeof(sockaddr_in);
    header.msg_hdr.msg_iov = &batch.receiveIov[i];
    header.msg_hdr.msg_iovlen = 1;
    header.msg_hdr.msg_control = batch.receiveControl[i].data();
    header.msg_hdr.msg_controllen = batch.receiveControl[i].size();
  }
  const int count = ::recvmmsg(socket_.native_handle(), batch.receiveHeaders.data(),
                               static_cast<unsigned>(kBatch), MSG_DONTWAIT, nullptr);
  if (count <= 0) return;  // EAGAIN: another wake-up will come
  ++counters_.receiveCalls;
  const auto now = Clock::now();
  std::weak_ptr<bool> alive = alive_;
  for (int n = 0; n < count; ++n) {
    const auto i = static_cast<size_t>(n);
    mmsghdr& header = batch.receiveHeaders[i];
    ++counters_.datagramsReceived;
    if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0 ||
        header.msg_hdr.msg_namelen != sizeof(sockaddr_in)) {
      ++counters_.datagramsUnaddressed;
      continue;
    }
    // ip(7): ipi_addr is the datagram's destination address, i.e. which
    // client it is for.
    std::optional<uint32_t> destination;
    for (cmsghdr* cmsg = CMSG_FIRSTHDR(&header.msg_hdr); cmsg != nullptr;
         cmsg = CMSG_NXTHDR(&header.msg_hdr, cmsg)) {
      if (cmsg->cmsg_level == IPPROTO_IP && cmsg->cmsg_type == IP_PKTINFO) {
        in_pktinfo info{};
        std::memcpy(&info, CMSG_DATA(cmsg), sizeof(info));
        destination = ntohl(info.ipi_addr.s_addr);
      }
    }
    const auto it = destination ? receivers_.find(*destination) : receivers_.end();
    if (it == receivers_.end()) {
      ++counters_.datagramsUnaddressed;
      continue;
    }
    const sockaddr_in& source = batch.receiveSources[i];
    const Endpoint from(asio::ip::address_v4(ntohl(source.sin_addr.s_addr)),
                        ntohs(source.sin_port));
    it->second->OnSharedDatagram(std::span<uint8_t>(batch.receiveData[i].data(), header.msg_len),
                                 from, now);
    if (alive.expired() || !socket_.is_open()) return;
  }
}

void MultiAddressUdpSocket::Close() {
  if (socket_.is_open()) Flush();
  boost::system::error_code ignored;
  socket_.close(ignored);
  receivers_.clear();
}

}  // namespace myriad::loadtest
