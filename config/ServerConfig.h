#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

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

struct RoomsConfig {
  std::uint32_t maxParticipants = 1000;

  bool operator==(const RoomsConfig&) const = default;
};

struct LogConfig {
  // One of trace, debug, info, warn, error, critical, off (all accepted by
  // spdlog::level::from_str).
  std::string level = "info";

  bool operator==(const LogConfig&) const = default;
};

struct ServerConfig {
  HttpConfig http;
  MediaConfig media;
  IceConfig ice;
  RoomsConfig rooms;
  LogConfig log;

  // {"http": {"listen_address": ...}, ...}: every option, with the configured (unresolved) values.
  // Feeding it back to ConfigLoader::LoadFromString yields the same config.
  nlohmann::json ToJson() const;

  // A copy with the "built-in choice" values replaced: http.webRoot "" -> MYRIAD_DEFAULT_WEB_ROOT,
  // media.workers 0 -> hardware_concurrency() (clamped to 1..256), media.announcedAddress "" ->
  // media.listenAddress. media.portBase 0 stays 0 (ephemeral ports are chosen at bind time).
  ServerConfig Resolved() const;

  bool operator==(const ServerConfig&) const = default;
};

}  // namespace myriad::config
