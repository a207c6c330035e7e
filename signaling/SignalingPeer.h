#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace myriad::signaling {

// A client's signalling connection as the rest of the server sees it. Both
// calls are safe from any thread: the implementation hops to the connection's
// own executor. Calls after the connection closed are ignored.
class SignalingPeer {
 public:
  virtual ~SignalingPeer() = default;
  virtual void Send(nlohmann::json message) = 0;
  // Sends an already serialised message. Rooms serialise a message meant
  // for many participants (a roster batch) once and share the text.
  virtual void SendShared(std::shared_ptr<const std::string> text) = 0;
  // Sends nothing more and closes the connection after queued messages.
  virtual void Close() = 0;
};

}  // namespace myriad::signaling
