// TransportFeedbackReporter: the load generator's receive side of
// transport-wide congestion control, time passed in.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "congestion/TransportFeedbackPacer.h"
#include "loadtest/client/TransportFeedbackReporter.h"
#include "rtp/TransportCcFeedback.h"

namespace myriad::loadtest {
namespace {

using namespace std::chrono_literals;
using Clock = TransportFeedbackReporter::Clock;

const Clock::time_point kT0 = Clock::time_point{} + 1000s;
constexpr uint32_t kSender = 0x11111111;
constexpr uint32_t kMedia = 0x22222222;

struct Status {
  uint16_t sequence = 0;
  bool received = false;
  int64_t arrivalUs = 0;
};

// What the reporter sent, parsed.
struct Report {
  uint32_t sender = 0;
  uint32_t media = 0;
  uint8_t count = 0;
  std::vector<Status> statuses;
};

class SentReports {
 public:
  TransportFeedbackReporter::SendFunction Sender() {
    return [this](std::span<const uint8_t> rtcp) {
      if (fail) return false;
      std::vector<uint8_t> copy(rtcp.begin(), rtcp.end());
      const auto feedback = rtp::TransportCcFeedback::Parse(copy);
      REQUIRE(feedback.has_value());
      Report report{
          feedback->SenderSsrc(), feedback->MediaSsrc(), feedback->FeedbackPacketCount(), {}};
      for (const auto& status : *feedback) {
        report.statuses.push_back({status.sequenceNumber, status.received, status.arrivalTimeUs});
      }
      reports.push_back(report);
      return true;
    };
  }
  std::vector<Report> reports;
  bool fail = false;
};

}  // namespace

TEST_CASE("TransportFeedbackReporter reports every packet with its arrival, lost ones as lost",
          "[loadtest][feedback]") {
  SentReports sent;
  TransportFeedbackReporter reporter(kSender, sent.Sender());
  CHECK(!reporter.MediaSsrc().has_value());
  CHECK(!reporter.OnTimer(kT0));  // the pacer's first window starts: never due
  // 100..104 without 102, 5 ms apart; one from another SSRC.
  const std::vector<std::pair<uint16_t, Clock::duration>> arrivals = {
      {100, 0ms}, {101, 5ms}, {103, 15ms}, {104, 20ms}};
  for (const auto& [sequence, at] : arrivals) reporter.OnPacket(kMedia, sequence, 1000, kT0 + at);
  reporter.OnPacket(0x33333333, 105, 1000, kT0 + 21ms);
  CHECK(reporter.MediaSsrc() == kMedia);
  CHECK(reporter.GetCounters().packetsRecorded == 5);

  CHECK(!reporter.OnTimer(kT0 + 49ms));
  CHECK(sent.reports.empty());
  CHECK(reporter.OnTimer(kT0 + 50ms));
  REQUIRE(sent.reports.size() == 1);
  const Report& report = sent.reports[0];
  CHECK(report.sender == kSender);
  CHECK(report.media == kMedia);
  REQUIRE(report.statuses.size() == 6);
  const std::vector<bool> received = {true, true, false, true, true, true};
  for (size_t i = 0; i < report.statuses.size(); ++i) {
    INFO("status " << i);
    CHECK(report.statuses[i].sequence == 100 + i);
    CHECK(report.statuses[i].received == received[i]);
  }
  // Arrival times relative to the first, to the 250 us resolution.
  const auto relativeUs = [&](size_t i) {
    return report.statuses[i].arrivalUs - report.statuses[0].arrivalUs;
  };
  CHECK(relativeUs(1) == 5000);
  CHECK(relativeUs(3) == 15000);
  CHECK(relativeUs(4) == 20000);
  CHECK(relativeUs(5) == 21000);
  CHECK(reporter.GetCounters().feedbackSent == 1);
  CHECK(reporter.GetCounters().feedbackBytesSent > 0);

  // Nothing new: nothing sent. The next report starts after the last one;
  // a packet it already covered comes too late.
  CHECK(!reporter.OnTimer(kT0 + 300ms));
  reporter.OnPacket(kMedia, 101, 1000, kT0 + 301ms);
  CHECK(reporter.GetCounters().packetsTooOld == 1);
  reporter.OnPacket(kMedia, 107, 1000, kT0 + 302ms);
  CHECK(reporter.Flush());
  REQUIRE(sent.reports.size() == 2);
  CHECK(sent.reports[1].count == static_cast<uint8_t>(sent.reports[0].count + 1));
  REQUIRE(sent.reports[1].statuses.size() == 2);  // 106 lost, 107
  CHECK(sent.reports[1].statuses[0].sequence == 106);
  CHECK(!sent.reports[1].statuses[0].received);
  CHECK(sent.reports[1].statuses[1].received);
}

TEST_CASE("TransportFeedbackReporter sends at once what a report cannot take with the next packet",
          "[loadtest][feedback]") {
  SentReports sent;
  TransportFeedbackReporter reporter(kSender, sent.Sender());
  // A receive delta is 16 bits of 250 us: 9 s apart cannot share a report.
  reporter.OnPacket(kMedia, 1, 500, kT0);
  reporter.OnPacket(kMedia, 2, 500, kT0 + 9s);
  REQUIRE(sent.reports.size() == 1);
  REQUIRE(sent.reports[0].statuses.size() == 1);
  CHECK(sent.reports[0].statuses[0].sequence == 1);
  CHECK(reporter.Flush());
  REQUIRE(sent.reports.size() == 2);
  CHECK(sent.reports[1].statuses.back().sequence == 2);
  CHECK(reporter.GetCounters().packetsRecorded == 2);

  // A send that fails is counted; its statuses are not reported again.
  sent.fail = true;
  reporter.OnPacket(kMedia, 3, 500, kT0 + 10s);
  CHECK(!reporter.Flush());
  CHECK(reporter.GetCounters().sendFailures == 1);
  sent.fail = false;
  CHECK(!reporter.Flush());
  CHECK(reporter.GetCounters().feedbackSent == 2);
}

TEST_CASE("TransportFeedbackReporter reports as often as the pacer allows for the received rate",
          "[loadtest][feedback]") {
  // Video at 1 Mbit/s: every 50 ms; audio at 40 kbit/s: 5% of the rate
  // allows one 68-byte report every ~270 ms, so every 250 ms.
  struct Case {
    size_t bytesPer10Ms;
    std::chrono::milliseconds interval;
  };
  const std::vector<Case> cases = {
      {1250, std::chrono::milliseconds(congestion::TransportFeedbackPacer::kMinIntervalMs)},
      {50, std::chrono::milliseconds(congestion::TransportFeedbackPacer::kMaxIntervalMs)}};
  for (const Case& c : cases) {
    INFO(c.bytesPer10Ms << " bytes every 10 ms");
    SentReports sent;
    TransportFeedbackReporter reporter(kSender, sent.Sender());
    CHECK(reporter.Interval() == 50ms);
    reporter.OnTimer(kT0);
    uint16_t sequence = 0;
    for (auto at = kT0; at < kT0 + 50ms; at += 10ms) {
      reporter.OnPacket(kMedia, sequence++, c.bytesPer10Ms, at);
    }
    CHECK(reporter.OnTimer(kT0 + 50ms));
    CHECK(reporter.Interval() == c.interval);
  }
}

}  // namespace myriad::loadtest
