// The flag walker the loadtest/ tools share: "--flag value" and
// "--flag=value", missing values, error texts, and whole-text numbers.

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/CommandLineArguments.h"

namespace myriad::loadtest {

TEST_CASE("CommandLineArguments walks separate and inline values alike", "[loadtest]") {
  const std::vector<std::string> arguments{"--seed", "7",    "--loss=2.5", "-h",
                                           "a=b",    "--x=", "--last"};
  CommandLineArguments walk(arguments);
  std::string error;

  REQUIRE(walk.Next());
  CHECK(walk.Flag() == "--seed");
  CHECK(walk.Value(&error) == "7");  // consumes "7"

  REQUIRE(walk.Next());
  CHECK(walk.Flag() == "--loss");
  CHECK(walk.Value(&error) == "2.5");  // inline: nothing consumed

  REQUIRE(walk.Next());
  CHECK(walk.Flag() == "-h");  // a flag without a value is the caller's business

  REQUIRE(walk.Next());
  CHECK(walk.Flag() == "a=b");  // only "--" arguments carry inline values

  REQUIRE(walk.Next());
  CHECK(walk.Flag() == "--x");
  CHECK(walk.Value(&error) == "");  // an empty inline value is a value

  REQUIRE(walk.Next());
  CHECK(walk.Flag() == "--last");
  CHECK_FALSE(walk.Value(&error).has_value());
  CHECK(error == "--last needs a value");
  CHECK_FALSE(walk.Next());
  CHECK_FALSE(walk.Next());
}

TEST_CASE("CommandLineArguments::Bad names the flag, the text and what it should be",
          "[loadtest]") {
  const std::vector<std::string> arguments{"--threads=99"};
  CommandLineArguments walk(arguments);
  REQUIRE(walk.Next());
  std::string error;
  const std::optional<int> result = walk.Bad("99", "1..64", &error);
  CHECK_FALSE(result.has_value());
  CHECK(error == "--threads: \"99\" is not 1..64");
}

TEST_CASE("CommandLineArguments reads numbers whole and in range", "[loadtest]") {
  uint32_t integer = 5;
  CHECK(CommandLineArguments::ParseInteger<uint32_t>("42", 0, 100, integer));
  CHECK(integer == 42);
  for (const char* text : {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "101", "4294967296"}) {
    INFO(text);
    uint32_t untouched = 5;
    CHECK_FALSE(CommandLineArguments::ParseInteger<uint32_t>(text, 0, 100, untouched));
    CHECK(untouched == 5);
  }
  uint64_t big = 0;
  CHECK(CommandLineArguments::ParseInteger<uint64_t>("18446744073709551615", 0, UINT64_MAX, big));
  CHECK(big == UINT64_MAX);

  double number = 0;
  CHECK(CommandLineArguments::ParseNumber("2.5", 0, 100, number));
  CHECK(number == 2.5);
  CHECK(CommandLineArguments::ParseNumber("1e2", 0, 100, number));
  CHECK(number == 100);
  CHECK(CommandLineArguments::ParseNumber("-3", -5, 0, number));
  CHECK(number == -3);
  for (const char* text : {"", "abc", "2.5%", "100.1", "-0.1", "inf", "nan", "1e400"}) {
    INFO(text);
    double untouched = 7;
    CHECK_FALSE(CommandLineArguments::ParseNumber(text, 0, 100, untouched));
    CHECK(untouched == 7);
  }
  CHECK_FALSE(CommandLineArguments::ParseNumber("inf", 0, HUGE_VAL, number));
}

}  // namespace myriad::loadtest
