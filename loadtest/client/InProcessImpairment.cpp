#include "loadtest/client/InProcessImpairment.h"

#include <memory>

namespace myriad::loadtest {

namespace {

void AddLinkDrops(ImpairmentRelay::DirectionCounters& into, const LinkImpairment::Counters& from) {
  into.droppedQueueFull += from.droppedQueueFull;
  into.droppedRandomLoss += from.droppedRandomLoss;
  into.droppedBurstLoss += from.droppedBurstLoss;
}

}  // namespace

InProcessImpairment::InProcessImpairment(boost::asio::io_context& context, Options options)
    : options_(options),
      uplinkLine_(context,
                  DelayLine::Options{std::chrono::microseconds(0), options_.lineCapacity,
                                     options_.reservedDatagramBytes},
                  [this](std::span<uint8_t> datagram, const Endpoint& to, uint32_t id,
                         Clock::time_point /*now*/) {
                    Entry& entry = *entries_[id];
                    // A path detached without a flush: its datagrams go nowhere.
                    if (entry.client == nullptr) return;
                    ++entry.uplinkCounters.forwarded;
                    entry.uplinkCounters.forwardedBytes += datagram.size();
                    entry.client->SendImpaired(datagram, to);
                  }),
      downlinkLine_(context,
                    DelayLine::Options{std::chrono::microseconds(0), options_.lineCapacity,
                                       options_.reservedDatagramBytes},
                    [this](std::span<uint8_t> datagram, const Endpoint& from, uint32_t id,
                           Clock::time_point now) {
                      Entry& entry = *entries_[id];
                      if (entry.client == nullptr) return;
                      ++entry.downlinkCounters.forwarded;
                      entry.downlinkCounters.forwardedBytes += datagram.size();
                      entry.client->ReceiveImpaired(datagram, from, now);
                    }) {}

InProcessImpairment::~InProcessImpairment() = default;

std::optional<uint32_t> InProcessImpairment::Attach(Path& path, uint64_t stream) {
  if (entries_.size() >= options_.maxPaths) return std::nullopt;
  entries_.push_back(std::make_unique<Entry>(options_.path, stream, &path));
  return static_cast<uint32_t>(entries_.size() - 1);
}

void InProcessImpairment::Detach(uint32_t id, bool flushUplink, Clock::time_point now) {
  if (id >= entries_.size() || entries_[id]->client == nullptr) return;
  if (flushUplink) uplinkLine_.ReleaseTagged(id, now);
  entries_[id]->client = nullptr;
}

bool InProcessImpairment::Send(uint32_t id, std::span<const uint8_t> datagram, const Endpoint& to,
                               Clock::time_point now) {
  if (id >= entries_.size() || entries_[id]->client == nullptr) return false;
  return Admit(*entries_[id], /*uplink=*/true, id, datagram, to, now);
}

bool InProcessImpairment::Receive(uint32_t id, std::span<const uint8_t> datagram,
                                  const Endpoint& from, Clock::time_point now) {
  if (id >= entries_.size() || entries_[id]->client == nullptr) return false;
  return Admit(*entries_[id], /*uplink=*/false, id, datagram, from, now);
}

bool InProcessImpairment::Admit(Entry& entry, bool uplink, uint32_t id,
                                std::span<const uint8_t> datagram, const Endpoint& peer,
                                Clock::time_point now) {
  LinkImpairment& link = uplink ? entry.uplink : entry.downlink;
  ImpairmentRelay::DirectionCounters& counters =
      uplink ? entry.uplinkCounters : entry.downlinkCounters;
  DelayLine& line = uplink ? uplinkLine_ : downlinkLine_;
  ++counters.received;
  const auto due = link.Admit(datagram.size() + options_.packetOverheadBytes, now);
  if (!due) return false;  // lost or tail-dropped: the link counted it
  if (!line.PushAt(datagram, peer, id, *due)) {
    ++counters.droppedLineFull;
    return false;
  }
  // An unimpaired datagram goes at once (after whatever was due before it),
  // not a timer wake-up later.
  if (*due <= now) line.ReleaseDue(now);
  return true;
}

size_t InProcessImpairment::ReleaseDue(Clock::time_point now) {
  return uplinkLine_.ReleaseDue(now) + downlinkLine_.ReleaseDue(now);
}

InProcessImpairment::Counters InProcessImpairment::GetCounters() const {
  Counters counters;
  for (const auto& entry : entries_) {
    counters.uplink += entry->uplinkCounters;
    AddLinkDrops(counters.uplink, entry->uplink.GetCounters());
    counters.downlink += entry->downlinkCounters;
    AddLinkDrops(counters.downlink, entry->downlink.GetCounters());
  }
  counters.mappings = entries_.size();
  return counters;
}

}  // namespace myriad::loadtest
