#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/ServerConfig.h"

namespace myriad::config {

// Exactly one of the two is set: a config, or a one-line error naming the offending key path,
// environment variable or file.
struct ConfigResult {
  std::optional<ServerConfig> config;
  std::string error;
};

// Builds the server config in three steps: built-in defaults, then the JSON file (keys it omits
// keep their defaults), then MYRIAD_<SECTION>_<KEY> environment overrides, then cross-option
// validation. Every key and variable is checked against ConfigOptionTable, so a typo is an error
// rather than a silently ignored setting. The one option outside the table, the room_overrides
// object, is checked key by key against the rooms.* rows it overrides; MYRIAD_ROOM_OVERRIDES
// (the same object as JSON text) replaces the file's.
class ConfigLoader {
 public:
  // The environment variable holding the config file path; reserved, never an option override.
  static constexpr std::string_view kConfigPathVariable = "MYRIAD_CONFIG";

  static ServerConfig Defaults();

  // Loads the file (if path is non-empty), then applies environment overrides, then validates.
  static ConfigResult Load(const std::string& path,
                           const std::map<std::string, std::string>& environment);
  static ConfigResult LoadFromString(std::string_view json,
                                     const std::map<std::string, std::string>& environment);

  // The process environment, MYRIAD_* variables only.
  static std::map<std::string, std::string> CurrentEnvironment();
};

}  // namespace myriad::config
