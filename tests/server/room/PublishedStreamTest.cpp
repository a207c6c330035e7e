#include <catch2/catch.hpp>

#include "server/room/PublishedStream.h"

namespace myriad::server::room {
namespace {

using Clock = PublishedStream::Clock;
using Result = PublishedStream::KeyFrameRequestResult;
constexpr auto kInterval = std::chrono::milliseconds(300);

Clock::time_point At(int ms) { return Clock::time_point(std::chrono::milliseconds(ms)); }

}  // namespace

TEST_CASE("PublishedStream paces key frame requests: one PLI per interval, the rest coalesced") {
  PublishedStream stream("h", 16, 1200, 90000, 0x1234, 0);
  CHECK(stream.RequestKeyFrame(At(1000), kInterval) == Result::kSendNow);
  // Many subscribers asking within the interval: one trailing request.
  CHECK(stream.RequestKeyFrame(At(1010), kInterval) == Result::kCoalesced);
  CHECK(stream.RequestKeyFrame(At(1200), kInterval) == Result::kCoalesced);
  CHECK_FALSE(stream.TakeDueKeyFrameRequest(At(1299), kInterval));
  CHECK(stream.TakeDueKeyFrameRequest(At(1300), kInterval));
  CHECK_FALSE(stream.TakeDueKeyFrameRequest(At(1700), kInterval));  // taken once
  // The trailing request restarted the interval.
  CHECK(stream.RequestKeyFrame(At(1500), kInterval) == Result::kCoalesced);
  CHECK(stream.TakeDueKeyFrameRequest(At(1600), kInterval));
  CHECK(stream.RequestKeyFrame(At(2000), kInterval) == Result::kSendNow);
}

TEST_CASE("PublishedStream holds a key frame request until its SSRC is known") {
  PublishedStream stream("q", 16, 1200, 90000, 0, 0);
  CHECK(stream.RequestKeyFrame(At(0), kInterval) == Result::kCoalesced);
  CHECK_FALSE(stream.TakeDueKeyFrameRequest(At(1000), kInterval));
  stream.SetMediaSsrc(0xabcd);
  CHECK(stream.TakeDueKeyFrameRequest(At(1001), kInterval));
  CHECK(stream.RequestKeyFrame(At(1100), kInterval) == Result::kCoalesced);
}

TEST_CASE("PublishedStream reports whether a key frame changed its picture size") {
  PublishedStream stream("f", 16, 1200, 90000, 1, 2);
  CHECK(stream.Width() == 0);
  CHECK(stream.Height() == 0);
  CHECK(stream.SetResolution(1280, 720));
  CHECK_FALSE(stream.SetResolution(1280, 720));
  CHECK(stream.SetResolution(640, 360));
  CHECK(stream.Width() == 640);
  CHECK(stream.Height() == 360);
  CHECK(stream.Rid() == "f");
  CHECK(stream.RtxSsrc() == 2);
}

}  // namespace myriad::server::room

namespace myriad::server::room {

TEST_CASE("PublishedStream: a pending request is repairable only if every coalesced one was") {
  PublishedStream stream("h", 16, 1200, 90000, 0x1234, 0);
  CHECK(stream.RequestKeyFrame(At(1000), kInterval, true) == Result::kSendNow);
  CHECK_FALSE(stream.PendingRequestRepairable());
  // Two viewers' losses, both repairable: the trailing request is.
  CHECK(stream.RequestKeyFrame(At(1010), kInterval, true) == Result::kCoalesced);
  CHECK(stream.RequestKeyFrame(At(1020), kInterval, true) == Result::kCoalesced);
  CHECK(stream.PendingRequestRepairable());
  CHECK(stream.TakeDueKeyFrameRequest(At(1300), kInterval));
  CHECK_FALSE(stream.PendingRequestRepairable());
  // One that needs a key frame (a tier switch) makes the whole trailing request a PLI.
  CHECK(stream.RequestKeyFrame(At(1400), kInterval, true) == Result::kCoalesced);
  CHECK(stream.RequestKeyFrame(At(1410), kInterval, false) == Result::kCoalesced);
  CHECK(stream.RequestKeyFrame(At(1420), kInterval, true) == Result::kCoalesced);
  CHECK_FALSE(stream.PendingRequestRepairable());
  CHECK(stream.TakeDueKeyFrameRequest(At(1600), kInterval));
  CHECK(stream.RequestKeyFrame(At(1700), kInterval, true) == Result::kCoalesced);
  stream.MarkKeyFrameRequestPending();
  CHECK_FALSE(stream.PendingRequestRepairable());
}

}  // namespace myriad::server::room
