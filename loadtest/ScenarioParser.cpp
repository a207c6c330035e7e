#include "loadtest/ScenarioParser.h"

#include <cmath>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

namespace myriad::loadtest {
namespace {

using Json = nlohmann::json;

// Reads one JSON object's keys into fields, remembering the first error.
// Every key must be consumed: what is left is an unknown key.
class ObjectReader {
 public:
  ObjectReader(const Json& object, std::string path, std::string* error)
      : object_(object), path_(std::move(path)), error_(error) {
    if (!object_.is_object()) {
      Fail(path_.empty() ? "the scenario must be a JSON object" : Where("") + "must be an object");
    }
  }

  bool Ok() const { return error_->empty(); }

  void Number(const char* key, double& out, double min, double max) {
    const Json* value = Take(key);
    if (!value) return;
    if (!value->is_number()) return Fail(Where(key) + "must be a number, got " + TypeOf(*value));
    const double number = value->get<double>();
    if (!(number >= min && number <= max)) {
      return Fail(Where(key) + "must be between " + Format(min) + " and " + Format(max) + ", got " +
                  Format(number));
    }
    out = number;
  }

  template <typename Integer>
  void Integral(const char* key, Integer& out, int64_t min, int64_t max) {
    const Json* value = Take(key);
    if (!value) return;
    if (!value->is_number_integer()) {
      return Fail(Where(key) + "must be an integer, got " + TypeOf(*value));
    }
    const auto number = value->get<int64_t>();
    if (number < min || number > max) {
      return Fail(Where(key) + "must be between " + std::to_string(min) + " and " +
                  std::to_string(max) + ", got " + std::to_string(number));
    }
    out = static_cast<Integer>(number);
  }

  template <typename Integer>
  void OptionalIntegral(const char* key, std::optional<Integer>& out, int64_t min, int64_t max) {
    if (!object_.contains(key)) return;
    Integer value{};
    Integral(key, value, min, max);
    if (Ok()) out = value;
  }

  void Boolean(const char* key, bool& out) {
    const Json* value = Take(key);
    if (!value) return;
    if (!value->is_boolean())
      return Fail(Where(key) + "must be true or false, got " + TypeOf(*value));
    out = value->get<bool>();
  }

  void String(const char* key, std::string& out) {
    const Json* value = Take(key);
    if (!value) return;
    if (!value->is_string()) return Fail(Where(key) + "must be a string, got " + TypeOf(*value));
    out = value->get<std::string>();
  }

  // A string that must be one of `allowed`.
  void Choice(const char* key, std::string& out, std::initializer_list<std::string_view> allowed) {
    std::string value;
    const bool present = object_.contains(key);
    String(key, value);
    if (!present || !Ok()) return;
    std::string list;
    for (const std::string_view option : allowed) {
      if (value == option) {
        out = value;
        return;
      }
      list += (list.empty() ? "\"" : ", \"") + std::string(option) + "\"";
    }
    Fail(Where(key) + "must be one of " + list + ", got \"" + value + "\"");
  }

  // A nested object read by `read`, or an array of objects.
  void Object(const char* key, const std::function<void(ObjectReader&)>& read) {
    const Json* value = Take(key);
    if (!value) return;
    ObjectReader nested(*value, Name(key), error_);
    if (!nested.Ok()) return;
    read(nested);
    nested.Finish();
  }

  void Array(const char* key, const std::function<void(ObjectReader&)>& readElement,
             size_t minSize) {
    const Json* value = Take(key);
    if (!value) return;
    if (!value->is_array()) return Fail(Where(key) + "must be an array, got " + TypeOf(*value));
    if (value->size() < minSize) {
      return Fail(Where(key) + "must have at least " + std::to_string(minSize) + " entries");
    }
    for (size_t i = 0; i < value->size() && Ok(); ++i) {
      ObjectReader element((*value)[i], Name(key) + "[" + std::to_string(i) + "]", error_);
      if (!element.Ok()) return;
      readElement(element);
      element.Finish();
    }
  }

  // Fails on the first key nobody read.
  void Finish() {
    if (!Ok() || !object_.is_object()) return;
    for (const auto& [key, value] : object_.items()) {
      if (!taken_.count(key)) return Fail("unknown key \"" + Name(key) + "\"");
    }
  }

 private:
  const Json* Take(const char* key) {
    if (!Ok()) return nullptr;
    taken_.insert(key);
    const auto it = object_.find(key);
    return it == object_.end() ? nullptr : &*it;
  }
  std::string Name(const std::string& key) const { return path_.empty() ? key : path_ + "." + key; }
  std::string Where(const std::string& key) const {
    return "\"" + (key.empty() ? path_ : Name(key)) + "\" ";
  }
  static std::string TypeOf(const Json& value) { return value.type_name(); }
  static std::string Format(double value) {
    std::ostringstream out;
    out << value;
    return out.str();
  }
  void Fail(const std::string& message) {
    if (error_->empty()) *error_ = message;
  }

  const Json& object_;
  std::string path_;
  std::string* error_;
  std::set<std::string> taken_;
};

constexpr int64_t kMaxCount = 100000;

void ReadThresholds(ObjectReader& reader, Thresholds& thresholds) {
  for (const auto& name : Thresholds::Names()) {
    double value = std::numeric_limits<double>::quiet_NaN();
    reader.Number(name.c_str(), value, 0, 1e12);
    if (!std::isnan(value)) thresholds.Set(name, value);
  }
}

void ReadScenario(ObjectReader& reader, Scenario& s) {
  reader.String("name", s.name);
  reader.String("description", s.description);
  reader.String("room", s.room);
  reader.Integral("rooms", s.rooms, 1, 1000);
  reader.Integral("participants", s.participants, 1, kMaxCount);
  reader.OptionalIntegral("audioPublishers", s.audioPublishers, 0, kMaxCount);
  reader.Integral("videoPublishers", s.videoPublishers, 0, kMaxCount);
  reader.OptionalIntegral("audioSubscribers", s.audioSubscribers, 0, kMaxCount);
  reader.Integral("videoSubscribers", s.videoSubscribers, 0, kMaxCount);
  reader.Number("durationSeconds", s.durationSeconds, 1, 86400);
  reader.Number("maxRunSeconds", s.maxRunSeconds, 0, 86400);
  reader.Number("joinRatePerSecond", s.joinRatePerSecond, 0.1, 100000);
  reader.Integral("seed", s.seed, 0, 0xFFFFFFFF);
  reader.Boolean("fetchFullRoster", s.fetchFullRoster);
  reader.Integral("smoothingWindowMs", s.smoothingWindowMs, 0, 60000);
  reader.Object("audio", [&s](ObjectReader& audio) {
    audio.Number("talkingShare", s.audio.talkingShare, 0, 1);
    audio.Integral("minSpurtMs", s.audio.minSpurtMs, 20, 3600000);
    audio.Integral("maxSpurtMs", s.audio.maxSpurtMs, 20, 3600000);
    audio.Integral("loudestDbov", s.audio.loudestDbov, -127, 0);
    audio.Integral("quietestDbov", s.audio.quietestDbov, -127, 0);
    audio.OptionalIntegral("foregroundTalkers", s.audio.foregroundTalkers, 1, kMaxCount);
    audio.Integral("backgroundGapDb", s.audio.backgroundGapDb, 0, 100);
    audio.Integral("silenceLevel", s.audio.silenceLevel, 0, 127);
    audio.Integral("priorityPublishers", s.audio.priorityPublishers, 0, kMaxCount);
    audio.Integral("minPayloadBytes", s.audio.minPayloadBytes, 24, 1200);
    audio.Integral("maxPayloadBytes", s.audio.maxPayloadBytes, 24, 1200);
  });
  reader.Object("video", [&s](ObjectReader& video) {
    video.Integral("framesPerSecond", s.video.framesPerSecond, 1, 120);
    video.Integral("maxPacketBytes", s.video.maxPacketBytes, 100, 1400);
    std::vector<Scenario::VideoStream> streams;
    video.Array(
        "streams",
        [&streams](ObjectReader& stream) {
          Scenario::VideoStream entry;
          stream.String("rid", entry.rid);
          stream.Integral("kbps", entry.kbps, 1, 50000);
          streams.push_back(entry);
        },
        1);
    if (!streams.empty()) s.video.streams = streams;
  });
  reader.Object("viewport", [&s](ObjectReader& viewport) {
    viewport.Integral("pageSize", s.viewport.pageSize, 1, 1000);
    viewport.Boolean("prefetchNextPage", s.viewport.prefetchNextPage);
    viewport.Number("flipEverySeconds", s.viewport.flipEverySeconds, 0, 86400);
    viewport.Integral("videoLevel", s.viewport.videoLevel, -1, 9);
  });
  reader.Object("server", [&s](ObjectReader& server) {
    server.OptionalIntegral("audioSlots", s.server.audioSlots, 0, 64);
    server.OptionalIntegral("maxParticipants", s.server.maxParticipants, 1, kMaxCount);
    server.OptionalIntegral("maxPublishers", s.server.maxPublishers, 0, kMaxCount);
    // The server's own range (config/README.md); 0 = naive per-event broadcast.
    server.OptionalIntegral("rosterBatchIntervalMs", s.server.rosterBatchIntervalMs, 0, 5000);
    server.OptionalIntegral("rosterPageSize", s.server.rosterPageSize, 1, kMaxCount);
  });
  reader.Object("impairment", [&s](ObjectReader& impairment) {
    impairment.Integral("oneWayDelayMs", s.impairment.oneWayDelayMs, 0, 10000);
    impairment.Number("lossPercent", s.impairment.lossPercent, 0, 100);
    impairment.Integral("seed", s.impairment.seed, 0, 0xFFFFFFFF);
    std::string path = "in-process";
    impairment.Choice("path", path, {"in-process", "relay"});
    s.impairment.path = path == "relay" ? Scenario::Impairment::Path::kRelay
                                        : Scenario::Impairment::Path::kInProcess;
  });
  reader.Object("control", [&s](ObjectReader& control) {
    control.Integral("messages", s.control.messages, 0, 10 * kMaxCount);
    control.Number("ratePerSecond", s.control.ratePerSecond, 0.1, 100000);
    control.Boolean("dataChannel", s.control.dataChannel);
    control.Integral("hosts", s.control.hosts, 0, kMaxCount);
    control.Integral("holdMs", s.control.holdMs, 0, 600000);
    control.Number("startSeconds", s.control.startSeconds, 0, 86400);
    control.Number("hostMuteWeight", s.control.hostMuteWeight, 0, 1000);
    control.Number("selfMuteWeight", s.control.selfMuteWeight, 0, 1000);
    control.Number("handWeight", s.control.handWeight, 0, 1000);
    control.Integral("replyTimeoutMs", s.control.replyTimeoutMs, 100, 600000);
  });
  reader.Object("thresholds",
                [&s](ObjectReader& thresholds) { ReadThresholds(thresholds, s.thresholds); });
}

}  // namespace

std::optional<Scenario> ScenarioParser::Parse(std::string_view text, const std::string& origin,
                                              std::string* error) {
  error->clear();
  const Json document = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    *error = origin + ": not valid JSON";
    return std::nullopt;
  }
  Scenario scenario;
  ObjectReader reader(document, "", error);
  if (reader.Ok()) {
    ReadScenario(reader, scenario);
    reader.Finish();
  }
  if (error->empty()) *error = scenario.Validate();
  if (!error->empty()) {
    *error = origin + ": " + *error;
    return std::nullopt;
  }
  return scenario;
}

std::optional<Scenario> ScenarioParser::LoadFile(const std::string& path, std::string* error) {
  std::ifstream in(path);
  if (!in) {
    *error = "cannot read scenario file \"" + path + "\"";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), "scenario \"" + path + "\"", error);
}

std::optional<Scenario> ScenarioParser::Load(const std::string& nameOrPath,
                                             const std::string& directory, std::string* error) {
  const bool isPath = nameOrPath.find('/') != std::string::npos ||
                      (nameOrPath.size() > 5 && nameOrPath.ends_with(".json"));
  return LoadFile(isPath ? nameOrPath : directory + "/" + nameOrPath + ".json", error);
}

}  // namespace myriad::loadtest
