#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace myriad::loadtest {

// Walks a command line of "--flag value" and "--flag=value" arguments the
// same way for every tool in loadtest/ (myriad-loadtest, myriad-impair,
// myriad-tunlink), and reads their numbers whole: a value with trailing
// characters, out of range or not finite is refused, never clamped.
class CommandLineArguments {
 public:
  explicit CommandLineArguments(const std::vector<std::string>& arguments)
      : arguments_(arguments) {}

  // Moves to the next argument; false after the last.
  bool Next();
  // The current argument, without an inline "=value" when it starts with "--".
  const std::string& Flag() const { return flag_; }
  // The current flag's value: its inline "=value", else the next argument
  // (which is then consumed). nullopt with *error = "FLAG needs a value".
  std::optional<std::string> Value(std::string* error);
  // Sets *error to `FLAG: "TEXT" is not WHAT`; returns nullopt so that a
  // parser can `return arguments.Bad(...)`.
  std::nullopt_t Bad(const std::string& text, const std::string& what, std::string* error) const;

  // Decimal digits only, in [min, max].
  template <typename Integer>
  static bool ParseInteger(const std::string& text, Integer min, Integer max, Integer& out) {
    Integer value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      return false;
    }
    out = value;
    return true;
  }
  // A finite number (strtod's syntax) in [min, max].
  static bool ParseNumber(const std::string& text, double min, double max, double& out);

 private:
  const std::vector<std::string>& arguments_;
  size_t next_ = 0;
  std::string flag_;
  std::optional<std::string> inlineValue_;
};

}  // namespace myriad::loadtest
