#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>

#include "loadtest/client/FrameScheduler.h"
#include "loadtest/client/SimulcastVideoSender.h"
#include "loadtest/client/WebRtcClient.h"

namespace myriad::integration {

// Sends one frame of every active encoding of a simulcast camera at 30 fps
// while its client is connected, on the client's io_context, until
// destroyed.
class FramePump {
 public:
  FramePump(boost::asio::io_context& context, loadtest::WebRtcClient& client,
            loadtest::SimulcastVideoSender& sender)
      : scheduler_(context, 30, [&client, &sender](int64_t sendTimeUs) {
          if (client.IsConnected()) sender.SendFrame(sendTimeUs);
        }) {}
  void Start() { scheduler_.Start(); }

 private:
  loadtest::FrameScheduler scheduler_;
};

}  // namespace myriad::integration
