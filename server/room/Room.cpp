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

// Publisher extension ids -> subscriber extension ids, by URI. mid, rid and
// repaired-rid name the *publisher's* m-line and simulcast layer; forwarded
// to a subscriber they would name the wrong m-line, so they are dropped.
rtp::ExtensionIdMap MapExtensions(const std::vector<signaling::SdpExtension>& publisher,
                                  const std::vector<signaling::SdpExtension>& subscriber) {
  rtp::ExtensionIdMap map{};
  for (const auto& from : publisher) {
    if (from.uri == rtp::kMidExtensionUri || from.uri == rtp::kRtpStreamIdExtensionUri ||
        from.uri == rtp::kRepairedRtpStreamIdExtensionUri) {
      continue;
    }
    for (const auto& to : subscriber) {
      if (to.uri == from.uri) map[from.id] = to.id;
    }
  }
  return map;
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

}  // namespace

Room::Room(std::string name, Worker& worker) : name_(std::move(name)), worker_(worker) {}

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

void Room::Broadcast(const nlohmann::json& message, const Participant* except) {
  for (auto& [id, participant] : participants_) {
    if (participant.get() != except) participant->Peer().Send(message);
  }
}

nlohmann::json Room::Snapshot(const Participant* except) const {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [id, participant] : participants_) {
    if (participant.get() == except) continue;
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
                const nlohmann::json& requestId,
                const std::shared_ptr<signaling::SignalingPeer>& peer) {
  if (participants_.size() >= worker_.Config().rooms.maxParticipants) {
    SendError(*peer, requestId, "room_full",
              "room \"" + name_ + "\" has reached its limit of " +
                  std::to_string(worker_.Config().rooms.maxParticipants) + " participants");
    peer->Close();
    return;
  }
  auto participant = std::make_unique<Participant>(participantId, request.name, peer, *this,
                                                   worker_, Clock::now());
  worker_.RegisterTransport(participant->Transport());
  Participant& joined = *participant;
  participants_.emplace(participantId, std::move(participant));

  nlohmann::json reply{{"type", "joined"},
                       {"participantId", participantId},
                       {"room", name_},
                       {"participants", Snapshot(&joined)}};
  if (!requestId.is_null()) reply["id"] = requestId;
  peer->Send(std::move(reply));
  Broadcast(
      {{"type", "participantJoined"}, {"participantId", participantId}, {"name", request.name}},
      &joined);
  Logging::Get("room")->info("{} joined room {} as {} ({} participants)", request.name, name_,
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
  // ones come from `subscribe`.
  std::map<std::string, signaling::SendStreamInfo> sending;
  std::map<std::string, Publication*> newBindings;
  nlohmann::json rejected = nlohmann::json::array();
  for (const auto& section : offer->media) {
    if (section.Rejected() || section.direction != "recvonly") continue;
    Publication* source = nullptr;
    uint32_t ssrc = 0;
    uint32_t rtxSsrc = 0;
    auto existing = participant->Subscriptions().find(section.mid);
    if (existing != participant->Subscriptions().end()) {
      source = existing->second->Source();
      ssrc = existing->second->Ssrc();
      rtxSsrc = existing->second->RtxSsrc();
    } else if (auto wanted = request.subscribe.find(section.mid);
               wanted != request.subscribe.end()) {
      source = FindPublication(wanted->second);
      if (!source || &source->Owner() == participant || source->Kind() != section.kind) {
        rejected.push_back(section.mid);
        continue;
      }
      ssrc = participant->AllocateSsrc();
      rtxSsrc = source->IsVideo() ? participant->AllocateSsrc() : 0;
      newBindings[section.mid] = source;
    }
    if (!source) continue;
    const auto& codec = source->Describe().codec;
    sending[section.mid] = signaling::SendStreamInfo{
        ssrc,       rtxSsrc,   source->Owner().Id(), source->Owner().Id(), source->TrackId(),
        codec.name, codec.fmtp};
  }

  signaling::LocalTransportParameters local;
  local.iceUfrag = transport.LocalUfrag();
  local.icePwd = transport.LocalPassword();
  local.fingerprintSha256 = worker_.Certificate().FingerprintSha256();
  local.candidateIp = worker_.Config().media.announcedAddress.empty()
                          ? worker_.Config().media.listenAddress
                          : worker_.Config().media.announcedAddress;
  local.candidatePort = worker_.MediaPort();
  const auto answer = signaling::SdpAnswerBuilder::Build(*offer, local, sending, &error);
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
    if (!publishes && publications.count(media.mid)) {
      Broadcast({{"type", "trackUnpublished"},
                 {"participantId", participantId},
                 {"trackId", publications[media.mid]->TrackId()}},
                participant);
      participant->RemovePublication(media.mid);
    }
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
      for (const auto& group : media.remoteSsrcGroups) {
        if (group.semantics == "FID" && group.ssrcs.size() == 2) {
          description.mediaSsrc = group.ssrcs[0];
          description.rtxSsrc = group.ssrcs[1];
        }
      }
      if (description.mediaSsrc == 0 && !media.remoteSsrcs.empty()) {
        description.mediaSsrc = media.remoteSsrcs[0];
      }
      auto& publication = participant->AddPublication(
          std::make_unique<Publication>(*participant, std::move(description)));
      newTracks[media.mid] = publication.TrackId();
      published.push_back(&publication);
    }
    if (!receives && participant->Subscriptions().count(media.mid)) {
      participant->RemoveSubscription(media.mid);
    }
    if (receives) {
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
      description.extensionMap = MapExtensions(source.Describe().extensions, media.extensions);
      description.transportCcId =
          FindExtension(media.extensions, rtp::kTransportWideCcExtensionUri);
      description.clockRate = media.codec.clockRate;
      auto& subscription = participant->AddSubscription(std::make_unique<Subscription>(
          *participant, source, std::move(description), RandomSeed()));
      // A new receiver can only start decoding at a key frame.
      subscription.RequestKeyFrame(Clock::now());
    }
  }

  nlohmann::json reply{{"type", "answer"},
                       {"sdp", answer->sdp},
                       {"tracks", std::move(newTracks)},
                       {"rejected", std::move(rejected)}};
  if (!requestId.is_null()) reply["id"] = requestId;
  peer.Send(std::move(reply));
  for (Publication* publication : published) {
    nlohmann::json event = TrackJson(*publication);
    event["type"] = "trackPublished";
    event["participantId"] = participantId;
    Broadcast(event, participant);
  }
}

void Room::Leave(const std::string& participantId, std::string_view reason) {
  const auto it = participants_.find(participantId);
  if (it == participants_.end()) return;
  Participant& participant = *it->second;
  for (const auto& [mid, publication] : participant.Publications()) {
    Broadcast({{"type", "trackUnpublished"},
               {"participantId", participantId},
               {"trackId", publication->TrackId()}},
              &participant);
  }
  Broadcast({{"type", "participantLeft"}, {"participantId", participantId}}, &participant);
  participant.Peer().Send({{"type", "left"}, {"reason", std::string(reason)}});
  participant.Peer().Close();
  worker_.UnregisterTransport(participant.Transport());
  participants_.erase(it);
  Logging::Get("room")->info("{} left room {} ({}), {} remain", participantId, name_, reason,
                             participants_.size());
  if (participants_.empty()) {
    worker_.Post([&worker = worker_, name = name_] { worker.RemoveRoomIfEmpty(name); });
  }
}

void Room::OnTick(Clock::time_point now) {
  for (auto& [id, participant] : participants_) participant->OnTick(now);
}

}  // namespace myriad::server::room
