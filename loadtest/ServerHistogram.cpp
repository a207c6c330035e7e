#include "loadtest/ServerHistogram.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace myriad::loadtest {

std::optional<ServerHistogram> ServerHistogram::FromSamples(const MetricsScraper::Samples& samples,
                                                            const std::string& name) {
  const std::string bucketPrefix = name + "_bucket{";
  std::map<double, double> byBound;
  double count = 0;
  double sum = 0;
  for (const auto& [series, value] : samples) {
    if (series.rfind(bucketPrefix, 0) == 0) {
      const auto le = series.find("le=\"");
      if (le == std::string::npos) continue;
      const auto end = series.find('"', le + 4);
      if (end == std::string::npos) continue;
      const std::string bound = series.substr(le + 4, end - le - 4);
      const double upper = bound == "+Inf" ? std::numeric_limits<double>::infinity()
                                           : std::strtod(bound.c_str(), nullptr);
      byBound[upper] += value;
    } else if (series == name + "_count" || series.rfind(name + "_count{", 0) == 0) {
      count += value;
    } else if (series == name + "_sum" || series.rfind(name + "_sum{", 0) == 0) {
      sum += value;
    }
  }
  if (byBound.empty()) return std::nullopt;
  ServerHistogram histogram;
  histogram.buckets_.assign(byBound.begin(), byBound.end());
  histogram.count_ = static_cast<uint64_t>(std::llround(count));
  histogram.sum_ = sum;
  return histogram;
}

ServerHistogram ServerHistogram::Minus(const ServerHistogram& earlier) const {
  ServerHistogram difference = *this;
  for (auto& [bound, cumulative] : difference.buckets_) {
    const auto it =
        std::find_if(earlier.buckets_.begin(), earlier.buckets_.end(),
                     [bound = bound](const auto& bucket) { return bucket.first == bound; });
    if (it != earlier.buckets_.end()) cumulative = std::max(0.0, cumulative - it->second);
  }
  difference.count_ = count_ >= earlier.count_ ? count_ - earlier.count_ : 0;
  difference.sum_ = std::max(0.0, sum_ - earlier.sum_);
  return difference;
}

double ServerHistogram::Quantile(double q) const {
  if (buckets_.empty() || buckets_.back().second <= 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * buckets_.back().second;
  double lowerBound = 0;
  double lowerCount = 0;
  for (const auto& [upper, cumulative] : buckets_) {
    if (cumulative >= rank && cumulative > lowerCount) {
      if (std::isinf(upper)) return lowerBound;
      return lowerBound + (upper - lowerBound) * (rank - lowerCount) / (cumulative - lowerCount);
    }
    if (!std::isinf(upper)) lowerBound = upper;
    lowerCount = cumulative;
  }
  return lowerBound;
}

}  // namespace myriad::loadtest
