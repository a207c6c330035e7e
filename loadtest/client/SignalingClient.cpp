#include "loadtest/client/SignalingClient.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "loadtest/client/RecentMessageCache.h"

namespace myriad::loadtest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

SignalingClient::SignalingClient(asio::io_context& context) : SignalingClient(context, Options{}) {}

SignalingClient::SignalingClient(asio::io_context& context, Options options)
    : context_(context), options_(options), resolver_(context), ws_(context) {
  BuildDelayLines();
}

bool SignalingClient::SetAddedDelay(std::chrono::milliseconds delay) {
  // Rebuilding the lines later would lose or reorder what they hold.
  if (connectCalled_ || !writeQueue_.empty() || (sendDelay_ && sendDelay_->Size() > 0)) {
    return false;
  }
  options_.addedDelay = delay;
  sendDelay_.reset();
  receiveDelay_.reset();
  BuildDelayLines();
  return true;
}

void SignalingClient::BuildDelayLines() {
  if (options_.addedDelay.count() <= 0) return;
  // Messages vary in size: no reservation, a slot grows to its largest.
  const DelayLine::Options line{options_.addedDelay, options_.delayLineCapacity, 0};
  sendDelay_ = std::make_unique<DelayLine>(
      context_, line,
      [this](std::span<uint8_t> bytes, const DelayLine::Endpoint&, uint32_t tag,
             DelayLine::Clock::time_point) { OnSendDue(static_cast<Delayed>(tag), bytes); });
  receiveDelay_ = std::make_unique<DelayLine>(
      context_, line,
      [this](std::span<uint8_t> bytes, const DelayLine::Endpoint&, uint32_t tag,
             DelayLine::Clock::time_point) { OnReceived(static_cast<Delayed>(tag), bytes); });
}

uint64_t SignalingClient::DelayLineDrops() const {
  return (sendDelay_ ? sendDelay_->Dropped() : 0) + (receiveDelay_ ? receiveDelay_->Dropped() : 0);
}

SignalingClient::~SignalingClient() {
  alive_.reset();
  resolver_.cancel();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
}

void SignalingClient::Connect(const std::string& host, uint16_t port, ConnectHandler done,
                              std::chrono::milliseconds timeout) {
  connectCalled_ = true;
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
      // The end of the connection travels behind the messages before it.
      if (!receiveDelay_ || !receiveDelay_->Push({}, {}, static_cast<uint32_t>(Delayed::kClose),
                                                 DelayLine::Clock::now())) {
        OnClosed();
      }
      return;
    }
    const Delayed what = ws_.got_text() ? Delayed::kText : Delayed::kBinary;
    const auto data = readBuffer_.cdata();
    const std::span<const uint8_t> bytes(static_cast<const uint8_t*>(data.data()), data.size());
    if (receiveDelay_) {
      receiveDelay_->Push(bytes, {}, static_cast<uint32_t>(what), DelayLine::Clock::now());
    } else {
      OnReceived(what, bytes);
    }
    if (alive.expired()) return;
    readBuffer_.consume(readBuffer_.size());
    if (!open_) return;
    ReadNext();
  });
}

void SignalingClient::OnReceived(Delayed what, std::span<const uint8_t> bytes) {
  if (what == Delayed::kClose) {
    OnClosed();
    return;
  }
  ++messagesReceived_;
  if (what == Delayed::kText) {
    OnMessage(std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } else {
    ++unparsableMessages_;  // the protocol has no binary frames
  }
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
  if (closing_ || closeRequested_) return;
  if (sendDelay_) {
    const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(frame.data.data()),
                                         frame.data.size());
    sendDelay_->Push(bytes, {},
                     static_cast<uint32_t>(frame.binary ? Delayed::kBinary : Delayed::kText),
                     DelayLine::Clock::now());
    return;
  }
  EnqueueNow(std::move(frame));
}

void SignalingClient::OnSendDue(Delayed what, std::span<const uint8_t> bytes) {
  if (what == Delayed::kClose) {
    CloseNow();
    return;
  }
  EnqueueNow(Frame{std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                   what == Delayed::kBinary});
}

void SignalingClient::EnqueueNow(Frame frame) {
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
  if (closing_ || closeRequested_) return;
  closeRequested_ = true;
  // Our close goes out behind the messages sent before it.
  if (sendDelay_ &&
      sendDelay_->Push({}, {}, static_cast<uint32_t>(Delayed::kClose), DelayLine::Clock::now())) {
    return;
  }
  CloseNow();
}

void SignalingClient::CloseNow() {
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
