#include "loadtest/client/ClientTransport.h"

#include <openssl/rand.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/socket_base.hpp>
#include <cstring>
#include <ctime>

#include "rtp/StunMessageBuilder.h"

namespace myriad::loadtest {

namespace asio = boost::asio;
using server::transport::DtlsRole;
using server::transport::DtlsTransport;
using server::transport::SctpAssociation;
using server::transport::SctpStack;
using server::transport::SrtpSession;

namespace {

// RFC 8445 5.1.2.1 and 7.1.1: a check carries the priority the agent would
// give a peer-reflexive candidate (type preference 110, local preference
// 65535, component 1).
constexpr uint32_t kPeerReflexivePriority = (110u << 24) | (65535u << 8) | (256u - 1u);

// The buffers one recvmmsg fills. Shared by every transport of a thread: a
// batch is processed completely before the thread serves another socket,
// and handlers never read from a socket themselves.
struct ReceiveBatchBuffers {
  static constexpr size_t kCount = ClientTransport::kReceiveBatch;
  alignas(8) std::array<std::array<uint8_t, ClientTransport::kMaxDatagramSize>, kCount> data{};
  std::array<iovec, kCount> iov{};
  std::array<sockaddr_storage, kCount> sources{};
  std::array<mmsghdr, kCount> headers{};
  // Room for an SCM_TIMESTAMPNS message (Options::kernelReceiveTimestamps).
  alignas(cmsghdr) std::array<std::array<uint8_t, CMSG_SPACE(sizeof(timespec))>, kCount> control{};
};

ReceiveBatchBuffers& ThreadReceiveBuffers() {
  thread_local ReceiveBatchBuffers buffers;
  return buffers;
}

// The kernel's receive time of a datagram (SO_TIMESTAMPNS: CLOCK_REALTIME)
// on the steady clock, through one pair of clock readings per batch; nullopt
// without a timestamp, or when a clock step makes its age meaningless.
std::optional<std::chrono::steady_clock::time_point> KernelArrival(
    msghdr& header, std::chrono::steady_clock::time_point steadyNow, int64_t realNowNs) {
  if ((header.msg_flags & MSG_CTRUNC) != 0) return std::nullopt;
  for (cmsghdr* control = CMSG_FIRSTHDR(&header); control != nullptr;
       control = CMSG_NXTHDR(&header, control)) {
    if (control->cmsg_level != SOL_SOCKET || control->cmsg_type != SCM_TIMESTAMPNS) continue;
    timespec stamp{};
    std::memcpy(&stamp, CMSG_DATA(control), sizeof(stamp));
    const int64_t ageNs = realNowNs - (int64_t{stamp.tv_sec} * 1'000'000'000 + stamp.tv_nsec);
    if (ageNs < 0 || ageNs >= 1'000'000'000) return std::nullopt;
    return steadyNow - std::chrono::nanoseconds(ageNs);
  }
  return std::nullopt;
}

bool IsRtcp(std::span<const uint8_t> data) {
  // RFC 5761 4: with rtcp-mux, the second byte 192..223 is an RTCP packet type.
  return data.size() >= 2 && data[1] >= 192 && data[1] <= 223;
}

}  // namespace

ClientTransport::ClientTransport(
    asio::io_context& context,
    std::shared_ptr<const server::transport::DtlsCertificate> certificate, std::string localUfrag,
    std::string localPassword, Options options)
    : certificate_(std::move(certificate)),
      localUfrag_(std::move(localUfrag)),
      localPassword_(std::move(localPassword)),
      context_(context),
      options_(std::move(options)),
      socket_(context),
      checkTimer_(context),
      dtlsTimer_(context),
      connectTimer_(context) {
  if (options_.addedDelay.count() > 0) {
    const DelayLine::Options line{options_.addedDelay, options_.delayLineCapacity,
                                  kMaxDatagramSize};
    sendDelay_ = std::make_unique<DelayLine>(
        context, line,
        [this](std::span<uint8_t> datagram, const Endpoint& to, uint32_t, Clock::time_point) {
          SendDatagramNow(datagram, to);
        });
    receiveDelay_ = std::make_unique<DelayLine>(
        context, line,
        [this](std::span<uint8_t> datagram, const Endpoint& from, uint32_t, Clock::time_point now) {
          Demultiplex(datagram, from, now);
        });
  }
}

ClientTransport::~ClientTransport() {
  alive_.reset();
  // Before anything they could send through.
  sctp_.reset();
  retiredSctp_.reset();
  // Asio's timer cancel() reports failure by exception; a destructor must
  // not throw, and a timer that cannot be cancelled is gone with us anyway.
  try {
    checkTimer_.cancel();
    dtlsTimer_.cancel();
    connectTimer_.cancel();
  } catch (...) {
  }
  DetachImpairment(/*flushUplink=*/false);
  if (sharedLocal_) options_.sharedSocket->Detach(*sharedLocal_);
  boost::system::error_code ignored;
  socket_.close(ignored);
}

bool ClientTransport::Open(std::string* error) {
  if (options_.inProcessImpairment != nullptr) {
    if (options_.addedDelay.count() > 0 || options_.impairment || options_.impairmentRelay ||
        options_.impairmentRelayFor) {
      *error = "an in-process impairment replaces addedDelay and the impairment relay options";
      return false;
    }
    impairmentPath_ = options_.inProcessImpairment->Attach(*this, options_.impairmentStream);
    if (!impairmentPath_) {
      *error = "the in-process impairment has no path left";
      return false;
    }
  }
  if (options_.sharedSocket != nullptr) {
    sharedLocal_ = options_.sharedSocket->Attach(*this);
    if (!sharedLocal_) *error = "no client address left on the shared socket";
    return sharedLocal_.has_value();
  }
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.localAddress, ec);
  if (ec) {
    *error = "bad local address " + options_.localAddress;
    return false;
  }
  socket_.open(address.is_v4() ? asio::ip::udp::v4() : asio::ip::udp::v6(), ec);
  if (!ec) socket_.bind(Endpoint(address, 0), ec);
  if (ec) {
    *error = "cannot bind a UDP socket on " + options_.localAddress + ": " + ec.message();
    return false;
  }
  // A subscriber's socket absorbs the bursts of a busy room while its thread
  // serves other clients; the kernel caps the size at net.core.rmem_max.
  socket_.set_option(asio::socket_base::receive_buffer_size(options_.receiveBufferBytes), ec);
  socket_.non_blocking(true, ec);
  if (options_.kernelReceiveTimestamps) {
    const int on = 1;
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
  }
  ReceiveNext();
  return true;
}

void ClientTransport::OnSharedDatagram(std::span<uint8_t> datagram, const Endpoint& from,
                                       Clock::time_point now) {
  OnDatagram(datagram, from, now);
}

void ClientTransport::SendImpaired(std::span<const uint8_t> datagram, const Endpoint& to) {
  SendDatagramNow(datagram, to);
}

void ClientTransport::ReceiveImpaired(std::span<uint8_t> datagram, const Endpoint& from,
                                      Clock::time_point now) {
  Demultiplex(datagram, from, now);
}

void ClientTransport::DetachImpairment(bool flushUplink) {
  if (!impairmentPath_) return;
  const uint32_t id = *impairmentPath_;
  impairmentPath_.reset();
  options_.inProcessImpairment->Detach(id, flushUplink, Clock::now());
}

ClientTransport::Endpoint ClientTransport::LocalEndpoint() const {
  if (sharedLocal_) return *sharedLocal_;
  boost::system::error_code ec;
  return socket_.local_endpoint(ec);
}

void ClientTransport::Start(RemoteParameters remote) {
  if (state_ != State::kNew) return;
  remote_ = std::move(remote);
  peer_ = remote_.candidate;
  if (!ConnectRelay()) return;
  username_ = remote_.iceUfrag + ":" + localUfrag_;
  RAND_bytes(reinterpret_cast<uint8_t*>(&tieBreaker_), sizeof(tieBreaker_));
  dtls_ = std::make_unique<DtlsTransport>(*certificate_, DtlsRole::kClient, *this);
  dtls_->SetRemoteFingerprint(remote_.fingerprintAlgorithm, remote_.fingerprint);
  SetState(State::kChecking);
  std::weak_ptr<bool> alive = alive_;
  connectTimer_.expires_after(options_.connectTimeout);
  connectTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    if (state_ == State::kChecking) Fail("ICE connectivity checks got no answer");
    if (state_ == State::kDtlsConnecting) Fail("DTLS handshake did not finish in time");
  });
  SendCheck(true);
  ScheduleCheck(options_.checkInterval);
}

bool ClientTransport::ConnectRelay() {
  const auto describe = [](const Endpoint& endpoint) {
    return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  };
  ImpairmentRelay* given = options_.impairmentRelay;
  if (given == nullptr && options_.impairmentRelayFor) {
    given = options_.impairmentRelayFor(remote_.candidate);
    if (given == nullptr) {
      Fail("no impairment relay leads to the server's candidate " + describe(remote_.candidate));
      return false;
    }
  }
  if (given != nullptr) {
    if (!given->IsOpen() || given->Target() != remote_.candidate) {
      Fail("the impairment relay does not lead to the server's candidate " +
           describe(remote_.candidate));
      return false;
    }
    relay_ = given;
  } else if (options_.impairment) {
    ImpairmentRelay::Options relayOptions;
    relayOptions.target = remote_.candidate;
    relayOptions.listen = Endpoint(remote_.candidate.address().is_v4()
                                       ? asio::ip::address(asio::ip::address_v4::loopback())
                                       : asio::ip::address(asio::ip::address_v6::loopback()),
                                   0);
    relayOptions.path = *options_.impairment;
    relayOptions.maxMappings = 1;
    relayOptions.lineCapacity = options_.delayLineCapacity;
    relayOptions.reservedDatagramBytes = kMaxDatagramSize;
    ownedRelay_ = std::make_unique<ImpairmentRelay>(context_, relayOptions);
    std::string error;
    if (!ownedRelay_->Open(&error)) {
      ownedRelay_.reset();
      Fail("impairment relay: " + error);
      return false;
    }
    relay_ = ownedRelay_.get();
  } else {
    return true;
  }
  peer_ = relay_->FrontEndpoint();
  return true;
}

void ClientTransport::ScheduleCheck(std::chrono::milliseconds after) {
  std::weak_ptr<bool> alive = alive_;
  checkTimer_.expires_after(after);
  checkTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    if (state_ == State::kChecking) {
      // RFC 8445 7.2.4: the nominating check is retransmitted until answered.
      SendCheck(true);
      ScheduleCheck(options_.checkInterval);
      return;
    }
    if (state_ == State::kDtlsConnecting || state_ == State::kConnected) {
      if (Clock::now() - lastConsent_ > options_.consentTimeout) {
        Fail("ICE consent expired");  // RFC 7675 5.1
        return;
      }
      SendCheck(false);
      ScheduleCheck(options_.consentInterval);
    }
  });
}

void ClientTransport::SendCheck(bool nominate) {
  Transaction& transaction = transactions_[nextTransaction_];
  nextTransaction_ = (nextTransaction_ + 1) % transactions_.size();
  RAND_bytes(transaction.id.data(), static_cast<int>(transaction.id.size()));
  transaction.sentAt = Clock::now();
  transaction.used = true;
  // RFC 8445 7.2.2 and 7.1: USERNAME "remote:local", PRIORITY, the
  // controlling role with our tie-breaker, USE-CANDIDATE to nominate, then
  // MESSAGE-INTEGRITY with the server's password and FINGERPRINT.
  rtp::StunMessageBuilder builder(stunBuffer_, rtp::StunMessage::kBindingRequest, transaction.id);
  builder.AddUsername(username_);
  builder.AddPriority(kPeerReflexivePriority);
  builder.AddIceControlling(tieBreaker_);
  if (nominate) builder.AddUseCandidate();
  builder.AddMessageIntegrity(remote_.icePwd);
  builder.AddFingerprint();
  const auto request = builder.Finish();
  if (request.empty()) {
    Fail("cannot build a STUN binding request");
    return;
  }
  if (SendDatagram(request)) ++counters_.stunRequestsSent;
}

void ClientTransport::ReceiveNext() {
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

void ClientTransport::ReceiveBatch() {
  ReceiveBatchBuffers& batch = ThreadReceiveBuffers();
  for (size_t i = 0; i < batch.headers.size(); ++i) {
    batch.iov[i] = iovec{batch.data[i].data(), batch.data[i].size()};
    batch.headers[i] = mmsghdr{};
    batch.headers[i].msg_hdr.msg_name = &batch.sources[i];
    batch.headers[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
    batch.headers[i].msg_hdr.msg_iov = &batch.iov[i];
    batch.headers[i].msg_hdr.msg_iovlen = 1;
    if (options_.kernelReceiveTimestamps) {
      batch.headers[i].msg_hdr.msg_control = batch.control[i].data();
      batch.headers[i].msg_hdr.msg_controllen = batch.control[i].size();
    }
  }
  const int count = ::recvmmsg(socket_.native_handle(), batch.headers.data(),
                               static_cast<unsigned>(batch.headers.size()), MSG_DONTWAIT, nullptr);
  if (count <= 0) return;  // EAGAIN: another wake-up will come
  // One arrival time per batch: the datagrams were all waiting when we woke;
  // unless the kernel tells each one's.
  const auto now = Clock::now();
  int64_t realNowNs = 0;
  if (options_.kernelReceiveTimestamps) {
    timespec realNow{};
    ::clock_gettime(CLOCK_REALTIME, &realNow);
    realNowNs = int64_t{realNow.tv_sec} * 1'000'000'000 + realNow.tv_nsec;
  }
  std::weak_ptr<bool> alive = alive_;
  Endpoint from;
  for (int i = 0; i < count; ++i) {
    const mmsghdr& header = batch.headers[static_cast<size_t>(i)];
    // A truncated datagram is larger than any packet this client handles.
    if ((header.msg_hdr.msg_flags & MSG_TRUNC) != 0) continue;
    const socklen_t sourceLength = header.msg_hdr.msg_namelen;
    if (sourceLength > from.capacity()) continue;
    std::memcpy(from.data(), header.msg_hdr.msg_name, sourceLength);
    from.resize(sourceLength);
    auto arrival = now;
    if (options_.kernelReceiveTimestamps) {
      arrival = KernelArrival(batch.headers[static_cast<size_t>(i)].msg_hdr, now, realNowNs)
                    .value_or(now);
    }
    OnDatagram(std::span<uint8_t>(batch.data[static_cast<size_t>(i)].data(), header.msg_len), from,
               arrival);
    // A handler may have closed us (Close() from a state callback).
    if (alive.expired() || !socket_.is_open()) return;
  }
}

void ClientTransport::OnDatagram(std::span<uint8_t> datagram, const Endpoint& from,
                                 Clock::time_point now) {
  if (impairmentPath_) {
    options_.inProcessImpairment->Receive(*impairmentPath_, datagram, from, now);
    return;
  }
  if (receiveDelay_) {
    if (!receiveDelay_->Push(datagram, from, 0, now)) ++counters_.delayLineDrops;
    return;
  }
  Demultiplex(datagram, from, now);
}

void ClientTransport::Demultiplex(std::span<uint8_t> datagram, const Endpoint& from,
                                  Clock::time_point now) {
  if (state_ == State::kNew || from != peer_ || datagram.empty()) {
    ++counters_.datagramsFromUnknownSources;
    return;
  }
  lastArrival_ = now;
  // RFC 7983 7: demultiplex by the first byte.
  const uint8_t first = datagram[0];
  if (first <= 3) {
    if (const auto message = rtp::StunMessage::Parse(datagram)) {
      OnStunResponse(*message, now);
    } else {
      ++counters_.stunResponsesRejected;
    }
  } else if (first >= 20 && first <= 63) {
    if (dtls_) {
      dtls_->ProcessPacket(datagram);
      RescheduleDtlsTimer();
    }
  } else if (first >= 128 && first <= 191) {
    OnSrtp(datagram);
  }
}

void ClientTransport::OnStunResponse(const rtp::StunMessage& message, Clock::time_point now) {
  if (message.Type() != rtp::StunMessage::kBindingSuccessResponse) {
    ++counters_.stunResponsesRejected;  // error responses (487 role conflict...)
    return;
  }
  Transaction* match = nullptr;
  for (auto& transaction : transactions_) {
    if (transaction.used && transaction.id == message.TransactionId()) match = &transaction;
  }
  // RFC 8445 7.2.5.2: the response must be authenticated with the password
  // the request used, the server's.
  if (!match || !message.HasMessageIntegrity() || !message.CheckMessageIntegrity(remote_.icePwd) ||
      (message.HasFingerprint() && !message.CheckFingerprint())) {
    ++counters_.stunResponsesRejected;
    return;
  }
  match->used = false;
  ++counters_.stunResponsesAccepted;
  lastConsent_ = now;
  lastRoundTrip_ = std::chrono::duration_cast<std::chrono::microseconds>(now - match->sentAt);
  if (state_ == State::kChecking) {
    SetState(State::kDtlsConnecting);
    ScheduleCheck(options_.consentInterval);
    dtls_->Start();
    RescheduleDtlsTimer();
  }
}

void ClientTransport::OnSrtp(std::span<uint8_t> datagram) {
  if (!srtpInbound_) {
    ++counters_.srtpBeforeConnected;
    return;
  }
  if (IsRtcp(datagram)) {
    const size_t length = srtpInbound_->UnprotectRtcp(datagram);
    if (length == 0) {
      ++counters_.unprotectFailures;
      return;
    }
    ++counters_.rtcpPacketsReceived;
    counters_.rtcpBytesReceived += length;
    if (onRtcp_) onRtcp_(datagram.first(length));
    return;
  }
  const size_t length = srtpInbound_->UnprotectRtp(datagram);
  if (length == 0) {
    ++counters_.unprotectFailures;
    return;
  }
  auto packet = rtp::RtpPacket::Parse(datagram.first(length));
  if (!packet) {
    ++counters_.malformedRtp;
    return;
  }
  ++counters_.rtpPacketsReceived;
  counters_.rtpBytesReceived += length;
  if (onRtp_) onRtp_(*packet);
}

void ClientTransport::RescheduleDtlsTimer() {
  if (!dtls_) return;
  const auto timeout = dtls_->TimeUntilTimeout();
  if (!timeout) {
    dtlsTimer_.cancel();
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  dtlsTimer_.expires_after(*timeout);
  dtlsTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired() || !dtls_) return;
    dtls_->HandleTimeout();
    RescheduleDtlsTimer();
  });
}

bool ClientTransport::SendRtp(std::span<const uint8_t> packet) {
  if (!IsConnected() || packet.size() > kMaxPacketSize || packet.empty()) return false;
  std::memcpy(sendBuffer_.data(), packet.data(), packet.size());
  const size_t length = srtpOutbound_->ProtectRtp(sendBuffer_, packet.size());
  if (length == 0 || !SendDatagram(std::span<const uint8_t>(sendBuffer_.data(), length))) {
    return false;
  }
  ++counters_.rtpPacketsSent;
  counters_.rtpBytesSent += packet.size();
  return true;
}

bool ClientTransport::SendRtcp(std::span<const uint8_t> compound) {
  if (!IsConnected() || compound.size() > kMaxPacketSize || compound.empty()) return false;
  std::memcpy(sendBuffer_.data(), compound.data(), compound.size());
  const size_t length = srtpOutbound_->ProtectRtcp(sendBuffer_, compound.size());
  if (length == 0 || !SendDatagram(std::span<const uint8_t>(sendBuffer_.data(), length))) {
    return false;
  }
  ++counters_.rtcpPacketsSent;
  counters_.rtcpBytesSent += compound.size();
  return true;
}

bool ClientTransport::SendRawDatagram(std::span<const uint8_t> datagram) {
  if (state_ == State::kNew) return false;
  return SendDatagram(datagram);
}

bool ClientTransport::SendDatagram(std::span<const uint8_t> datagram) {
  if (impairmentPath_) {
    // A datagram lost on the path was sent as far as we know.
    options_.inProcessImpairment->Send(*impairmentPath_, datagram, peer_, Clock::now());
    return true;
  }
  if (sendDelay_) {
    if (sendDelay_->Push(datagram, peer_, 0, Clock::now())) return true;
    ++counters_.delayLineDrops;
    return false;
  }
  return SendDatagramNow(datagram, peer_);
}

bool ClientTransport::SendDatagramNow(std::span<const uint8_t> datagram, const Endpoint& to) {
  if (sharedLocal_) {
    if (options_.sharedSocket->Send(*sharedLocal_, to, datagram)) return true;
    ++counters_.sendFailures;
    return false;
  }
  if (!socket_.is_open()) return false;
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(datagram.data(), datagram.size()), to, 0, ec);
  if (ec) {
    ++counters_.sendFailures;
    return false;
  }
  return true;
}

void ClientTransport::Close(bool notifyPeer) {
  if (state_ == State::kClosed) return;
  const bool dtlsConnected = dtls_ && dtls_->GetState() == DtlsTransport::State::kConnected;
  StopSctp(notifyPeer && dtlsConnected);
  if (notifyPeer && dtlsConnected) dtls_->Close();
  // What was sent (the close_notify too) leaves now, before the socket goes;
  // what is still on its way in is lost with it.
  if (sendDelay_) sendDelay_->ReleaseAll(Clock::now());
  if (receiveDelay_) receiveDelay_->Clear();
  DetachImpairment(/*flushUplink=*/true);
  // Our relay passes them on at once too (the shared socket's batch is sent
  // first, so the relay has them); a shared relay is not ours to close.
  if (ownedRelay_) {
    if (sharedLocal_) options_.sharedSocket->Flush();
    ownedRelay_->Close();
  }
  srtpInbound_.reset();
  srtpOutbound_.reset();
  checkTimer_.cancel();
  dtlsTimer_.cancel();
  connectTimer_.cancel();
  if (sharedLocal_) {
    options_.sharedSocket->Detach(*sharedLocal_);
    sharedLocal_.reset();
  }
  boost::system::error_code ignored;
  socket_.close(ignored);
  SetState(State::kClosed);
}

void ClientTransport::SetState(State state) {
  if (state_ == state) return;
  state_ = state;
  if (onState_) onState_(state);
}

void ClientTransport::Fail(std::string reason) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  failureReason_ = std::move(reason);
  // Nothing more can reach the server: no ABORT.
  StopSctp(false);
  srtpInbound_.reset();
  srtpOutbound_.reset();
  checkTimer_.cancel();
  dtlsTimer_.cancel();
  connectTimer_.cancel();
  SetState(State::kFailed);
}

void ClientTransport::OnDtlsSendPacket(std::span<const uint8_t> datagram) {
  SendDatagram(datagram);
}

void ClientTransport::OnDtlsConnected(const server::transport::SrtpKeyMaterial& keys) {
  srtpInbound_ = SrtpSession::Create(keys.profile, SrtpSession::Direction::kInbound,
                                     keys.remoteMasterKeyAndSalt);
  srtpOutbound_ = SrtpSession::Create(keys.profile, SrtpSession::Direction::kOutbound,
                                      keys.localMasterKeyAndSalt);
  if (!srtpInbound_ || !srtpOutbound_) {
    Fail("cannot create the SRTP sessions");
    return;
  }
  connectTimer_.cancel();
  SetState(State::kConnected);
  if (sctpOptions_ && !sctp_ && state_ == State::kConnected) StartSctp();
}

void ClientTransport::OnDtlsFailed(std::string_view reason) {
  Fail("DTLS failed: " + std::string(reason));
}

void ClientTransport::OnDtlsApplicationData(std::span<const uint8_t> data) {
  // RFC 8261 5: every DTLS application record is one SCTP packet.
  if (!sctp_) {
    ++counters_.sctpPacketsWithoutAssociation;
    return;
  }
  ++counters_.sctpPacketsReceived;
  sctp_->ProcessSctpPacket(data);
}

bool ClientTransport::EnableDataChannels(const SctpAssociation::Options& options,
                                         SctpAssociation::Listener& listener) {
  if (sctpOptions_ || state_ == State::kFailed || state_ == State::kClosed) return false;
  sctpOptions_ = options;
  sctpListener_ = &listener;
  if (state_ == State::kConnected) StartSctp();
  return true;
}

void ClientTransport::StartSctp() {
  // Constructed here, on the io_context's thread (SctpAssociation belongs to
  // the thread that constructs it); tasks from other threads' usrsctp calls
  // (another client's timer driver) are posted to this io_context.
  SctpAssociation::Listener& listener = *this;
  sctp_ = std::make_unique<SctpAssociation>(
      DtlsRole::kClient, listener, SctpStack::PostTo(context_.get_executor()), *sctpOptions_);
  // A refusal leaves it kFailed without a callback: report it.
  if (!sctp_->Start()) OnSctpAssociationFailed("usrsctp refused to start the association");
}

void ClientTransport::StopSctp(bool notify) {
  if (!sctp_) return;
  if (notify) sctp_->Close();  // the ABORT goes out synchronously, over DTLS
  // Not destroyed here: this may run inside one of its own callbacks (a
  // `left` that came on a data channel closes the transport). Retired, it
  // reaches nobody (the callbacks below check sctp_) and goes on the next
  // turn of the io_context, or with the transport.
  retiredSctp_ = std::move(sctp_);
  std::weak_ptr<bool> alive = alive_;
  asio::post(context_, [this, alive] {
    if (!alive.expired()) retiredSctp_.reset();
  });
}

void ClientTransport::OnSctpSendPacket(std::span<const uint8_t> packet) {
  // Called from inside usrsctp: only encrypt and send (DTLS never calls back
  // into the association).
  if (!dtls_ || !dtls_->SendApplicationData(packet)) return;
  ++counters_.sctpPacketsSent;
}

void ClientTransport::OnSctpAssociationUp() {
  if (sctp_ && sctpListener_) sctpListener_->OnSctpAssociationUp();
}

void ClientTransport::OnSctpAssociationFailed(std::string_view reason) {
  if (sctp_ && sctpListener_) sctpListener_->OnSctpAssociationFailed(reason);
}

void ClientTransport::OnSctpAssociationClosed() {
  if (sctp_ && sctpListener_) sctpListener_->OnSctpAssociationClosed();
}

void ClientTransport::OnDataChannelOpen(uint16_t streamId, std::string_view label,
                                        std::string_view protocol) {
  if (sctp_ && sctpListener_) sctpListener_->OnDataChannelOpen(streamId, label, protocol);
}

void ClientTransport::OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                                           bool binary) {
  if (sctp_ && sctpListener_) sctpListener_->OnDataChannelMessage(streamId, message, binary);
}

void ClientTransport::OnDataChannelClosed(uint16_t streamId) {
  if (sctp_ && sctpListener_) sctpListener_->OnDataChannelClosed(streamId);
}

void ClientTransport::OnDtlsClosed() {
  srtpInbound_.reset();
  srtpOutbound_.reset();
  Fail("the server closed DTLS");
}

}  // namespace myriad::loadtest
