#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "loadtest/client/DelayLine.h"
#include "loadtest/tunlink/TunImpairment.h"

namespace myriad::loadtest {

// The link of myriad-tunlink: two TUN devices (one in the root network
// namespace, one in a benchmark's namespace) joined back to back, every IP
// packet read from one written to the other after its direction's
// TunImpairment. Kernel TCP on both ends then meets real delay and loss,
// which the kernel cannot add itself without netem.
//
// Each direction reads in batches (up to `readBatch` packets per wake-up,
// then the other direction gets its turn) and holds delayed packets in a
// DelayLine of `queuePackets` slots; a packet that finds the line full is
// dropped and counted, like a router's tail drop. Writes to a TUN device
// do not block (the kernel queues the packet into its network stack); one
// that fails is counted.
//
// Does not own the descriptors (TunDevice does). Runs on one io_context
// thread; no allocation per packet.
class TunLink {
 public:
  using Clock = TunImpairment::Clock;

  struct Options {
    TunImpairment::Options toNetns;    // root namespace -> benchmark namespace
    TunImpairment::Options fromNetns;  // benchmark namespace -> root namespace
    size_t queuePackets = 4096;
    size_t readBatch = 64;
  };

  struct DirectionCounters {
    uint64_t packets = 0;        // read from the source device
    uint64_t impaired = 0;       // selected by the filter
    uint64_t dropped = 0;        // random loss
    uint64_t queueFull = 0;      // the delay line was full
    uint64_t written = 0;        // written to the far device
    uint64_t writeFailures = 0;  // the far device refused the packet
    uint64_t readErrors = 0;     // a read failed other than by "nothing to read"
  };

  TunLink(boost::asio::io_context& context, int rootFd, int netnsFd, const Options& options);
  ~TunLink();
  TunLink(const TunLink&) = delete;
  TunLink& operator=(const TunLink&) = delete;

  void Start();
  // Stops reading and forgets the packets in flight.
  void Stop();

  DirectionCounters ToNetnsCounters() const { return CountersOf(*directions_[0]); }
  DirectionCounters FromNetnsCounters() const { return CountersOf(*directions_[1]); }

 private:
  struct Direction;

  void ReadNext(Direction& direction);
  // Reads a batch and re-arms: a wait when the device ran dry, else a
  // posted continuation.
  void Continue(Direction& direction);
  // Up to a batch; true when the batch was full (more may be waiting).
  bool Drain(Direction& direction);
  static void Write(Direction& direction, std::span<const uint8_t> packet);
  static DirectionCounters CountersOf(const Direction& direction);

  Options options_;
  std::array<std::unique_ptr<Direction>, 2> directions_;
  // Large enough for any packet a TUN device hands out (its MTU may be
  // raised up to 64 KiB).
  std::vector<uint8_t> readBuffer_;
  bool running_ = false;
};

}  // namespace myriad::loadtest
