#pragma once

// Test helper: runs one asynchronous client operation to completion.

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "loadtest/client/RunUntil.h"
#include "loadtest/client/WebRtcClient.h"

namespace myriad::integration {

// Starts an operation that reports through a WebRtcClient::Callback and runs
// the io_context until it does; returns its error ("" on success).
inline std::string Await(boost::asio::io_context& context,
                         const std::function<void(loadtest::WebRtcClient::Callback)>& start,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  std::optional<std::string> result;
  start([&result](const std::string& error) { result = error; });
  if (!loadtest::RunUntil(
          context, [&] { return result.has_value(); }, timeout)) {
    return "the operation did not complete in time";
  }
  return *result;
}

}  // namespace myriad::integration
