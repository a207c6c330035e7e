// libFuzzer target for the H.264 RTP payload view and the SPS parser: parse the input as an
// RTP payload (RFC 6184), check what it reports against the bytes, parse any SPS it points at,
// and parse the input directly as an SPS NAL unit payload. Any broken invariant traps.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "rtp/H264PayloadInfo.h"
#include "rtp/H264SequenceParameterSet.h"

using namespace myriad::rtp;

namespace {

void Check(bool condition) {
  if (!condition) __builtin_trap();
}

void CheckSps(std::span<const uint8_t> nalPayload) {
  const auto sps = H264SequenceParameterSet::Parse(nalPayload);
  if (!sps) return;
  Check(sps->Width() >= 1 && sps->Width() <= H264SequenceParameterSet::kMaxDimension);
  Check(sps->Height() >= 1 && sps->Height() <= H264SequenceParameterSet::kMaxDimension);
  Check(sps->SpsId() <= 31);
  Check(sps->ChromaFormatIdc() <= 3);
  Check(nalPayload.size() >= 4);  // three fixed bytes, then at least the Exp-Golomb fields

  // The parser stops at vui_parameters_present_flag, so bytes appended after the SPS change
  // nothing as long as the copy still fits.
  if (nalPayload.size() + 1 <= H264SequenceParameterSet::kMaxRbspSize) {
    std::vector<uint8_t> longer(nalPayload.begin(), nalPayload.end());
    longer.push_back(0xA5);
    const auto again = H264SequenceParameterSet::Parse(longer);
    Check(again.has_value());
    Check(again->Width() == sps->Width() && again->Height() == sps->Height());
    Check(again->ProfileIdc() == sps->ProfileIdc() && again->LevelIdc() == sps->LevelIdc());
    Check(again->SpsId() == sps->SpsId());
  }
}

void CheckPayloadInfo(std::span<const uint8_t> payload) {
  const auto info = H264PayloadInfo::Parse(payload);
  if (!info) return;
  Check(!payload.empty() && (payload[0] & 0x80) == 0);
  const uint8_t outerType = payload[0] & 0x1F;
  switch (info->Type()) {
    case H264PayloadInfo::PacketType::kSingleNalUnit:
      Check(outerType >= 1 && outerType <= 23);
      Check(info->NalTypes().count() == 1 && info->ContainsNalType(outerType));
      break;
    case H264PayloadInfo::PacketType::kStapA:
      Check(outerType == H264PayloadInfo::kNalTypeStapA && payload.size() >= 4);
      break;
    case H264PayloadInfo::PacketType::kFuA:
      Check(outerType == H264PayloadInfo::kNalTypeFuA && payload.size() >= 2);
      Check(info->NalTypes().count() == 1 && info->ContainsNalType(payload[1] & 0x1F));
      Check((payload[1] & 0xC0) != 0xC0);  // never both S and E
      break;
  }
  // Only H.264 NAL unit types (1..23) are ever reported.
  Check(!info->ContainsNalType(0));
  for (uint8_t type = 24; type < 32; ++type) Check(!info->ContainsNalType(type));

  Check(!info->HasIdrPictureStart() || info->HasIdrSliceStart());
  Check(!info->HasIdrSliceStart() || info->ContainsNalType(H264PayloadInfo::kNalTypeIdrSlice));
  Check(!info->HasSps() || info->ContainsNalType(H264PayloadInfo::kNalTypeSps));
  Check(!info->HasPps() || info->ContainsNalType(H264PayloadInfo::kNalTypePps));
  Check(info->IsKeyFrameStart() ==
        (info->HasSps() || info->HasPps() || info->HasIdrPictureStart()));

  const std::span<const uint8_t> sps = info->Sps();
  if (!sps.empty()) {
    Check(info->HasSps() && info->Type() != H264PayloadInfo::PacketType::kFuA);
    // Inside the payload, right after an SPS NAL unit header.
    Check(sps.data() > payload.data() &&
          sps.data() + sps.size() <= payload.data() + payload.size());
    Check((sps.data()[-1] & 0x1F) == H264PayloadInfo::kNalTypeSps);
    CheckSps(sps);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Own the bytes in an exactly-sized allocation so ASan catches any read past the end.
  const std::vector<uint8_t> buffer(data, data + size);
  CheckPayloadInfo(buffer);
  CheckSps(buffer);
  return 0;
}
