// Parsing the Prometheus text exposition an operator's scraper reads.

#include <catch2/catch.hpp>
#include <cmath>
#include <string>

#include "loadtest/client/MetricsScraper.h"

namespace myriad::integration {

TEST_CASE("MetricsScraper parses the text exposition format", "[client]") {
  const auto samples = loadtest::MetricsScraper::Parse(
      "# HELP myriad_rooms Open rooms\n"
      "# TYPE myriad_rooms gauge\n"
      "myriad_rooms 2\n"
      "myriad_dropped_packets_total{reason=\"malformed_stun\"} 1e+03\r\n"
      "myriad_packets_total{direction=\"in\",kind=\"audio\"} 12 1700000000000\n"
      "\n"
      "broken_line\n"
      "not_a_number{a=\"b\"} twelve\n"
      "myriad_inf +Inf\n");
  CHECK(samples.size() == 4);
  CHECK(loadtest::MetricsScraper::Value(samples, "myriad_rooms") == 2);
  CHECK(loadtest::MetricsScraper::Value(
            samples, "myriad_dropped_packets_total{reason=\"malformed_stun\"}") == 1000);
  CHECK(loadtest::MetricsScraper::Value(
            samples, "myriad_packets_total{direction=\"in\",kind=\"audio\"}") == 12);
  CHECK(loadtest::MetricsScraper::Value(samples, "myriad_absent") == 0);
  CHECK(std::isinf(loadtest::MetricsScraper::Value(samples, "myriad_inf")));
}

TEST_CASE("MetricsScraper reports a server that is not there", "[client]") {
  std::string error;
  // Port 1 on loopback: nothing listens there.
  const auto samples =
      loadtest::MetricsScraper::Fetch("127.0.0.1", 1, std::chrono::seconds(2), &error);
  CHECK(!samples.has_value());
  CHECK(!error.empty());
}

}  // namespace myriad::integration
