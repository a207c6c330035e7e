#include "loadtest/client/MetricsScraper.h"

#include <cstdlib>

#include "loadtest/client/HttpGet.h"

namespace myriad::loadtest {

std::optional<MetricsScraper::Samples> MetricsScraper::Fetch(const std::string& host, uint16_t port,
                                                             std::chrono::milliseconds timeout,
                                                             std::string* error) {
  const auto body = HttpGet::Fetch(host, port, "/metrics", timeout, error);
  if (!body) return std::nullopt;
  return Parse(*body);
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
