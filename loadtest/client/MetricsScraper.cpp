#include "loadtest/client/MetricsScraper.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>

namespace myriad::loadtest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

std::optional<MetricsScraper::Samples> MetricsScraper::Fetch(const std::string& host, uint16_t port,
                                                             std::chrono::milliseconds timeout,
                                                             std::string* error) {
  asio::io_context context;
  asio::ip::tcp::resolver resolver(context);
  beast::tcp_stream stream(context);
  http::request<http::empty_body> request{http::verb::get, "/metrics", 11};
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
  return Parse(response.body());
}

MetricsScraper::Samples MetricsScraper::Parse(std::string_view exposition) {
  Samples samples;
  while (!exposition.empty()) {
    const size_t end = exposition.find('\n');
    std::string_view line = exposition.substr(0, end);
    exposition.remove_prefix(end == std::string_view::npos ? exposition.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    // The series ends at the first space after the label set, if any.
    const size_t labelsEnd = line.find('}');
    const size_t keyEnd = line.find(' ', labelsEnd == std::string_view::npos ? 0 : labelsEnd);
    if (keyEnd == std::string_view::npos) continue;
    std::string_view rest = line.substr(keyEnd + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    const std::string value(rest.substr(0, rest.find(' ')));
    char* parsedEnd = nullptr;
    const double number = std::strtod(value.c_str(), &parsedEnd);
    if (value.empty() || parsedEnd != value.c_str() + value.size()) continue;
    samples[std::string(line.substr(0, keyEnd))] = number;
  }
  return samples;
}

double MetricsScraper::Value(const Samples& samples, const std::string& series) {
  const auto it = samples.find(series);
  return it == samples.end() ? 0.0 : it->second;
}

}  // namespace myriad::loadtest
