#include "server/transport/IceLiteAgent.h"

#include <cstring>

#include "rtp/StunMessageBuilder.h"

namespace myriad::server::transport {

IceLiteAgent::IceLiteAgent(std::string localUfrag, std::string localPassword)
    : localUfrag_(std::move(localUfrag)), localPassword_(std::move(localPassword)) {}

std::string_view IceLiteAgent::LocalUfragOf(const rtp::StunMessage& request) {
  const auto username = request.Username();
  if (!username) return {};
  const auto colon = username->find(':');
  if (colon == std::string_view::npos) return {};
  return username->substr(0, colon);
}

IceLiteAgent::Result IceLiteAgent::HandleRequest(const rtp::StunMessage& request,
                                                 const Endpoint& from, std::span<uint8_t> out,
                                                 Clock::time_point now) {
  Result result;
  if (request.Type() != rtp::StunMessage::kBindingRequest) return result;

  // RFC 8445 7.3: USERNAME must be "<our ufrag>:<their ufrag>", and the
  // request must be authenticated with our password (short-term credential).
  const auto username = request.Username();
  if (!username || !request.HasMessageIntegrity() || !request.HasFingerprint() ||
      !request.CheckFingerprint() || !request.CheckMessageIntegrity(localPassword_)) {
    result.outcome = Outcome::kAuthFailed;
    return result;
  }
  const auto colon = username->find(':');
  if (colon == std::string_view::npos || username->substr(0, colon) != localUfrag_ ||
      (!remoteUfrag_.empty() && username->substr(colon + 1) != remoteUfrag_)) {
    result.outcome = Outcome::kAuthFailed;
    return result;
  }
  // A lite agent is always controlled; a request claiming ICE-CONTROLLED is a
  // role conflict we do not resolve (RFC 8445 7.3.1.1): treat as unauthenticated.
  if (request.IceControlled() && !request.IceControlling()) {
    result.outcome = Outcome::kAuthFailed;
    return result;
  }

  rtp::StunAddress mapped;
  const auto address = from.address();
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    std::memcpy(mapped.address.data(), bytes.data(), bytes.size());
  } else {
    mapped.ipv6 = true;
    const auto bytes = address.to_v6().to_bytes();
    std::memcpy(mapped.address.data(), bytes.data(), bytes.size());
  }
  mapped.port = from.port();

  std::array<uint8_t, 12> transactionId{};
  const auto id = request.TransactionId();
  std::memcpy(transactionId.data(), id.data(), transactionId.size());
  rtp::StunMessageBuilder builder(out, rtp::StunMessage::kBindingSuccessResponse, transactionId);
  builder.AddXorMappedAddress(mapped);
  builder.AddMessageIntegrity(localPassword_);
  builder.AddFingerprint();
  const auto response = builder.Finish();
  if (response.empty()) {
    result.outcome = Outcome::kAuthFailed;
    return result;
  }

  result.outcome = Outcome::kRespond;
  result.responseSize = response.size();
  result.endpointValidated = true;
  lastConsent_ = now;
  lastValidated_ = from;
  // RFC 8445 8.2.2: a controlled agent nominates the pair on which it
  // receives a valid request carrying USE-CANDIDATE.
  if (request.HasUseCandidate() && nominated_ != from) {
    nominated_ = from;
    result.nominationChanged = true;
  }
  return result;
}

std::optional<IceLiteAgent::Endpoint> IceLiteAgent::SelectedEndpoint() const {
  if (nominated_) return nominated_;
  return lastValidated_;
}

}  // namespace myriad::server::transport
