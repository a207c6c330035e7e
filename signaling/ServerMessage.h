#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace myriad::signaling {

// Builders for server -> client messages of docs/protocol.md that more than
// one place sends.
class ServerMessage {
 public:
  // {"type":"error","code":...,"message":...[,"id":...]}; the id is copied
  // from the request when it had one.
  static nlohmann::json Error(const std::string& code, const std::string& message,
                              const nlohmann::json& requestId) {
    nlohmann::json error{{"type", "error"}, {"code", code}, {"message", message}};
    if (!requestId.is_null()) error["id"] = requestId;
    return error;
  }
};

}  // namespace myriad::signaling
