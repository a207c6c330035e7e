#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "loadtest/Scenario.h"

namespace myriad::loadtest {

// Reads scenario files (docs/loadtest.md, "Scenario files"): strict JSON,
// every key optional, unknown keys and wrong types rejected with one line
// naming the key, then Scenario::Validate.
class ScenarioParser {
 public:
  // `origin` names the text in errors (a file name).
  static std::optional<Scenario> Parse(std::string_view text, const std::string& origin,
                                       std::string* error);
  static std::optional<Scenario> LoadFile(const std::string& path, std::string* error);
  // A scenario by name from `directory` (NAME.json) or, when `nameOrPath`
  // contains a '/' or ends in ".json", from that path.
  static std::optional<Scenario> Load(const std::string& nameOrPath, const std::string& directory,
                                      std::string* error);
};

}  // namespace myriad::loadtest
