#include "loadtest/client/WebRtcClient.h"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <sstream>

#include "rtp/Fir.h"
#include "rtp/Pli.h"
#include "rtp/RtcpCompound.h"
#include "rtp/RtcpHeader.h"
#include "rtp/RtpHeaderExtensions.h"
#include "signaling/SessionDescription.h"

namespace myriad::loadtest {
namespace {

std::string StringField(const nlohmann::json& message, const char* name) {
  const auto it = message.find(name);
  return it != message.end() && it->is_string() ? it->get<std::string>() : std::string();
}

uint64_t UnsignedField(const nlohmann::json& message, const char* name) {
  const auto it = message.find(name);
  return it != message.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

double NumberField(const nlohmann::json& message, const char* name) {
  const auto it = message.find(name);
  return it != message.end() && it->is_number() ? it->get<double>() : 0;
}

std::string ErrorText(const nlohmann::json& reply) {
  if (StringField(reply, "type") == "error") {
    return StringField(reply, "code") + ": " + StringField(reply, "message");
  }
  return "unexpected reply " + reply.dump();
}

ExtensionIds ExtensionIdsOf(const std::vector<signaling::SdpExtension>& extensions) {
  ExtensionIds ids{0, 0, 0, 0, 0, 0, 0, 0};
  for (const auto& extension : extensions) {
    const std::string_view uri = extension.uri;
    if (uri == rtp::kAudioLevelExtensionUri) ids.audioLevel = extension.id;
    if (uri == rtp::kAbsSendTimeExtensionUri) ids.absSendTime = extension.id;
    if (uri == rtp::kTransportWideCcExtensionUri) ids.transportCc = extension.id;
    if (uri == rtp::kMidExtensionUri) ids.mid = extension.id;
    if (uri == rtp::kRtpStreamIdExtensionUri) ids.rtpStreamId = extension.id;
    if (uri == rtp::kRepairedRtpStreamIdExtensionUri) ids.repairedRtpStreamId = extension.id;
    if (uri == rtp::kVideoOrientationExtensionUri) ids.videoOrientation = extension.id;
    if (uri == rtp::kDependencyDescriptorExtensionUri) ids.dependencyDescriptor = extension.id;
  }
  return ids;
}

// The first UDP candidate of an SDP (RFC 8839 5.1):
// a=candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
std::optional<boost::asio::ip::udp::endpoint> FirstUdpCandidate(const std::string& sdp) {
  std::istringstream lines(sdp);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("a=candidate:", 0) != 0) continue;
    std::istringstream tokens(line.substr(12));
    std::string foundation, component, transport, priority, address, port;
    tokens >> foundation >> component >> transport >> priority >> address >> port;
    if (transport != "udp" && transport != "UDP") continue;
    boost::system::error_code ec;
    const auto ip = boost::asio::ip::make_address(address, ec);
    if (ec || port.empty() || port.size() > 5) continue;
    const unsigned long number = std::strtoul(port.c_str(), nullptr, 10);
    if (number == 0 || number > 65535) continue;
    return boost::asio::ip::udp::endpoint(ip, static_cast<uint16_t>(number));
  }
  return std::nullopt;
}

}  // namespace

WebRtcClient::WebRtcClient(boost::asio::io_context& context, Options options)
    : context_(context),
      options_(std::move(options)),
      random_(options_.seed),
      certificate_(options_.certificate),
      signaling_(context),
      feedbackTimer_(context),
      leaveTimer_(context),
      controlCopyTimer_(context) {
  if (!certificate_) certificate_ = server::transport::DtlsCertificate::Generate();
  if (certificate_) offeredFingerprint_ = certificate_->FingerprintSha256();
  if (options_.offerWrongFingerprint) {
    const auto other = server::transport::DtlsCertificate::Generate();
    if (other) offeredFingerprint_ = other->FingerprintSha256();
  }
  cname_ = RandomToken(16, false);
  streamId_ = RandomToken(20, false);
  sessionId_ = ((uint64_t{random_()} << 32) | random_()) & 0x3FFFFFFFFFFFFFFFull;
  rtcpSsrc_ = RandomSsrc();
  transportSequence_ = static_cast<uint16_t>(random_());
  if (options_.sendTransportFeedback) options_.transport.kernelReceiveTimestamps = true;
  // RFC 8839 5.4: ufrag 4-256, password 22-256 ice-chars; random, not seeded.
  transport_ = std::make_unique<ClientTransport>(context, certificate_, RandomToken(8, true),
                                                 RandomToken(24, true), options_.transport);
  if (options_.sendTransportFeedback) {
    transportFeedback_ = std::make_unique<TransportFeedbackReporter>(
        rtcpSsrc_, [this](std::span<const uint8_t> rtcp) { return transport_->SendRtcp(rtcp); });
    transport_->SetRtpHandler([this](rtp::RtpPacket& packet) {
      RecordTransportSequence(packet);
      if (onRtp_) onRtp_(packet);
    });
  }
  signaling_.SetMessageHandler([this](const Json& message) { OnServerMessage(message); });
  std::weak_ptr<bool> alive = alive_;
  signaling_.SetCloseHandler([this, alive] {
    if (alive.expired() || !leaveDone_) return;
    if (!left_ && ControlChannelOpen()) {
      // `left` rides the control channel while it is open (docs/protocol.md)
      // and may arrive after the WebSocket's close: give it a moment.
      ArmLeaveTimer(kLeftOnChannelGrace, "the server closed the connection before `left`");
      return;
    }
    auto done = std::move(leaveDone_);
    leaveDone_ = nullptr;
    leaveTimer_.cancel();
    done(left_ ? "" : "the server closed the connection before `left`");
  });
}

WebRtcClient::~WebRtcClient() {
  alive_.reset();
  // The transport's SCTP association reports to us: it goes first.
  transport_.reset();
}

uint32_t WebRtcClient::RandomSsrc() {
  uint32_t ssrc = 0;
  while (ssrc == 0 || ssrc == rtcpSsrc_) ssrc = random_();
  return ssrc;
}

std::string WebRtcClient::RandomToken(size_t length, bool iceChars) {
  static constexpr char kIceChars[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string token(length, 'x');
  if (iceChars) {
    // ICE credentials authenticate the checks: unpredictable, not seeded.
    std::vector<uint8_t> bytes(length);
    RAND_bytes(bytes.data(), static_cast<int>(length));
    for (size_t i = 0; i < length; ++i) token[i] = kIceChars[bytes[i] % 64];
  } else {
    for (size_t i = 0; i < length; ++i) token[i] = kIceChars[random_() % 62];
  }
  return token;
}

void WebRtcClient::Join(const std::string& room, const std::string& name, Callback done) {
  if (!certificate_) return done("cannot generate a DTLS certificate");
  std::string error;
  if (!transport_->Open(&error)) return done(error);
  std::weak_ptr<bool> alive = alive_;
  signaling_.Connect(options_.host, options_.port,
                     [this, alive, room, name, done = std::move(done)](const std::string& error) {
                       if (alive.expired()) return;
                       if (!error.empty()) return done(error);
                       Json request{{"type", "join"}, {"room", room}, {"name", name}};
                       if (!options_.token.empty()) request["token"] = options_.token;
                       signaling_.Request(
                           std::move(request), options_.requestTimeout,
                           [this, alive, done](std::optional<Json> reply) {
                             if (alive.expired()) return;
                             if (!reply) return done("timeout waiting for `joined`");
                             if (StringField(*reply, "type") != "joined") {
                               return done(ErrorText(*reply));
                             }
                             participantId_ = StringField(*reply, "participantId");
                             audioSlots_ = static_cast<int>(UnsignedField(*reply, "audioSlots"));
                             videoLevels_.clear();
                             if (const auto levels = reply->find("videoLevels");
                                 levels != reply->end() && levels->is_array()) {
                               for (const auto& level : *levels) {
                                 if (level.is_number_integer()) {
                                   videoLevels_.push_back(level.get<int>());
                                 }
                               }
                             }
                             rosterVersion_ = UnsignedField(*reply, "rosterVersion");
                             ApplySnapshot(*reply);
                             if (!options_.fetchFullRoster) return done("");
                             FetchRosterPages(done);
                           });
                     });
}

void WebRtcClient::ApplySnapshot(const Json& message) {
  // `joined` and `rosterPage` list participants with their tracks; entries
  // are idempotent like a `roster` batch's (docs/protocol.md).
  rosterNext_ = StringField(message, "rosterNext");
  if (!options_.keepRoster) return;
  const auto others = message.find("participants");
  if (others == message.end() || !others->is_array()) return;
  for (const auto& other : *others) {
    const std::string id = StringField(other, "participantId");
    if (id.empty() || id == participantId_) continue;
    participants_[id] = StringField(other, "name");
    const auto tracks = other.find("tracks");
    if (tracks == other.end() || !tracks->is_array()) continue;
    for (const auto& track : *tracks) {
      const std::string trackId = StringField(track, "trackId");
      if (trackId.empty()) continue;
      remoteTracks_[trackId] =
          RemoteTrack{id, trackId, StringField(track, "kind"), StringField(track, "source")};
    }
  }
}

void WebRtcClient::FetchRosterPages(Callback done) {
  if (rosterNext_.empty()) return done("");
  FetchNextRosterPage(std::move(done));
}

void WebRtcClient::FetchNextRosterPage(Callback done) {
  if (!signaling_.IsOpen()) return done("not connected");
  std::weak_ptr<bool> alive = alive_;
  const std::string cursor = rosterNext_;
  signaling_.Request(Json{{"type", "rosterPage"}, {"cursor", cursor}}, options_.requestTimeout,
                     [this, alive, cursor, done = std::move(done)](std::optional<Json> reply) {
                       if (alive.expired()) return;
                       if (!reply) return done("timeout waiting for `rosterPage`");
                       if (StringField(*reply, "type") != "rosterPage") {
                         return done(ErrorText(*reply));
                       }
                       ApplySnapshot(*reply);
                       if (rosterNext_.empty()) return done("");
                       if (rosterNext_ == cursor) {
                         return done("`rosterPage` repeated the cursor " + cursor);
                       }
                       FetchNextRosterPage(done);
                     });
}

void WebRtcClient::AddLine(const OfferMediaLine& line, MediaTrack track) {
  track.mid = line.mid;
  track.kind = line.kind;
  track.sending = line.direction == OfferMediaLine::Direction::kSendOnly;
  lines_.push_back(line);
  tracks_.push_back(std::move(track));
}

void WebRtcClient::Publish(const PublishRequest& request, Callback done) {
  Negotiation negotiation;
  std::vector<OfferMediaLine> added;
  std::vector<MediaTrack> addedTracks;
  if (request.audio) {
    OfferMediaLine line;
    line.mid = NextMid();
    line.kind = "audio";
    line.direction = OfferMediaLine::Direction::kSendOnly;
    line.ssrc = RandomSsrc();
    line.trackId = RandomToken(20, false);
    Json info{{"source", "microphone"}};
    if (request.priority) info["priority"] = true;
    negotiation.publish[line.mid] = std::move(info);
    negotiation.mids.push_back(line.mid);
    added.push_back(line);
    MediaTrack track;
    track.ssrc = line.ssrc;
    addedTracks.push_back(track);
  }
  if (request.video) {
    OfferMediaLine line;
    line.mid = NextMid();
    line.kind = "video";
    line.direction = OfferMediaLine::Direction::kSendOnly;
    line.videoCodec = options_.videoCodec;
    line.trackId = RandomToken(20, false);
    MediaTrack track;
    if (request.videoRids.empty()) {
      line.ssrc = RandomSsrc();
      line.rtxSsrc = RandomSsrc();
    } else {
      // RFC 8853 5.1: simulcast streams are told apart by rid; like
      // Chromium, the offer announces no SSRCs for them.
      line.rids = request.videoRids;
      for (const auto& rid : request.videoRids) {
        track.simulcast.push_back(SimulcastStream{rid, RandomSsrc()});
      }
    }
    track.ssrc = track.simulcast.empty() ? line.ssrc : track.simulcast.front().ssrc;
    track.rtxSsrc = line.rtxSsrc;
    Json info{{"source", "camera"}};
    if (request.videoTiers > 0) info["tiers"] = request.videoTiers;
    if (request.videoWidth > 0) info["width"] = request.videoWidth;
    if (request.videoHeight > 0) info["height"] = request.videoHeight;
    negotiation.publish[line.mid] = std::move(info);
    negotiation.mids.push_back(line.mid);
    added.push_back(line);
    addedTracks.push_back(track);
  }
  if (added.empty()) return done("nothing to publish");
  negotiation.prepare = [this, added, addedTracks](Negotiation&) {
    for (size_t i = 0; i < added.size(); ++i) AddLine(added[i], addedTracks[i]);
    return std::string();
  };
  negotiation.done = std::move(done);
  Enqueue(std::move(negotiation));
}

void WebRtcClient::BindAudioSlots(Callback done) {
  Negotiation negotiation;
  negotiation.prepare = [this](Negotiation& self) {
    if (audioSlots_ <= 0) return std::string("the room gives no audio slots");
    for (int slot = 0; slot < audioSlots_; ++slot) {
      if (SlotTrack(slot)) continue;
      OfferMediaLine line;
      line.mid = NextMid();
      line.kind = "audio";
      line.direction = OfferMediaLine::Direction::kRecvOnly;
      MediaTrack track;
      track.slot = slot;
      AddLine(line, track);
      self.slots[line.mid] = slot;
      self.mids.push_back(line.mid);
    }
    self.skip = self.mids.empty();
    return std::string();
  };
  negotiation.done = std::move(done);
  Enqueue(std::move(negotiation));
}

void WebRtcClient::Subscribe(const std::string& trackId, Callback done) {
  AddSubscription(trackId, -1, std::move(done));
}

void WebRtcClient::SubscribeVideo(const std::string& trackId, int level, Callback done) {
  const auto remote = remoteTracks_.find(trackId);
  if (remote != remoteTracks_.end() && remote->second.kind != "video") {
    return done("not a video track: " + trackId);
  }
  if (level < 0) return done("negative video level");
  AddSubscription(trackId, level, std::move(done));
}

void WebRtcClient::AddSubscription(const std::string& trackId, int videoLevel, Callback done) {
  const auto remote = remoteTracks_.find(trackId);
  if (remote == remoteTracks_.end()) return done("unknown track " + trackId);
  OfferMediaLine line;
  line.mid = NextMid();
  line.kind = remote->second.kind;
  line.direction = OfferMediaLine::Direction::kRecvOnly;
  Negotiation negotiation;
  // docs/protocol.md: a bare trackId, or the object form with the level.
  negotiation.subscribe[line.mid] =
      videoLevel < 0 ? Json(trackId) : Json{{"trackId", trackId}, {"level", videoLevel}};
  negotiation.mids.push_back(line.mid);
  negotiation.prepare = [this, line, trackId, videoLevel](Negotiation&) {
    MediaTrack track;
    track.trackId = trackId;
    track.videoLevel = videoLevel;
    AddLine(line, track);
    return std::string();
  };
  negotiation.done = std::move(done);
  Enqueue(std::move(negotiation));
}

bool WebRtcClient::SetVideoLevel(const std::string& trackId, int level) {
  if (!signaling_.IsOpen() || trackId.empty()) return false;
  for (auto& track : tracks_) {
    if (track.sending || !track.active || track.trackId != trackId || track.kind != "video") {
      continue;
    }
    track.videoLevel = level;
    signaling_.Send(Json{{"type", "setVideoLevel"}, {"mid", track.mid}, {"level", level}});
    return true;
  }
  return false;
}

void WebRtcClient::Unsubscribe(const std::string& trackId, Callback done) {
  Negotiation negotiation;
  negotiation.prepare = [this, trackId](Negotiation&) {
    for (size_t i = 0; i < lines_.size(); ++i) {
      if (tracks_[i].sending || tracks_[i].trackId != trackId || lines_[i].stopped ||
          lines_[i].kind == "application") {
        continue;
      }
      // RFC 8829 5.2.2: a stopped transceiver's m-line gets port 0.
      lines_[i].stopped = true;
      tracks_[i].active = false;
      return std::string();
    }
    return "not subscribed to " + trackId;
  };
  negotiation.done = std::move(done);
  Enqueue(std::move(negotiation));
}

void WebRtcClient::SetViewport(std::vector<std::string> visibleTrackIds,
                               std::vector<std::string> prefetchTrackIds, Callback done) {
  Negotiation negotiation;
  negotiation.tolerateRejected = true;
  negotiation.prepare = [this, visible = std::move(visibleTrackIds),
                         prefetch = std::move(prefetchTrackIds)](Negotiation& self) {
    visible_ = visible;
    prefetch_ = prefetch;
    const auto listed = [](const std::vector<std::string>& list, const std::string& id) {
      return std::find(list.begin(), list.end(), id) != list.end();
    };
    bool changed = false;
    // Stop the viewport m-lines of tracks that left both lists (or that the
    // server no longer forwards).
    for (size_t i = 0; i < lines_.size(); ++i) {
      MediaTrack& track = tracks_[i];
      if (!track.viewport || lines_[i].stopped) continue;
      const bool keep =
          track.active && (listed(visible, track.trackId) || listed(prefetch, track.trackId));
      if (keep) {
        const bool prefetch = !listed(visible, track.trackId);
        if (prefetch != track.prefetch) {
          // A page flip: the track's tile appears or goes off screen.
          const int level = ViewportLevel(prefetch);
          if (level >= 0 && track.kind == "video") SetVideoLevel(track.trackId, level);
        }
        track.prefetch = prefetch;
        continue;
      }
      lines_[i].stopped = true;
      track.active = false;
      changed = true;
    }
    // Subscribe what no active m-line receives yet, visible tracks first.
    std::vector<std::string> wanted = visible;
    for (const auto& id : prefetch) {
      if (!listed(wanted, id)) wanted.push_back(id);
    }
    for (const auto& trackId : wanted) {
      const auto remote = remoteTracks_.find(trackId);
      if (remote == remoteTracks_.end() || SubscribedTrack(trackId)) continue;
      bool pending = false;  // added above in this loop (not active yet)
      for (size_t i = 0; i < lines_.size() && !pending; ++i) {
        pending = !lines_[i].stopped && !tracks_[i].sending && tracks_[i].trackId == trackId;
      }
      if (pending) continue;
      OfferMediaLine line;
      line.mid = NextMid();
      line.kind = remote->second.kind;
      line.direction = OfferMediaLine::Direction::kRecvOnly;
      MediaTrack track;
      track.trackId = trackId;
      track.viewport = true;
      track.prefetch = !listed(visible, trackId);
      const int level = line.kind == "video" ? ViewportLevel(track.prefetch) : -1;
      track.videoLevel = level;
      AddLine(line, track);
      self.subscribe[line.mid] =
          level < 0 ? Json(trackId) : Json{{"trackId", trackId}, {"level", level}};
      self.mids.push_back(line.mid);
      changed = true;
    }
    self.skip = !changed;
    return std::string();
  };
  negotiation.done = std::move(done);
  Enqueue(std::move(negotiation));
}

int WebRtcClient::ViewportLevel(bool prefetch) const {
  if (videoLevels_.empty()) return -1;
  const int level = prefetch ? options_.prefetchVideoLevel : options_.viewportVideoLevel;
  return std::min(level, static_cast<int>(videoLevels_.size()) - 1);
}

void WebRtcClient::Leave(Callback done) {
  if (left_) return done("");
  if (!signaling_.IsOpen()) return done("not connected");
  if (leaveDone_) return done("already leaving");
  leaveDone_ = std::move(done);
  signaling_.Send(Json{{"type", "leave"}});
  ArmLeaveTimer(options_.requestTimeout, "timeout waiting for `left`");
}

void WebRtcClient::ArmLeaveTimer(std::chrono::milliseconds timeout, const char* error) {
  std::weak_ptr<bool> alive = alive_;
  leaveTimer_.expires_after(timeout);
  leaveTimer_.async_wait([this, alive, error](const boost::system::error_code& ec) {
    if (ec || alive.expired() || !leaveDone_) return;
    auto pending = std::move(leaveDone_);
    leaveDone_ = nullptr;
    pending(error);
  });
}

void WebRtcClient::Enqueue(Negotiation negotiation) {
  negotiations_.push_back(std::move(negotiation));
  NegotiateNext();
}

void WebRtcClient::NegotiateNext() {
  if (negotiating_ || negotiations_.empty()) return;
  negotiating_ = true;
  Negotiation negotiation = std::move(negotiations_.front());
  negotiations_.pop_front();
  std::weak_ptr<bool> alive = alive_;
  auto finish = [this, alive, done = negotiation.done,
                 mids = negotiation.mids](const std::string& error) {
    if (alive.expired()) return;
    if (!error.empty()) {
      // The server did not take the new m-lines: keep them stopped so later
      // offers stay consistent.
      for (size_t i = 0; i < lines_.size(); ++i) {
        if (std::find(mids.begin(), mids.end(), lines_[i].mid) == mids.end()) continue;
        if (!tracks_[i].active) lines_[i].stopped = true;
      }
    }
    negotiating_ = false;
    if (done) done(error);
    if (!alive.expired()) NegotiateNext();
  };
  const std::string error = negotiation.prepare ? negotiation.prepare(negotiation) : std::string();
  if (!error.empty()) return finish(error);
  if (negotiation.skip) return finish("");
  if (!signaling_.IsOpen()) return finish("not connected");
  // Like a browser that created its data channel before this offer: the
  // application m-line joins it (a refusal does not fail the negotiation).
  AddApplicationLine(negotiation, /*required=*/false);

  OfferParameters parameters;
  parameters.iceUfrag = transport_->LocalUfrag();
  parameters.icePwd = transport_->LocalPassword();
  parameters.fingerprintSha256 = offeredFingerprint_;
  parameters.cname = cname_;
  parameters.streamId = streamId_;
  parameters.sessionId = sessionId_;
  parameters.sessionVersion = sessionVersion_++;
  parameters.payloadTypes = options_.payloadTypes;
  parameters.extensions = options_.extensions;
  parameters.longTermReferences = options_.longTermReferences;
  parameters.maxMessageSize = static_cast<uint32_t>(options_.sctp.maxMessageSize);
  Json offer{{"type", "offer"}, {"sdp", ClientOfferBuilder::Build(parameters, lines_)}};
  if (!negotiation.publish.empty()) offer["publish"] = negotiation.publish;
  if (!negotiation.subscribe.empty()) offer["subscribe"] = negotiation.subscribe;
  if (!negotiation.slots.empty()) offer["slots"] = negotiation.slots;
  signaling_.Request(std::move(offer), options_.requestTimeout,
                     [this, alive, finish, mids = negotiation.mids,
                      tolerate = negotiation.tolerateRejected](std::optional<Json> reply) {
                       if (alive.expired()) return;
                       if (!reply) return finish("timeout waiting for `answer`");
                       if (StringField(*reply, "type") != "answer")
                         return finish(ErrorText(*reply));
                       std::string error = ApplyAnswer(*reply);
                       for (size_t i = 0; error.empty() && i < tracks_.size(); ++i) {
                         if (!tracks_[i].rejected ||
                             std::find(mids.begin(), mids.end(), tracks_[i].mid) == mids.end()) {
                           continue;
                         }
                         if (tolerate) {
                           // What the SDK does with a refused subscription: stop it.
                           lines_[i].stopped = true;
                           continue;
                         }
                         error = "the server rejected mid " + tracks_[i].mid;
                         for (const auto& warning : warnings_) {
                           if (warning.mid == tracks_[i].mid)
                             error += " (" + warning.code + ": " + warning.message + ")";
                         }
                       }
                       finish(error);
                     });
}

std::string WebRtcClient::ApplyAnswer(const Json& reply) {
  const std::string sdp = StringField(reply, "sdp");
  std::string error;
  const auto answer = signaling::SessionDescription::Parse(sdp, &error);
  if (!answer) return "unparsable answer: " + error;
  lastAnswerSdp_ = sdp;
  std::vector<std::string> rejectedMids;
  if (const auto rejected = reply.find("rejected");
      rejected != reply.end() && rejected->is_array()) {
    for (const auto& mid : *rejected) {
      if (mid.is_string()) rejectedMids.push_back(mid.get<std::string>());
    }
  }
  warnings_.clear();
  if (const auto warnings = reply.find("warnings");
      warnings != reply.end() && warnings->is_array()) {
    for (const auto& warning : *warnings) {
      if (!warning.is_object()) continue;
      warnings_.push_back(AnswerWarning{StringField(warning, "mid"), StringField(warning, "code"),
                                        StringField(warning, "message")});
    }
  }
  const Json tracks = reply.contains("tracks") ? reply["tracks"] : Json::object();
  const signaling::SdpMediaSection* transportSection = nullptr;
  const signaling::SdpMediaSection* applicationSection = nullptr;
  for (size_t i = 0; i < lines_.size(); ++i) {
    MediaTrack& track = tracks_[i];
    if (lines_[i].stopped) {
      track.active = false;
      continue;
    }
    const signaling::SdpMediaSection* section = answer->FindMid(lines_[i].mid);
    const bool listedRejected =
        std::find(rejectedMids.begin(), rejectedMids.end(), track.mid) != rejectedMids.end();
    if (lines_[i].kind == "application") {
      ApplyApplicationAnswer(i, section, listedRejected);
      if (track.active && !applicationSection) applicationSection = section;
      continue;
    }
    if (!section || section->Rejected() || listedRejected) {
      track.active = false;
      track.rejected = true;
      continue;
    }
    if (!transportSection) transportSection = section;
    // The answer mirrors our direction: recvonly for what we publish,
    // sendonly for a bound subscription, inactive for an idle one.
    track.active = section->direction == (track.sending ? "recvonly" : "sendonly");
    if (!section->codecs.empty()) {
      const auto& codec = section->codecs.front();
      track.payloadType = codec.payloadType;
      track.rtxPayloadType = codec.rtxPayloadType.value_or(0);
      track.codecName = codec.name;
      track.clockRate = codec.clockRate;
    }
    track.extensions = ExtensionIdsOf(section->extensions);
    if (track.sending) {
      if (const auto id = tracks.find(track.mid); id != tracks.end() && id->is_string()) {
        track.trackId = id->get<std::string>();
      }
      continue;
    }
    // RFC 5576 4.2 / RFC 4588 8.6: FID pairs the media SSRC with its RTX SSRC.
    track.ssrc = section->ssrcs.empty() ? 0 : section->ssrcs.front();
    track.rtxSsrc = 0;
    for (const auto& group : section->ssrcGroups) {
      if (group.semantics == "FID" && group.ssrcs.size() == 2) {
        track.ssrc = group.ssrcs[0];
        track.rtxSsrc = group.ssrcs[1];
      }
    }
  }
  // With BUNDLE (RFC 8843) one extension has one id across the m-lines.
  receiveTransportCcId_ = 0;
  for (const auto& track : tracks_) {
    if (!track.sending && track.active && track.extensions.transportCc != 0) {
      receiveTransportCcId_ = track.extensions.transportCc;
      break;
    }
  }
  // BUNDLE: an answer that accepted only the data channel starts the
  // transport with its parameters.
  if (!transportSection) transportSection = applicationSection;
  if (transportSection && transport_->GetState() == ClientTransport::State::kNew) {
    ClientTransport::RemoteParameters remote;
    remote.iceUfrag = transportSection->iceUfrag;
    remote.icePwd = transportSection->icePwd;
    remote.fingerprintAlgorithm = transportSection->fingerprintAlgorithm;
    remote.fingerprint = transportSection->fingerprint;
    if (const auto candidate = FirstUdpCandidate(sdp)) {
      remote.candidate = *candidate;
    } else {
      boost::system::error_code ec;
      const auto address = boost::asio::ip::make_address(options_.host, ec);
      if (ec) return "the answer has no usable candidate";
      remote.candidate = boost::asio::ip::udp::endpoint(address, transportSection->port);
    }
    transport_->Start(std::move(remote));
  }
  return "";
}

void WebRtcClient::OnServerMessage(const Json& message) {
  if (options_.recordEvents) events_.push_back(message);
  const std::string type = StringField(message, "type");
  if (type == "roster") {
    ApplyRoster(message);
  } else if (type == "speakers") {
    ApplySpeakers(message);
  } else if (type == "tierPlan") {
    ApplyTierPlan(message);
  } else if (type == "left") {
    left_ = true;
    leftReason_ = StringField(message, "reason");
    // The server has dropped our transport already: no close_notify, which
    // would only arrive as a packet from an unknown endpoint.
    transport_->Close(/*notifyPeer=*/false);
    if (controlOpen_) ControlChannelLost("left the room");
    if (leaveDone_) {
      auto done = std::move(leaveDone_);
      leaveDone_ = nullptr;
      leaveTimer_.cancel();
      done("");
    }
  }
  if (onEvent_) onEvent_(message);
}

void WebRtcClient::ApplyRoster(const Json& message) {
  // A batch the snapshot (or an earlier batch) already contains.
  const uint64_t version = UnsignedField(message, "version");
  if (version <= rosterVersion_) return;
  rosterVersion_ = version;
  if (!options_.keepRoster) return;
  const auto each = [&message](const char* name, const auto& apply) {
    const auto list = message.find(name);
    if (list == message.end() || !list->is_array()) return;
    for (const auto& entry : *list) apply(entry);
  };
  // docs/protocol.md: joined, published, unpublished, left, in this order;
  // entries about ourselves are skipped.
  each("joined", [this](const Json& entry) {
    const std::string id = StringField(entry, "participantId");
    if (!id.empty() && id != participantId_) participants_[id] = StringField(entry, "name");
  });
  each("published", [this](const Json& entry) {
    const std::string id = StringField(entry, "participantId");
    const std::string trackId = StringField(entry, "trackId");
    if (id.empty() || id == participantId_ || trackId.empty()) return;
    remoteTracks_[trackId] =
        RemoteTrack{id, trackId, StringField(entry, "kind"), StringField(entry, "source")};
  });
  each("unpublished",
       [this](const Json& entry) { remoteTracks_.erase(StringField(entry, "trackId")); });
  each("left", [this](const Json& entry) {
    if (!entry.is_string()) return;
    const std::string id = entry.get<std::string>();
    participants_.erase(id);
    std::erase_if(remoteTracks_,
                  [&](const auto& track) { return track.second.participantId == id; });
  });
}

void WebRtcClient::ApplySpeakers(const Json& message) {
  const auto arrival = Clock::now();
  const auto slots = message.find("slots");
  if (slots == message.end() || !slots->is_array()) return;
  for (const auto& entry : *slots) {
    const auto slot = entry.find("slot");
    if (slot == entry.end() || !slot->is_number_unsigned()) continue;
    // Slot indices are below `audioSlots`; a bound guards the resize.
    const uint64_t index = slot->get<uint64_t>();
    if (index >= 1024) continue;
    if (speakers_.size() <= index) {
      const size_t before = speakers_.size();
      speakers_.resize(index + 1);
      for (size_t i = before; i < speakers_.size(); ++i) speakers_[i].slot = static_cast<int>(i);
    }
    speakers_[index] = SpeakerSlot{static_cast<int>(index), StringField(entry, "participantId"),
                                   StringField(entry, "trackId")};
  }
  if (onSpeakers_) onSpeakers_(speakers_, arrival);
}

void WebRtcClient::ApplyTierPlan(const Json& message) {
  ++tierPlansReceived_;
  TierPlan plan;
  plan.mid = StringField(message, "mid");
  plan.version = UnsignedField(message, "version");
  plan.receivedAt = Clock::now();
  const auto kept = tierPlans_.find(plan.mid);
  // docs/protocol.md: apply only the newest plan of a track.
  if (plan.mid.empty() || (kept != tierPlans_.end() && kept->second.version >= plan.version)) {
    return;
  }
  if (const auto encodings = message.find("encodings");
      encodings != message.end() && encodings->is_array()) {
    for (const auto& entry : *encodings) {
      if (!entry.is_object()) continue;
      TierPlanEncoding encoding;
      encoding.rid = StringField(entry, "rid");
      const auto active = entry.find("active");
      encoding.active = active != entry.end() && active->is_boolean() && active->get<bool>();
      encoding.scaleResolutionDownBy = NumberField(entry, "scaleResolutionDownBy");
      encoding.maxBitrate = static_cast<uint64_t>(std::max(0.0, NumberField(entry, "maxBitrate")));
      encoding.maxFramerate = NumberField(entry, "maxFramerate");
      plan.encodings.push_back(std::move(encoding));
    }
  }
  tierPlans_[plan.mid] = std::move(plan);
}

const WebRtcClient::TierPlan* WebRtcClient::TierPlanFor(const std::string& mid) const {
  const auto it = tierPlans_.find(mid);
  return it == tierPlans_.end() ? nullptr : &it->second;
}

const WebRtcClient::TierPlanEncoding* WebRtcClient::TierPlan::Encoding(
    const std::string& rid) const {
  for (const auto& encoding : encodings) {
    if (encoding.rid == rid) return &encoding;
  }
  return nullptr;
}

size_t WebRtcClient::TierPlan::ActiveCount() const {
  return static_cast<size_t>(std::count_if(encodings.begin(), encodings.end(),
                                           [](const auto& encoding) { return encoding.active; }));
}

void WebRtcClient::SetRtpHandler(std::function<void(rtp::RtpPacket&)> handler) {
  if (transportFeedback_) {
    onRtp_ = std::move(handler);  // behind the recorder installed at construction
    return;
  }
  transport_->SetRtpHandler(std::move(handler));
}

void WebRtcClient::RecordTransportSequence(const rtp::RtpPacket& packet) {
  if (receiveTransportCcId_ == 0) return;
  // Probes (padding only, on an RTX SSRC) count as much as media: their
  // arrival spacing is what the server's probe measures.
  const auto sequence =
      rtp::ReadTransportSequenceNumber(packet.GetExtension(receiveTransportCcId_));
  if (!sequence) return;
  transportFeedback_->OnPacket(packet.Ssrc(), *sequence, packet.Size(), transport_->LastArrival());
  if (!feedbackTimerRunning_) ScheduleTransportFeedback();
}

void WebRtcClient::ScheduleTransportFeedback() {
  feedbackTimerRunning_ = true;
  std::weak_ptr<bool> alive = alive_;
  feedbackTimer_.expires_after(transportFeedback_->Interval());
  feedbackTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    feedbackTimerRunning_ = false;
    if (!transport_->IsConnected()) return;  // the next packet restarts it
    transportFeedback_->OnTimer(Clock::now());
    ScheduleTransportFeedback();
  });
}

void WebRtcClient::SetRtcpHandler(std::function<void(std::span<uint8_t>)> handler) {
  onRtcp_ = std::move(handler);
  InstallRtcpHandler();
}

void WebRtcClient::SetKeyFrameRequestHandler(std::function<void(uint32_t mediaSsrc)> handler) {
  onKeyFrameRequest_ = std::move(handler);
  InstallRtcpHandler();
}

void WebRtcClient::SetLtrMessageHandler(std::function<void(const rtp::Rpsi::LtrMessage&)> handler) {
  onLtrMessage_ = std::move(handler);
  InstallRtcpHandler();
}

bool WebRtcClient::SendLtrAcknowledgement(const MediaTrack& received, uint16_t frameId) {
  if (received.sending || !received.active || received.extensions.dependencyDescriptor == 0 ||
      received.ssrc == 0) {
    return false;
  }
  rtp::Rpsi::LtrMessage message;
  message.senderSsrc = rtcpSsrc_;
  message.mediaSsrc = received.ssrc;
  message.payloadType = received.payloadType;
  message.kind = rtp::Rpsi::LtrKind::kAcknowledged;
  message.frameId = frameId;
  std::array<uint8_t, rtp::Rpsi::kLtrSize> packet{};
  const size_t length = rtp::Rpsi::SerializeLtr(message, packet);
  return length != 0 && transport_->SendRtcp(std::span<const uint8_t>(packet.data(), length));
}

void WebRtcClient::InstallRtcpHandler() {
  if (!onKeyFrameRequest_ && !onLtrMessage_) {
    // As before key frame requests were looked for: straight to the caller.
    transport_->SetRtcpHandler(onRtcp_);
    return;
  }
  transport_->SetRtcpHandler([this](std::span<uint8_t> datagram) {
    if (const auto compound = rtp::RtcpCompound::Parse(datagram)) {
      for (const rtp::RtcpHeader header : *compound) {
        if (header.PacketType() != rtp::RtcpHeader::kPayloadFeedback) continue;
        if (header.CountOrFormat() == rtp::RtcpHeader::kFmtPli) {
          if (const auto pli = rtp::Pli::Parse(header.Packet()); pli && onKeyFrameRequest_) {
            onKeyFrameRequest_(pli->MediaSsrc());
          }
        } else if (header.CountOrFormat() == rtp::RtcpHeader::kFmtFir) {
          const auto fir = rtp::Fir::Parse(header.Packet());
          for (size_t i = 0; fir && onKeyFrameRequest_ && i < fir->EntryCount(); ++i) {
            onKeyFrameRequest_(fir->EntryAt(i).ssrc);
          }
        } else if (header.CountOrFormat() == rtp::RtcpHeader::kFmtRpsi) {
          // docs/protocol.md "Long-term references"; other RPSI bit strings
          // are not ours and are left to the RTCP handler.
          if (const auto message = rtp::Rpsi::ParseLtr(header.Packet()); message && onLtrMessage_) {
            onLtrMessage_(*message);
          }
        }
      }
    }
    if (onRtcp_) onRtcp_(datagram);
  });
}

const WebRtcClient::MediaTrack* WebRtcClient::PublishedTrack(const std::string& kind) const {
  for (const auto& track : tracks_) {
    if (track.sending && track.active && track.kind == kind) return &track;
  }
  return nullptr;
}

const WebRtcClient::MediaTrack* WebRtcClient::SubscribedTrack(const std::string& trackId) const {
  for (const auto& track : tracks_) {
    if (!track.sending && track.active && !trackId.empty() && track.trackId == trackId) {
      return &track;
    }
  }
  return nullptr;
}

const WebRtcClient::MediaTrack* WebRtcClient::ReceivingTrackBySsrc(uint32_t ssrc) const {
  if (ssrc == 0) return nullptr;
  for (const auto& track : tracks_) {
    if (!track.sending && track.active && (track.ssrc == ssrc || track.rtxSsrc == ssrc)) {
      return &track;
    }
  }
  return nullptr;
}

const WebRtcClient::MediaTrack* WebRtcClient::SlotTrack(int slot) const {
  for (const auto& track : tracks_) {
    if (!track.sending && track.active && track.slot == slot && slot >= 0) return &track;
  }
  return nullptr;
}

std::vector<const WebRtcClient::MediaTrack*> WebRtcClient::SlotTracks() const {
  std::vector<const MediaTrack*> slots;
  for (const auto& track : tracks_) {
    if (!track.sending && track.active && track.slot >= 0) slots.push_back(&track);
  }
  std::sort(slots.begin(), slots.end(),
            [](const MediaTrack* a, const MediaTrack* b) { return a->slot < b->slot; });
  return slots;
}

SyntheticMediaSource::Config WebRtcClient::SourceConfigFor(const MediaTrack& published,
                                                           uint32_t seed,
                                                           const std::string& rid) const {
  SyntheticMediaSource::Config config;
  config.video = published.kind == "video";
  config.ssrc = published.ssrc;
  for (const auto& stream : published.simulcast) {
    if (stream.rid != rid) continue;
    config.ssrc = stream.ssrc;
    config.rid = rid;
    config.ridId = published.extensions.rtpStreamId;
  }
  config.payloadType = published.payloadType;
  config.clockRate =
      published.clockRate != 0 ? published.clockRate : (config.video ? 90000 : 48000);
  config.midId = published.extensions.mid;
  config.mid = published.mid;
  config.transportCcId = published.extensions.transportCc;
  config.absSendTimeId = published.extensions.absSendTime;
  config.audioLevelId = config.video ? 0 : published.extensions.audioLevel;
  config.seed = seed;
  // RFC 3550 5.1: random initial sequence number and timestamp.
  std::mt19937 random(seed ^ published.ssrc);
  config.firstSequenceNumber = static_cast<uint16_t>(random());
  config.firstTimestamp = random();
  if (!config.video) {
    // Opus at 32-64 kbit/s in 20 ms packets.
    config.minPayloadSize = 80;
    config.maxPayloadSize = 160;
  }
  return config;
}

// ---- The control data channel (docs/protocol.md "Data channel") ----

bool WebRtcClient::AddApplicationLine(Negotiation& negotiation, bool required) {
  if (!options_.controlChannel) return false;
  for (const auto& line : lines_) {
    if (line.kind == "application") return false;
  }
  OfferMediaLine line;
  line.mid = NextMid();
  line.kind = "application";
  line.direction = OfferMediaLine::Direction::kRecvOnly;  // not "sending" media
  AddLine(line, MediaTrack{});
  if (required) negotiation.mids.push_back(line.mid);
  return true;
}

void WebRtcClient::NegotiateControlChannel(Callback done) {
  if (!options_.controlChannel) return done("Options::controlChannel is off");
  Negotiation negotiation;
  negotiation.prepare = [this](Negotiation& self) {
    self.skip = !AddApplicationLine(self, /*required=*/true);
    return std::string();
  };
  negotiation.done = std::move(done);
  Enqueue(std::move(negotiation));
}

void WebRtcClient::ApplyApplicationAnswer(size_t index, const signaling::SdpMediaSection* section,
                                          bool listedRejected) {
  MediaTrack& track = tracks_[index];
  if (!section || section->Rejected() || listedRejected || section->protocol != "UDP/DTLS/SCTP") {
    // RFC 8841 / RFC 3264 6: port 0 refuses it; it keeps its place stopped.
    track.active = false;
    track.rejected = true;
    lines_[index].stopped = true;
    controlNegotiated_ = false;
    return;
  }
  track.active = true;
  track.rejected = false;
  controlNegotiated_ = true;
  // RFC 8841 5 and 6: 5000 without a=sctp-port; 64 KiB without
  // a=max-message-size, 0 in it meaning no limit.
  remoteSctpPort_ = section->sctpPort;
  remoteMaxMessageSize_ = section->hasMaxMessageSize ? section->maxMessageSize : 0;
  if (dataChannelsEnabled_) return;  // negotiated before; SCTP runs already
  server::transport::SctpAssociation::Options sctp = options_.sctp;
  sctp.localPort = server::transport::SctpAssociation::kDefaultPort;  // what we offered
  sctp.remotePort =
      remoteSctpPort_ != 0 ? remoteSctpPort_ : server::transport::SctpAssociation::kDefaultPort;
  sctp.remoteMaxMessageSize = section->hasMaxMessageSize ? section->maxMessageSize : 64 * 1024;
  if (!transport_->EnableDataChannels(sctp, *this)) {
    controlError_ = "the transport cannot run data channels (failed or closed)";
    return;
  }
  dataChannelsEnabled_ = true;
  sctpTimers_ = SctpTimerDriver::Acquire(context_);
}

bool WebRtcClient::ControlChannelOpen() const {
  return controlOpen_ && transport_ && transport_->Sctp() != nullptr;
}

void WebRtcClient::OnSctpSendPacket(std::span<const uint8_t> /*packet*/) {
  // ClientTransport sends the packets; it never forwards them here.
}

void WebRtcClient::OnSctpAssociationUp() {
  server::transport::SctpAssociation* sctp = transport_->Sctp();
  if (!sctp || controlStreamId_) return;
  // docs/protocol.md: `myriad-control`, no subprotocol, reliable, unordered
  // (a browser's createDataChannel("myriad-control", {ordered: false})).
  server::transport::SctpAssociation::DataChannelOptions channel;
  channel.ordered = options_.controlChannelOrdered;
  controlStreamId_ = sctp->OpenDataChannel("myriad-control", "", channel);
  if (!controlStreamId_) {
    controlError_ = "SCTP refused to open the control channel";
    return;
  }
  controlOpen_ = true;
  controlError_.clear();
  if (onControlChannel_) onControlChannel_(true);
}

void WebRtcClient::OnSctpAssociationFailed(std::string_view reason) {
  ControlChannelLost("SCTP failed: " + std::string(reason));
}

void WebRtcClient::OnSctpAssociationClosed() { ControlChannelLost("the server shut SCTP down"); }

void WebRtcClient::OnDataChannelOpen(uint16_t /*streamId*/, std::string_view /*label*/,
                                     std::string_view /*protocol*/) {
  // The server opens no channels of its own; one it did would simply stay
  // unused (its messages land in OnDataChannelMessage and are ignored).
}

void WebRtcClient::OnDataChannelClosed(uint16_t streamId) {
  if (controlStreamId_ && streamId == *controlStreamId_) {
    ControlChannelLost("the control channel was closed");
  }
}

void WebRtcClient::ControlChannelLost(const std::string& reason) {
  const bool wasOpen = controlOpen_;
  controlOpen_ = false;
  if (controlError_.empty()) controlError_ = reason;
  controlCopies_.clear();
  FailControlRequests();
  if (wasOpen && onControlChannel_) onControlChannel_(false);
}

void WebRtcClient::FailControlRequests() {
  auto pending = std::move(controlRequests_);
  controlRequests_.clear();
  for (auto& [id, request] : pending) {
    request.timer->cancel();
    if (request.done) request.done(std::nullopt);
  }
}

void WebRtcClient::OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> bytes,
                                        bool binary) {
  if (!controlStreamId_ || streamId != *controlStreamId_) return;
  // docs/protocol.md: one JSON text message per SCTP message.
  const std::string text(bytes.begin(), bytes.end());
  Json message = binary ? Json(Json::value_t::discarded)
                        : Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object()) {
    ++controlCounters_.malformedReceived;
    return;
  }
  const auto seq = message.find("seq");
  if (seq == message.end()) {
    HandleControlMessage(std::move(message));  // unnumbered: as it comes
    return;
  }
  if (!seq->is_number_unsigned() || seq->get<uint64_t>() == 0) {
    ++controlCounters_.malformedReceived;
    return;
  }
  const auto flag = message.find("unordered");
  const bool unordered = flag != message.end() && flag->is_boolean() && flag->get<bool>();
  const uint64_t number = seq->get<uint64_t>();
  auto received = controlSequencer_.Receive(number, text, unordered);
  if (received.duplicate) ++controlCounters_.duplicatesReceived;
  if (received.overflow) {
    // A peer that skips numbers: the protocol resets the channel.
    ++controlCounters_.sequenceOverflows;
    if (server::transport::SctpAssociation* sctp = transport_->Sctp()) {
      sctp->CloseDataChannel(*controlStreamId_);
    }
    ControlChannelLost("the control channel's sequence overflowed");
    return;
  }
  std::weak_ptr<bool> alive = alive_;
  // This message is usually the one handed over: parsed once, above. A
  // held-back one comes back as its text.
  std::optional<Json> parsed(std::move(message));
  for (size_t i = 0; i < received.ready.size(); ++i) {
    Json next;
    if (received.readySeqs[i] == number && parsed) {
      next = std::move(*parsed);
      parsed.reset();
    } else {
      next = Json::parse(received.ready[i], nullptr, /*allow_exceptions=*/false);
    }
    if (next.is_discarded()) continue;  // parsed once already
    HandleControlMessage(std::move(next));
    if (alive.expired()) return;
  }
}

void WebRtcClient::HandleControlMessage(Json message) {
  ++controlCounters_.messagesReceived;
  // The same objects as on the WebSocket: "seq" is the channel's own.
  message.erase("seq");
  if (const auto id = message.find("id"); id != message.end() && id->is_number_integer()) {
    const auto it = controlRequests_.find(id->get<int64_t>());
    if (it != controlRequests_.end()) {
      auto done = std::move(it->second.done);
      it->second.timer->cancel();
      controlRequests_.erase(it);
      ++controlCounters_.repliesReceived;
      if (done) done(std::move(message));
      return;
    }
  }
  OnServerMessage(message);
}

bool WebRtcClient::SendControlText(const std::string& text) {
  server::transport::SctpAssociation* sctp = transport_->Sctp();
  if (!sctp || !controlStreamId_) return false;
  const auto* data = reinterpret_cast<const uint8_t*>(text.data());
  const auto result = sctp->Send(*controlStreamId_, std::span<const uint8_t>(data, text.size()),
                                 /*binary=*/false);
  using SendResult = server::transport::SctpAssociation::SendResult;
  if (result == SendResult::kSent || result == SendResult::kQueued) return true;
  ++controlCounters_.sendFailures;
  return false;
}

bool WebRtcClient::SendControl(const Json& message) {
  if (!ControlChannelOpen() || !message.is_object()) return false;
  Json numbered = message;
  numbered["seq"] = controlSequencer_.NextToSend();
  const std::string text = numbered.dump();
  if (!SendControlText(text)) return false;
  ++controlCounters_.messagesSent;
  if (options_.controlCopyDelay.count() > 0) {
    // docs/protocol.md: the copy follows 10 ms later, so a loss costs about
    // that instead of an SCTP retransmission timeout.
    controlCopies_.push_back(ControlCopy{Clock::now() + options_.controlCopyDelay, text});
    if (!controlCopyTimerRunning_) ScheduleControlCopies();
  }
  return true;
}

void WebRtcClient::ScheduleControlCopies() {
  if (controlCopies_.empty()) {
    controlCopyTimerRunning_ = false;
    return;
  }
  controlCopyTimerRunning_ = true;
  std::weak_ptr<bool> alive = alive_;
  controlCopyTimer_.expires_at(controlCopies_.front().due);
  controlCopyTimer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    const auto now = Clock::now();
    while (!controlCopies_.empty() && controlCopies_.front().due <= now) {
      if (ControlChannelOpen() && SendControlText(controlCopies_.front().text)) {
        ++controlCounters_.copiesSent;
      }
      controlCopies_.pop_front();
    }
    ScheduleControlCopies();
  });
}

void WebRtcClient::RequestControl(Json message, std::chrono::milliseconds timeout,
                                  SignalingClient::ReplyHandler done) {
  const int64_t id = nextControlRequestId_++;
  message["id"] = id;
  std::weak_ptr<bool> alive = alive_;
  if (!SendControl(message)) {
    // Asynchronous like a reply, so callers see one behaviour.
    boost::asio::post(context_, [alive, done = std::move(done)] {
      if (!alive.expired() && done) done(std::nullopt);
    });
    return;
  }
  auto timer = std::make_unique<boost::asio::steady_timer>(context_, timeout);
  timer->async_wait([this, alive, id](const boost::system::error_code& ec) {
    if (ec || alive.expired()) return;
    const auto it = controlRequests_.find(id);
    if (it == controlRequests_.end()) return;
    auto handler = std::move(it->second.done);
    controlRequests_.erase(it);
    if (handler) handler(std::nullopt);
  });
  controlRequests_.emplace(id, PendingControlRequest{std::move(done), std::move(timer)});
}

}  // namespace myriad::loadtest
