#include "signaling/TrackMuteState.h"

namespace myriad::signaling {

std::string_view ToString(MutedBy by) {
  switch (by) {
    case MutedBy::kSelf:
      return "self";
    case MutedBy::kHost:
      return "host";
    case MutedBy::kNobody:
      break;
  }
  return "";
}

}  // namespace myriad::signaling
