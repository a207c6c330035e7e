#include "simulcast/TierPlanner.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace myriad::simulcast {

namespace {
constexpr int kNoLevel = -1;

// "Heavier" of the class comment: more subscribers, of equal weights the higher level. A total
// order on levels, so every choice below is unique.
bool IsHeavier(const std::array<int, SimulcastLadder::kMaxLevels>& weights, int a, int b) {
  if (weights[a] != weights[b]) return weights[a] > weights[b];
  return a > b;
}
}  // namespace

TierPlanner::TierPlanner(const SimulcastLadder& ladder, Options options)
    : ladder_(ladder), options_(options), sourceLevel_(ladder_.LevelCount() - 1) {
  options_.hysteresisSubscribers = std::max(options_.hysteresisSubscribers, 0);
  plan_.tierForLevel.assign(ladder_.LevelCount(), kNoTier);
}

void TierPlanner::SetDemand(SubscriberId subscriber, std::optional<int> level, int64_t nowMs) {
  const auto it = requests_.find(subscriber);
  if (!level) {
    if (it == requests_.end()) return;
    --requestCounts_[it->second];
    requests_.erase(it);
  } else {
    const int clamped = std::clamp(*level, 0, ladder_.LevelCount() - 1);
    if (it == requests_.end()) {
      requests_.emplace(subscriber, clamped);
    } else {
      if (it->second == clamped) return;  // no change: does not restart the debounce
      --requestCounts_[it->second];
      it->second = clamped;
    }
    ++requestCounts_[clamped];
  }
  if (!firstPendingChangeMs_) firstPendingChangeMs_ = nowMs;
  lastChangeMs_ = nowMs;
}

void TierPlanner::SetTierBudget(int tiers) {
  const int clamped = std::clamp(tiers, 1, kMaxTiers);
  if (clamped == budget_) return;
  budget_ = clamped;
  publisherChanged_ = true;
}

void TierPlanner::SetSourceLevel(int level) {
  const int clamped = std::clamp(level, 0, ladder_.LevelCount() - 1);
  if (clamped == sourceLevel_) return;
  sourceLevel_ = clamped;
  publisherChanged_ = true;
}

std::optional<TierPlan> TierPlanner::Update(int64_t nowMs) {
  if (!IsDue(nowMs)) return std::nullopt;
  firstPendingChangeMs_.reset();
  publisherChanged_ = false;

  std::vector<int> levels = ChooseLevels(WeightsAtSource());
  std::vector<int> tierForLevel = MapLevels(levels);
  if (levels == plan_.levels && tierForLevel == plan_.tierForLevel) return std::nullopt;
  plan_.levels = std::move(levels);
  plan_.tierForLevel = std::move(tierForLevel);
  ++plan_.version;
  return plan_;
}

int TierPlanner::TierForSubscriber(SubscriberId subscriber) const {
  const auto it = requests_.find(subscriber);
  return it == requests_.end() ? kNoTier : plan_.tierForLevel[it->second];
}

std::optional<int> TierPlanner::LevelForSubscriber(SubscriberId subscriber) const {
  const int tier = TierForSubscriber(subscriber);
  if (tier == kNoTier) return std::nullopt;
  return plan_.levels[tier];
}

bool TierPlanner::IsDue(int64_t nowMs) const {
  if (publisherChanged_) return true;
  if (!firstPendingChangeMs_) return false;
  if (plan_.levels.empty()) return true;  // nobody receives video: no reason to wait
  return nowMs - lastChangeMs_ >= options_.debounceMs ||
         nowMs - *firstPendingChangeMs_ >= options_.maxDelayMs;
}

TierPlanner::Weights TierPlanner::WeightsAtSource() const {
  Weights weights{};
  for (int level = 0; level < ladder_.LevelCount(); ++level) {
    weights[std::min(level, sourceLevel_)] += requestCounts_[level];
  }
  return weights;
}

std::vector<int> TierPlanner::ChooseLevels(const Weights& weights) const {
  const int levelCount = ladder_.LevelCount();
  std::array<bool, SimulcastLadder::kMaxLevels> encoded{};
  int tierCount = 0;

  // The heaviest requested level not encoded, or kNoLevel.
  const auto heaviestCandidate = [&] {
    int best = kNoLevel;
    for (int level = 0; level < levelCount; ++level) {
      if (encoded[level] || weights[level] == 0) continue;
      if (best == kNoLevel || IsHeavier(weights, level, best)) best = level;
    }
    return best;
  };
  // The lightest encoded level (tierCount > 0).
  const auto lightestTier = [&] {
    int worst = kNoLevel;
    for (int level = 0; level < levelCount; ++level) {
      if (!encoded[level]) continue;
      if (worst == kNoLevel || IsHeavier(weights, worst, level)) worst = level;
    }
    return worst;
  };

  // 1. Tiers still wanted stay (levels above the source have weight 0).
  for (const int level : plan_.levels) {
    if (weights[level] > 0) {
      encoded[level] = true;
      ++tierCount;
    }
  }
  // 2. A smaller budget drops the lightest.
  for (; tierCount > budget_; --tierCount) encoded[lightestTier()] = false;
  // 3. Free tiers take the heaviest requests.
  for (int candidate = heaviestCandidate(); tierCount < budget_ && candidate != kNoLevel;
       candidate = heaviestCandidate()) {
    encoded[candidate] = true;
    ++tierCount;
  }
  // 4. Hysteresis. The heaviest candidate against the lightest tier: if that pair does not swap,
  // no pair does. Each swap raises the encoded weight sum, so this ends.
  for (int candidate = heaviestCandidate(); candidate != kNoLevel && tierCount > 0;
       candidate = heaviestCandidate()) {
    const int incumbent = lightestTier();
    if (weights[candidate] <= weights[incumbent] + options_.hysteresisSubscribers) break;
    encoded[incumbent] = false;
    encoded[candidate] = true;
  }

  std::vector<int> levels;
  levels.reserve(tierCount);
  for (int level = 0; level < levelCount; ++level) {
    if (encoded[level]) levels.push_back(level);
  }
  return levels;
}

std::vector<int> TierPlanner::MapLevels(const std::vector<int>& levels) const {
  std::vector<int> tierForLevel(ladder_.LevelCount(), kNoTier);
  for (int level = 0; level < ladder_.LevelCount(); ++level) {
    const int wanted = std::min(level, sourceLevel_);
    int bestDistance = 0;
    // Ascending tiers and a strict comparison: of two equally near tiers the lower one wins.
    for (int tier = 0; tier < static_cast<int>(levels.size()); ++tier) {
      const int distance = std::abs(levels[tier] - wanted);
      if (tierForLevel[level] == kNoTier || distance < bestDistance) {
        tierForLevel[level] = tier;
        bestDistance = distance;
      }
    }
  }
  return tierForLevel;
}

}  // namespace myriad::simulcast
