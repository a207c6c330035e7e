#include "loadtest/CommandLineArguments.h"

#include <cmath>
#include <cstdlib>

namespace myriad::loadtest {

bool CommandLineArguments::Next() {
  if (next_ >= arguments_.size()) return false;
  flag_ = arguments_[next_++];
  inlineValue_.reset();
  if (const auto equals = flag_.find('=');
      flag_.rfind("--", 0) == 0 && equals != std::string::npos) {
    inlineValue_ = flag_.substr(equals + 1);
    flag_.resize(equals);
  }
  return true;
}

std::optional<std::string> CommandLineArguments::Value(std::string* error) {
  if (inlineValue_) return inlineValue_;
  if (next_ >= arguments_.size()) {
    *error = flag_ + " needs a value";
    return std::nullopt;
  }
  return arguments_[next_++];
}

std::nullopt_t CommandLineArguments::Bad(const std::string& text, const std::string& what,
                                         std::string* error) const {
  *error = flag_ + ": \"" + text + "\" is not " + what;
  return std::nullopt;
}

bool CommandLineArguments::ParseNumber(const std::string& text, double min, double max,
                                       double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !std::isfinite(value) || value < min || value > max) {
    return false;
  }
  out = value;
  return true;
}

}  // namespace myriad::loadtest
