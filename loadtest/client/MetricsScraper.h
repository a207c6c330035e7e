#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace myriad::loadtest {

// Reads the server's Prometheus /metrics over HTTP, as an operator's scraper
// would: the load generator reports server-side counters next to its own,
// and tests assert on what an operator sees.
class MetricsScraper {
 public:
  // Series as exposed, e.g. `myriad_dropped_packets_total{reason="malformed_stun"}`
  // -> value. Label order is the server's (prometheus-cpp sorts by name).
  using Samples = std::map<std::string, double>;

  // GET http://host:port/metrics on a private io_context, bounded by
  // `timeout`; nullopt with `error` set on failure or a non-200 status.
  static std::optional<Samples> Fetch(const std::string& host, uint16_t port,
                                      std::chrono::milliseconds timeout, std::string* error);

  // The text exposition format: comment lines skipped, then
  // `name{labels} value [timestamp]` per line.
  static Samples Parse(std::string_view exposition);

  // The value of a series, 0 when absent (a counter never incremented and
  // not yet created reads as 0 too).
  static double Value(const Samples& samples, const std::string& series);
};

}  // namespace myriad::loadtest
