#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "config/SimulcastSettings.h"

namespace myriad::config {

// The structs below hold the values exactly as configured (file, then environment). Values with a
// "use the built-in choice" meaning ("" or 0) are kept as such so that ToJson() round-trips; call
// ServerConfig::Resolved() to get the concrete values the server will actually use.

// HTTP + WebSocket signaling listener.
struct HttpConfig {
  std::string listenAddress = "127.0.0.1";
  std::uint16_t port = 7880;
  // Directory served as static files; "" = the web/ folder of the source tree.
  std::string webRoot;

  bool operator==(const HttpConfig&) const = default;
};

// UDP media (ICE/DTLS/SRTP) workers.
struct MediaConfig {
  std::string listenAddress = "127.0.0.1";
  // Address put into ICE candidates (NAT, pods); "" = listenAddress.
  std::string announcedAddress;
  // Worker i binds UDP port portBase + i; 0 = every worker binds an ephemeral port (tests).
  std::uint16_t portBase = 50000;
  // 0 = std::thread::hardware_concurrency().
  std::uint32_t workers = 0;

  bool operator==(const MediaConfig&) const = default;
};

struct IceConfig {
  // RFC 7675 section 5.1: consent expires 30 s after the last successful check.
  std::uint32_t consentTimeoutMs = 30000;

  bool operator==(const IceConfig&) const = default;
};

// Limits and signalling cadence of every room; room_overrides changes the limits per room.
struct RoomsConfig {
  std::uint32_t maxParticipants = 1000;
  // Participants that may publish at once; more would flood every subscriber's roster and
  // forwarding work.
  std::uint32_t maxPublishers = 1000;
  // K: audio slots (loudest speakers) per subscriber, see docs/protocol.md "Audio slots".
  std::uint32_t audioSlots = 3;
  // How long roster changes are collected into one `roster` message.
  std::uint32_t rosterBatchIntervalMs = 100;
  // Participants per `joined` / `rosterPage` page.
  std::uint32_t rosterPageSize = 500;

  bool operator==(const RoomsConfig&) const = default;
};

// The limits one room enforces.
struct RoomLimits {
  std::uint32_t maxParticipants;
  std::uint32_t maxPublishers;
  std::uint32_t audioSlots;

  bool operator==(const RoomLimits&) const = default;
};

// One room_overrides entry: the limits it sets; unset ones fall back to the rooms.* options.
struct RoomOverride {
  std::optional<std::uint32_t> maxParticipants;
  std::optional<std::uint32_t> maxPublishers;
  std::optional<std::uint32_t> audioSlots;

  bool operator==(const RoomOverride&) const = default;
};

// A key a room_overrides entry may set. It is named like the rooms.* option it overrides and
// takes that option's range, so the loader checks it through ConfigOptionTable.
struct RoomOverrideField {
  std::string_view key;  // "max_participants"
  std::optional<std::uint32_t> RoomOverride::*value;
  std::uint32_t RoomLimits::*limit;
};

struct LogConfig {
  // One of trace, debug, info, warn, error, critical, off (all accepted by
  // spdlog::level::from_str).
  std::string level = "info";

  bool operator==(const LogConfig&) const = default;
};

// Access tokens (docs/protocol.md "Access tokens"). Development mode (development, or no keys
// at all) adds the well-known development key and admits joins without a token.
struct AuthConfig {
  // Key id (the token's `kid`) -> HMAC-SHA256 secret, at least kMinimumSecretBytes long
  // (config key "auth.keys", outside the option table: a map).
  std::map<std::string, std::string> keys;
  // A file holding the auth.keys object as JSON (a mounted Kubernetes Secret, a file only the
  // server's user may read): read once the file and the environment are applied, and its keys
  // become `keys`. Setting both is an error (one place for the secrets). "" = none.
  std::string keysFile;
  // Set as an integer by the option table (a Boolean row): 0 or 1.
  bool development = false;

  // RFC 7518 section 3.2: an HS256 key must be at least as long as the hash output.
  static constexpr size_t kMinimumSecretBytes = 32;
  // The id of the built-in development key; a configured key may not take it.
  static constexpr std::string_view kDevelopmentKeyId = "dev";
  static constexpr std::string_view kKeysKey = "keys";
  static constexpr std::string_view kKeysVariable = "MYRIAD_AUTH_KEYS";

  // development set, or no key configured.
  bool DevelopmentMode() const { return development || keys.empty(); }

  bool operator==(const AuthConfig&) const = default;
};

// SIGTERM (or SIGINT) drains the server: it stops admitting joins, tells every client to move
// (the `drain` message of docs/protocol.md) and exits once its rooms are empty or the grace period
// has passed, whichever comes first. A second signal stops it at once.
struct DrainConfig {
  // 0 = no drain: close every room at once (each client gets `left`, reason server_shutdown).
  std::uint32_t gracePeriodS = 30;
  // The signalling URL clients are told to reconnect to (e.g. the load balancer's
  // wss://sfu.example.com/rtc when each node has its own address); "" = the URL they used.
  std::string redirectUrl;

  bool operator==(const DrainConfig&) const = default;
};

struct ServerConfig {
  HttpConfig http;
  MediaConfig media;
  IceConfig ice;
  RoomsConfig rooms;
  LogConfig log;
  AuthConfig auth;
  DrainConfig drain;
  SimulcastSettings simulcast;
  // Room name -> its exceptions to the rooms.* limits (config key "room_overrides").
  std::map<std::string, RoomOverride> roomOverrides;

  // The top-level config key of roomOverrides and the environment variable that replaces it
  // (with the same JSON object as text).
  static constexpr std::string_view kRoomOverridesKey = "room_overrides";
  static constexpr std::string_view kRoomOverridesVariable = "MYRIAD_ROOM_OVERRIDES";
  // max_participants, max_publishers, audio_slots.
  static std::span<const RoomOverrideField> RoomOverrideFields();

  // {"http": {"listen_address": ...}, ..., "room_overrides": {...}}: every option, with the
  // configured (unresolved) values; room_overrides lists only the keys each entry sets, and
  // simulcast.ladder every level with all its keys. auth.keys holds the secrets: see
  // ToRedactedJson for output a person may read. Feeding it back to
  // ConfigLoader::LoadFromString yields the same config (for a ladder whose bitrates are whole
  // kbps, as every loaded ladder's are).
  nlohmann::json ToJson() const;

  // ToJson with every auth.keys secret replaced by "<redacted: N bytes>" (--check-config).
  nlohmann::json ToRedactedJson() const;

  // The limits of the named room: its room_overrides entry where it sets one, else rooms.*.
  RoomLimits LimitsFor(const std::string& room) const;

  // A copy with the "built-in choice" values replaced: http.webRoot "" -> MYRIAD_DEFAULT_WEB_ROOT,
  // media.workers 0 -> hardware_concurrency() (clamped to 1..256), media.announcedAddress "" ->
  // media.listenAddress. media.portBase 0 stays 0 (ephemeral ports are chosen at bind time).
  ServerConfig Resolved() const;

  bool operator==(const ServerConfig&) const = default;
};

}  // namespace myriad::config
