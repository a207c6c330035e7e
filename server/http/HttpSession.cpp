#include "server/http/HttpSession.h"

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <fstream>
#include <sstream>

#include "server/Metrics.h"
#include "server/http/HttpServer.h"
#include "signaling/WebSocketSession.h"

namespace myriad::server::http {

namespace beast = boost::beast;
namespace httpb = boost::beast::http;

namespace {
constexpr size_t kMaxRequestBody = size_t{64} * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(30);
}  // namespace

HttpSession::HttpSession(boost::asio::ip::tcp::socket socket, HttpServer& server)
    : stream_(std::move(socket)), server_(server) {}

void HttpSession::Start() { ReadNext(); }

void HttpSession::ReadNext() {
  parser_.emplace();
  parser_->body_limit(kMaxRequestBody);
  stream_.expires_after(kRequestTimeout);
  httpb::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t bytes) { self->OnRead(ec, bytes); });
}

std::string HttpSession::ResolveStaticPath(const std::string& webRoot, std::string_view target) {
  const auto query = target.find('?');
  std::string_view path = target.substr(0, query);
  if (path.empty() || path[0] != '/') return {};
  if (path.find("..") != std::string_view::npos || path.find('\\') != std::string_view::npos ||
      path.find('\0') != std::string_view::npos || path.find("//") != std::string_view::npos) {
    return {};
  }
  std::string file = webRoot + std::string(path);
  if (file.back() == '/') file += "index.html";
  return file;
}

std::string_view HttpSession::MimeType(std::string_view path) {
  const auto ends = [&](std::string_view suffix) {
    return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".json")) return "application/json";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".png")) return "image/png";
  if (ends(".ico")) return "image/x-icon";
  return "application/octet-stream";
}

void HttpSession::OnRead(beast::error_code ec, size_t /*bytes*/) {
  if (ec) {
    beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    return;
  }
  Metrics::Instance().http_requests().Increment();
  auto request = parser_->release();
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));

  if (beast::websocket::is_upgrade(request)) {
    if (path != "/rtc") {
      httpb::response<httpb::string_body> response{httpb::status::not_found, request.version()};
      response.set(httpb::field::content_type, "text/plain");
      response.body() = "WebSocket endpoint is /rtc\n";
      response.prepare_payload();
      Respond(std::move(response));
      return;
    }
    stream_.expires_never();
    std::make_shared<signaling::WebSocketSession>(stream_.release_socket(),
                                                  server_.DelegateFactory())
        ->Start(std::move(request));
    return;
  }

  httpb::response<httpb::string_body> response{httpb::status::ok, request.version()};
  response.set(httpb::field::server, "myriad");
  response.keep_alive(request.keep_alive());
  if (request.method() != httpb::verb::get && request.method() != httpb::verb::head) {
    response.result(httpb::status::method_not_allowed);
    response.set(httpb::field::content_type, "text/plain");
    response.body() = "method not allowed\n";
  } else if (path == "/healthz") {
    response.set(httpb::field::content_type, "text/plain");
    if (server_.Ready()) {
      response.body() = "ok\n";
    } else {
      response.result(httpb::status::service_unavailable);
      response.body() = server_.Draining() ? "draining\n" : "not ready\n";
    }
  } else if (path == "/livez") {
    response.set(httpb::field::content_type, "text/plain");
    response.body() = "ok\n";
  } else if (path == "/metrics") {
    response.set(httpb::field::content_type, "text/plain; version=0.0.4");
    response.body() = Metrics::Instance().Serialize();
  } else {
    const std::string file = ResolveStaticPath(server_.GetOptions().webRoot, target);
    std::ifstream in(file, std::ios::binary);
    if (file.empty() || !in) {
      response.result(httpb::status::not_found);
      response.set(httpb::field::content_type, "text/plain");
      response.body() = "not found\n";
    } else {
      std::ostringstream content;
      content << in.rdbuf();
      response.set(httpb::field::content_type, std::string(MimeType(file)));
      response.set(httpb::field::cache_control, "no-cache");
      response.body() = content.str();
    }
  }
  if (request.method() == httpb::verb::head) {
    response.prepare_payload();
    response.body().clear();
  }
  response.prepare_payload();
  Respond(std::move(response));
}

void HttpSession::Respond(httpb::response<httpb::string_body> response) {
  auto shared = std::make_shared<httpb::response<httpb::string_body>>(std::move(response));
  httpb::async_write(
      stream_, *shared, [self = shared_from_this(), shared](beast::error_code ec, size_t) {
        if (ec || !shared->keep_alive()) {
          beast::error_code ignored;
          self->stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
          return;
        }
        self->ReadNext();
      });
}

}  // namespace myriad::server::http
