#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace myriad::config {

enum class CommandLineAction {
  Run,          // start the server with configPath ("" = built-in defaults)
  Help,         // print HelpText() and exit 0
  Version,      // print Version() and exit 0
  CheckConfig,  // load configPath + environment, report the first error or success, then exit
  Token,        // `myriad token ...`: mint an access token (server/TokenCommand) from arguments
};

// When error is non-empty the command line was invalid: print error (and a hint to --help) and
// exit non-zero; action and configPath are then meaningless.
struct CommandLineOptions {
  CommandLineAction action = CommandLineAction::Run;
  std::string configPath;
  std::string error;
  // Token only: the arguments after `token`, parsed by the subcommand itself.
  std::vector<std::string> arguments;
};

// `myriad [--config FILE] [--check-config FILE] [--help] [--version]`, or `myriad token ...`
// (a subcommand when it is the first argument). Both `--opt VALUE` and `--opt=VALUE` are
// accepted. Without --config, the path comes from $MYRIAD_CONFIG.
class CommandLine {
 public:
  static CommandLineOptions Parse(int argc, const char* const* argv,
                                  const std::map<std::string, std::string>& environment);
  // arguments excludes the program name.
  static CommandLineOptions Parse(const std::vector<std::string>& arguments,
                                  const std::map<std::string, std::string>& environment);

  // Usage, options, and every MYRIAD_* environment variable with its default.
  static std::string HelpText();
  // The MYRIAD_VERSION compile definition (the CMake project version).
  static std::string_view Version();
};

}  // namespace myriad::config
