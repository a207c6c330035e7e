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
  return {{"trackId", publication.TrackId()},
          {"kind", publication.Kind()},
          {"source", publication.Source()}};
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
    list.push_back(
        {{"participantId", id}, {"name", participant->Name()}, {"tracks", std::move(tracks)}});
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
  roster_.ParticipantJoined(participantId, admission.name);
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
  participant.Peer().Send({{"type", "left"}, {"reason", std::string(reason)}});
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
