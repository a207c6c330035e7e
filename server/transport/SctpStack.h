#pragma once

#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

struct socket;  // usrsctp's; its header stays in the .cpp files

namespace myriad::server::transport {

class SctpAssociation;

// One event usrsctp reported for an association through its socket's receive callback: a
// piece of a user message (RFC 8831 data, or DCEP with PPID 50) or a notification
// (MSG_NOTIFICATION set in `flags`). Copied out of usrsctp's buffer so it can wait in a queue
// or travel to another thread.
struct SctpInboundEvent {
  std::vector<uint8_t> bytes;
  uint16_t streamId = 0;
  uint32_t ppid = 0;  // host byte order
  int flags = 0;      // MSG_NOTIFICATION, MSG_EOR
};

// The process-wide usrsctp stack (usrsctp keeps global state: one instance per process).
//
// usrsctp runs without threads of its own (usrsctp_init_nothreads): its timers advance only
// when someone calls HandleTimers, which the server does from one place, and its callbacks run
// on whichever thread called into it (SctpAssociation::ProcessSctpPacket and Send on the
// association's owner thread, HandleTimers on the timer's thread). Only AF_CONN "addresses" are
// used: every SCTP packet goes in and out through SctpAssociation, over DTLS.
//
// Threading (house rule: an association is touched only on its owner's thread). Each
// association registers here and gets an id that never repeats; the id, cast to a pointer, is
// the AF_CONN address and the socket's ulp_info, so a late callback carries a number, never a
// pointer to a freed object. A callback looks the id up in the registry (a mutex, but only on
// the data channel path, never per media packet) and drops what belongs to no association. On
// the owner's thread it hands the event to the association directly; on any other thread it
// copies the bytes and posts them to the owner, where the task looks the id up again (the
// association may be gone by then). Posting happens under the registry mutex, so an owner that
// deregisters before destroying its executor never sees a post into a dead executor.
//
// Re-entrancy: the association queues received messages and notifications and delivers them
// to its listener only after the outermost usrsctp call returns (or in a posted task), so no
// listener runs inside usrsctp. Outgoing packets are the exception: on the owner's thread
// they go to the listener synchronously (it only encrypts them with DTLS, which never calls
// usrsctp).
class SctpStack {
 public:
  // Runs a task later on the owner's thread. Must never run it inline (boost::asio::post is
  // fine, dispatch is not): it is called with the registry mutex held.
  using Post = std::function<void(std::function<void()>)>;
  using AssociationId = uintptr_t;

  // Each socket's send buffer, set at initialisation (usrsctp's default, and what libwebrtc
  // assumes). usrsctp refuses a message larger than this, whatever the explicit EOR mode.
  static constexpr size_t kSendBufferSize = 256 * 1024;

  // For metrics; updated from any thread.
  struct Counters {
    uint64_t packetsSent = 0;                   // SCTP packets handed to an association's listener
    uint64_t packetsPostedToOwner = 0;          // of those, produced on another thread
    uint64_t eventsPostedToOwner = 0;           // received messages/notifications posted
    uint64_t droppedForUnknownAssociation = 0;  // callbacks for an id no longer registered
  };

  // The stack, initialised on first use; it lives until the process exits (usrsctp_finish
  // refuses while sockets exist, and a restart of usrsctp is not supported anyway).
  static SctpStack& Instance();
  // Whether Instance() was ever called: a timer driver skips usrsctp until someone uses it.
  static bool Started();

  SctpStack(const SctpStack&) = delete;
  SctpStack& operator=(const SctpStack&) = delete;

  // Advances usrsctp's timers (retransmissions, delayed SACKs, heartbeats) to `now`. The
  // elapsed time since the previous call is computed here, in whole milliseconds (the rest
  // carries over). A time earlier than the previous call's only resets the reference, so a
  // test's simulated clock may start anywhere. Call it every 5-10 ms: retransmissions fire
  // at most that late. Any thread; concurrent calls are serialised.
  void HandleTimers(std::chrono::steady_clock::time_point now);

  Counters GetCounters() const;
  size_t AssociationCount() const;

  // A Post for an Asio executor (an io_context's, a strand's).
  template <typename Executor>
  static Post PostTo(Executor executor) {
    return [executor](std::function<void()> task) mutable {
      boost::asio::post(executor, std::move(task));
    };
  }

  // The rest is for SctpAssociation and the usrsctp callbacks in SctpStack.cpp.

  // The AF_CONN address (and socket ulp_info) of an association: its id as a pointer, never
  // dereferenced by anyone.
  static void* AddressOf(AssociationId id);
  // A one-to-one AF_CONN socket whose receive callback dispatches to association `id`; null if
  // usrsctp refuses.
  struct socket* CreateSocket(AssociationId id);
  // Registers an association owned by the calling thread; returns its id.
  AssociationId Register(SctpAssociation& association, Post post);
  // After this returns no callback reaches the association and no posted task finds it.
  void Deregister(AssociationId id);
  // Runs `task` on the association's owner thread unless it has been deregistered by then.
  void PostToOwner(AssociationId id, std::function<void(SctpAssociation&)> task);

  // From usrsctp's conn-output callback: one SCTP packet for association `id`.
  void DispatchOutgoingPacket(AssociationId id, std::span<const uint8_t> packet);
  // From the socket receive callback.
  void DispatchInboundEvent(AssociationId id, SctpInboundEvent event);

 private:
  struct Registration {
    SctpAssociation* association = nullptr;
    std::thread::id owner;
    Post post;
  };

  SctpStack();
  ~SctpStack() = default;

  // The association if `id` is registered and the caller is its owner thread; the pointer
  // stays valid for the rest of the call because only the owner destroys it.
  SctpAssociation* FindOnOwnerThread(AssociationId id) const;

  mutable std::mutex registryMutex_;
  std::unordered_map<AssociationId, Registration> registry_;
  AssociationId nextId_ = 1;  // 0 is not a valid AF_CONN address for usrsctp_connect

  std::mutex timersMutex_;
  std::optional<std::chrono::steady_clock::time_point> lastTimers_;

  std::atomic<uint64_t> packetsSent_{0};
  std::atomic<uint64_t> packetsPostedToOwner_{0};
  std::atomic<uint64_t> eventsPostedToOwner_{0};
  std::atomic<uint64_t> droppedForUnknownAssociation_{0};
};

}  // namespace myriad::server::transport
