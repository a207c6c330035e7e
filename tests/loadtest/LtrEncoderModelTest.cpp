// The encoder model behind the LTR video sender: which frames are key,
// delta, recovery and long-term reference frames, driven by the server's
// feedback (docs/protocol.md "Long-term references").

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "loadtest/client/LtrEncoderModel.h"

namespace myriad::loadtest {
namespace {

using FrameType = LtrEncoderModel::FrameType;
using Frame = LtrEncoderModel::Frame;

// One step of a script: feedback to deliver, then the frame expected next.
struct Step {
  enum class Event { kNone, kKeyFrameRequest, kAcknowledged, kRecoverFrom };
  Event event = Event::kNone;
  uint16_t frameId = 0;  // of the RPSI
  Frame expected;
};

std::vector<Frame> Run(LtrEncoderModel& model, size_t frames) {
  std::vector<Frame> out;
  for (size_t i = 0; i < frames; ++i) out.push_back(model.NextFrame());
  return out;
}

}  // namespace

TEST_CASE("LtrEncoderModel starts with a key frame and marks every Nth frame", "[loadtest][ltr]") {
  LtrEncoderModel model({.longTermReferences = true, .ltrIntervalFrames = 3, .firstFrameId = 100});
  const auto frames = Run(model, 8);
  const std::vector<Frame> expected = {
      {100, FrameType::kKey, true, 100},    {101, FrameType::kDelta, false, 100},
      {102, FrameType::kDelta, false, 101}, {103, FrameType::kDelta, true, 102},
      {104, FrameType::kDelta, false, 103}, {105, FrameType::kDelta, false, 104},
      {106, FrameType::kDelta, true, 105},  {107, FrameType::kDelta, false, 106}};
  CHECK(frames == expected);
  CHECK(model.HeldReferences() == std::vector<uint16_t>{100, 103, 106});
  CHECK(model.GetCounters().longTermReferences == 3);
}

TEST_CASE("LtrEncoderModel answers feedback frame by frame", "[loadtest][ltr]") {
  using E = Step::Event;
  struct Script {
    const char* what;
    std::vector<Step> steps;
  };
  // Interval 2 from frame 0: references are 0 (key), 2, 4, 6, ...
  const auto script =
      GENERATE(Script{"recover from a held reference: a recovery frame, then deltas from it",
                      {{E::kNone, 0, {0, FrameType::kKey, true, 0}},
                       {E::kNone, 0, {1, FrameType::kDelta, false, 0}},
                       {E::kNone, 0, {2, FrameType::kDelta, true, 1}},
                       {E::kRecoverFrom, 0, {3, FrameType::kRecovery, false, 0}},
                       {E::kNone, 0, {4, FrameType::kDelta, true, 3}},
                       {E::kNone, 0, {5, FrameType::kDelta, false, 4}}}},
               Script{"a key frame request: a key frame, also with a recovery pending",
                      {{E::kNone, 0, {0, FrameType::kKey, true, 0}},
                       {E::kKeyFrameRequest, 0, {1, FrameType::kKey, true, 1}},
                       {E::kRecoverFrom, 1, {2, FrameType::kRecovery, false, 1}},
                       {E::kRecoverFrom, 1, {3, FrameType::kRecovery, true, 1}},
                       {E::kKeyFrameRequest, 0, {4, FrameType::kKey, true, 4}}}},
               Script{"recover from a reference dropped by a key frame: a key frame",
                      {{E::kNone, 0, {0, FrameType::kKey, true, 0}},
                       {E::kKeyFrameRequest, 0, {1, FrameType::kKey, true, 1}},
                       {E::kRecoverFrom, 0, {2, FrameType::kKey, true, 2}}}},
               Script{"recover from an unacknowledged reference still held: recovery",
                      {{E::kNone, 0, {0, FrameType::kKey, true, 0}},
                       {E::kNone, 0, {1, FrameType::kDelta, false, 0}},
                       {E::kNone, 0, {2, FrameType::kDelta, true, 1}},
                       {E::kAcknowledged, 0, {3, FrameType::kDelta, false, 2}},
                       {E::kRecoverFrom, 2, {4, FrameType::kRecovery, true, 2}}}},
               Script{"older references than the newest two acknowledged ones are dropped",
                      {{E::kNone, 0, {0, FrameType::kKey, true, 0}},
                       {E::kNone, 0, {1, FrameType::kDelta, false, 0}},
                       {E::kNone, 0, {2, FrameType::kDelta, true, 1}},
                       {E::kNone, 0, {3, FrameType::kDelta, false, 2}},
                       {E::kNone, 0, {4, FrameType::kDelta, true, 3}},
                       {E::kAcknowledged, 0, {5, FrameType::kDelta, false, 4}},
                       {E::kAcknowledged, 2, {6, FrameType::kDelta, true, 5}},
                       {E::kAcknowledged, 4, {7, FrameType::kDelta, false, 6}},
                       // 0 is older than the newest acknowledgement and no longer
                       // among the last two: gone, a key frame.
                       {E::kRecoverFrom, 0, {8, FrameType::kKey, true, 8}}}},
               Script{"the last two distinct acknowledgements stay held, a repeat changes nothing",
                      {{E::kNone, 0, {0, FrameType::kKey, true, 0}},
                       {E::kNone, 0, {1, FrameType::kDelta, false, 0}},
                       {E::kNone, 0, {2, FrameType::kDelta, true, 1}},
                       {E::kNone, 0, {3, FrameType::kDelta, false, 2}},
                       {E::kNone, 0, {4, FrameType::kDelta, true, 3}},
                       {E::kAcknowledged, 2, {5, FrameType::kDelta, false, 4}},
                       {E::kAcknowledged, 4, {6, FrameType::kDelta, true, 5}},
                       {E::kAcknowledged, 4, {7, FrameType::kDelta, false, 6}},
                       {E::kRecoverFrom, 2, {8, FrameType::kRecovery, true, 2}}}});
  INFO(script.what);
  LtrEncoderModel model({.longTermReferences = true, .ltrIntervalFrames = 2});
  for (const Step& step : script.steps) {
    switch (step.event) {
      case E::kNone:
        break;
      case E::kKeyFrameRequest:
        model.OnKeyFrameRequest();
        break;
      case E::kAcknowledged:
        model.OnAcknowledged(step.frameId);
        break;
      case E::kRecoverFrom:
        model.OnRecoverFrom(step.frameId);
        break;
    }
    CHECK(model.NextFrame() == step.expected);
  }
}

TEST_CASE("LtrEncoderModel keeps the two acknowledged references when others pile up",
          "[loadtest][ltr]") {
  LtrEncoderModel model(
      {.longTermReferences = true, .ltrIntervalFrames = 1, .maxHeldReferences = 4});
  Run(model, 3);  // references 0, 1, 2
  model.OnAcknowledged(0);
  model.OnAcknowledged(1);
  CHECK(model.Acknowledged() == std::vector<uint16_t>{1, 0});
  Run(model, 10);  // 3..12: unacknowledged ones crowd in, the oldest go
  CHECK(model.HeldReferences() == std::vector<uint16_t>{0, 1, 11, 12});
  CHECK(model.Holds(0));
  CHECK_FALSE(model.Holds(2));
}

TEST_CASE("LtrEncoderModel ignores acknowledgements of frames it does not hold",
          "[loadtest][ltr]") {
  LtrEncoderModel model({.longTermReferences = true, .ltrIntervalFrames = 5});
  Run(model, 3);
  model.OnAcknowledged(1);  // not a reference
  model.OnAcknowledged(9);  // not sent yet
  CHECK(model.Acknowledged().empty());
  CHECK(model.GetCounters().acknowledgements == 0);
  model.OnAcknowledged(0);
  CHECK(model.Acknowledged() == std::vector<uint16_t>{0});
}

TEST_CASE("LtrEncoderModel wraps frame ids", "[loadtest][ltr]") {
  LtrEncoderModel model(
      {.longTermReferences = true, .ltrIntervalFrames = 2, .firstFrameId = 0xFFFE});
  const auto frames = Run(model, 4);
  CHECK(frames[0] == Frame{0xFFFE, FrameType::kKey, true, 0xFFFE});
  CHECK(frames[2] == Frame{0, FrameType::kDelta, true, 0xFFFF});
  CHECK(frames[3] == Frame{1, FrameType::kDelta, false, 0});
  model.OnAcknowledged(0xFFFE);
  model.OnAcknowledged(0);  // newer than 0xFFFE in serial order
  CHECK(model.Acknowledged() == std::vector<uint16_t>{0, 0xFFFE});
  CHECK(model.Holds(0xFFFE));
  model.OnRecoverFrom(0xFFFE);
  CHECK(model.NextFrame() == Frame{2, FrameType::kRecovery, true, 0xFFFE});
}

TEST_CASE("LtrEncoderModel without long-term references is the PLI-only baseline",
          "[loadtest][ltr]") {
  LtrEncoderModel model({.longTermReferences = false, .ltrIntervalFrames = 1});
  const auto frames = Run(model, 3);
  for (const auto& frame : frames) CHECK_FALSE(frame.longTermReference);
  CHECK(model.HeldReferences().empty());
  model.OnRecoverFrom(frames[0].frameId);
  CHECK(model.NextFrame().type == FrameType::kKey);
  CHECK(model.GetCounters().recoverFromUnheld == 1);
  model.OnKeyFrameRequest();
  CHECK(model.NextFrame().type == FrameType::kKey);
  CHECK(model.NextFrame().type == FrameType::kDelta);
  CHECK(model.GetCounters().keyFrames == 3);
  CHECK(model.GetCounters().keyFrameRequests == 1);
}

}  // namespace myriad::loadtest
