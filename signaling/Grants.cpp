#include "signaling/Grants.h"

#include <array>
#include <nlohmann/json.hpp>

namespace myriad::signaling {
namespace {

// The claim names, in the order ToJson and ToList write them.
struct GrantField {
  std::string_view name;
  bool Grants::*value;
};

constexpr std::array kFields{
    GrantField{"join", &Grants::join},
    GrantField{"publishAudio", &Grants::publishAudio},
    GrantField{"publishVideo", &Grants::publishVideo},
    GrantField{"publishScreen", &Grants::publishScreen},
    GrantField{"subscribe", &Grants::subscribe},
    GrantField{"admin", &Grants::admin},
};

}  // namespace

Grants Grants::DefaultParticipant() {
  Grants grants;
  grants.join = true;
  grants.publishAudio = true;
  grants.publishVideo = true;
  grants.publishScreen = true;
  grants.subscribe = true;
  return grants;
}

bool Grants::AllowsPublish(std::string_view kind, std::string_view source) const {
  if (source == "screen" || source == "screen_audio") return publishScreen;
  if (kind == "audio") return publishAudio;
  if (kind == "video") return publishVideo;
  return false;
}

bool Grants::Allows(AdminAction action) const {
  switch (action) {
    case AdminAction::MuteParticipant:
    case AdminAction::RemoveParticipant:
    case AdminAction::LowerHand:
      return admin;
  }
  return false;
}

nlohmann::json Grants::ToJson() const {
  nlohmann::json json = nlohmann::json::object();
  for (const GrantField& field : kFields) json[std::string(field.name)] = this->*field.value;
  return json;
}

std::optional<Grants> Grants::FromJson(const nlohmann::json& json) {
  if (!json.is_object()) return std::nullopt;
  Grants grants;
  for (const GrantField& field : kFields) {
    const auto it = json.find(field.name);
    if (it == json.end()) continue;
    if (!it->is_boolean()) return std::nullopt;
    grants.*field.value = it->get<bool>();
  }
  return grants;
}

std::optional<Grants> Grants::FromList(std::string_view list, std::string* error) {
  Grants grants;
  bool any = false;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view word = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (word == "publish") {
      grants.publishAudio = grants.publishVideo = grants.publishScreen = true;
    } else if (word == "all") {
      grants = DefaultParticipant();
      grants.admin = true;
    } else {
      bool known = false;
      for (const GrantField& field : kFields) {
        if (field.name == word) {
          grants.*field.value = true;
          known = true;
        }
      }
      if (!known) {
        if (error) {
          *error = "unknown grant \"" + std::string(word) +
                   "\" (join, publish, publishAudio, publishVideo, publishScreen, subscribe, "
                   "admin, all)";
        }
        return std::nullopt;
      }
    }
    any = true;
  }
  if (!any) {
    if (error) *error = "the grant list is empty";
    return std::nullopt;
  }
  return grants;
}

std::string Grants::ToList() const {
  std::string list;
  for (const GrantField& field : kFields) {
    if (!(this->*field.value)) continue;
    if (!list.empty()) list += ',';
    list += field.name;
  }
  return list;
}

}  // namespace myriad::signaling
