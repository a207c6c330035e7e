#include "rtp/TransportCcFeedback.h"

#include <algorithm>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

namespace {

struct Chunk {
  size_t capacity;  // symbols the chunk describes
  uint16_t word;
};

Chunk DecodeChunkHeader(uint16_t word) {
  if ((word & 0x8000) == 0) return Chunk{size_t{word} & 0x1FFF, word};  // run length, 3.1.3
  return Chunk{(word & 0x4000) ? size_t{7} : size_t{14}, word};         // status vector, 3.1.4
}

uint8_t SymbolAt(const Chunk& chunk, size_t index) {
  const uint16_t w = chunk.word;
  if ((w & 0x8000) == 0) return static_cast<uint8_t>((w >> 13) & 0x3);
  if ((w & 0x4000) == 0) return static_cast<uint8_t>((w >> (13 - index)) & 0x1);
  return static_cast<uint8_t>((w >> (12 - 2 * index)) & 0x3);
}

}  // namespace

std::optional<TransportCcFeedback> TransportCcFeedback::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpFeedbackHeader> feedback = RtcpFeedbackHeader::Parse(
      buffer, RtcpHeader::kTransportFeedback, RtcpHeader::kFmtTransportCc);
  if (!feedback) return std::nullopt;
  const std::span<uint8_t> fci = feedback->Fci();
  if (fci.size() < kFixedFciSize) return std::nullopt;
  const size_t statusCount = ReadBigEndian16(&fci[2]);
  if (statusCount == 0) return std::nullopt;

  size_t pos = kFixedFciSize;
  size_t covered = 0;
  size_t deltaBytes = 0;
  size_t received = 0;
  while (covered < statusCount) {
    if (pos + 2 > fci.size()) return std::nullopt;
    const Chunk chunk = DecodeChunkHeader(ReadBigEndian16(&fci[pos]));
    pos += 2;
    const size_t used = std::min(chunk.capacity, statusCount - covered);
    if ((chunk.word & 0x8000) == 0) {
      const uint8_t symbol = SymbolAt(chunk, 0);
      if (used > 0 && symbol == 3) return std::nullopt;
      // The symbol value happens to equal its delta size in bytes (0, 1 or 2).
      deltaBytes += used * symbol;
      received += symbol ? used : 0;
    } else {
      for (size_t i = 0; i < used; ++i) {
        const uint8_t symbol = SymbolAt(chunk, i);
        if (symbol == 3) return std::nullopt;
        deltaBytes += symbol;
        received += symbol ? 1 : 0;
      }
    }
    covered += used;
  }
  if (pos + deltaBytes > fci.size()) return std::nullopt;
  return TransportCcFeedback(*feedback, pos, received);
}

uint16_t TransportCcFeedback::BaseSequenceNumber() const {
  return ReadBigEndian16(&feedback_.Fci()[0]);
}

uint16_t TransportCcFeedback::PacketStatusCount() const {
  return ReadBigEndian16(&feedback_.Fci()[2]);
}

int32_t TransportCcFeedback::ReferenceTime() const {
  const uint32_t raw = ReadBigEndian24(&feedback_.Fci()[4]);
  return (raw & 0x800000) ? static_cast<int32_t>(raw) - 0x1000000 : static_cast<int32_t>(raw);
}

uint8_t TransportCcFeedback::FeedbackPacketCount() const { return feedback_.Fci()[7]; }

TransportCcFeedback::PacketIterator::PacketIterator(const TransportCcFeedback& feedback,
                                                    uint32_t statusIndex)
    : fci_(feedback.feedback_.Fci().data()),
      chunkPos_(kFixedFciSize),
      deltaPos_(feedback.deltasOffset_),
      statusIndex_(statusIndex),
      statusCount_(feedback.PacketStatusCount()),
      baseSequenceNumber_(feedback.BaseSequenceNumber()),
      referenceTimeUs_(feedback.ReferenceTimeUs()) {
  if (statusIndex_ < statusCount_) Decode();
}

void TransportCcFeedback::PacketIterator::Decode() {
  // Zero-length runs describe nothing; skip them. Parse guarantees a usable chunk follows.
  Chunk chunk = DecodeChunkHeader(ReadBigEndian16(fci_ + chunkPos_));
  while (chunk.capacity == 0) {
    chunkPos_ += 2;
    chunk = DecodeChunkHeader(ReadBigEndian16(fci_ + chunkPos_));
  }
  const uint8_t symbol = SymbolAt(chunk, indexInChunk_);
  current_ = PacketStatus{};
  current_.sequenceNumber = static_cast<uint16_t>(baseSequenceNumber_ + statusIndex_);
  if (symbol == kReceivedSmallDelta) {
    current_.deltaTicks = fci_[deltaPos_];
    deltaPos_ += 1;
  } else if (symbol == kReceivedLargeDelta) {
    current_.deltaTicks = static_cast<int16_t>(ReadBigEndian16(fci_ + deltaPos_));
    deltaPos_ += 2;
  }
  if (symbol != kNotReceived) {
    current_.received = true;
    arrivalTicks_ += current_.deltaTicks;
    current_.arrivalTimeUs = referenceTimeUs_ + arrivalTicks_ * kDeltaTickUs;
  }
  if (++indexInChunk_ == chunk.capacity) {
    chunkPos_ += 2;
    indexInChunk_ = 0;
  }
}

TransportCcFeedback::PacketIterator& TransportCcFeedback::PacketIterator::operator++() {
  if (++statusIndex_ < statusCount_) Decode();
  return *this;
}

}  // namespace myriad::rtp
