#include "server/room/ControlPeer.h"

#include <string_view>

#include "server/Metrics.h"
#include "server/transport/WebRtcTransport.h"

namespace myriad::server::room {
namespace {

// `object` (a serialised JSON object) with "seq" (and "unordered") as its first members; no
// re-serialisation, so a roster batch serialised once for the room gets each participant's
// number cheaply.
std::string WithSequence(uint64_t seq, bool unordered, std::string_view object) {
  std::string text = "{\"seq\":" + std::to_string(seq);
  if (unordered) text += ",\"unordered\":true";
  const std::string_view rest = object.substr(1);  // after '{'
  if (!rest.empty() && rest.front() != '}') text += ',';
  text += rest;
  return text;
}

}  // namespace

ControlPeer::ControlPeer(std::shared_ptr<signaling::SignalingPeer> webSocket,
                         transport::WebRtcTransport& transport, boost::asio::io_context& context)
    : webSocket_(std::move(webSocket)),
      transport_(transport),
      copyTimer_(context),
      drainTimer_(context) {}

void ControlPeer::SetChannel(std::optional<uint16_t> streamId) {
  channel_ = streamId;
  if (channel_) return;
  copies_.clear();
  copyTimer_.cancel();
  copyTimerArmed_ = false;
  // Held broadcasts follow on the WebSocket, in order.
  DrainBroadcasts(/*force=*/true);
  drainTimer_.cancel();
  drainTimerArmed_ = false;
}

// Messages whose order against the others does not matter: a reply names its request, and a
// `muted` or `unmuteRequest` carries its room version (a client keeps the newest), so the
// client may act on them before a lost message sent earlier arrives.
bool ControlPeer::IsUnordered(std::string_view type) {
  return type == "ack" || type == "error" || type == "muted" || type == "unmuteRequest";
}

bool ControlPeer::SendOnChannel(const std::string& text, bool copy, bool unordered) {
  if (!channel_ || text.empty() || text.front() != '{') return false;
  std::string sequenced = WithSequence(outbound_.NextToSend(), unordered, text);
  if (!transport_.SendDataChannelText(*channel_, sequenced)) {
    // The channel refused (buffer full, association gone): this and later messages take the
    // WebSocket; the client sees the channel close and a skipped roster version, and resyncs.
    AbandonChannel();
    return false;
  }
  ++sentOnChannel_;
  Metrics::Instance().DataChannelMessages(/*outgoing=*/true).Increment();
  if (!copy) return true;
  copies_.push_back({std::chrono::steady_clock::now() + kCopyGap, std::move(sequenced)});
  ScheduleCopies();
  return true;
}

void ControlPeer::ScheduleCopies() {
  if (copyTimerArmed_ || copies_.empty()) return;
  copyTimerArmed_ = true;
  copyTimer_.expires_at(copies_.front().due);
  copyTimer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        // Cancelled, or the peer is gone: a wait that completed just before the timer was destroyed
        // still runs its handler, with success, so the error code alone does not tell.
        if (ec || alive.expired()) return;
        copyTimerArmed_ = false;
        const auto now = std::chrono::steady_clock::now();
        while (!copies_.empty() && copies_.front().due <= now) {
          if (channel_) transport_.SendDataChannelText(*channel_, copies_.front().text);
          copies_.pop_front();
        }
        ScheduleCopies();
      });
}

void ControlPeer::DrainBroadcasts(bool force) {
  while (!heldBroadcasts_.empty()) {
    if (channel_ && !force && transport_.DataChannelQueueBeyondWindow()) break;
    if (channel_) {
      const std::shared_ptr<const std::string> text = heldBroadcasts_.front();
      if (SendOnChannel(*text, /*copy=*/false, /*unordered=*/false)) {
        heldBroadcasts_.pop_front();
        continue;
      }
      // Refused: the channel was abandoned, and that sent everything held (this one first)
      // on the WebSocket; unless it was no JSON object, which goes there alone.
      if (!channel_) continue;
    }
    webSocket_->SendShared(std::move(heldBroadcasts_.front()));
    heldBroadcasts_.pop_front();
  }
  ScheduleDrain();
}

void ControlPeer::ScheduleDrain() {
  if (drainTimerArmed_ || heldBroadcasts_.empty() || !channel_) return;
  drainTimerArmed_ = true;
  drainTimer_.expires_after(kDrainInterval);
  drainTimer_.async_wait(
      [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
        if (ec || alive.expired()) return;
        drainTimerArmed_ = false;
        DrainBroadcasts(/*force=*/false);
      });
}

void ControlPeer::AbandonChannel() {
  const auto channel = channel_;
  SetChannel(std::nullopt);
  if (channel) transport_.CloseDataChannel(*channel);
}

void ControlPeer::Send(nlohmann::json message) {
  if (channel_) {
    const std::string text = message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    const auto type = message.find("type");
    const bool unordered = type != message.end() && type->is_string() &&
                           IsUnordered(type->get_ref<const std::string&>());
    if (SendOnChannel(text, /*copy=*/true, unordered)) return;
  }
  webSocket_->Send(std::move(message));
}

void ControlPeer::SendShared(std::shared_ptr<const std::string> text) {
  if (channel_) {
    if (heldBroadcasts_.empty() && !transport_.DataChannelQueueBeyondWindow()) {
      if (SendOnChannel(*text, /*copy=*/false, /*unordered=*/false)) return;
    } else {
      // Behind what is held, in order.
      heldBroadcasts_.push_back(std::move(text));
      DrainBroadcasts(/*force=*/heldBroadcasts_.size() > kMaxHeldBroadcasts);
      return;
    }
  }
  webSocket_->SendShared(std::move(text));
}

void ControlPeer::Close() { webSocket_->Close(); }

}  // namespace myriad::server::room
