#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "config/ServerConfig.h"

namespace myriad::config {

// How an option's value is typed and checked.
enum class ConfigValueKind {
  Integer,               // JSON integer within [minimum, maximum]
  String,                // any JSON string
  IpAddress,             // an IPv4 or IPv6 literal
  OptionalIpAddress,     // "" or an IPv4 or IPv6 literal
  LogLevel,              // one of ConfigOptionTable::LogLevels()
  OptionalWebSocketUrl,  // "" or a ws:// or wss:// URL
  Boolean,               // JSON true/false; "true"/"false"/"1"/"0" in the environment
};

// One row of the option table: the single place an option is declared. The loader (JSON keys and
// environment variables), ServerConfig::ToJson and the --help text are all driven by it, and a test
// checks that config/myriad.json and config/README.md mention every row.
struct ConfigOption {
  std::string_view section;  // "http"
  std::string_view key;      // "listen_address"
  ConfigValueKind kind;
  std::int64_t minimum;  // Integer (Boolean: 0)
  std::int64_t maximum;  // Integer (Boolean: 1)
  std::string_view summary;

  // Accessors generated from pointers-to-member. Integer and Boolean rows (0 or 1) set the
  // integer pair, all other rows the string pair; the other pair is null.
  std::int64_t (*getInteger)(const ServerConfig&);
  void (*setInteger)(ServerConfig&, std::int64_t);
  const std::string& (*getString)(const ServerConfig&);
  void (*setString)(ServerConfig&, std::string);

  std::string Path() const;                 // "http.listen_address"
  std::string EnvironmentVariable() const;  // "MYRIAD_HTTP_LISTEN_ADDRESS"
  // Integer and Boolean rows keep their value in the integer accessors.
  bool IsNumeric() const {
    return kind == ConfigValueKind::Integer || kind == ConfigValueKind::Boolean;
  }
};

class ConfigOptionTable {
 public:
  static std::span<const ConfigOption> Options();
  // nullptr when there is no such option.
  static const ConfigOption* Find(std::string_view section, std::string_view key);
  static bool IsSection(std::string_view section);
  // Allowed values of log.level, most verbose first.
  static std::span<const std::string_view> LogLevels();
  // "trace, debug, info, warn, error, critical, off"
  static std::string LogLevelList();
};

}  // namespace myriad::config
