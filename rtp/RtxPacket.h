#pragma once

// RTP retransmission payload format (RFC 4588 section 4): an RTX packet carries the original
// packet's header fields except SSRC/PT/seq, then the 2-byte original sequence number (OSN),
// then the original payload. All conversions work on caller buffers without allocating.

#include <cstdint>
#include <optional>
#include <span>

#include "rtp/RtpPacket.h"

namespace myriad::rtp {

inline constexpr size_t kRtxOsnSize = 2;

// The OSN at the start of the RTX payload; nullopt for payloads shorter than 2 bytes (such as
// padding-only RTX packets used for bandwidth probing).
std::optional<uint16_t> RtxOriginalSequenceNumber(const RtpPacket& rtx);

// Turns the RTX packet in `rtx` back into the original packet in the same buffer: removes the
// OSN by shifting the payload (and any RTP padding) 2 bytes down, then sets seq = OSN and the
// given original payload type and SSRC. Returns the view over the now 2-byte shorter packet.
std::optional<RtpPacket> RtxToOriginalInPlace(RtpPacket rtx, uint8_t originalPayloadType,
                                              uint32_t originalSsrc);

// Writes the RTX packet for `original` into `destination` (needs original.Size() + 2 bytes;
// the original's RTP padding is dropped, as it belongs to the original transmission). Header
// extensions and CSRCs are kept. `destination` may start at original.Data().data() itself
// (in-place wrapping) as long as it has the 2 extra bytes; other overlaps are not supported.
std::optional<RtpPacket> OriginalToRtx(const RtpPacket& original, std::span<uint8_t> destination,
                                       uint8_t rtxPayloadType, uint32_t rtxSsrc,
                                       uint16_t rtxSequenceNumber);

}  // namespace myriad::rtp
