#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>

namespace myriad::loadtest {

// Calls `sendFrame` with the send time (steady clock, microseconds) at a
// fixed frame rate on an absolute schedule, as a camera's encoder produces
// frames: the time a frame takes to send does not delay the next, so the
// rate holds (a relative timer would drift by the send time of every
// frame). A frame that comes late is sent at once, without skipping.
// Drives SimulcastVideoSender and LtrVideoSender in tests and benchmarks.
//
// Single-threaded, on `context`; stops when destroyed or Stop()ped.
class FrameScheduler {
 public:
  using Clock = std::chrono::steady_clock;

  FrameScheduler(boost::asio::io_context& context, uint32_t framesPerSecond,
                 std::function<void(int64_t sendTimeUs)> sendFrame);
  FrameScheduler(const FrameScheduler&) = delete;
  FrameScheduler& operator=(const FrameScheduler&) = delete;

  // The first frame now, then one every 1/framesPerSecond.
  void Start();
  void Stop();

  static int64_t NowUs();

 private:
  void Tick();

  boost::asio::steady_timer timer_;
  Clock::duration interval_;
  std::function<void(int64_t)> sendFrame_;
  Clock::time_point next_{};
  bool stopped_ = false;
};

}  // namespace myriad::loadtest
