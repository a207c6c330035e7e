#include "rtp/H264PayloadInfo.h"

#include "rtp/BigEndian.h"

namespace myriad::rtp {

namespace {

// NAL unit header (H.264 7.3.1, RFC 6184 5.3): F(1) NRI(2) Type(5).
constexpr uint8_t kForbiddenZeroBit = 0x80;
constexpr uint8_t kNalTypeMask = 0x1F;
// FU header (RFC 6184 5.8): S(1) E(1) R(1) Type(5). R must be ignored by receivers.
constexpr uint8_t kFuStartBit = 0x80;
constexpr uint8_t kFuEndBit = 0x40;
constexpr size_t kNalHeaderSize = 1;
constexpr size_t kFuAHeaderSize = 2;        // FU indicator + FU header
constexpr size_t kStapANaluSizeLength = 2;  // 16-bit NALU size before each unit (5.7.1)

// H.264 NAL unit types that may appear as single NAL unit packets, inside a STAP-A or in an
// FU-A (RFC 6184 5.6, 5.7, 5.8): aggregation and fragmentation units do not nest.
bool IsH264NalUnitType(uint8_t type) { return type >= 1 && type <= 23; }

// first_mb_in_slice is the slice header's first field, ue(v) (H.264 7.3.3); it is 0 exactly
// when its code is the single bit 1, so the first bit of the slice data tells. The bit can never
// be an emulation-prevention byte, which only follows two zero bytes.
bool FirstBitSet(std::span<const uint8_t> sliceData) {
  return !sliceData.empty() && (sliceData[0] & 0x80) != 0;
}

}  // namespace

bool H264PayloadInfo::AddNalUnit(std::span<const uint8_t> nalUnit) {
  if (nalUnit.empty()) return false;
  const uint8_t header = nalUnit[0];
  // H.264 7.4.1: forbidden_zero_bit shall be 0. RFC 6184 5.3 lets a network element set F to
  // flag a unit with bit errors; such a unit is no basis for key-frame or resolution decisions.
  if ((header & kForbiddenZeroBit) != 0) return false;
  const uint8_t type = header & kNalTypeMask;
  if (!IsH264NalUnitType(type)) return false;
  nalTypes_.set(type);
  const std::span<const uint8_t> body = nalUnit.subspan(kNalHeaderSize);
  switch (type) {
    case kNalTypeIdrSlice:
      idrSliceStart_ = true;
      if (FirstBitSet(body)) idrPictureStart_ = true;
      break;
    case kNalTypeSps:
      if (!spsStart_) sps_ = body;
      spsStart_ = true;
      break;
    case kNalTypePps:
      ppsStart_ = true;
      break;
    default:
      break;
  }
  return true;
}

std::optional<H264PayloadInfo> H264PayloadInfo::Parse(std::span<const uint8_t> payload) {
  if (payload.empty()) return std::nullopt;
  const uint8_t header = payload[0];
  if ((header & kForbiddenZeroBit) != 0) return std::nullopt;
  const uint8_t type = header & kNalTypeMask;

  H264PayloadInfo info;
  if (IsH264NalUnitType(type)) {
    // RFC 6184 5.6: the payload is exactly one NAL unit, header included.
    info.type_ = PacketType::kSingleNalUnit;
    if (!info.AddNalUnit(payload)) return std::nullopt;
    return info;
  }

  if (type == kNalTypeStapA) {
    // RFC 6184 5.7.1: STAP-A header, then one or more (16-bit NALU size, NAL unit).
    info.type_ = PacketType::kStapA;
    size_t offset = kNalHeaderSize;
    if (offset == payload.size()) return std::nullopt;
    while (offset < payload.size()) {
      if (payload.size() - offset < kStapANaluSizeLength) return std::nullopt;
      const size_t naluSize = ReadBigEndian16(&payload[offset]);
      offset += kStapANaluSizeLength;
      // A NAL unit has at least its header byte; a size of 0 or past the end is malformed.
      if (naluSize == 0 || naluSize > payload.size() - offset) return std::nullopt;
      if (!info.AddNalUnit(payload.subspan(offset, naluSize))) return std::nullopt;
      offset += naluSize;
    }
    return info;
  }

  if (type == kNalTypeFuA) {
    // RFC 6184 5.8: FU indicator (F and NRI of the fragmented unit), FU header, fragment.
    info.type_ = PacketType::kFuA;
    if (payload.size() < kFuAHeaderSize) return std::nullopt;
    const uint8_t fuHeader = payload[1];
    const bool start = (fuHeader & kFuStartBit) != 0;
    const bool end = (fuHeader & kFuEndBit) != 0;
    // "A fragmented NAL unit MUST NOT be transmitted in one FU; that is, the Start bit and End
    // bit MUST NOT both be set to one in the same FU header."
    if (start && end) return std::nullopt;
    const uint8_t fragmentedType = fuHeader & kNalTypeMask;
    if (!IsH264NalUnitType(fragmentedType)) return std::nullopt;
    info.nalTypes_.set(fragmentedType);
    if (start) {
      // Only the first fragment begins the unit; the SPS is never complete here.
      info.idrSliceStart_ = fragmentedType == kNalTypeIdrSlice;
      info.idrPictureStart_ = info.idrSliceStart_ && FirstBitSet(payload.subspan(kFuAHeaderSize));
      info.spsStart_ = fragmentedType == kNalTypeSps;
      info.ppsStart_ = fragmentedType == kNalTypePps;
    }
    return info;
  }

  // STAP-B, MTAP16, MTAP24, FU-B (interleaved mode only) and the reserved types 0, 30, 31.
  return std::nullopt;
}

}  // namespace myriad::rtp
