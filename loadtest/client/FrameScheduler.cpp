#include "loadtest/client/FrameScheduler.h"

#include <algorithm>
#include <utility>

namespace myriad::loadtest {

FrameScheduler::FrameScheduler(boost::asio::io_context& context, uint32_t framesPerSecond,
                               std::function<void(int64_t sendTimeUs)> sendFrame)
    : timer_(context),
      interval_(std::chrono::duration_cast<Clock::duration>(
          std::chrono::microseconds(1'000'000 / std::max<uint32_t>(framesPerSecond, 1)))),
      sendFrame_(std::move(sendFrame)) {}

int64_t FrameScheduler::NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

void FrameScheduler::Start() {
  stopped_ = false;
  next_ = Clock::now();
  Tick();
}

void FrameScheduler::Stop() {
  stopped_ = true;
  timer_.cancel();
}

void FrameScheduler::Tick() {
  if (stopped_) return;
  sendFrame_(NowUs());
  next_ += interval_;
  timer_.expires_at(next_);
  timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) Tick();
  });
}

}  // namespace myriad::loadtest
