#include "server/ProcessStats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <system_error>
#include <vector>

#include "server/PrometheusText.h"

namespace myriad::server {

namespace {

bool ParseUnsigned(std::string_view text, uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// /proc/stat's "btime" line: when the machine booted, seconds since the epoch.
std::optional<double> BootTimeSeconds() {
  std::ifstream stat("/proc/stat");
  std::string line;
  while (std::getline(stat, line)) {
    if (line.rfind("btime ", 0) == 0) {
      uint64_t seconds = 0;
      if (ParseUnsigned(std::string_view(line).substr(6), seconds)) {
        return static_cast<double>(seconds);
      }
      return std::nullopt;
    }
  }
  return std::nullopt;
}

std::string FormatDouble(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

void Append(std::string& out, const char* name, const char* type, const char* help,
            const std::string& value) {
  PrometheusText::AppendHeader(out, name, type, help);
  PrometheusText::AppendSample(out, name, "", value);
}

}  // namespace

std::optional<ProcessStats::Sample> ProcessStats::Parse(std::string_view statLine,
                                                        double ticksPerSecond, uint64_t pageBytes,
                                                        double bootTimeSeconds) {
  // proc(5): "pid (comm) state ppid ...": the fields after comm start at 3.
  const auto close = statLine.rfind(')');
  if (close == std::string_view::npos || ticksPerSecond <= 0) return std::nullopt;
  std::vector<std::string_view> fields;  // fields[0] is field 3 (state)
  std::string_view rest = statLine.substr(close + 1);
  while (!rest.empty()) {
    const auto start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const auto end = rest.find_first_of(" \n");
    fields.push_back(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end);
  }
  // Field n is fields[n - 3]; we read up to field 24 (rss).
  if (fields.size() < 22) return std::nullopt;
  uint64_t utime = 0;
  uint64_t stime = 0;
  uint64_t startTicks = 0;
  uint64_t vsize = 0;
  uint64_t rssPages = 0;
  if (!ParseUnsigned(fields[14 - 3], utime) || !ParseUnsigned(fields[15 - 3], stime) ||
      !ParseUnsigned(fields[22 - 3], startTicks) || !ParseUnsigned(fields[23 - 3], vsize) ||
      !ParseUnsigned(fields[24 - 3], rssPages)) {
    return std::nullopt;
  }
  Sample sample;
  sample.cpuSeconds = static_cast<double>(utime + stime) / ticksPerSecond;
  sample.residentBytes = rssPages * pageBytes;
  sample.virtualBytes = vsize;
  sample.startTimeSeconds = bootTimeSeconds + static_cast<double>(startTicks) / ticksPerSecond;
  return sample;
}

std::optional<ProcessStats::Sample> ProcessStats::Read() {
  std::ifstream file("/proc/self/stat");
  const std::string line((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const long ticks = ::sysconf(_SC_CLK_TCK);
  const long page = ::sysconf(_SC_PAGESIZE);
  const auto boot = BootTimeSeconds();
  if (line.empty() || ticks <= 0 || page <= 0 || !boot) return std::nullopt;
  auto sample = Parse(line, static_cast<double>(ticks), static_cast<uint64_t>(page), *boot);
  if (!sample) return std::nullopt;
  std::error_code ec;
  uint64_t fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  // The iterator's own descriptor is one of them; it is gone once we return.
  if (!ec && fds > 0) sample->openFds = fds - 1;
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY) {
    sample->maxFds = static_cast<uint64_t>(limit.rlim_cur);
  }
  return sample;
}

std::string ProcessStats::Exposition(const Sample& sample) {
  std::string out;
  Append(out, "process_cpu_seconds_total", "counter",
         "Total user and system CPU time spent in seconds.", FormatDouble(sample.cpuSeconds));
  Append(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
         std::to_string(sample.residentBytes));
  Append(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
         std::to_string(sample.virtualBytes));
  Append(out, "process_start_time_seconds", "gauge",
         "Start time of the process since unix epoch in seconds.",
         FormatDouble(sample.startTimeSeconds));
  if (sample.openFds) {
    Append(out, "process_open_fds", "gauge", "Number of open file descriptors.",
           std::to_string(*sample.openFds));
  }
  if (sample.maxFds) {
    Append(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
           std::to_string(*sample.maxFds));
  }
  return out;
}

}  // namespace myriad::server
