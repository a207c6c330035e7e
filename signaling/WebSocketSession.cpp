#include "signaling/WebSocketSession.h"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/websocket.hpp>

#include "signaling/ServerMessage.h"

namespace myriad::signaling {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

WebSocketSession::WebSocketSession(boost::asio::ip::tcp::socket socket,
                                   const SessionDelegateFactory& factory)
    : ws_(std::move(socket)), factory_(factory) {
  ++liveSessions_;
}

WebSocketSession::~WebSocketSession() { --liveSessions_; }

void WebSocketSession::Start(beast::http::request<beast::http::string_body> upgrade) {
  ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws_.read_message_max(kMaxMessageBytes);
  upgrade_ = std::move(upgrade);
  ws_.async_accept(upgrade_,
                   [self = shared_from_this()](beast::error_code ec) { self->OnAccept(ec); });
}

void WebSocketSession::OnAccept(beast::error_code ec) {
  if (ec) return;
  delegate_ = factory_(shared_from_this());
  ReadNext();
}

void WebSocketSession::ReadNext() {
  ws_.async_read(readBuffer_, [self = shared_from_this()](beast::error_code ec, size_t bytes) {
    self->OnRead(ec, bytes);
  });
}

void WebSocketSession::OnRead(beast::error_code ec, size_t /*bytes*/) {
  if (ec) {
    Shutdown();
    return;
  }
  if (!ws_.got_text()) {
    readBuffer_.consume(readBuffer_.size());
    RequestError error{"bad_message", "binary frames are not part of the protocol", nullptr};
    delegate_->OnRejected(error);
    SendText(ServerMessage::Error(error.code, error.message, nullptr).dump());
    ReadNext();
    return;
  }
  const std::string text = beast::buffers_to_string(readBuffer_.data());
  readBuffer_.consume(readBuffer_.size());
  auto parsed = ClientRequestParser::Parse(text);
  if (auto* error = std::get_if<RequestError>(&parsed)) {
    delegate_->OnRejected(*error);
    SendText(ServerMessage::Error(error->code, error->message, error->id).dump());
  } else {
    delegate_->OnRequest(std::move(std::get<ClientRequest>(parsed)));
  }
  if (!closed_) ReadNext();
}

void WebSocketSession::Send(nlohmann::json message) {
  // Serialise on the caller's thread; the socket is touched only on ours.
  std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), text = std::move(text)]() mutable {
                      self->SendText(std::move(text));
                    });
}

void WebSocketSession::SendShared(std::shared_ptr<const std::string> text) {
  boost::asio::post(ws_.get_executor(),
                    [self = shared_from_this(), text = std::move(text)]() mutable {
                      self->Enqueue(std::move(text));
                    });
}

void WebSocketSession::Close() {
  boost::asio::post(ws_.get_executor(), [self = shared_from_this()] {
    self->closing_ = true;
    if (!self->writing_) self->WriteNext();
  });
}

void WebSocketSession::SendText(std::string text) {
  Enqueue(std::make_shared<const std::string>(std::move(text)));
}

void WebSocketSession::Enqueue(std::shared_ptr<const std::string> text) {
  if (closed_ || closing_) return;
  if (writeQueue_.size() >= kMaxQueuedMessages) {
    // A client that does not read its socket must not grow our memory.
    if (auto logger = spdlog::get("signaling")) logger->warn("closing a slow signalling client");
    Shutdown();
    return;
  }
  writeQueue_.push_back(std::move(text));
  if (!writing_) WriteNext();
}

void WebSocketSession::WriteNext() {
  if (closed_) return;
  if (writeQueue_.empty()) {
    if (closing_) {
      closed_ = true;
      ws_.async_close(websocket::close_code::normal,
                      [self = shared_from_this()](beast::error_code) {});
    }
    return;
  }
  writing_ = true;
  ws_.text(true);
  ws_.async_write(boost::asio::buffer(*writeQueue_.front()),
                  [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                    self->OnWrite(ec, bytes);
                  });
}

void WebSocketSession::OnWrite(beast::error_code ec, size_t /*bytes*/) {
  writing_ = false;
  if (ec) {
    Shutdown();
    return;
  }
  writeQueue_.pop_front();
  if (delegate_) delegate_->OnMessageSent();
  WriteNext();
}

void WebSocketSession::Shutdown() {
  if (!closed_) {
    closed_ = true;
    beast::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }
  writeQueue_.clear();
  if (delegate_) {
    auto delegate = std::move(delegate_);
    delegate->OnClosed();
  }
}

}  // namespace myriad::signaling
