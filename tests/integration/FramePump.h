#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "loadtest/client/SimulcastVideoSender.h"
#include "loadtest/client/WebRtcClient.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {

// Sends one frame of every active encoding of a simulcast camera every
// 33 ms (30 fps) while its client is connected, on the client's io_context,
// until destroyed.
class FramePump {
 public:
  FramePump(boost::asio::io_context& context, loadtest::WebRtcClient& client,
            loadtest::SimulcastVideoSender& sender)
      : timer_(context), client_(client), sender_(sender) {}
  void Start() { Tick(); }

 private:
  void Tick() {
    if (client_.IsConnected()) sender_.SendFrame(SentPacketLog::NowUs());
    timer_.expires_after(std::chrono::milliseconds(33));
    timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) Tick();
    });
  }

  boost::asio::steady_timer timer_;
  loadtest::WebRtcClient& client_;
  loadtest::SimulcastVideoSender& sender_;
};

}  // namespace myriad::integration
