#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>

#include "signaling/TrackMuteState.h"

namespace myriad::signaling {

// Collects a room's roster changes (joins, leaves, track publications) between two batch ticks and
// turns them into one coalesced `roster` message (docs/protocol.md, `roster`). Pure logic: the room
// records events as they happen and calls Flush() every rooms.roster_batch_interval_ms.
//
// The message is built once and sent, as the same text, to every participant of the room, so it
// may name the recipient itself (its own join, its own tracks); clients skip entries carrying
// their own participantId. Only the `joined` snapshot and `rosterPage` leave the client out.
//
// An entry describes an id's state at the end of the batch relative to the previous flush: a
// participant or track that appears and disappears within one batch is left out, and `left`
// drops that participant's `published`/`unpublished` entries (left implies every track is gone).
// Every entry is idempotent, so a snapshot read in the middle of a batch plus that batch still
// converge, with one exception the room must report: something that appeared after the previous
// flush, was shown in a snapshot, and then disappeared. Call SnapshotServed() whenever the live
// roster is shown to a client; such ids then get their `left`/`unpublished` entry.
//
// Ids are assumed never to be reused (the server draws 48 random bits per id). If a participant
// id rejoins after leaving within one batch, it is reported as `joined` only, and tracks of its
// earlier presence that were not unpublished in this batch may linger on clients.
class RosterDeltaBatcher {
 public:
  struct Track {
    std::string trackId;
    std::string kind;    // "audio" or "video"
    std::string source;  // camera, microphone, screen, screen_audio
  };

  // `identity`: the access token's subject ("" for a development-mode join without a token:
  // then the entry has none).
  void ParticipantJoined(const std::string& participantId, const std::string& name,
                         const std::string& identity = "");
  void ParticipantLeft(const std::string& participantId);
  void TrackPublished(const std::string& participantId, const Track& track);
  void TrackUnpublished(const std::string& participantId, const std::string& trackId);
  // Conference control (docs/protocol.md): a track's mute state and a participant's raised hand
  // changed; `before` is the state at the change (the first change in a batch keeps it, so a
  // batch whose changes end where they started sends nothing, unless a snapshot was served in
  // between). Entries of a track unpublished or
  // a participant gone by the flush are left out (`unpublished` / `left` say enough).
  void TrackMuteChanged(const std::string& participantId, const std::string& trackId,
                        const TrackMuteState& before, const TrackMuteState& after);
  void HandChanged(const std::string& participantId, bool before, bool after);

  // The room showed its live roster to a client (`joined` snapshot or `rosterPage`). Not an
  // event: it only keeps what the snapshot showed from being coalesced away (see above).
  void SnapshotServed();

  // No event was recorded since the previous Flush (a non-empty batch may still coalesce to
  // nothing).
  bool Empty() const;

  // The `roster` message for everything since the previous Flush, coalesced; nullopt when nothing
  // (after coalescing) changed. Each non-empty flush increments the version. Entries within each
  // array are in the order of the events that produced them.
  std::optional<nlohmann::json> Flush();

  // Version of the last non-empty flush (0 before any): the `rosterVersion` of a snapshot taken
  // now, since the batch being collected will carry Version() + 1.
  std::uint64_t Version() const;

  // Cumulative counters for metrics and tests: every event recorded, and the recorded events
  // that produced no entry in their batch's message (counted when the batch is flushed).
  std::uint64_t EventsRecorded() const;
  std::uint64_t EventsCoalesced() const;

 private:
  // What one participant or track did during the current batch.
  struct Presence {
    bool presentAtStart = false;  // inferred from the first event: anything but an arrival
    bool presentNow = false;
    bool arrived = false;   // joined / published during this batch (the latest info is below)
    bool observed = false;  // present at a SnapshotServed() after arriving in this batch
    std::uint64_t snapshotsAtArrival = 0;
    std::uint64_t sequence = 0;  // of the last event that changed presence: the entry's order
  };
  struct ParticipantChange {
    Presence presence;
    std::string name;
    std::string identity;
  };
  struct TrackChange {
    Presence presence;
    std::string participantId;
    Track track;
  };

  struct MuteChange {
    std::string participantId;
    TrackMuteState before;
    TrackMuteState after;
    std::uint64_t sequence = 0;
    std::uint64_t snapshotsAtFirst = 0;
  };
  struct HandChange {
    bool before = false;
    bool after = false;
    std::uint64_t sequence = 0;
    std::uint64_t snapshotsAtFirst = 0;
  };

  void Arrive(Presence& presence, bool isNew);
  void Depart(Presence& presence, bool isNew);
  void Reset();

  std::unordered_map<std::string, ParticipantChange> participants_;
  std::unordered_map<std::string, TrackChange> tracks_;
  std::unordered_map<std::string, MuteChange> mutes_;  // by trackId
  std::unordered_map<std::string, HandChange> hands_;  // by participantId
  std::uint64_t eventsInBatch_ = 0;
  std::uint64_t snapshotsInBatch_ = 0;
  std::uint64_t version_ = 0;
  std::uint64_t eventsRecorded_ = 0;
  std::uint64_t eventsCoalesced_ = 0;
};

}  // namespace myriad::signaling
