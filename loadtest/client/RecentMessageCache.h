#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace myriad::loadtest {

// The last few server messages a thread parsed, by their exact text. The
// server serialises a room's roster batch once and sends the same text to
// every participant, so a thread running a thousand clients of one room
// would parse the same JSON a thousand times; with this it parses it once.
// (Replies carry request ids and never repeat: callers cache broadcasts.)
class RecentMessageCache {
 public:
  static constexpr size_t kEntries = 8;

  // The parsed message for `text`, or nullptr if it is not cached.
  std::shared_ptr<const nlohmann::json> Find(std::string_view text) const;
  // Remembers `parsed` for `text`, replacing the oldest entry.
  void Insert(std::string text, std::shared_ptr<const nlohmann::json> parsed);

  size_t Hits() const { return hits_; }

 private:
  struct Entry {
    std::string text;
    std::shared_ptr<const nlohmann::json> parsed;
  };
  std::array<Entry, kEntries> entries_;
  size_t next_ = 0;
  mutable size_t hits_ = 0;
};

}  // namespace myriad::loadtest
