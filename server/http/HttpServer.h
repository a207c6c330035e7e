#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>

#include "signaling/SessionDelegate.h"

namespace myriad::server::http {

// The signalling-side listener: HTTP (demo page and SDK as static files,
// /metrics, /healthz, /livez) and the /rtc WebSocket upgrade, on one TCP port.
// /healthz is readiness (200 only while joins are admitted); /livez is liveness
// (200 whenever this listener answers, draining included), so an orchestrator
// stops routing to a draining server without restarting it.
class HttpServer {
 public:
  struct Options {
    std::string listenAddress;
    uint16_t port = 0;
    std::string webRoot;
  };

  HttpServer(boost::asio::io_context& context, Options options,
             signaling::SessionDelegateFactory delegateFactory);

  // Binds and listens; false with a one-line `error` (address in use...).
  bool Listen(std::string* error);
  void Start();
  void Stop();
  uint16_t Port() const { return port_; }

  // Readiness for /healthz: false while draining or before workers run.
  void SetReady(bool ready) { ready_ = ready; }
  bool Ready() const { return ready_; }
  // Not ready for good: /healthz says "draining" instead of "not ready".
  void SetDraining() {
    draining_ = true;
    ready_ = false;
  }
  bool Draining() const { return draining_; }

  const Options& GetOptions() const { return options_; }
  const signaling::SessionDelegateFactory& DelegateFactory() const { return delegateFactory_; }

 private:
  void AcceptNext();

  boost::asio::io_context& context_;
  Options options_;
  signaling::SessionDelegateFactory delegateFactory_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
};

}  // namespace myriad::server::http
