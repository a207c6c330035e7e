#include "loadtest/ControlSchedule.h"

#include <algorithm>
#include <limits>

namespace myriad::loadtest {

ControlSchedule::ControlSchedule(Config config, const TalkSchedule& talk)
    : config_(config), talk_(talk), random_(uint64_t{config.seed} * 0x9E3779B97F4A7C15ULL + 17) {
  const int64_t never = std::numeric_limits<int64_t>::min();
  microphoneBusyUntil_.assign(config_.participants, never);
  handBusyUntil_.assign(config_.participants, never);
  config_.audioPublishers = std::min(config_.audioPublishers, config_.participants);
  config_.hosts = std::min(config_.hosts, config_.participants);
  // A kind nobody can take part in weighs nothing.
  const double hostWeight = config_.hosts > 0 && config_.audioPublishers > config_.hosts
                                ? std::max(0.0, config_.hostMuteWeight)
                                : 0.0;
  const double selfWeight =
      config_.audioPublishers > 0 ? std::max(0.0, config_.selfMuteWeight) : 0.0;
  const double handWeight = config_.participants > 0 ? std::max(0.0, config_.handWeight) : 0.0;
  const double total = hostWeight + selfWeight + handWeight;
  if (total <= 0 || config_.messages < 2 || config_.ratePerSecond <= 0) return;
  // Cycles start evenly, at the pace that makes the requests' rate.
  const double meanMessages = (3 * hostWeight + 2 * selfWeight + 2 * handWeight) / total;
  const auto intervalUs =
      std::max<int64_t>(1, static_cast<int64_t>(meanMessages / config_.ratePerSecond * 1e6));
  const Kind twoRequestKind = selfWeight > 0 ? Kind::kSelfMute : Kind::kRaiseHand;
  const bool twoRequestKindExists = selfWeight > 0 || handWeight > 0;

  uint32_t remaining = config_.messages;
  int64_t at = config_.startUs;
  while (remaining >= 2) {
    const double draw = Uniform() * total;
    Kind kind = draw < hostWeight                ? Kind::kHostMute
                : draw < hostWeight + selfWeight ? Kind::kSelfMute
                                                 : Kind::kRaiseHand;
    // The last cycles: make exactly `messages` when the weights allow.
    const uint32_t cost = MessagesOfCycle(kind);
    if (kind == Kind::kHostMute && (cost > remaining || remaining - cost == 1) &&
        twoRequestKindExists) {
      kind = twoRequestKind;
    } else if (kind != Kind::kHostMute && remaining - MessagesOfCycle(kind) == 1 &&
               hostWeight > 0) {
      kind = Kind::kHostMute;
    }
    if (MessagesOfCycle(kind) > remaining) break;
    const int64_t freeAt = at + config_.holdUs + config_.settleUs;
    uint32_t actor = 0;
    uint32_t target = 0;
    bool picked = false;
    if (kind == Kind::kHostMute) {
      actor = hostCursor_++ % config_.hosts;
      picked = PickMicrophone(at, /*allowHosts=*/false, target);
      if (picked) microphoneBusyUntil_[target] = freeAt;
    } else if (kind == Kind::kSelfMute) {
      picked = PickMicrophone(at, /*allowHosts=*/true, actor);
      target = actor;
      if (picked) microphoneBusyUntil_[actor] = freeAt;
    } else {
      picked = PickHand(at, actor);
      target = actor;
      if (picked) handBusyUntil_[actor] = freeAt;
    }
    if (picked) {
      const Kind second = kind == Kind::kHostMute   ? Kind::kRequestUnmute
                          : kind == Kind::kSelfMute ? Kind::kSelfUnmute
                                                    : Kind::kLowerHand;
      actions_.push_back(Action{at, actor, kind, target, cycles_});
      actions_.push_back(Action{at + config_.holdUs, actor, second, target, cycles_});
      ++cycles_;
      remaining -= MessagesOfCycle(kind);
      plannedMessages_ += MessagesOfCycle(kind);
      endUs_ = std::max(endUs_, freeAt);
    }
    // Everyone busy: the cycle waits for the next start.
    at += intervalUs;
  }
  std::stable_sort(actions_.begin(), actions_.end(),
                   [](const Action& a, const Action& b) { return a.atUs < b.atUs; });
}

double ControlSchedule::Uniform() {
  return static_cast<double>(random_() >> 11) * (1.0 / 9007199254740992.0);
}

bool ControlSchedule::PickMicrophone(int64_t atUs, bool allowHosts, uint32_t& picked) {
  const uint32_t first = allowHosts ? 0 : config_.hosts;
  for (const auto& spurt : talk_.TalkersAt(atUs)) {
    const uint32_t p = spurt.publisher;
    if (p < first || p >= config_.audioPublishers) continue;
    if (microphoneBusyUntil_[p] <= atUs) {
      picked = p;
      return true;
    }
  }
  if (config_.audioPublishers <= first) return false;
  const uint32_t count = config_.audioPublishers - first;
  for (uint32_t i = 0; i < count; ++i) {
    const uint32_t p = first + (microphoneCursor_++ % count);
    if (microphoneBusyUntil_[p] <= atUs) {
      picked = p;
      return true;
    }
  }
  return false;
}

bool ControlSchedule::PickHand(int64_t atUs, uint32_t& picked) {
  for (uint32_t i = 0; i < config_.participants; ++i) {
    const uint32_t p = handCursor_++ % config_.participants;
    if (handBusyUntil_[p] <= atUs) {
      picked = p;
      return true;
    }
  }
  return false;
}

std::vector<ControlSchedule::Action> ControlSchedule::ActionsOf(uint32_t actor) const {
  std::vector<Action> mine;
  for (const auto& action : actions_) {
    if (action.actor == actor) mine.push_back(action);
  }
  return mine;
}

const char* ControlSchedule::TypeOf(Kind kind) {
  switch (kind) {
    case Kind::kHostMute:
      return "hostMute";
    case Kind::kRequestUnmute:
      return "requestUnmute";
    case Kind::kSelfMute:
    case Kind::kSelfUnmute:
    case Kind::kAcceptUnmute:
      return "mute";
    case Kind::kRaiseHand:
    case Kind::kLowerHand:
      return "raiseHand";
  }
  return "";
}

const char* ControlSchedule::NameOf(Kind kind) {
  switch (kind) {
    case Kind::kHostMute:
      return "hostMute";
    case Kind::kRequestUnmute:
      return "requestUnmute";
    case Kind::kSelfMute:
      return "selfMute";
    case Kind::kSelfUnmute:
      return "selfUnmute";
    case Kind::kAcceptUnmute:
      return "acceptUnmute";
    case Kind::kRaiseHand:
      return "raiseHand";
    case Kind::kLowerHand:
      return "lowerHand";
  }
  return "";
}

uint32_t ControlSchedule::MessagesOfCycle(Kind first) { return first == Kind::kHostMute ? 3 : 2; }

}  // namespace myriad::loadtest
