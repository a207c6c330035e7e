#include "loadtest/client/SignalingClient.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "loadtest/client/RecentMessageCache.h"

namespace myriad::loadtest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

SignalingClient::SignalingClient(asio::io_context& context)
    : context_(context), resolver_(context), ws_(context) {}

SignalingClient::~SignalingClient() {
  alive_.reset();
  resolver_.cancel();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void SignalingClient::Connect(const std::string& host, uint16_t port, ConnectHandler done,
                              std::chrono::milliseconds timeout) {
  host_ = host + ":" + std::to_string(port);
  std::weak_ptr<bool> alive = alive_;
  resolver_.async_resolve(
      host, std::to_string(port),
      [this, alive, done = std::move(done), timeout](
          beast::error_code ec, const asio::ip::tcp::resolver::results_type& results) {
        if (alive.expired()) return;
        if (ec) return done("resolve: " + ec.message());
        beast::get_lowest_layer(ws_).expires_after(timeout);
        beast::get_lowest_layer(ws_).async_connect(results, [this, alive, done, timeout](
                                                                beast::error_code ec,
                                                                const asio::ip::tcp::endpoint&) {
          if (alive.expired()) return;
          if (ec) return done("connect: " + ec.message());
          // The WebSocket stream's own timeouts take over from the TCP
          // stream's once connected (Beast's documented pattern).
          beast::get_lowest_layer(ws_).expires_never();
          // Like a browser's WebSocket: no Nagle delay on small messages.
          beast::error_code ignored;
          beast::get_lowest_layer(ws_).socket().set_option(asio::ip::tcp::no_delay(true), ignored);
          websocket::stream_base::timeout options{};
          options.handshake_timeout = timeout;
          options.idle_timeout = websocket::stream_base::none();
          options.keep_alive_pings = false;
          ws_.set_option(options);
          ws_.async_handshake(host_, "/rtc", [this, alive, done](beast::error_code ec) {
            if (alive.expired()) return;
            if (ec) return done("handshake: " + ec.message());
            open_ = true;
            ReadNext();
            WriteNext();  // frames queued before the connection was up
            done("");
          });
        });
      });
}

void SignalingClient::ReadNext() {
  std::weak_ptr<bool> alive = alive_;
  ws_.async_read(readBuffer_, [this, alive](beast::error_code ec, size_t) {
    if (alive.expired()) return;
    if (ec) {
      OnClosed();
      return;
    }
    const bool text = ws_.got_text();
    std::string data = beast::buffers_to_string(readBuffer_.data());
    readBuffer_.consume(readBuffer_.size());
    ++messagesReceived_;
    if (text) {
      OnMessage(data);
    } else {
      ++unparsableMessages_;  // the protocol has no binary frames
    }
    if (alive.expired() || !open_) return;
    ReadNext();
  });
}

namespace {
// Below this a message is cheaper to parse than to remember.
constexpr size_t kCacheableMessageSize = 64;
}  // namespace

void SignalingClient::OnMessage(const std::string& text) {
  // Broadcasts (roster batches) reach every client of a room with the same
  // text: parse them once per thread.
  thread_local RecentMessageCache recent;
  if (const auto cached = recent.Find(text)) {
    if (onMessage_) onMessage_(*cached);
    return;
  }
  Json message = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object()) {
    ++unparsableMessages_;
    return;
  }
  if (const auto id = message.find("id"); id != message.end() && id->is_number_integer()) {
    const auto it = pending_.find(id->get<int64_t>());
    if (it != pending_.end()) {
      ReplyHandler done = std::move(it->second.done);
      it->second.timer->cancel();
      pending_.erase(it);
      done(std::move(message));
      return;
    }
  }
  if (!message.contains("id") && text.size() >= kCacheableMessageSize) {
    auto parsed = std::make_shared<const Json>(std::move(message));
    recent.Insert(text, parsed);
    if (onMessage_) onMessage_(*parsed);
    return;
  }
  if (onMessage_) onMessage_(message);
}

void SignalingClient::Send(const Json& message) { Enqueue(Frame{message.dump(), false}); }

void SignalingClient::SendText(std::string text) { Enqueue(Frame{std::move(text), false}); }

void SignalingClient::SendBinary(std::string bytes) { Enqueue(Frame{std::move(bytes), true}); }

void SignalingClient::Request(Json message, std::chrono::milliseconds timeout, ReplyHandler done) {
  const int64_t id = nextRequestId_++;
  message["id"] = id;
  auto timer = std::make_unique<asio::steady_timer>(context_, timeout);
  std::weak_ptr<bool> alive = alive_;
  timer->async_wait([this, alive, id](const beast::error_code& ec) {
    if (ec || alive.expired()) return;
    const auto it = pending_.find(id);
    if (it == pending_.end()) return;
    ReplyHandler handler = std::move(it->second.done);
    pending_.erase(it);
    handler(std::nullopt);
  });
  pending_.emplace(id, PendingRequest{std::move(done), std::move(timer)});
  Send(message);
}

void SignalingClient::Enqueue(Frame frame) {
  if (closing_) return;
  writeQueue_.push_back(std::move(frame));
  if (open_ && !writing_) WriteNext();
}

void SignalingClient::WriteNext() {
  if (!open_ || writing_) return;
  if (writeQueue_.empty()) {
    if (closing_) {
      open_ = false;
      std::weak_ptr<bool> alive = alive_;
      ws_.async_close(websocket::close_code::normal, [this, alive](beast::error_code) {
        if (alive.expired()) return;
        OnClosed();
      });
    }
    return;
  }
  writing_ = true;
  ws_.binary(writeQueue_.front().binary);
  std::weak_ptr<bool> alive = alive_;
  ws_.async_write(asio::buffer(writeQueue_.front().data),
                  [this, alive](beast::error_code ec, size_t) {
                    if (alive.expired()) return;
                    writing_ = false;
                    if (ec) {
                      OnClosed();
                      return;
                    }
                    writeQueue_.pop_front();
                    WriteNext();
                  });
}

void SignalingClient::Close() {
  if (closing_) return;
  closing_ = true;
  if (open_ && !writing_) WriteNext();
}

void SignalingClient::OnClosed() {
  const bool wasOpen = open_ || closing_;
  open_ = false;
  closing_ = true;
  writeQueue_.clear();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  FailPending();
  if (wasOpen && onClose_) {
    auto handler = std::move(onClose_);
    onClose_ = nullptr;
    handler();
  }
}

void SignalingClient::FailPending() {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [id, request] : pending) {
    request.timer->cancel();
    request.done(std::nullopt);
  }
}

}  // namespace myriad::loadtest
