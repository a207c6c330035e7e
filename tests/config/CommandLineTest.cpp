#include <catch2/catch.hpp>

#include "config/CommandLine.h"
#include "config/ConfigOptionTable.h"

using myriad::config::CommandLine;
using myriad::config::CommandLineAction;
using myriad::config::CommandLineOptions;
using myriad::config::ConfigOptionTable;
using Arguments = std::vector<std::string>;
using Environment = std::map<std::string, std::string>;

namespace {

CommandLineOptions Parse(const Arguments& arguments, const Environment& environment = {}) {
  return CommandLine::Parse(arguments, environment);
}

void CheckError(const Arguments& arguments, const std::string& expected) {
  INFO(arguments.size());
  CHECK(Parse(arguments).error == expected);
}

}  // namespace

TEST_CASE("No arguments runs with defaults, or with MYRIAD_CONFIG", "[config]") {
  CommandLineOptions options = Parse({});
  CHECK(options.error.empty());
  CHECK(options.action == CommandLineAction::Run);
  CHECK(options.configPath.empty());

  options = Parse({}, {{"MYRIAD_CONFIG", "/etc/myriad.json"}});
  CHECK(options.error.empty());
  CHECK(options.action == CommandLineAction::Run);
  CHECK(options.configPath == "/etc/myriad.json");
}

TEST_CASE("--config names the file and wins over MYRIAD_CONFIG", "[config]") {
  for (const Arguments& arguments :
       {Arguments{"--config", "a.json"}, Arguments{"--config=a.json"}}) {
    const CommandLineOptions options = Parse(arguments, {{"MYRIAD_CONFIG", "b.json"}});
    CHECK(options.error.empty());
    CHECK(options.action == CommandLineAction::Run);
    CHECK(options.configPath == "a.json");
  }
}

TEST_CASE("--check-config selects the check action with its file", "[config]") {
  for (const Arguments& arguments :
       {Arguments{"--check-config", "c.json"}, Arguments{"--check-config=c.json"}}) {
    const CommandLineOptions options = Parse(arguments, {{"MYRIAD_CONFIG", "b.json"}});
    CHECK(options.error.empty());
    CHECK(options.action == CommandLineAction::CheckConfig);
    CHECK(options.configPath == "c.json");
  }
}

TEST_CASE("--help and --version", "[config]") {
  CHECK(Parse({"--help"}).action == CommandLineAction::Help);
  CHECK(Parse({"-h"}).action == CommandLineAction::Help);
  CHECK(Parse({"--version"}).action == CommandLineAction::Version);
  // Help wins over everything else that is valid.
  CHECK(Parse({"--config", "a.json", "--version", "--help"}).action == CommandLineAction::Help);
  CHECK(Parse({"--check-config", "a.json", "--version"}).action == CommandLineAction::Version);
  CHECK(Parse({"--help"}).error.empty());
}

TEST_CASE("Command line errors are one clear line", "[config]") {
  CheckError({"--verbose"}, "unknown option \"--verbose\" (see --help)");
  CheckError({"-c", "a.json"}, "unknown option \"-c\" (see --help)");
  CheckError({"--conf=a.json"}, "unknown option \"--conf\" (see --help)");
  CheckError({"a.json"}, "unexpected argument \"a.json\" (see --help)");
  CheckError({"--config"}, "option --config requires a FILE argument");
  CheckError({"--config="}, "option --config requires a FILE argument");
  CheckError({"--check-config"}, "option --check-config requires a FILE argument");
  CheckError({"--config", "a.json", "--config", "b.json"}, "option --config given more than once");
  CheckError({"--config", "a.json", "--check-config", "b.json"},
             "--config and --check-config both name a config file; give only one");
  CheckError({"--help=yes"}, "option --help takes no value");
  // An unknown option is an error even next to --help.
  CheckError({"--help", "--bogus"}, "unknown option \"--bogus\" (see --help)");
}

TEST_CASE("The argc/argv overload skips the program name", "[config]") {
  const char* argv[] = {"myriad", "--config", "x.json", nullptr};
  const CommandLineOptions options = CommandLine::Parse(3, argv, {});
  CHECK(options.error.empty());
  CHECK(options.action == CommandLineAction::Run);
  CHECK(options.configPath == "x.json");
}

TEST_CASE("Help text lists the options and every environment variable", "[config]") {
  const std::string help = CommandLine::HelpText();
  for (const char* option : {"--config FILE", "--check-config FILE", "--help", "--version",
                             "MYRIAD_CONFIG", "MYRIAD_<SECTION>_<KEY>"}) {
    INFO(option);
    CHECK(help.find(option) != std::string::npos);
  }
  for (const auto& option : ConfigOptionTable::Options()) {
    INFO(option.EnvironmentVariable());
    CHECK(help.find(option.EnvironmentVariable()) != std::string::npos);
  }
  CHECK(help.find("MYRIAD_HTTP_PORT") != std::string::npos);
  CHECK(help.find("MYRIAD_ROOM_OVERRIDES") != std::string::npos);
  CHECK(help.find("room_overrides") != std::string::npos);
  // The one option without a variable says where it is set.
  CHECK(help.find("simulcast.ladder") != std::string::npos);
}

TEST_CASE("Version comes from the build", "[config]") {
  CHECK(CommandLine::Version() == MYRIAD_VERSION);
  CHECK_FALSE(CommandLine::Version().empty());
}

TEST_CASE("`token` as the first argument is the token subcommand", "[config]") {
  const auto options = CommandLine::Parse(Arguments{"token", "--room", "demo", "--help"}, {});
  CHECK(options.error.empty());
  CHECK(options.action == CommandLineAction::Token);
  CHECK(options.arguments == std::vector<std::string>{"--room", "demo", "--help"});
  // Elsewhere it is an unexpected argument, as before.
  CHECK_FALSE(CommandLine::Parse(Arguments{"--config", "x", "token"}, {}).error.empty());
  CHECK(CommandLine::HelpText().find("myriad token") != std::string::npos);
  CHECK(CommandLine::HelpText().find("MYRIAD_AUTH_KEYS") != std::string::npos);
}
