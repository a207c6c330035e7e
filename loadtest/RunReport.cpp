#include "loadtest/RunReport.h"

#include <cstdio>
#include <sstream>

namespace myriad::loadtest {
namespace {

using Json = nlohmann::json;

std::string Format(const char* format, double value) {
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

std::string Line(const char* label, const RunReport::Distribution& d) {
  std::ostringstream out;
  out << "  " << label << ": ";
  if (d.count == 0) {
    out << "no samples\n";
    return out.str();
  }
  out << "p50 " << Format("%.1f", d.p50) << " / p95 " << Format("%.1f", d.p95) << " / p99 "
      << Format("%.1f", d.p99) << " / max " << Format("%.1f", d.max) << " ms (" << d.count
      << " samples)\n";
  return out.str();
}

Json ProcessJson(const RunReport::Process& p) {
  return {{"measured", p.measured},
          {"pid", p.pid},
          {"cpuSeconds", p.cpuSeconds},
          {"cpuCores", p.cpuCores},
          {"windowSeconds", p.windowSeconds},
          {"wholeRunCpuCores", p.wholeRunCpuCores},
          {"rssKbBefore", p.rssKbBefore},
          {"rssKbAfter", p.rssKbAfter},
          {"rssKbPerParticipant", p.rssKbPerParticipant}};
}

}  // namespace

RunReport::Distribution RunReport::Distribution::FromMicros(const LatencyHistogram& histogram) {
  Distribution d;
  d.count = histogram.Count();
  d.p50 = histogram.Percentile(50) / 1000.0;
  d.p95 = histogram.Percentile(95) / 1000.0;
  d.p99 = histogram.Percentile(99) / 1000.0;
  d.max = static_cast<double>(histogram.Max()) / 1000.0;
  d.mean = histogram.Mean() / 1000.0;
  return d;
}

Json RunReport::Distribution::ToJson() const {
  return {{"count", count}, {"p50", p50}, {"p95", p95}, {"p99", p99}, {"max", max}, {"mean", mean}};
}

double RunReport::Joins::JoinedPercent() const {
  return attempted == 0 ? 0.0
                        : 100.0 * static_cast<double>(completed) / static_cast<double>(attempted);
}

double RunReport::Packets::LossPercent() const {
  const uint64_t expected = received + lost;
  return expected == 0 ? 0.0 : 100.0 * static_cast<double>(lost) / static_cast<double>(expected);
}

double RunReport::Packets::NotSentPercent() const {
  const uint64_t due = sent + notSent;
  return due == 0 ? 0.0 : 100.0 * static_cast<double>(notSent) / static_cast<double>(due);
}

bool RunReport::ThresholdsPassed() const {
  for (const auto& threshold : thresholds) {
    if (!threshold.passed) return false;
  }
  return true;
}

Json RunReport::ToJson() const {
  Json errors = Json::object();
  for (const auto& [reason, count] : joins.errors) errors[reason] = count;
  Json limits = Json::array();
  for (const auto& t : thresholds) {
    Json entry{{"name", t.name}, {"limit", t.limit}, {"passed", t.passed}, {"detail", t.detail}};
    entry["actual"] = t.actual ? Json(*t.actual) : Json(nullptr);
    limits.push_back(entry);
  }
  return {
      {"scenario", scenario},
      {"seed", seed},
      {"participants", participants},
      {"rooms", rooms},
      {"durationSeconds", durationSeconds},
      {"elapsedSeconds", elapsedSeconds},
      {"failure", failure},
      {"joins",
       {{"attempted", joins.attempted},
        {"completed", joins.completed},
        {"failed", joins.failed},
        {"negotiationsFailed", joins.negotiationsFailed},
        {"joinedPercent", joins.JoinedPercent()},
        {"transportsConnected", joins.transportsConnected},
        {"transportsFailed", joins.transportsFailed},
        {"errors", errors}}},
      {"joinTimeMs", joinTime.ToJson()},
      {"connectTimeMs", connectTime.ToJson()},
      {"packets",
       {{"sent", packets.sent},
        {"audioSent", packets.audioSent},
        {"videoSent", packets.videoSent},
        {"notSent", packets.notSent},
        {"notSentPercent", packets.NotSentPercent()},
        {"received", packets.received},
        {"audioReceived", packets.audioReceived},
        {"videoReceived", packets.videoReceived},
        {"lost", packets.lost},
        {"lossPercent", packets.LossPercent()},
        {"foreign", packets.foreign},
        {"unmatched", packets.unmatched}}},
      {"latencyMs", latency.ToJson()},
      {"audioLatencyMs", audioLatency.ToJson()},
      {"videoLatencyMs", videoLatency.ToJson()},
      {"firstAudioMs", firstAudio.ToJson()},
      {"speakerSwitchMs", speakerSwitch.ToJson()},
      {"serverDelayMs", serverDelay.ToJson()},
      {"speakers",
       {{"nonTalkerPackets", speakers.nonTalkerPackets},
        {"silentPackets", speakers.silentPackets},
        {"switchesExpected", speakers.switchesExpected},
        {"switchesMissed", speakers.switchesMissed},
        {"speakersMessages", speakers.speakersMessages},
        {"subscribersWithoutAudio", speakers.subscribersWithoutAudio}}},
      {"signallingMessages",
       {{"total", messages.total},
        {"meanPerParticipant", messages.meanPerParticipant},
        {"maxPerParticipant", messages.maxPerParticipant},
        {"meanPerParticipantPerSecond", messages.meanPerParticipantPerSecond},
        {"maxPerParticipantPerSecond", messages.maxPerParticipantPerSecond}}},
      {"generator", ProcessJson(generator)},
      {"generatorOverloaded", packets.NotSentPercent() > 1.0},
      {"server", ProcessJson(server)},
      {"thresholds", limits},
      {"passed", failure.empty() && ThresholdsPassed()},
  };
}

std::string RunReport::Summary() const {
  std::ostringstream out;
  out << "myriad-loadtest: scenario " << scenario << ", seed " << seed << ", " << participants
      << " participants in " << rooms << " room(s), " << Format("%.1f", elapsedSeconds) << " s\n";
  if (!failure.empty()) out << "  RUN FAILED: " << failure << "\n";
  if (packets.NotSentPercent() > 1.0) {
    out << "  WARNING: the generator fell behind its schedule: "
        << Format("%.1f", packets.NotSentPercent())
        << "% of due packets were not sent; latency and speaker numbers are not reliable\n";
  }
  out << "  joins: " << joins.completed << "/" << joins.attempted << " completed ("
      << Format("%.1f", joins.JoinedPercent()) << "%), " << joins.failed << " failed, "
      << joins.negotiationsFailed << " offers failed, " << joins.transportsConnected
      << " transports connected, " << joins.transportsFailed << " failed\n";
  for (const auto& [reason, count] : joins.errors) {
    out << "    " << count << " x " << reason << "\n";
  }
  out << Line("join time", joinTime) << Line("connect time", connectTime);
  out << "  packets: sent " << packets.sent << " (audio " << packets.audioSent << ", video "
      << packets.videoSent << ", behind schedule " << packets.notSent << "), received "
      << packets.received << ", lost " << packets.lost << " ("
      << Format("%.3f", packets.LossPercent()) << "%), foreign " << packets.foreign
      << ", before their answer " << packets.unmatched << "\n";
  out << Line("latency", latency) << Line("  audio", audioLatency) << Line("  video", videoLatency);
  if (serverDelay.count > 0) out << Line("added by the server (its histogram)", serverDelay);
  out << Line("first audio", firstAudio) << Line("speaker switch", speakerSwitch);
  out << "  speakers: " << speakers.switchesMissed << "/" << speakers.switchesExpected
      << " expected switches missed, " << speakers.nonTalkerPackets << " packets from non-talkers ("
      << speakers.silentPackets << " sent while silent), " << speakers.subscribersWithoutAudio
      << " subscribers without audio, " << speakers.speakersMessages << " `speakers` messages\n";
  out << "  signalling: " << messages.total << " messages, per participant mean "
      << Format("%.1f", messages.meanPerParticipant) << " max "
      << Format("%.0f", messages.maxPerParticipant) << ", per second mean "
      << Format("%.2f", messages.meanPerParticipantPerSecond) << " max "
      << Format("%.2f", messages.maxPerParticipantPerSecond) << "\n";
  out << "  generator: " << Format("%.2f", generator.cpuCores) << " cores ("
      << Format("%.1f", generator.cpuSeconds) << " s CPU), peak RSS " << generator.rssKbAfter
      << " kB\n";
  if (server.measured) {
    out << "  server (pid " << server.pid << "): " << Format("%.2f", server.cpuCores)
        << " cores over the " << Format("%.1f", server.windowSeconds) << " s after the joins ("
        << Format("%.2f", server.wholeRunCpuCores) << " over the whole run), RSS "
        << server.rssKbBefore << " -> " << server.rssKbAfter << " kB ("
        << Format("%.1f", server.rssKbPerParticipant) << " kB per participant)\n";
  } else {
    out << "  server: not measured (no --server-pid)\n";
  }
  for (const auto& t : thresholds) {
    out << "  threshold " << t.name << ": " << (t.passed ? "ok" : "MISSED") << " (" << t.detail
        << ")\n";
  }
  out << (failure.empty() && ThresholdsPassed() ? "PASS\n" : "FAIL\n");
  return out.str();
}

}  // namespace myriad::loadtest
