#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "signaling/ControlSequencer.h"
#include "signaling/SignalingPeer.h"

namespace myriad::server::transport {
class WebRtcTransport;
}

namespace myriad::server::room {

// Where the server's messages to one participant go (docs/protocol.md "Conference control"):
// its control data channel while that is open, so control shares fate with the participant's
// media, and its signalling WebSocket otherwise (before the channel opens, after it closes, or
// when the channel refuses a message). A client that sees a room version skipped while the
// path changes asks for `sync`.
//
// On the channel every message carries "seq"; a message for this participant alone (Send: a
// reply, an error, its own mute, an unmute request, a kick) goes out twice, kCopyGap apart
// (signaling::ControlSequencer says why), while the room's broadcasts (SendShared: roster
// batches, speaker changes) go out once: they are most of the bytes, and doubled they fill the
// association's congestion window on a lossy path, so the replies queue behind them (measured:
// docs/benchmarks.md "Conference control under loss"). The channel is reliable, so a broadcast
// lost once arrives by retransmission. Replies and notifications that carry what orders them
// (ack, error, muted, unmuteRequest) are marked unordered: the client handles them on arrival
// instead of behind a lost broadcast (signaling::ControlSequencer). The peer's messages are
// sequenced the same way (Inbound()). Unlike the WebSocket peer this one is used on the
// participant's worker thread only.
class ControlPeer : public signaling::SignalingPeer {
 public:
  // The data channel label a client opens for conference control.
  static constexpr const char* kChannelLabel = "myriad-control";

  static constexpr std::chrono::milliseconds kCopyGap{10};

  ControlPeer(std::shared_ptr<signaling::SignalingPeer> webSocket,
              transport::WebRtcTransport& transport, boost::asio::io_context& context);

  // The control channel opened (its stream id) or closed (nullopt).
  void SetChannel(std::optional<uint16_t> streamId);
  // Stops using the channel and closes it, so the client falls back to the WebSocket too (its
  // requests on a channel we no longer read would go unanswered).
  void AbandonChannel();
  std::optional<uint16_t> Channel() const { return channel_; }

  void Send(nlohmann::json message) override;
  void SendShared(std::shared_ptr<const std::string> text) override;
  // Closes the WebSocket (the transport ends with the participant).
  void Close() override;

  signaling::SignalingPeer& WebSocket() { return *webSocket_; }
  uint64_t SentOnChannel() const { return sentOnChannel_; }
  // The sequencing of what the client sends on the channel.
  signaling::ControlSequencer& Inbound() { return inbound_; }

 private:
  // `text` is a JSON object; it goes out with the next seq (marked unordered if so), now and,
  // with `copy`, once more kCopyGap later.
  bool SendOnChannel(const std::string& text, bool copy, bool unordered);
  static bool IsUnordered(std::string_view type);
  void ScheduleCopies();

  std::shared_ptr<signaling::SignalingPeer> webSocket_;
  transport::WebRtcTransport& transport_;
  std::optional<uint16_t> channel_;
  signaling::ControlSequencer outbound_;  // numbers what we send
  signaling::ControlSequencer inbound_;
  struct Copy {
    std::chrono::steady_clock::time_point due;
    std::string text;
  };
  std::deque<Copy> copies_;  // second copies waiting, due times ascending
  boost::asio::steady_timer copyTimer_;
  bool copyTimerArmed_ = false;
  // Expires with the peer: the copy timer's handler checks it before touching anything.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  uint64_t sentOnChannel_ = 0;
};

}  // namespace myriad::server::room
