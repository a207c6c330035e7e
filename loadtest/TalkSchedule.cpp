#include "loadtest/TalkSchedule.h"

#include <algorithm>
#include <cmath>
#include <queue>
#include <random>

namespace myriad::loadtest {

TalkSchedule::TalkSchedule(Config config) : config_(config) {
  config_.minSpurtUs = std::max<int64_t>(config_.minSpurtUs, 1000);
  config_.maxSpurtUs = std::max(config_.maxSpurtUs, config_.minSpurtUs);
  config_.quietestLevel = std::min<uint8_t>(config_.quietestLevel, 127);
  config_.loudestLevel = std::min(config_.loudestLevel, config_.quietestLevel);
  byPublisher_.resize(config_.publishers);
  if (config_.publishers == 0 || config_.talkingShare <= 0 || config_.durationUs <= 0) return;
  channels_ = static_cast<uint32_t>(
      std::lround(config_.talkingShare * static_cast<double>(config_.publishers)));
  channels_ = std::clamp<uint32_t>(channels_, 1, config_.publishers);

  std::mt19937 random(config_.seed);
  std::uniform_int_distribution<int64_t> spurtLength(config_.minSpurtUs, config_.maxSpurtUs);
  std::uniform_int_distribution<int64_t> firstLength(config_.maxSpurtUs / 10, config_.maxSpurtUs);
  std::vector<bool> talking(config_.publishers, false);
  std::vector<uint32_t> silent;
  // Picks a silent publisher, never `previous` when another one is free, so
  // a channel's boundary is a real change of talker.
  auto pick = [&](std::optional<uint32_t> previous) {
    silent.clear();
    for (uint32_t p = 0; p < config_.publishers; ++p) {
      if (!talking[p] && p != previous) silent.push_back(p);
    }
    if (silent.empty()) return *previous;
    std::uniform_int_distribution<size_t> choice(0, silent.size() - 1);
    return silent[choice(random)];
  };

  // Channel boundaries in time order (then channel order), so "silent at
  // that moment" is well defined.
  using Boundary = std::pair<int64_t, uint32_t>;
  std::priority_queue<Boundary, std::vector<Boundary>, std::greater<>> boundaries;
  std::vector<std::optional<uint32_t>> current(channels_);
  for (uint32_t channel = 0; channel < channels_; ++channel) {
    const uint32_t publisher = pick(std::nullopt);
    talking[publisher] = true;
    current[channel] = publisher;
    const int64_t end = std::min(firstLength(random), config_.durationUs);
    spurts_.push_back(Spurt{publisher, channel, ChannelLevel(channel), 0, end});
    if (end < config_.durationUs) boundaries.emplace(end, channel);
  }
  while (!boundaries.empty()) {
    const auto [at, channel] = boundaries.top();
    boundaries.pop();
    const uint32_t previous = *current[channel];
    talking[previous] = false;
    const uint32_t publisher = pick(previous);
    talking[publisher] = true;
    current[channel] = publisher;
    const int64_t end = std::min(at + spurtLength(random), config_.durationUs);
    spurts_.push_back(Spurt{publisher, channel, ChannelLevel(channel), at, end});
    if (end < config_.durationUs) boundaries.emplace(end, channel);
  }
  std::stable_sort(spurts_.begin(), spurts_.end(), [](const Spurt& a, const Spurt& b) {
    return a.startUs != b.startUs ? a.startUs < b.startUs : a.channel < b.channel;
  });
  for (uint32_t i = 0; i < spurts_.size(); ++i) byPublisher_[spurts_[i].publisher].push_back(i);
}

uint8_t TalkSchedule::ChannelLevel(uint32_t channel) const {
  const int loudest = config_.loudestLevel;
  const int foreground = static_cast<int>(std::max<uint32_t>(config_.foregroundChannels, 1));
  const int c = static_cast<int>(channel);
  if (c < foreground) return static_cast<uint8_t>(std::min(loudest + c, 127));
  const int backgroundTop = loudest + foreground - 1 + config_.backgroundGap;
  const int quietest = std::max<int>(config_.quietestLevel, backgroundTop);
  return static_cast<uint8_t>(std::min({backgroundTop + (c - foreground), quietest, 127}));
}

std::vector<TalkSchedule::Spurt> TalkSchedule::SpurtsOf(uint32_t publisher) const {
  std::vector<Spurt> spurts;
  if (publisher >= byPublisher_.size()) return spurts;
  for (const uint32_t index : byPublisher_[publisher]) spurts.push_back(spurts_[index]);
  return spurts;
}

const TalkSchedule::Spurt* TalkSchedule::SpurtAt(uint32_t publisher, int64_t atUs) const {
  if (publisher >= byPublisher_.size()) return nullptr;
  const auto& indices = byPublisher_[publisher];
  // The last spurt starting at or before atUs.
  const auto after =
      std::upper_bound(indices.begin(), indices.end(), atUs,
                       [this](int64_t at, uint32_t index) { return at < spurts_[index].startUs; });
  if (after == indices.begin()) return nullptr;
  const Spurt& spurt = spurts_[*std::prev(after)];
  return atUs < spurt.endUs ? &spurt : nullptr;
}

bool TalkSchedule::SilentThroughout(uint32_t publisher, int64_t fromUs, int64_t toUs) const {
  if (publisher >= byPublisher_.size()) return true;
  for (const uint32_t index : byPublisher_[publisher]) {
    const Spurt& spurt = spurts_[index];
    if (spurt.startUs > toUs) break;
    if (spurt.endUs > fromUs) return false;
  }
  return true;
}

std::vector<TalkSchedule::Spurt> TalkSchedule::TalkersAt(int64_t atUs) const {
  std::vector<Spurt> talkers;
  for (const Spurt& spurt : spurts_) {
    if (spurt.startUs > atUs) break;
    if (atUs < spurt.endUs) talkers.push_back(spurt);
  }
  std::sort(talkers.begin(), talkers.end(), [](const Spurt& a, const Spurt& b) {
    return a.level != b.level ? a.level < b.level : a.channel < b.channel;
  });
  return talkers;
}

std::vector<uint32_t> TalkSchedule::LoudestAt(int64_t atUs, uint32_t k,
                                              std::optional<uint32_t> excluded) const {
  std::vector<uint32_t> loudest;
  for (const Spurt& spurt : TalkersAt(atUs)) {
    if (loudest.size() >= k) break;
    if (spurt.publisher != excluded) loudest.push_back(spurt.publisher);
  }
  return loudest;
}

}  // namespace myriad::loadtest
