#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "config/ConfigLoader.h"
#include "config/ServerConfig.h"

using myriad::config::ConfigLoader;
using myriad::config::ServerConfig;

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
  CHECK(config.log.level == "info");
}

TEST_CASE("ServerConfig::ToJson lists every option with its configured value", "[config]") {
  ServerConfig config;
  config.http.port = 9000;
  config.media.announcedAddress = "203.0.113.5";
  config.log.level = "debug";

  const nlohmann::json expected = {
      {"http", {{"listen_address", "127.0.0.1"}, {"port", 9000}, {"web_root", ""}}},
      {"media",
       {{"listen_address", "127.0.0.1"},
        {"announced_address", "203.0.113.5"},
        {"port_base", 50000},
        {"workers", 0}}},
      {"ice", {{"consent_timeout_ms", 30000}}},
      {"rooms", {{"max_participants", 1000}}},
      {"log", {{"level", "debug"}}},
  };
  CHECK(config.ToJson() == expected);
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
  config.log.level = "off";

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
