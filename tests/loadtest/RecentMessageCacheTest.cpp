#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "loadtest/client/RecentMessageCache.h"

using myriad::loadtest::RecentMessageCache;

TEST_CASE("RecentMessageCache returns the parse of identical text only", "[loadtest]") {
  RecentMessageCache cache;
  CHECK_FALSE(cache.Find(R"({"type":"roster","version":1})"));
  auto parsed = std::make_shared<const nlohmann::json>(
      nlohmann::json::parse(R"({"type":"roster","version":1})"));
  cache.Insert(R"({"type":"roster","version":1})", parsed);
  const auto hit = cache.Find(R"({"type":"roster","version":1})");
  REQUIRE(hit);
  CHECK(hit.get() == parsed.get());
  CHECK((*hit)["version"] == 1);
  // One byte different is a different message.
  CHECK_FALSE(cache.Find(R"({"type":"roster","version":2})"));
  CHECK(cache.Hits() == 1);
}

TEST_CASE("RecentMessageCache forgets the oldest entry when full", "[loadtest]") {
  RecentMessageCache cache;
  const auto text = [](size_t i) { return "{\"n\":" + std::to_string(i) + "}"; };
  for (size_t i = 0; i <= RecentMessageCache::kEntries; ++i) {
    cache.Insert(text(i), std::make_shared<const nlohmann::json>(nlohmann::json::parse(text(i))));
  }
  CHECK_FALSE(cache.Find(text(0)));
  for (size_t i = 1; i <= RecentMessageCache::kEntries; ++i) {
    const auto hit = cache.Find(text(i));
    REQUIRE(hit);
    CHECK((*hit)["n"] == i);
  }
}
