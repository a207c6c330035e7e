#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "signaling/RosterDeltaBatcher.h"

using myriad::signaling::RosterDeltaBatcher;
using Json = nlohmann::json;

namespace {

RosterDeltaBatcher::Track Camera(const std::string& trackId) {
  return {trackId, "video", "camera"};
}
RosterDeltaBatcher::Track Microphone(const std::string& trackId) {
  return {trackId, "audio", "microphone"};
}

Json JoinedEntry(const std::string& participantId, const std::string& name) {
  return {{"participantId", participantId}, {"name", name}};
}
Json PublishedEntry(const std::string& participantId, const RosterDeltaBatcher::Track& track) {
  return {{"participantId", participantId},
          {"trackId", track.trackId},
          {"kind", track.kind},
          {"source", track.source}};
}
Json UnpublishedEntry(const std::string& participantId, const std::string& trackId) {
  return {{"participantId", participantId}, {"trackId", trackId}};
}

// Flushes and requires a message.
Json FlushMessage(RosterDeltaBatcher& batcher) {
  std::optional<Json> message = batcher.Flush();
  REQUIRE(message.has_value());
  return *message;
}

// A batcher whose previous batches made P1 (tracks T1 camera, T2 microphone) and P2 known.
RosterDeltaBatcher WithEarlierBatch() {
  RosterDeltaBatcher batcher;
  batcher.ParticipantJoined("P1", "Ann");
  batcher.ParticipantJoined("P2", "Bob");
  batcher.TrackPublished("P1", Camera("T1"));
  batcher.TrackPublished("P1", Microphone("T2"));
  REQUIRE(batcher.Flush().has_value());
  return batcher;
}

}  // namespace

TEST_CASE("n joins within one interval give one message with n entries in event order",
          "[signaling]") {
  RosterDeltaBatcher batcher;
  CHECK(batcher.Empty());
  // Ids deliberately out of lexical order: the array follows the events, not the ids.
  const std::vector<std::string> ids{"Pz", "Pa", "Pm", "P0", "Pk"};
  for (const std::string& id : ids) batcher.ParticipantJoined(id, "name-" + id);
  CHECK_FALSE(batcher.Empty());

  Json expected{{"type", "roster"}, {"version", 1}, {"joined", Json::array()}};
  for (const std::string& id : ids) expected["joined"].push_back(JoinedEntry(id, "name-" + id));
  CHECK(FlushMessage(batcher) == expected);
  CHECK(batcher.Empty());
  CHECK(batcher.Version() == 1);
}

TEST_CASE("A joined entry carries the token's identity when there is one", "[signaling]") {
  RosterDeltaBatcher batcher;
  batcher.ParticipantJoined("P1", "Ann", "ann@example.org");
  batcher.ParticipantJoined("P2", "Bob");  // development mode: no token, no identity
  Json expected{{"type", "roster"}, {"version", 1}, {"joined", Json::array()}};
  Json ann = JoinedEntry("P1", "Ann");
  ann["identity"] = "ann@example.org";
  expected["joined"].push_back(ann);
  expected["joined"].push_back(JoinedEntry("P2", "Bob"));
  CHECK(FlushMessage(batcher) == expected);
}

TEST_CASE("A join and a leave in one batch cancel, with that participant's tracks", "[signaling]") {
  RosterDeltaBatcher batcher = WithEarlierBatch();
  batcher.ParticipantJoined("P3", "Cid");
  batcher.TrackPublished("P3", Camera("T3"));
  batcher.TrackPublished("P3", Microphone("T4"));
  batcher.TrackUnpublished("P3", "T4");
  batcher.ParticipantLeft("P3");
  CHECK_FALSE(batcher.Empty());
  CHECK_FALSE(batcher.Flush().has_value());
  CHECK(batcher.Version() == 1);

  // Next to a change that survives, the cancelled participant still leaves no trace.
  batcher.ParticipantJoined("P4", "Dee");
  batcher.TrackPublished("P4", Camera("T5"));
  batcher.ParticipantLeft("P4");
  batcher.TrackPublished("P2", Camera("T6"));
  CHECK(FlushMessage(batcher) == Json{{"type", "roster"},
                                      {"version", 2},
                                      {"published", {PublishedEntry("P2", Camera("T6"))}}});
}

TEST_CASE("A publish and an unpublish in one batch cancel", "[signaling]") {
  RosterDeltaBatcher batcher = WithEarlierBatch();
  batcher.TrackPublished("P2", Camera("T9"));
  batcher.TrackUnpublished("P2", "T9");
  CHECK_FALSE(batcher.Flush().has_value());
  CHECK(batcher.Version() == 1);
}

TEST_CASE("Unpublishing a track of an earlier batch gives an unpublished entry", "[signaling]") {
  RosterDeltaBatcher batcher = WithEarlierBatch();
  batcher.TrackUnpublished("P1", "T2");
  CHECK(FlushMessage(batcher) ==
        Json{{"type", "roster"}, {"version", 2}, {"unpublished", {UnpublishedEntry("P1", "T2")}}});
}

TEST_CASE("A leave of someone known drops their track entries of the batch", "[signaling]") {
  RosterDeltaBatcher batcher = WithEarlierBatch();
  batcher.TrackUnpublished("P1", "T1");            // earlier track
  batcher.TrackPublished("P1", Camera("T7"));      // new track
  batcher.TrackPublished("P2", Microphone("T8"));  // someone else's: kept
  batcher.ParticipantLeft("P1");
  CHECK(FlushMessage(batcher) == Json{{"type", "roster"},
                                      {"version", 2},
                                      {"published", {PublishedEntry("P2", Microphone("T8"))}},
                                      {"left", {"P1"}}});
}

TEST_CASE("Each kind of entry lands in its array, empty arrays are left out", "[signaling]") {
  RosterDeltaBatcher batcher = WithEarlierBatch();
  batcher.ParticipantJoined("P3", "Cid");
  batcher.TrackPublished("P3", Camera("T3"));
  batcher.TrackUnpublished("P1", "T1");
  batcher.ParticipantLeft("P2");
  CHECK(FlushMessage(batcher) == Json{{"type", "roster"},
                                      {"version", 2},
                                      {"joined", {JoinedEntry("P3", "Cid")}},
                                      {"published", {PublishedEntry("P3", Camera("T3"))}},
                                      {"unpublished", {UnpublishedEntry("P1", "T1")}},
                                      {"left", {"P2"}}});

  batcher.ParticipantLeft("P3");
  const Json onlyLeft = FlushMessage(batcher);
  CHECK(onlyLeft == Json{{"type", "roster"}, {"version", 3}, {"left", {"P3"}}});
  CHECK_FALSE(onlyLeft.contains("joined"));
  CHECK_FALSE(onlyLeft.contains("published"));
  CHECK_FALSE(onlyLeft.contains("unpublished"));
}

TEST_CASE("The version counts non-empty flushes only", "[signaling]") {
  RosterDeltaBatcher batcher;
  CHECK(batcher.Version() == 0);
  CHECK_FALSE(batcher.Flush().has_value());  // nothing recorded
  CHECK(batcher.Version() == 0);

  batcher.ParticipantJoined("P1", "Ann");
  CHECK(FlushMessage(batcher)["version"] == 1);
  CHECK(batcher.Version() == 1);

  batcher.ParticipantJoined("P2", "Bob");
  batcher.ParticipantLeft("P2");
  CHECK_FALSE(batcher.Flush().has_value());  // coalesced to nothing
  CHECK(batcher.Version() == 1);

  batcher.ParticipantLeft("P1");
  CHECK(FlushMessage(batcher)["version"] == 2);
  CHECK(batcher.Version() == 2);
}

TEST_CASE("Entries follow event order within each array, whatever the ids", "[signaling]") {
  // The same events give the same text on every run (no hash-map order leaks out).
  auto run = [] {
    RosterDeltaBatcher batcher = WithEarlierBatch();
    batcher.TrackPublished("P2", Camera("Tq"));
    batcher.ParticipantJoined("Py", "Yan");
    batcher.TrackUnpublished("P1", "T2");
    batcher.TrackPublished("Py", Microphone("Ta"));
    batcher.ParticipantJoined("Pb", "Bea");
    batcher.TrackPublished("P2", Microphone("Tm"));
    batcher.TrackUnpublished("P1", "T1");
    return FlushMessage(batcher);
  };
  const Json message = run();
  CHECK(message ==
        Json{{"type", "roster"},
             {"version", 2},
             {"joined", {JoinedEntry("Py", "Yan"), JoinedEntry("Pb", "Bea")}},
             {"published",
              {PublishedEntry("P2", Camera("Tq")), PublishedEntry("Py", Microphone("Ta")),
               PublishedEntry("P2", Microphone("Tm"))}},
             {"unpublished", {UnpublishedEntry("P1", "T2"), UnpublishedEntry("P1", "T1")}}});
  for (int i = 0; i < 5; ++i) CHECK(run().dump() == message.dump());
}

TEST_CASE("What a snapshot showed is not coalesced away", "[signaling]") {
  RosterDeltaBatcher batcher = WithEarlierBatch();

  SECTION("a participant who joined before the snapshot and left after it gets left") {
    batcher.ParticipantJoined("P3", "Cid");
    batcher.TrackPublished("P3", Camera("T3"));
    batcher.SnapshotServed();
    batcher.ParticipantLeft("P3");
    CHECK(FlushMessage(batcher) == Json{{"type", "roster"}, {"version", 2}, {"left", {"P3"}}});
  }
  SECTION("a track published before the snapshot and unpublished after it gets unpublished") {
    batcher.TrackPublished("P2", Camera("T3"));
    batcher.SnapshotServed();
    batcher.TrackUnpublished("P2", "T3");
    CHECK(FlushMessage(batcher) == Json{{"type", "roster"},
                                        {"version", 2},
                                        {"unpublished", {UnpublishedEntry("P2", "T3")}}});
  }
  SECTION("a snapshot before the arrival or after the departure changes nothing") {
    batcher.SnapshotServed();
    batcher.ParticipantJoined("P3", "Cid");
    batcher.TrackPublished("P2", Camera("T3"));
    batcher.ParticipantLeft("P3");
    batcher.TrackUnpublished("P2", "T3");
    batcher.SnapshotServed();
    CHECK_FALSE(batcher.Flush().has_value());
  }
  SECTION("the snapshot mark ends with the batch") {
    batcher.SnapshotServed();
    CHECK(batcher.Empty());  // a snapshot is not an event
    REQUIRE_FALSE(batcher.Flush().has_value());
    batcher.ParticipantJoined("P3", "Cid");
    batcher.ParticipantLeft("P3");
    CHECK_FALSE(batcher.Flush().has_value());
  }
}

TEST_CASE("Counters report recorded and coalesced events", "[signaling]") {
  RosterDeltaBatcher batcher;
  batcher.ParticipantJoined("P1", "Ann");
  batcher.TrackPublished("P1", Camera("T1"));
  batcher.ParticipantJoined("P2", "Bob");
  batcher.TrackPublished("P2", Camera("T2"));
  batcher.TrackUnpublished("P2", "T2");
  batcher.ParticipantLeft("P2");
  batcher.SnapshotServed();  // not an event
  CHECK(batcher.EventsRecorded() == 6);
  CHECK(batcher.EventsCoalesced() == 0);  // counted at flush
  REQUIRE(batcher.Flush().has_value());   // joined P1, published T1
  CHECK(batcher.EventsCoalesced() == 4);

  batcher.TrackUnpublished("P1", "T1");
  batcher.ParticipantLeft("P1");
  REQUIRE(batcher.Flush().has_value());  // left P1 only
  CHECK(batcher.EventsRecorded() == 8);
  CHECK(batcher.EventsCoalesced() == 5);
}

namespace {

// A client's view of the room, built the way docs/protocol.md tells clients to.
struct TrackView {
  std::string kind;
  std::string source;
  bool operator==(const TrackView&) const = default;
};
struct ParticipantView {
  std::string name;
  std::map<std::string, TrackView> tracks;
  bool operator==(const ParticipantView&) const = default;
};
using RosterView = std::map<std::string, ParticipantView>;

struct Client {
  std::string participantId;
  std::uint64_t lastVersion = 0;  // rosterVersion of the snapshot, then of each applied batch
  RosterView roster;
};

// The live roster as a `joined` snapshot or a `rosterPage` shows it: everyone but the client.
RosterView SnapshotFor(const RosterView& truth, const std::string& participantId) {
  RosterView view = truth;
  view.erase(participantId);
  return view;
}

// Applies a `roster` batch in the documented order, skipping the client's own entries.
void Apply(Client& client, const Json& message) {
  const std::uint64_t version = message.at("version").get<std::uint64_t>();
  if (version <= client.lastVersion) return;   // already in the snapshot
  REQUIRE(version == client.lastVersion + 1);  // no batch was skipped
  client.lastVersion = version;
  const auto isSelf = [&](const std::string& id) { return id == client.participantId; };
  for (const Json& entry : message.value("joined", Json::array())) {
    const auto id = entry.at("participantId").get<std::string>();
    if (!isSelf(id)) client.roster[id].name = entry.at("name").get<std::string>();
  }
  for (const Json& entry : message.value("published", Json::array())) {
    const auto id = entry.at("participantId").get<std::string>();
    const auto participant = client.roster.find(id);
    if (isSelf(id) || participant == client.roster.end()) continue;
    participant->second.tracks[entry.at("trackId").get<std::string>()] = {
        entry.at("kind").get<std::string>(), entry.at("source").get<std::string>()};
  }
  for (const Json& entry : message.value("unpublished", Json::array())) {
    const auto id = entry.at("participantId").get<std::string>();
    const auto participant = client.roster.find(id);
    if (isSelf(id) || participant == client.roster.end()) continue;
    participant->second.tracks.erase(entry.at("trackId").get<std::string>());
  }
  for (const Json& entry : message.value("left", Json::array())) {
    if (!isSelf(entry.get<std::string>())) client.roster.erase(entry.get<std::string>());
  }
}

template <typename Map>
auto PickKey(const Map& map, std::mt19937& random) {
  auto it = map.begin();
  std::advance(it, random() % map.size());
  return it->first;
}

}  // namespace

TEST_CASE("Snapshots plus batches converge on the true roster (seeded random events)",
          "[signaling]") {
  // Every participant is also a client: it gets a snapshot when it joins (and, now and then, a
  // fresh page), then every batch. After each flush each client's view must equal the room minus
  // itself, which is what docs/protocol.md promises for idempotent, coalesced batches.
  std::mt19937 random(20240611);
  RosterDeltaBatcher batcher;
  RosterView truth;
  std::map<std::string, std::string> trackOwner;  // live trackId -> participantId
  std::map<std::string, Client> clients;
  int nextId = 0;
  int flushes = 0;
  int emptyFlushes = 0;

  auto checkConverged = [&] {
    for (const auto& [id, client] : clients) {
      INFO("client " << id << " at version " << client.lastVersion);
      REQUIRE(client.roster == SnapshotFor(truth, id));
    }
  };
  auto flush = [&] {
    const std::uint64_t before = batcher.Version();
    const std::optional<Json> message = batcher.Flush();
    ++flushes;
    if (message) {
      REQUIRE(message->at("version") == before + 1);
      for (auto& [id, client] : clients) Apply(client, *message);
    } else {
      ++emptyFlushes;
    }
    checkConverged();
  };
  auto leave = [&](const std::string& id) {
    // A room may or may not unpublish the tracks one by one before the leave.
    const bool unpublishFirst = random() % 2 == 0;
    for (const auto& [trackId, view] : truth.at(id).tracks) {
      trackOwner.erase(trackId);
      if (unpublishFirst) batcher.TrackUnpublished(id, trackId);
    }
    truth.erase(id);
    clients.erase(id);
    batcher.ParticipantLeft(id);
  };

  constexpr int kEvents = 10000;
  constexpr size_t kMaxParticipants = 40;
  for (int event = 0; event < kEvents; ++event) {
    const unsigned dice = random() % 100;
    if (dice < 25 && truth.size() < kMaxParticipants) {
      const std::string id = "P" + std::to_string(nextId++);
      const std::string name = "name" + std::to_string(random() % 1000);
      truth[id].name = name;
      batcher.ParticipantJoined(id, name);
      // The `joined` reply: the live roster as of Version(), then batches after it.
      clients[id] = {id, batcher.Version(), SnapshotFor(truth, id)};
      batcher.SnapshotServed();
    } else if (dice < 40 && !truth.empty()) {
      leave(PickKey(truth, random));
    } else if (dice < 65 && !truth.empty()) {
      const std::string owner = PickKey(truth, random);
      const std::string trackId = "T" + std::to_string(nextId++);
      const bool audio = random() % 2 == 0;
      const RosterDeltaBatcher::Track track = audio ? Microphone(trackId) : Camera(trackId);
      truth[owner].tracks[trackId] = {track.kind, track.source};
      trackOwner[trackId] = owner;
      batcher.TrackPublished(owner, track);
    } else if (dice < 82 && !trackOwner.empty()) {
      const std::string trackId = PickKey(trackOwner, random);
      const std::string owner = trackOwner.at(trackId);
      truth[owner].tracks.erase(trackId);
      trackOwner.erase(trackId);
      batcher.TrackUnpublished(owner, trackId);
    } else if (dice < 88 && !clients.empty()) {
      // A `rosterPage` (here the whole roster): the live state replaces the client's view.
      Client& client = clients.at(PickKey(clients, random));
      client.roster = SnapshotFor(truth, client.participantId);
      batcher.SnapshotServed();
    } else {
      flush();
    }
  }
  flush();

  CHECK(batcher.EventsRecorded() > static_cast<std::uint64_t>(kEvents / 2));
  // The sequence exercised coalescing and batches that coalesced to nothing.
  CHECK(batcher.EventsCoalesced() > 100);
  CHECK(emptyFlushes > 0);
  CHECK(batcher.Version() == static_cast<std::uint64_t>(flushes - emptyFlushes));
}

TEST_CASE("Mute and hand changes coalesce per track and participant, in event order",
          "[signaling]") {
  using myriad::signaling::MutedBy;
  using myriad::signaling::TrackMuteState;
  const TrackMuteState open;
  const TrackMuteState selfMuted{true, MutedBy::kSelf, false};
  const TrackMuteState hostLocked{true, MutedBy::kHost, true};
  const auto mutedEntry = [](const std::string& participantId, const std::string& trackId,
                             const TrackMuteState& state) {
    return Json{{"participantId", participantId},
                {"trackId", trackId},
                {"muted", state.muted},
                {"by", std::string(myriad::signaling::ToString(state.by))},
                {"locked", state.locked}};
  };

  SECTION("the last state of each wins; hands likewise") {
    auto batcher = WithEarlierBatch();
    const auto version = batcher.Version();
    batcher.TrackMuteChanged("P1", "T2", open, selfMuted);
    batcher.HandChanged("P2", false, true);
    batcher.TrackMuteChanged("P1", "T1", open, selfMuted);
    batcher.TrackMuteChanged("P1", "T2", selfMuted, hostLocked);
    const Json message = FlushMessage(batcher);
    CHECK(message["version"] == version + 1);
    // Ordered by each entry's last event: T1 (3rd), then T2 (4th).
    CHECK(message["muted"] ==
          Json::array({mutedEntry("P1", "T1", selfMuted), mutedEntry("P1", "T2", hostLocked)}));
    CHECK(message["hands"] == Json::array({Json{{"participantId", "P2"}, {"raised", true}}}));
    CHECK(!message.contains("joined"));
  }
  SECTION("a change that ends where it started sends nothing") {
    auto batcher = WithEarlierBatch();
    batcher.TrackMuteChanged("P1", "T2", open, selfMuted);
    batcher.TrackMuteChanged("P1", "T2", selfMuted, open);
    batcher.HandChanged("P2", false, true);
    batcher.HandChanged("P2", true, false);
    CHECK(!batcher.Empty());
    CHECK(!batcher.Flush().has_value());
    CHECK(batcher.EventsCoalesced() >= 4);
  }
  SECTION("...unless a snapshot in between may have shown the middle") {
    auto batcher = WithEarlierBatch();
    batcher.TrackMuteChanged("P1", "T2", open, selfMuted);
    batcher.SnapshotServed();
    batcher.TrackMuteChanged("P1", "T2", selfMuted, open);
    const Json message = FlushMessage(batcher);
    CHECK(message["muted"] == Json::array({mutedEntry("P1", "T2", open)}));
  }
  SECTION("entries of an unpublished track or a departed participant are left out") {
    auto batcher = WithEarlierBatch();
    batcher.TrackMuteChanged("P1", "T1", open, selfMuted);
    batcher.TrackUnpublished("P1", "T1");
    batcher.HandChanged("P2", false, true);
    batcher.ParticipantLeft("P2");
    const Json message = FlushMessage(batcher);
    CHECK(!message.contains("muted"));
    CHECK(!message.contains("hands"));
    CHECK(message["unpublished"] == Json::array({UnpublishedEntry("P1", "T1")}));
    CHECK(message["left"] == Json::array({"P2"}));
  }
  SECTION("a track published and muted in one batch gets both entries") {
    auto batcher = WithEarlierBatch();
    batcher.TrackPublished("P2", Microphone("T9"));
    batcher.TrackMuteChanged("P2", "T9", open, hostLocked);
    const Json message = FlushMessage(batcher);
    CHECK(message["published"] == Json::array({PublishedEntry("P2", Microphone("T9"))}));
    CHECK(message["muted"] == Json::array({mutedEntry("P2", "T9", hostLocked)}));
  }
}
