#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "rtp/Vp8PayloadDescriptor.h"
#include "simulcast/Vp8PictureIdRewriter.h"

using myriad::rtp::Vp8PayloadDescriptor;
using myriad::simulcast::Vp8PictureIdRewriter;

namespace {

constexpr uint32_t kSourceA = 0xA;
constexpr uint32_t kSourceB = 0xB;
constexpr uint32_t kSourceC = 0xC;

struct Packet {
  uint32_t source = 0;
  uint16_t pictureId = 0;
  uint8_t tl0PicIdx = 0;
  bool pictureIdIs15Bit = true;
  bool hasPictureId = true;
  bool hasTl0PicIdx = true;
};

struct Sent {
  uint16_t pictureId = 0;
  uint8_t tl0PicIdx = 0;
  friend bool operator==(const Sent&, const Sent&) = default;
};

std::ostream& operator<<(std::ostream& os, const Sent& sent) {
  return os << "{pictureId " << sent.pictureId << ", tl0 " << int{sent.tl0PicIdx} << "}";
}

// Builds the packet's payload (descriptor + one VP8 byte), runs it through the rewriter and
// returns what went out, or nullopt when refused. Checks the invariants every call must keep:
// a refused packet is untouched, and a rewritten one keeps its size, field widths and every
// other field.
std::optional<Sent> Forward(Vp8PictureIdRewriter& rewriter, const Packet& packet) {
  Vp8PayloadDescriptor::Fields fields;
  fields.startOfPartition = true;
  fields.hasPictureId = packet.hasPictureId;
  fields.pictureIdIs15Bit = packet.hasPictureId && packet.pictureIdIs15Bit;
  fields.pictureId = packet.hasPictureId ? packet.pictureId : 0;
  fields.hasTl0PicIdx = packet.hasTl0PicIdx;
  fields.tl0PicIdx = packet.hasTl0PicIdx ? packet.tl0PicIdx : 0;
  fields.hasTid = true;
  fields.layerSync = true;
  std::vector<uint8_t> bytes(Vp8PayloadDescriptor::kMaxSize + 1);
  const size_t size = Vp8PayloadDescriptor::Serialize(fields, bytes);
  REQUIRE(size > 0);
  bytes.resize(size + 1);
  bytes[size] = 0x10;
  const std::vector<uint8_t> original = bytes;

  auto descriptor = Vp8PayloadDescriptor::Parse(bytes);
  REQUIRE(descriptor);
  if (!rewriter.Rewrite(*descriptor, packet.source)) {
    CHECK(bytes == original);
    return std::nullopt;
  }
  auto after = Vp8PayloadDescriptor::Parse(bytes);
  REQUIRE(after);
  CHECK(after->DescriptorSize() == size);
  Vp8PayloadDescriptor::Fields changed = after->ToFields();
  changed.pictureId = fields.pictureId;
  changed.tl0PicIdx = fields.tl0PicIdx;
  CHECK(changed == fields);  // widths, presence and the other fields are as they were
  return Sent{after->PictureId(), after->Tl0PicIdx()};
}

Packet Picture(uint32_t source, int pictureId, int tl0PicIdx) {
  Packet packet;
  packet.source = source;
  packet.pictureId = static_cast<uint16_t>(pictureId & 0x7FFF);
  packet.tl0PicIdx = static_cast<uint8_t>(tl0PicIdx & 0xFF);
  return packet;
}

Sent Expected(int pictureId, int tl0PicIdx) {
  return Sent{static_cast<uint16_t>(pictureId & 0x7FFF), static_cast<uint8_t>(tl0PicIdx & 0xFF)};
}

}  // namespace

TEST_CASE("Vp8PictureIdRewriter refuses packets until a source is selected",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  CHECK_FALSE(Forward(rewriter, Picture(kSourceA, 10, 1)));
  rewriter.SwitchSource(kSourceA);
  CHECK_FALSE(Forward(rewriter, Picture(kSourceB, 10, 1)));  // not the selected source
  // The first source keeps its own values.
  CHECK(Forward(rewriter, Picture(kSourceA, 10, 1)) == Expected(10, 1));
  CHECK(Forward(rewriter, Picture(kSourceA, 11, 1)) == Expected(11, 1));
}

TEST_CASE("Vp8PictureIdRewriter continues at the highest output + 1 across switches",
          "[Vp8PictureIdRewriter]") {
  struct Case {
    const char* name;
    int aPicture, aTl0, bPicture, bTl0;
  };
  const Case cases[] = {
      {"no wrap", 100, 7, 20000, 200},
      {"output PictureID and TL0PICIDX wrap during A", 32760, 250, 5, 3},
      {"B's input wraps during its segment", 5, 0, 32765, 254},
      {"both at the top", 32767, 255, 32767, 255},
      {"B equal to A", 1000, 10, 1000, 10},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Vp8PictureIdRewriter rewriter;
    rewriter.SwitchSource(kSourceA);
    // A: ten pictures, one TL0PICIDX each; the last two arrive swapped.
    for (int i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 8}) {
      CHECK(Forward(rewriter, Picture(kSourceA, c.aPicture + i, c.aTl0 + i)) ==
            Expected(c.aPicture + i, c.aTl0 + i));
    }
    // B continues after A's highest (picture 9, not the last to arrive).
    rewriter.SwitchSource(kSourceB);
    for (int i = 0; i < 10; ++i) {
      CHECK(Forward(rewriter, Picture(kSourceB, c.bPicture + i, c.bTl0 + i)) ==
            Expected(c.aPicture + 10 + i, c.aTl0 + 10 + i));
    }
    // Back to A, which has moved on by 20 pictures meanwhile.
    rewriter.SwitchSource(kSourceA);
    for (int i = 0; i < 5; ++i) {
      CHECK(Forward(rewriter, Picture(kSourceA, c.aPicture + 30 + i, c.aTl0 + 30 + i)) ==
            Expected(c.aPicture + 20 + i, c.aTl0 + 20 + i));
    }
  }
}

TEST_CASE("Vp8PictureIdRewriter keeps spacing within a source: loss, reordering, retransmission",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  rewriter.SwitchSource(kSourceA);
  REQUIRE(Forward(rewriter, Picture(kSourceA, 700, 70)) == Expected(700, 70));
  rewriter.SwitchSource(kSourceB);
  // Output base 701/71. Picture 5002 is lost; 5004 and 5005 swap; 5001 and 5003 come twice
  // (a second packet of the picture, a retransmission).
  const std::pair<int, int> pictures[] = {{5000, 40}, {5001, 40}, {5001, 40}, {5003, 41},
                                          {5005, 42}, {5004, 42}, {5003, 41}, {5006, 43}};
  for (const auto& [picture, tl0] : pictures) {
    INFO("picture " << picture);
    CHECK(Forward(rewriter, Picture(kSourceB, picture, tl0)) ==
          Expected(701 + picture - 5000, 71 + tl0 - 40));
  }
  // The lost picture, recovered late, gets the id its position asks for.
  CHECK(Forward(rewriter, Picture(kSourceB, 5002, 41)) == Expected(703, 72));
  // Pictures from before the switch point would collide with A's ids.
  CHECK_FALSE(Forward(rewriter, Picture(kSourceB, 4999, 39)));
}

TEST_CASE("Vp8PictureIdRewriter handles loss and reordering around a switch",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  rewriter.SwitchSource(kSourceA);
  // A's pictures 10..12 (TL0PICIDX 5..7); picture 12's second packet is delayed.
  for (int picture : {10, 10, 11, 11, 12}) {
    REQUIRE(Forward(rewriter, Picture(kSourceA, picture, picture - 5)) ==
            Expected(picture, picture - 5));
  }
  rewriter.SwitchSource(kSourceB);
  // B's key frame is picture 500 (TL0PICIDX 77); its second packet overtakes the first.
  CHECK(Forward(rewriter, Picture(kSourceB, 500, 77)) == Expected(13, 8));
  // A's delayed packet of picture 12 gets what picture 12 already went out with.
  CHECK(Forward(rewriter, Picture(kSourceA, 12, 7)) == Expected(12, 7));
  // A's picture 13 was in flight: it never was part of the output and is refused.
  CHECK_FALSE(Forward(rewriter, Picture(kSourceA, 13, 8)));
  // B's first packet of picture 500 arrives; 501 is lost, 502 comes next.
  CHECK(Forward(rewriter, Picture(kSourceB, 500, 77)) == Expected(13, 8));
  CHECK(Forward(rewriter, Picture(kSourceB, 502, 79)) == Expected(15, 10));
  // Retransmissions from both sides of the switch.
  CHECK(Forward(rewriter, Picture(kSourceB, 501, 78)) == Expected(14, 9));
  CHECK(Forward(rewriter, Picture(kSourceA, 11, 6)) == Expected(11, 6));
  // None of the late packets moved the output: B goes on from 15.
  CHECK(Forward(rewriter, Picture(kSourceB, 503, 80)) == Expected(16, 11));
  // A packet of B from before the switch point, and a stranger.
  CHECK_FALSE(Forward(rewriter, Picture(kSourceB, 499, 76)));
  CHECK_FALSE(Forward(rewriter, Picture(kSourceC, 16, 11)));
}

TEST_CASE("Vp8PictureIdRewriter maps late packets of earlier segments of the same source",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  rewriter.SwitchSource(kSourceA);
  for (int picture = 100; picture < 105; ++picture) {
    Forward(rewriter, Picture(kSourceA, picture, picture));
  }
  rewriter.SwitchSource(kSourceB);
  CHECK(Forward(rewriter, Picture(kSourceB, 9000, 0)) == Expected(105, 105));
  rewriter.SwitchSource(kSourceA);
  // A's first packet after the switch back is a late one of its first segment: mapped as
  // before, and it does not start the new segment.
  CHECK(Forward(rewriter, Picture(kSourceA, 103, 103)) == Expected(103, 103));
  CHECK(Forward(rewriter, Picture(kSourceA, 200, 200)) == Expected(106, 106));
  CHECK(Forward(rewriter, Picture(kSourceA, 104, 104)) == Expected(104, 104));
  // Between A's two segments nothing of A went out.
  CHECK_FALSE(Forward(rewriter, Picture(kSourceA, 150, 150)));
  CHECK(Forward(rewriter, Picture(kSourceA, 201, 201)) == Expected(107, 107));

  // Segments are remembered for kSegmentHistory switches.
  uint32_t source = kSourceB;
  int output = 108;
  // A's first segment is the oldest of kSegmentHistory after these five.
  for (size_t i = 0; i + 3 < Vp8PictureIdRewriter::kSegmentHistory; ++i) {
    rewriter.SwitchSource(source);
    CHECK(Forward(rewriter, Picture(source, 20000 + static_cast<int>(i), 0)) ==
          Expected(output, output));
    ++output;
    source = source == kSourceB ? kSourceC : kSourceB;
  }
  CHECK(Forward(rewriter, Picture(kSourceA, 102, 102)) == Expected(102, 102));
  rewriter.SwitchSource(kSourceC);
  CHECK(Forward(rewriter, Picture(kSourceC, 30000, 0)) == Expected(output, output));
  CHECK_FALSE(Forward(rewriter, Picture(kSourceA, 102, 102)));  // forgotten
  CHECK(Forward(rewriter, Picture(kSourceA, 200, 200)) == Expected(106, 106));
}

TEST_CASE("Vp8PictureIdRewriter writes a 7-bit source's ids as the low bits of the output",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  rewriter.SwitchSource(kSourceA);
  for (int picture = 1000; picture < 1005; ++picture) {
    Forward(rewriter, Picture(kSourceA, picture, 0));
  }
  // B numbers its pictures with 7 bits and wraps from 127 to 0 after 8 pictures. The output
  // counter goes on from 1005; B's packets carry its low 7 bits.
  rewriter.SwitchSource(kSourceB);
  for (int i = 0; i < 16; ++i) {
    Packet packet = Picture(kSourceB, (120 + i) % 128, 0);
    packet.pictureIdIs15Bit = false;
    const auto sent = Forward(rewriter, packet);  // Forward checks the width stayed 7 bits
    REQUIRE(sent);
    CHECK(sent->pictureId == (1005 + i) % 128);
  }
  // A 15-bit source after it continues the 15-bit counter, so a receiver comparing in each
  // packet's width sees +1 at both switches.
  rewriter.SwitchSource(kSourceC);
  const auto sent = Forward(rewriter, Picture(kSourceC, 30000, 0));
  REQUIRE(sent);
  CHECK(sent->pictureId == 1021);
  CHECK(sent->pictureId % 128 == ((1005 + 15) % 128 + 1) % 128);
}

TEST_CASE("Vp8PictureIdRewriter starts a 7-bit first source at its own values",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  rewriter.SwitchSource(kSourceA);
  for (int i = 0; i < 10; ++i) {
    Packet packet = Picture(kSourceA, (125 + i) % 128, 0);
    packet.pictureIdIs15Bit = false;
    CHECK(Forward(rewriter, packet) == Expected((125 + i) % 128, 0));
  }
  // The output counter went past 127 with the source: 125 + 9 = 134 was the last.
  rewriter.SwitchSource(kSourceB);
  CHECK(Forward(rewriter, Picture(kSourceB, 4, 0)) == Expected(135, 1));
}

TEST_CASE("Vp8PictureIdRewriter matches packets without PictureID by TL0PICIDX",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  rewriter.SwitchSource(kSourceA);
  const auto tl0Only = [](uint32_t source, int tl0) {
    Packet packet = Picture(source, 0, tl0);
    packet.hasPictureId = false;
    return packet;
  };
  CHECK(Forward(rewriter, tl0Only(kSourceA, 10)) == Expected(0, 10));
  CHECK(Forward(rewriter, tl0Only(kSourceA, 11)) == Expected(0, 11));
  rewriter.SwitchSource(kSourceB);
  CHECK(Forward(rewriter, tl0Only(kSourceB, 200)) == Expected(0, 12));
  CHECK(Forward(rewriter, tl0Only(kSourceA, 11)) == Expected(0, 11));  // late
  CHECK_FALSE(Forward(rewriter, tl0Only(kSourceA, 12)));               // never forwarded
  CHECK(Forward(rewriter, tl0Only(kSourceB, 201)) == Expected(0, 13));

  // B starts sending PictureIDs mid-segment: they are anchored at the next output value
  // (the first PictureID of the stream: the source's own).
  CHECK(Forward(rewriter, Picture(kSourceB, 3000, 202)) == Expected(3000, 14));
  CHECK(Forward(rewriter, Picture(kSourceB, 3001, 203)) == Expected(3001, 15));

  // Nothing to rewrite: passes whatever the source, and changes nothing.
  Packet bare = Picture(kSourceC, 0, 0);
  bare.hasPictureId = false;
  bare.hasTl0PicIdx = false;
  CHECK(Forward(rewriter, bare) == Expected(0, 0));
  CHECK(Forward(rewriter, Picture(kSourceB, 3002, 204)) == Expected(3002, 16));
}

TEST_CASE("Vp8PictureIdRewriter refuses a late packet whose other field has no mapping",
          "[Vp8PictureIdRewriter]") {
  Vp8PictureIdRewriter rewriter;
  rewriter.SwitchSource(kSourceA);
  Packet noTl0 = Picture(kSourceA, 50, 0);
  noTl0.hasTl0PicIdx = false;
  REQUIRE(Forward(rewriter, noTl0));
  rewriter.SwitchSource(kSourceB);
  REQUIRE(Forward(rewriter, Picture(kSourceB, 9, 9)));
  // A's picture 50 again, now with a TL0PICIDX that A's segment never mapped.
  CHECK_FALSE(Forward(rewriter, Picture(kSourceA, 50, 3)));
  CHECK(Forward(rewriter, noTl0) == Expected(50, 0));
}

TEST_CASE("Vp8PictureIdRewriter stays continuous under random switches, loss and reordering",
          "[Vp8PictureIdRewriter]") {
  // Three simulcast encodings produce one picture per tick each (TID alternating 0/1, so
  // TL0PICIDX moves every second picture). The subscriber's selected encoding changes every
  // 5-40 ticks; its packets arrive with jitter (reordered across pictures), some are lost,
  // some retransmitted much later, and now and then a packet of an encoding that is not
  // selected slips in. SwitchSource is called right before the first packet of a new segment
  // arrives, as a caller that switches on the key frame's arrival would.
  constexpr int kTicks = 3000;
  constexpr uint32_t kSources = 3;
  std::mt19937 rng(7741);
  std::uniform_int_distribution<int> anyPicture(0, 0x7FFF), anyTl0(0, 255);
  std::uniform_int_distribution<int> segmentLength(5, 40), packetsPerPicture(1, 3);
  std::uniform_int_distribution<int> jitter(0, 25), retransmitDelay(30, 80);
  std::bernoulli_distribution lose(0.05), retransmit(0.1), stray(0.05);

  std::array<int, kSources> pictureStart{}, tl0Start{};
  for (uint32_t s = 0; s < kSources; ++s) {
    pictureStart[s] = anyPicture(rng);
    tl0Start[s] = anyTl0(rng);
  }
  pictureStart[1] = 0x7FFF - 50;  // wraps early
  const auto pictureAt = [&](uint32_t source, int tick) {
    return (pictureStart[source] + tick) & 0x7FFF;
  };
  const auto tl0At = [&](uint32_t source, int tick) {
    return (tl0Start[source] + tick / 2) & 0xFF;
  };

  struct Segment {
    uint32_t source = 0;
    int firstTick = 0;
  };
  std::vector<Segment> segments;
  std::vector<int> segmentOfTick(kTicks);
  for (int tick = 0; tick < kTicks;) {
    uint32_t source = static_cast<uint32_t>(rng() % kSources);
    while (!segments.empty() && source == segments.back().source) {
      source = static_cast<uint32_t>(rng() % kSources);
    }
    segments.push_back({source, tick});
    const int end = std::min(kTicks, tick + segmentLength(rng));
    for (; tick < end; ++tick) segmentOfTick[tick] = static_cast<int>(segments.size() - 1);
  }

  struct Delivery {
    int arrival = 0;
    uint32_t source = 0;
    int tick = 0;
    int segment = -1;  // -1: a packet of an encoding that is not selected
  };
  std::vector<Delivery> deliveries;
  std::vector<int> strayTicks;
  for (int tick = 0; tick < kTicks; ++tick) {
    const int segment = segmentOfTick[tick];
    const uint32_t source = segments[segment].source;
    for (int p = 0, n = packetsPerPicture(rng); p < n; ++p) {
      const int sent = tick * 10 + p;
      if (!lose(rng)) deliveries.push_back({sent + jitter(rng), source, tick, segment});
      if (retransmit(rng))
        deliveries.push_back({sent + retransmitDelay(rng), source, tick, segment});
    }
    if (stray(rng)) strayTicks.push_back(tick);
  }
  // A stray is from an encoding selected for no tick near its own: otherwise, with jitter, it
  // could arrive while that encoding is still (or already) the selected one.
  for (int tick : strayTicks) {
    for (uint32_t other = 0; other < kSources; ++other) {
      bool nearSelected = false;
      for (int near = std::max(0, tick - 5); near <= std::min(kTicks - 1, tick + 5); ++near) {
        nearSelected = nearSelected || segments[segmentOfTick[near]].source == other;
      }
      if (!nearSelected) {
        deliveries.push_back({tick * 10 + jitter(rng), other, tick, -1});
        break;
      }
    }
  }
  std::stable_sort(deliveries.begin(), deliveries.end(),
                   [](const Delivery& a, const Delivery& b) { return a.arrival < b.arrival; });

  // The test's model of what must happen, per segment.
  struct Model {
    bool started = false;
    int anchorTick = 0;
    int highestTick = 0;
    int pictureOffset = 0;  // output - input, mod 2^15
    int tl0Offset = 0;      // mod 2^8
  };
  std::vector<Model> model(segments.size());
  int current = -1;
  std::optional<int64_t> highestPictureOut;  // extended
  std::optional<int64_t> highestTl0Out;
  std::map<std::pair<uint32_t, int>, Sent> outputOf;  // (source, tick)
  std::map<uint16_t, std::pair<uint32_t, int>> pictureOwner;
  int lateAccepted = 0, beforeAnchorRefused = 0, strayRefused = 0, lateRefused = 0;

  const auto unwrapNear = [](int value, int64_t reference, int bits) {
    const int64_t space = int64_t{1} << bits;
    int64_t forward = (value - reference) & (space - 1);
    if (forward >= space / 2) forward -= space;
    return reference + forward;
  };

  Vp8PictureIdRewriter rewriter;
  for (const Delivery& d : deliveries) {
    if (d.segment > current) {
      // The first packet of the next segment: the caller switches now.
      REQUIRE(d.segment == current + 1);
      current = d.segment;
      rewriter.SwitchSource(segments[current].source);
    }
    const int picture = pictureAt(d.source, d.tick);
    const int tl0 = tl0At(d.source, d.tick);
    const auto sent = Forward(rewriter, Picture(d.source, picture, tl0));
    INFO("arrival " << d.arrival << " source " << d.source << " tick " << d.tick << " segment "
                    << d.segment << " current " << current);
    if (d.segment < 0) {
      CHECK_FALSE(sent);
      ++strayRefused;
      continue;
    }

    Model& m = model[d.segment];
    bool expectAccepted;
    if (d.segment == current) {
      expectAccepted = !m.started || d.tick >= m.anchorTick;
    } else {
      const bool remembered =
          static_cast<size_t>(current - d.segment) < Vp8PictureIdRewriter::kSegmentHistory;
      expectAccepted = remembered && d.tick >= m.anchorTick && d.tick <= m.highestTick;
    }
    REQUIRE(sent.has_value() == expectAccepted);
    if (!sent) {
      if (d.segment == current) ++beforeAnchorRefused;
      if (d.segment != current) ++lateRefused;
      continue;
    }
    if (d.segment != current) ++lateAccepted;

    const int pictureOffset = (sent->pictureId - picture) & 0x7FFF;
    const int tl0Offset = (sent->tl0PicIdx - tl0) & 0xFF;
    if (!m.started) {
      // The segment's first picture continues the output.
      if (highestPictureOut) {
        CHECK(sent->pictureId == ((*highestPictureOut + 1) & 0x7FFF));
        CHECK(sent->tl0PicIdx == ((*highestTl0Out + 1) & 0xFF));
      } else {
        CHECK(sent->pictureId == picture);
        CHECK(sent->tl0PicIdx == tl0);
      }
      m.started = true;
      m.anchorTick = m.highestTick = d.tick;
      m.pictureOffset = pictureOffset;
      m.tl0Offset = tl0Offset;
    }
    // Spacing within the segment is the input's spacing.
    CHECK(pictureOffset == m.pictureOffset);
    CHECK(tl0Offset == m.tl0Offset);
    if (d.segment == current) m.highestTick = std::max(m.highestTick, d.tick);

    // One picture, one id: the same every time, and no other picture's.
    const auto key = std::make_pair(d.source, d.tick);
    CHECK(outputOf.emplace(key, *sent).first->second == *sent);
    CHECK(pictureOwner.emplace(sent->pictureId, key).first->second == key);

    const int64_t pictureOut =
        unwrapNear(sent->pictureId, highestPictureOut.value_or(sent->pictureId), 15);
    const int64_t tl0Out = unwrapNear(sent->tl0PicIdx, highestTl0Out.value_or(sent->tl0PicIdx), 8);
    highestPictureOut = std::max(highestPictureOut.value_or(pictureOut), pictureOut);
    highestTl0Out = std::max(highestTl0Out.value_or(tl0Out), tl0Out);
  }
  CHECK(current == static_cast<int>(segments.size()) - 1);
  // The run went through every interesting path.
  CHECK(lateAccepted > 10);
  CHECK(lateRefused > 10);
  CHECK(beforeAnchorRefused > 10);
  CHECK(strayRefused > 10);
  CHECK(pictureOwner.size() > 2500);
}
