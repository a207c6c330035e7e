#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "signaling/SessionDelegate.h"

namespace myriad::signaling {
class AccessPolicy;
}

namespace myriad::server {

class Worker;

// Routes one WebSocket client's validated requests to the worker that owns
// its room (rooms are pinned to workers by a hash of their name). Lives on
// the signalling thread; it touches room state only through Worker::Post.
// A `join` is checked against the access policy here, before any room sees it: a refused one
// gets `error` (unauthorized / forbidden) and the connection is closed.
class SignalingDelegate : public signaling::SessionDelegate {
 public:
  // `draining`: while true, a join is refused with `server_draining` (Server::Drain).
  SignalingDelegate(const std::vector<Worker*>& workers, const signaling::AccessPolicy& access,
                    const std::atomic<bool>& draining,
                    std::shared_ptr<signaling::SignalingPeer> peer);
  ~SignalingDelegate() override;

  void OnRequest(signaling::ClientRequest request) override;
  void OnRejected(const signaling::RequestError& error) override;
  void OnMessageSent() override;
  void OnClosed() override;

  static Worker& WorkerForRoom(const std::vector<Worker*>& workers, const std::string& room);

 private:
  void Reply(const nlohmann::json& id, const std::string& code, const std::string& message);

  const std::vector<Worker*>& workers_;
  const signaling::AccessPolicy& access_;
  const std::atomic<bool>& draining_;
  std::shared_ptr<signaling::SignalingPeer> peer_;
  Worker* worker_ = nullptr;
  std::string room_;
  std::string participantId_;
  bool left_ = false;
  uint64_t messagesSent_ = 0;
};

}  // namespace myriad::server
