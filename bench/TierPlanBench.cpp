// myriad-bench-tiers: the resolution each viewer of one camera receives with Myriad's tier
// planning (ten ladder levels aggregated into the publisher's tier budget, issue 4) against fixed
// simulcast, and how many pixels per second the publisher encodes for it.
//
// Not a timing benchmark: it runs the server's own planning code (simulcast::TierPlanner on
// SimulcastLadder::Default) on rooms of viewers and tabulates the outcome. Deterministic: no
// randomness and no clock (the planner's time stays at 0, where a fresh plan is due at once).
//
// Model (the SDK's rule, devicePixelRatio 1): a viewer's tile height follows from its screen and
// layout; it asks for SimulcastLadder::LevelForHeight(tile height). One publisher with a 1280x720
// camera (source level NearestLevelAtMost(720)).
//  - Myriad ("A<budget>"): TierPlanner with that tier budget; a viewer receives the level of
//    LevelForSubscriber. "A'" ("A''") is Myriad with the largest budget in 3, 2, 1 whose encoded
//    pixels per second do not exceed those of fixed three-size (two-size) simulcast.
//  - Fixed simulcast ("B" = 180p + 720p, "C" = 180p/360p/720p, the browser's default q/h/f from a
//    720p camera): a viewer receives the highest layer not above the height of the level it asks
//    for, else the lowest layer (how the "before" numbers arise: 2x2 -> 360p).
// Encoded pixels per second: width x height x frame rate of every encoded layer, from the ladder
// (90p and 180p at 15 fps, the rest at 30), capped at the source size.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "simulcast/SimulcastLadder.h"
#include "simulcast/TierPlanner.h"

namespace {

using myriad::simulcast::SimulcastLadder;
using myriad::simulcast::TierPlanner;

constexpr int kSourceWidth = 1280;
constexpr int kSourceHeight = 720;
constexpr int kBrowserTierBudget = 3;  // the most simulcast encodings a browser produces
const std::vector<int> kTwoSizeHeights{180, 720};
const std::vector<int> kThreeSizeHeights{180, 360, 720};

// Where the viewer's tiles are laid out: the screen minus what is not video (browser chrome,
// the meeting's toolbar).
struct Screen {
  std::string name;
  int width = 0;
  int height = 0;
  int reservedHeight = 0;
  bool runByDefault = true;
  std::string description;
};

const std::vector<Screen>& Screens() {
  static const std::vector<Screen> screens{
      {"desktop", 1920, 1080, 0, true, "1920x1080, tiles fill the whole screen"},
      {"laptop", 1280, 720, 0, true, "1280x720, tiles fill the whole screen"},
      {"laptop-window", 1280, 720, 150, true,
       "1280x720 in a maximised browser: 150 px of tabs, address bar and meeting toolbar, grid "
       "area 1280x570"},
      // Not run by default: every tile of it asks for the same level as on "desktop".
      {"desktop-window", 1920, 1080, 150, false,
       "1920x1080 in a maximised browser: 150 px of tabs, address bar and meeting toolbar, grid "
       "area 1920x930"},
  };
  return screens;
}

enum class LayoutKind {
  kGrid,     // N x N equal tiles
  kSpeaker,  // the publisher is the active speaker: the area above a one-sixth film strip
  kStrip,    // the publisher is a film-strip thumbnail: six across, one sixth of the height
};

struct Layout {
  std::string name;
  LayoutKind kind = LayoutKind::kGrid;
  int gridSize = 1;
};

const std::vector<Layout>& Layouts() {
  static const std::vector<Layout> layouts{
      {"1x1", LayoutKind::kGrid, 1},        {"2x2", LayoutKind::kGrid, 2},
      {"3x3", LayoutKind::kGrid, 3},        {"4x4", LayoutKind::kGrid, 4},
      {"5x5", LayoutKind::kGrid, 5},        {"7x7", LayoutKind::kGrid, 7},
      {"speaker", LayoutKind::kSpeaker, 1}, {"strip", LayoutKind::kStrip, 6},
  };
  return layouts;
}

const Layout& FindLayout(const std::string& name) {
  for (const Layout& layout : Layouts()) {
    if (layout.name == name) return layout;
  }
  std::fprintf(stderr, "myriad-bench-tiers: unknown layout %s\n", name.c_str());
  std::exit(2);
}

// The height of a 16:9 picture fitted into a box (letterboxed on the shorter side).
int FittedHeight(int boxWidth, int boxHeight) { return std::min(boxHeight, boxWidth * 9 / 16); }

int TileHeight(const Screen& screen, const Layout& layout) {
  const int areaWidth = screen.width;
  const int areaHeight = screen.height - screen.reservedHeight;
  switch (layout.kind) {
    case LayoutKind::kGrid:
      return FittedHeight(areaWidth / layout.gridSize, areaHeight / layout.gridSize);
    case LayoutKind::kSpeaker:
      return FittedHeight(areaWidth, areaHeight - areaHeight / 6);
    case LayoutKind::kStrip:
      return FittedHeight(areaWidth / layout.gridSize, areaHeight / 6);
  }
  return 0;
}

struct MixEntry {
  std::string layout;
  int viewers = 0;
};

struct Mix {
  std::string name;
  std::vector<MixEntry> entries;
};

const std::vector<Mix>& Mixes() {
  static const std::vector<Mix> mixes{
      {"one-each", {{"1x1", 1}, {"2x2", 1}, {"3x3", 1}}},
      {"issue-room", {{"1x1", 1}, {"2x2", 10}, {"3x3", 10}}},
      {"grids", {{"2x2", 10}, {"3x3", 10}}},
      {"all-2x2", {{"2x2", 10}}},
      {"all-3x3", {{"3x3", 10}}},
      {"every-layout",
       {{"1x1", 2},
        {"2x2", 2},
        {"3x3", 2},
        {"4x4", 2},
        {"5x5", 2},
        {"7x7", 2},
        {"speaker", 2},
        {"strip", 2}}},
      {"speaker-view", {{"speaker", 20}, {"strip", 10}, {"3x3", 5}}},
  };
  return mixes;
}

struct Viewer {
  std::string layout;
  int tileHeight = 0;
  int wantedLevel = 0;
};

// What one strategy gives a room.
struct Outcome {
  std::string name;
  int budget = 0;                  // Myriad only
  std::vector<int> encodedLevels;  // ladder levels the publisher encodes, ascending
  std::vector<int> received;       // per viewer: the ladder level it receives
  int64_t encodedPixelsPerSecond = 0;
};

int CappedHeight(const SimulcastLadder& ladder, int level) {
  return std::min(ladder.Level(level).height, kSourceHeight);
}

int64_t PixelsPerSecond(const SimulcastLadder& ladder, int level) {
  const SimulcastLadder::LevelSpec& spec = ladder.Level(level);
  return static_cast<int64_t>(std::min(spec.width, kSourceWidth)) *
         std::min(spec.height, kSourceHeight) * spec.maxFramerate;
}

int64_t EncodedPixelsPerSecond(const SimulcastLadder& ladder, const std::vector<int>& levels) {
  int64_t total = 0;
  for (const int level : levels) total += PixelsPerSecond(ladder, level);
  return total;
}

Outcome PlanMyriad(const SimulcastLadder& ladder, const std::vector<Viewer>& viewers, int budget) {
  TierPlanner planner(ladder, TierPlanner::Options{});
  planner.SetTierBudget(budget);
  planner.SetSourceLevel(ladder.NearestLevelAtMost(kSourceHeight));
  for (size_t i = 0; i < viewers.size(); ++i) planner.SetDemand(i, viewers[i].wantedLevel, 0);
  planner.Update(0);

  Outcome outcome;
  outcome.name = "A" + std::to_string(budget);
  outcome.budget = budget;
  outcome.encodedLevels = planner.Current().levels;
  for (size_t i = 0; i < viewers.size(); ++i) {
    outcome.received.push_back(planner.LevelForSubscriber(i).value_or(0));
  }
  outcome.encodedPixelsPerSecond = EncodedPixelsPerSecond(ladder, outcome.encodedLevels);
  return outcome;
}

Outcome PlanFixed(const SimulcastLadder& ladder, const std::vector<Viewer>& viewers,
                  const std::string& name, const std::vector<int>& heights) {
  Outcome outcome;
  outcome.name = name;
  for (const int height : heights) {
    const int level = ladder.LevelForHeight(height);
    if (ladder.Level(level).height != height) {
      std::fprintf(stderr, "myriad-bench-tiers: fixed layer %dp is not a ladder level\n", height);
      std::exit(2);
    }
    outcome.encodedLevels.push_back(level);
  }
  for (const Viewer& viewer : viewers) {
    const int wantedHeight = ladder.Level(viewer.wantedLevel).height;
    int received = outcome.encodedLevels.front();
    for (const int level : outcome.encodedLevels) {
      if (ladder.Level(level).height <= wantedHeight) received = level;
    }
    outcome.received.push_back(received);
  }
  outcome.encodedPixelsPerSecond = EncodedPixelsPerSecond(ladder, outcome.encodedLevels);
  return outcome;
}

struct Options {
  std::vector<std::string> screens;
  std::vector<std::string> mixes;
  std::string jsonPath;
};

[[noreturn]] void Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "myriad-bench-tiers: " << error << "\n";
  std::cerr << "usage: myriad-bench-tiers [--screens desktop,laptop,laptop-window]\n"
               "         [--mixes one-each,issue-room,...] [--json FILE]\n"
               "screens:";
  for (const Screen& screen : Screens()) std::cerr << " " << screen.name;
  std::cerr << "\nmixes:";
  for (const Mix& mix : Mixes()) std::cerr << " " << mix.name;
  std::cerr << "\n";
  std::exit(error.empty() ? 0 : 2);
}

std::vector<std::string> SplitList(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream stream(list);
  for (std::string item; std::getline(stream, item, ',');) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Usage(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--help") Usage("");
    if (arg == "--screens") {
      options.screens = SplitList(value());
    } else if (arg == "--mixes") {
      options.mixes = SplitList(value());
    } else if (arg == "--json") {
      options.jsonPath = value();
    } else {
      Usage("unknown option " + arg);
    }
  }
  if (options.screens.empty()) {
    for (const Screen& screen : Screens()) {
      if (screen.runByDefault) options.screens.push_back(screen.name);
    }
  }
  if (options.mixes.empty()) {
    for (const Mix& mix : Mixes()) options.mixes.push_back(mix.name);
  }
  return options;
}

const Screen& FindScreen(const std::string& name) {
  for (const Screen& screen : Screens()) {
    if (screen.name == name) return screen;
  }
  Usage("unknown screen " + name);
}

const Mix& FindMix(const std::string& name) {
  for (const Mix& mix : Mixes()) {
    if (mix.name == name) return mix;
  }
  Usage("unknown mix " + name);
}

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

std::string Megapixels(int64_t pixelsPerSecond) {
  return Format("%.2f", static_cast<double>(pixelsPerSecond) / 1e6);
}

std::string LevelList(const SimulcastLadder& ladder, const std::vector<int>& levels) {
  std::string text;
  for (const int level : levels) {
    if (!text.empty()) text += "+";
    text += std::to_string(CappedHeight(ladder, level));
  }
  return text.empty() ? "-" : text;
}

// Averages of received height over `indices` (viewers), and of that height capped at what the
// viewer asked for (a picture taller than the level it asked for is scaled down on screen).
struct Averages {
  double received = 0;
  double useful = 0;
};

Averages Average(const SimulcastLadder& ladder, const std::vector<Viewer>& viewers,
                 const Outcome& outcome, const std::vector<size_t>& indices) {
  Averages averages;
  if (indices.empty()) return averages;
  for (const size_t i : indices) {
    const int received = CappedHeight(ladder, outcome.received[i]);
    averages.received += received;
    averages.useful += std::min(received, CappedHeight(ladder, viewers[i].wantedLevel));
  }
  averages.received /= static_cast<double>(indices.size());
  averages.useful /= static_cast<double>(indices.size());
  return averages;
}

// Pixels per second all viewers together receive (the SFU's sending, the viewers' decoding).
int64_t DownlinkPixelsPerSecond(const SimulcastLadder& ladder, const Outcome& outcome) {
  int64_t total = 0;
  for (const int level : outcome.received) total += PixelsPerSecond(ladder, level);
  return total;
}

// The strategies of a scenario, in this order.
enum Strategy : size_t {
  kTwoSize,          // B
  kThreeSize,        // C
  kBrowserBudget,    // A3
  kNativeBudget,     // A4
  kAtMostThreeSize,  // A': Myriad encoding no more than C
  kAtMostTwoSize,    // A'': Myriad encoding no more than B
  kStrategyCount,
};

// Quotients of average heights the tables show: Myriad against the fixed ladders.
struct Ratio {
  Strategy numerator;
  Strategy denominator;
  const char* label;
};
constexpr Ratio kRatios[] = {
    {kBrowserBudget, kTwoSize, "A3/B"},
    {kBrowserBudget, kThreeSize, "A3/C"},
    {kAtMostThreeSize, kThreeSize, "A'/C"},
    {kAtMostTwoSize, kTwoSize, "A''/B"},
};

struct ScenarioSummary {
  std::string screen;
  std::string mix;
  size_t viewers = 0;
  std::vector<Outcome> outcomes;  // by Strategy
  std::vector<Averages> overall;  // by Strategy
};

// Myriad with the browser's budget, reduced (3, 2, 1) until it encodes at most `pixelsPerSecond`;
// budget 1 if even that encodes more.
Outcome PlanMyriadWithin(const SimulcastLadder& ladder, const std::vector<Viewer>& viewers,
                         int64_t pixelsPerSecond, const std::string& name) {
  for (int budget = kBrowserTierBudget;; --budget) {
    Outcome outcome = PlanMyriad(ladder, viewers, budget);
    if (outcome.encodedPixelsPerSecond <= pixelsPerSecond || budget == 1) {
      outcome.name = name;
      return outcome;
    }
  }
}

std::string Heading(const Outcome& outcome, Strategy strategy) {
  switch (strategy) {
    case kTwoSize:
      return "B 180+720";
    case kThreeSize:
      return "C 180/360/720";
    case kAtMostThreeSize:
    case kAtMostTwoSize:
      return outcome.name + " (budget " + std::to_string(outcome.budget) + ")";
    default:
      return outcome.name;
  }
}

void PrintRow(const std::string& label, const std::vector<std::string>& cells) {
  std::printf("| %s |", label.c_str());
  for (const std::string& cell : cells) std::printf(" %s |", cell.c_str());
  std::printf("\n");
}

ScenarioSummary RunScenario(const SimulcastLadder& ladder, const Screen& screen, const Mix& mix,
                            nlohmann::json* report) {
  std::vector<Viewer> viewers;
  std::vector<std::vector<size_t>> viewersByEntry;
  for (const MixEntry& entry : mix.entries) {
    const Layout& layout = FindLayout(entry.layout);
    const int tileHeight = TileHeight(screen, layout);
    std::vector<size_t> indices;
    for (int n = 0; n < entry.viewers; ++n) {
      indices.push_back(viewers.size());
      viewers.push_back({layout.name, tileHeight, ladder.LevelForHeight(tileHeight)});
    }
    viewersByEntry.push_back(std::move(indices));
  }
  std::vector<size_t> everyone(viewers.size());
  for (size_t i = 0; i < viewers.size(); ++i) everyone[i] = i;

  ScenarioSummary summary{screen.name, mix.name, viewers.size(), {}, {}};
  std::vector<Outcome>& outcomes = summary.outcomes;
  outcomes.push_back(PlanFixed(ladder, viewers, "B", kTwoSizeHeights));
  outcomes.push_back(PlanFixed(ladder, viewers, "C", kThreeSizeHeights));
  outcomes.push_back(PlanMyriad(ladder, viewers, kBrowserTierBudget));
  outcomes.push_back(PlanMyriad(ladder, viewers, TierPlanner::kMaxTiers));
  outcomes.push_back(
      PlanMyriadWithin(ladder, viewers, outcomes[kThreeSize].encodedPixelsPerSecond, "A'"));
  outcomes.push_back(
      PlanMyriadWithin(ladder, viewers, outcomes[kTwoSize].encodedPixelsPerSecond, "A''"));
  for (const Outcome& outcome : outcomes) {
    summary.overall.push_back(Average(ladder, viewers, outcome, everyone));
  }
  const std::vector<Averages>& overall = summary.overall;

  std::printf("\n### %s / %s (%zu viewers)\n\n", screen.name.c_str(), mix.name.c_str(),
              viewers.size());
  std::printf("Screen: %s.\n\n", screen.description.c_str());
  std::vector<std::string> headings{"viewers", "tile", "wants"};
  for (size_t s = 0; s < kStrategyCount; ++s) {
    headings.push_back(Heading(outcomes[s], static_cast<Strategy>(s)));
  }
  for (const Ratio& ratio : kRatios) headings.emplace_back(ratio.label);
  PrintRow("layout", headings);
  PrintRow("---", std::vector<std::string>(headings.size(), "---"));

  nlohmann::json layoutsJson = nlohmann::json::array();
  for (size_t e = 0; e < mix.entries.size(); ++e) {
    const std::vector<size_t>& indices = viewersByEntry[e];
    if (indices.empty()) continue;
    const Viewer& first = viewers[indices.front()];
    const int wantedHeight = ladder.Level(first.wantedLevel).height;
    std::vector<Averages> averages;
    nlohmann::json strategiesJson = nlohmann::json::object();
    for (const Outcome& outcome : outcomes) {
      averages.push_back(Average(ladder, viewers, outcome, indices));
      strategiesJson[outcome.name] = {{"average_received_height", averages.back().received},
                                      {"average_useful_height", averages.back().useful}};
    }
    std::vector<std::string> cells{std::to_string(indices.size()), std::to_string(first.tileHeight),
                                   std::to_string(wantedHeight) + "p"};
    for (const Averages& average : averages) cells.push_back(Format("%.0f", average.received));
    for (const Ratio& ratio : kRatios) {
      cells.push_back(Format(
          "%.2f", averages[ratio.numerator].received / averages[ratio.denominator].received));
    }
    PrintRow(first.layout, cells);
    layoutsJson.push_back({{"layout", first.layout},
                           {"viewers", indices.size()},
                           {"tile_height", first.tileHeight},
                           {"wanted_height", wantedHeight},
                           {"strategies", strategiesJson}});
  }

  std::vector<std::string> received{std::to_string(viewers.size()), "", ""};
  std::vector<std::string> useful{"", "", ""};
  std::vector<std::string> layers{"", "", ""};
  std::vector<std::string> encoded{"", "", ""};
  std::vector<std::string> downlink{"", "", ""};
  for (size_t s = 0; s < kStrategyCount; ++s) {
    received.push_back(Format("%.1f", overall[s].received));
    useful.push_back(Format("%.1f", overall[s].useful));
    layers.push_back(LevelList(ladder, outcomes[s].encodedLevels));
    encoded.push_back(Megapixels(outcomes[s].encodedPixelsPerSecond));
    downlink.push_back(Megapixels(DownlinkPixelsPerSecond(ladder, outcomes[s])));
  }
  for (const Ratio& ratio : kRatios) {
    received.push_back(Format(
        "**%.3f**", overall[ratio.numerator].received / overall[ratio.denominator].received));
    useful.push_back(
        Format("%.3f", overall[ratio.numerator].useful / overall[ratio.denominator].useful));
    const int64_t denominatorPixels = outcomes[ratio.denominator].encodedPixelsPerSecond;
    encoded.push_back(
        Format("%.2f", static_cast<double>(outcomes[ratio.numerator].encodedPixelsPerSecond) /
                           static_cast<double>(denominatorPixels)));
    layers.emplace_back("");
    downlink.emplace_back("");
  }
  PrintRow("**all**", received);
  PrintRow("useful (at most the level asked for)", useful);
  PrintRow("encoded layers", layers);
  PrintRow("encoded Mpx/s", encoded);
  PrintRow("downlink Mpx/s, all viewers", downlink);

  nlohmann::json strategiesJson = nlohmann::json::object();
  for (size_t s = 0; s < kStrategyCount; ++s) {
    const Outcome& outcome = outcomes[s];
    std::vector<int> encodedHeights;
    for (const int level : outcome.encodedLevels) {
      encodedHeights.push_back(CappedHeight(ladder, level));
    }
    strategiesJson[outcome.name] = {
        {"tier_budget", outcome.budget},
        {"encoded_heights", encodedHeights},
        {"encoded_pixels_per_second", outcome.encodedPixelsPerSecond},
        {"downlink_pixels_per_second", DownlinkPixelsPerSecond(ladder, outcome)},
        {"average_received_height", overall[s].received},
        {"average_useful_height", overall[s].useful}};
  }
  report->push_back({{"screen", screen.name},
                     {"screen_width", screen.width},
                     {"screen_height", screen.height},
                     {"reserved_height", screen.reservedHeight},
                     {"mix", mix.name},
                     {"viewers", viewers.size()},
                     {"layouts", layoutsJson},
                     {"strategies", strategiesJson}});
  return summary;
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : " / ") + part;
  return text;
}

void PrintSummary(const std::vector<ScenarioSummary>& summaries) {
  std::printf(
      "\n### Summary\n\nAverage received height (p) per viewer, its ratios, the same ratios for "
      "the useful height (at most the level asked for), and the publisher's encoded Mpx/s.\n\n");
  std::vector<std::string> headings{"mix", "viewers", "received B / C / A3 / A4 / A' / A''"};
  for (const Ratio& ratio : kRatios) headings.emplace_back(ratio.label);
  headings.emplace_back("useful A'/C / A''/B");
  headings.emplace_back("budget A' / A''");
  headings.emplace_back("encoded Mpx/s B / C / A3 / A4 / A' / A''");
  PrintRow("screen", headings);
  PrintRow("---", std::vector<std::string>(headings.size(), "---"));
  for (const ScenarioSummary& summary : summaries) {
    const std::vector<Averages>& overall = summary.overall;
    const std::vector<Outcome>& outcomes = summary.outcomes;
    std::vector<std::string> heights;
    std::vector<std::string> megapixels;
    for (size_t s = 0; s < kStrategyCount; ++s) {
      heights.push_back(Format("%.1f", overall[s].received));
      megapixels.push_back(Megapixels(outcomes[s].encodedPixelsPerSecond));
    }
    std::vector<std::string> cells{summary.mix, std::to_string(summary.viewers), Joined(heights)};
    for (const Ratio& ratio : kRatios) {
      cells.push_back(
          Format("%.3f", overall[ratio.numerator].received / overall[ratio.denominator].received));
    }
    cells.push_back(
        Joined({Format("%.3f", overall[kAtMostThreeSize].useful / overall[kThreeSize].useful),
                Format("%.3f", overall[kAtMostTwoSize].useful / overall[kTwoSize].useful)}));
    cells.push_back(Joined({std::to_string(outcomes[kAtMostThreeSize].budget),
                            std::to_string(outcomes[kAtMostTwoSize].budget)}));
    cells.push_back(Joined(megapixels));
    PrintRow(summary.screen, cells);
  }
}

int Run(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  const SimulcastLadder ladder = SimulcastLadder::Default();
  std::printf(
      "Camera %dx%d. B = fixed 180p+720p, C = fixed 180p/360p/720p, A3/A4 = Myriad with tier "
      "budget 3/4, A' (A'') = Myriad with budget 3, 2 or 1, the largest whose encoded Mpx/s <= "
      "C's (B's).\n",
      kSourceWidth, kSourceHeight);
  nlohmann::json report = nlohmann::json::array();
  std::vector<ScenarioSummary> summaries;
  for (const std::string& screenName : options.screens) {
    const Screen& screen = FindScreen(screenName);
    for (const std::string& mixName : options.mixes) {
      summaries.push_back(RunScenario(ladder, screen, FindMix(mixName), &report));
    }
  }
  PrintSummary(summaries);
  if (!options.jsonPath.empty()) {
    std::ofstream out(options.jsonPath);
    out << report.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "myriad-bench-tiers: cannot write %s\n", options.jsonPath.c_str());
      return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "myriad-bench-tiers: %s\n", e.what());
  }
  return 1;
}
