#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "loadtest/client/MetricsScraper.h"

namespace myriad::loadtest {

// A Prometheus histogram as scraped from the server, summed over its label
// sets (e.g. all media workers): cumulative bucket counts by upper bound.
// Two scrapes give the distribution of what happened between them, which is
// how a run reports the server's own view of the latency it adds
// (`myriad_datagram_processing_delay_seconds`) independently of the load
// generator's queues.
class ServerHistogram {
 public:
  // nullopt when the exposition has no `<name>_bucket` series.
  static std::optional<ServerHistogram> FromSamples(const MetricsScraper::Samples& samples,
                                                    const std::string& name);

  // This scrape minus an earlier one of the same histogram.
  ServerHistogram Minus(const ServerHistogram& earlier) const;

  uint64_t Count() const { return count_; }
  double Sum() const { return sum_; }
  // The q-quantile (0..1) by linear interpolation inside its bucket (the
  // usual histogram_quantile estimate); the last finite bound when it falls
  // in +Inf; 0 when empty.
  double Quantile(double q) const;

 private:
  std::vector<std::pair<double, double>> buckets_;  // (upper bound, cumulative count), ascending
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace myriad::loadtest
