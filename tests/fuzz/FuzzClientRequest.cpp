// libFuzzer target: the WebSocket message parser on arbitrary frames. It must
// never throw or crash, and every outcome must be a request or an error with
// one of the documented codes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "signaling/ClientRequest.h"

using myriad::signaling::ClientRequestParser;
using myriad::signaling::RequestError;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = ClientRequestParser::Parse(text);
  if (const auto* error = std::get_if<RequestError>(&parsed)) {
    const auto& code = error->code;
    if (code != "bad_json" && code != "bad_message" && code != "unknown_type" &&
        code != "bad_room" && code != "bad_name") {
      __builtin_trap();
    }
    if (error->message.empty()) __builtin_trap();
  }
  return 0;
}
