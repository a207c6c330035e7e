#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace myriad::server {

// One named spdlog logger per component, all writing to stdout with the same
// pattern; the level comes from the config. Components fetch their logger once
// (at construction) so nothing on the packet path looks loggers up by name.
class Logging {
 public:
  // Creates the component loggers; safe to call more than once (tests).
  static void Initialize(std::string_view level);
  static std::shared_ptr<spdlog::logger> Get(const std::string& component);
};

}  // namespace myriad::server
