#include "loadtest/client/InProcessImpairment.h"

#include <memory>

namespace myriad::loadtest {

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
  Entry& entry = *entries_[id];
  return ImpairmentRelay::AdmitOntoLine(entry.uplink, uplinkLine_, entry.uplinkCounters, datagram,
                                        options_.packetOverheadBytes, to, id, now);
}

bool InProcessImpairment::Receive(uint32_t id, std::span<const uint8_t> datagram,
                                  const Endpoint& from, Clock::time_point now) {
  if (id >= entries_.size() || entries_[id]->client == nullptr) return false;
  Entry& entry = *entries_[id];
  return ImpairmentRelay::AdmitOntoLine(entry.downlink, downlinkLine_, entry.downlinkCounters,
                                        datagram, options_.packetOverheadBytes, from, id, now);
}

size_t InProcessImpairment::ReleaseDue(Clock::time_point now) {
  return uplinkLine_.ReleaseDue(now) + downlinkLine_.ReleaseDue(now);
}

InProcessImpairment::Counters InProcessImpairment::GetCounters() const {
  Counters counters;
  for (const auto& entry : entries_) {
    counters.uplink += entry->uplinkCounters;
    counters.uplink.AddLinkDrops(entry->uplink.GetCounters());
    counters.downlink += entry->downlinkCounters;
    counters.downlink.AddLinkDrops(entry->downlink.GetCounters());
  }
  counters.mappings = entries_.size();
  return counters;
}

}  // namespace myriad::loadtest
