#include "rtp/TransportCcFeedbackBuilder.h"

#include <algorithm>

#include "rtp/BigEndian.h"
#include "rtp/RtcpFeedbackHeader.h"
#include "rtp/SequenceNumber.h"
#include "rtp/TransportCcFeedback.h"

namespace myriad::rtp {

namespace {

constexpr size_t kMaxRunLength = 0x1FFF;  // 13 bits, 3.1.3
constexpr size_t kOneBitVectorSymbols = 14;
constexpr size_t kTwoBitVectorSymbols = 7;
constexpr int64_t kTicksPerReferenceUnit =
    TransportCcFeedback::kReferenceTimeTickUs / TransportCcFeedback::kDeltaTickUs;  // 256

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

bool FitsDelta(int64_t ticks) { return ticks >= INT16_MIN && ticks <= INT16_MAX; }

uint8_t SymbolForDelta(int64_t ticks) {
  return (ticks >= 0 && ticks <= 0xFF) ? TransportCcFeedback::kReceivedSmallDelta
                                       : TransportCcFeedback::kReceivedLargeDelta;
}

}  // namespace

TransportCcFeedbackBuilder::TransportCcFeedbackBuilder(uint32_t senderSsrc, uint32_t mediaSsrc,
                                                       size_t maxPacketSize)
    : senderSsrc_(senderSsrc), mediaSsrc_(mediaSsrc), maxPacketSize_(maxPacketSize) {}

std::optional<size_t> TransportCcFeedbackBuilder::PreviousReceived(size_t index) const {
  for (size_t i = index; i-- > 0;) {
    if (received_[i]) return i;
  }
  return std::nullopt;
}

std::optional<size_t> TransportCcFeedbackBuilder::FirstReceivedFrom(size_t begin) const {
  for (size_t i = begin; i < statusCount_; ++i) {
    if (received_[i]) return i;
  }
  return std::nullopt;
}

size_t TransportCcFeedbackBuilder::SizeBound(size_t statusCount, size_t receivedCount) const {
  // Worst case: two-bit vectors throughout and 2-byte deltas for every received packet.
  const size_t chunks = (statusCount + kTwoBitVectorSymbols - 1) / kTwoBitVectorSymbols;
  const size_t size = RtcpFeedbackHeader::kSize + TransportCcFeedback::kFixedFciSize + 2 * chunks +
                      2 * receivedCount;
  return (size + 3) / 4 * 4;
}

TransportCcFeedbackBuilder::AddResult TransportCcFeedbackBuilder::AddReceivedPacket(
    uint16_t transportSequenceNumber, int64_t arrivalTimeUs) {
  const uint16_t seq = transportSequenceNumber;
  const int64_t ticks = FloorDiv(arrivalTimeUs, TransportCcFeedback::kDeltaTickUs);
  if (nextBase_ && IsSeqNewer(*nextBase_, seq)) return AddResult::kTooOld;

  if (receivedCount_ == 0) {
    // Start right after the previous feedback when close enough, so the gap is reported lost.
    const bool continues = nextBase_ && static_cast<uint16_t>(seq - *nextBase_) < kMaxStatusCount;
    base_ = continues ? *nextBase_ : seq;
    referenceTime_ = FloorDiv(ticks, kTicksPerReferenceUnit);
    const size_t index = static_cast<uint16_t>(seq - base_);
    received_.reset();
    received_.set(index);
    arrivalTicks_[index] = ticks;
    statusCount_ = index + 1;
    receivedCount_ = 1;
    return AddResult::kAdded;
  }

  if (IsSeqNewer(base_, seq)) {
    // Older than the base (only possible when nothing is reported before it): move the base
    // back if the window allows. Delta checks below then see the shifted layout.
    const size_t shift = static_cast<uint16_t>(base_ - seq);
    if (statusCount_ + shift > kMaxStatusCount) return AddResult::kFeedbackFull;
    const int64_t referenceTicks = referenceTime_ * kTicksPerReferenceUnit;
    const size_t first = *FirstReceivedFrom(0);  // exists: the builder is not empty
    if (!FitsDelta(ticks - referenceTicks) || !FitsDelta(arrivalTicks_[first] - ticks)) {
      return AddResult::kFeedbackFull;
    }
    if (SizeBound(statusCount_ + shift, receivedCount_ + 1) > maxPacketSize_) {
      return AddResult::kFeedbackFull;
    }
    std::copy_backward(arrivalTicks_.begin(), arrivalTicks_.begin() + statusCount_,
                       arrivalTicks_.begin() + statusCount_ + shift);
    received_ <<= shift;
    base_ = seq;
    statusCount_ += shift;
  }

  const size_t index = static_cast<uint16_t>(seq - base_);
  if (index >= kMaxStatusCount) return AddResult::kFeedbackFull;
  if (index < statusCount_ && received_[index]) return AddResult::kAdded;  // duplicate

  const std::optional<size_t> previous = PreviousReceived(index);
  const int64_t previousTicks =
      previous ? arrivalTicks_[*previous] : referenceTime_ * kTicksPerReferenceUnit;
  if (!FitsDelta(ticks - previousTicks)) return AddResult::kFeedbackFull;
  const std::optional<size_t> next = FirstReceivedFrom(index + 1);
  if (next && !FitsDelta(arrivalTicks_[*next] - ticks)) return AddResult::kFeedbackFull;
  const size_t newStatusCount = std::max(statusCount_, index + 1);
  if (SizeBound(newStatusCount, receivedCount_ + 1) > maxPacketSize_) {
    return AddResult::kFeedbackFull;
  }

  received_.set(index);
  arrivalTicks_[index] = ticks;
  statusCount_ = newStatusCount;
  ++receivedCount_;
  return AddResult::kAdded;
}

void TransportCcFeedbackBuilder::ComputeSymbols(std::span<uint8_t> symbols) const {
  int64_t previousTicks = referenceTime_ * kTicksPerReferenceUnit;
  for (size_t i = 0; i < statusCount_; ++i) {
    if (!received_[i]) {
      symbols[i] = TransportCcFeedback::kNotReceived;
      continue;
    }
    symbols[i] = SymbolForDelta(arrivalTicks_[i] - previousTicks);
    previousTicks = arrivalTicks_[i];
  }
}

template <typename Emit>
size_t TransportCcFeedbackBuilder::EncodeChunks(std::span<const uint8_t> symbols,
                                                Emit&& emit) const {
  // Greedy: at each position take whichever chunk kind describes the most symbols, preferring
  // a run-length chunk on ties (it is the only kind that can cover long loss bursts).
  size_t count = 0;
  size_t i = 0;
  while (i < symbols.size()) {
    const size_t remaining = symbols.size() - i;
    size_t run = 1;
    while (run < remaining && run < kMaxRunLength && symbols[i + run] == symbols[i]) ++run;
    const size_t oneBitCover = std::min(kOneBitVectorSymbols, remaining);
    const bool oneBitFits = std::all_of(symbols.begin() + i, symbols.begin() + i + oneBitCover,
                                        [](uint8_t s) { return s <= 1; });
    const size_t twoBitCover = std::min(kTwoBitVectorSymbols, remaining);

    uint16_t word;
    size_t covered;
    if (run >= twoBitCover && (!oneBitFits || run >= oneBitCover)) {
      word = static_cast<uint16_t>((symbols[i] << 13) | run);  // run length chunk, 3.1.3
      covered = run;
    } else if (oneBitFits) {
      word = 0x8000;  // status vector chunk, S=0: 14 one-bit symbols, 3.1.4
      for (size_t k = 0; k < oneBitCover; ++k) word |= symbols[i + k] << (13 - k);
      covered = oneBitCover;
    } else {
      word = 0xC000;  // status vector chunk, S=1: 7 two-bit symbols
      for (size_t k = 0; k < twoBitCover; ++k) word |= symbols[i + k] << (12 - 2 * k);
      covered = twoBitCover;
    }
    emit(word);
    ++count;
    i += covered;
  }
  return count;
}

size_t TransportCcFeedbackBuilder::SerializedSize() const {
  if (Empty()) return 0;
  std::array<uint8_t, kMaxStatusCount> symbols;
  const std::span<uint8_t> used(symbols.data(), statusCount_);
  ComputeSymbols(used);
  size_t deltaBytes = 0;
  for (uint8_t s : used) deltaBytes += s;  // symbol value == delta size in bytes
  const size_t chunks = EncodeChunks(used, [](uint16_t) {});
  const size_t size =
      RtcpFeedbackHeader::kSize + TransportCcFeedback::kFixedFciSize + 2 * chunks + deltaBytes;
  return (size + 3) / 4 * 4;
}

size_t TransportCcFeedbackBuilder::Serialize(std::span<uint8_t> out) const {
  const size_t size = SerializedSize();
  if (size == 0 || out.size() < size) return 0;
  if (RtcpFeedbackHeader::Write(out, RtcpHeader::kTransportFeedback, RtcpHeader::kFmtTransportCc,
                                size, senderSsrc_, mediaSsrc_) == 0)
    return 0;

  uint8_t* fci = out.data() + RtcpFeedbackHeader::kSize;
  WriteBigEndian16(fci, base_);
  WriteBigEndian16(fci + 2, static_cast<uint16_t>(statusCount_));
  WriteBigEndian24(fci + 4, static_cast<uint32_t>(referenceTime_) & 0xFFFFFF);
  fci[7] = feedbackPacketCount_;

  std::array<uint8_t, kMaxStatusCount> symbols;
  const std::span<uint8_t> used(symbols.data(), statusCount_);
  ComputeSymbols(used);
  uint8_t* p = fci + TransportCcFeedback::kFixedFciSize;
  EncodeChunks(used, [&p](uint16_t word) {
    WriteBigEndian16(p, word);
    p += 2;
  });
  int64_t previousTicks = referenceTime_ * kTicksPerReferenceUnit;
  for (size_t i = 0; i < statusCount_; ++i) {
    if (!received_[i]) continue;
    const int64_t delta = arrivalTicks_[i] - previousTicks;
    previousTicks = arrivalTicks_[i];
    if (used[i] == TransportCcFeedback::kReceivedSmallDelta) {
      *p++ = static_cast<uint8_t>(delta);
    } else {
      WriteBigEndian16(p, static_cast<uint16_t>(static_cast<int16_t>(delta)));
      p += 2;
    }
  }
  // Zero padding to the 32-bit boundary (3.1); the RTCP P bit is not used for it.
  while (p < out.data() + size) *p++ = 0;
  return size;
}

void TransportCcFeedbackBuilder::StartNextFeedback() {
  if (!Empty()) nextBase_ = static_cast<uint16_t>(base_ + statusCount_);
  ++feedbackPacketCount_;
  received_.reset();
  statusCount_ = 0;
  receivedCount_ = 0;
}

}  // namespace myriad::rtp
