#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "loadtest/client/DependencyDecoder.h"
#include "loadtest/client/LtrFramePayload.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"

namespace myriad::loadtest {

// The network side of a native viewer with long-term references: feeds the
// packets of one subscribed LtrVideoSender track (RTX unwrapped, RFC 4588 4)
// to a DependencyDecoder and sends what it asks for: generic NACKs, RPSI
// acknowledgements (WebRtcClient::SendLtrAcknowledgement) and PLIs. With a
// PLI-only subscription (no Dependency Descriptor negotiated) the
// acknowledgements are not sent.
//
// It installs the client's RTP handler. Single-threaded, on the client's
// io_context; the client must outlive it.
class LtrVideoReceiver {
 public:
  using Clock = std::chrono::steady_clock;
  // Tests: packets (originals and unwrapped retransmissions) for which this
  // returns true are dropped before the decoder, as if lost.
  using DropFilter = std::function<bool(const LtrFramePayload&)>;

  struct Options {
    DependencyDecoder::Options decoder;
    std::chrono::milliseconds tick{10};  // NACK retries and break checks
    bool acknowledge = true;
    DropFilter dropIf;
  };

  struct Counters {
    uint64_t packets = 0;          // with a record, before the drop filter
    uint64_t retransmissions = 0;  // of those, over RTX
    uint64_t dropped = 0;          // by the drop filter
    uint64_t acknowledgementsWithheld = 0;
  };

  LtrVideoReceiver(boost::asio::io_context& context, WebRtcClient& client, std::string trackId,
                   Options options);
  ~LtrVideoReceiver();
  LtrVideoReceiver(const LtrVideoReceiver&) = delete;
  LtrVideoReceiver& operator=(const LtrVideoReceiver&) = delete;

  // Installs the RTP handler and starts the timer.
  void Start();
  // Stops the timer and closes the decoder's stall statistics now.
  void Finish();
  // Tests: stop (false) or resume acknowledging decoded references.
  void SetAcknowledging(bool acknowledge) { options_.acknowledge = acknowledge; }
  void SetDropFilter(DropFilter dropIf) { options_.dropIf = std::move(dropIf); }

  const DependencyDecoder& Decoder() const { return decoder_; }
  const Counters& GetCounters() const { return counters_; }
  // Frame ids acknowledged to the server, in order.
  const std::vector<uint16_t>& Acknowledged() const { return acknowledged_; }

 private:
  void OnRtp(rtp::RtpPacket& packet);
  void Apply(const DependencyDecoder::Actions& actions, const WebRtcClient::MediaTrack& track);
  void Tick();
  static int64_t NowMs();

  WebRtcClient& client_;
  std::string trackId_;
  Options options_;
  DependencyDecoder decoder_;
  DependencyDecoder::Actions actions_;
  boost::asio::steady_timer timer_;
  bool running_ = false;
  Counters counters_;
  std::vector<uint16_t> acknowledged_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace myriad::loadtest
