#pragma once

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <deque>
#include <memory>
#include <string>

#include "signaling/SessionDelegate.h"
#include "signaling/SignalingPeer.h"

namespace myriad::signaling {

// The /rtc WebSocket endpoint for one client (Boost.Beast). Parses each text
// frame with ClientRequestParser, answers invalid ones with `error` itself and
// hands valid ones to its SessionDelegate. An Asio session, hence
// shared_from_this; all its state lives on the signalling io_context.
class WebSocketSession : public SignalingPeer,
                         public std::enable_shared_from_this<WebSocketSession> {
 public:
  static constexpr size_t kMaxMessageBytes = 1 << 20;
  static constexpr size_t kMaxQueuedMessages = 4096;

  WebSocketSession(boost::asio::ip::tcp::socket socket, const SessionDelegateFactory& factory);

  // Completes the WebSocket handshake for an already-read HTTP upgrade request.
  void Start(boost::beast::http::request<boost::beast::http::string_body> upgrade);

  // Sessions alive in this process (shutdown waits for them to flush).
  static size_t LiveSessions() { return liveSessions_.load(); }

  ~WebSocketSession() override;
  void Send(nlohmann::json message) override;
  void SendShared(std::shared_ptr<const std::string> text) override;
  void Close() override;

 private:
  void OnAccept(boost::beast::error_code ec);
  void ReadNext();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void SendText(std::string text);
  void Enqueue(std::shared_ptr<const std::string> text);
  void WriteNext();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void Shutdown();

  static inline std::atomic<size_t> liveSessions_{0};
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  const SessionDelegateFactory& factory_;
  std::unique_ptr<SessionDelegate> delegate_;
  // The upgrade request must outlive the asynchronous accept that reads it.
  boost::beast::http::request<boost::beast::http::string_body> upgrade_;
  boost::beast::flat_buffer readBuffer_;
  std::deque<std::shared_ptr<const std::string>> writeQueue_;
  bool writing_ = false;
  bool closing_ = false;
  bool closed_ = false;
};

}  // namespace myriad::signaling
