#include "rtp/Sdes.h"

#include <cstring>

#include "rtp/BigEndian.h"

namespace myriad::rtp {

size_t Sdes::ChunkSizeAt(std::span<const uint8_t> data) {
  if (data.size() < 4) return 0;
  size_t pos = 4;
  while (true) {
    if (pos >= data.size()) return 0;
    if (data[pos] == kEnd) break;
    if (pos + 2 > data.size() || pos + 2 + data[pos + 1] > data.size()) return 0;
    pos += 2 + data[pos + 1];
  }
  // The null octet plus padding to the next 32-bit boundary (chunks start aligned).
  const size_t end = (pos + 1 + 3) / 4 * 4;
  return end <= data.size() ? end : 0;
}

std::optional<Sdes> Sdes::Parse(std::span<uint8_t> buffer) {
  std::optional<RtcpHeader> header =
      RtcpHeader::ParseTyped(buffer, RtcpHeader::kSourceDescription, std::nullopt);
  if (!header) return std::nullopt;
  std::span<const uint8_t> rest = header->Body();
  for (size_t i = 0; i < header->CountOrFormat(); ++i) {
    const size_t size = ChunkSizeAt(rest);
    if (size == 0) return std::nullopt;
    rest = rest.subspan(size);
  }
  return Sdes(*header);
}

size_t Sdes::ChunkSerializedSize(const ChunkFields& chunk) {
  size_t items = 0;
  for (const ItemFields& item : chunk.items) {
    if (item.type == kEnd || item.value.size() > 255) return 0;
    items += 2 + item.value.size();
  }
  return 4 + (items + 1 + 3) / 4 * 4;  // SSRC, items, >= 1 null octet, aligned
}

size_t Sdes::SerializedSize(const Fields& fields) {
  if (fields.chunks.size() > RtcpHeader::kMaxCount) return 0;
  size_t size = RtcpHeader::kSize;
  for (const ChunkFields& chunk : fields.chunks) {
    const size_t chunkSize = ChunkSerializedSize(chunk);
    if (chunkSize == 0) return 0;
    size += chunkSize;
  }
  return size;
}

size_t Sdes::Serialize(const Fields& fields, std::span<uint8_t> out) {
  const size_t size = SerializedSize(fields);
  if (size == 0 || out.size() < size) return 0;
  if (RtcpHeader::Write(out, static_cast<uint8_t>(fields.chunks.size()),
                        RtcpHeader::kSourceDescription, size) == 0) {
    return 0;
  }
  uint8_t* p = out.data();
  size_t pos = RtcpHeader::kSize;
  for (const ChunkFields& chunk : fields.chunks) {
    const size_t chunkEnd = pos + ChunkSerializedSize(chunk);
    WriteBigEndian32(p + pos, chunk.ssrc);
    pos += 4;
    for (const ItemFields& item : chunk.items) {
      p[pos] = item.type;
      p[pos + 1] = static_cast<uint8_t>(item.value.size());
      if (!item.value.empty()) std::memcpy(p + pos + 2, item.value.data(), item.value.size());
      pos += 2 + item.value.size();
    }
    std::memset(p + pos, 0, chunkEnd - pos);  // end-of-list null octet(s)
    pos = chunkEnd;
  }
  return size;
}

uint32_t Sdes::Chunk::Ssrc() const { return ReadBigEndian32(data_.data()); }

void Sdes::Chunk::SetSsrc(uint32_t ssrc) { WriteBigEndian32(data_.data(), ssrc); }

std::optional<std::span<uint8_t>> Sdes::Chunk::FindItem(uint8_t type) const {
  std::optional<std::span<uint8_t>> found;
  ForEachItem([&](uint8_t itemType, std::span<uint8_t> value) {
    if (!found && itemType == type) found = value;
  });
  return found;
}

std::string_view Sdes::Chunk::Cname() const {
  const std::optional<std::span<uint8_t>> value = FindItem(kCname);
  if (!value) return {};
  return {reinterpret_cast<const char*>(value->data()), value->size()};
}

Sdes::Chunk Sdes::ChunkIterator::operator*() const {
  return Chunk(rest_.first(ChunkSizeAt(rest_)));
}

Sdes::ChunkIterator& Sdes::ChunkIterator::operator++() {
  rest_ = rest_.subspan(ChunkSizeAt(rest_));
  --remaining_;
  return *this;
}

}  // namespace myriad::rtp
