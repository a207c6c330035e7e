#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace myriad::signaling {

// The client -> server messages of docs/protocol.md, validated.
struct JoinRequest {
  std::string room;
  std::string name;
  std::string token;
};

struct PublishInfo {
  std::string source;     // camera, microphone, screen, screen_audio or "" (from kind)
  bool priority = false;  // audio that always gets a slot (a host, music)
};

struct OfferRequest {
  std::string sdp;
  std::map<std::string, PublishInfo> publish;    // mid -> info
  std::map<std::string, std::string> subscribe;  // mid -> trackId
  std::map<std::string, uint32_t> slots;         // mid -> audio slot index
};

// The next page of the roster after `cursor` (a participantId).
struct RosterPageRequest {
  std::string cursor;
};

struct LeaveRequest {};

struct ClientRequest {
  nlohmann::json id;  // copied into the reply; null when absent
  std::variant<JoinRequest, OfferRequest, RosterPageRequest, LeaveRequest> body;
};

struct RequestError {
  std::string code;  // see the error table in docs/protocol.md
  std::string message;
  nlohmann::json id;
};

// Parses and validates one WebSocket text frame. Never throws.
class ClientRequestParser {
 public:
  static std::variant<ClientRequest, RequestError> Parse(std::string_view text);
  static bool IsValidRoomName(std::string_view room);
  static bool IsValidDisplayName(std::string_view name);
};

}  // namespace myriad::signaling
