#include "loadtest/client/HttpGet.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace myriad::loadtest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

std::optional<std::string> HttpGet::Fetch(const std::string& host, uint16_t port,
                                          const std::string& path,
                                          std::chrono::milliseconds timeout, std::string* error) {
  asio::io_context context;
  asio::ip::tcp::resolver resolver(context);
  beast::tcp_stream stream(context);
  http::request<http::empty_body> request{http::verb::get, path, 11};
  request.set(http::field::host, host + ":" + std::to_string(port));
  request.set(http::field::user_agent, "myriad-loadtest");
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  std::string failure = "no response";

  stream.expires_after(timeout);
  resolver.async_resolve(host, std::to_string(port), [&](beast::error_code ec, auto results) {
    if (ec) {
      failure = "resolve: " + ec.message();
      return;
    }
    stream.async_connect(results, [&](beast::error_code ec, const auto&) {
      if (ec) {
        failure = "connect: " + ec.message();
        return;
      }
      http::async_write(stream, request, [&](beast::error_code ec, size_t) {
        if (ec) {
          failure = "write: " + ec.message();
          return;
        }
        http::async_read(stream, buffer, response, [&](beast::error_code ec, size_t) {
          failure = ec ? "read: " + ec.message() : "";
        });
      });
    });
  });
  context.run();
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  if (failure.empty() && response.result() != http::status::ok) {
    failure = "HTTP status " + std::to_string(response.result_int());
  }
  if (!failure.empty()) {
    if (error) *error = failure;
    return std::nullopt;
  }
  return std::move(response.body());
}

}  // namespace myriad::loadtest
