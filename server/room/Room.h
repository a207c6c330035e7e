#pragma once

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/ServerConfig.h"
#include "server/room/Publication.h"
#include "signaling/AccessPolicy.h"
#include "signaling/ClientRequest.h"
#include "signaling/RosterDeltaBatcher.h"
#include "signaling/SignalingPeer.h"
#include "simulcast/ActiveSpeakerSelector.h"

namespace myriad::server {
class Worker;
}

namespace myriad::server::room {

class Participant;

// A room on one worker: its participants and the signalling that changes
// who publishes and who receives what. All methods run on the worker thread;
// signalling reaches them only through Worker::Post (house rule 4).
//
// Large rooms (docs/protocol.md): roster changes are batched into one
// `roster` message per interval for everyone; audio publishers are ranked by
// level and each subscriber's K audio slots follow the loudest speakers.
class Room : public Publication::AudioLevelListener {
 public:
  using Clock = std::chrono::steady_clock;

  Room(std::string name, Worker& worker);
  ~Room() override;
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& Name() const { return name_; }
  bool Empty() const { return participants_.empty(); }
  size_t ParticipantCount() const { return participants_.size(); }
  std::vector<std::string> ParticipantIds() const;

  // `admission` is the access check's verdict (admitted): the participant's identity, grants and
  // display name (which replaces the request's).
  void Join(const std::string& participantId, const signaling::JoinRequest& request,
            const signaling::Admission& admission, const nlohmann::json& requestId,
            const std::shared_ptr<signaling::SignalingPeer>& peer);
  void HandleOffer(const std::string& participantId, const signaling::OfferRequest& request,
                   const nlohmann::json& requestId, signaling::SignalingPeer& peer);
  // A subscriber's wanted simulcast level on one of its video mids.
  void HandleSetVideoLevel(const std::string& participantId,
                           const signaling::SetVideoLevelRequest& request,
                           const nlohmann::json& requestId, signaling::SignalingPeer& peer);
  void HandleRosterPage(const std::string& participantId,
                        const signaling::RosterPageRequest& request,
                        const nlohmann::json& requestId, signaling::SignalingPeer& peer);
  // Conference control (docs/protocol.md "Conference control"): checked by
  // signaling::ControlPolicy; accepted requests take effect at once (a mute in
  // the router before the reply), are acknowledged with the room version that
  // reports them, and reach everyone in the next roster batch.
  // `origin`: when and how the request reached the server, for the mute enforcement latency
  // (myriad_control_mute_enforcement_seconds).
  struct ControlOrigin {
    Clock::time_point receivedAt;
    bool dataChannel = false;
  };
  void HandleControl(const std::string& participantId, const signaling::ControlRequest& request,
                     const nlohmann::json& requestId, signaling::SignalingPeer& peer,
                     ControlOrigin origin);
  // The kernel receive time of the datagram being processed on this worker (what a data
  // channel message arrived in), else now.
  Clock::time_point ReceiveTime() const;
  // Removes the participant, unpublishes its tracks, tells everyone; sends
  // `left` with the reason to the participant itself.
  void Leave(const std::string& participantId, std::string_view reason);
  // `text` to every participant on its WebSocket (a server-wide notice such as `drain`, which
  // must arrive even when a control channel is not open); returns how many got it.
  size_t SendToEveryone(const std::shared_ptr<const std::string>& text);

  Participant* FindParticipant(const std::string& participantId);
  Publication* FindPublication(const std::string& trackId);

  void OnTick(Clock::time_point now);

  const config::RoomLimits& Limits() const { return limits_; }
  size_t PublisherCount() const;
  // Whether an audio source (Participant::OwnAudioSourceId) is one of the
  // room's current speakers: their video gets bandwidth before grid tiles.
  bool IsSpeaking(uint32_t audioSourceId) const {
    if (audioSourceId == 0) return false;
    const auto speakers = speakers_.Speakers();
    return std::find(speakers.begin(), speakers.end(), audioSourceId) != speakers.end();
  }

 private:
  // Publication::AudioLevelListener (packet path)
  void OnAudioLevel(uint32_t audioSourceId, uint8_t level, int64_t nowMs) override;

  // One page of the roster after `cursor` ("" = from the start), without
  // `except`; sets `next` to the cursor of the next page or "" at the end.
  nlohmann::json RosterPage(const Participant* except, const std::string& cursor,
                            std::string& next) const;
  void AddAudioSource(Publication& publication, Clock::time_point now);
  // Applies an accepted mute state: the router gate, the speaker ranking, the roster batch.
  void ApplyMuteState(Publication& publication, const signaling::TrackMuteState& state,
                      Clock::time_point now);
  void HandleTrackControl(Participant& actor, const signaling::ControlRequest& request,
                          const nlohmann::json& requestId, signaling::SignalingPeer& peer,
                          ControlOrigin origin);
  // `ack` with the version that reports the change, and when the request arrived and the reply
  // left on the server's monotonic clock (docs/protocol.md "Conference control"): a client on
  // the same host (the load generator) splits its round trip into the two one-way deliveries.
  void SendAck(signaling::SignalingPeer& peer, const nlohmann::json& requestId,
               Clock::time_point receivedAt);
  // A refused control request: counted by action and code (a missing grant also as an auth
  // failure) and answered with `error`; nothing changes.
  static void RefuseControl(signaling::SignalingPeer& peer, const nlohmann::json& requestId,
                            const std::string& action, const std::string& code,
                            const std::string& message);
  void RemovePublication(Participant& participant, const std::string& mid);
  // Points every slot of `participant` at the speakers it should hear now.
  void AssignSlots(Participant& participant, Clock::time_point now);
  void UpdateSpeakers(Clock::time_point now);
  void FlushRoster();
  // `speakers` texts by slot assignment, shared within one flush.
  using SpeakerMessageCache =
      std::map<std::vector<const Publication*>, std::shared_ptr<const std::string>>;
  void SendSpeakers(Participant& participant, SpeakerMessageCache& cache);
  static void SendError(signaling::SignalingPeer& peer, const nlohmann::json& requestId,
                        const std::string& code, const std::string& message);
  static int64_t ToMs(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  }

  std::string name_;
  Worker& worker_;
  config::RoomLimits limits_;
  std::map<std::string, std::unique_ptr<Participant>> participants_;
  signaling::RosterDeltaBatcher roster_;
  Clock::time_point lastRosterFlush_;
  simulcast::ActiveSpeakerSelector speakers_;
  std::unordered_map<uint32_t, Publication*> audioSources_;
  uint32_t nextAudioSourceId_ = 1;
  std::vector<uint32_t> selection_;  // scratch for SelectionFor
};

}  // namespace myriad::server::room
