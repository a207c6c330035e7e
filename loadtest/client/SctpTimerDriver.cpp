#include "loadtest/client/SctpTimerDriver.h"

#include <map>
#include <mutex>

#include "server/transport/SctpStack.h"

namespace myriad::loadtest {
namespace {

// The running driver of each io_context. Never destroyed: a driver released
// during exit must still find it.
struct Registry {
  std::mutex mutex;
  std::map<boost::asio::io_context*, std::weak_ptr<SctpTimerDriver>> drivers;
};

Registry& TheRegistry() {
  static auto* const registry = new Registry();
  return *registry;
}

// Orders the clock readings of all drivers with their HandleTimers calls.
std::mutex& TickMutex() {
  static auto* const mutex = new std::mutex();
  return *mutex;
}

}  // namespace

std::shared_ptr<SctpTimerDriver> SctpTimerDriver::Acquire(boost::asio::io_context& context) {
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mutex);
  if (auto running = registry.drivers[&context].lock()) return running;
  auto driver = std::make_shared<SctpTimerDriver>(PrivateTag{}, context);
  registry.drivers[&context] = driver;
  driver->Schedule();
  return driver;
}

size_t SctpTimerDriver::RunningCount() {
  Registry& registry = TheRegistry();
  std::lock_guard lock(registry.mutex);
  size_t count = 0;
  for (const auto& [context, driver] : registry.drivers) count += driver.expired() ? 0 : 1;
  return count;
}

SctpTimerDriver::SctpTimerDriver(PrivateTag, boost::asio::io_context& context)
    : context_(context), timer_(context) {}

SctpTimerDriver::~SctpTimerDriver() {
  {
    Registry& registry = TheRegistry();
    std::lock_guard lock(registry.mutex);
    // A successor acquired meanwhile holds a live entry; leave that alone.
    const auto it = registry.drivers.find(&context_);
    if (it != registry.drivers.end() && it->second.expired()) registry.drivers.erase(it);
  }
  // cancel() reports failure by exception; a destructor must not throw, and
  // the timer goes with us anyway.
  try {
    timer_.cancel();
  } catch (...) {
  }
}

void SctpTimerDriver::Schedule() {
  timer_.expires_after(kInterval);
  // Weak: the pending wait must not keep the driver alive after its last
  // holder let go.
  timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
    if (ec) return;
    const auto self = weak.lock();
    if (!self) return;
    self->Tick();
    self->Schedule();
  });
}

void SctpTimerDriver::Tick() {
  std::lock_guard lock(TickMutex());
  server::transport::SctpStack::Instance().HandleTimers(Clock::now());
  ++ticks_;
}

}  // namespace myriad::loadtest
