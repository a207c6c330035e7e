#pragma once

#include <vector>

namespace myriad::simulcast {

// Which simulcast encoding (rid, RFC 8851) carries which planned ladder level
// (TierPlan::levels) of one published track. Encodings are listed in
// ascending size, so levels go to rids in ascending order. A level that stays
// planned keeps the rid it had: a browser restarts an encoding whose size
// changes (Chromium's VP8: ~300 ms without frames and a key frame on every
// encoding), stalling everyone who watches it, while pausing or resuming
// another encoding costs its own viewers only.
//
// Pure logic; allocates (signalling-rate work, not the packet path).
class RidAssignment {
 public:
  static constexpr int kPaused = -1;

  // `previous`: the level each rid carried (kPaused for none), one entry per
  // rid. `levels`: the new plan's levels, ascending; at most previous.size()
  // are placed (the lowest ones when there are more). `nominal` (optional,
  // one entry per rid): the level each rid's encoding has before any plan
  // touches it, the size the browser was told at negotiation (the SDK's q, h
  // and f are a quarter, half and the full capture). Returns the level of
  // each rid: of all order-preserving placements, the one that keeps most
  // levels on their previous rid; of equals, the one that pauses or resumes
  // fewest rids; of equals, the one whose levels are nearest to the rids'
  // nominal ones (a first plan then resizes no encoding it can avoid: moving
  // the full-size tier onto the quarter-size encoding while pausing the
  // others left Chromium sending nothing); of equals, the one using the
  // lowest rids.
  static std::vector<int> Assign(const std::vector<int>& previous, const std::vector<int>& levels,
                                 const std::vector<int>& nominal = {});
};

}  // namespace myriad::simulcast
