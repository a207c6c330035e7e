#pragma once

#include <functional>
#include <memory>

#include "signaling/ClientRequest.h"
#include "signaling/SignalingPeer.h"

namespace myriad::signaling {

// What a WebSocket session does with validated requests: the server
// implements it by posting them to the room's worker.
class SessionDelegate {
 public:
  virtual ~SessionDelegate() = default;
  virtual void OnRequest(ClientRequest request) = 0;
  // A frame that failed validation; the session already answered `error`.
  virtual void OnRejected(const RequestError& error) = 0;
  virtual void OnMessageSent() = 0;
  virtual void OnClosed() = 0;
};

using SessionDelegateFactory =
    std::function<std::unique_ptr<SessionDelegate>(std::shared_ptr<SignalingPeer> peer)>;

}  // namespace myriad::signaling
