#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/ConfigLoader.h"
#include "config/ServerConfig.h"
#include "simulcast/SimulcastLadder.h"

using myriad::config::ConfigLoader;
using myriad::config::RoomLimits;
using myriad::config::RoomOverride;
using myriad::config::ServerConfig;
using myriad::simulcast::SimulcastLadder;
using LevelSpec = SimulcastLadder::LevelSpec;

namespace {

// A two-level ladder unlike the default.
SimulcastLadder SmallLadder() {
  const auto ladder = SimulcastLadder::Create({
      {.height = 240,
       .width = 320,
       .targetBitrateBps = 200000,
       .maxBitrateBps = 250000,
       .maxFramerate = 20},
      {.height = 480,
       .width = 640,
       .targetBitrateBps = 900000,
       .maxBitrateBps = 900000,
       .maxFramerate = 25},
  });
  REQUIRE(ladder.has_value());
  return *ladder;
}

}  // namespace

TEST_CASE("ServerConfig defaults are the documented design defaults", "[config]") {
  const ServerConfig config;
  CHECK(config.http.listenAddress == "127.0.0.1");
  CHECK(config.http.port == 7880);
  CHECK(config.http.webRoot.empty());
  CHECK(config.media.listenAddress == "127.0.0.1");
  CHECK(config.media.announcedAddress.empty());
  CHECK(config.media.portBase == 50000);
  CHECK(config.media.workers == 0);
  CHECK(config.ice.consentTimeoutMs == 30000);
  CHECK(config.rooms.maxParticipants == 1000);
  CHECK(config.rooms.maxPublishers == 1000);
  CHECK(config.rooms.audioSlots == 3);
  CHECK(config.rooms.rosterBatchIntervalMs == 100);
  CHECK(config.rooms.rosterPageSize == 500);
  CHECK(config.log.level == "info");
  CHECK(config.simulcast.ladder == SimulcastLadder::Default());
  CHECK(config.simulcast.debounceMs == 300);
  CHECK(config.simulcast.maxDelayMs == 1000);
  CHECK(config.simulcast.hysteresisSubscribers == 1);
  CHECK(config.simulcast.keyFrameRetryMs == 500);
  CHECK(config.simulcast.staleAfterMs == 1000);
  CHECK(config.roomOverrides.empty());
}

TEST_CASE("ServerConfig::ToJson lists every option with its configured value", "[config]") {
  ServerConfig config;
  config.http.port = 9000;
  config.media.announcedAddress = "203.0.113.5";
  config.log.level = "debug";
  config.simulcast.ladder = SmallLadder();
  config.simulcast.hysteresisSubscribers = 4;
  config.drain.redirectUrl = "wss://sfu.example.com/rtc";

  const nlohmann::json expected = {
      {"http", {{"listen_address", "127.0.0.1"}, {"port", 9000}, {"web_root", ""}}},
      {"media",
       {{"listen_address", "127.0.0.1"},
        {"announced_address", "203.0.113.5"},
        {"port_base", 50000},
        {"workers", 0}}},
      {"ice", {{"consent_timeout_ms", 30000}}},
      {"rooms",
       {{"max_participants", 1000},
        {"max_publishers", 1000},
        {"audio_slots", 3},
        {"roster_batch_interval_ms", 100},
        {"roster_page_size", 500}}},
      {"log", {{"level", "debug"}}},
      {"auth", {{"development", false}, {"keys", nlohmann::json::object()}, {"keys_file", ""}}},
      {"drain", {{"grace_period_s", 30}, {"redirect_url", "wss://sfu.example.com/rtc"}}},
      {"simulcast",
       {{"ladder",
         {{{"height", 240},
           {"width", 320},
           {"target_kbps", 200},
           {"max_kbps", 250},
           {"max_fps", 20}},
          {{"height", 480},
           {"width", 640},
           {"target_kbps", 900},
           {"max_kbps", 900},
           {"max_fps", 25}}}},
        {"debounce_ms", 300},
        {"max_delay_ms", 1000},
        {"hysteresis_subscribers", 4},
        {"keyframe_retry_ms", 500},
        {"stale_after_ms", 1000}}},
      {"room_overrides", nlohmann::json::object()},
  };
  CHECK(config.ToJson() == expected);
}

TEST_CASE("ServerConfig::ToJson lists only the limits each room override sets", "[config]") {
  ServerConfig config;
  config.roomOverrides["town-hall"] = {5000, std::nullopt, 5};
  config.roomOverrides["panel"] = {std::nullopt, 4, std::nullopt};
  config.roomOverrides["plain"] = {};
  CHECK(config.ToJson()["room_overrides"] ==
        nlohmann::json{{"town-hall", {{"max_participants", 5000}, {"audio_slots", 5}}},
                       {"panel", {{"max_publishers", 4}}},
                       {"plain", nlohmann::json::object()}});
}

TEST_CASE("ServerConfig::ToJson round-trips through the loader", "[config]") {
  ServerConfig config;
  config.http.listenAddress = "::1";
  config.http.webRoot = "/srv/www";
  config.media.listenAddress = "0.0.0.0";
  config.media.announcedAddress = "2001:db8::5";
  config.media.portBase = 0;
  config.media.workers = 3;
  config.ice.consentTimeoutMs = 5000;
  config.rooms.maxParticipants = 7;
  config.rooms.maxPublishers = 5;
  config.rooms.audioSlots = 16;
  config.rooms.rosterBatchIntervalMs = 10;
  config.rooms.rosterPageSize = 10000;
  config.log.level = "off";
  config.simulcast.ladder = SmallLadder();
  config.simulcast.debounceMs = 0;
  config.simulcast.maxDelayMs = 60000;
  config.simulcast.hysteresisSubscribers = 100;
  config.simulcast.keyFrameRetryMs = 50;
  config.simulcast.staleAfterMs = 60000;
  config.roomOverrides["town-hall"] = {5000, std::nullopt, 5};
  config.roomOverrides["panel"] = {std::nullopt, 4, std::nullopt};
  config.roomOverrides["a.b_c-1"] = {1, 1, 1};
  config.roomOverrides["plain"] = {};
  config.auth.development = true;
  config.auth.keys["k1"] = std::string(32, 'a');
  config.auth.keys["2024-rotation.b"] = std::string(64, 'z');

  const auto result = ConfigLoader::LoadFromString(config.ToJson().dump(), {});
  REQUIRE(result.error.empty());
  REQUIRE(result.config.has_value());
  CHECK(*result.config == config);
}

TEST_CASE("ServerConfig::Resolved replaces the built-in-choice values", "[config]") {
  const ServerConfig resolved = ServerConfig{}.Resolved();
  CHECK_FALSE(resolved.http.webRoot.empty());
  CHECK(resolved.media.announcedAddress == "127.0.0.1");
  CHECK(resolved.media.workers >= 1);
  CHECK(resolved.media.workers <= 256);
  if (std::thread::hardware_concurrency() >= 1 && std::thread::hardware_concurrency() <= 256) {
    CHECK(resolved.media.workers == std::thread::hardware_concurrency());
  }
  // Ephemeral ports are chosen when binding, not here.
  ServerConfig ephemeral;
  ephemeral.media.portBase = 0;
  CHECK(ephemeral.Resolved().media.portBase == 0);
}

TEST_CASE("ServerConfig::Resolved keeps explicit values", "[config]") {
  ServerConfig config;
  config.http.webRoot = "/srv/www";
  config.media.listenAddress = "0.0.0.0";
  config.media.announcedAddress = "203.0.113.5";
  config.media.workers = 5;
  const ServerConfig resolved = config.Resolved();
  CHECK(resolved == config);
}

TEST_CASE("ServerConfig::LimitsFor takes each limit from the room's override, else rooms.*",
          "[config]") {
  ServerConfig config;
  config.rooms.maxParticipants = 200;
  config.rooms.maxPublishers = 50;
  config.rooms.audioSlots = 4;
  config.roomOverrides["town-hall"] = {5000, std::nullopt, 5};
  config.roomOverrides["panel"] = {std::nullopt, 3, std::nullopt};
  config.roomOverrides["plain"] = {};

  CHECK(config.LimitsFor("town-hall") == RoomLimits{5000, 50, 5});
  CHECK(config.LimitsFor("panel") == RoomLimits{200, 3, 4});
  CHECK(config.LimitsFor("plain") == RoomLimits{200, 50, 4});
  CHECK(config.LimitsFor("lobby") == RoomLimits{200, 50, 4});
  // Room names match exactly.
  CHECK(config.LimitsFor("Town-Hall") == RoomLimits{200, 50, 4});
  CHECK(config.LimitsFor("") == RoomLimits{200, 50, 4});

  CHECK(ServerConfig{}.LimitsFor("any") == RoomLimits{1000, 1000, 3});
}

TEST_CASE("Every room override field maps to its own RoomOverride and RoomLimits member",
          "[config]") {
  // Setting one field through the table must change exactly that limit.
  const ServerConfig defaults;
  const RoomLimits base = defaults.LimitsFor("r");
  for (const auto& field : ServerConfig::RoomOverrideFields()) {
    INFO(field.key);
    ServerConfig config;
    config.roomOverrides["r"].*field.value = 7;
    RoomLimits expected = base;
    expected.*field.limit = 7;
    CHECK(config.LimitsFor("r") == expected);
    CHECK(config.ToJson()["room_overrides"]["r"] == nlohmann::json{{std::string(field.key), 7}});
  }
  CHECK(ServerConfig::RoomOverrideFields().size() == 3);
}

TEST_CASE("Development mode: asked for, or no keys configured", "[config][auth]") {
  ServerConfig config;
  CHECK(config.auth.DevelopmentMode());
  config.auth.keys["k1"] = std::string(32, 's');
  CHECK_FALSE(config.auth.DevelopmentMode());
  config.auth.development = true;
  CHECK(config.auth.DevelopmentMode());
}

TEST_CASE("ServerConfig::ToRedactedJson hides the secrets, and only them", "[config][auth]") {
  ServerConfig config;
  config.auth.keys["k1"] = "this-secret-must-not-be-printed-anywhere";
  nlohmann::json expected = config.ToJson();
  expected["auth"]["keys"]["k1"] = "<redacted: 40 bytes>";
  const nlohmann::json redacted = config.ToRedactedJson();
  CHECK(redacted == expected);
  CHECK(redacted.dump().find("this-secret") == std::string::npos);
}
