#include "signaling/RosterDeltaBatcher.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace myriad::signaling {

namespace {

// One entry of the message with the sequence number that orders it within its array.
struct OrderedEntry {
  std::uint64_t sequence;
  nlohmann::json entry;
};

void AddSorted(nlohmann::json& message, const char* key, std::vector<OrderedEntry>& entries) {
  if (entries.empty()) return;  // the protocol leaves empty arrays out
  std::sort(entries.begin(), entries.end(),
            [](const OrderedEntry& a, const OrderedEntry& b) { return a.sequence < b.sequence; });
  nlohmann::json& array = message[key];
  array = nlohmann::json::array();
  for (OrderedEntry& ordered : entries) array.push_back(std::move(ordered.entry));
}

}  // namespace

void RosterDeltaBatcher::ParticipantJoined(const std::string& participantId,
                                           const std::string& name, const std::string& identity) {
  auto [it, isNew] = participants_.try_emplace(participantId);
  it->second.name = name;
  it->second.identity = identity;
  Arrive(it->second.presence, isNew);
}

void RosterDeltaBatcher::ParticipantLeft(const std::string& participantId) {
  auto [it, isNew] = participants_.try_emplace(participantId);
  Depart(it->second.presence, isNew);
}

void RosterDeltaBatcher::TrackPublished(const std::string& participantId, const Track& track) {
  auto [it, isNew] = tracks_.try_emplace(track.trackId);
  it->second.participantId = participantId;
  it->second.track = track;
  Arrive(it->second.presence, isNew);
}

void RosterDeltaBatcher::TrackUnpublished(const std::string& participantId,
                                          const std::string& trackId) {
  auto [it, isNew] = tracks_.try_emplace(trackId);
  if (isNew) it->second.participantId = participantId;
  Depart(it->second.presence, isNew);
}

void RosterDeltaBatcher::TrackMuteChanged(const std::string& participantId,
                                          const std::string& trackId, const TrackMuteState& before,
                                          const TrackMuteState& after) {
  auto [it, isNew] = mutes_.try_emplace(trackId);
  if (isNew) {
    it->second.before = before;
    it->second.snapshotsAtFirst = snapshotsInBatch_;
  }
  it->second.participantId = participantId;
  it->second.after = after;
  it->second.sequence = ++eventsInBatch_;
  ++eventsRecorded_;
}

void RosterDeltaBatcher::HandChanged(const std::string& participantId, bool before, bool after) {
  auto [it, isNew] = hands_.try_emplace(participantId);
  if (isNew) {
    it->second.before = before;
    it->second.snapshotsAtFirst = snapshotsInBatch_;
  }
  it->second.after = after;
  it->second.sequence = ++eventsInBatch_;
  ++eventsRecorded_;
}

void RosterDeltaBatcher::SnapshotServed() { ++snapshotsInBatch_; }

bool RosterDeltaBatcher::Empty() const { return eventsInBatch_ == 0; }

std::uint64_t RosterDeltaBatcher::Version() const { return version_; }

std::uint64_t RosterDeltaBatcher::EventsRecorded() const { return eventsRecorded_; }

std::uint64_t RosterDeltaBatcher::EventsCoalesced() const { return eventsCoalesced_; }

void RosterDeltaBatcher::Arrive(Presence& presence, bool isNew) {
  // The first event about an id tells its state at the previous flush: only something absent
  // can arrive.
  if (isNew) presence.presentAtStart = false;
  presence.presentNow = true;
  presence.arrived = true;
  presence.snapshotsAtArrival = snapshotsInBatch_;
  presence.sequence = ++eventsInBatch_;
  ++eventsRecorded_;
}

void RosterDeltaBatcher::Depart(Presence& presence, bool isNew) {
  if (isNew) presence.presentAtStart = true;
  // A snapshot since the arrival showed this id to some client, which now has to hear that it
  // is gone even though the rest of the room never heard of it.
  if (presence.presentNow && presence.arrived && snapshotsInBatch_ > presence.snapshotsAtArrival) {
    presence.observed = true;
  }
  presence.presentNow = false;
  presence.sequence = ++eventsInBatch_;
  ++eventsRecorded_;
}

std::optional<nlohmann::json> RosterDeltaBatcher::Flush() {
  std::vector<OrderedEntry> joined;
  std::vector<OrderedEntry> published;
  std::vector<OrderedEntry> unpublished;
  std::vector<OrderedEntry> left;

  for (const auto& [participantId, change] : participants_) {
    const Presence& presence = change.presence;
    if (presence.presentNow) {
      nlohmann::json entry{{"participantId", participantId}, {"name", change.name}};
      if (!change.identity.empty()) entry["identity"] = change.identity;
      joined.push_back({presence.sequence, std::move(entry)});
    } else if (presence.presentAtStart || presence.observed) {
      left.push_back({presence.sequence, participantId});
    }
  }

  for (const auto& [trackId, change] : tracks_) {
    // `left` already tells clients every track of a departed participant is gone, and a
    // participant who came and went unseen must not surface through its tracks.
    const auto owner = participants_.find(change.participantId);
    if (owner != participants_.end() && !owner->second.presence.presentNow) continue;
    const Presence& presence = change.presence;
    if (presence.presentNow) {
      published.push_back({presence.sequence,
                           {{"participantId", change.participantId},
                            {"trackId", trackId},
                            {"kind", change.track.kind},
                            {"source", change.track.source}}});
    } else if (presence.presentAtStart || presence.observed) {
      unpublished.push_back(
          {presence.sequence, {{"participantId", change.participantId}, {"trackId", trackId}}});
    }
  }

  // Mute and hand entries of what is still there. A change that ends where it started is left
  // out unless a snapshot served since its first change may have shown the middle.
  const auto gone = [&](const std::string& participantId) {
    const auto owner = participants_.find(participantId);
    return owner != participants_.end() && !owner->second.presence.presentNow;
  };
  std::vector<OrderedEntry> muted;
  for (const auto& [trackId, change] : mutes_) {
    const auto track = tracks_.find(trackId);
    if (track != tracks_.end() && !track->second.presence.presentNow) continue;
    if (gone(change.participantId)) continue;
    if (change.after == change.before && snapshotsInBatch_ == change.snapshotsAtFirst) continue;
    muted.push_back({change.sequence,
                     {{"participantId", change.participantId},
                      {"trackId", trackId},
                      {"muted", change.after.muted},
                      {"by", ToString(change.after.by)},
                      {"locked", change.after.locked}}});
  }
  std::vector<OrderedEntry> hands;
  for (const auto& [participantId, change] : hands_) {
    if (gone(participantId)) continue;
    if (change.after == change.before && snapshotsInBatch_ == change.snapshotsAtFirst) continue;
    hands.push_back(
        {change.sequence, {{"participantId", participantId}, {"raised", change.after}}});
  }

  const std::uint64_t entries = joined.size() + published.size() + unpublished.size() +
                                left.size() + muted.size() + hands.size();
  eventsCoalesced_ += eventsInBatch_ - entries;
  Reset();
  if (entries == 0) return std::nullopt;

  nlohmann::json message{{"type", "roster"}, {"version", ++version_}};
  AddSorted(message, "joined", joined);
  AddSorted(message, "published", published);
  AddSorted(message, "muted", muted);
  AddSorted(message, "hands", hands);
  AddSorted(message, "unpublished", unpublished);
  AddSorted(message, "left", left);
  return message;
}

void RosterDeltaBatcher::Reset() {
  participants_.clear();
  tracks_.clear();
  mutes_.clear();
  hands_.clear();
  eventsInBatch_ = 0;
  snapshotsInBatch_ = 0;
}

}  // namespace myriad::signaling
