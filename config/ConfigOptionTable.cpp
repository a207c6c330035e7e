#include "config/ConfigOptionTable.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <type_traits>
#include <utility>

namespace myriad::config {

namespace {

// The type of ServerConfig::*Section::*Field, e.g. std::uint16_t for http.port.
template <auto Section, auto Field>
using FieldType = std::remove_cvref_t<decltype((std::declval<ServerConfig&>().*Section).*Field)>;

template <auto Section, auto Field>
constexpr ConfigOption IntegerOption(std::string_view section, std::string_view key,
                                     std::int64_t minimum, std::int64_t maximum,
                                     std::string_view summary) {
  static_assert(std::is_integral_v<FieldType<Section, Field>>);
  return ConfigOption{
      section,
      key,
      ConfigValueKind::Integer,
      minimum,
      maximum,
      summary,
      [](const ServerConfig& config) -> std::int64_t {
        return static_cast<std::int64_t>((config.*Section).*Field);
      },
      // The loader range-checks against [minimum, maximum] before calling this, and a test checks
      // both bounds survive the narrowing, so the cast cannot truncate.
      [](ServerConfig& config, std::int64_t value) {
        (config.*Section).*Field = static_cast<FieldType<Section, Field>>(value);
      },
      nullptr,
      nullptr,
  };
}

template <auto Section, auto Field>
constexpr ConfigOption BooleanOption(std::string_view section, std::string_view key,
                                     std::string_view summary) {
  static_assert(std::is_same_v<FieldType<Section, Field>, bool>);
  return ConfigOption{
      section,
      key,
      ConfigValueKind::Boolean,
      0,
      1,
      summary,
      [](const ServerConfig& config) -> std::int64_t { return (config.*Section).*Field ? 1 : 0; },
      [](ServerConfig& config, std::int64_t value) { (config.*Section).*Field = value != 0; },
      nullptr,
      nullptr,
  };
}

template <auto Section, auto Field>
constexpr ConfigOption StringOption(std::string_view section, std::string_view key,
                                    ConfigValueKind kind, std::string_view summary) {
  static_assert(std::is_same_v<FieldType<Section, Field>, std::string>);
  return ConfigOption{
      section,
      key,
      kind,
      0,
      0,
      summary,
      nullptr,
      nullptr,
      [](const ServerConfig& config) -> const std::string& { return (config.*Section).*Field; },
      // NOLINTNEXTLINE(performance-unnecessary-value-param): moved into the field
      [](ServerConfig& config, std::string value) { (config.*Section).*Field = std::move(value); },
  };
}

using K = ConfigValueKind;
using S = ServerConfig;

// Adding an option = one field in ServerConfig.h + one row here + a line in myriad.json and
// README.md (the last two are enforced by tests/config/ConfigOptionTableTest.cpp).
// room_overrides is not a row: its keys reuse the ranges of the rooms.* rows of the same name
// (ServerConfig::RoomOverrideFields). auth.keys is not a row either (a map, see ConfigLoader).
constexpr std::array kOptions{
    StringOption<&S::http, &HttpConfig::listenAddress>("http", "listen_address", K::IpAddress,
                                                       "address of the HTTP/WebSocket listener"),
    IntegerOption<&S::http, &HttpConfig::port>("http", "port", 1, 65535,
                                               "TCP port of the HTTP/WebSocket listener"),
    StringOption<&S::http, &HttpConfig::webRoot>(
        "http", "web_root", K::String, "static files directory (\"\" = web/ of the source tree)"),
    StringOption<&S::media, &MediaConfig::listenAddress>("media", "listen_address", K::IpAddress,
                                                         "address the UDP media sockets bind to"),
    StringOption<&S::media, &MediaConfig::announcedAddress>(
        "media", "announced_address", K::OptionalIpAddress,
        "address put in ICE candidates (\"\" = media.listen_address)"),
    IntegerOption<&S::media, &MediaConfig::portBase>(
        "media", "port_base", 0, 65535, "UDP port of worker 0, +1 per worker (0 = ephemeral)"),
    IntegerOption<&S::media, &MediaConfig::workers>("media", "workers", 0, 256,
                                                    "media worker threads (0 = one per core)"),
    IntegerOption<&S::ice, &IceConfig::consentTimeoutMs>(
        "ice", "consent_timeout_ms", 100, 3600000,
        "drop a transport after this long without ICE consent (RFC 7675)"),
    IntegerOption<&S::rooms, &RoomsConfig::maxParticipants>("rooms", "max_participants", 1, 100000,
                                                            "participants per room"),
    IntegerOption<&S::rooms, &RoomsConfig::maxPublishers>(
        "rooms", "max_publishers", 1, 100000, "participants that may publish in one room"),
    IntegerOption<&S::rooms, &RoomsConfig::audioSlots>(
        "rooms", "audio_slots", 1, 16, "audio slots (loudest speakers) per subscriber"),
    IntegerOption<&S::rooms, &RoomsConfig::rosterBatchIntervalMs>(
        "rooms", "roster_batch_interval_ms", 0, 5000,
        "roster changes batched this long (0 = one message per change)"),
    IntegerOption<&S::rooms, &RoomsConfig::rosterPageSize>(
        "rooms", "roster_page_size", 10, 10000, "participants per joined/rosterPage page"),
    StringOption<&S::log, &LogConfig::level>("log", "level", K::LogLevel,
                                             "trace|debug|info|warn|error|critical|off"),
    StringOption<&S::auth, &AuthConfig::keysFile>(
        "auth", "keys_file", K::String,
        "file with the auth.keys object as JSON, e.g. a mounted Secret (\"\" = none)"),
    BooleanOption<&S::auth, &AuthConfig::development>(
        "auth", "development", "development key, joins without a token (also when no keys)"),
    IntegerOption<&S::drain, &DrainConfig::gracePeriodS>(
        "drain", "grace_period_s", 0, 86400,
        "on SIGTERM, wait this long for rooms to empty (0 = close them at once)"),
    StringOption<&S::drain, &DrainConfig::redirectUrl>(
        "drain", "redirect_url", K::OptionalWebSocketUrl,
        "signalling URL a draining server sends clients to (\"\" = the one they used)"),
    // simulcast.ladder is not a row (an array, file only): ConfigLoader checks it against
    // SimulcastSettings::LevelFields. The loader also requires max_delay_ms >= debounce_ms.
    IntegerOption<&S::simulcast, &SimulcastSettings::debounceMs>(
        "simulcast", "debounce_ms", 0, 10000,
        "a tier plan changes once demand was quiet this long"),
    IntegerOption<&S::simulcast, &SimulcastSettings::maxDelayMs>(
        "simulcast", "max_delay_ms", 0, 60000,
        "... or at most this long after the first change (>= debounce_ms)"),
    IntegerOption<&S::simulcast, &SimulcastSettings::hysteresisSubscribers>(
        "simulcast", "hysteresis_subscribers", 0, 100,
        "margin of subscribers a level needs over a tier to replace it"),
    IntegerOption<&S::simulcast, &SimulcastSettings::keyFrameRetryMs>(
        "simulcast", "keyframe_retry_ms", 50, 10000,
        "repeat a tier switch's key frame request this often"),
    IntegerOption<&S::simulcast, &SimulcastSettings::staleAfterMs>(
        "simulcast", "stale_after_ms", 100, 60000,
        "a simulcast tier silent this long counts as stopped"),
};

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug",    "info", "warn",
                                                     "error", "critical", "off"};

std::string UpperCase(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return result;
}

}  // namespace

std::string ConfigOption::Path() const {
  std::string path(section);
  path += '.';
  path += key;
  return path;
}

std::string ConfigOption::EnvironmentVariable() const {
  return "MYRIAD_" + UpperCase(section) + "_" + UpperCase(key);
}

std::span<const ConfigOption> ConfigOptionTable::Options() { return kOptions; }

const ConfigOption* ConfigOptionTable::Find(std::string_view section, std::string_view key) {
  for (const ConfigOption& option : kOptions) {
    if (option.section == section && option.key == key) return &option;
  }
  return nullptr;
}

bool ConfigOptionTable::IsSection(std::string_view section) {
  return std::any_of(kOptions.begin(), kOptions.end(),
                     [&](const ConfigOption& option) { return option.section == section; });
}

std::span<const std::string_view> ConfigOptionTable::LogLevels() { return kLogLevels; }

std::string ConfigOptionTable::LogLevelList() {
  std::string list;
  for (std::string_view level : kLogLevels) {
    if (!list.empty()) list += ", ";
    list += level;
  }
  return list;
}

}  // namespace myriad::config
