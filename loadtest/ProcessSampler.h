#pragma once

#include <cstdint>
#include <optional>

namespace myriad::loadtest {

// CPU time and memory of a process, as the kernel accounts them: for the
// server, /proc/<pid>/stat (utime + stime, proc(5)) and /proc/<pid>/status
// (VmRSS); for this process, getrusage(2).
class ProcessSampler {
 public:
  // User + system CPU seconds of every thread of `pid`; nullopt when the
  // process is gone or unreadable.
  static std::optional<double> CpuSeconds(int pid);
  // Resident set size in kB; nullopt when unreadable.
  static std::optional<uint64_t> RssKb(int pid);
  // This process: CPU seconds (user + system) and peak RSS in kB.
  static double SelfCpuSeconds();
  static uint64_t SelfPeakRssKb();
};

}  // namespace myriad::loadtest
