#include "server/Worker.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/socket_base.hpp>

#include "rtp/StunMessage.h"
#include "server/Logging.h"
#include "server/Metrics.h"
#include "server/room/Room.h"
#include "server/transport/DtlsTransport.h"
#include "server/transport/SctpStack.h"

namespace myriad::server {

namespace asio = boost::asio;

Worker::Worker(unsigned index, const config::ServerConfig& config,
               const transport::DtlsCertificate& certificate)
    : index_(index),
      config_(config),
      certificate_(certificate),
      context_(1),
      socket_(context_),
      tickTimer_(context_),
      sctpTimer_(context_) {}

Worker::~Worker() { Stop(); }

bool Worker::Bind(std::string* error) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(config_.media.listenAddress, ec);
  if (ec) {
    *error = "media.listen_address \"" + config_.media.listenAddress + "\" is not an IP address";
    return false;
  }
  const uint16_t port =
      config_.media.portBase == 0 ? 0 : static_cast<uint16_t>(config_.media.portBase + index_);
  const Endpoint endpoint(address, port);
  std::string reason;
  if (!socket_.Bind(endpoint, &reason)) {
    *error = "cannot bind media UDP port " + std::to_string(port) + " on " +
             config_.media.listenAddress + ": " + reason;
    return false;
  }
  port_ = socket_.LocalPort();
  return true;
}

void Worker::Start() {
  prometheus::Histogram& delay = Metrics::Instance().ProcessingDelay(index_);
  socket_.StartReceiving(
      [this](std::span<uint8_t> datagram, const Endpoint& from, Clock::time_point arrival) {
        currentArrival_ = arrival;
        OnDatagram(datagram, from, arrival);
        currentArrival_.reset();
      },
      [&delay](std::span<const Clock::time_point> arrivals, Clock::time_point flushed) {
        for (const auto arrival : arrivals) {
          delay.Observe(std::chrono::duration<double>(flushed - arrival).count());
        }
      });
  ScheduleTick();
  if (index_ == 0) ScheduleSctpTimers();
  thread_ = std::thread([this] {
    Logging::Get("worker")->debug("worker {} running, media port {}", index_, port_);
    context_.run();
  });
}

void Worker::Stop() {
  if (thread_.joinable()) {
    // Rooms are destroyed on their own thread so transports say goodbye from
    // the thread that owns them.
    asio::post(context_, [this] {
      stopping_ = true;
      ClearRooms();
      tickTimer_.cancel();
      sctpTimer_.cancel();
      socket_.Close();
    });
    thread_.join();
  } else {
    ClearRooms();
  }
}

void Worker::ClearRooms() {
  // The gauge is process-wide: a server stopped with rooms open (tests run
  // several in one process) must not leave them counted.
  Metrics::Instance().rooms().Decrement(static_cast<double>(rooms_.size()));
  rooms_.clear();
  openRooms_.store(0, std::memory_order_relaxed);
}

room::Room& Worker::FindOrCreateRoom(const std::string& name) {
  auto& slot = rooms_[name];
  if (!slot) {
    slot = std::make_unique<room::Room>(name, *this);
    openRooms_.store(rooms_.size(), std::memory_order_relaxed);
    Metrics::Instance().rooms().Increment();
  }
  return *slot;
}

room::Room* Worker::FindRoom(const std::string& name) {
  const auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

void Worker::RemoveRoomIfEmpty(const std::string& name) {
  const auto it = rooms_.find(name);
  if (it != rooms_.end() && it->second->Empty()) {
    rooms_.erase(it);
    openRooms_.store(rooms_.size(), std::memory_order_relaxed);
    Metrics::Instance().rooms().Decrement();
  }
}

void Worker::CloseAllRooms(std::string_view reason) {
  for (auto& [name, room] : rooms_) {
    for (const auto& id : room->ParticipantIds()) room->Leave(id, reason);
  }
}

size_t Worker::DrainAllRooms(const std::shared_ptr<const std::string>& message) {
  size_t told = 0;
  for (auto& [name, room] : rooms_) told += room->SendToEveryone(message);
  return told;
}

void Worker::RegisterTransport(transport::WebRtcTransport& transport) {
  transportsByUfrag_[transport.LocalUfrag()] = &transport;
}

void Worker::UnregisterTransport(transport::WebRtcTransport& transport) {
  transportsByUfrag_.erase(transport.LocalUfrag());
  std::erase_if(transportsByEndpoint_,
                [&](const auto& entry) { return entry.second == &transport; });
}

bool Worker::SendPacket(std::span<const uint8_t> datagram, const Endpoint& to) {
  return socket_.Send(datagram, to);
}

void Worker::OnDatagram(std::span<uint8_t> datagram, const Endpoint& from, Clock::time_point now) {
  if (datagram.empty()) {
    Metrics::Instance().CountDrop(DropReason::kNotStunDtlsOrRtp);
    return;
  }
  const uint8_t first = datagram[0];
  // RFC 7983 section 7: demultiplex by the first byte.
  if (first <= 3) {
    Metrics::Instance().CountIn(PacketKind::kStun, datagram.size());
    const auto message = rtp::StunMessage::Parse(datagram);
    if (!message) {
      Metrics::Instance().CountDrop(DropReason::kMalformedStun);
      return;
    }
    if (message->Type() != rtp::StunMessage::kBindingRequest) return;  // indications etc.
    const auto ufrag = transport::IceLiteAgent::LocalUfragOf(*message);
    const auto it = transportsByUfrag_.find(std::string(ufrag));
    if (it == transportsByUfrag_.end()) {
      Metrics::Instance().CountDrop(DropReason::kStunAuthFailed);
      return;
    }
    if (it->second->ProcessStun(*message, from, now)) transportsByEndpoint_[from] = it->second;
    return;
  }
  const auto route = transportsByEndpoint_.find(from);
  if (first >= 20 && first <= 63) {
    Metrics::Instance().CountIn(PacketKind::kDtls, datagram.size());
    if (route == transportsByEndpoint_.end()) {
      Metrics::Instance().CountDrop(DropReason::kUnknownEndpoint);
      return;
    }
    route->second->ProcessDtls(datagram, from);
    return;
  }
  if (first >= 128 && first <= 191) {
    if (route == transportsByEndpoint_.end()) {
      Metrics::Instance().CountDrop(DropReason::kUnknownEndpoint);
      return;
    }
    route->second->ProcessSrtp(datagram, from, now);
    return;
  }
  Metrics::Instance().CountDrop(DropReason::kNotStunDtlsOrRtp);
}

void Worker::ScheduleTick() {
  tickTimer_.expires_after(kTickInterval);
  tickTimer_.async_wait([this](const boost::system::error_code& ec) {
    // A tick already queued when Stop cancelled the timer must not re-arm it.
    if (ec || stopping_) return;
    OnTick();
    ScheduleTick();
  });
}

void Worker::ScheduleSctpTimers() {
  sctpTimer_.expires_after(kSctpTimerInterval);
  sctpTimer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopping_) return;
    // Only once some transport runs SCTP: a server without data channels never starts usrsctp.
    if (transport::SctpStack::Started())
      transport::SctpStack::Instance().HandleTimers(Clock::now());
    ScheduleSctpTimers();
  });
}

void Worker::OnTick() {
  const auto now = Clock::now();
  for (auto& [name, room] : rooms_) room->OnTick(now);
  // Drops of the batched sends are only known here: count them once a tick.
  const uint64_t failures = socket_.SendFailures();
  for (; reportedSendFailures_ < failures; ++reportedSendFailures_) {
    Metrics::Instance().CountDrop(DropReason::kSendFailed);
  }
}

}  // namespace myriad::server
