#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace myriad::server {

// The process's own CPU time, memory and descriptors, read from /proc at
// scrape time and written in the Prometheus text format under the standard
// process_* names (the ones the client libraries of other languages export;
// prometheus-cpp has none). Dashboards and alerts then see the server's CPU
// and memory without a node exporter.
//
// Parse is pure (a /proc/self/stat line in, fields out) so it can be tested
// with fixed text; Read and Exposition touch /proc.
class ProcessStats {
 public:
  struct Sample {
    double cpuSeconds = 0;            // user + system (stat fields 14 and 15)
    uint64_t residentBytes = 0;       // stat field 24 (rss, pages) x page size
    uint64_t virtualBytes = 0;        // stat field 23 (vsize)
    double startTimeSeconds = 0;      // since the Unix epoch
    std::optional<uint64_t> openFds;  // entries of /proc/self/fd
    std::optional<uint64_t> maxFds;   // RLIMIT_NOFILE's soft limit
  };

  // The fields of a /proc/[pid]/stat line (proc(5)). The command name (field
  // 2) is in parentheses and may itself hold spaces and parentheses: fields
  // are counted after its last ')'. `ticksPerSecond`, `pageBytes`, `bootTime`
  // (seconds since the epoch) convert the kernel's units. nullopt if the line
  // is malformed.
  static std::optional<Sample> Parse(std::string_view statLine, double ticksPerSecond,
                                     uint64_t pageBytes, double bootTimeSeconds);

  // This process now; nullopt where /proc cannot be read.
  static std::optional<Sample> Read();

  // process_cpu_seconds_total, process_resident_memory_bytes,
  // process_virtual_memory_bytes, process_start_time_seconds,
  // process_open_fds and process_max_fds, with HELP and TYPE lines; "" if
  // /proc cannot be read.
  static std::string Exposition(const Sample& sample);
};

}  // namespace myriad::server
