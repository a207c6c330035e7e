#pragma once

#include <string>
#include <string_view>

namespace myriad::server {

// The Prometheus text exposition format, for metrics read at scrape time from
// outside prometheus-cpp's registry (ProcessStats from /proc, usrsctp's own
// counters in transport::SctpStatistics): a metric's HELP and TYPE lines,
// then one line per sample.
class PrometheusText {
 public:
  // "# HELP name help" and "# TYPE name type".
  static void AppendHeader(std::string& out, std::string_view name, std::string_view type,
                           std::string_view help);
  // "name{labels} value"; `labels` is "" or the braces and their contents.
  static void AppendSample(std::string& out, std::string_view name, std::string_view labels,
                           std::string_view value);
};

}  // namespace myriad::server
