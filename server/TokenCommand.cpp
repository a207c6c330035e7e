#include "server/TokenCommand.h"

#include <charconv>
#include <optional>
#include <string_view>

#include "config/ConfigLoader.h"
#include "signaling/AccessPolicy.h"
#include "signaling/AccessToken.h"
#include "signaling/ClientRequest.h"
#include "signaling/Grants.h"

namespace myriad::server {
namespace {

constexpr size_t kMaxIdentityLength = 256;

struct TokenOptions {
  std::optional<std::string> room;
  std::optional<std::string> identity;
  std::optional<std::string> name;
  std::optional<std::string> ttl;
  std::optional<std::string> grants;
  std::optional<std::string> keyId;
  std::optional<std::string> configPath;
  bool help = false;
};

// Returns "" or the usage error.
std::string ParseArguments(const std::vector<std::string>& arguments, TokenOptions& options) {
  const std::pair<std::string_view, std::optional<std::string> TokenOptions::*> valued[] = {
      {"--room", &TokenOptions::room},         {"--identity", &TokenOptions::identity},
      {"--name", &TokenOptions::name},         {"--ttl", &TokenOptions::ttl},
      {"--grants", &TokenOptions::grants},     {"--key-id", &TokenOptions::keyId},
      {"--config", &TokenOptions::configPath},
  };
  for (size_t i = 0; i < arguments.size(); ++i) {
    std::string_view name = arguments[i];
    std::optional<std::string> inlineValue;  // from --opt=VALUE
    if (const auto equals = name.find('='); name.starts_with("--") && equals != name.npos) {
      inlineValue = std::string(name.substr(equals + 1));
      name = name.substr(0, equals);
    }
    if (name == "--help" || name == "-h") {
      options.help = true;
      continue;
    }
    bool known = false;
    for (const auto& [option, slot] : valued) {
      if (name != option) continue;
      known = true;
      if (options.*slot) return "option " + std::string(name) + " given more than once";
      if (inlineValue) {
        options.*slot = *inlineValue;
      } else if (i + 1 < arguments.size()) {
        options.*slot = arguments[++i];
      } else {
        return "option " + std::string(name) + " requires a value";
      }
    }
    if (!known) return "unknown argument \"" + arguments[i] + "\"";
  }
  return "";
}

}  // namespace

std::string TokenCommand::HelpText() {
  return "Usage: myriad token --room ROOM --identity ID [--name NAME] [--ttl SECONDS]\n"
         "                    [--grants LIST] [--key-id KID] [--config FILE]\n"
         "\n"
         "Prints an access token (a JWT signed with HS256) for one room.\n"
         "\n"
         "  --room ROOM      the room the token admits to\n"
         "  --identity ID    who the bearer is (the token's subject)\n"
         "  --name NAME      display name, replaces the one the client sends\n"
         "  --ttl SECONDS    validity from now (default 3600, at most a year)\n"
         "  --grants LIST    comma-separated: join, publish (= publishAudio, publishVideo,\n"
         "                   publishScreen), publishAudio, publishVideo, publishScreen,\n"
         "                   subscribe, admin, all (default join,publish,subscribe)\n"
         "  --key-id KID     the auth.keys entry to sign with (needed when several are set)\n"
         "  --config FILE    the server's config file (default $MYRIAD_CONFIG); MYRIAD_AUTH_KEYS\n"
         "                   and the other MYRIAD_* variables apply as for the server\n"
         "\n"
         "Without auth.keys the token is signed with the well-known development key, which\n"
         "only a server in development mode accepts.\n";
}

int TokenCommand::Run(const std::vector<std::string>& arguments,
                      const std::map<std::string, std::string>& environment,
                      std::chrono::sys_seconds now, std::ostream& out, std::ostream& err) {
  const auto usage = [&](const std::string& error) {
    err << "myriad token: " << error << " (see myriad token --help)\n";
    return 2;
  };
  TokenOptions options;
  if (std::string error = ParseArguments(arguments, options); !error.empty()) return usage(error);
  if (options.help) {
    out << HelpText();
    return 0;
  }
  if (!options.room) return usage("--room is required");
  if (!options.identity) return usage("--identity is required");
  if (!signaling::ClientRequestParser::IsValidRoomName(*options.room)) {
    return usage("--room must be 1-128 characters of [A-Za-z0-9_.-]");
  }
  if (options.identity->empty() || options.identity->size() > kMaxIdentityLength) {
    return usage("--identity must be 1-" + std::to_string(kMaxIdentityLength) + " characters");
  }
  if (options.name && !signaling::ClientRequestParser::IsValidDisplayName(*options.name)) {
    return usage("--name must be 1-64 characters without control characters");
  }
  std::chrono::seconds ttl = kDefaultTtl;
  if (options.ttl) {
    long long seconds = 0;
    const char* end = options.ttl->data() + options.ttl->size();
    const auto [stop, status] = std::from_chars(options.ttl->data(), end, seconds);
    if (options.ttl->empty() || stop != end || status != std::errc() || seconds < 1 ||
        seconds > kMaxTtl.count()) {
      return usage("--ttl must be a whole number of seconds from 1 to " +
                   std::to_string(kMaxTtl.count()));
    }
    ttl = std::chrono::seconds(seconds);
  }
  std::string error;
  const auto grants =
      signaling::Grants::FromList(options.grants.value_or(std::string(kDefaultGrants)), &error);
  if (!grants) return usage("--grants: " + error);

  std::string configPath = options.configPath.value_or("");
  if (!options.configPath) {
    if (const auto it = environment.find(std::string(config::ConfigLoader::kConfigPathVariable));
        it != environment.end()) {
      configPath = it->second;
    }
  }
  const auto loaded = config::ConfigLoader::Load(configPath, environment);
  if (!loaded.config) {
    err << "myriad token: " << loaded.error << "\n";
    return 1;
  }
  const auto& auth = loaded.config->auth;
  const signaling::AccessPolicy policy(signaling::AccessKeys(auth.keys.begin(), auth.keys.end()),
                                       auth.development);
  const auto key = policy.SigningKey(options.keyId.value_or(""), &error);
  if (!key) {
    err << "myriad token: " << error << "\n";
    return 1;
  }
  if (key->id == signaling::AccessPolicy::kDevelopmentKeyId) {
    err << "myriad token: warning: signed with the well-known development key; only a server "
           "in development mode accepts it\n";
  }

  signaling::AccessClaims claims;
  claims.identity = *options.identity;
  claims.name = options.name.value_or("");
  claims.room = *options.room;
  claims.issuedAt = now;
  claims.expiresAt = now + ttl;
  claims.grants = *grants;
  out << signaling::AccessToken::Mint(claims, *key) << "\n";
  return 0;
}

}  // namespace myriad::server
