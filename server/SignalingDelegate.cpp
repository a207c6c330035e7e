#include "server/SignalingDelegate.h"

#include <chrono>
#include <functional>

#include "server/IdGenerator.h"
#include "server/Logging.h"
#include "server/Metrics.h"
#include "server/Worker.h"
#include "server/room/Room.h"
#include "signaling/AccessPolicy.h"
#include "signaling/ServerMessage.h"

namespace myriad::server {

SignalingDelegate::SignalingDelegate(const std::vector<Worker*>& workers,
                                     const signaling::AccessPolicy& access,
                                     const std::atomic<bool>& draining,
                                     std::shared_ptr<signaling::SignalingPeer> peer)
    : workers_(workers), access_(access), draining_(draining), peer_(std::move(peer)) {}

SignalingDelegate::~SignalingDelegate() = default;

Worker& SignalingDelegate::WorkerForRoom(const std::vector<Worker*>& workers,
                                         const std::string& room) {
  return *workers[std::hash<std::string>{}(room) % workers.size()];
}

void SignalingDelegate::Reply(const nlohmann::json& id, const std::string& code,
                              const std::string& message) {
  Metrics::Instance().SignalingError(code).Increment();
  peer_->Send(signaling::ServerMessage::Error(code, message, id));
}

void SignalingDelegate::OnRequest(signaling::ClientRequest request) {
  Metrics::Instance().signaling_messages_in().Increment();
  if (auto* join = std::get_if<signaling::JoinRequest>(&request.body)) {
    if (worker_) {
      Reply(request.id, "already_joined", "this connection already joined a room");
      return;
    }
    if (draining_) {
      // The client moves on (docs/protocol.md "Drain"): another server, or this URL again once
      // a load balancer has stopped sending here.
      Reply(request.id, "server_draining", "this server is shutting down: join another one");
      peer_->Close();
      return;
    }
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    signaling::Admission admission = access_.Admit(*join, now);
    if (!admission.admitted) {
      Metrics::Instance().AuthFailure(admission.reason).Increment();
      Logging::Get("auth")->info("join of room {} refused: {}", join->room, admission.reason);
      Reply(request.id, admission.code, admission.message);
      // Nothing else for this connection: it may not retry with another token on it.
      peer_->Close();
      return;
    }
    worker_ = &WorkerForRoom(workers_, join->room);
    room_ = join->room;
    participantId_ = IdGenerator::Make('P');
    worker_->Post([worker = worker_, id = participantId_, join = *join,
                   admission = std::move(admission), requestId = request.id, peer = peer_] {
      worker->FindOrCreateRoom(join.room).Join(id, join, admission, requestId, peer);
      // A join refused for a limit leaves an empty room behind.
      worker->RemoveRoomIfEmpty(join.room);
    });
    return;
  }
  if (!worker_ || left_) {
    Reply(request.id, "not_joined", "send \"join\" first");
    return;
  }
  if (auto* offer = std::get_if<signaling::OfferRequest>(&request.body)) {
    worker_->Post([worker = worker_, room = room_, id = participantId_, offer = std::move(*offer),
                   requestId = request.id, peer = peer_] {
      if (auto* r = worker->FindRoom(room)) {
        r->HandleOffer(id, offer, requestId, *peer);
      } else {
        peer->Send(signaling::ServerMessage::Error("not_joined", "not a participant of this room",
                                                   requestId));
      }
    });
    return;
  }
  if (auto* page = std::get_if<signaling::RosterPageRequest>(&request.body)) {
    worker_->Post([worker = worker_, room = room_, id = participantId_, page = std::move(*page),
                   requestId = request.id, peer = peer_] {
      if (auto* r = worker->FindRoom(room)) r->HandleRosterPage(id, page, requestId, *peer);
    });
    return;
  }
  if (auto* level = std::get_if<signaling::SetVideoLevelRequest>(&request.body)) {
    worker_->Post([worker = worker_, room = room_, id = participantId_, level = *level,
                   requestId = request.id, peer = peer_] {
      if (auto* r = worker->FindRoom(room)) r->HandleSetVideoLevel(id, level, requestId, *peer);
    });
    return;
  }
  if (auto* control = std::get_if<signaling::ControlRequest>(&request.body)) {
    // Arrival at the server: the frame was read just now, on this (signalling) thread; the
    // post to the room's worker counts in the mute enforcement latency.
    const room::Room::ControlOrigin origin{std::chrono::steady_clock::now(), false};
    worker_->Post([worker = worker_, room = room_, id = participantId_, control = *control,
                   requestId = request.id, peer = peer_, origin] {
      if (auto* r = worker->FindRoom(room)) r->HandleControl(id, control, requestId, *peer, origin);
    });
    return;
  }
  if (std::holds_alternative<signaling::LeaveRequest>(request.body)) {
    left_ = true;
    worker_->Post([worker = worker_, room = room_, id = participantId_] {
      if (auto* r = worker->FindRoom(room)) r->Leave(id, "requested");
    });
  }
}

void SignalingDelegate::OnRejected(const signaling::RequestError& error) {
  Metrics::Instance().signaling_messages_in().Increment();
  Metrics::Instance().SignalingError(error.code).Increment();
}

void SignalingDelegate::OnMessageSent() {
  Metrics::Instance().signaling_messages_out().Increment();
  ++messagesSent_;
}

void SignalingDelegate::OnClosed() {
  if (worker_)
    Metrics::Instance().messages_per_participant().Observe(static_cast<double>(messagesSent_));
  // A closed WebSocket is a leave: the media path must not outlive the
  // participant's signalling (it could never be told anything again).
  if (worker_ && !left_) {
    left_ = true;
    worker_->Post([worker = worker_, room = room_, id = participantId_] {
      if (auto* r = worker->FindRoom(room)) r->Leave(id, "signaling_closed");
    });
  }
}

}  // namespace myriad::server
