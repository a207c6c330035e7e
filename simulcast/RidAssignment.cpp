#include "simulcast/RidAssignment.h"

#include <algorithm>
#include <cstdlib>
#include <functional>

namespace myriad::simulcast {

std::vector<int> RidAssignment::Assign(const std::vector<int>& previous,
                                       const std::vector<int>& levels,
                                       const std::vector<int>& nominal) {
  const size_t rids = previous.size();
  const size_t count = std::min(levels.size(), rids);
  std::vector<int> best(rids, kPaused);
  int bestKept = -1;
  int bestToggled = 0;
  int bestDistance = 0;
  const bool hasNominal = nominal.size() == rids;
  std::vector<int> candidate(rids, kPaused);
  std::vector<size_t> chosen(count);
  // Every increasing tuple chosen[0] < ... < chosen[count - 1] of rids: at
  // most C(4, 2) = 6 for the four encodings a publisher may send, visited in
  // lexicographic order so the first best uses the lowest rids.
  std::function<void(size_t, size_t)> visit = [&](size_t position, size_t from) {
    if (position == count) {
      std::fill(candidate.begin(), candidate.end(), kPaused);
      for (size_t j = 0; j < count; ++j) candidate[chosen[j]] = levels[j];
      int kept = 0;
      int toggled = 0;
      int distance = 0;
      for (size_t r = 0; r < rids; ++r) {
        if (candidate[r] != kPaused && candidate[r] == previous[r]) ++kept;
        if ((candidate[r] != kPaused) != (previous[r] != kPaused)) ++toggled;
        if (hasNominal && candidate[r] != kPaused) distance += std::abs(candidate[r] - nominal[r]);
      }
      const bool better =
          kept > bestKept ||
          (kept == bestKept &&
           (toggled < bestToggled || (toggled == bestToggled && distance < bestDistance)));
      if (better) {
        best = candidate;
        bestKept = kept;
        bestToggled = toggled;
        bestDistance = distance;
      }
      return;
    }
    for (size_t r = from; r + (count - position) <= rids; ++r) {
      chosen[position] = r;
      visit(position + 1, r + 1);
    }
  };
  visit(0, 0);
  return best;
}

}  // namespace myriad::simulcast
