// ProcessStats: /proc/self/stat parsed from fixed lines (proc(5) field
// numbers), and the live process read and written in the text format.

#include <catch2/catch.hpp>
#include <string>

#include "server/ProcessStats.h"

namespace myriad::server {

namespace {

// Fields 1-24 of a stat line, then the rest: pid (comm) state ppid pgrp
// session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
// cutime cstime priority nice threads itrealvalue starttime(22) vsize(23)
// rss(24) ...
std::string StatLine(const std::string& comm) {
  return "4242 (" + comm +
         ") S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 4 0 12345 987654321 2048 "
         "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
}

}  // namespace

TEST_CASE("ProcessStats::Parse reads CPU time, memory and start time by proc(5) field",
          "[server][metrics]") {
  const auto sample = ProcessStats::Parse(StatLine("myriad"), 100, 4096, 1'700'000'000);
  REQUIRE(sample.has_value());
  CHECK(sample->cpuSeconds == Approx(4.0));  // (250 + 150) ticks / 100
  CHECK(sample->residentBytes == 2048ULL * 4096);
  CHECK(sample->virtualBytes == 987654321ULL);
  CHECK(sample->startTimeSeconds == Approx(1'700'000'000 + 123.45));
}

TEST_CASE("ProcessStats::Parse counts fields after the command name's last parenthesis",
          "[server][metrics]") {
  // A command name may hold spaces and parentheses (it is the thread's name).
  const auto odd = ProcessStats::Parse(StatLine("my (odd) name) x"), 100, 4096, 0);
  REQUIRE(odd.has_value());
  CHECK(odd->cpuSeconds == Approx(4.0));
  CHECK(odd->residentBytes == 2048ULL * 4096);
}

TEST_CASE("ProcessStats::Parse refuses malformed lines", "[server][metrics]") {
  CHECK_FALSE(ProcessStats::Parse("", 100, 4096, 0));
  CHECK_FALSE(ProcessStats::Parse("4242 myriad S 1 2 3", 100, 4096, 0));        // no parentheses
  CHECK_FALSE(ProcessStats::Parse("4242 (myriad) S 1 2 3 4 5", 100, 4096, 0));  // too short
  std::string bad = StatLine("myriad");
  bad.replace(bad.find(" 250 "), 5, " x50 ");  // utime not a number
  CHECK_FALSE(ProcessStats::Parse(bad, 100, 4096, 0));
  CHECK_FALSE(ProcessStats::Parse(StatLine("myriad"), 0, 4096, 0));  // no tick rate
}

TEST_CASE("ProcessStats reads this process and writes the standard process_* metrics",
          "[server][metrics]") {
  const auto sample = ProcessStats::Read();
  REQUIRE(sample.has_value());
  CHECK(sample->cpuSeconds >= 0);
  CHECK(sample->residentBytes > 0);
  CHECK(sample->virtualBytes >= sample->residentBytes);
  CHECK(sample->startTimeSeconds > 1'600'000'000);  // after 2020
  REQUIRE(sample->openFds.has_value());
  CHECK(*sample->openFds >= 3);  // stdin, stdout, stderr at least

  const std::string text = ProcessStats::Exposition(*sample);
  CHECK(text.find("# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ") !=
        std::string::npos);
  CHECK(text.find("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes " +
                  std::to_string(sample->residentBytes) + "\n") != std::string::npos);
  CHECK(text.find("\nprocess_open_fds " + std::to_string(*sample->openFds) + "\n") !=
        std::string::npos);
  CHECK(text.find("process_start_time_seconds ") != std::string::npos);
}

}  // namespace myriad::server
