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
  // Simulcast video (docs/protocol.md "Simulcast tiers"): encodings the
  // publisher can produce (0: one per rid) and its capture size (0: unknown).
  int tiers = 0;
  int width = 0;
  int height = 0;
};

struct SubscribeInfo {
  std::string trackId;
  std::optional<int> level;  // wanted simulcast ladder level
  bool operator==(const SubscribeInfo&) const = default;
};

struct OfferRequest {
  std::string sdp;
  std::map<std::string, PublishInfo> publish;      // mid -> info
  std::map<std::string, SubscribeInfo> subscribe;  // mid -> track (and level)
  std::map<std::string, uint32_t> slots;           // mid -> audio slot index
};

// The ladder level a subscriber wants on one of its video mids.
struct SetVideoLevelRequest {
  std::string mid;
  int level = 0;
};

// Largest ladder level index a request may name (SimulcastLadder holds at
// most 10 levels); the room checks its own ladder's size.
constexpr int kMaxVideoLevel = 9;

// The next page of the roster after `cursor` (a participantId).
struct RosterPageRequest {
  std::string cursor;
};

struct LeaveRequest {};

// Conference control (docs/protocol.md "Conference control"), on the WebSocket or the data
// channel: one message type per action.
struct ControlRequest {
  enum class Action {
    kMute,             // "mute" {trackId, muted: true}
    kUnmute,           // "mute" {trackId, muted: false}
    kHostMute,         // "hostMute" {trackId, lock?}
    kUnlockMute,       // "unlockMute" {trackId}
    kRequestUnmute,    // "requestUnmute" {trackId}
    kKick,             // "kick" {participantId}
    kRaiseHand,        // "raiseHand" {raised?: true}
    kLowerHand,        // "raiseHand" {raised: false}
    kLowerOthersHand,  // "lowerHand" {participantId}
    kSync,             // "sync": the current state (after a missed version)
  };
  Action action = Action::kSync;
  std::string trackId;
  std::string participantId;
  bool lock = false;
};

struct ClientRequest {
  nlohmann::json id;  // copied into the reply; null when absent
  std::variant<JoinRequest, OfferRequest, RosterPageRequest, LeaveRequest, SetVideoLevelRequest,
               ControlRequest>
      body;
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
