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
  d.p90 = histogram.Percentile(90) / 1000.0;
  d.p95 = histogram.Percentile(95) / 1000.0;
  d.p99 = histogram.Percentile(99) / 1000.0;
  d.max = static_cast<double>(histogram.Max()) / 1000.0;
  d.mean = histogram.Mean() / 1000.0;
  return d;
}

Json RunReport::Distribution::ToJson() const {
  return {{"count", count}, {"p50", p50}, {"p90", p90},  {"p95", p95},
          {"p99", p99},     {"max", max}, {"mean", mean}};
}

namespace {

double Percent(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

double RunReport::Impairment::MeasuredLossPercent() const {
  return Percent(uplinkLost + downlinkLost,
                 uplinkForwarded + uplinkLost + downlinkForwarded + downlinkLost);
}

double RunReport::Control::DeliveredPercent() const { return Percent(delivered, planned); }

double RunReport::Control::Within200MsPercent() const {
  return Percent(deliveredWithin200Ms, planned);
}

double RunReport::Control::UplinkWithin200MsPercent() const {
  return oneWay ? Percent(oneWay->uplinkWithin200Ms, oneWay->samples + Unanswered()) : 0.0;
}

double RunReport::Control::DownlinkWithin200MsPercent() const {
  return oneWay ? Percent(oneWay->downlinkWithin200Ms, oneWay->samples + Unanswered()) : 0.0;
}

double RunReport::Control::NotifiedPercent() const {
  return Percent(notificationsDelivered, notificationsExpected);
}

double RunReport::Control::NotifiedWithin200MsPercent() const {
  return Percent(notificationsWithin200Ms, notificationsExpected);
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
  Json failures = Json::object();
  for (const auto& [reason, count] : control.failures) failures[reason] = count;
  Json controlJson = {{"enabled", control.enabled}};
  if (control.enabled) {
    controlJson = {
        {"enabled", true},
        {"path", control.dataChannel ? "dataChannel" : "webSocket"},
        {"planned", control.planned},
        {"sent", control.sent},
        {"unsent", control.unsent},
        {"delivered", control.delivered},
        {"deliveredPercent", control.DeliveredPercent()},
        {"acked", control.acked},
        {"overtaken", control.overtaken},
        {"timedOut", control.timedOut},
        {"failures", failures},
        {"deliveredWithin200Ms", control.deliveredWithin200Ms},
        {"within200MsPercent", control.Within200MsPercent()},
        {"roundTripMs", control.roundTrip.ToJson()},
        {"notificationsExpected", control.notificationsExpected},
        {"notificationsDelivered", control.notificationsDelivered},
        {"notifiedPercent", control.NotifiedPercent()},
        {"notificationsWithin200Ms", control.notificationsWithin200Ms},
        {"notifiedWithin200MsPercent", control.NotifiedWithin200MsPercent()},
        {"notificationMs", control.notification.ToJson()},
        {"mutesAccepted", control.mutesAccepted},
        {"mutesOfHeardTracks", control.mutesOfHeardTracks},
        {"mutedPacketViolations", control.mutedPacketViolations},
        {"channelsOpened", control.channelsOpened},
        {"copiesSent", control.copiesSent},
        {"duplicatesReceived", control.duplicatesReceived},
    };
    if (const auto& oneWay = control.oneWay) {
      controlJson["oneWay"] = {
          {"samples", oneWay->samples},
          {"uplinkWithin200Ms", oneWay->uplinkWithin200Ms},
          {"uplinkWithin200MsPercent", control.UplinkWithin200MsPercent()},
          {"uplinkMs", oneWay->uplink.ToJson()},
          {"downlinkWithin200Ms", oneWay->downlinkWithin200Ms},
          {"downlinkWithin200MsPercent", control.DownlinkWithin200MsPercent()},
          {"downlinkMs", oneWay->downlink.ToJson()},
          {"atServerMs", oneWay->atServer.ToJson()},
      };
    }
  }
  Json impairmentJson = {{"enabled", impairment.enabled}};
  if (impairment.enabled) {
    impairmentJson = {{"enabled", true},
                      {"path", impairment.path},
                      {"oneWayDelayMs", impairment.oneWayDelayMs},
                      {"lossPercent", impairment.lossPercent},
                      {"measuredLossPercent", impairment.MeasuredLossPercent()},
                      {"mappings", impairment.mappings},
                      {"uplinkForwarded", impairment.uplinkForwarded},
                      {"uplinkLost", impairment.uplinkLost},
                      {"downlinkForwarded", impairment.downlinkForwarded},
                      {"downlinkLost", impairment.downlinkLost},
                      {"otherDrops", impairment.otherDrops}};
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
      {"impairment", impairmentJson},
      {"control", controlJson},
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
  if (impairment.enabled) {
    out << "  impaired path (" << impairment.path << "): " << impairment.oneWayDelayMs
        << " ms one way, " << Format("%.1f", impairment.lossPercent)
        << "% random loss each way (measured " << Format("%.2f", impairment.MeasuredLossPercent())
        << "% over " << impairment.uplinkForwarded + impairment.downlinkForwarded << " datagrams, "
        << impairment.mappings << " paths, " << impairment.otherDrops << " other drops)\n";
  }
  if (control.enabled) {
    const auto percentiles = [](const Distribution& d) {
      return "p50 " + Format("%.1f", d.p50) + " / p90 " + Format("%.1f", d.p90) + " / p99 " +
             Format("%.1f", d.p99) + " / max " + Format("%.1f", d.max) + " ms";
    };
    out << "  control (" << (control.dataChannel ? "data channel" : "WebSocket")
        << "): " << control.delivered << "/" << control.planned << " requests answered ("
        << Format("%.2f", control.DeliveredPercent()) << "%), "
        << Format("%.2f", control.Within200MsPercent())
        << "% within 200 ms of being sent (request -> reply at the sender, a round trip); "
        << control.unsent << " unsent, " << control.timedOut << " timed out, " << control.acked
        << " acked";
    if (control.overtaken > 0) {
      out << ", " << control.overtaken
          << " unmutes refused after a later cycle's lock overtook them";
    }
    out << "\n";
    out << "    round trip: " << percentiles(control.roundTrip) << "\n";
    if (const auto& oneWay = control.oneWay) {
      out << "    one way (the server's timestamps, same host): uplink "
          << Format("%.2f", control.UplinkWithin200MsPercent()) << "% within 200 ms, "
          << percentiles(oneWay->uplink) << "; downlink "
          << Format("%.2f", control.DownlinkWithin200MsPercent()) << "% within 200 ms, "
          << percentiles(oneWay->downlink) << "; at the server " << percentiles(oneWay->atServer)
          << "\n";
    }
    for (const auto& [reason, count] : control.failures) {
      out << "    " << count << " x " << reason << "\n";
    }
    out << "    host -> owner (`muted`, `unmuteRequest`): " << control.notificationsDelivered << "/"
        << control.notificationsExpected << " (" << Format("%.2f", control.NotifiedPercent())
        << "%), " << Format("%.2f", control.NotifiedWithin200MsPercent()) << "% within 200 ms; "
        << percentiles(control.notification) << "\n";
    out << "    mutes: " << control.mutesAccepted << " accepted (" << control.mutesOfHeardTracks
        << " of tracks being heard), " << control.mutedPacketViolations
        << " packets of a muted track reached a subscriber after the ack; "
        << control.channelsOpened << " channels opened\n";
  }
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
