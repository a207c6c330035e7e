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
// lost once arrives by retransmission. And a broadcast waits here, not in the association's
// send queue, while that queue holds more than its congestion window (a loss shrank the window,
// or broadcasts came faster than the path drains): checked every kDrainInterval, so a reply
// never queues behind more than about one window of broadcasts. Replies and notifications that
// carry what orders them (ack, error, muted, unmuteRequest) are marked unordered: the client
// handles them on arrival instead of behind a lost broadcast (signaling::ControlSequencer). The
// peer's messages are sequenced the same way (Inbound()). Unlike the WebSocket peer this one is
// used on the participant's worker thread only.
class ControlPeer : public signaling::SignalingPeer {
 public:
  // The data channel label a client opens for conference control.
  static constexpr const char* kChannelLabel = "myriad-control";

  static constexpr std::chrono::milliseconds kCopyGap{10};
  // Held broadcasts are offered to the channel this often.
  static constexpr std::chrono::milliseconds kDrainInterval{10};
  // Beyond this many held broadcasts the path is not keeping up at all: they all go to the
  // association's queue (which refuses beyond its limit, and the channel is then abandoned).
  static constexpr size_t kMaxHeldBroadcasts = 256;

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
  size_t HeldBroadcasts() const { return heldBroadcasts_.size(); }
  // The sequencing of what the client sends on the channel.
  signaling::ControlSequencer& Inbound() { return inbound_; }

 private:
  // `text` is a JSON object; it goes out with the next seq (marked unordered if so), now and,
  // with `copy`, once more kCopyGap later.
  bool SendOnChannel(const std::string& text, bool copy, bool unordered);
  static bool IsUnordered(std::string_view type);
  void ScheduleCopies();
  // Hands held broadcasts to the channel while its queue allows (all of them with `force`);
  // what the channel refuses, and everything once it is gone, takes the WebSocket.
  void DrainBroadcasts(bool force);
  void ScheduleDrain();

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
  std::deque<std::shared_ptr<const std::string>> heldBroadcasts_;
  boost::asio::steady_timer drainTimer_;
  bool drainTimerArmed_ = false;
  // Expires with the peer: the timers' handlers check it before touching anything.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  uint64_t sentOnChannel_ = 0;
};

}  // namespace myriad::server::room
