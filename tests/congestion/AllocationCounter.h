#pragma once

#include <cstdint>

namespace myriad::congestion {

// Test-only: how many times the global operator new has run in this process (the test binary
// replaces it, AllocationCounter.cpp). Lets tests check that a per-packet path allocates nothing:
// read it before and after and compare.
uint64_t AllocationCount();

}  // namespace myriad::congestion
