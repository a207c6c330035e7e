#include "loadtest/Scenario.h"

#include <algorithm>

namespace myriad::loadtest {

uint32_t Scenario::AudioPublisherCount() const {
  return std::min(audioPublishers.value_or(participants), participants);
}

uint32_t Scenario::AudioSubscriberCount() const {
  return std::min(audioSubscribers.value_or(participants), participants);
}

bool Scenario::PublishesAudio(uint32_t participant) const {
  return participant < AudioPublisherCount();
}

bool Scenario::PublishesVideo(uint32_t participant) const {
  return participant < std::min(videoPublishers, participants);
}

bool Scenario::BindsAudioSlots(uint32_t participant) const {
  return participant < participants && participant >= participants - AudioSubscriberCount();
}

bool Scenario::ViewsVideo(uint32_t participant) const {
  return participant < participants &&
         participant >= participants - std::min(videoSubscribers, participants);
}

bool Scenario::IsPriority(uint32_t participant) const {
  return PublishesAudio(participant) && participant < audio.priorityPublishers;
}

uint32_t Scenario::ExpectedAudioSlots() const { return server.audioSlots.value_or(3); }

uint32_t Scenario::ForegroundTalkers() const {
  if (audio.foregroundTalkers) return std::max<uint32_t>(*audio.foregroundTalkers, 1);
  const uint32_t slots = ExpectedAudioSlots();
  return slots > audio.priorityPublishers ? slots - audio.priorityPublishers : 1;
}

double Scenario::EffectiveMaxRunSeconds() const {
  return maxRunSeconds > 0 ? maxRunSeconds : durationSeconds + 60;
}

std::string Scenario::Validate() const {
  if (room.empty() || room.size() > 100) return "\"room\" must have 1 to 100 characters";
  for (const char c : room) {
    // docs/protocol.md: [A-Za-z0-9_.-], and we append "-<n>" for rooms > 1.
    const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!allowed) return "\"room\" may only contain A-Z a-z 0-9 _ . -";
  }
  if (participants == 0) return "\"participants\" must be at least 1";
  if (audioPublishers && *audioPublishers > participants) {
    return "\"audioPublishers\" exceeds \"participants\"";
  }
  if (audioSubscribers && *audioSubscribers > participants) {
    return "\"audioSubscribers\" exceeds \"participants\"";
  }
  if (videoPublishers > participants) return "\"videoPublishers\" exceeds \"participants\"";
  if (videoSubscribers > participants) return "\"videoSubscribers\" exceeds \"participants\"";
  if (rooms > participants) return "\"rooms\" exceeds \"participants\"";
  if (maxRunSeconds > 0 && maxRunSeconds < durationSeconds) {
    return "\"maxRunSeconds\" must be at least \"durationSeconds\"";
  }
  if (audio.minSpurtMs > audio.maxSpurtMs) {
    return "\"audio.minSpurtMs\" must not exceed \"audio.maxSpurtMs\"";
  }
  if (audio.loudestDbov < audio.quietestDbov) {
    return "\"audio.loudestDbov\" must be louder (closer to 0) than \"audio.quietestDbov\"";
  }
  if (audio.minPayloadBytes > audio.maxPayloadBytes) {
    return "\"audio.minPayloadBytes\" must not exceed \"audio.maxPayloadBytes\"";
  }
  if (audio.priorityPublishers > AudioPublisherCount()) {
    return "\"audio.priorityPublishers\" exceeds the audio publishers";
  }
  if (video.streams.empty()) return "\"video.streams\" must not be empty";
  for (size_t i = 0; i < video.streams.size(); ++i) {
    const auto& rid = video.streams[i].rid;
    // RFC 8851 10: rid-id is alphanumeric (plus - and _), at most 16 here
    // because the one-byte header extension holds 16 bytes.
    if (video.streams.size() > 1 && rid.empty()) {
      return "\"video.streams\" with more than one entry need a \"rid\" each";
    }
    if (rid.size() > 16) return "\"video.streams[" + std::to_string(i) + "].rid\" is too long";
    for (const char c : rid) {
      const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (!allowed) {
        return "\"video.streams[" + std::to_string(i) + "].rid\" may only contain A-Z a-z 0-9 _ -";
      }
    }
    for (size_t j = 0; j < i; ++j) {
      if (video.streams[j].rid == rid) return "\"video.streams\" repeats rid \"" + rid + "\"";
    }
  }
  if (viewport.pageSize == 0) return "\"viewport.pageSize\" must be at least 1";
  if (control.Enabled()) {
    if (control.messages < 2) return "\"control.messages\" must be 0 or at least 2";
    if (control.hosts == 0 && control.hostMuteWeight > 0) {
      return "\"control.hostMuteWeight\" needs at least one of \"control.hosts\"";
    }
    if (control.hosts >= participants) return "\"control.hosts\" must be below \"participants\"";
    if (control.hostMuteWeight + control.selfMuteWeight + control.handWeight <= 0) {
      return "one of the \"control\" weights must be above 0";
    }
    if ((control.hostMuteWeight > 0 || control.selfMuteWeight > 0) &&
        AudioPublisherCount() <= control.hosts) {
      return "muting needs audio publishers besides the hosts";
    }
    if (rooms > 1 && control.hostMuteWeight > 0) {
      return "\"control.hostMuteWeight\" needs one room: hosts mute by the roster of theirs";
    }
    if (control.startSeconds >= durationSeconds) {
      return "\"control.startSeconds\" must be below \"durationSeconds\"";
    }
  }
  return "";
}

nlohmann::json Scenario::ToJson() const {
  nlohmann::json streams = nlohmann::json::array();
  for (const auto& stream : video.streams) {
    streams.push_back({{"rid", stream.rid}, {"kbps", stream.kbps}});
  }
  nlohmann::json server = nlohmann::json::object();
  const auto put = [&server](const char* key, const std::optional<uint32_t>& value) {
    if (value) server[key] = *value;
  };
  put("audioSlots", this->server.audioSlots);
  put("maxParticipants", this->server.maxParticipants);
  put("maxPublishers", this->server.maxPublishers);
  put("rosterBatchIntervalMs", this->server.rosterBatchIntervalMs);
  put("rosterPageSize", this->server.rosterPageSize);
  return {
      {"name", name},
      {"description", description},
      {"room", room},
      {"rooms", rooms},
      {"participants", participants},
      {"audioPublishers", AudioPublisherCount()},
      {"videoPublishers", videoPublishers},
      {"audioSubscribers", AudioSubscriberCount()},
      {"videoSubscribers", videoSubscribers},
      {"durationSeconds", durationSeconds},
      {"maxRunSeconds", EffectiveMaxRunSeconds()},
      {"joinRatePerSecond", joinRatePerSecond},
      {"seed", seed},
      {"fetchFullRoster", fetchFullRoster},
      {"smoothingWindowMs", smoothingWindowMs},
      {"audio",
       {{"talkingShare", audio.talkingShare},
        {"minSpurtMs", audio.minSpurtMs},
        {"maxSpurtMs", audio.maxSpurtMs},
        {"loudestDbov", audio.loudestDbov},
        {"quietestDbov", audio.quietestDbov},
        {"foregroundTalkers", ForegroundTalkers()},
        {"backgroundGapDb", audio.backgroundGapDb},
        {"silenceLevel", audio.silenceLevel},
        {"priorityPublishers", audio.priorityPublishers},
        {"minPayloadBytes", audio.minPayloadBytes},
        {"maxPayloadBytes", audio.maxPayloadBytes}}},
      {"video",
       {{"framesPerSecond", video.framesPerSecond},
        {"maxPacketBytes", video.maxPacketBytes},
        {"streams", streams}}},
      {"viewport",
       {{"pageSize", viewport.pageSize},
        {"prefetchNextPage", viewport.prefetchNextPage},
        {"flipEverySeconds", viewport.flipEverySeconds}}},
      {"server", server},
      {"impairment",
       {{"oneWayDelayMs", impairment.oneWayDelayMs},
        {"lossPercent", impairment.lossPercent},
        {"seed", impairment.seed}}},
      {"control",
       {{"messages", control.messages},
        {"ratePerSecond", control.ratePerSecond},
        {"dataChannel", control.dataChannel},
        {"hosts", control.hosts},
        {"holdMs", control.holdMs},
        {"startSeconds", control.startSeconds},
        {"hostMuteWeight", control.hostMuteWeight},
        {"selfMuteWeight", control.selfMuteWeight},
        {"handWeight", control.handWeight},
        {"replyTimeoutMs", control.replyTimeoutMs}}},
      {"thresholds", thresholds.ToJson()},
  };
}

}  // namespace myriad::loadtest
