#pragma once

#include <chrono>
#include <map>
#include <ostream>
#include <string>
#include <vector>

namespace myriad::server {

// `myriad token`: mints an access token (docs/protocol.md "Access tokens") signed with a key of
// the server's config, for an application backend or a developer to hand to a client.
//
//   myriad token --room ROOM --identity ID [--name NAME] [--ttl SECONDS]
//                [--grants LIST] [--key-id KID] [--config FILE]
//
// The config (FILE, else $MYRIAD_CONFIG, plus the MYRIAD_* environment) supplies auth.keys; with
// none configured the token is signed with the development key and a warning says so.
class TokenCommand {
 public:
  static constexpr std::chrono::seconds kDefaultTtl{3600};
  // A year: tokens are bearer credentials, and nothing revokes one before it expires.
  static constexpr std::chrono::seconds kMaxTtl{365 * 24 * 3600};
  static constexpr std::string_view kDefaultGrants = "join,publish,subscribe";

  // `arguments` are those after `token`. Prints the token (one line) to `out`, errors and
  // warnings to `err`; returns the exit status (0 ok, 1 config error, 2 usage error).
  static int Run(const std::vector<std::string>& arguments,
                 const std::map<std::string, std::string>& environment,
                 std::chrono::sys_seconds now, std::ostream& out, std::ostream& err);

  static std::string HelpText();
};

}  // namespace myriad::server
