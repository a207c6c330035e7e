#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace myriad::loadtest {

// One blocking HTTP/1.1 GET against a local server (the /metrics and
// /healthz endpoints), on a private io_context, bounded by `timeout`.
class HttpGet {
 public:
  // The body of a 200 response, or nullopt with `error` saying what failed
  // (resolve, connect, write, read, or "HTTP status N").
  static std::optional<std::string> Fetch(const std::string& host, uint16_t port,
                                          const std::string& path,
                                          std::chrono::milliseconds timeout, std::string* error);
};

}  // namespace myriad::loadtest
