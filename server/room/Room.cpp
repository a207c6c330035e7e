#include "server/room/Room.h"

#include <openssl/rand.h>

#include "rtp/RtpHeaderExtensions.h"
#include "server/IdGenerator.h"
#include "server/Logging.h"
#include "server/Metrics.h"
#include "server/Worker.h"
#include "server/room/Participant.h"
#include "server/room/Publication.h"
#include "server/room/Subscription.h"
#include "signaling/ControlPolicy.h"
#include "signaling/SdpAnswerBuilder.h"
#include "signaling/ServerMessage.h"
#include "signaling/SessionDescription.h"

namespace myriad::server::room {
namespace {

uint64_t RandomSeed() {
  uint64_t value = 0;
  RAND_bytes(reinterpret_cast<uint8_t*>(&value), sizeof(value));
  return value;
}

std::string DefaultSource(const std::string& kind) {
  return kind == "audio" ? "microphone" : "camera";
}

uint8_t FindExtension(const std::vector<signaling::SdpExtension>& extensions,
                      std::string_view uri) {
  for (const auto& e : extensions) {
    if (e.uri == uri) return e.id;
  }
  return 0;
}

nlohmann::json TrackJson(const Publication& publication) {
  nlohmann::json track{{"trackId", publication.TrackId()},
                       {"kind", publication.Kind()},
                       {"source", publication.Source()}};
  if (const auto& mute = publication.MuteState(); mute.muted) {
    track["muted"] = true;
    track["mutedBy"] = signaling::ToString(mute.by);
    if (mute.locked) track["locked"] = true;
  }
  return track;
}

// The `type` a control action arrived as, for metrics and logs.
const char* ControlActionName(signaling::ControlRequest::Action action) {
  using Action = signaling::ControlRequest::Action;
  switch (action) {
    case Action::kMute:
    case Action::kUnmute:
      return "mute";
    case Action::kHostMute:
      return "hostMute";
    case Action::kUnlockMute:
      return "unlockMute";
    case Action::kRequestUnmute:
      return "requestUnmute";
    case Action::kKick:
      return "kick";
    case Action::kRaiseHand:
    case Action::kLowerHand:
      return "raiseHand";
    case Action::kLowerOthersHand:
      return "lowerHand";
    case Action::kSync:
      return "sync";
  }
  return "unknown";
}

signaling::RosterDeltaBatcher::Track RosterTrack(const Publication& publication) {
  return {publication.TrackId(), publication.Kind(), publication.Source()};
}

simulcast::ActiveSpeakerSelector::Options SpeakerOptions(const config::RoomLimits& limits) {
  simulcast::ActiveSpeakerSelector::Options options;
  options.slots = limits.audioSlots;
  // Speech levels fall slowly: a speaker who just stopped stays ranked
  // above quieter background talkers for about 300 ms, long enough for the
  // next loud speaker to rise and take the slot directly.
  options.releaseMs = 1000;
  return options;
}

// Opus is the only audio codec the server negotiates (SdpAnswerBuilder), so
// a slot can carry any speaker.
constexpr std::string_view kSlotCodec = "opus";
constexpr std::string_view kSlotStreamId = "slots";

}  // namespace

Room::Room(std::string name, Worker& worker)
    : name_(std::move(name)),
      worker_(worker),
      limits_(worker.Config().LimitsFor(name_)),
      lastRosterFlush_(Clock::now()),
      speakers_(SpeakerOptions(limits_)),
      selection_(limits_.audioSlots, 0) {}

Room::~Room() {
  // Tear down in an order that keeps pointers valid: subscriptions first
  // (they point into other participants' publications), then participants.
  for (auto& [id, participant] : participants_) participant->Subscriptions().clear();
  for (auto& [id, participant] : participants_)
    worker_.UnregisterTransport(participant->Transport());
  participants_.clear();
}

std::vector<std::string> Room::ParticipantIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, participant] : participants_) ids.push_back(id);
  return ids;
}

Participant* Room::FindParticipant(const std::string& participantId) {
  const auto it = participants_.find(participantId);
  return it == participants_.end() ? nullptr : it->second.get();
}

Publication* Room::FindPublication(const std::string& trackId) {
  for (auto& [id, participant] : participants_) {
    for (auto& [mid, publication] : participant->Publications()) {
      if (publication->TrackId() == trackId) return publication.get();
    }
  }
  return nullptr;
}

void Room::SendError(signaling::SignalingPeer& peer, const nlohmann::json& requestId,
                     const std::string& code, const std::string& message) {
  Metrics::Instance().SignalingError(code).Increment();
  peer.Send(signaling::ServerMessage::Error(code, message, requestId));
}

size_t Room::PublisherCount() const {
  size_t count = 0;
  for (const auto& [id, participant] : participants_) {
    if (!participant->Publications().empty()) ++count;
  }
  return count;
}

nlohmann::json Room::RosterPage(const Participant* except, const std::string& cursor,
                                std::string& next) const {
  nlohmann::json list = nlohmann::json::array();
  next.clear();
  const size_t pageSize = worker_.Config().rooms.rosterPageSize;
  auto it = cursor.empty() ? participants_.begin() : participants_.upper_bound(cursor);
  for (; it != participants_.end(); ++it) {
    const auto& [id, participant] = *it;
    if (participant.get() == except) continue;
    if (list.size() == pageSize) {
      next = list.back()["participantId"].get<std::string>();
      break;
    }
    nlohmann::json tracks = nlohmann::json::array();
    for (const auto& [mid, publication] : participant->Publications()) {
      tracks.push_back(TrackJson(*publication));
    }
    nlohmann::json entry{
        {"participantId", id}, {"name", participant->Name()}, {"tracks", std::move(tracks)}};
    // Who the token says it is (a name is only what it calls itself).
    if (!participant->Identity().empty()) entry["identity"] = participant->Identity();
    if (participant->handRaised) entry["handRaised"] = true;
    list.push_back(std::move(entry));
  }
  return list;
}

void Room::Join(const std::string& participantId, const signaling::JoinRequest& request,
                const signaling::Admission& admission, const nlohmann::json& requestId,
                const std::shared_ptr<signaling::SignalingPeer>& peer) {
  if (participants_.size() >= limits_.maxParticipants) {
    SendError(*peer, requestId, "room_full",
              "room \"" + name_ + "\" has reached its limit of " +
                  std::to_string(limits_.maxParticipants) + " participants");
    peer->Close();
    return;
  }
  auto participant = std::make_unique<Participant>(participantId, admission.name, peer, *this,
                                                   worker_, Clock::now());
  participant->SetAccess(admission.identity, admission.grants);
  worker_.RegisterTransport(participant->Transport());
  Participant& joined = *participant;
  participants_.emplace(participantId, std::move(participant));

  std::string next;
  nlohmann::json videoLevels = nlohmann::json::array();
  for (const auto& level : worker_.Config().simulcast.ladder.Levels()) {
    videoLevels.push_back(level.height);
  }
  nlohmann::json reply{{"type", "joined"},
                       {"participantId", participantId},
                       {"room", name_},
                       {"audioSlots", limits_.audioSlots},
                       {"rosterVersion", roster_.Version()},
                       {"videoLevels", std::move(videoLevels)},
                       {"participants", RosterPage(&joined, "", next)}};
  if (!next.empty()) reply["rosterNext"] = next;
  if (!requestId.is_null()) reply["id"] = requestId;
  peer->Send(std::move(reply));
  roster_.SnapshotServed();
  roster_.ParticipantJoined(participantId, admission.name, admission.identity);
  if (worker_.Config().rooms.rosterBatchIntervalMs == 0) FlushRoster();
  Logging::Get("room")->info("{} joined room {} as {} ({} participants)", admission.name, name_,
                             participantId, participants_.size());
}

void Room::HandleOffer(const std::string& participantId, const signaling::OfferRequest& request,
                       const nlohmann::json& requestId, signaling::SignalingPeer& peer) {
  Participant* participant = FindParticipant(participantId);
  if (!participant) {
    SendError(peer, requestId, "not_joined", "not a participant of this room");
    return;
  }
  std::string error;
  const auto offer = signaling::SessionDescription::Parse(request.sdp, &error);
  if (!offer) {
    SendError(peer, requestId, "bad_sdp", error);
    return;
  }
  const signaling::SdpMediaSection* transportSection = nullptr;
  for (const auto& section : offer->media) {
    if (!section.Rejected() && !section.iceUfrag.empty()) {
      transportSection = &section;
      break;
    }
  }
  if (!transportSection || transportSection->fingerprint.empty()) {
    SendError(peer, requestId, "bad_sdp", "the offer has no ICE credentials or DTLS fingerprint");
    return;
  }
  auto& transport = participant->Transport();

  // Which recvonly m-lines carry which track: existing bindings persist, new
  // ones come from `subscribe` (a track) or `slots` (an audio slot).
  std::map<std::string, signaling::SendStreamInfo> sending;
  std::map<std::string, Publication*> newBindings;
  std::map<std::string, uint32_t> newSlots;
  nlohmann::json rejected = nlohmann::json::array();
  nlohmann::json warnings = nlohmann::json::array();
  // A refused action changes nothing: a new binding without the subscribe grant is left
  // unbound like a bad `subscribe` entry, a send m-line without its publish grant is refused.
  const signaling::Grants& grants = participant->AccessGrants();
  const auto forbid = [&](const std::string& mid, const std::string& what,
                          const std::string& metricReason) {
    rejected.push_back(mid);
    warnings.push_back({{"mid", mid},
                        {"code", "forbidden"},
                        {"message", "the access token does not grant " + what}});
    Metrics::Instance().AuthFailure(metricReason).Increment();
  };
  for (const auto& section : offer->media) {
    if (section.Rejected() || section.direction != "recvonly") continue;
    Publication* source = nullptr;
    uint32_t ssrc = 0;
    uint32_t rtxSsrc = 0;
    int slot = -1;
    auto existing = participant->Subscriptions().find(section.mid);
    if (existing != participant->Subscriptions().end()) {
      source = existing->second->Source();
      ssrc = existing->second->Ssrc();
      rtxSsrc = existing->second->RtxSsrc();
      slot = existing->second->Slot();
    } else if ((request.slots.count(section.mid) || request.subscribe.count(section.mid)) &&
               !grants.AllowsSubscribe()) {
      forbid(section.mid, "subscribe", "forbidden_subscribe");
      continue;
    } else if (auto wantedSlot = request.slots.find(section.mid);
               wantedSlot != request.slots.end()) {
      const uint32_t index = wantedSlot->second;
      bool taken = participant->SlotSubscription(index) != nullptr;
      for (const auto& [mid, other] : newSlots) taken |= other == index;
      if (section.kind != "audio" || index >= limits_.audioSlots || taken) {
        rejected.push_back(section.mid);
        continue;
      }
      newSlots[section.mid] = index;
      slot = static_cast<int>(index);
      ssrc = participant->AllocateSsrc();
    } else if (auto wanted = request.subscribe.find(section.mid);
               wanted != request.subscribe.end()) {
      source = FindPublication(wanted->second.trackId);
      if (!source || &source->Owner() == participant || source->Kind() != section.kind) {
        rejected.push_back(section.mid);
        continue;
      }
      ssrc = participant->AllocateSsrc();
      rtxSsrc = source->IsVideo() ? participant->AllocateSsrc() : 0;
      newBindings[section.mid] = source;
    }
    if (slot >= 0) {
      // A slot is announced as its own stream: the browser's track stays the
      // same whoever speaks in it.
      sending[section.mid] = signaling::SendStreamInfo{ssrc,
                                                       0,
                                                       std::string(kSlotStreamId),
                                                       std::string(kSlotStreamId),
                                                       "slot-" + std::to_string(slot),
                                                       std::string(kSlotCodec),
                                                       ""};
      continue;
    }
    if (!source) continue;
    const auto& codec = source->Describe().codec;
    sending[section.mid] = signaling::SendStreamInfo{
        ssrc,       rtxSsrc,   source->Owner().Id(), source->Owner().Id(), source->TrackId(),
        codec.name, codec.fmtp};
  }

  // A participant that does not publish yet may not become one beyond the
  // room's limit: its new sending m-lines are refused (port 0).
  std::map<std::string, std::string> refused;
  for (const auto& section : offer->media) {
    // Other kinds (data channels) are the answer builder's to refuse.
    if (section.Rejected() || participant->Publications().count(section.mid) ||
        (section.kind != "audio" && section.kind != "video") ||
        (section.direction != "sendonly" && section.direction != "sendrecv"))
      continue;
    const auto info = request.publish.find(section.mid);
    const std::string source = info != request.publish.end() && !info->second.source.empty()
                                   ? info->second.source
                                   : DefaultSource(section.kind);
    if (!grants.AllowsPublish(section.kind, source)) {
      refused[section.mid] = "the access token does not grant publishing " + source;
      forbid(section.mid, "publishing " + source, "forbidden_publish");
    }
  }
  if (participant->Publications().empty() && PublisherCount() >= limits_.maxPublishers) {
    const std::string message = "room \"" + name_ + "\" has reached its limit of " +
                                std::to_string(limits_.maxPublishers) + " publishers";
    for (const auto& section : offer->media) {
      if (section.Rejected() || refused.count(section.mid) ||
          (section.direction != "sendonly" && section.direction != "sendrecv"))
        continue;
      refused[section.mid] = message;
      rejected.push_back(section.mid);
      warnings.push_back({{"mid", section.mid}, {"code", "publisher_limit"}, {"message", message}});
      Metrics::Instance().SignalingError("publisher_limit").Increment();
    }
  }

  signaling::LocalTransportParameters local;
  local.iceUfrag = transport.LocalUfrag();
  local.icePwd = transport.LocalPassword();
  local.fingerprintSha256 = worker_.Certificate().FingerprintSha256();
  local.candidateIp = worker_.Config().media.announcedAddress.empty()
                          ? worker_.Config().media.listenAddress
                          : worker_.Config().media.announcedAddress;
  local.candidatePort = worker_.MediaPort();
  local.sessionVersion = participant->NextAnswerVersion();
  const auto answer = signaling::SdpAnswerBuilder::Build(*offer, local, sending, &error, refused);
  if (!answer) {
    SendError(peer, requestId, "bad_sdp", error);
    return;
  }
  transport.SetRemoteParameters(transportSection->iceUfrag, transportSection->fingerprintAlgorithm,
                                transportSection->fingerprint);

  nlohmann::json newTracks = nlohmann::json::object();
  std::vector<Publication*> published;
  for (const auto& media : answer->media) {
    if (media.dataChannel && !media.rejected) {
      // docs/protocol.md "Conference control": the client's control channel rides this.
      participant->EnableDataChannels(media.remoteSctpPort, media.remoteMaxMessageSize);
      continue;
    }
    const bool publishes = media.serverReceives && !media.rejected;
    const bool receives = media.serverSends && !media.rejected;
    auto& publications = participant->Publications();
    if (!publishes && publications.count(media.mid)) RemovePublication(*participant, media.mid);
    if (publishes && !publications.count(media.mid)) {
      Publication::Description description;
      description.trackId = IdGenerator::Make('T');
      description.mid = media.mid;
      description.kind = media.kind;
      const auto info = request.publish.find(media.mid);
      description.source = info != request.publish.end() && !info->second.source.empty()
                               ? info->second.source
                               : DefaultSource(media.kind);
      description.codec = media.codec;
      description.extensions = media.extensions;
      description.nackEnabled = media.nack;
      description.priority = info != request.publish.end() && info->second.priority;
      if (media.kind == "video") {
        for (const auto& rid : media.remoteRids) description.rids.push_back(rid.id);
        if (info != request.publish.end()) {
          description.tierBudget = info->second.tiers;
          description.captureWidth = info->second.width;
          description.captureHeight = info->second.height;
        }
      }
      for (const auto& group : media.remoteSsrcGroups) {
        if (group.semantics == "FID" && group.ssrcs.size() == 2) {
          description.mediaSsrc = group.ssrcs[0];
          description.rtxSsrc = group.ssrcs[1];
        }
      }
      if (description.mediaSsrc == 0 && !media.remoteSsrcs.empty()) {
        description.mediaSsrc = media.remoteSsrcs[0];
      }
      auto& publication = participant->AddPublication(std::make_unique<Publication>(
          *participant, std::move(description), worker_.Config().simulcast.ladder,
          worker_.Config().simulcast.PlannerOptions()));
      newTracks[media.mid] = publication.TrackId();
      published.push_back(&publication);
      if (publication.Kind() == "audio") AddAudioSource(publication, Clock::now());
    }
    if (!receives && participant->Subscriptions().count(media.mid)) {
      participant->RemoveSubscription(media.mid);
    }
    if (receives) {
      if (const auto slot = newSlots.find(media.mid); slot != newSlots.end()) {
        Subscription::Description description;
        description.mid = media.mid;
        description.trackId = "slot-" + std::to_string(slot->second);
        description.ssrc = sending[media.mid].ssrc;
        description.payloadType = media.codec.payloadType;
        description.transportCcId =
            FindExtension(media.extensions, rtp::kTransportWideCcExtensionUri);
        description.clockRate = media.codec.clockRate;
        description.slot = static_cast<int>(slot->second);
        description.subscriberExtensions = media.extensions;
        participant->AddSubscription(std::make_unique<Subscription>(
            *participant, nullptr, std::move(description), RandomSeed()));
        continue;
      }
      const auto binding = newBindings.find(media.mid);
      if (binding == newBindings.end()) continue;  // existing subscription
      Publication& source = *binding->second;
      const auto& info = sending[media.mid];
      Subscription::Description description;
      description.mid = media.mid;
      description.trackId = source.TrackId();
      description.ssrc = info.ssrc;
      description.payloadType = media.codec.payloadType;
      if (media.codec.rtxPayloadType && info.rtxSsrc != 0) {
        description.rtxSsrc = info.rtxSsrc;
        description.rtxPayloadType = *media.codec.rtxPayloadType;
      }
      description.extensionMap =
          Subscription::MapExtensions(source.Describe().extensions, media.extensions);
      description.transportCcId =
          FindExtension(media.extensions, rtp::kTransportWideCcExtensionUri);
      description.clockRate = media.codec.clockRate;
      if (const auto wanted = request.subscribe.find(media.mid);
          wanted != request.subscribe.end() && wanted->second.level) {
        description.videoLevel =
            std::min(*wanted->second.level, worker_.Config().simulcast.ladder.LevelCount() - 1);
      }
      description.selectorOptions = worker_.Config().simulcast.SelectorOptions();
      auto& subscription = participant->AddSubscription(std::make_unique<Subscription>(
          *participant, &source, std::move(description), RandomSeed()));
      // A new receiver can only start decoding at a key frame.
      subscription.RequestKeyFrame(Clock::now());
    }
  }

  nlohmann::json reply{{"type", "answer"},
                       {"sdp", answer->sdp},
                       {"tracks", std::move(newTracks)},
                       {"rejected", std::move(rejected)}};
  if (!warnings.empty()) reply["warnings"] = std::move(warnings);
  if (!requestId.is_null()) reply["id"] = requestId;
  peer.Send(std::move(reply));
  for (Publication* publication : published) {
    roster_.TrackPublished(participantId, RosterTrack(*publication));
  }
  if (!newSlots.empty()) {
    AssignSlots(*participant, Clock::now());
    participant->speakersChanged = true;
  }
  if (worker_.Config().rooms.rosterBatchIntervalMs == 0) FlushRoster();
}

void Room::HandleSetVideoLevel(const std::string& participantId,
                               const signaling::SetVideoLevelRequest& request,
                               const nlohmann::json& requestId, signaling::SignalingPeer& peer) {
  Participant* participant = FindParticipant(participantId);
  if (!participant) {
    SendError(peer, requestId, "not_joined", "not a participant of this room");
    return;
  }
  const auto& ladder = worker_.Config().simulcast.ladder;
  if (request.level >= ladder.LevelCount()) {
    SendError(peer, requestId, "bad_message",
              "\"level\" must be below " + std::to_string(ladder.LevelCount()));
    return;
  }
  const auto it = participant->Subscriptions().find(request.mid);
  if (it == participant->Subscriptions().end() || it->second->IsAudioSlot() ||
      !it->second->Source() || !it->second->Source()->IsVideo()) {
    SendError(peer, requestId, "unknown_mid",
              "mid \"" + request.mid + "\" receives no video track");
    return;
  }
  // A track without simulcast has one size; the level is kept for when it
  // matters and changes nothing now.
  it->second->SetVideoLevel(request.level, ToMs(Clock::now()));
}

void Room::HandleRosterPage(const std::string& participantId,
                            const signaling::RosterPageRequest& request,
                            const nlohmann::json& requestId, signaling::SignalingPeer& peer) {
  Participant* participant = FindParticipant(participantId);
  if (!participant) {
    SendError(peer, requestId, "not_joined", "not a participant of this room");
    return;
  }
  std::string next;
  nlohmann::json reply{{"type", "rosterPage"},
                       {"participants", RosterPage(participant, request.cursor, next)}};
  if (!next.empty()) reply["rosterNext"] = next;
  if (!requestId.is_null()) reply["id"] = requestId;
  peer.Send(std::move(reply));
  roster_.SnapshotServed();
}

Room::Clock::time_point Room::ReceiveTime() const {
  return worker_.CurrentDatagramArrival().value_or(Clock::now());
}

void Room::HandleControl(const std::string& participantId, const signaling::ControlRequest& request,
                         const nlohmann::json& requestId, signaling::SignalingPeer& peer,
                         ControlOrigin origin) {
  using Action = signaling::ControlRequest::Action;
  Participant* actor = FindParticipant(participantId);
  if (!actor) {
    SendError(peer, requestId, "not_joined", "not a participant of this room");
    return;
  }
  // Whatever the outcome, the reply is queued when this returns.
  struct ReplyTimer {
    ControlOrigin origin;
    ~ReplyTimer() {
      Metrics::Instance()
          .ControlReply(origin.dataChannel)
          .Observe(std::chrono::duration<double>(Clock::now() - origin.receivedAt).count());
    }
  } replyTimer{origin};
  const std::string action = ControlActionName(request.action);
  const auto refuse = [&](const std::string& code, const std::string& message) {
    RefuseControl(peer, requestId, action, code, message);
  };
  switch (request.action) {
    case Action::kSync: {
      // The current state after a missed version: a snapshot like `joined`'s.
      std::string next;
      nlohmann::json reply{{"type", "sync"},
                           {"rosterVersion", roster_.Version()},
                           {"participants", RosterPage(actor, "", next)}};
      if (!next.empty()) reply["rosterNext"] = next;
      // The client's own tracks too: a mute it missed is its own.
      nlohmann::json own = nlohmann::json::array();
      for (const auto& [mid, publication] : actor->Publications()) {
        own.push_back(TrackJson(*publication));
      }
      reply["tracks"] = std::move(own);
      if (actor->handRaised) reply["handRaised"] = true;
      if (!requestId.is_null()) reply["id"] = requestId;
      peer.Send(std::move(reply));
      roster_.SnapshotServed();
      Metrics::Instance().ControlRequest(action, "accepted").Increment();
      return;
    }
    case Action::kRaiseHand:
    case Action::kLowerHand: {
      const bool raised = request.action == Action::kRaiseHand;
      roster_.HandChanged(actor->Id(), actor->handRaised, raised);
      actor->handRaised = raised;
      break;
    }
    case Action::kLowerOthersHand:
    case Action::kKick: {
      const bool kick = request.action == Action::kKick;
      const auto verdict = signaling::ControlPolicy::ActOnParticipant(
          {actor->Id(), actor->AccessGrants()}, request.participantId,
          kick ? signaling::AdminAction::RemoveParticipant : signaling::AdminAction::LowerHand);
      if (!verdict.Accepted()) return refuse(verdict.code, verdict.message);
      Participant* target = FindParticipant(request.participantId);
      if (!target) {
        return refuse("unknown_participant",
                      "no participant \"" + request.participantId + "\" in this room");
      }
      if (kick) {
        Logging::Get("room")->info("{} removed {} from room {}", actor->Id(), target->Id(), name_);
        // Before Leave: the reply reports the version of the change.
        SendAck(peer, requestId, origin.receivedAt);
        Metrics::Instance().ControlRequest(action, "accepted").Increment();
        Leave(request.participantId, "kicked");
        return;
      }
      roster_.HandChanged(target->Id(), target->handRaised, false);
      target->handRaised = false;
      break;
    }
    default:
      HandleTrackControl(*actor, request, requestId, peer, origin);
      return;
  }
  Metrics::Instance().ControlRequest(action, "accepted").Increment();
  SendAck(peer, requestId, origin.receivedAt);
  if (worker_.Config().rooms.rosterBatchIntervalMs == 0) FlushRoster();
}

void Room::HandleTrackControl(Participant& actor, const signaling::ControlRequest& request,
                              const nlohmann::json& requestId, signaling::SignalingPeer& peer,
                              ControlOrigin origin) {
  using Action = signaling::ControlRequest::Action;
  using signaling::ControlPolicy;
  const std::string action = ControlActionName(request.action);
  Publication* publication = FindPublication(request.trackId);
  if (!publication) {
    RefuseControl(peer, requestId, action, "unknown_track",
                  "no published track \"" + request.trackId + "\" in this room");
    return;
  }
  Participant& owner = publication->Owner();
  const ControlPolicy::Actor who{actor.Id(), actor.AccessGrants()};
  const ControlPolicy::TrackTarget track{owner.Id(), publication->Kind(), publication->Source(),
                                         publication->MuteState()};
  ControlPolicy::Verdict verdict;
  switch (request.action) {
    case Action::kMute:
    case Action::kUnmute:
      verdict = ControlPolicy::SelfMute(who, track, request.action == Action::kMute);
      break;
    case Action::kHostMute:
      verdict = ControlPolicy::HostMute(who, track, request.lock);
      break;
    case Action::kUnlockMute:
      verdict = ControlPolicy::UnlockMute(who, track);
      break;
    default:
      verdict = ControlPolicy::RequestUnmute(who, track);
      break;
  }
  if (!verdict.Accepted()) {
    RefuseControl(peer, requestId, action, verdict.code, verdict.message);
    return;
  }
  Metrics::Instance().ControlRequest(action, "accepted").Increment();
  const auto now = Clock::now();
  // The router first: from here on no packet of a muted track is forwarded.
  if (verdict.changed) {
    const bool muting = verdict.state.muted && !publication->MuteState().muted;
    ApplyMuteState(*publication, verdict.state, now);
    // Packets of the track are forwarded on this thread only, so none goes out after this
    // point: the time since the request arrived bounds the last one forwarded. (Only a request
    // that mutes: a lock or unlock of a muted track changes nothing in the router.)
    if (muting) {
      Metrics::Instance()
          .MuteEnforcement(origin.dataChannel)
          .Observe(std::chrono::duration<double>(now - origin.receivedAt).count());
    }
  }
  SendAck(peer, requestId, origin.receivedAt);
  if (&owner != &actor) {
    // The owner hears at once, not with the batch: its UI and its sender follow the server.
    if (verdict.changed) {
      // With the version of the change (the roster batch that will report it), so a client
      // that also gets the batch, or an older `muted` over another path, keeps the newest.
      owner.Peer().Send({{"type", "muted"},
                         {"trackId", publication->TrackId()},
                         {"muted", verdict.state.muted},
                         {"by", signaling::ToString(verdict.state.by)},
                         {"locked", verdict.state.locked},
                         {"version", roster_.Version() + 1}});
    }
    if (request.action == Action::kRequestUnmute) {
      owner.Peer().Send({{"type", "unmuteRequest"},
                         {"trackId", publication->TrackId()},
                         {"participantId", actor.Id()}});
    }
    Logging::Get("room")->info("{} {} {}'s track {} in room {}", actor.Id(), action, owner.Id(),
                               publication->TrackId(), name_);
  }
  if (worker_.Config().rooms.rosterBatchIntervalMs == 0) FlushRoster();
}

void Room::ApplyMuteState(Publication& publication, const signaling::TrackMuteState& state,
                          Clock::time_point now) {
  const signaling::TrackMuteState before = publication.MuteState();
  publication.SetMuteState(state, now);
  roster_.TrackMuteChanged(publication.Owner().Id(), publication.TrackId(), before, state);
  const uint32_t id = publication.AudioSourceId();
  if (id == 0 || before.muted == state.muted) return;
  if (state.muted) {
    // Out of the ranking at once: its slots go to the next speakers on this tick.
    speakers_.RemoveSource(id);
    for (Subscription* subscription : publication.Subscribers()) {
      if (subscription->IsAudioSlot()) subscription->Subscriber().speakersChanged = true;
    }
  } else {
    speakers_.AddSource(id, publication.IsPriority(), ToMs(now));
  }
  UpdateSpeakers(now);
}

void Room::RefuseControl(signaling::SignalingPeer& peer, const nlohmann::json& requestId,
                         const std::string& action, const std::string& code,
                         const std::string& message) {
  Metrics::Instance().ControlRequest(action, code).Increment();
  if (code == "forbidden") Metrics::Instance().AuthFailure("forbidden_control").Increment();
  SendError(peer, requestId, code, message);
}

void Room::SendAck(signaling::SignalingPeer& peer, const nlohmann::json& requestId,
                   Clock::time_point receivedAt) {
  const auto micros = [](Clock::time_point at) {
    return std::chrono::duration_cast<std::chrono::microseconds>(at.time_since_epoch()).count();
  };
  // The version of the roster batch that reports the change: the one being collected, unless
  // nothing is pending (then the current state already is that version).
  nlohmann::json ack{{"type", "ack"},
                     {"version", roster_.Empty() ? roster_.Version() : roster_.Version() + 1},
                     {"receivedUs", micros(receivedAt)},
                     {"repliedUs", micros(Clock::now())}};
  if (!requestId.is_null()) ack["id"] = requestId;
  peer.Send(std::move(ack));
}

void Room::AddAudioSource(Publication& publication, Clock::time_point now) {
  const uint32_t id = nextAudioSourceId_++;
  publication.SetAudioLevelListener(this, id);
  audioSources_[id] = &publication;
  speakers_.AddSource(id, publication.IsPriority(), ToMs(now));
}

void Room::RemovePublication(Participant& participant, const std::string& mid) {
  const auto it = participant.Publications().find(mid);
  if (it == participant.Publications().end()) return;
  Publication& publication = *it->second;
  roster_.TrackUnpublished(participant.Id(), publication.TrackId());
  if (const uint32_t id = publication.AudioSourceId(); id != 0) {
    speakers_.RemoveSource(id);
    audioSources_.erase(id);
    // Slots that carried it fall silent now and are refilled on the next
    // tick; the subscribers hear about it in their next `speakers`.
    for (Subscription* subscription : publication.Subscribers()) {
      if (subscription->IsAudioSlot()) subscription->Subscriber().speakersChanged = true;
    }
  }
  participant.RemovePublication(mid);
}

void Room::OnAudioLevel(uint32_t audioSourceId, uint8_t level, int64_t nowMs) {
  speakers_.OnAudioLevel(audioSourceId, level, nowMs);
}

void Room::AssignSlots(Participant& participant, Clock::time_point now) {
  if (!participant.HasSlots()) return;
  speakers_.SelectionFor(participant.OwnAudioSourceId(), selection_);
  for (size_t index = 0; index < selection_.size(); ++index) {
    Subscription* slot = participant.SlotSubscription(index);
    if (!slot) continue;
    Publication* wanted = nullptr;
    if (selection_[index] != 0) {
      const auto it = audioSources_.find(selection_[index]);
      if (it != audioSources_.end()) wanted = it->second;
    }
    if (slot->Source() == wanted) continue;
    slot->SwitchSource(wanted, now);
    participant.speakersChanged = true;
    Metrics::Instance().audio_slot_switches().Increment();
  }
}

void Room::UpdateSpeakers(Clock::time_point now) {
  if (!speakers_.Update(ToMs(now))) return;
  for (auto& [id, participant] : participants_) AssignSlots(*participant, now);
}

void Room::FlushRoster() {
  auto batch = roster_.Flush();
  if (!batch) return;
  // One serialisation for the whole room: the batch is the same for all.
  const auto text = std::make_shared<const std::string>(
      batch->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  for (auto& [id, participant] : participants_) participant->Peer().SendShared(text);
  Metrics::Instance().roster_batches().Increment();
}

void Room::SendSpeakers(Participant& participant, SpeakerMessageCache& cache) {
  participant.speakersChanged = false;
  // Most subscribers hear the same speakers (only the speakers themselves
  // differ): one serialisation per distinct assignment in this flush.
  std::vector<const Publication*> key(limits_.audioSlots, nullptr);
  for (size_t index = 0; index < limits_.audioSlots; ++index) {
    Subscription* slot = participant.SlotSubscription(index);
    if (slot && slot->Source()) key[index] = slot->Source();
  }
  auto& text = cache[key];
  if (!text) {
    nlohmann::json slots = nlohmann::json::array();
    for (size_t index = 0; index < key.size(); ++index) {
      nlohmann::json entry{{"slot", index}};
      if (const Publication* source = key[index]) {
        entry["participantId"] = source->Owner().Id();
        entry["trackId"] = source->TrackId();
      }
      slots.push_back(std::move(entry));
    }
    const nlohmann::json message{{"type", "speakers"}, {"slots", std::move(slots)}};
    text = std::make_shared<const std::string>(
        message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  participant.Peer().SendShared(text);
}

void Room::Leave(const std::string& participantId, std::string_view reason) {
  const auto it = participants_.find(participantId);
  if (it == participants_.end()) return;
  Participant& participant = *it->second;
  while (!participant.Publications().empty()) {
    RemovePublication(participant, participant.Publications().begin()->first);
  }
  roster_.ParticipantLeft(participantId);
  // On the WebSocket even while a control channel is open: `left` is the last message before
  // that socket closes, and the transport (with the channel) goes with the participant.
  participant.Control().WebSocket().Send({{"type", "left"}, {"reason", std::string(reason)}});
  participant.Peer().Close();
  worker_.UnregisterTransport(participant.Transport());
  participants_.erase(it);
  if (worker_.Config().rooms.rosterBatchIntervalMs == 0) FlushRoster();
  Logging::Get("room")->info("{} left room {} ({}), {} remain", participantId, name_, reason,
                             participants_.size());
  if (participants_.empty()) {
    worker_.Post([&worker = worker_, name = name_] { worker.RemoveRoomIfEmpty(name); });
  }
}

size_t Room::SendToEveryone(const std::shared_ptr<const std::string>& text) {
  for (auto& [id, participant] : participants_) participant->Control().WebSocket().SendShared(text);
  return participants_.size();
}

void Room::OnTick(Clock::time_point now) {
  for (auto& [id, participant] : participants_) participant->OnTick(now);
  // Media follows the speakers at once (every worker tick); the messages
  // that tell the UIs go out with the roster batch.
  UpdateSpeakers(now);
  const auto interval = std::chrono::milliseconds(worker_.Config().rooms.rosterBatchIntervalMs);
  if (now - lastRosterFlush_ < interval) return;
  lastRosterFlush_ = now;
  FlushRoster();
  SpeakerMessageCache cache;
  for (auto& [id, participant] : participants_) {
    if (participant->speakersChanged && participant->HasSlots()) SendSpeakers(*participant, cache);
  }
}

}  // namespace myriad::server::room
