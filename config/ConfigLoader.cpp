#include "config/ConfigLoader.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "config/ConfigOptionTable.h"
#include "config/SimulcastSettings.h"
#include "simulcast/SimulcastLadder.h"

namespace myriad::config {

namespace {

using Json = nlohmann::json;
using simulcast::SimulcastLadder;

constexpr std::string_view kEnvironmentPrefix = "MYRIAD_";
// Variables named like MYRIAD_ROOM_OVERRIDES (ServerConfig::kRoomOverridesVariable).
constexpr std::string_view kRoomVariablePrefix = "MYRIAD_ROOM_";
constexpr int kMaxPort = 65535;
// simulcast.ladder is an array of objects: file only, and this name would read as its override.
constexpr std::string_view kLadderVariable = "MYRIAD_SIMULCAST_LADDER";

// Quotes as a JSON string so control characters and quotes in user input cannot break the
// one-line error (invalid UTF-8 is replaced rather than thrown on).
std::string Quote(std::string_view text) {
  return Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string OneLine(std::string text) {
  std::replace_if(
      text.begin(), text.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
  return text;
}

std::string DescribeType(const Json& value) {
  if (value.is_number_integer()) return "integer";
  if (value.is_number_float()) return "non-integer number";
  return value.type_name();  // "string", "boolean", "null", "object", "array"
}

// Accepts exactly the literal forms inet_pton does: dotted-quad IPv4 and RFC 4291 section 2.2
// IPv6 text (no brackets, no zone id). Host names are rejected on purpose: the config never
// resolves DNS, and an announced name would end up verbatim in ICE candidates.
struct ParsedAddress {
  bool valid = false;
  bool wildcard = false;
};

ParsedAddress ParseIpLiteral(const std::string& text) {
  unsigned char bytes[16] = {};
  if (inet_pton(AF_INET, text.c_str(), bytes) == 1) {
    return {true, std::all_of(bytes, bytes + 4, [](unsigned char b) { return b == 0; })};
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
    return {true, std::all_of(bytes, bytes + 16, [](unsigned char b) { return b == 0; })};
  }
  return {};
}

// ws://host[:port][/path] or wss://...: a scheme, a non-empty authority, and nothing a client
// would choke on (no spaces or control characters, RFC 3986 section 2).
bool IsWebSocketUrl(std::string_view value) {
  std::string_view rest;
  if (value.starts_with("ws://")) {
    rest = value.substr(5);
  } else if (value.starts_with("wss://")) {
    rest = value.substr(6);
  } else {
    return false;
  }
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') return false;
  return std::none_of(rest.begin(), rest.end(),
                      [](unsigned char c) { return c <= 0x20 || c >= 0x7f; });
}

// Returns "" when value is acceptable for a non-integer option, else the error after the label.
std::string CheckStringValue(const ConfigOption& option, const std::string& value) {
  switch (option.kind) {
    case ConfigValueKind::IpAddress:
      if (!ParseIpLiteral(value).valid) {
        return "must be an IPv4 or IPv6 address, got " + Quote(value);
      }
      break;
    case ConfigValueKind::OptionalIpAddress:
      if (!value.empty() && !ParseIpLiteral(value).valid) {
        return "must be \"\" or an IPv4 or IPv6 address, got " + Quote(value);
      }
      break;
    case ConfigValueKind::LogLevel: {
      auto levels = ConfigOptionTable::LogLevels();
      if (std::find(levels.begin(), levels.end(), value) == levels.end()) {
        return "must be one of " + ConfigOptionTable::LogLevelList() + ", got " + Quote(value);
      }
      break;
    }
    case ConfigValueKind::OptionalWebSocketUrl:
      if (!value.empty() && !IsWebSocketUrl(value)) {
        return "must be \"\" or a ws:// or wss:// URL, got " + Quote(value);
      }
      break;
    case ConfigValueKind::String:
    case ConfigValueKind::Integer:
    case ConfigValueKind::Boolean:
      break;
  }
  return "";
}

std::string RangeError(std::int64_t minimum, std::int64_t maximum, std::string_view got) {
  return "must be between " + std::to_string(minimum) + " and " + std::to_string(maximum) +
         ", got " + std::string(got);
}

std::string RangeError(const ConfigOption& option, std::string_view got) {
  return RangeError(option.minimum, option.maximum, got);
}

// Reads a JSON integer within [minimum, maximum] (maximum >= 0); returns "" or the error after
// the label.
std::string IntegerFromJson(std::int64_t minimum, std::int64_t maximum, const Json& value,
                            std::int64_t& number) {
  if (!value.is_number_integer()) return "must be an integer, got " + DescribeType(value);
  if (value.is_number_unsigned() &&
      value.get<std::uint64_t>() > static_cast<std::uint64_t>(maximum)) {
    return RangeError(minimum, maximum, value.dump());
  }
  number = value.get<std::int64_t>();
  if (number < minimum || number > maximum) {
    return RangeError(minimum, maximum, std::to_string(number));
  }
  return "";
}

// The same within the range of an Integer option.
std::string IntegerFromJson(const ConfigOption& option, const Json& value, std::int64_t& number) {
  return IntegerFromJson(option.minimum, option.maximum, value, number);
}

// Sets one option from a JSON value; returns "" or the error after the label.
std::string SetFromJson(const ConfigOption& option, const Json& value, ServerConfig& config) {
  if (option.kind == ConfigValueKind::Boolean) {
    if (!value.is_boolean()) return "must be true or false, got " + DescribeType(value);
    option.setInteger(config, value.get<bool>() ? 1 : 0);
    return "";
  }
  if (option.kind == ConfigValueKind::Integer) {
    std::int64_t number = 0;
    if (std::string error = IntegerFromJson(option, value, number); !error.empty()) return error;
    option.setInteger(config, number);
    return "";
  }
  if (!value.is_string()) return "must be a string, got " + DescribeType(value);
  const auto& text = value.get_ref<const std::string&>();
  if (std::string error = CheckStringValue(option, text); !error.empty()) return error;
  option.setString(config, text);
  return "";
}

// Sets one option from an environment variable's text; returns "" or the error after the label.
std::string SetFromText(const ConfigOption& option, const std::string& text, ServerConfig& config) {
  if (option.kind == ConfigValueKind::Boolean) {
    if (text != "true" && text != "false" && text != "1" && text != "0") {
      return "must be true, false, 1 or 0, got " + Quote(text);
    }
    option.setInteger(config, text == "true" || text == "1" ? 1 : 0);
    return "";
  }
  if (option.kind == ConfigValueKind::Integer) {
    std::int64_t number = 0;
    const char* end = text.data() + text.size();
    auto [stop, status] = std::from_chars(text.data(), end, number);
    if (text.empty() || stop != end ||
        (status != std::errc() && status != std::errc::result_out_of_range)) {
      return "must be an integer, got " + Quote(text);
    }
    if (status == std::errc::result_out_of_range || number < option.minimum ||
        number > option.maximum) {
      return RangeError(option, text);
    }
    option.setInteger(config, number);
    return "";
  }
  if (std::string error = CheckStringValue(option, text); !error.empty()) return error;
  option.setString(config, text);
  return "";
}

// The room name rule of docs/protocol.md (`join`, signaling::ClientRequestParser, which config/
// may not depend on): 1-128 characters of [A-Za-z0-9_.-]. An override for a name no client can
// join would silently never apply.
constexpr size_t kMaxRoomNameLength = 128;

bool IsValidRoomName(std::string_view room) {
  // Explicit ranges rather than isalnum(), which depends on the locale.
  return !room.empty() && room.size() <= kMaxRoomNameLength &&
         std::all_of(room.begin(), room.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
         });
}

// Parses JSON text; returns "" or the error, with the reason and byte offset of a syntax error.
std::string ParseJson(std::string_view text, Json& root) {
  try {
    root = Json::parse(text);
  } catch (const Json::parse_error& error) {
    // what() is "[json.exception.parse_error.101] parse error at line 1, column 5: <reason>";
    // keep the reason, report the byte offset (what editors and `head -c` understand).
    std::string_view what = error.what();
    std::string_view reason = what;
    if (auto colon = what.find(": ", what.find(']')); colon != std::string_view::npos) {
      reason = what.substr(colon + 2);
    }
    return "invalid JSON at byte " + std::to_string(error.byte) + ": " + std::string(reason);
  }
  return "";
}

// Replaces config.roomOverrides with the room_overrides object `body`; returns "" or the error
// (naming the key path, as for the other options).
std::string SetRoomOverrides(const Json& body, ServerConfig& config) {
  const std::string section(ServerConfig::kRoomOverridesKey);
  if (!body.is_object()) return Quote(section) + " must be an object, got " + DescribeType(body);
  std::map<std::string, RoomOverride> overrides;
  for (const auto& [room, entry] : body.items()) {
    if (!IsValidRoomName(room)) {
      return Quote(section) + " names " + Quote(room) +
             ", which is not a room name (1-128 characters of A-Z a-z 0-9 _ . -)";
    }
    const std::string roomPath = section + "." + room;
    if (!entry.is_object()) {
      return Quote(roomPath) + " must be an object, got " + DescribeType(entry);
    }
    RoomOverride& roomOverride = overrides[room];
    for (const auto& item : entry.items()) {
      // Plain references rather than a structured binding: clang before 16 (clang-tidy here)
      // cannot capture a binding in the lambda below.
      const std::string& key = item.key();
      const Json& value = item.value();
      const auto fields = ServerConfig::RoomOverrideFields();
      const auto field = std::find_if(fields.begin(), fields.end(),
                                      [&](const RoomOverrideField& f) { return f.key == key; });
      // Same range as the rooms.* option the key overrides.
      const ConfigOption* option =
          field == fields.end() ? nullptr : ConfigOptionTable::Find("rooms", key);
      if (option == nullptr) return "unknown key " + Quote(roomPath + "." + key);
      std::int64_t number = 0;
      if (std::string error = IntegerFromJson(*option, value, number); !error.empty()) {
        return Quote(roomPath + "." + key) + " " + error;
      }
      roomOverride.*field->value = static_cast<std::uint32_t>(number);
    }
  }
  config.roomOverrides = std::move(overrides);
  return "";
}

// Key ids are sent in every token's header: a short, printable name.
constexpr size_t kMaxKeyIdLength = 64;

bool IsValidKeyId(std::string_view id) {
  return !id.empty() && id.size() <= kMaxKeyIdLength &&
         std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
         });
}

// Replaces config.auth.keys with the auth.keys object `body`; returns "" or the error. A secret's
// text is never part of an error (it could end up in logs).
std::string SetAuthKeys(const Json& body, ServerConfig& config) {
  const std::string path = "auth." + std::string(AuthConfig::kKeysKey);
  if (!body.is_object()) return Quote(path) + " must be an object, got " + DescribeType(body);
  std::map<std::string, std::string> keys;
  for (const auto& [id, secret] : body.items()) {
    if (!IsValidKeyId(id)) {
      return Quote(path) + " names " + Quote(id) +
             ", which is not a key id (1-64 characters of A-Z a-z 0-9 _ . -)";
    }
    if (id == AuthConfig::kDevelopmentKeyId) {
      return Quote(path + "." + id) + " uses the id reserved for the development key";
    }
    if (!secret.is_string()) {
      return Quote(path + "." + id) + " must be a string, got " + DescribeType(secret);
    }
    const auto& text = secret.get_ref<const std::string&>();
    if (text.size() < AuthConfig::kMinimumSecretBytes) {
      return Quote(path + "." + id) + " must be at least " +
             std::to_string(AuthConfig::kMinimumSecretBytes) + " bytes long, got " +
             std::to_string(text.size());
    }
    keys[id] = text;
  }
  config.auth.keys = std::move(keys);
  return "";
}

// Replaces config.simulcast.ladder with the simulcast.ladder array `body`; returns "" or the
// error, naming the entry (counted from 0, like the levels it becomes) and key. These are
// SimulcastLadder::Create's rules checked one by one, so the error can say which one failed.
std::string SetSimulcastLadder(const Json& body, ServerConfig& config) {
  const std::string path =
      std::string(SimulcastSettings::kSection) + "." + std::string(SimulcastSettings::kLadderKey);
  if (!body.is_array()) return Quote(path) + " must be an array, got " + DescribeType(body);
  if (body.empty() || body.size() > SimulcastLadder::kMaxLevels) {
    return Quote(path) + " must have 1 to " + std::to_string(SimulcastLadder::kMaxLevels) +
           " levels, got " + std::to_string(body.size());
  }
  const auto fields = SimulcastSettings::LevelFields();
  std::vector<SimulcastLadder::LevelSpec> levels;
  for (size_t index = 0; index < body.size(); ++index) {
    const Json& entry = body[index];
    const std::string entryPath = path + "[" + std::to_string(index) + "]";
    if (!entry.is_object()) {
      return Quote(entryPath) + " must be an object, got " + DescribeType(entry);
    }
    for (const auto& item : entry.items()) {
      const std::string& key = item.key();
      if (std::none_of(fields.begin(), fields.end(),
                       [&](const SimulcastLevelField& field) { return field.key == key; })) {
        return "unknown key " + Quote(entryPath + "." + key);
      }
    }
    SimulcastLadder::LevelSpec level;
    for (const SimulcastLevelField& field : fields) {
      const std::string fieldPath = entryPath + "." + std::string(field.key);
      const auto value = entry.find(std::string(field.key));
      if (value == entry.end()) return Quote(fieldPath) + " must be set";
      std::int64_t number = 0;
      if (std::string error = IntegerFromJson(field.minimum, field.maximum, *value, number);
          !error.empty()) {
        return Quote(fieldPath) + " " + error;
      }
      field.set(level, number);
    }
    // The keys are present and in range now.
    const auto targetKbps = entry.at("target_kbps").get<std::int64_t>();
    const auto maxKbps = entry.at("max_kbps").get<std::int64_t>();
    if (targetKbps > maxKbps) {
      return Quote(entryPath + ".target_kbps") + " must be at most its max_kbps (" +
             std::to_string(maxKbps) + "), got " + std::to_string(targetKbps);
    }
    if (!levels.empty() && level.height <= levels.back().height) {
      return Quote(entryPath + ".height") + " must be greater than the previous level's height (" +
             std::to_string(levels.back().height) + "), got " + std::to_string(level.height);
    }
    levels.push_back(level);
  }
  std::optional<SimulcastLadder> ladder = SimulcastLadder::Create(levels);
  // Unreachable while the checks above mirror Create's; kept so the two drifting apart cannot
  // let an invalid ladder through.
  if (!ladder) return Quote(path) + " is not a valid ladder";
  config.simulcast.ladder = *ladder;
  return "";
}

std::string ApplyJsonText(std::string_view text, ServerConfig& config) {
  Json root;
  if (std::string error = ParseJson(text, root); !error.empty()) return error;

  if (!root.is_object()) return "the top level must be a JSON object, got " + DescribeType(root);
  for (const auto& [section, body] : root.items()) {
    if (section == ServerConfig::kRoomOverridesKey) {
      if (std::string error = SetRoomOverrides(body, config); !error.empty()) return error;
      continue;
    }
    if (!ConfigOptionTable::IsSection(section)) return "unknown key " + Quote(section);
    if (!body.is_object()) return Quote(section) + " must be an object, got " + DescribeType(body);
    for (const auto& [key, value] : body.items()) {
      if (section == SimulcastSettings::kSection && key == SimulcastSettings::kLadderKey) {
        if (std::string error = SetSimulcastLadder(value, config); !error.empty()) return error;
        continue;
      }
      if (section == "auth" && key == AuthConfig::kKeysKey) {
        if (std::string error = SetAuthKeys(value, config); !error.empty()) return error;
        continue;
      }
      const ConfigOption* option = ConfigOptionTable::Find(section, key);
      if (option == nullptr) return "unknown key " + Quote(section + "." + key);
      if (std::string error = SetFromJson(*option, value, config); !error.empty()) {
        return Quote(option->Path()) + " " + error;
      }
    }
  }
  return "";
}

const ConfigOption* FindByEnvironmentVariable(std::string_view name) {
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    if (option.EnvironmentVariable() == name) return &option;
  }
  return nullptr;
}

// MYRIAD_<SECTION>_anything for a known section, or MYRIAD_ROOM_anything: almost certainly a
// misspelled option. Other MYRIAD_* names are left alone (they may belong to scripts or tests).
bool LooksLikeOption(std::string_view name) {
  if (name.starts_with(kRoomVariablePrefix)) return true;
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    std::string sectionPrefix = option.EnvironmentVariable();
    sectionPrefix.resize(kEnvironmentPrefix.size() + option.section.size() + 1);
    if (name.starts_with(sectionPrefix)) return true;
  }
  return false;
}

std::string ApplyEnvironment(const std::map<std::string, std::string>& environment,
                             ServerConfig& config) {
  for (const auto& [name, value] : environment) {
    if (!name.starts_with(kEnvironmentPrefix) || name == ConfigLoader::kConfigPathVariable) {
      continue;
    }
    if (name == ServerConfig::kRoomOverridesVariable) {
      // The whole room_overrides object as JSON text; it replaces the file's.
      Json body;
      std::string error = ParseJson(value, body);
      if (error.empty()) error = SetRoomOverrides(body, config);
      if (!error.empty()) return "environment variable " + name + ": " + error;
      continue;
    }
    if (name == AuthConfig::kKeysVariable) {
      // The whole auth.keys object as JSON text; it replaces the file's.
      Json body;
      std::string error = ParseJson(value, body);
      // The parser's message could quote the text, i.e. a secret.
      if (!error.empty()) error = "invalid JSON";
      if (error.empty()) error = SetAuthKeys(body, config);
      if (!error.empty()) return "environment variable " + name + ": " + error;
      continue;
    }
    if (name == kLadderVariable) {
      return "environment variable " + name +
             " is not supported: \"simulcast.ladder\" is set in the config file only";
    }
    const ConfigOption* option = FindByEnvironmentVariable(name);
    if (option == nullptr) {
      if (LooksLikeOption(name)) return "unknown environment variable " + name;
      continue;
    }
    if (std::string error = SetFromText(*option, value, config); !error.empty()) {
      return "environment variable " + name + " " + error;
    }
  }
  return "";
}

// Checks that involve more than one option; run after all sources are applied.
std::string Validate(const ServerConfig& config) {
  const MediaConfig& media = config.media;
  if (ParseIpLiteral(media.announcedAddress).wildcard) {
    return "\"media.announced_address\" must be an address clients can reach, got " +
           Quote(media.announcedAddress);
  }
  if (media.announcedAddress.empty() && ParseIpLiteral(media.listenAddress).wildcard) {
    // Otherwise ICE candidates would carry 0.0.0.0 / ::, which no client can connect to.
    return "\"media.announced_address\" must be set when \"media.listen_address\" is " +
           Quote(media.listenAddress);
  }
  if (media.portBase != 0) {
    const std::uint32_t workers = config.Resolved().media.workers;
    const std::int64_t lastPort = std::int64_t{media.portBase} + workers - 1;
    if (lastPort > kMaxPort) {
      return "\"media.port_base\" " + std::to_string(media.portBase) + " with " +
             std::to_string(workers) + " workers needs UDP ports up to " +
             std::to_string(lastPort) + ", past 65535";
    }
  }
  const SimulcastSettings& simulcast = config.simulcast;
  if (simulcast.maxDelayMs < simulcast.debounceMs) {
    // The planner would then never wait the full debounce time: max_delay_ms caps it.
    return "\"simulcast.max_delay_ms\" must be at least \"simulcast.debounce_ms\" (" +
           std::to_string(simulcast.debounceMs) + "), got " + std::to_string(simulcast.maxDelayMs);
  }
  return "";
}

bool ReadFile(const std::string& path, std::string& contents, std::string& error) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) {
    error = std::strerror(errno);
    return false;
  }
  char buffer[8192];
  size_t count = 0;
  while ((count = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) {
    contents.append(buffer, count);
  }
  // fopen succeeds on a directory; the read then fails with EISDIR.
  if (std::ferror(file.get())) {
    error = std::strerror(errno);
    return false;
  }
  return true;
}

// auth.keys_file: its keys become auth.keys. Errors name the file and the key id, never a secret.
std::string ReadKeysFile(ServerConfig& config) {
  const std::string& path = config.auth.keysFile;
  if (path.empty()) return "";
  const std::string option = "\"auth.keys_file\" " + Quote(path);
  if (!config.auth.keys.empty()) {
    return "\"auth.keys\" and \"auth.keys_file\" are both set: keep the secrets in one place";
  }
  std::string contents;
  std::string error;
  if (!ReadFile(path, contents, error)) return option + ": cannot read: " + error;
  Json body;
  // The parser's message could quote the text, i.e. a secret.
  if (!ParseJson(contents, body).empty()) return option + ": invalid JSON";
  if (error = SetAuthKeys(body, config); !error.empty()) return option + ": " + error;
  return "";
}

ConfigResult Finish(ServerConfig config, const std::map<std::string, std::string>& environment) {
  if (std::string error = ApplyEnvironment(environment, config); !error.empty()) {
    return {std::nullopt, OneLine(std::move(error))};
  }
  if (std::string error = ReadKeysFile(config); !error.empty()) {
    return {std::nullopt, OneLine(std::move(error))};
  }
  if (std::string error = Validate(config); !error.empty()) {
    return {std::nullopt, OneLine(std::move(error))};
  }
  return {std::move(config), ""};
}

}  // namespace

ServerConfig ConfigLoader::Defaults() { return ServerConfig{}; }

ConfigResult ConfigLoader::Load(const std::string& path,
                                const std::map<std::string, std::string>& environment) {
  ServerConfig config = Defaults();
  if (!path.empty()) {
    std::string contents;
    std::string error;
    if (!ReadFile(path, contents, error)) {
      return {std::nullopt, OneLine("cannot read config file " + Quote(path) + ": " + error)};
    }
    if (error = ApplyJsonText(contents, config); !error.empty()) {
      return {std::nullopt, OneLine("config file " + Quote(path) + ": " + error)};
    }
  }
  return Finish(std::move(config), environment);
}

ConfigResult ConfigLoader::LoadFromString(std::string_view json,
                                          const std::map<std::string, std::string>& environment) {
  ServerConfig config = Defaults();
  if (std::string error = ApplyJsonText(json, config); !error.empty()) {
    return {std::nullopt, OneLine(std::move(error))};
  }
  return Finish(std::move(config), environment);
}

std::map<std::string, std::string> ConfigLoader::CurrentEnvironment() {
  std::map<std::string, std::string> result;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (!text.starts_with(kEnvironmentPrefix)) continue;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    result.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return result;
}

}  // namespace myriad::config
