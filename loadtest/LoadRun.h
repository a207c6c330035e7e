#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "loadtest/ControlSchedule.h"
#include "loadtest/LoadStats.h"
#include "loadtest/ParticipantObservations.h"
#include "loadtest/RunReport.h"
#include "loadtest/Scenario.h"
#include "loadtest/ServerHistogram.h"
#include "loadtest/SimulatedParticipant.h"
#include "loadtest/TalkSchedule.h"
#include "loadtest/client/ClientAddressRange.h"

namespace myriad::loadtest {

class LoadShard;

// One load test against a running server: builds the talk schedule, runs
// the participants on `threads` shards (io_context threads) for the
// scenario's duration, reads the server process from /proc when its pid is
// known, and turns it all into a RunReport. Usable in-process: an
// integration test runs it against InProcessServer and checks the report,
// the per-participant observations and the schedule.
//
// Timeline: participants join from StartUs() at joinRatePerSecond; media
// starts per publisher once its transport is up; at StartUs() +
// durationSeconds the counts are taken and everyone leaves. The "measured
// window" for server CPU runs from the moment every join has settled (or the
// end, whichever is first) to the end. The run never exceeds maxRunSeconds.
class LoadRun {
 public:
  struct Options {
    Scenario scenario;
    std::string host = "127.0.0.1";
    uint16_t port = 7880;
    int serverPid = 0;  // > 0: CPU and RSS from /proc/<pid>
    unsigned threads = 1;
    // Keep every slot packet and `speakers` message per participant.
    bool recordDetail = false;
    // A progress line every second, if set.
    std::ostream* progress = nullptr;
    // The server may be in a network namespace behind a point-to-point
    // link (CheckTarget's allowNetnsTarget): its media candidate is then
    // outside loopback too, reached through the impairment relays.
    bool allowNetnsTarget = false;
    // The clients' addresses; outside loopback, a namespace's server is
    // reached without the relays.
    ClientAddressRange clientAddresses = ClientAddressRange::Loopback();
  };

  explicit LoadRun(Options options);
  ~LoadRun();
  LoadRun(const LoadRun&) = delete;
  LoadRun& operator=(const LoadRun&) = delete;

  // Runs to the end (bounded by maxRunSeconds) and reports. Call once.
  RunReport Run();

  // "" when `host` may be load-tested (a 127.0.0.0/8 address or
  // "localhost"; with `allowNetnsTarget` also the IPv4 peer address of a
  // point-to-point interface of this host, such as myriad-tunlink's link
  // to a benchmark's network namespace), else why not.
  static std::string CheckTarget(const std::string& host, bool allowNetnsTarget = false);

  const Scenario& GetScenario() const { return options_.scenario; }
  const TalkSchedule& Schedule() const { return *schedule_; }
  // Scenario::control's plan (nullptr without control; set by Run()).
  const ControlSchedule* ControlPlan() const { return control_.get(); }
  // Steady clock microseconds of schedule offset 0 (set by Run()).
  int64_t StartUs() const { return startUs_; }
  // When the media stopped and the counts were taken.
  int64_t EndUs() const { return endUs_; }
  // After Run(): one entry per participant, indexed by participant index.
  const std::vector<ParticipantObservations>& Observations() const { return observations_; }
  std::optional<uint32_t> IndexOf(const std::string& participantId) const;

 private:
  struct SwitchAnalysis {
    LatencyHistogram latency;
    uint64_t expected = 0;
    uint64_t missed = 0;
  };

  // The server's processing-delay histogram now (nullopt if unreachable).
  std::optional<ServerHistogram> ScrapeServerDelay() const;
  void PrintProgress(double elapsedSeconds, double serverCores, double generatorCores);
  // Talk spurts that should have reached each subscriber's slots, and when
  // they did (see RunReport::Speakers).
  SwitchAnalysis AnalyseSwitches(
      const std::vector<std::vector<SimulatedParticipant::SpurtArrival>>& arrivals) const;
  void FillMessages(RunReport& report) const;
  // Scenario::control: delivery of every request and notification, and the
  // audio of muted tracks that reached someone (`heard`: per publisher, the
  // send times of audio packets subscribers received; sorted here).
  void AnalyseControl(std::vector<std::vector<int64_t>>& heard, RunReport& report) const;

  Options options_;
  std::unique_ptr<TalkSchedule> schedule_;
  std::unique_ptr<ControlSchedule> control_;
  std::vector<std::unique_ptr<LoadShard>> shards_;
  int64_t startUs_ = 0;
  int64_t endUs_ = 0;
  std::vector<ParticipantObservations> observations_;
  std::map<std::string, uint32_t> indexById_;
  // What the last progress line counted.
  uint64_t progressSent_ = 0;
  uint64_t progressReceived_ = 0;
  uint64_t progressBehind_ = 0;
  double progressElapsed_ = 0;
};

}  // namespace myriad::loadtest
