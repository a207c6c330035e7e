#include "config/ServerConfig.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "config/ConfigOptionTable.h"

// The build passes the absolute path of the source tree's web/ folder; the fallback (relative to
// the working directory) keeps the library usable when built outside the main CMake project.
#ifndef MYRIAD_DEFAULT_WEB_ROOT
#define MYRIAD_DEFAULT_WEB_ROOT "web"
#endif

namespace myriad::config {

namespace {

// Mirrors the table's range for media.workers so a resolved config still validates.
constexpr unsigned kMaxResolvedWorkers = 256;

constexpr std::array kRoomOverrideFields{
    RoomOverrideField{"max_participants", &RoomOverride::maxParticipants,
                      &RoomLimits::maxParticipants},
    RoomOverrideField{"max_publishers", &RoomOverride::maxPublishers, &RoomLimits::maxPublishers},
    RoomOverrideField{"audio_slots", &RoomOverride::audioSlots, &RoomLimits::audioSlots},
};

}  // namespace

std::span<const RoomOverrideField> ServerConfig::RoomOverrideFields() {
  return kRoomOverrideFields;
}

nlohmann::json ServerConfig::ToJson() const {
  nlohmann::json root = nlohmann::json::object();
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    nlohmann::json& slot = root[std::string(option.section)][std::string(option.key)];
    if (option.kind == ConfigValueKind::Boolean) {
      slot = option.getInteger(*this) != 0;
    } else if (option.kind == ConfigValueKind::Integer) {
      slot = option.getInteger(*this);
    } else {
      slot = option.getString(*this);
    }
  }
  nlohmann::json& ladder =
      root[std::string(SimulcastSettings::kSection)][std::string(SimulcastSettings::kLadderKey)];
  ladder = nlohmann::json::array();
  for (const simulcast::SimulcastLadder::LevelSpec& level : simulcast.ladder.Levels()) {
    nlohmann::json entry = nlohmann::json::object();
    for (const SimulcastLevelField& field : SimulcastSettings::LevelFields()) {
      entry[std::string(field.key)] = field.get(level);
    }
    ladder.push_back(std::move(entry));
  }
  nlohmann::json& keys = root["auth"][std::string(AuthConfig::kKeysKey)];
  keys = nlohmann::json::object();
  for (const auto& [id, secret] : auth.keys) keys[id] = secret;
  nlohmann::json& overrides = root[std::string(kRoomOverridesKey)];
  overrides = nlohmann::json::object();
  for (const auto& [room, roomOverride] : roomOverrides) {
    nlohmann::json& entry = overrides[room];
    entry = nlohmann::json::object();
    for (const RoomOverrideField& field : kRoomOverrideFields) {
      if (const auto& value = roomOverride.*field.value) entry[std::string(field.key)] = *value;
    }
  }
  return root;
}

nlohmann::json ServerConfig::ToRedactedJson() const {
  nlohmann::json root = ToJson();
  for (auto& [id, secret] : root["auth"][std::string(AuthConfig::kKeysKey)].items()) {
    secret =
        "<redacted: " + std::to_string(secret.get_ref<const std::string&>().size()) + " bytes>";
  }
  return root;
}

RoomLimits ServerConfig::LimitsFor(const std::string& room) const {
  RoomLimits limits{rooms.maxParticipants, rooms.maxPublishers, rooms.audioSlots};
  if (const auto it = roomOverrides.find(room); it != roomOverrides.end()) {
    for (const RoomOverrideField& field : kRoomOverrideFields) {
      if (const auto& value = it->second.*field.value) limits.*field.limit = *value;
    }
  }
  return limits;
}

ServerConfig ServerConfig::Resolved() const {
  ServerConfig resolved = *this;
  if (resolved.http.webRoot.empty()) resolved.http.webRoot = MYRIAD_DEFAULT_WEB_ROOT;
  if (resolved.media.workers == 0) {
    // hardware_concurrency() may return 0 when the count is unknown.
    resolved.media.workers =
        std::clamp(std::thread::hardware_concurrency(), 1u, kMaxResolvedWorkers);
  }
  if (resolved.media.announcedAddress.empty()) {
    resolved.media.announcedAddress = resolved.media.listenAddress;
  }
  return resolved;
}

}  // namespace myriad::config
