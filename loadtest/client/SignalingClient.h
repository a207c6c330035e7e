#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>

#include "loadtest/client/DelayLine.h"

namespace myriad::loadtest {

// A WebSocket client of the server's signalling endpoint ws://HOST:PORT/rtc
// (docs/protocol.md) on the caller's io_context: connect, send JSON, one
// callback per received message, and requests matched to their replies by
// "id" with a bounded wait. Single-threaded: every method and callback runs on
// the io_context's thread. Callbacks must not destroy the client.
//
// With an added delay (Options::addedDelay, SetAddedDelay) every message
// sent and every one received, the close we send and the close we see
// included, waits that long in a DelayLine per direction, in order: a
// network path's latency on the signalling (the connection's set-up, TCP
// and WebSocket handshakes, is not delayed).
class SignalingClient {
 public:
  using Json = nlohmann::json;
  // "" on success, else why the connection failed.
  using ConnectHandler = std::function<void(const std::string& error)>;
  using MessageHandler = std::function<void(const Json& message)>;
  // The reply carrying the request's id, or nullopt after the timeout or when
  // the connection closed first.
  using ReplyHandler = std::function<void(std::optional<Json> reply)>;

  static constexpr auto kDefaultConnectTimeout = std::chrono::seconds(5);

  struct Options {
    // Emulated one-way latency on every message sent and received; 0:
    // messages go straight through, no line is built.
    std::chrono::milliseconds addedDelay{0};
    // Messages each direction's line holds at once; more are dropped
    // (DelayLineDrops()).
    size_t delayLineCapacity = 4096;
  };

  explicit SignalingClient(boost::asio::io_context& context);
  SignalingClient(boost::asio::io_context& context, Options options);
  ~SignalingClient();
  SignalingClient(const SignalingClient&) = delete;
  SignalingClient& operator=(const SignalingClient&) = delete;

  // Options::addedDelay for a client someone else built (WebRtcClient's
  // Signaling()); only before Connect: false, changing nothing, after.
  bool SetAddedDelay(std::chrono::milliseconds delay);

  // Resolves, connects and performs the WebSocket handshake for /rtc.
  void Connect(const std::string& host, uint16_t port, ConnectHandler done,
               std::chrono::milliseconds timeout = kDefaultConnectTimeout);

  // Every message that is not the reply to a pending Request, in order.
  void SetMessageHandler(MessageHandler handler) { onMessage_ = std::move(handler); }
  // The connection closed (by either side or an error).
  void SetCloseHandler(std::function<void()> handler) { onClose_ = std::move(handler); }

  void Send(const Json& message);
  // Raw frames, for tests of the server's handling of malformed input.
  void SendText(std::string text);
  void SendBinary(std::string bytes);

  // Sets "id" to a fresh number, sends the message and calls `done` with the
  // reply (`joined`, `answer` or `error`) that carries the same id.
  void Request(Json message, std::chrono::milliseconds timeout, ReplyHandler done);

  // Sends a WebSocket close after the queued frames; pending requests fail.
  void Close();

  bool IsOpen() const { return open_; }
  uint64_t MessagesReceived() const { return messagesReceived_; }
  // Text frames that were not a JSON object.
  uint64_t UnparsableMessages() const { return unparsableMessages_; }
  // Messages the delay lines dropped because they were full.
  uint64_t DelayLineDrops() const;

 private:
  struct Frame {
    std::string data;
    bool binary = false;
  };
  struct PendingRequest {
    ReplyHandler done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  // What a delay line item is (DelayLine's tag).
  enum class Delayed : uint32_t { kText, kBinary, kClose };

  void BuildDelayLines();
  void ReadNext();
  // A received frame, or the end of the connection (kClose), after its
  // delay.
  void OnReceived(Delayed what, std::span<const uint8_t> bytes);
  void OnMessage(const std::string& text);
  void Enqueue(Frame frame);
  // A frame or our close (kClose), after its delay.
  void OnSendDue(Delayed what, std::span<const uint8_t> bytes);
  void EnqueueNow(Frame frame);
  void CloseNow();
  void WriteNext();
  void OnClosed();
  void FailPending();

  boost::asio::io_context& context_;
  Options options_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer readBuffer_;
  std::deque<Frame> writeQueue_;
  std::map<int64_t, PendingRequest> pending_;
  MessageHandler onMessage_;
  std::function<void()> onClose_;
  std::string host_;
  int64_t nextRequestId_ = 1;
  bool open_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool connectCalled_ = false;
  bool closeRequested_ = false;  // Close() was called; with a delay, not yet done
  // Only with an added delay.
  std::unique_ptr<DelayLine> sendDelay_;
  std::unique_ptr<DelayLine> receiveDelay_;
  uint64_t messagesReceived_ = 0;
  uint64_t unparsableMessages_ = 0;
  // Handlers of operations still queued when the client is destroyed check
  // this token before touching the client.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace myriad::loadtest
