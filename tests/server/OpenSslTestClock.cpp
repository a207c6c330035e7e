#include "tests/server/OpenSslTestClock.h"

#include <sys/time.h>

#include <atomic>
#include <ctime>

namespace myriad::server::transport::testing {
namespace {

std::atomic<long long> offsetMicroseconds{0};

}  // namespace

void AdvanceOpenSslClock(std::chrono::microseconds by) { offsetMicroseconds += by.count(); }

}  // namespace myriad::server::transport::testing

// Interposes libc's gettimeofday for this test binary only: libssl resolves
// the symbol to the executable's definition. Everything else keeps real time
// plus at most the few simulated minutes the DTLS tests add.
extern "C" int gettimeofday(struct timeval* __restrict tv, void* __restrict /*tz*/) noexcept {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  const long long microseconds = static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000 +
                                 myriad::server::transport::testing::offsetMicroseconds.load();
  tv->tv_sec = static_cast<time_t>(microseconds / 1000000);
  tv->tv_usec = static_cast<suseconds_t>(microseconds % 1000000);
  return 0;
}
