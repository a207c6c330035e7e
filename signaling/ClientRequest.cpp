#include "signaling/ClientRequest.h"

namespace myriad::signaling {
namespace {

RequestError Error(std::string code, std::string message, const nlohmann::json& id) {
  return RequestError{std::move(code), std::move(message), id};
}

}  // namespace

bool ClientRequestParser::IsValidRoomName(std::string_view room) {
  if (room.empty() || room.size() > 128) return false;
  for (const char c : room) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool ClientRequestParser::IsValidDisplayName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;  // no control characters in a roster
  }
  return true;
}

std::variant<ClientRequest, RequestError> ClientRequestParser::Parse(std::string_view text) {
  nlohmann::json message = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object()) {
    return Error("bad_json", "the frame is not a JSON object", nullptr);
  }
  nlohmann::json id = nullptr;
  if (auto it = message.find("id"); it != message.end()) {
    if (!it->is_string() && !it->is_number()) {
      return Error("bad_message", "\"id\" must be a string or a number", nullptr);
    }
    id = *it;
  }
  const auto type = message.find("type");
  if (type == message.end() || !type->is_string()) {
    return Error("bad_message", "missing string field \"type\"", id);
  }
  const auto& typeName = type->get_ref<const std::string&>();

  auto stringField = [&](const char* name, bool required,
                         std::string& out) -> std::optional<RequestError> {
    const auto it = message.find(name);
    if (it == message.end()) {
      if (required) return Error("bad_message", std::string("missing field \"") + name + "\"", id);
      return std::nullopt;
    }
    if (!it->is_string()) {
      return Error("bad_message", std::string("\"") + name + "\" must be a string", id);
    }
    out = it->get<std::string>();
    return std::nullopt;
  };

  if (typeName == "join") {
    JoinRequest join;
    if (auto e = stringField("room", true, join.room)) return *e;
    if (auto e = stringField("token", false, join.token)) return *e;
    // With a token the name may come from it (AccessPolicy::Admit); without one it must be here.
    if (auto e = stringField("name", join.token.empty(), join.name)) return *e;
    if (!IsValidRoomName(join.room)) {
      return Error("bad_room", "room must be 1-128 characters of [A-Za-z0-9_.-]", id);
    }
    if ((!join.name.empty() || join.token.empty()) && !IsValidDisplayName(join.name)) {
      return Error("bad_name", "name must be 1-64 characters without control characters", id);
    }
    return ClientRequest{id, std::move(join)};
  }
  if (typeName == "offer") {
    OfferRequest offer;
    if (auto e = stringField("sdp", true, offer.sdp)) return *e;
    if (auto it = message.find("publish"); it != message.end()) {
      if (!it->is_object()) return Error("bad_message", "\"publish\" must be an object", id);
      for (const auto& [mid, info] : it->items()) {
        PublishInfo publish;
        if (!info.is_object()) {
          return Error("bad_message", "\"publish\" entries must be objects", id);
        }
        if (auto source = info.find("source"); source != info.end()) {
          if (!source->is_string()) return Error("bad_message", "\"source\" must be a string", id);
          publish.source = source->get<std::string>();
          if (publish.source != "camera" && publish.source != "microphone" &&
              publish.source != "screen" && publish.source != "screen_audio") {
            return Error("bad_message", "unknown source \"" + publish.source + "\"", id);
          }
        }
        if (auto priority = info.find("priority"); priority != info.end()) {
          if (!priority->is_boolean()) {
            return Error("bad_message", "\"priority\" must be a boolean", id);
          }
          publish.priority = priority->get<bool>();
        }
        // Simulcast fields: small positive integers (tiers 1-4, sizes up
        // to 16384, the largest an H.264 SPS or VP8 header can state).
        const std::pair<const char*, int*> sizes[] = {
            {"tiers", &publish.tiers}, {"width", &publish.width}, {"height", &publish.height}};
        for (const auto& [name, out] : sizes) {
          const auto field = info.find(name);
          if (field == info.end()) continue;
          const int max = std::string_view(name) == "tiers" ? 4 : 16384;
          if (!field->is_number_unsigned() || field->get<uint64_t>() < 1 ||
              field->get<uint64_t>() > static_cast<uint64_t>(max)) {
            return Error(
                "bad_message",
                std::string("\"") + name + "\" must be an integer 1.." + std::to_string(max), id);
          }
          *out = static_cast<int>(field->get<uint64_t>());
        }
        offer.publish.emplace(mid, std::move(publish));
      }
    }
    if (auto it = message.find("subscribe"); it != message.end()) {
      if (!it->is_object()) return Error("bad_message", "\"subscribe\" must be an object", id);
      for (const auto& [mid, track] : it->items()) {
        SubscribeInfo info;
        if (track.is_string()) {
          info.trackId = track.get<std::string>();
        } else if (track.is_object() && track.contains("trackId") && track["trackId"].is_string()) {
          info.trackId = track["trackId"].get<std::string>();
          if (auto level = track.find("level"); level != track.end()) {
            if (!level->is_number_unsigned() || level->get<uint64_t>() > kMaxVideoLevel) {
              return Error(
                  "bad_message",
                  "\"level\" must be a video level index 0.." + std::to_string(kMaxVideoLevel), id);
            }
            info.level = static_cast<int>(level->get<uint64_t>());
          }
        } else {
          return Error("bad_message",
                       "\"subscribe\" values must be track ids or {\"trackId\", \"level\"}", id);
        }
        offer.subscribe.emplace(mid, std::move(info));
      }
    }
    if (auto it = message.find("slots"); it != message.end()) {
      if (!it->is_object()) return Error("bad_message", "\"slots\" must be an object", id);
      for (const auto& [mid, slot] : it->items()) {
        // The room checks the upper bound (its audio slot count).
        if (!slot.is_number_unsigned() || slot.get<uint64_t>() > 0xffff) {
          return Error("bad_message", "\"slots\" values must be slot indexes", id);
        }
        offer.slots.emplace(mid, static_cast<uint32_t>(slot.get<uint64_t>()));
      }
    }
    return ClientRequest{id, std::move(offer)};
  }
  if (typeName == "rosterPage") {
    RosterPageRequest page;
    const auto it = message.find("cursor");
    if (it == message.end() || !it->is_string()) {
      return Error("bad_cursor", "\"cursor\" must be the rosterNext string of the last page", id);
    }
    page.cursor = it->get<std::string>();
    return ClientRequest{id, std::move(page)};
  }
  if (typeName == "leave") return ClientRequest{id, LeaveRequest{}};
  if (typeName == "setVideoLevel") {
    SetVideoLevelRequest request;
    if (auto e = stringField("mid", true, request.mid)) return *e;
    const auto level = message.find("level");
    if (level == message.end() || !level->is_number_unsigned() ||
        level->get<uint64_t>() > kMaxVideoLevel) {
      return Error("bad_message",
                   "\"level\" must be a video level index 0.." + std::to_string(kMaxVideoLevel),
                   id);
    }
    request.level = static_cast<int>(level->get<uint64_t>());
    return ClientRequest{id, std::move(request)};
  }
  using Action = ControlRequest::Action;
  const auto boolField = [&](const char* name, bool fallback,
                             bool& out) -> std::optional<RequestError> {
    const auto it = message.find(name);
    if (it == message.end()) {
      out = fallback;
      return std::nullopt;
    }
    if (!it->is_boolean()) {
      return Error("bad_message", std::string("\"") + name + "\" must be a boolean", id);
    }
    out = it->get<bool>();
    return std::nullopt;
  };
  ControlRequest control;
  if (typeName == "mute") {
    bool muted = true;
    if (auto e = stringField("trackId", true, control.trackId)) return *e;
    if (!message.contains("muted")) return Error("bad_message", "missing field \"muted\"", id);
    if (auto e = boolField("muted", true, muted)) return *e;
    control.action = muted ? Action::kMute : Action::kUnmute;
    return ClientRequest{id, std::move(control)};
  }
  if (typeName == "hostMute" || typeName == "unlockMute" || typeName == "requestUnmute") {
    if (auto e = stringField("trackId", true, control.trackId)) return *e;
    if (typeName == "hostMute") {
      control.action = Action::kHostMute;
      if (auto e = boolField("lock", false, control.lock)) return *e;
    } else {
      control.action = typeName == "unlockMute" ? Action::kUnlockMute : Action::kRequestUnmute;
    }
    return ClientRequest{id, std::move(control)};
  }
  if (typeName == "kick" || typeName == "lowerHand") {
    if (auto e = stringField("participantId", true, control.participantId)) return *e;
    control.action = typeName == "kick" ? Action::kKick : Action::kLowerOthersHand;
    return ClientRequest{id, std::move(control)};
  }
  if (typeName == "raiseHand") {
    bool raised = true;
    if (auto e = boolField("raised", true, raised)) return *e;
    control.action = raised ? Action::kRaiseHand : Action::kLowerHand;
    return ClientRequest{id, std::move(control)};
  }
  if (typeName == "sync") {
    control.action = Action::kSync;
    return ClientRequest{id, std::move(control)};
  }
  return Error("unknown_type", "unknown message type \"" + typeName + "\"", id);
}

}  // namespace myriad::signaling
