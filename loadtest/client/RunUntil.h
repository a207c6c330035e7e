#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

namespace myriad::loadtest {

// Runs `context` on the calling thread until `done()` holds or `timeout` has
// passed, and returns done(). The condition is checked after every handler,
// so a wait ends as soon as what it waits for happened: tests and the load
// generator synchronise on events, never on sleeps.
inline bool RunUntil(boost::asio::io_context& context, const std::function<bool()>& done,
                     std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  // Keeps run_one_for waiting for the next event instead of returning at
  // once when nothing is pending.
  auto guard = boost::asio::make_work_guard(context);
  if (context.stopped()) context.restart();
  while (!done()) {
    const auto now = Clock::now();
    if (now >= deadline) return done();
    context.run_one_for(std::min<Clock::duration>(deadline - now, std::chrono::milliseconds(50)));
  }
  return true;
}

// Runs `context` for `duration` (keeps timers and sockets served meanwhile).
inline void RunFor(boost::asio::io_context& context, std::chrono::milliseconds duration) {
  RunUntil(
      context, [] { return false; }, duration);
}

}  // namespace myriad::loadtest
