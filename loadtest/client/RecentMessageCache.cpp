#include "loadtest/client/RecentMessageCache.h"

namespace myriad::loadtest {

std::shared_ptr<const nlohmann::json> RecentMessageCache::Find(std::string_view text) const {
  for (const Entry& entry : entries_) {
    if (entry.parsed && entry.text == text) {
      ++hits_;
      return entry.parsed;
    }
  }
  return nullptr;
}

void RecentMessageCache::Insert(std::string text, std::shared_ptr<const nlohmann::json> parsed) {
  entries_[next_] = Entry{std::move(text), std::move(parsed)};
  next_ = (next_ + 1) % kEntries;
}

}  // namespace myriad::loadtest
