#pragma once

#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "rtp/StunMessage.h"

namespace myriad::server::transport {

// The ICE-lite half of RFC 8445 (section 2.5): the server never sends checks,
// it answers the browser's binding requests, follows its nomination and keeps
// consent (RFC 7675) alive while valid requests keep arriving.
class IceLiteAgent {
 public:
  using Clock = std::chrono::steady_clock;
  using Endpoint = boost::asio::ip::udp::endpoint;

  enum class Outcome {
    kRespond,      // valid request: send the response written to `out`
    kAuthFailed,   // wrong USERNAME, MESSAGE-INTEGRITY or FINGERPRINT: drop
    kNotARequest,  // indications, responses: nothing to do
  };

  struct Result {
    Outcome outcome = Outcome::kNotARequest;
    size_t responseSize = 0;
    bool endpointValidated = false;  // `from` passed a check (may carry media now)
    bool nominationChanged = false;  // the selected endpoint changed
  };

  IceLiteAgent(std::string localUfrag, std::string localPassword);

  void SetRemoteUfrag(std::string remoteUfrag) { remoteUfrag_ = std::move(remoteUfrag); }
  const std::string& LocalUfrag() const { return localUfrag_; }
  const std::string& LocalPassword() const { return localPassword_; }

  // Checks a binding request (USERNAME "local:remote", MESSAGE-INTEGRITY with
  // our password, FINGERPRINT) and writes the success response with
  // XOR-MAPPED-ADDRESS into `out` (RFC 8445 7.3, RFC 5389 10.1.2).
  Result HandleRequest(const rtp::StunMessage& request, const Endpoint& from,
                       std::span<uint8_t> out, Clock::time_point now);

  // Where to send media: the nominated endpoint, or before any nomination the
  // last endpoint that passed a check (so DTLS can answer early).
  std::optional<Endpoint> SelectedEndpoint() const;
  bool Nominated() const { return nominated_.has_value(); }
  std::optional<Clock::time_point> LastConsent() const { return lastConsent_; }

  // The local ufrag of the transport a STUN request is addressed to, from its
  // USERNAME "local:remote" (RFC 8445 7.2.2); empty if there is none.
  static std::string_view LocalUfragOf(const rtp::StunMessage& request);

 private:
  std::string localUfrag_;
  std::string localPassword_;
  std::string remoteUfrag_;
  std::optional<Endpoint> nominated_;
  std::optional<Endpoint> lastValidated_;
  std::optional<Clock::time_point> lastConsent_;
};

}  // namespace myriad::server::transport
