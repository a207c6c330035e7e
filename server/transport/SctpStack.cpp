#include "server/transport/SctpStack.h"

#include <arpa/inet.h>
#include <usrsctp.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <memory>

#include "server/transport/SctpAssociation.h"

namespace myriad::server::transport {

namespace {

SctpStack::AssociationId IdFromAddress(const void* address) {
  return reinterpret_cast<SctpStack::AssociationId>(address);
}

// usrsctp's conn-output callback: one SCTP packet for the AF_CONN address `address`, which is
// an association id. The buffer is usrsctp's; it is only valid during the call.
int OnConnOutput(void* address, void* buffer, size_t length, uint8_t /*tos*/, uint8_t /*setDf*/) {
  SctpStack::Instance().DispatchOutgoingPacket(
      IdFromAddress(address),
      std::span<const uint8_t>(static_cast<const uint8_t*>(buffer), length));
  return 0;
}

// Debian builds usrsctp without SCTP_DEBUG, so this is never called; the signature is
// required.
void IgnoreDebugOutput(const char* /*format*/, ...) {}

// The socket receive callback: a message (or a part of one) or a notification. `data` was
// malloc'ed by usrsctp and is ours to free; null means the socket is closing. `ulpInfo` is the
// association id given to usrsctp_socket.
int OnReceive(struct socket* /*socket*/, union sctp_sockstore /*address*/, void* data,
              size_t length, struct sctp_rcvinfo info, int flags, void* ulpInfo) {
  if (data == nullptr) return 1;
  SctpInboundEvent event;
  const auto* bytes = static_cast<const uint8_t*>(data);
  event.bytes.assign(bytes, bytes + length);
  free(data);  // NOLINT: usrsctp allocates with malloc
  event.streamId = info.rcv_sid;
  event.ppid = ntohl(info.rcv_ppid);  // carried in network byte order (RFC 6458 5.3.5)
  event.flags = flags;
  SctpStack::Instance().DispatchInboundEvent(IdFromAddress(ulpInfo), std::move(event));
  return 1;
}

}  // namespace

namespace {
std::atomic<bool> started{false};
}  // namespace

SctpStack& SctpStack::Instance() {
  // Never destroyed: a callback from another thread during exit must still find a registry.
  static SctpStack* const stack = [] {
    auto* created = new SctpStack();
    started.store(true, std::memory_order_release);
    return created;
  }();
  return *stack;
}

bool SctpStack::Started() { return started.load(std::memory_order_acquire); }

SctpStack::SctpStack() {
  // Port 0: no UDP encapsulation (RFC 6951); every packet goes through AF_CONN and DTLS.
  usrsctp_init_nothreads(0, OnConnOutput, IgnoreDebugOutput);
  // ECN needs congestion marks in the IP header, which DTLS over UDP does not pass up.
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  // WebRTC data channels use neither (RFC 8831 6.2: one address per association, and DTLS
  // authenticates every packet); leaving them off narrows what a peer can make usrsctp parse.
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auth_enable(0);
  // Already usrsctp's default; set so that kSendBufferSize holds whatever the build's default.
  usrsctp_sysctl_set_sctp_sendspace(kSendBufferSize);
}

void SctpStack::HandleTimers(std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(timersMutex_);
  if (!lastTimers_ || now < *lastTimers_) {
    lastTimers_ = now;
    return;
  }
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - *lastTimers_);
  if (elapsed.count() <= 0) return;
  *lastTimers_ += elapsed;  // the sub-millisecond rest counts towards the next call
  const auto capped = std::min<int64_t>(elapsed.count(), std::numeric_limits<uint32_t>::max());
  usrsctp_handle_timers(static_cast<uint32_t>(capped));
}

SctpStack::Counters SctpStack::GetCounters() const {
  return Counters{packetsSent_.load(), packetsPostedToOwner_.load(), eventsPostedToOwner_.load(),
                  droppedForUnknownAssociation_.load()};
}

size_t SctpStack::AssociationCount() const {
  std::lock_guard lock(registryMutex_);
  return registry_.size();
}

void* SctpStack::AddressOf(AssociationId id) {
  // A number in pointer clothing on purpose: usrsctp only hands it back to the callbacks,
  // which look it up (see the class comment), so nothing ever dereferences it.
  return reinterpret_cast<void*>(id);  // NOLINT(performance-no-int-to-ptr)
}

struct socket* SctpStack::CreateSocket(AssociationId id) {
  // No send callback: SctpAssociation retries its queue after each packet it processes.
  return usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, OnReceive, nullptr, 0, AddressOf(id));
}

SctpStack::AssociationId SctpStack::Register(SctpAssociation& association, Post post) {
  std::lock_guard lock(registryMutex_);
  // 64-bit and increasing: an id is never reused, so a callback that outlives its association
  // can never be mistaken for a newer one.
  const AssociationId id = nextId_++;
  registry_.emplace(id, Registration{&association, std::this_thread::get_id(), std::move(post)});
  return id;
}

void SctpStack::Deregister(AssociationId id) {
  std::lock_guard lock(registryMutex_);
  registry_.erase(id);
}

SctpAssociation* SctpStack::FindOnOwnerThread(AssociationId id) const {
  std::lock_guard lock(registryMutex_);
  const auto it = registry_.find(id);
  if (it == registry_.end() || it->second.owner != std::this_thread::get_id()) return nullptr;
  return it->second.association;
}

void SctpStack::PostToOwner(AssociationId id, std::function<void(SctpAssociation&)> task) {
  std::lock_guard lock(registryMutex_);
  const auto it = registry_.find(id);
  if (it == registry_.end()) return;
  it->second.post([this, id, task = std::move(task)] {
    if (SctpAssociation* association = FindOnOwnerThread(id)) task(*association);
  });
}

void SctpStack::DispatchOutgoingPacket(AssociationId id, std::span<const uint8_t> packet) {
  std::unique_lock lock(registryMutex_);
  const auto it = registry_.find(id);
  if (it == registry_.end()) {
    droppedForUnknownAssociation_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  packetsSent_.fetch_add(1, std::memory_order_relaxed);
  if (it->second.owner == std::this_thread::get_id()) {
    SctpAssociation* association = it->second.association;
    lock.unlock();
    association->OnUsrsctpPacket(packet);
    return;
  }
  // usrsctp's buffer dies with this call: the copy travels.
  packetsPostedToOwner_.fetch_add(1, std::memory_order_relaxed);
  it->second.post([this, id, bytes = std::vector<uint8_t>(packet.begin(), packet.end())] {
    if (SctpAssociation* association = FindOnOwnerThread(id)) {
      association->DeliverPostedPacket(bytes);
    }
  });
}

void SctpStack::DispatchInboundEvent(AssociationId id, SctpInboundEvent event) {
  std::unique_lock lock(registryMutex_);
  const auto it = registry_.find(id);
  if (it == registry_.end()) {
    droppedForUnknownAssociation_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (it->second.owner == std::this_thread::get_id()) {
    SctpAssociation* association = it->second.association;
    lock.unlock();
    association->OnUsrsctpEvent(std::move(event));
    return;
  }
  eventsPostedToOwner_.fetch_add(1, std::memory_order_relaxed);
  // std::function needs a copyable callable; the event moves into shared ownership.
  auto shared = std::make_shared<SctpInboundEvent>(std::move(event));
  it->second.post([this, id, shared] {
    if (SctpAssociation* association = FindOnOwnerThread(id)) {
      association->DeliverPostedEvent(std::move(*shared));
    }
  });
}

}  // namespace myriad::server::transport
