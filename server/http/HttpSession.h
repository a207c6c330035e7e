#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <memory>
#include <optional>
#include <string>

namespace myriad::server::http {

class HttpServer;

// One HTTP connection: serves requests until it is upgraded to the /rtc
// WebSocket or closed. An Asio session, hence shared_from_this.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(boost::asio::ip::tcp::socket socket, HttpServer& server);
  void Start();

  // Maps a URL path to a file under the web root, refusing anything that
  // could leave it ("..", backslashes, NUL). Empty when refused.
  static std::string ResolveStaticPath(const std::string& webRoot, std::string_view target);
  static std::string_view MimeType(std::string_view path);

 private:
  void ReadNext();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  void Respond(boost::beast::http::response<boost::beast::http::string_body> response);

  boost::beast::tcp_stream stream_;
  HttpServer& server_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
};

}  // namespace myriad::server::http
