#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "signaling/ClientRequest.h"
#include "signaling/SignalingPeer.h"

namespace myriad::server {
class Worker;
}

namespace myriad::server::room {

class Participant;
class Publication;

// A room on one worker: its participants and the signalling that changes
// who publishes and who receives what. All methods run on the worker thread;
// signalling reaches them only through Worker::Post (house rule 4).
class Room {
 public:
  using Clock = std::chrono::steady_clock;

  Room(std::string name, Worker& worker);
  ~Room();
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& Name() const { return name_; }
  bool Empty() const { return participants_.empty(); }
  size_t ParticipantCount() const { return participants_.size(); }
  std::vector<std::string> ParticipantIds() const;

  void Join(const std::string& participantId, const signaling::JoinRequest& request,
            const nlohmann::json& requestId, const std::shared_ptr<signaling::SignalingPeer>& peer);
  void HandleOffer(const std::string& participantId, const signaling::OfferRequest& request,
                   const nlohmann::json& requestId, signaling::SignalingPeer& peer);
  // Removes the participant, unpublishes its tracks, tells everyone; sends
  // `left` with the reason to the participant itself.
  void Leave(const std::string& participantId, std::string_view reason);

  Participant* FindParticipant(const std::string& participantId);
  Publication* FindPublication(const std::string& trackId);

  void OnTick(Clock::time_point now);

 private:
  void Broadcast(const nlohmann::json& message, const Participant* except);
  nlohmann::json Snapshot(const Participant* except) const;
  static void SendError(signaling::SignalingPeer& peer, const nlohmann::json& requestId,
                        const std::string& code, const std::string& message);

  std::string name_;
  Worker& worker_;
  std::map<std::string, std::unique_ptr<Participant>> participants_;
};

}  // namespace myriad::server::room
