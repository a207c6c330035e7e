#include "loadtest/tunlink/TunLink.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstring>

namespace myriad::loadtest {

namespace asio = boost::asio;

namespace {

constexpr size_t kMaxPacketBytes = 65536;
// A typical packet: an Ethernet-sized MTU. Larger ones grow their slot once.
constexpr size_t kReservedPacketBytes = 1500;

}  // namespace

struct TunLink::Direction {
  Direction(asio::io_context& context, const char* name, int fromFd, int toFd,
            const TunImpairment::Options& impairmentOptions, size_t queuePackets)
      : name(name),
        fromFd(fromFd),
        toFd(toFd),
        reader(context, fromFd),
        impairment(impairmentOptions),
        line(context,
             DelayLine::Options{std::chrono::microseconds(0), queuePackets, kReservedPacketBytes},
             [this](std::span<uint8_t> packet, const DelayLine::Endpoint& /*peer*/,
                    uint32_t /*tag*/, Clock::time_point /*now*/) { Write(*this, packet); }) {}

  const char* name;
  int fromFd;
  int toFd;
  // Waits for readability only; the reads and writes are plain syscalls on
  // the non-blocking descriptors, so a batch costs one wake-up.
  asio::posix::stream_descriptor reader;
  TunImpairment impairment;
  DelayLine line;
  uint64_t queueFull = 0;
  uint64_t written = 0;
  uint64_t writeFailures = 0;
  uint64_t readErrors = 0;
};

TunLink::TunLink(asio::io_context& context, int rootFd, int netnsFd, const Options& options)
    : options_(options), readBuffer_(kMaxPacketBytes) {
  directions_[0] = std::make_unique<Direction>(context, "to-netns", rootFd, netnsFd,
                                               options.toNetns, options.queuePackets);
  directions_[1] = std::make_unique<Direction>(context, "from-netns", netnsFd, rootFd,
                                               options.fromNetns, options.queuePackets);
}

TunLink::~TunLink() {
  Stop();
  // The descriptors are the TunDevices'; the readers must not close them.
  for (auto& direction : directions_) direction->reader.release();
}

void TunLink::Start() {
  if (running_) return;
  running_ = true;
  for (auto& direction : directions_) ReadNext(*direction);
}

void TunLink::Stop() {
  if (!running_) return;
  running_ = false;
  for (auto& direction : directions_) {
    boost::system::error_code ignored;
    direction->reader.cancel(ignored);
    direction->line.Clear();
  }
}

void TunLink::ReadNext(Direction& direction) {
  direction.reader.async_wait(asio::posix::stream_descriptor::wait_read,
                              [this, &direction](const boost::system::error_code& ec) {
                                if (ec == asio::error::operation_aborted || !running_) return;
                                if (ec) {
                                  ++direction.readErrors;
                                  spdlog::error("tunlink {}: waiting to read: {}", direction.name,
                                                ec.message());
                                  return;
                                }
                                Continue(direction);
                              });
}

void TunLink::Continue(Direction& direction) {
  if (!running_) return;
  if (!Drain(direction)) {
    ReadNext(direction);
    return;
  }
  // A full batch: more may be waiting, and the reactor reports readiness
  // by edges, so waiting again could leave them until the next packet
  // arrives. The other direction gets its turn first.
  asio::post(direction.reader.get_executor(), [this, &direction] { Continue(direction); });
}

bool TunLink::Drain(Direction& direction) {
  for (size_t i = 0; i < options_.readBatch; ++i) {
    const ssize_t length = ::read(direction.fromFd, readBuffer_.data(), readBuffer_.size());
    if (length < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        ++direction.readErrors;
        spdlog::debug("tunlink {}: read: {}", direction.name, std::strerror(errno));
      }
      return false;
    }
    const std::span<const uint8_t> packet(readBuffer_.data(), static_cast<size_t>(length));
    const auto now = Clock::now();
    const auto verdict = direction.impairment.Decide(packet, now);
    switch (verdict.kind) {
      case TunImpairment::Verdict::Kind::kDrop:
        break;
      case TunImpairment::Verdict::Kind::kPass:
        Write(direction, packet);
        break;
      case TunImpairment::Verdict::Kind::kDelay:
        // Nothing held and nothing to wait for: at once, which also keeps
        // the order (a held packet is never due later than this one).
        if (verdict.due <= now && direction.line.Size() == 0) {
          Write(direction, packet);
        } else if (!direction.line.PushAt(packet, DelayLine::Endpoint{}, 0, verdict.due)) {
          ++direction.queueFull;
        }
        break;
    }
  }
  return true;
}

void TunLink::Write(Direction& direction, std::span<const uint8_t> packet) {
  const ssize_t written = ::write(direction.toFd, packet.data(), packet.size());
  if (written != static_cast<ssize_t>(packet.size())) {
    ++direction.writeFailures;
    return;
  }
  ++direction.written;
}

TunLink::DirectionCounters TunLink::CountersOf(const Direction& direction) {
  const auto& impairment = direction.impairment.GetCounters();
  DirectionCounters counters;
  counters.packets = impairment.packets;
  counters.impaired = impairment.impaired;
  counters.dropped = impairment.dropped;
  counters.queueFull = direction.queueFull;
  counters.written = direction.written;
  counters.writeFailures = direction.writeFailures;
  counters.readErrors = direction.readErrors;
  return counters;
}

}  // namespace myriad::loadtest
