#pragma once

#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "config/ServerConfig.h"
#include "server/EndpointHash.h"
#include "server/UdpBatchSocket.h"
#include "server/transport/DtlsCertificate.h"
#include "server/transport/PacketSender.h"
#include "server/transport/WebRtcTransport.h"

namespace myriad::server {

namespace room {
class Room;
}

// One media worker: one thread, one io_context, one UDP socket, and the rooms
// pinned to it. Everything a room owns is touched only on this thread, so the
// packet path takes no locks (house rule 4). Other threads reach it with Post.
class Worker : public transport::PacketSender {
 public:
  using Clock = std::chrono::steady_clock;
  using Endpoint = boost::asio::ip::udp::endpoint;
  static constexpr auto kTickInterval = std::chrono::milliseconds(20);
  // Worker 0 drives the process-wide usrsctp timers (transport::SctpStack) this often: a lost
  // control message is retransmitted at most this late after its timer expires.
  static constexpr auto kSctpTimerInterval = std::chrono::milliseconds(10);

  Worker(unsigned index, const config::ServerConfig& config,
         const transport::DtlsCertificate& certificate);
  ~Worker() override;

  // Binds the UDP socket; returns false with `error` set on failure (port in
  // use). Called before Start, on the constructing thread.
  bool Bind(std::string* error);
  void Start();  // runs the io_context on the worker's own thread
  void Stop();   // stops and joins; rooms are destroyed on the worker thread

  unsigned Index() const { return index_; }
  uint16_t MediaPort() const { return port_; }
  boost::asio::io_context& Context() { return context_; }
  const config::ServerConfig& Config() const { return config_; }
  const transport::DtlsCertificate& Certificate() const { return certificate_; }

  template <typename Handler>
  void Post(Handler&& handler) {
    boost::asio::post(context_, std::forward<Handler>(handler));
  }

  // Worker-thread only.
  room::Room& FindOrCreateRoom(const std::string& name);
  room::Room* FindRoom(const std::string& name);
  void RemoveRoomIfEmpty(const std::string& name);
  // Every participant of every room leaves with `reason` (shutdown).
  void CloseAllRooms(std::string_view reason);
  // Every participant of every room gets `message` (the drain notice); returns how many.
  size_t DrainAllRooms(const std::shared_ptr<const std::string>& message);
  void RegisterTransport(transport::WebRtcTransport& transport);
  void UnregisterTransport(transport::WebRtcTransport& transport);
  size_t RoomCount() const { return rooms_.size(); }
  // RoomCount() for any thread (a drain polls it from the signalling thread until it is 0).
  size_t OpenRooms() const { return openRooms_.load(std::memory_order_relaxed); }
  // While a received datagram is being processed (everything that runs synchronously from its
  // arrival: ICE, DTLS, SRTP, SCTP and the data channel messages it completes), its kernel
  // receive time; nullopt otherwise.
  std::optional<Clock::time_point> CurrentDatagramArrival() const { return currentArrival_; }

  // PacketSender: queues the datagram for the worker's next sendmmsg.
  bool SendPacket(std::span<const uint8_t> datagram, const Endpoint& to) override;
  // A buffer to build the next outgoing datagram in: SendPacket on it does
  // not copy. Valid until the next SendPacket or AcquireSendSlot.
  std::span<uint8_t> AcquireSendSlot() { return socket_.AcquireSlot(); }

 private:
  // Destroys every room (on stop), keeping the rooms gauge right.
  void ClearRooms();
  void OnDatagram(std::span<uint8_t> datagram, const Endpoint& from, Clock::time_point arrival);
  void ScheduleTick();
  void ScheduleSctpTimers();
  void OnTick();

  unsigned index_;
  const config::ServerConfig& config_;
  const transport::DtlsCertificate& certificate_;
  boost::asio::io_context context_;
  UdpBatchSocket socket_;
  boost::asio::steady_timer tickTimer_;
  std::optional<Clock::time_point> currentArrival_;
  boost::asio::steady_timer sctpTimer_;
  uint16_t port_ = 0;
  uint64_t reportedSendFailures_ = 0;
  bool stopping_ = false;
  std::thread thread_;
  std::map<std::string, std::unique_ptr<room::Room>> rooms_;
  std::atomic<size_t> openRooms_{0};
  std::unordered_map<std::string, transport::WebRtcTransport*> transportsByUfrag_;
  std::unordered_map<Endpoint, transport::WebRtcTransport*, EndpointHash> transportsByEndpoint_;
};

}  // namespace myriad::server
