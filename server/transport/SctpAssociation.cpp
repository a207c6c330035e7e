#include "server/transport/SctpAssociation.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <usrsctp.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>
#include <iterator>

#include "rtp/DataChannelAck.h"

namespace myriad::server::transport {

namespace {

// RFC 8831 8: payload protocol identifiers of WebRTC data channels.
constexpr uint32_t kPpidDcep = 50;
constexpr uint32_t kPpidString = 51;
constexpr uint32_t kPpidBinary = 53;
constexpr uint32_t kPpidStringEmpty = 56;
constexpr uint32_t kPpidBinaryEmpty = 57;

using Reliability = rtp::DataChannelOpen::Reliability;

sockaddr_conn ConnAddress(SctpStack::AssociationId id, uint16_t port) {
  sockaddr_conn address{};
  address.sconn_family = AF_CONN;
  address.sconn_port = htons(port);
  address.sconn_addr = SctpStack::AddressOf(id);
  return address;
}

template <typename T>
bool SetOption(struct socket* socket, int level, int name, const T& value) {
  return usrsctp_setsockopt(socket, level, name, &value, sizeof(value)) == 0;
}

// Notifications arrive as bytes in a vector; copying them into the structure avoids both
// misaligned and type-punned reads.
// (Not std::optional: the structures end in flexible array members.)
template <typename T>
bool ReadNotification(std::span<const uint8_t> bytes, T& out) {
  if (bytes.size() < sizeof(T)) return false;
  std::memcpy(&out, bytes.data(), sizeof(T));
  return true;
}

uint32_t Milliseconds(std::chrono::milliseconds duration) {
  return static_cast<uint32_t>(std::max<int64_t>(duration.count(), 0));
}

}  // namespace

SctpAssociation::Options SctpAssociation::Options::SctpDefaults() {
  Options options;
  options.rtoInitial = std::chrono::milliseconds(3000);
  options.rtoMin = std::chrono::milliseconds(1000);
  options.rtoMax = std::chrono::milliseconds(60000);
  options.sackDelay = std::chrono::milliseconds(200);
  options.sackFrequency = 2;
  options.maxRetransmissions = 10;
  options.maxInitRetransmissions = 8;
  options.maxBurst = 4;
  return options;
}

SctpAssociation::UsrsctpCall::UsrsctpCall(SctpAssociation& association)
    : association_(association) {
  ++association_.usrsctpDepth_;
}

SctpAssociation::UsrsctpCall::~UsrsctpCall() {
  if (--association_.usrsctpDepth_ == 0 && !association_.draining_) association_.DrainEvents();
}

SctpAssociation::SctpAssociation(DtlsRole role, Listener& listener, SctpStack::Post post,
                                 const Options& options)
    : role_(role),
      listener_(listener),
      options_(options),
      stack_(SctpStack::Instance()),
      owner_(std::this_thread::get_id()) {
  id_ = stack_.Register(*this, std::move(post));
}

SctpAssociation::~SctpAssociation() {
  // First out of the registry: from here on callbacks for this id (the ABORT usrsctp_close
  // produces, a timer on another thread) and tasks already posted find nothing.
  stack_.Deregister(id_);
  CloseSocket();
}

bool SctpAssociation::Start() {
  if (state_ != State::kNew) return false;
  UsrsctpCall call(*this);
  usrsctp_register_address(SctpStack::AddressOf(id_));
  addressRegistered_ = true;
  socket_ = stack_.CreateSocket(id_);
  if (socket_ == nullptr || !ConfigureSocket()) {
    state_ = State::kFailed;
    CloseSocket();
    return false;
  }
  // The same AF_CONN address on both ends: usrsctp only needs it to find this association for
  // packets given to usrsctp_conninput, and the ports (RFC 8841 5) tell the two ends apart.
  sockaddr_conn local = ConnAddress(id_, options_.localPort);
  sockaddr_conn remote = ConnAddress(id_, options_.remotePort);
  state_ = State::kConnecting;
  if (usrsctp_bind(socket_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0 ||
      (usrsctp_connect(socket_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0 &&
       errno != EINPROGRESS)) {
    state_ = State::kFailed;
    CloseSocket();
    return false;
  }
  ConfigurePath();
  return true;
}

bool SctpAssociation::ConfigureSocket() {
  if (usrsctp_set_non_blocking(socket_, 1) != 0) return false;
  // usrsctp_close then aborts the association at once (RFC 6458 8.1.4): no lingering
  // association keeps timers or callbacks for an id whose object is gone.
  const linger abortOnClose{1, 0};
  if (!SetOption(socket_, SOL_SOCKET, SO_LINGER, abortOnClose)) return false;
  // Stream reset (RFC 6525) closes data channels (RFC 8831 6.7).
  const sctp_assoc_value streamReset{SCTP_FUTURE_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ};
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, streamReset)) return false;
  const int on = 1;
  // No Nagle: a control message goes out at once instead of waiting to fill a packet.
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_NODELAY, on)) return false;
  // Explicit end of record (RFC 6458 8.1.26): usrsctp may take part of a message when its
  // send buffer is short, so a message larger than the free space starts at once and the
  // rest follows as SACKs free space (it waits in outgoing_); without it a message waits
  // until the whole of it fits. Either way no message may exceed the send buffer.
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_EXPLICIT_EOR, on)) return false;
  // Stream id and PPID of each message (RFC 6458 8.1.29).
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_RECVRCVINFO, on)) return false;
  // Not SCTP_SEND_FAILED_EVENT: with the receive callback it can deadlock inside usrsctp
  // (sctplab/usrsctp issue 537); a failed send ends in COMM_LOST anyway.
  for (const uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SHUTDOWN_EVENT}) {
    sctp_event event{};
    event.se_assoc_id = SCTP_FUTURE_ASSOC;
    event.se_type = type;
    event.se_on = 1;
    if (!SetOption(socket_, IPPROTO_SCTP, SCTP_EVENT, event)) return false;
  }
  const sctp_initmsg init{
      options_.maxStreams, options_.maxStreams, options_.maxInitRetransmissions,
      static_cast<uint16_t>(std::min<uint32_t>(Milliseconds(options_.rtoMax), UINT16_MAX))};
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_INITMSG, init)) return false;
  // Timer tuning (see Options): set on the endpoint before connecting, so the association
  // starts with it, INIT included.
  const sctp_rtoinfo rto{SCTP_FUTURE_ASSOC, Milliseconds(options_.rtoInitial),
                         Milliseconds(options_.rtoMax), Milliseconds(options_.rtoMin)};
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_RTOINFO, rto)) return false;
  sctp_assocparams association{};
  association.sasoc_assoc_id = SCTP_FUTURE_ASSOC;
  association.sasoc_asocmaxrxt = options_.maxRetransmissions;
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_ASSOCINFO, association)) return false;
  const sctp_sack_info sack{SCTP_FUTURE_ASSOC, Milliseconds(options_.sackDelay),
                            options_.sackFrequency};
  if (!SetOption(socket_, IPPROTO_SCTP, SCTP_DELAYED_SACK, sack)) return false;
  const sctp_assoc_value burst{SCTP_FUTURE_ASSOC, options_.maxBurst};
  return SetOption(socket_, IPPROTO_SCTP, SCTP_MAX_BURST, burst);
}

void SctpAssociation::ConfigurePath() {
  // Only once connecting: usrsctp applies path parameters to an existing path.
  sctp_paddrparams path{};
  const sockaddr_conn remote = ConnAddress(id_, options_.remotePort);
  std::memcpy(&path.spp_address, &remote, sizeof(remote));
  // DTLS fixes the size; discovery would only probe with packets DTLS cannot carry. usrsctp's
  // path MTU counts from the end of the common header.
  path.spp_flags = SPP_PMTUD_DISABLE;
  path.spp_pathmtu =
      static_cast<uint32_t>(options_.mtu - std::min(options_.mtu, sizeof(sctp_common_header)));
  path.spp_pathmaxrxt = options_.maxRetransmissions;
  // Failure only leaves usrsctp's own MTU (1280) and path limit: worth going on with.
  SetOption(socket_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, path);
}

void SctpAssociation::ProcessSctpPacket(std::span<const uint8_t> packet) {
  if (socket_ == nullptr) {
    ++counters_.packetsDroppedBeforeStart;
    return;
  }
  ++counters_.packetsReceived;
  // Events and freed send space are dealt with when the call ends (UsrsctpCall).
  UsrsctpCall call(*this);
  usrsctp_conninput(SctpStack::AddressOf(id_), packet.data(), packet.size(), 0);
}

bool SctpAssociation::IsOurParity(uint16_t streamId) const {
  // RFC 8832 6: the DTLS client uses even stream ids, the DTLS server odd ones.
  return (streamId % 2 == 0) == (role_ == DtlsRole::kClient);
}

std::optional<uint16_t> SctpAssociation::AllocateStreamId() const {
  uint32_t limit = options_.maxStreams;
  if (outboundStreams_ != 0) limit = std::min<uint32_t>(limit, outboundStreams_);
  for (uint32_t id = role_ == DtlsRole::kClient ? 0 : 1; id < limit; id += 2) {
    if (!channels_.contains(static_cast<uint16_t>(id))) return static_cast<uint16_t>(id);
  }
  return std::nullopt;
}

bool SctpAssociation::UsableForSending() const {
  return state_ == State::kNew || state_ == State::kConnecting || state_ == State::kConnected;
}

std::optional<uint16_t> SctpAssociation::OpenDataChannel(std::string_view label,
                                                         std::string_view protocol,
                                                         const DataChannelOptions& options) {
  if (!UsableForSending()) return std::nullopt;
  const rtp::DataChannelOpen::Fields fields{
      options.reliability,          options.ordered, options.priority,
      options.reliabilityParameter, label,           protocol};
  const size_t size = rtp::DataChannelOpen::SerializedSize(fields);
  if (size == 0) return std::nullopt;
  const std::optional<uint16_t> streamId = AllocateStreamId();
  if (!streamId) return std::nullopt;
  std::vector<uint8_t> open(size);
  rtp::DataChannelOpen::Serialize(fields, open);

  Channel channel;
  channel.info.label = label;
  channel.info.protocol = protocol;
  channel.info.options = options;
  if (options.reliability == Reliability::kReliable) channel.info.options.reliabilityParameter = 0;
  channel.info.openedLocally = true;
  channels_.emplace(*streamId, std::move(channel));

  UsrsctpCall call(*this);
  OutgoingMessage message;
  message.streamId = *streamId;
  message.ppid = kPpidDcep;
  message.bytes = std::move(open);
  Enqueue(std::move(message), /*enforceLimit=*/false);
  return streamId;
}

SctpAssociation::SendResult SctpAssociation::Send(uint16_t streamId,
                                                  std::span<const uint8_t> message, bool binary) {
  const auto it = channels_.find(streamId);
  if (it == channels_.end() || it->second.info.closing || !UsableForSending()) {
    return SendResult::kNotOpen;
  }
  if ((options_.remoteMaxMessageSize != 0 && message.size() > options_.remoteMaxMessageSize) ||
      message.size() > SctpStack::kSendBufferSize) {
    return SendResult::kTooLarge;
  }
  const DataChannelInfo& info = it->second.info;
  OutgoingMessage outgoing;
  outgoing.streamId = streamId;
  // RFC 8831 6.6: SCTP has no empty user message, so an empty one is one zero byte with its
  // own PPID.
  if (message.empty()) {
    outgoing.ppid = binary ? kPpidBinaryEmpty : kPpidStringEmpty;
    outgoing.bytes.assign(1, 0);
  } else {
    outgoing.ppid = binary ? kPpidBinary : kPpidString;
    outgoing.bytes.assign(message.begin(), message.end());
  }
  // RFC 8832 6: until the peer's ACK, messages go ordered so that none overtakes the OPEN.
  outgoing.ordered = info.options.ordered || !info.acknowledged;
  outgoing.reliability = info.options.reliability;
  outgoing.reliabilityParameter = info.options.reliabilityParameter;
  UsrsctpCall call(*this);
  return Enqueue(std::move(outgoing), /*enforceLimit=*/true);
}

SctpAssociation::SendResult SctpAssociation::Enqueue(OutgoingMessage message, bool enforceLimit) {
  const size_t size = message.bytes.size();
  if (outgoing_.empty() && state_ == State::kConnected) {
    const int result = SendToUsrsctp(message);
    if (result > 0) return SendResult::kSent;
    if (result < 0) {
      ++counters_.messagesDroppedSendError;
      return SendResult::kError;
    }
    // Once usrsctp has part of a message the rest must follow, whatever the limit.
  }
  const size_t rest = size - message.offset;
  if (message.offset == 0 && enforceLimit && bufferedAmount_ + rest > options_.maxBufferedAmount) {
    return SendResult::kBufferFull;
  }
  bufferedAmount_ += rest;
  outgoing_.push_back(std::move(message));
  return SendResult::kQueued;
}

int SctpAssociation::SendToUsrsctp(OutgoingMessage& message) {
  sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = message.streamId;
  spa.sendv_sndinfo.snd_ppid = htonl(message.ppid);
  // With explicit EOR every call claims to end the message; usrsctp ends it only once it has
  // taken the last byte.
  spa.sendv_sndinfo.snd_flags = SCTP_EOR | (message.ordered ? 0 : SCTP_UNORDERED);
  // Partial reliability (RFC 3758) as the channel type says (RFC 8831 6.1).
  if (message.reliability == Reliability::kPartialReliableRexmit) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
    spa.sendv_prinfo.pr_value = message.reliabilityParameter;
  } else if (message.reliability == Reliability::kPartialReliableTimed) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = message.reliabilityParameter;
  }
  UsrsctpCall call(*this);
  const ssize_t sent = usrsctp_sendv(socket_, message.bytes.data() + message.offset,
                                     message.bytes.size() - message.offset, nullptr, 0, &spa,
                                     static_cast<socklen_t>(sizeof(spa)), SCTP_SENDV_SPA, 0);
  if (sent < 0) {
    const int error = errno;
    return error == EWOULDBLOCK || error == EAGAIN ? 0 : -1;
  }
  message.offset += static_cast<size_t>(sent);
  if (message.offset < message.bytes.size()) return 0;
  ++counters_.messagesSent;
  return 1;
}

void SctpAssociation::FlushOutgoing() {
  if (state_ != State::kConnected || outgoing_.empty() || flushing_) return;
  flushing_ = true;
  {
    UsrsctpCall call(*this);
    while (!outgoing_.empty()) {
      OutgoingMessage& message = outgoing_.front();
      const size_t before = message.offset;
      const int result = SendToUsrsctp(message);
      bufferedAmount_ -= message.offset - before;
      if (result == 0) break;
      if (result < 0) {
        bufferedAmount_ -= message.bytes.size() - message.offset;
        ++counters_.messagesDroppedSendError;
      }
      outgoing_.pop_front();
    }
    flushing_ = false;
  }
}

bool SctpAssociation::HasQueuedMessages(uint16_t streamId) const {
  return std::any_of(outgoing_.begin(), outgoing_.end(),
                     [streamId](const OutgoingMessage& m) { return m.streamId == streamId; });
}

bool SctpAssociation::CloseDataChannel(uint16_t streamId) {
  const auto it = channels_.find(streamId);
  if (it == channels_.end() || it->second.info.closing || !UsableForSending()) return false;
  it->second.info.closing = true;
  it->second.outgoingResetPending = true;
  UsrsctpCall call(*this);
  RequestPendingResets();
  return true;
}

void SctpAssociation::RequestPendingResets() {
  if (state_ != State::kConnected || socket_ == nullptr) return;
  std::vector<uint16_t> streams;
  for (const auto& [streamId, channel] : channels_) {
    // RFC 8831 6.7 / W3C closing procedure: what was sent before close still goes out first;
    // usrsctp itself holds the reset back until its queue for the stream is empty.
    if (channel.outgoingResetPending && !HasQueuedMessages(streamId)) streams.push_back(streamId);
  }
  if (streams.empty()) return;
  const size_t listOffset = offsetof(sctp_reset_streams, srs_stream_list);
  std::vector<uint8_t> request(listOffset + streams.size() * sizeof(uint16_t));
  sctp_reset_streams header{};
  header.srs_assoc_id = SCTP_ALL_ASSOC;
  header.srs_flags = SCTP_STREAM_RESET_OUTGOING;
  header.srs_number_streams = static_cast<uint16_t>(streams.size());
  std::memcpy(request.data(), &header, listOffset);
  std::memcpy(request.data() + listOffset, streams.data(), streams.size() * sizeof(uint16_t));
  UsrsctpCall call(*this);
  // RFC 6525 allows one outstanding request: while one is in flight this fails, and the
  // stream reset event that ends it brings us back here.
  if (usrsctp_setsockopt(socket_, IPPROTO_SCTP, SCTP_RESET_STREAMS, request.data(),
                         static_cast<socklen_t>(request.size())) != 0) {
    return;
  }
  for (const uint16_t streamId : streams) {
    Channel& channel = channels_[streamId];
    channel.outgoingResetPending = false;
    channel.outgoingResetRequested = true;
  }
}

void SctpAssociation::Close() {
  if (socket_ == nullptr && !addressRegistered_) {
    if (state_ != State::kFailed) state_ = State::kClosed;
    return;
  }
  state_ = State::kClosed;
  outgoing_.clear();
  bufferedAmount_ = 0;
  channels_.clear();
  UsrsctpCall call(*this);
  // Still registered: the ABORT reaches the listener (on this thread, synchronously).
  CloseSocket();
}

void SctpAssociation::CloseSocket() {
  if (socket_ != nullptr) {
    usrsctp_close(socket_);
    socket_ = nullptr;
  }
  if (addressRegistered_) {
    usrsctp_deregister_address(SctpStack::AddressOf(id_));
    addressRegistered_ = false;
  }
  events_.clear();
}

std::optional<SctpAssociation::DataChannelInfo> SctpAssociation::GetDataChannel(
    uint16_t streamId) const {
  const auto it = channels_.find(streamId);
  if (it == channels_.end()) return std::nullopt;
  return it->second.info;
}

std::optional<SctpAssociation::PathStatus> SctpAssociation::GetPathStatus() const {
  if (state_ != State::kConnected || socket_ == nullptr) return std::nullopt;
  sctp_status status{};
  auto length = static_cast<socklen_t>(sizeof(status));
  if (usrsctp_getsockopt(socket_, IPPROTO_SCTP, SCTP_STATUS, &status, &length) != 0) {
    return std::nullopt;
  }
  PathStatus path;
  path.smoothedRtt = std::chrono::milliseconds(status.sstat_primary.spinfo_srtt);
  path.rto = std::chrono::milliseconds(status.sstat_primary.spinfo_rto);
  path.congestionWindow = status.sstat_primary.spinfo_cwnd;
  path.unacknowledgedChunks = status.sstat_unackdata;
  path.pendingChunks = status.sstat_penddata;
  return path;
}

namespace {

// SCTP_GET_SNDBUF_USE: a read-only socket option usrsctp answers (netinet/sctp.h, FreeBSD's
// SCTP stack) but does not declare in usrsctp.h: the association's total_output_queue_size,
// every byte queued or in flight and not yet acknowledged.
constexpr int kSctpGetSendBufferUse = 0x00001101;
struct SctpSocketStatistics {
  sctp_assoc_t associationId = 0;  // ignored on a one-to-one (SOCK_STREAM) socket
  uint32_t totalSendBuffer = 0;
  uint32_t totalReceiveBuffer = 0;
};

}  // namespace

std::optional<size_t> SctpAssociation::UnacknowledgedBytes() const {
  if (state_ != State::kConnected || socket_ == nullptr) return std::nullopt;
  SctpSocketStatistics statistics{};
  auto length = static_cast<socklen_t>(sizeof(statistics));
  if (usrsctp_getsockopt(socket_, IPPROTO_SCTP, kSctpGetSendBufferUse, &statistics, &length) != 0) {
    return std::nullopt;
  }
  return static_cast<size_t>(statistics.totalSendBuffer) + bufferedAmount_;
}

bool SctpAssociation::SendQueueBeyondWindow() const {
  const auto unacknowledged = UnacknowledgedBytes();
  const auto path = GetPathStatus();
  return unacknowledged && path && *unacknowledged > path->congestionWindow;
}

void SctpAssociation::OnUsrsctpPacket(std::span<const uint8_t> packet) {
  listener_.OnSctpSendPacket(packet);
}

void SctpAssociation::DeliverPostedPacket(std::span<const uint8_t> packet) {
  // Made by a timer on another thread; stale once the socket is closed.
  if (socket_ != nullptr) listener_.OnSctpSendPacket(packet);
}

void SctpAssociation::OnUsrsctpEvent(SctpInboundEvent event) {
  events_.push_back(std::move(event));
  // Inside a call of ours the end of the call drains; otherwise (HandleTimers on this thread)
  // a posted task does, outside usrsctp.
  if (usrsctpDepth_ > 0 || draining_ || drainPosted_) return;
  drainPosted_ = true;
  stack_.PostToOwner(id_, [](SctpAssociation& association) {
    association.drainPosted_ = false;
    if (association.usrsctpDepth_ == 0) association.DrainEvents();
  });
}

void SctpAssociation::DeliverPostedEvent(SctpInboundEvent event) {
  if (socket_ == nullptr) return;
  events_.push_back(std::move(event));
  if (usrsctpDepth_ == 0) DrainEvents();
}

void SctpAssociation::DrainEvents() {
  if (draining_) return;
  draining_ = true;
  for (;;) {
    while (!events_.empty() && socket_ != nullptr) {
      SctpInboundEvent event = std::move(events_.front());
      events_.pop_front();
      HandleEvent(event);
    }
    if (socket_ == nullptr) events_.clear();
    // What the events changed (association up, SACKs freeing space, a reset completed) may
    // let queued messages and stream resets go.
    FlushOutgoing();
    RequestPendingResets();
    if (events_.empty()) break;
  }
  draining_ = false;
}

void SctpAssociation::HandleEvent(SctpInboundEvent& event) {
  if ((event.flags & MSG_NOTIFICATION) != 0) {
    HandleNotification(event.bytes);
    return;
  }
  const bool endOfMessage = (event.flags & MSG_EOR) != 0;
  if (!partialInProgress_ && endOfMessage) {
    HandleMessage(event.streamId, event.ppid, event.bytes);
    return;
  }
  // Partial delivery: without message interleaving (RFC 8260, off) the parts of one message
  // come back to back, so a part of another stream means the earlier message was cut.
  if (partialInProgress_ && event.streamId != partialStreamId_) {
    partialMessage_.clear();
    partialTooLarge_ = false;
  }
  partialInProgress_ = true;
  partialStreamId_ = event.streamId;
  if (partialMessage_.size() + event.bytes.size() > options_.maxMessageSize) {
    partialTooLarge_ = true;
    partialMessage_.clear();
  }
  if (!partialTooLarge_) {
    partialMessage_.insert(partialMessage_.end(), event.bytes.begin(), event.bytes.end());
  }
  if (!endOfMessage) return;
  std::vector<uint8_t> complete = std::move(partialMessage_);
  const bool tooLarge = partialTooLarge_;
  partialMessage_.clear();
  partialInProgress_ = false;
  partialTooLarge_ = false;
  if (tooLarge) {
    ++counters_.messagesDroppedTooLarge;
    return;
  }
  HandleMessage(event.streamId, event.ppid, complete);
}

void SctpAssociation::HandleMessage(uint16_t streamId, uint32_t ppid,
                                    std::span<const uint8_t> message) {
  ++counters_.messagesReceived;
  if (message.size() > options_.maxMessageSize) {
    ++counters_.messagesDroppedTooLarge;
    return;
  }
  if (ppid == kPpidDcep) {
    HandleDcep(streamId, message);
    return;
  }
  const auto it = channels_.find(streamId);
  if (it == channels_.end()) {
    ++counters_.messagesDroppedUnknownStream;
    return;
  }
  bool binary = false;
  switch (ppid) {
    case kPpidString:
      break;
    case kPpidBinary:
      binary = true;
      break;
    case kPpidStringEmpty:
      message = {};
      break;
    case kPpidBinaryEmpty:
      binary = true;
      message = {};
      break;
    default:
      // Including the deprecated partial PPIDs 52 and 54 (RFC 8831 8), which browsers no
      // longer send.
      ++counters_.messagesDroppedUnknownPpid;
      return;
  }
  // A message on a channel we opened means the peer has our OPEN: RFC 8832 6 lets that stand
  // for the ACK (which may have been overtaken by an unordered message).
  it->second.info.acknowledged = true;
  listener_.OnDataChannelMessage(streamId, message, binary);
}

void SctpAssociation::HandleDcep(uint16_t streamId, std::span<const uint8_t> message) {
  if (const auto open = rtp::DataChannelOpen::Parse(message)) {
    // The peer must pick a stream of its parity (RFC 8832 6) that is not in use; one that
    // collides with a channel of ours is refused, other parity slips are tolerated.
    if (channels_.contains(streamId)) {
      ++counters_.dcepDropped;
      return;
    }
    Channel channel;
    channel.info.label = open->Label();
    channel.info.protocol = open->Protocol();
    channel.info.options.ordered = open->Ordered();
    channel.info.options.reliability = open->GetReliability();
    channel.info.options.reliabilityParameter =
        open->GetReliability() == Reliability::kReliable ? 0 : open->ReliabilityParameter();
    channel.info.options.priority = open->Priority();
    channel.info.acknowledged = true;
    channels_.emplace(streamId, std::move(channel));
    // The ACK goes first, so a message the listener sends from the callback follows it.
    uint8_t ack[rtp::DataChannelAck::kSize];
    rtp::DataChannelAck::Serialize(ack);
    OutgoingMessage outgoing;
    outgoing.streamId = streamId;
    outgoing.ppid = kPpidDcep;
    outgoing.bytes.assign(std::begin(ack), std::end(ack));
    {
      UsrsctpCall call(*this);
      Enqueue(std::move(outgoing), /*enforceLimit=*/false);
    }
    listener_.OnDataChannelOpen(streamId, open->Label(), open->Protocol());
    return;
  }
  if (rtp::DataChannelAck::Parse(message)) {
    const auto it = channels_.find(streamId);
    if (it == channels_.end() || !it->second.info.openedLocally) {
      ++counters_.dcepDropped;
      return;
    }
    it->second.info.acknowledged = true;
    return;
  }
  ++counters_.dcepDropped;
}

void SctpAssociation::HandleNotification(std::span<const uint8_t> notification) {
  sctp_notification::sctp_tlv header{};
  if (!ReadNotification(notification, header)) return;
  switch (header.sn_type) {
    case SCTP_ASSOC_CHANGE:
      HandleAssociationChange(notification);
      break;
    case SCTP_STREAM_RESET_EVENT:
      HandleStreamReset(notification);
      break;
    case SCTP_SHUTDOWN_EVENT:
      // The peer began a graceful shutdown (RFC 9260 9.2): it accepts no new data.
      EndGracefully();
      break;
    default:
      break;
  }
}

void SctpAssociation::EndGracefully() {
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  state_ = State::kClosed;
  outgoing_.clear();
  bufferedAmount_ = 0;
  listener_.OnSctpAssociationClosed();
}

void SctpAssociation::HandleAssociationChange(std::span<const uint8_t> notification) {
  sctp_assoc_change change{};
  if (!ReadNotification(notification, change)) return;
  switch (change.sac_state) {
    case SCTP_COMM_UP:
      if (state_ != State::kConnecting) break;
      state_ = State::kConnected;
      outboundStreams_ = change.sac_outbound_streams;
      listener_.OnSctpAssociationUp();
      break;
    case SCTP_COMM_LOST:
      Fail("SCTP association lost");
      break;
    case SCTP_CANT_STR_ASSOC:
      Fail("SCTP association could not be established");
      break;
    case SCTP_SHUTDOWN_COMP:
      EndGracefully();
      break;
    default:
      // SCTP_RESTART: the peer restarted and SCTP carried on; nothing for channels to do.
      break;
  }
}

void SctpAssociation::HandleStreamReset(std::span<const uint8_t> notification) {
  sctp_stream_reset_event event{};
  if (!ReadNotification(notification, event)) return;
  if ((event.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) != 0) {
    // The stream list of a failed request is not reliable (libwebrtc saw garbage there):
    // every request not yet done is asked again (DrainEvents does, after this event).
    for (auto& [streamId, channel] : channels_) {
      if (channel.outgoingResetRequested && !channel.outgoingResetDone) {
        channel.outgoingResetRequested = false;
        channel.outgoingResetPending = true;
      }
    }
    return;
  }
  const size_t listOffset = offsetof(sctp_stream_reset_event, strreset_stream_list);
  const size_t length = std::min<size_t>(notification.size(), event.strreset_length);
  for (size_t offset = listOffset; offset + sizeof(uint16_t) <= length;
       offset += sizeof(uint16_t)) {
    uint16_t streamId = 0;
    std::memcpy(&streamId, notification.data() + offset, sizeof(streamId));
    const auto it = channels_.find(streamId);
    if (it == channels_.end()) continue;
    Channel& channel = it->second;
    if ((event.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) != 0) {
      channel.incomingResetDone = true;
      // The peer closed the channel (RFC 8831 6.7): reset our side in turn.
      if (!channel.info.closing) {
        channel.info.closing = true;
        channel.outgoingResetPending = true;
      }
    }
    if ((event.strreset_flags & SCTP_STREAM_RESET_OUTGOING_SSN) != 0 &&
        channel.outgoingResetRequested) {
      channel.outgoingResetDone = true;
    }
    FinishCloseIfDone(streamId);
  }
}

void SctpAssociation::FinishCloseIfDone(uint16_t streamId) {
  const auto it = channels_.find(streamId);
  if (it == channels_.end() || !it->second.incomingResetDone || !it->second.outgoingResetDone) {
    return;
  }
  // Both directions reset: the id is free again.
  channels_.erase(it);
  if (partialInProgress_ && partialStreamId_ == streamId) {
    partialMessage_.clear();
    partialInProgress_ = false;
    partialTooLarge_ = false;
  }
  listener_.OnDataChannelClosed(streamId);
}

void SctpAssociation::Fail(std::string_view reason) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  state_ = State::kFailed;
  outgoing_.clear();
  bufferedAmount_ = 0;
  listener_.OnSctpAssociationFailed(reason);
}

}  // namespace myriad::server::transport
