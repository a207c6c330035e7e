#include "server/http/HttpServer.h"

#include <boost/asio/ip/address.hpp>

#include "server/Logging.h"
#include "server/http/HttpSession.h"

namespace myriad::server::http {

namespace asio = boost::asio;

HttpServer::HttpServer(asio::io_context& context, Options options,
                       signaling::SessionDelegateFactory delegateFactory)
    : context_(context),
      options_(std::move(options)),
      delegateFactory_(std::move(delegateFactory)),
      acceptor_(context) {}

bool HttpServer::Listen(std::string* error) {
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.listenAddress, ec);
  if (ec) {
    *error = "http.listen_address \"" + options_.listenAddress + "\" is not an IP address";
    return false;
  }
  const asio::ip::tcp::endpoint endpoint(address, options_.port);
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    *error = "cannot listen on HTTP " + options_.listenAddress + ":" +
             std::to_string(options_.port) + ": " + ec.message();
    return false;
  }
  port_ = acceptor_.local_endpoint().port();
  return true;
}

void HttpServer::Start() { AcceptNext(); }

void HttpServer::Stop() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
}

void HttpServer::AcceptNext() {
  acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (!ec) {
      // Signalling is small request/response messages: without TCP_NODELAY a
      // reply written while an earlier segment is unacknowledged waits for
      // the peer's delayed ACK (40 ms on Linux) under Nagle's algorithm.
      boost::system::error_code ignored;
      socket.set_option(asio::ip::tcp::no_delay(true), ignored);
      std::make_shared<HttpSession>(std::move(socket), *this)->Start();
    }
    AcceptNext();
  });
}

}  // namespace myriad::server::http
