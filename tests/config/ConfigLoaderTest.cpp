#include <stdlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "config/ConfigLoader.h"
#include "config/ConfigOptionTable.h"
#include "simulcast/SimulcastLadder.h"

using myriad::config::ConfigLoader;
using myriad::config::ConfigOption;
using myriad::config::ConfigOptionTable;
using myriad::config::ConfigResult;
using myriad::config::ConfigValueKind;
using myriad::config::RoomLimits;
using myriad::config::RoomOverride;
using myriad::config::ServerConfig;
using myriad::simulcast::SimulcastLadder;
using Environment = std::map<std::string, std::string>;

namespace {

// A file under the build tree, removed when the test case ends.
class TemporaryFile {
 public:
  TemporaryFile(const std::string& name, const std::string& contents)
      : path_(std::filesystem::path(MYRIAD_BINARY_DIR) / ("config-test-" + name)) {
    std::ofstream(path_, std::ios::binary) << contents;
  }
  ~TemporaryFile() { std::filesystem::remove(path_); }
  std::string Path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Fails the test unless the load failed with exactly `expected` and produced no config.
void RequireError(const ConfigResult& result, const std::string& expected) {
  CHECK_FALSE(result.config.has_value());
  CHECK(result.error == expected);
  CHECK(result.error.find('\n') == std::string::npos);
}

std::string ErrorOf(std::string_view json, const Environment& environment = {}) {
  const ConfigResult result = ConfigLoader::LoadFromString(json, environment);
  CHECK_FALSE(result.config.has_value());
  CHECK(result.error.find('\n') == std::string::npos);
  return result.error;
}

ServerConfig ConfigOf(std::string_view json, const Environment& environment = {}) {
  const ConfigResult result = ConfigLoader::LoadFromString(json, environment);
  INFO(result.error);
  REQUIRE(result.config.has_value());
  CHECK(result.error.empty());
  return *result.config;
}

}  // namespace

TEST_CASE("No file and no environment gives the defaults", "[config]") {
  const ConfigResult result = ConfigLoader::Load("", {});
  REQUIRE(result.config.has_value());
  CHECK(result.error.empty());
  CHECK(*result.config == ConfigLoader::Defaults());
  CHECK(*result.config == ServerConfig{});
  CHECK(ConfigOf("{}") == ServerConfig{});
  CHECK(ConfigOf(R"({"http": {}, "log": {}})") == ServerConfig{});
}

TEST_CASE("A config file overrides only the keys it sets", "[config]") {
  const TemporaryFile file("overrides.json", R"({
    "http": {"port": 8443, "web_root": "/srv/myriad"},
    "media": {"listen_address": "0.0.0.0", "announced_address": "203.0.113.5", "workers": 4},
    "ice": {"consent_timeout_ms": 5000},
    "log": {"level": "warn"}
  })");
  const ConfigResult result = ConfigLoader::Load(file.Path(), {});
  INFO(result.error);
  REQUIRE(result.config.has_value());
  ServerConfig expected;
  expected.http.port = 8443;
  expected.http.webRoot = "/srv/myriad";
  expected.media.listenAddress = "0.0.0.0";
  expected.media.announcedAddress = "203.0.113.5";
  expected.media.workers = 4;
  expected.ice.consentTimeoutMs = 5000;
  expected.log.level = "warn";
  CHECK(*result.config == expected);
}

TEST_CASE("Unreadable config files are reported with the path and reason", "[config]") {
  const std::string missing = std::string(MYRIAD_BINARY_DIR) + "/config-test-does-not-exist.json";
  RequireError(ConfigLoader::Load(missing, {}),
               "cannot read config file \"" + missing + "\": No such file or directory");
  const std::string directory = MYRIAD_BINARY_DIR;
  RequireError(ConfigLoader::Load(directory, {}),
               "cannot read config file \"" + directory + "\": Is a directory");
}

TEST_CASE("Invalid JSON is reported with its byte position", "[config]") {
  CHECK(ErrorOf(R"({"http": {"port": 7880,}})") ==
        "invalid JSON at byte 24: syntax error while parsing object key - unexpected '}'; "
        "expected string literal");
  CHECK(ErrorOf("") ==
        "invalid JSON at byte 1: syntax error while parsing value - unexpected end of input; "
        "expected '[', '{', or a literal");
  // The byte is the 1-based offset of the last character read (here the end of "80"), counted
  // across lines.
  CHECK(ErrorOf("{\"http\":\n{\"port\": 78 80}}") ==
        "invalid JSON at byte 23: syntax error while parsing object - unexpected number literal; "
        "expected '}'");

  const TemporaryFile file("invalid.json", "{\"log\": {\"level\": \"info\"}");
  RequireError(ConfigLoader::Load(file.Path(), {}),
               "config file \"" + file.Path() +
                   "\": invalid JSON at byte 26: syntax error while parsing object - unexpected "
                   "end of input; expected '}'");
}

TEST_CASE("Unknown keys are errors at every level", "[config]") {
  CHECK(ErrorOf(R"({"http": {"prot": 7880}})") == "unknown key \"http.prot\"");
  CHECK(ErrorOf(R"({"htp": {"port": 7880}})") == "unknown key \"htp\"");
  CHECK(ErrorOf(R"({"media": {"port": 7880}})") == "unknown key \"media.port\"");
  CHECK(ErrorOf(R"({"log": {"level": "info", "file": "x"}})") == "unknown key \"log.file\"");
  // Keys are quoted as JSON so odd characters cannot break the one-line message.
  CHECK(ErrorOf(R"({"ht\ntp": {}})") == R"(unknown key "ht\ntp")");

  const TemporaryFile file("unknown.json", R"({"http": {"prot": 1}})");
  RequireError(ConfigLoader::Load(file.Path(), {}),
               "config file \"" + file.Path() + "\": unknown key \"http.prot\"");
}

TEST_CASE("Values of the wrong JSON type are errors naming the key", "[config]") {
  CHECK(ErrorOf(R"({"http": {"port": "7880"}})") ==
        R"("http.port" must be an integer, got string)");
  CHECK(ErrorOf(R"({"http": {"port": 7880.5}})") ==
        R"("http.port" must be an integer, got non-integer number)");
  CHECK(ErrorOf(R"({"media": {"workers": true}})") ==
        R"("media.workers" must be an integer, got boolean)");
  CHECK(ErrorOf(R"({"rooms": {"max_participants": null}})") ==
        R"("rooms.max_participants" must be an integer, got null)");
  CHECK(ErrorOf(R"({"http": {"listen_address": 127}})") ==
        R"("http.listen_address" must be a string, got integer)");
  CHECK(ErrorOf(R"({"log": {"level": ["info"]}})") == R"("log.level" must be a string, got array)");
  CHECK(ErrorOf(R"({"http": [1]})") == R"("http" must be an object, got array)");
  CHECK(ErrorOf(R"({"http": 7880})") == R"("http" must be an object, got integer)");
  CHECK(ErrorOf(R"([1, 2])") == "the top level must be a JSON object, got array");
}

TEST_CASE("Integers outside their range are errors naming the key and range", "[config]") {
  CHECK(ErrorOf(R"({"http": {"port": 0}})") == R"("http.port" must be between 1 and 65535, got 0)");
  CHECK(ErrorOf(R"({"http": {"port": 65536}})") ==
        R"("http.port" must be between 1 and 65535, got 65536)");
  CHECK(ErrorOf(R"({"http": {"port": -1}})") ==
        R"("http.port" must be between 1 and 65535, got -1)");
  CHECK(ErrorOf(R"({"http": {"port": 18446744073709551615}})") ==
        R"("http.port" must be between 1 and 65535, got 18446744073709551615)");
  CHECK(ErrorOf(R"({"media": {"port_base": 65536}})") ==
        R"("media.port_base" must be between 0 and 65535, got 65536)");
  CHECK(ErrorOf(R"({"media": {"workers": 257}})") ==
        R"("media.workers" must be between 0 and 256, got 257)");
  CHECK(ErrorOf(R"({"ice": {"consent_timeout_ms": 99}})") ==
        R"("ice.consent_timeout_ms" must be between 100 and 3600000, got 99)");
  CHECK(ErrorOf(R"({"rooms": {"max_participants": 0}})") ==
        R"("rooms.max_participants" must be between 1 and 100000, got 0)");
  CHECK(ErrorOf(R"({"rooms": {"max_publishers": 100001}})") ==
        R"("rooms.max_publishers" must be between 1 and 100000, got 100001)");
  CHECK(ErrorOf(R"({"rooms": {"audio_slots": 0}})") ==
        R"("rooms.audio_slots" must be between 1 and 16, got 0)");
  CHECK(ErrorOf(R"({"rooms": {"audio_slots": 17}})") ==
        R"("rooms.audio_slots" must be between 1 and 16, got 17)");
  CHECK(ErrorOf(R"({"rooms": {"roster_batch_interval_ms": -1}})") ==
        R"("rooms.roster_batch_interval_ms" must be between 0 and 5000, got -1)");
  CHECK(ErrorOf(R"({"rooms": {"roster_batch_interval_ms": 5001}})") ==
        R"("rooms.roster_batch_interval_ms" must be between 0 and 5000, got 5001)");
  CHECK(ErrorOf(R"({"rooms": {"roster_page_size": 9}})") ==
        R"("rooms.roster_page_size" must be between 10 and 10000, got 9)");
  CHECK(ErrorOf(R"({"rooms": {"roster_page_size": 10001}})") ==
        R"("rooms.roster_page_size" must be between 10 and 10000, got 10001)");

  // The ends of each range are accepted; port_base 0 means ephemeral ports.
  CHECK(ConfigOf(R"({"http": {"port": 1}})").http.port == 1);
  CHECK(ConfigOf(R"({"http": {"port": 65535}})").http.port == 65535);
  CHECK(ConfigOf(R"({"media": {"port_base": 0}})").media.portBase == 0);
  CHECK(ConfigOf(R"({"media": {"workers": 256}})").media.workers == 256);
  CHECK(ConfigOf(R"({"media": {"workers": 0}})").media.workers == 0);
  const ServerConfig low = ConfigOf(
      R"({"rooms": {"max_publishers": 1, "audio_slots": 1, "roster_batch_interval_ms": 0,
                    "roster_page_size": 10}})");
  CHECK(low.rooms.maxPublishers == 1);
  CHECK(low.rooms.audioSlots == 1);
  CHECK(low.rooms.rosterBatchIntervalMs == 0);
  CHECK(low.rooms.rosterPageSize == 10);
  const ServerConfig high = ConfigOf(
      R"({"rooms": {"max_publishers": 100000, "audio_slots": 16, "roster_batch_interval_ms": 5000,
                    "roster_page_size": 10000}})");
  CHECK(high.rooms.maxPublishers == 100000);
  CHECK(high.rooms.audioSlots == 16);
  CHECK(high.rooms.rosterBatchIntervalMs == 5000);
  CHECK(high.rooms.rosterPageSize == 10000);
}

TEST_CASE("Addresses must be IPv4 or IPv6 literals", "[config]") {
  CHECK(ConfigOf(R"({"http": {"listen_address": "::"}})").http.listenAddress == "::");
  CHECK(ConfigOf(R"({"http": {"listen_address": "::1"}})").http.listenAddress == "::1");
  CHECK(ConfigOf(R"({"media": {"listen_address": "10.0.0.7"}})").media.listenAddress == "10.0.0.7");
  CHECK(ConfigOf(R"({"media": {"announced_address": "2001:db8::1"}})").media.announcedAddress ==
        "2001:db8::1");
  CHECK(ConfigOf(R"({"media": {"announced_address": "::ffff:198.51.100.1"}})")
            .media.announcedAddress == "::ffff:198.51.100.1");
  CHECK(ConfigOf(R"({"media": {"announced_address": ""}})").media.announcedAddress.empty());

  for (const char* bad : {"localhost", "", "1.2.3", "256.0.0.1", "[::1]", "fe80::1%eth0",
                          " 127.0.0.1", "127.0.0.1:7880"}) {
    INFO(bad);
    const std::string quoted = nlohmann::json(bad).dump();
    CHECK(ErrorOf(R"({"http": {"listen_address": )" + quoted + "}}") ==
          R"("http.listen_address" must be an IPv4 or IPv6 address, got )" + quoted);
    CHECK(ErrorOf(R"({"media": {"listen_address": )" + quoted + "}}") ==
          R"("media.listen_address" must be an IPv4 or IPv6 address, got )" + quoted);
  }
  CHECK(ErrorOf(R"({"media": {"announced_address": "example.com"}})") ==
        R"("media.announced_address" must be "" or an IPv4 or IPv6 address, got "example.com")");
}

TEST_CASE("The log level must be one of the listed names", "[config]") {
  for (std::string_view level : ConfigOptionTable::LogLevels()) {
    CHECK(ConfigOf(R"({"log": {"level": ")" + std::string(level) + "\"}}").log.level == level);
  }
  CHECK(
      ErrorOf(R"({"log": {"level": "verbose"}})") ==
      R"("log.level" must be one of trace, debug, info, warn, error, critical, off, got "verbose")");
  CHECK(ErrorOf(R"({"log": {"level": "INFO"}})").ends_with(R"(, got "INFO")"));
  CHECK(ErrorOf(R"({"log": {"level": "warning"}})").ends_with(R"(, got "warning")"));
}

TEST_CASE("drain.redirect_url must be empty or a ws:// or wss:// URL", "[config]") {
  CHECK(ConfigOf("{}").drain.redirectUrl.empty());
  CHECK(ConfigOf("{}").drain.gracePeriodS == 30);
  for (const std::string url : {"ws://10.0.0.7:7880/rtc", "wss://sfu.example.com/rtc",
                                "wss://[2001:db8::1]/rtc", "ws://h"}) {
    INFO(url);
    CHECK(ConfigOf(R"({"drain": {"redirect_url": ")" + url + "\"}}").drain.redirectUrl == url);
    CHECK(ConfigOf("{}", {{"MYRIAD_DRAIN_REDIRECT_URL", url}}).drain.redirectUrl == url);
  }
  CHECK(
      ErrorOf(R"({"drain": {"redirect_url": "https://sfu.example.com/rtc"}})") ==
      R"("drain.redirect_url" must be "" or a ws:// or wss:// URL, got "https://sfu.example.com/rtc")");
  for (const std::string bad :
       {"ws://", "wss:///rtc", "ws://:80/rtc", "ws://a b/rtc", "sfu/rtc", "WS://upper.case"}) {
    INFO(bad);
    CHECK(ErrorOf(R"({"drain": {"redirect_url": ")" + bad + "\"}}")
              .starts_with(R"("drain.redirect_url" must be "" or a ws:// or wss:// URL)"));
  }
  CHECK(ErrorOf("{}", {{"MYRIAD_DRAIN_REDIRECT_URL", "http://x/rtc"}})
            .find("MYRIAD_DRAIN_REDIRECT_URL") != std::string::npos);
  CHECK(ErrorOf(R"({"drain": {"grace_period_s": 86401}})").find("between 0 and 86400") !=
        std::string::npos);
  CHECK(ErrorOf(R"({"drain": {"grace_period_s": "30"}})").find("drain.grace_period_s") !=
        std::string::npos);
}

TEST_CASE("Cross-option checks on the media addresses and ports", "[config]") {
  CHECK(ErrorOf(R"({"media": {"announced_address": "0.0.0.0"}})") ==
        R"("media.announced_address" must be an address clients can reach, got "0.0.0.0")");
  CHECK(ErrorOf(R"({"media": {"announced_address": "::"}})") ==
        R"("media.announced_address" must be an address clients can reach, got "::")");
  CHECK(ErrorOf(R"({"media": {"listen_address": "0.0.0.0"}})") ==
        R"("media.announced_address" must be set when "media.listen_address" is "0.0.0.0")");
  CHECK(ErrorOf(R"({"media": {"listen_address": "::"}})") ==
        R"("media.announced_address" must be set when "media.listen_address" is "::")");
  // The check also applies when the wildcard comes from the environment.
  CHECK(ErrorOf("{}", {{"MYRIAD_MEDIA_LISTEN_ADDRESS", "0.0.0.0"}}) ==
        R"("media.announced_address" must be set when "media.listen_address" is "0.0.0.0")");

  CHECK(ErrorOf(R"({"media": {"port_base": 65535, "workers": 2}})") ==
        R"("media.port_base" 65535 with 2 workers needs UDP ports up to 65536, past 65535)");
  CHECK(ConfigOf(R"({"media": {"port_base": 65534, "workers": 2}})").media.portBase == 65534);
  CHECK(ConfigOf(R"({"media": {"port_base": 0, "workers": 256}})").media.workers == 256);
}

TEST_CASE("Environment variables override every option, after the file", "[config]") {
  SECTION("one of each type") {
    const ServerConfig config = ConfigOf(R"({"http": {"port": 8000}, "log": {"level": "error"}})",
                                         {{"MYRIAD_HTTP_PORT", "9000"},
                                          {"MYRIAD_HTTP_WEB_ROOT", "/opt/web"},
                                          {"MYRIAD_MEDIA_ANNOUNCED_ADDRESS", "203.0.113.5"},
                                          {"MYRIAD_LOG_LEVEL", "debug"}});
    CHECK(config.http.port == 9000);
    CHECK(config.http.webRoot == "/opt/web");
    CHECK(config.media.announcedAddress == "203.0.113.5");
    CHECK(config.log.level == "debug");
    CHECK(config.media.portBase == 50000);
  }
  SECTION("an empty value sets an empty string") {
    const ServerConfig config =
        ConfigOf(R"({"media": {"announced_address": "203.0.113.5"}, "http": {"web_root": "/x"}})",
                 {{"MYRIAD_MEDIA_ANNOUNCED_ADDRESS", ""}, {"MYRIAD_HTTP_WEB_ROOT", ""}});
    CHECK(config.media.announcedAddress.empty());
    CHECK(config.http.webRoot.empty());
  }
  SECTION("each option of the table") {
    // auth.keys_file is read: it must name a file of keys.
    const TemporaryFile keys("each-option-keys.json",
                             R"({"k1": "0123456789abcdef0123456789abcdef"})");
    for (const ConfigOption& option : ConfigOptionTable::Options()) {
      INFO(option.EnvironmentVariable());
      std::string text;
      nlohmann::json expected;
      switch (option.kind) {
        case ConfigValueKind::Integer:
          // Any in-range value that differs from the default.
          expected =
              option.getInteger(ServerConfig{}) == option.maximum ? option.minimum : option.maximum;
          if (option.Path() == "media.port_base") expected = 40000;
          // Its maximum would exceed the default simulcast.max_delay_ms.
          if (option.Path() == "simulcast.debounce_ms") expected = 0;
          text = expected.dump();
          break;
        case ConfigValueKind::String:
          text = expected = option.Path() == "auth.keys_file" ? keys.Path() : "/some/where";
          break;
        case ConfigValueKind::IpAddress:
        case ConfigValueKind::OptionalIpAddress:
          text = expected = "192.0.2.44";
          break;
        case ConfigValueKind::LogLevel:
          text = expected = "trace";
          break;
        case ConfigValueKind::OptionalWebSocketUrl:
          text = expected = "wss://sfu.example.com/rtc";
          break;
        case ConfigValueKind::Boolean:
          // Every Boolean option defaults to false.
          text = "true";
          expected = true;
          break;
      }
      const ServerConfig config = ConfigOf("{}", {{option.EnvironmentVariable(), text}});
      CHECK(config.ToJson()[std::string(option.section)][std::string(option.key)] == expected);
    }
  }
  SECTION("Load applies the environment after the file too") {
    const TemporaryFile file("env.json", R"({"http": {"port": 8000}})");
    const ConfigResult result = ConfigLoader::Load(file.Path(), {{"MYRIAD_HTTP_PORT", "9000"}});
    REQUIRE(result.config.has_value());
    CHECK(result.config->http.port == 9000);
  }
}

TEST_CASE("Bad environment values are errors naming the variable", "[config]") {
  for (const char* bad : {"90x", "", " 9000", "9000 ", "+9000", "0x2000", "9000.0"}) {
    INFO(bad);
    CHECK(ErrorOf("{}", {{"MYRIAD_HTTP_PORT", bad}}) ==
          "environment variable MYRIAD_HTTP_PORT must be an integer, got " +
              nlohmann::json(bad).dump());
  }
  CHECK(ErrorOf("{}", {{"MYRIAD_HTTP_PORT", "70000"}}) ==
        "environment variable MYRIAD_HTTP_PORT must be between 1 and 65535, got 70000");
  CHECK(ErrorOf("{}", {{"MYRIAD_MEDIA_WORKERS", "-1"}}) ==
        "environment variable MYRIAD_MEDIA_WORKERS must be between 0 and 256, got -1");
  CHECK(ErrorOf("{}", {{"MYRIAD_MEDIA_WORKERS", "99999999999999999999999"}}) ==
        "environment variable MYRIAD_MEDIA_WORKERS must be between 0 and 256, got "
        "99999999999999999999999");
  CHECK(ErrorOf("{}", {{"MYRIAD_MEDIA_ANNOUNCED_ADDRESS", "pod.local"}}) ==
        "environment variable MYRIAD_MEDIA_ANNOUNCED_ADDRESS must be \"\" or an IPv4 or IPv6 "
        "address, got \"pod.local\"");
  CHECK(ErrorOf("{}", {{"MYRIAD_LOG_LEVEL", "loud"}}) ==
        "environment variable MYRIAD_LOG_LEVEL must be one of trace, debug, info, warn, error, "
        "critical, off, got \"loud\"");
}

TEST_CASE("Environment values that are not UTF-8 still give a one-line error", "[config]") {
  const std::string error = ErrorOf("{}", {{"MYRIAD_LOG_LEVEL", "\xff\n"}});
  CHECK(error.starts_with("environment variable MYRIAD_LOG_LEVEL must be one of "));
  // The bad byte becomes U+FFFD (UTF-8 EF BF BD) and the newline an escape.
  CHECK(error.ends_with(", got \"\xEF\xBF\xBD\\n\""));
}

TEST_CASE("Unknown MYRIAD_ variables that look like options are errors", "[config]") {
  CHECK(ErrorOf("{}", {{"MYRIAD_HTTP_FOO", "1"}}) ==
        "unknown environment variable MYRIAD_HTTP_FOO");
  CHECK(ErrorOf("{}", {{"MYRIAD_MEDIA_PORT", "1"}}) ==
        "unknown environment variable MYRIAD_MEDIA_PORT");
  CHECK(ErrorOf("{}", {{"MYRIAD_LOG_FILE", "/tmp/x"}}) ==
        "unknown environment variable MYRIAD_LOG_FILE");

  // Names outside the option sections, other prefixes, and lower case are not ours to judge.
  const ServerConfig config = ConfigOf("{}", {{"MYRIAD_LOADTEST_URL", "ws://x"},
                                              {"MYRIAD_HTTPPORT", "1"},
                                              {"HTTP_PORT", "1"},
                                              {"myriad_http_port", "1"}});
  CHECK(config == ServerConfig{});
}

TEST_CASE("MYRIAD_CONFIG is reserved for the file path and is not an option", "[config]") {
  CHECK(ConfigOf("{}", {{"MYRIAD_CONFIG", "/etc/myriad.json"}}) == ServerConfig{});
  // Load does not read it: the command line decides the path.
  const ConfigResult result =
      ConfigLoader::Load("", {{"MYRIAD_CONFIG", "/nonexistent/myriad.json"}});
  REQUIRE(result.config.has_value());
  CHECK(*result.config == ServerConfig{});
}

TEST_CASE("The first error wins and a file error precedes environment errors", "[config]") {
  CHECK(ErrorOf(R"({"http": {"prot": 1}})", {{"MYRIAD_HTTP_PORT", "x"}}) ==
        "unknown key \"http.prot\"");
}

TEST_CASE("CurrentEnvironment returns the MYRIAD_ variables of the process", "[config]") {
  REQUIRE(setenv("MYRIAD_CONFIG_TEST_VARIABLE", "a=b", 1) == 0);
  const Environment environment = ConfigLoader::CurrentEnvironment();
  unsetenv("MYRIAD_CONFIG_TEST_VARIABLE");
  REQUIRE(environment.count("MYRIAD_CONFIG_TEST_VARIABLE") == 1);
  CHECK(environment.at("MYRIAD_CONFIG_TEST_VARIABLE") == "a=b");
  for (const auto& [name, value] : environment) CHECK(name.starts_with("MYRIAD_"));
}

TEST_CASE("room_overrides in the file set per-room limits", "[config]") {
  const TemporaryFile file("room-overrides.json", R"({
    "rooms": {"max_participants": 200, "max_publishers": 50},
    "room_overrides": {
      "town-hall": {"max_participants": 5000, "audio_slots": 5},
      "panel": {"max_publishers": 4},
      "Q.a_1-z": {"max_participants": 1, "max_publishers": 100000, "audio_slots": 16},
      "empty": {}
    }
  })");
  const ConfigResult result = ConfigLoader::Load(file.Path(), {});
  INFO(result.error);
  REQUIRE(result.config.has_value());
  const ServerConfig& config = *result.config;
  CHECK(config.roomOverrides.size() == 4);
  CHECK(config.roomOverrides.at("town-hall") == RoomOverride{5000, std::nullopt, 5});
  CHECK(config.roomOverrides.at("panel") == RoomOverride{std::nullopt, 4, std::nullopt});
  CHECK(config.roomOverrides.at("empty") == RoomOverride{});
  CHECK(config.LimitsFor("town-hall") == RoomLimits{5000, 50, 5});
  CHECK(config.LimitsFor("panel") == RoomLimits{200, 4, 3});
  CHECK(config.LimitsFor("Q.a_1-z") == RoomLimits{1, 100000, 16});
  CHECK(config.LimitsFor("empty") == RoomLimits{200, 50, 3});
  CHECK(config.LimitsFor("lobby") == RoomLimits{200, 50, 3});
  // A room name of the maximum length is fine.
  const std::string longest(128, 'r');
  CHECK(ConfigOf(R"({"room_overrides": {")" + longest + R"(": {"audio_slots": 2}}})")
            .LimitsFor(longest)
            .audioSlots == 2);
}

TEST_CASE("Bad room_overrides are one-line errors naming the key", "[config]") {
  CHECK(ErrorOf(R"({"room_overrides": []})") == R"("room_overrides" must be an object, got array)");
  CHECK(ErrorOf(R"({"room_overrides": "town-hall"})") ==
        R"("room_overrides" must be an object, got string)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": 5000}})") ==
        R"("room_overrides.town-hall" must be an object, got integer)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": null}})") ==
        R"("room_overrides.town-hall" must be an object, got null)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"max_viewers": 1}}})") ==
        R"(unknown key "room_overrides.town-hall.max_viewers")");
  // Options of rooms.* that are not per-room limits are not override keys either.
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"roster_page_size": 100}}})") ==
        R"(unknown key "room_overrides.town-hall.roster_page_size")");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"audio_slots": "5"}}})") ==
        R"("room_overrides.town-hall.audio_slots" must be an integer, got string)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"audio_slots": 2.5}}})") ==
        R"("room_overrides.town-hall.audio_slots" must be an integer, got non-integer number)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"audio_slots": 17}}})") ==
        R"("room_overrides.town-hall.audio_slots" must be between 1 and 16, got 17)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"audio_slots": 0}}})") ==
        R"("room_overrides.town-hall.audio_slots" must be between 1 and 16, got 0)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"max_participants": 100001}}})") ==
        R"("room_overrides.town-hall.max_participants" must be between 1 and 100000, got 100001)");
  CHECK(ErrorOf(R"({"room_overrides": {"town-hall": {"max_publishers": -1}}})") ==
        R"("room_overrides.town-hall.max_publishers" must be between 1 and 100000, got -1)");
  CHECK(
      ErrorOf(R"({"room_overrides": {"t": {"max_publishers": 18446744073709551615}}})") ==
      R"("room_overrides.t.max_publishers" must be between 1 and 100000, got 18446744073709551615)");

  const std::string notARoom =
      R"(, which is not a room name (1-128 characters of A-Z a-z 0-9 _ . -))";
  for (const std::string& bad :
       {std::string("town hall"), std::string(""), std::string(129, 'r'),
        std::string("caf\xC3\xA9"), std::string("a/b"), std::string("x\ny")}) {
    INFO(bad);
    const std::string quoted = nlohmann::json(bad).dump();
    CHECK(ErrorOf(R"({"room_overrides": {)" + quoted + R"(: {"audio_slots": 2}}})") ==
          R"("room_overrides" names )" + quoted + notARoom);
  }

  const TemporaryFile file("bad-override.json",
                           R"({"room_overrides": {"x": {"audio_slots": 99}}})");
  RequireError(ConfigLoader::Load(file.Path(), {}),
               "config file \"" + file.Path() +
                   R"(": "room_overrides.x.audio_slots" must be between 1 and 16, got 99)");
}

TEST_CASE("MYRIAD_ROOM_OVERRIDES replaces the file's room_overrides", "[config]") {
  const std::string file =
      R"({"room_overrides": {"town-hall": {"max_participants": 5000}, "panel": {"audio_slots": 2}}})";
  SECTION("without it the file's overrides stay") {
    CHECK(ConfigOf(file).roomOverrides.size() == 2);
  }
  SECTION("it replaces them as a whole") {
    const ServerConfig config =
        ConfigOf(file, {{"MYRIAD_ROOM_OVERRIDES", R"({"town-hall": {"audio_slots": 7}})"}});
    CHECK(config.roomOverrides.size() == 1);
    CHECK(config.LimitsFor("town-hall") == RoomLimits{1000, 1000, 7});
    CHECK(config.LimitsFor("panel") == RoomLimits{1000, 1000, 3});
  }
  SECTION("an empty object removes every override") {
    CHECK(ConfigOf(file, {{"MYRIAD_ROOM_OVERRIDES", "{}"}}).roomOverrides.empty());
  }
  SECTION("it falls back to the rooms.* values of file and environment") {
    const ServerConfig config =
        ConfigOf(R"({"rooms": {"max_publishers": 20}})",
                 {{"MYRIAD_ROOM_OVERRIDES", R"({"panel": {"max_participants": 9}})"},
                  {"MYRIAD_ROOMS_AUDIO_SLOTS", "6"}});
    CHECK(config.LimitsFor("panel") == RoomLimits{9, 20, 6});
  }
}

TEST_CASE("Bad MYRIAD_ROOM_OVERRIDES values are one-line errors naming the variable", "[config]") {
  const std::string prefix = "environment variable MYRIAD_ROOM_OVERRIDES: ";
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOM_OVERRIDES", ""}}) ==
        prefix +
            "invalid JSON at byte 1: syntax error while parsing value - unexpected end of input; "
            "expected '[', '{', or a literal");
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOM_OVERRIDES", "{\"a\":\n{}"}})
            .starts_with(prefix + "invalid JSON at byte "));
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOM_OVERRIDES", "[]"}}) ==
        prefix + R"("room_overrides" must be an object, got array)");
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOM_OVERRIDES", R"({"town-hall": {"audio_slots": 40}})"}}) ==
        prefix + R"("room_overrides.town-hall.audio_slots" must be between 1 and 16, got 40)");
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOM_OVERRIDES", R"({"town-hall": {"slots": 4}})"}}) ==
        prefix + R"(unknown key "room_overrides.town-hall.slots")");
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOM_OVERRIDES", R"({"town hall": {}})"}}) ==
        prefix +
            R"("room_overrides" names "town hall", which is not a room name (1-128 characters of )"
            R"(A-Z a-z 0-9 _ . -))");
  // Misspellings of the variable are caught like those of the other options.
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOM_OVERRIDE", "{}"}}) ==
        "unknown environment variable MYRIAD_ROOM_OVERRIDE");
  CHECK(ErrorOf("{}", {{"MYRIAD_ROOMS_OVERRIDES", "{}"}}) ==
        "unknown environment variable MYRIAD_ROOMS_OVERRIDES");
}

namespace {

// One simulcast.ladder entry as JSON text.
std::string Level(int height, int width, int targetKbps, int maxKbps, int maxFps) {
  return nlohmann::json{{"height", height},
                        {"width", width},
                        {"target_kbps", targetKbps},
                        {"max_kbps", maxKbps},
                        {"max_fps", maxFps}}
      .dump();
}

// A config file setting only simulcast.ladder to the JSON text `ladder`.
std::string WithLadder(const std::string& ladder) {
  return R"({"simulcast": {"ladder": )" + ladder + "}}";
}

// A valid ladder of `count` levels, 100 pixels apart.
std::string LadderOf(int count) {
  std::string ladder = "[";
  for (int i = 1; i <= count; ++i) {
    if (i > 1) ladder += ", ";
    ladder += Level(i * 100, i * 160, i * 100, i * 150, 30);
  }
  return ladder + "]";
}

}  // namespace

TEST_CASE("config/myriad.json writes out exactly the default simulcast ladder", "[config]") {
  const std::string path = std::string(MYRIAD_SOURCE_DIR) + "/config/myriad.json";
  std::ifstream file(path, std::ios::binary);
  REQUIRE(file.good());
  const auto json = nlohmann::json::parse(file);
  // The file sets the ladder rather than leaving it to the defaults...
  REQUIRE(json["simulcast"]["ladder"].is_array());
  CHECK(json["simulcast"]["ladder"].size() ==
        static_cast<size_t>(SimulcastLadder::Default().LevelCount()));
  // ... and the ladder it sets is the built-in one, level by level.
  const ConfigResult result = ConfigLoader::Load(path, {});
  INFO(result.error);
  REQUIRE(result.config.has_value());
  CHECK(result.config->simulcast.ladder == SimulcastLadder::Default());
  const ServerConfig fromLadderOnly = ConfigOf(WithLadder(json["simulcast"]["ladder"].dump()));
  CHECK(fromLadderOnly.simulcast.ladder == SimulcastLadder::Default());
}

TEST_CASE("A simulcast.ladder in the file replaces the default ladder as a whole", "[config]") {
  const ServerConfig config = ConfigOf(R"({"simulcast": {"ladder": [
      {"height": 180, "width": 320, "target_kbps": 150, "max_kbps": 200, "max_fps": 15},
      {"max_fps": 30, "max_kbps": 2500, "target_kbps": 1500, "width": 1280, "height": 720},
      {"height": 1080, "width": 1440, "target_kbps": 4000, "max_kbps": 4000, "max_fps": 24}
    ]}})");
  const SimulcastLadder& ladder = config.simulcast.ladder;
  REQUIRE(ladder.LevelCount() == 3);
  CHECK(ladder.Level(0) == SimulcastLadder::LevelSpec{.height = 180,
                                                      .width = 320,
                                                      .targetBitrateBps = 150000,
                                                      .maxBitrateBps = 200000,
                                                      .maxFramerate = 15});
  // Keys in any order; kbps become bps.
  CHECK(ladder.Level(1) == SimulcastLadder::LevelSpec{.height = 720,
                                                      .width = 1280,
                                                      .targetBitrateBps = 1500000,
                                                      .maxBitrateBps = 2500000,
                                                      .maxFramerate = 30});
  // The width is free (4:3 here); target may equal max.
  CHECK(ladder.Level(2) == SimulcastLadder::LevelSpec{.height = 1080,
                                                      .width = 1440,
                                                      .targetBitrateBps = 4000000,
                                                      .maxBitrateBps = 4000000,
                                                      .maxFramerate = 24});
  // The section's other options keep their defaults.
  ServerConfig expected;
  expected.simulcast.ladder = ladder;
  CHECK(config == expected);

  // One level and kMaxLevels levels are both fine, as are the ends of each range.
  CHECK(ConfigOf(WithLadder(LadderOf(1))).simulcast.ladder.LevelCount() == 1);
  CHECK(ConfigOf(WithLadder(LadderOf(10))).simulcast.ladder.LevelCount() == 10);
  const SimulcastLadder extremes =
      ConfigOf(WithLadder("[" + Level(1, 1, 1, 1, 1) + ", " +
                          Level(16383, 16383, 1000000, 1000000, 240) + "]"))
          .simulcast.ladder;
  REQUIRE(extremes.LevelCount() == 2);
  CHECK(extremes.Level(1) == SimulcastLadder::LevelSpec{.height = 16383,
                                                        .width = 16383,
                                                        .targetBitrateBps = 1000000000,
                                                        .maxBitrateBps = 1000000000,
                                                        .maxFramerate = 240});
}

TEST_CASE("Bad simulcast ladders are one-line errors naming the entry and problem", "[config]") {
  struct Case {
    const char* name;
    std::string ladder;
    std::string error;
  };
  const std::string valid = Level(180, 320, 150, 200, 15);
  const std::vector<Case> cases = {
      {"decreasing heights", "[" + Level(360, 640, 500, 700, 30) + ", " + valid + "]",
       R"("simulcast.ladder[1].height" must be greater than the previous level's height (360), got 180)"},
      {"equal heights", "[" + valid + ", " + Level(180, 240, 100, 100, 30) + "]",
       R"("simulcast.ladder[1].height" must be greater than the previous level's height (180), got 180)"},
      {"zero width", "[" + valid + ", " + Level(360, 0, 500, 700, 30) + "]",
       R"("simulcast.ladder[1].width" must be between 1 and 16383, got 0)"},
      {"zero height", "[" + Level(0, 320, 150, 200, 15) + "]",
       R"("simulcast.ladder[0].height" must be between 1 and 16383, got 0)"},
      {"negative height", "[" + Level(-90, 160, 38, 50, 15) + "]",
       R"("simulcast.ladder[0].height" must be between 1 and 16383, got -90)"},
      {"height too large", "[" + Level(16384, 320, 150, 200, 15) + "]",
       R"("simulcast.ladder[0].height" must be between 1 and 16383, got 16384)"},
      {"zero bitrate", "[" + Level(180, 320, 0, 200, 15) + "]",
       R"("simulcast.ladder[0].target_kbps" must be between 1 and 1000000, got 0)"},
      {"bitrate too large", "[" + Level(180, 320, 150, 1000001, 15) + "]",
       R"("simulcast.ladder[0].max_kbps" must be between 1 and 1000000, got 1000001)"},
      {"zero frame rate", "[" + Level(180, 320, 150, 200, 0) + "]",
       R"("simulcast.ladder[0].max_fps" must be between 1 and 240, got 0)"},
      {"target above max", "[" + valid + ", " + Level(360, 640, 800, 700, 30) + "]",
       R"("simulcast.ladder[1].target_kbps" must be at most its max_kbps (700), got 800)"},
      {"11 levels", LadderOf(11), R"("simulcast.ladder" must have 1 to 10 levels, got 11)"},
      {"empty", "[]", R"("simulcast.ladder" must have 1 to 10 levels, got 0)"},
      {"not an array", valid, R"("simulcast.ladder" must be an array, got object)"},
      {"null", "null", R"("simulcast.ladder" must be an array, got null)"},
      {"entry not an object", "[" + valid + ", 360]",
       R"("simulcast.ladder[1]" must be an object, got integer)"},
      {"string value",
       R"([{"height": "180", "width": 320, "target_kbps": 150, "max_kbps": 200, "max_fps": 15}])",
       R"("simulcast.ladder[0].height" must be an integer, got string)"},
      {"fractional value",
       R"([{"height": 180, "width": 320, "target_kbps": 150, "max_kbps": 200, "max_fps": 29.97}])",
       R"("simulcast.ladder[0].max_fps" must be an integer, got non-integer number)"},
      {"huge value",
       R"([{"height": 180, "width": 18446744073709551615, "target_kbps": 150, "max_kbps": 200,)"
       R"( "max_fps": 15}])",
       R"("simulcast.ladder[0].width" must be between 1 and 16383, got 18446744073709551615)"},
      {"missing key", R"([{"height": 180, "width": 320, "target_kbps": 150, "max_kbps": 200}])",
       R"("simulcast.ladder[0].max_fps" must be set)"},
      {"unknown key",
       R"([{"height": 180, "width": 320, "target_kbps": 150, "max_kbps": 200, "fps": 15}])",
       R"(unknown key "simulcast.ladder[0].fps")"},
  };
  for (const Case& testCase : cases) {
    INFO(testCase.name);
    CHECK(ErrorOf(WithLadder(testCase.ladder)) == testCase.error);
  }

  CHECK(ErrorOf(R"({"simulcast": {"levels": []}})") == R"(unknown key "simulcast.levels")");
  CHECK(ErrorOf(R"({"simulcast": []})") == R"("simulcast" must be an object, got array)");

  const TemporaryFile file("bad-ladder.json", WithLadder("[]"));
  RequireError(
      ConfigLoader::Load(file.Path(), {}),
      "config file \"" + file.Path() + R"(": "simulcast.ladder" must have 1 to 10 levels, got 0)");
}

TEST_CASE("simulcast scalars are range-checked, in the file and the environment", "[config]") {
  struct Bound {
    const char* key;
    std::int64_t minimum;
    std::int64_t maximum;
  };
  for (const Bound& bound :
       {Bound{"debounce_ms", 0, 10000}, Bound{"max_delay_ms", 0, 60000},
        Bound{"hysteresis_subscribers", 0, 100}, Bound{"keyframe_retry_ms", 50, 10000},
        Bound{"stale_after_ms", 100, 60000}}) {
    INFO(bound.key);
    const std::string path = "simulcast." + std::string(bound.key);
    const std::string range = " must be between " + std::to_string(bound.minimum) + " and " +
                              std::to_string(bound.maximum) + ", got ";
    for (const std::int64_t bad : {bound.minimum - 1, bound.maximum + 1}) {
      CHECK(ErrorOf(R"({"simulcast": {")" + std::string(bound.key) + "\": " + std::to_string(bad) +
                    "}}") == "\"" + path + "\"" + range + std::to_string(bad));
    }
    const ConfigOption* option = ConfigOptionTable::Find("simulcast", bound.key);
    REQUIRE(option != nullptr);
    CHECK(ErrorOf("{}", {{option->EnvironmentVariable(), std::to_string(bound.maximum + 1)}}) ==
          "environment variable " + option->EnvironmentVariable() + range +
              std::to_string(bound.maximum + 1));
    // Both ends are accepted, with the other of debounce_ms and max_delay_ms set so that
    // max_delay_ms >= debounce_ms holds.
    const std::string other = bound.key == std::string("max_delay_ms")
                                  ? R"("debounce_ms": 0, ")"
                                  : R"("max_delay_ms": 60000, ")";
    for (const std::int64_t good : {bound.minimum, bound.maximum}) {
      const ServerConfig config = ConfigOf(R"({"simulcast": {)" + other + std::string(bound.key) +
                                           "\": " + std::to_string(good) + "}}");
      CHECK(option->getInteger(config) == good);
    }
  }
  CHECK(ErrorOf(R"({"simulcast": {"debounce_ms": "300"}})") ==
        R"("simulcast.debounce_ms" must be an integer, got string)");
}

TEST_CASE("simulcast.max_delay_ms must be at least simulcast.debounce_ms", "[config]") {
  CHECK(ErrorOf(R"({"simulcast": {"debounce_ms": 300, "max_delay_ms": 200}})") ==
        R"("simulcast.max_delay_ms" must be at least "simulcast.debounce_ms" (300), got 200)");
  // Checked after the environment is applied, whichever source set which value.
  CHECK(ErrorOf("{}", {{"MYRIAD_SIMULCAST_DEBOUNCE_MS", "1500"}}) ==
        R"("simulcast.max_delay_ms" must be at least "simulcast.debounce_ms" (1500), got 1000)");
  CHECK(ErrorOf(R"({"simulcast": {"max_delay_ms": 5000}})",
                {{"MYRIAD_SIMULCAST_MAX_DELAY_MS", "299"}}) ==
        R"("simulcast.max_delay_ms" must be at least "simulcast.debounce_ms" (300), got 299)");
  const ServerConfig equal =
      ConfigOf(R"({"simulcast": {"debounce_ms": 700, "max_delay_ms": 700}})");
  CHECK(equal.simulcast.PlannerOptions().debounceMs == 700);
  CHECK(equal.simulcast.PlannerOptions().maxDelayMs == 700);
  CHECK(ConfigOf(R"({"simulcast": {"debounce_ms": 0, "max_delay_ms": 0}})").simulcast.maxDelayMs ==
        0);
}

TEST_CASE("Environment variables override the simulcast scalars, not the ladder", "[config]") {
  const std::string file = R"({"simulcast": {"ladder": )" + LadderOf(2) +
                           R"(, "debounce_ms": 100, "stale_after_ms": 2000}})";
  const ServerConfig config = ConfigOf(file, {{"MYRIAD_SIMULCAST_DEBOUNCE_MS", "250"},
                                              {"MYRIAD_SIMULCAST_HYSTERESIS_SUBSCRIBERS", "3"},
                                              {"MYRIAD_SIMULCAST_KEYFRAME_RETRY_MS", "800"}});
  CHECK(config.simulcast.debounceMs == 250);
  CHECK(config.simulcast.hysteresisSubscribers == 3);
  CHECK(config.simulcast.keyFrameRetryMs == 800);
  CHECK(config.simulcast.staleAfterMs == 2000);  // from the file
  CHECK(config.simulcast.maxDelayMs == 1000);    // default
  CHECK(config.simulcast.ladder.LevelCount() == 2);
  CHECK(config.simulcast.SelectorOptions().keyFrameRetryMs == 800);

  CHECK(ErrorOf("{}", {{"MYRIAD_SIMULCAST_DEBOUNCE_MS", "3e2"}}) ==
        R"(environment variable MYRIAD_SIMULCAST_DEBOUNCE_MS must be an integer, got "3e2")");
  CHECK(ErrorOf("{}", {{"MYRIAD_SIMULCAST_LADDER", LadderOf(1)}}) ==
        "environment variable MYRIAD_SIMULCAST_LADDER is not supported: \"simulcast.ladder\" is "
        "set in the config file only");
  CHECK(ErrorOf("{}", {{"MYRIAD_SIMULCAST_DEBOUNCE", "300"}}) ==
        "unknown environment variable MYRIAD_SIMULCAST_DEBOUNCE");
}

TEST_CASE("auth.keys and auth.development are read from the file and the environment",
          "[config][auth]") {
  const std::string secret(32, 'k');
  const std::string other = "another-secret-with-more-than-32-bytes";
  SECTION("file") {
    const ServerConfig config = ConfigOf(R"({"auth": {"development": true, "keys": {"k1": ")" +
                                         secret + R"(", "k-2.b_c": ")" + other + R"("}}})");
    CHECK(config.auth.development);
    CHECK(config.auth.keys ==
          std::map<std::string, std::string>{{"k1", secret}, {"k-2.b_c", other}});
    CHECK(config.auth.DevelopmentMode());
  }
  SECTION("environment: MYRIAD_AUTH_KEYS replaces the file's keys") {
    const ServerConfig config = ConfigOf(R"({"auth": {"keys": {"old": ")" + secret + R"("}}})",
                                         {{"MYRIAD_AUTH_KEYS", R"({"new": ")" + other + R"("})"},
                                          {"MYRIAD_AUTH_DEVELOPMENT", "false"}});
    CHECK(config.auth.keys == std::map<std::string, std::string>{{"new", other}});
    CHECK_FALSE(config.auth.DevelopmentMode());
  }
  SECTION("MYRIAD_AUTH_DEVELOPMENT takes true, false, 1 and 0") {
    CHECK(ConfigOf("{}", {{"MYRIAD_AUTH_DEVELOPMENT", "true"}}).auth.development);
    CHECK(ConfigOf("{}", {{"MYRIAD_AUTH_DEVELOPMENT", "1"}}).auth.development);
    CHECK_FALSE(ConfigOf(R"({"auth": {"development": true}})", {{"MYRIAD_AUTH_DEVELOPMENT", "0"}})
                    .auth.development);
  }
}

TEST_CASE("auth.keys_file supplies the keys from a file (a mounted Secret)", "[config][auth]") {
  const std::string secret = "a-secret-from-a-mounted-kubernetes-secret";
  const TemporaryFile keys("keys-file.json", R"({"2026-12": ")" + secret + R"("})");
  SECTION("from the config file") {
    const ServerConfig config = ConfigOf(R"({"auth": {"keys_file": ")" + keys.Path() + R"("}})");
    CHECK(config.auth.keysFile == keys.Path());
    CHECK(config.auth.keys == std::map<std::string, std::string>{{"2026-12", secret}});
    CHECK_FALSE(config.auth.DevelopmentMode());
  }
  SECTION("from the environment") {
    const ServerConfig config = ConfigOf("{}", {{"MYRIAD_AUTH_KEYS_FILE", keys.Path()}});
    CHECK(config.auth.keys == std::map<std::string, std::string>{{"2026-12", secret}});
  }
  SECTION("not both: one place for the secrets") {
    CHECK(ErrorOf(R"({"auth": {"keys": {"k1": ")" + secret + R"("}}})",
                  {{"MYRIAD_AUTH_KEYS_FILE", keys.Path()}}) ==
          R"("auth.keys" and "auth.keys_file" are both set: keep the secrets in one place)");
    CHECK(ErrorOf("{}", {{"MYRIAD_AUTH_KEYS_FILE", keys.Path()},
                         {"MYRIAD_AUTH_KEYS", R"({"k1": ")" + secret + R"("})"}}) ==
          R"("auth.keys" and "auth.keys_file" are both set: keep the secrets in one place)");
  }
  SECTION("errors name the file and the key id, never the secret") {
    const std::string missing = std::string(MYRIAD_BINARY_DIR) + "/config-test-no-such-keys.json";
    CHECK(ErrorOf("{}", {{"MYRIAD_AUTH_KEYS_FILE", missing}}) ==
          "\"auth.keys_file\" \"" + missing + "\": cannot read: No such file or directory");
    const TemporaryFile broken("keys-broken.json", R"({"k1": ")" + secret + R"(")");
    const std::string brokenError = ErrorOf("{}", {{"MYRIAD_AUTH_KEYS_FILE", broken.Path()}});
    CHECK(brokenError == "\"auth.keys_file\" \"" + broken.Path() + "\": invalid JSON");
    const TemporaryFile shortKey("keys-short.json", R"({"k1": "short-secret"})");
    CHECK(ErrorOf("{}", {{"MYRIAD_AUTH_KEYS_FILE", shortKey.Path()}}) ==
          "\"auth.keys_file\" \"" + shortKey.Path() +
              "\": \"auth.keys.k1\" must be at least 32 bytes long, got 12");
    const TemporaryFile notObject("keys-array.json", R"(["k1"])");
    CHECK(ErrorOf("{}", {{"MYRIAD_AUTH_KEYS_FILE", notObject.Path()}}) ==
          "\"auth.keys_file\" \"" + notObject.Path() +
              "\": \"auth.keys\" must be an object, got array");
  }
}

TEST_CASE("Bad auth settings are errors that never quote a secret", "[config][auth]") {
  CHECK(ErrorOf(R"({"auth": {"keys": {"k1": "too-short-secret"}}})") ==
        R"("auth.keys.k1" must be at least 32 bytes long, got 16)");
  CHECK(ErrorOf(R"({"auth": {"keys": {"k1": 12}}})") ==
        R"("auth.keys.k1" must be a string, got integer)");
  CHECK(ErrorOf(R"({"auth": {"keys": ["k1"]}})") == R"("auth.keys" must be an object, got array)");
  CHECK(ErrorOf(R"({"auth": {"keys": {"k 1": "0123456789abcdef0123456789abcdef"}}})") ==
        R"("auth.keys" names "k 1", which is not a key id (1-64 characters of A-Z a-z 0-9 _ . -))");
  CHECK(ErrorOf(R"({"auth": {"keys": {"dev": "0123456789abcdef0123456789abcdef"}}})") ==
        R"("auth.keys.dev" uses the id reserved for the development key)");
  CHECK(ErrorOf(R"({"auth": {"development": "yes"}})") ==
        R"("auth.development" must be true or false, got string)");
  CHECK(ErrorOf(R"({"auth": {"secret": "x"}})") == R"(unknown key "auth.secret")");
  CHECK(ErrorOf("{}", {{"MYRIAD_AUTH_DEVELOPMENT", "yes"}}) ==
        R"(environment variable MYRIAD_AUTH_DEVELOPMENT must be true, false, 1 or 0, got "yes")");
  CHECK(
      ErrorOf("{}", {{"MYRIAD_AUTH_KEYS", R"({"k1": "short-secret"})"}}) ==
      R"(environment variable MYRIAD_AUTH_KEYS: "auth.keys.k1" must be at least 32 bytes long, got 12)");
  // The parser's message would quote the text around the mistake: a secret.
  const std::string broken = R"({"k1": "0123456789abcdef0123456789abcdef-secret")";
  const std::string error = ErrorOf("{}", {{"MYRIAD_AUTH_KEYS", broken}});
  CHECK(error == "environment variable MYRIAD_AUTH_KEYS: invalid JSON");
  CHECK(ErrorOf("{}", {{"MYRIAD_AUTH_KEY", "x"}}) ==
        "unknown environment variable MYRIAD_AUTH_KEY");
}
