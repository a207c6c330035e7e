#pragma once

#include <chrono>

namespace myriad::server::transport::testing {

// OpenSSL 3.0's DTLS retransmission timer reads the wall clock through
// gettimeofday() and offers no way to inject time, and a timer shorter than
// 15 ms counts as already expired, which makes OpenSSL retransmit in a loop
// inside every read. So the server tests replace gettimeofday() for their
// binary (OpenSslTestClock.cpp): it returns the real time plus an offset the
// tests advance, which lets them expire DTLS timers without sleeping.
void AdvanceOpenSslClock(std::chrono::microseconds by);

}  // namespace myriad::server::transport::testing
