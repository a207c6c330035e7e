#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/tunlink/TunLink.h"

namespace myriad::loadtest {

// The myriad-tunlink command line (Usage()). Parsing never exits: the
// caller prints the error and exits 2.
class TunLinkCommandLine {
 public:
  struct Options {
    std::string netns;                   // required
    std::string rootDevice = "myrtun0";  // in the root namespace
    std::string netnsDevice = "myrtun1";
    TunLink::Options link;
    uint64_t seed = 1;
    double durationSeconds = 0;  // 0: until SIGINT / SIGTERM
    bool help = false;
  };

  static std::optional<Options> Parse(const std::vector<std::string>& arguments,
                                      std::string* error);
  static std::string Usage();
};

}  // namespace myriad::loadtest
