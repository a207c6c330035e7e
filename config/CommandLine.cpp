#include "config/CommandLine.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "config/ConfigLoader.h"
#include "config/ConfigOptionTable.h"
#include "config/ServerConfig.h"

#ifndef MYRIAD_VERSION
#define MYRIAD_VERSION "unknown"
#endif

namespace myriad::config {

namespace {

constexpr std::string_view kConfigOption = "--config";
constexpr std::string_view kCheckConfigOption = "--check-config";
constexpr std::string_view kTokenCommand = "token";

// Where the default and the meaning columns of the --help variable table start; wide enough for
// the longest variable, MYRIAD_SIMULCAST_HYSTERESIS_SUBSCRIBERS.
constexpr size_t kDefaultColumn = 42;
constexpr size_t kMeaningColumn = 55;

// One line of the --help variable table: variable, default and meaning in aligned columns.
std::string HelpRow(std::string_view variable, std::string_view shownDefault,
                    std::string_view meaning) {
  std::string line = "  " + std::string(variable);
  line.resize(std::max<size_t>(line.size() + 1, kDefaultColumn), ' ');
  line += shownDefault;
  line.resize(std::max<size_t>(line.size() + 1, kMeaningColumn), ' ');
  line += meaning;
  line += '\n';
  return line;
}

CommandLineOptions Failure(std::string error) {
  CommandLineOptions result;
  result.error = std::move(error);
  return result;
}

}  // namespace

CommandLineOptions CommandLine::Parse(int argc, const char* const* argv,
                                      const std::map<std::string, std::string>& environment) {
  std::vector<std::string> arguments;
  for (int i = 1; i < argc; ++i) arguments.emplace_back(argv[i] != nullptr ? argv[i] : "");
  return Parse(arguments, environment);
}

CommandLineOptions CommandLine::Parse(const std::vector<std::string>& arguments,
                                      const std::map<std::string, std::string>& environment) {
  if (!arguments.empty() && arguments.front() == kTokenCommand) {
    CommandLineOptions result;
    result.action = CommandLineAction::Token;
    result.arguments.assign(arguments.begin() + 1, arguments.end());
    return result;
  }
  bool help = false;
  bool version = false;
  std::optional<std::string> configPath;
  std::optional<std::string> checkConfigPath;

  for (size_t i = 0; i < arguments.size(); ++i) {
    const std::string& argument = arguments[i];
    std::string_view name = argument;
    std::optional<std::string> inlineValue;  // from --opt=VALUE
    if (name.starts_with("--")) {
      if (auto equals = name.find('='); equals != std::string_view::npos) {
        inlineValue = std::string(name.substr(equals + 1));
        name = name.substr(0, equals);
      }
    }

    if (name == kConfigOption || name == kCheckConfigOption) {
      std::string value;
      if (inlineValue) {
        value = *inlineValue;
      } else if (i + 1 < arguments.size()) {
        value = arguments[++i];
      }
      if (value.empty())
        return Failure("option " + std::string(name) + " requires a FILE argument");
      std::optional<std::string>& slot = name == kConfigOption ? configPath : checkConfigPath;
      if (slot) return Failure("option " + std::string(name) + " given more than once");
      slot = std::move(value);
    } else if (name == "--help" || name == "-h" || name == "--version") {
      if (inlineValue) return Failure("option " + std::string(name) + " takes no value");
      (name == "--version" ? version : help) = true;
    } else if (name.starts_with("-")) {
      return Failure("unknown option \"" + std::string(name) + "\" (see --help)");
    } else {
      return Failure("unexpected argument \"" + argument + "\" (see --help)");
    }
  }

  if (configPath && checkConfigPath) {
    return Failure("--config and --check-config both name a config file; give only one");
  }

  CommandLineOptions result;
  if (help) {
    result.action = CommandLineAction::Help;
  } else if (version) {
    result.action = CommandLineAction::Version;
  } else if (checkConfigPath) {
    result.action = CommandLineAction::CheckConfig;
    result.configPath = *checkConfigPath;
  } else {
    result.action = CommandLineAction::Run;
    if (configPath) {
      result.configPath = *configPath;
    } else if (auto it = environment.find(std::string(ConfigLoader::kConfigPathVariable));
               it != environment.end()) {
      result.configPath = it->second;
    }
  }
  return result;
}

std::string CommandLine::HelpText() {
  std::string text =
      "Usage: myriad [--config FILE] [--check-config FILE] [--help] [--version]\n"
      "       myriad token --room ROOM --identity ID [options]   (see myriad token --help)\n"
      "\n"
      "Myriad WebRTC SFU.\n"
      "\n"
      "Options:\n"
      "  --config FILE        load the JSON config FILE (default: $MYRIAD_CONFIG, else built-in\n"
      "                       defaults)\n"
      "  --check-config FILE  validate FILE with the environment overrides applied, then exit\n"
      "                       (status 0 if valid)\n"
      "  --help, -h           print this help and exit\n"
      "  --version            print the version and exit\n"
      "\n"
      "Environment:\n"
      "  MYRIAD_CONFIG        config file path, used when --config is not given\n"
      "  MYRIAD_<SECTION>_<KEY> overrides the option \"<section>.<key>\" of the config file,\n"
      "  e.g. MYRIAD_HTTP_PORT=9000 sets http.port. Overrides are applied after the file.\n"
      "  An unknown MYRIAD_<SECTION>_* variable is an error.\n"
      "  MYRIAD_ROOM_OVERRIDES replaces the file's \"room_overrides\" object (per-room\n"
      "  max_participants, max_publishers, audio_slots), given as JSON text, e.g.\n"
      "  MYRIAD_ROOM_OVERRIDES='{\"town-hall\": {\"max_participants\": 5000}}'.\n"
      "  The simulcast ladder (\"simulcast.ladder\", the video levels) has no variable: set it\n"
      "  in the config file.\n"
      "  MYRIAD_AUTH_KEYS replaces the file's \"auth.keys\" object (key id -> secret of at\n"
      "  least 32 bytes), given as JSON text, e.g. MYRIAD_AUTH_KEYS='{\"k1\": \"...\"}'.\n"
      "  With no keys, or auth.development, the server runs in development mode: a well-known\n"
      "  key, and joins without a token are admitted.\n"
      "\n" +
      HelpRow("Variable", "Default", "Meaning");
  const nlohmann::json defaults = ServerConfig{}.ToJson();
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    const nlohmann::json& value = defaults[std::string(option.section)][std::string(option.key)];
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    text += HelpRow(option.EnvironmentVariable(), shown.empty() ? "\"\"" : shown, option.summary);
  }
  text += HelpRow(AuthConfig::kKeysVariable, "{}", "access token keys (auth.keys), a JSON object");
  text += HelpRow(ServerConfig::kRoomOverridesVariable,
                  defaults[std::string(ServerConfig::kRoomOverridesKey)].dump(),
                  "per-room limits (room_overrides), a JSON object");
  return text;
}

std::string_view CommandLine::Version() { return MYRIAD_VERSION; }

}  // namespace myriad::config
