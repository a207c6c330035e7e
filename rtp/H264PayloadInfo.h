#pragma once

// What a forwarding server needs to know about one H.264 RTP payload (RFC 6184) in
// packetization mode 0 or 1: which NAL unit types it carries, whether it starts a key frame,
// and where a complete SPS is, so the stream's real resolution can be read
// (H264SequenceParameterSet). Parse reads the NAL unit headers (and the first byte of an IDR
// slice) and never allocates.
//
// Accepted payload structures (RFC 6184 section 5.4, Table 3, modes 0 and 1):
//   1..23  single NAL unit packet (5.6)
//   24     STAP-A (5.7.1)
//   28     FU-A (5.8)
// Everything else is rejected (Parse returns nullopt): STAP-B, MTAP16, MTAP24 and FU-B (25, 26,
// 27, 29) exist only in the interleaved mode 2, which the server does not negotiate, and 0, 30
// and 31 are reserved (5.2, Table 1). A caller that gets nullopt should treat the packet as
// "not a key frame start, no SPS" and may still forward it.

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace myriad::rtp {

class H264PayloadInfo {
 public:
  // nal_unit_type values (H.264 Table 7-1; RFC 6184 Table 1 for 24 and 28).
  static constexpr uint8_t kNalTypeIdrSlice = 5;
  static constexpr uint8_t kNalTypeSps = 7;
  static constexpr uint8_t kNalTypePps = 8;
  static constexpr uint8_t kNalTypeStapA = 24;
  static constexpr uint8_t kNalTypeFuA = 28;

  enum class PacketType : uint8_t { kSingleNalUnit, kStapA, kFuA };

  // Indexed by nal_unit_type (0..31); a fixed-size value, no allocation.
  using NalUnitTypes = std::bitset<32>;

  // Returns nullopt for an empty or malformed payload: a forbidden_zero_bit (F) set in any NAL
  // unit header, a STAP-A without NAL units or whose NAL unit sizes are zero or overrun the
  // payload, an FU-A without its FU header or with both S and E set, an aggregated or
  // fragmented unit that is not an H.264 NAL unit (types 1..23), or a type listed above as
  // rejected.
  static std::optional<H264PayloadInfo> Parse(std::span<const uint8_t> payload);

  PacketType Type() const { return type_; }

  // The nal_unit_types of the NAL units this packet carries whole or in part (for FU-A, the
  // fragmented unit's type, in every fragment). Packetization types (24, 28) are not included.
  const NalUnitTypes& NalTypes() const { return nalTypes_; }
  bool ContainsNalType(uint8_t type) const { return type < 32 && nalTypes_.test(type); }

  // The packet carries the start of an IDR slice / SPS / PPS: a whole one, or the first
  // fragment (FU header S bit) of one.
  bool HasIdrSliceStart() const { return idrSliceStart_; }
  bool HasSps() const { return spsStart_; }
  bool HasPps() const { return ppsStart_; }
  // Like HasIdrSliceStart, for the first slice of the IDR picture (first_mb_in_slice == 0,
  // H.264 7.4.3), where an IDR picture without in-band parameter sets begins.
  bool HasIdrPictureStart() const { return idrPictureStart_; }

  // True when a subscriber may start (or switch to) this stream at this packet: it carries an
  // SPS, a PPS or the first slice of an IDR picture. In an IDR access unit these come in that
  // order (H.264 7.4.1.2.3), so the first packet of a key frame always qualifies, whether the
  // encoder sends parameter sets in-band (libwebrtc: a STAP-A of SPS + PPS, then the IDR) or
  // only out of band (the IDR's first packet). Later packets of the same access unit may
  // qualify too (the IDR after a STAP-A of SPS + PPS): callers switch at the first such packet
  // and tell access units apart by RTP timestamp.
  //
  // How the references decide:
  // - libwebrtc (VideoRtpDepacketizerH264) marks a packet as part of a key frame when it holds a
  //   parseable SPS or any IDR NAL unit, including FU-A fragments other than the first.
  // - mediasoup (RTC::Codecs::H264) calls a packet a key frame when it holds an SPS: a single
  //   NAL unit of type 7, a STAP-A containing one, or an FU-A/FU-B first fragment of one.
  // This rule takes mediasoup's SPS test, adds PPS (an access unit may repeat only the PPS in
  // band) and libwebrtc's IDR test restricted to the picture's first packet, so switching
  // never starts in the middle of a picture. Note that simulcast encodings usually all use
  // seq_parameter_set_id 0: switching at an IDR without its SPS leaves the decoder with the
  // previous encoding's SPS, so callers should prefer packets with HasSps().
  bool IsKeyFrameStart() const { return spsStart_ || ppsStart_ || idrPictureStart_; }

  // The first complete SPS in the packet (single NAL unit or STAP-A), without its one-byte NAL
  // unit header and still containing emulation-prevention bytes: the input of
  // H264SequenceParameterSet::Parse. Empty when there is none (a fragmented SPS is never
  // complete in one packet, RFC 6184 5.8).
  std::span<const uint8_t> Sps() const { return sps_; }

 private:
  H264PayloadInfo() = default;

  // Records one whole NAL unit (header byte included); false if it is not acceptable.
  bool AddNalUnit(std::span<const uint8_t> nalUnit);

  PacketType type_ = PacketType::kSingleNalUnit;
  NalUnitTypes nalTypes_;
  bool idrSliceStart_ = false;
  bool idrPictureStart_ = false;
  bool spsStart_ = false;
  bool ppsStart_ = false;
  std::span<const uint8_t> sps_;
};

}  // namespace myriad::rtp
