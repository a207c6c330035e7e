#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace myriad::loadtest {

// Drives the process-wide usrsctp timers (server::transport::SctpStack::
// HandleTimers) for the client's data channels: usrsctp runs without threads
// of its own, so retransmissions and SACKs happen only when someone calls it.
//
// One driver per io_context, shared by reference count: Acquire returns the
// io_context's running driver or starts one, and the last holder to let go
// stops it. A thousand clients on one thread then cost one 10 ms timer, not
// a thousand. Drivers of different io_contexts (the load generator's
// threads), and the server's own driver in an in-process test, may all run:
// HandleTimers counts the time elapsed since the previous call, whoever made
// it, so more callers only make the steps smaller. Ours read the clock and
// call under one mutex, so their times never go backwards (a time earlier
// than the previous call's would reset HandleTimers' reference and count an
// interval twice).
//
// The handle must be released on the io_context's thread (it cancels the
// timer there), like the client that holds it.
class SctpTimerDriver : public std::enable_shared_from_this<SctpTimerDriver> {
 public:
  using Clock = std::chrono::steady_clock;
  // SctpStack asks for a call every 5-10 ms: retransmissions fire at most
  // that late.
  static constexpr std::chrono::milliseconds kInterval{10};

  static std::shared_ptr<SctpTimerDriver> Acquire(boost::asio::io_context& context);
  // Drivers running in the process (io_contexts with a holder).
  static size_t RunningCount();

  ~SctpTimerDriver();
  SctpTimerDriver(const SctpTimerDriver&) = delete;
  SctpTimerDriver& operator=(const SctpTimerDriver&) = delete;

  // Times this driver has advanced usrsctp's timers.
  uint64_t Ticks() const { return ticks_; }

 private:
  struct PrivateTag {};

 public:
  SctpTimerDriver(PrivateTag, boost::asio::io_context& context);

 private:
  void Schedule();
  void Tick();

  boost::asio::io_context& context_;
  boost::asio::steady_timer timer_;
  uint64_t ticks_ = 0;
};

}  // namespace myriad::loadtest
