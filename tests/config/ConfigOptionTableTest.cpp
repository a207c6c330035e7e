#include <catch2/catch.hpp>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "config/ConfigLoader.h"
#include "config/ConfigOptionTable.h"
#include "config/SimulcastSettings.h"

using myriad::config::ConfigLoader;
using myriad::config::ConfigOption;
using myriad::config::ConfigOptionTable;
using myriad::config::ConfigValueKind;
using myriad::config::ServerConfig;
using myriad::config::SimulcastSettings;

namespace {

std::string ReadSourceFile(const std::string& relativePath) {
  std::ifstream file(std::string(MYRIAD_SOURCE_DIR) + "/" + relativePath, std::ios::binary);
  REQUIRE(file.good());
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

}  // namespace

TEST_CASE("ConfigOption derives the key path and environment variable name", "[config]") {
  const ConfigOption* option = ConfigOptionTable::Find("media", "announced_address");
  REQUIRE(option != nullptr);
  CHECK(option->Path() == "media.announced_address");
  CHECK(option->EnvironmentVariable() == "MYRIAD_MEDIA_ANNOUNCED_ADDRESS");
  CHECK(ConfigOptionTable::Find("http", "prot") == nullptr);
  CHECK(ConfigOptionTable::Find("media", "port") == nullptr);
  CHECK(ConfigOptionTable::IsSection("rooms"));
  CHECK_FALSE(ConfigOptionTable::IsSection("room"));
}

TEST_CASE("Option table rows are unique and have the accessors their kind needs", "[config]") {
  std::set<std::string> paths;
  std::set<std::string> variables;
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    INFO(option.Path());
    CHECK(paths.insert(option.Path()).second);
    CHECK(variables.insert(option.EnvironmentVariable()).second);
    CHECK(option.EnvironmentVariable() != ConfigLoader::kConfigPathVariable);
    CHECK_FALSE(option.summary.empty());
    if (option.IsNumeric()) {
      CHECK(option.getInteger != nullptr);
      CHECK(option.setInteger != nullptr);
      CHECK(option.minimum <= option.maximum);
    } else {
      CHECK(option.getString != nullptr);
      CHECK(option.setString != nullptr);
    }
  }
  CHECK(paths.size() == 23);
}

TEST_CASE("Integer options hold both ends of their range without truncation", "[config]") {
  // Catches a table range wider than the struct field's type (e.g. 70000 into a uint16_t).
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    if (!option.IsNumeric()) continue;
    INFO(option.Path());
    ServerConfig config;
    option.setInteger(config, option.minimum);
    CHECK(option.getInteger(config) == option.minimum);
    option.setInteger(config, option.maximum);
    CHECK(option.getInteger(config) == option.maximum);
  }
}

TEST_CASE("Every option's accessor targets its own field", "[config]") {
  // Setting one option through the table must change exactly that key of ToJson().
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    INFO(option.Path());
    ServerConfig config;
    nlohmann::json expected = config.ToJson();
    auto& slot = expected[std::string(option.section)][std::string(option.key)];
    if (option.IsNumeric()) {
      const std::int64_t value =
          option.getInteger(config) == option.maximum ? option.minimum : option.maximum;
      option.setInteger(config, value);
      // A Boolean row is written as JSON true/false.
      slot = option.kind == ConfigValueKind::Boolean ? nlohmann::json(value != 0)
                                                     : nlohmann::json(value);
    } else {
      option.setString(config, "changed");
      slot = "changed";
    }
    CHECK(config.ToJson() == expected);
  }
}

TEST_CASE("config/myriad.json sets every option, to its default", "[config]") {
  const std::string text = ReadSourceFile("config/myriad.json");
  const auto json = nlohmann::json::parse(text);
  // room_overrides, the option outside the table, is there and empty.
  REQUIRE(json.contains(std::string(ServerConfig::kRoomOverridesKey)));
  CHECK(json[std::string(ServerConfig::kRoomOverridesKey)] == nlohmann::json::object());
  // simulcast.ladder, the other key outside the table, is written out in full (see the
  // ConfigLoader test comparing it with SimulcastLadder::Default()).
  const std::string simulcast(SimulcastSettings::kSection);
  const std::string ladder(SimulcastSettings::kLadderKey);
  REQUIRE(json.contains(simulcast));
  CHECK(json[simulcast][ladder] == ServerConfig{}.ToJson()[simulcast][ladder]);
  // auth.keys, outside the table too, is there and empty.
  REQUIRE(json.contains("auth"));
  CHECK(json["auth"][std::string(myriad::config::AuthConfig::kKeysKey)] ==
        nlohmann::json::object());
  size_t keys = 0;
  for (const auto& [section, body] : json.items()) keys += body.size();
  // + simulcast.ladder and auth.keys.
  CHECK(keys == ConfigOptionTable::Options().size() + 2);
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    INFO(option.Path());
    CHECK(json.contains(std::string(option.section)));
    CHECK(json[std::string(option.section)].contains(std::string(option.key)));
  }

  const auto result =
      ConfigLoader::Load(std::string(MYRIAD_SOURCE_DIR) + "/config/myriad.json", {});
  REQUIRE(result.error.empty());
  REQUIRE(result.config.has_value());
  CHECK(*result.config == ConfigLoader::Defaults());
}

TEST_CASE("config/README.md documents every option and its environment variable", "[config]") {
  const std::string readme = ReadSourceFile("config/README.md");
  for (const ConfigOption& option : ConfigOptionTable::Options()) {
    INFO(option.Path());
    CHECK(readme.find("`" + option.Path() + "`") != std::string::npos);
    CHECK(readme.find("`" + option.EnvironmentVariable() + "`") != std::string::npos);
  }
  CHECK(readme.find("`" + std::string(ServerConfig::kRoomOverridesKey) + "`") != std::string::npos);
  CHECK(readme.find("`" + std::string(ServerConfig::kRoomOverridesVariable) + "`") !=
        std::string::npos);
  for (const auto& field : ServerConfig::RoomOverrideFields()) {
    INFO(field.key);
    CHECK(readme.find("`" + std::string(field.key) + "`") != std::string::npos);
  }
  CHECK(readme.find("`simulcast.ladder`") != std::string::npos);
  CHECK(readme.find("`auth.keys`") != std::string::npos);
  CHECK(readme.find("`" + std::string(myriad::config::AuthConfig::kKeysVariable) + "`") !=
        std::string::npos);
  for (const auto& field : SimulcastSettings::LevelFields()) {
    INFO(field.key);
    CHECK(readme.find("`" + std::string(field.key) + "`") != std::string::npos);
  }
}

TEST_CASE("Each room override key has the rooms.* integer row whose range it takes", "[config]") {
  for (const auto& field : ServerConfig::RoomOverrideFields()) {
    INFO(field.key);
    const ConfigOption* option = ConfigOptionTable::Find("rooms", field.key);
    REQUIRE(option != nullptr);
    CHECK(option->kind == ConfigValueKind::Integer);
    CHECK(option->minimum >= 0);
    CHECK(option->maximum <= std::numeric_limits<std::uint32_t>::max());
  }
}

TEST_CASE("Log levels are the spdlog names", "[config]") {
  CHECK(ConfigOptionTable::LogLevelList() == "trace, debug, info, warn, error, critical, off");
}
