// Long-term reference feedback through a real in-process server
// (docs/protocol.md "Long-term references"): one LTR publisher
// (LtrVideoSender), three LTR viewers (LtrVideoReceiver with its
// DependencyDecoder), real sockets. The server must tell the publisher only
// what every viewer acknowledged, turn a viewer's loss into "recover from"
// a reference all of them hold, and fall back to PLI while a viewer holds
// none.

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/client/FrameScheduler.h"
#include "loadtest/client/LtrVideoReceiver.h"
#include "loadtest/client/LtrVideoSender.h"
#include "loadtest/client/RunUntil.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/SequenceNumber.h"
#include "tests/integration/Await.h"
#include "tests/integration/InProcessServer.h"
#include "tests/integration/SentPacketLog.h"

namespace myriad::integration {

using namespace std::chrono_literals;
using loadtest::LtrFramePayload;
using loadtest::LtrVideoReceiver;
using loadtest::LtrVideoSender;
using loadtest::RunUntil;
using loadtest::WebRtcClient;
using Feedback = LtrVideoSender::Feedback;

namespace {

constexpr uint32_t kLtrInterval = 10;

WebRtcClient::Options ClientOptions(const InProcessServer& server, uint32_t seed, bool ltr) {
  WebRtcClient::Options options;
  options.port = server.HttpPort();
  options.seed = seed;
  options.longTermReferences = ltr;
  return options;
}

bool Contains(const std::vector<uint16_t>& list, uint16_t value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

struct Viewer {
  std::unique_ptr<WebRtcClient> client;
  std::unique_ptr<LtrVideoReceiver> receiver;
};

// The feedback entries of one kind from index `from` on.
std::vector<Feedback> FeedbackSince(const LtrVideoSender& sender, size_t from,
                                    Feedback::Kind kind) {
  std::vector<Feedback> out;
  const auto& log = sender.FeedbackLog();
  for (size_t i = from; i < log.size(); ++i) {
    if (log[i].kind == kind) out.push_back(log[i]);
  }
  return out;
}

}  // namespace

TEST_CASE("An LTR offer gets RPSI and the Dependency Descriptor, a plain one neither",
          "[integration][ltr]") {
  InProcessServer server;
  boost::asio::io_context context;
  for (const bool ltr : {true, false}) {
    INFO("longTermReferences " << ltr);
    WebRtcClient client(context, ClientOptions(server, ltr ? 1 : 2, ltr));
    REQUIRE(Await(context, [&](auto done) { client.Join("ltr-sdp", "pub", done); }) == "");
    REQUIRE(Await(context,
                  [&](auto done) { client.Publish({.audio = false, .video = true}, done); }) == "");
    const auto* video = client.PublishedTrack("video");
    REQUIRE(video != nullptr);
    CHECK((video->extensions.dependencyDescriptor != 0) == ltr);
    CHECK((client.LastAnswerSdp().find("nack rpsi") != std::string::npos) == ltr);
    REQUIRE(Await(context, [&](auto done) { client.Leave(done); }) == "");
  }
}

TEST_CASE(
    "The server relays long-term reference feedback between an LTR publisher and its "
    "viewers",
    "[integration][ltr]") {
  InProcessServer server;
  boost::asio::io_context context;
  WebRtcClient publisher(context, ClientOptions(server, 1, true));
  REQUIRE(Await(context, [&](auto done) { publisher.Join("ltr", "pub", done); }) == "");
  REQUIRE(Await(context, [&](auto done) {
            publisher.Publish({.audio = false, .video = true}, done);
          }) == "");
  const auto* video = publisher.PublishedTrack("video");
  REQUIRE(video != nullptr);
  const std::string trackId = video->trackId;
  LtrVideoSender::Options senderOptions;
  senderOptions.encoder.ltrIntervalFrames = kLtrInterval;
  LtrVideoSender sender(publisher, *video, senderOptions);
  REQUIRE(sender.Negotiated());
  loadtest::FrameScheduler pump(context, 30, [&](int64_t sendTimeUs) {
    if (publisher.IsConnected()) sender.SendFrame(sendTimeUs);
  });
  pump.Start();

  std::vector<Viewer> viewers;
  const auto addViewer = [&](uint32_t seed, bool acknowledge) {
    Viewer viewer;
    viewer.client = std::make_unique<WebRtcClient>(context, ClientOptions(server, seed, true));
    REQUIRE(Await(context, [&](auto done) {
              viewer.client->Join("ltr", "viewer" + std::to_string(seed), done);
            }) == "");
    REQUIRE(Await(context, [&](auto done) { viewer.client->Subscribe(trackId, done); }) == "");
    LtrVideoReceiver::Options options;
    options.acknowledge = acknowledge;
    viewer.receiver = std::make_unique<LtrVideoReceiver>(context, *viewer.client, trackId, options);
    viewer.receiver->Start();
    viewers.push_back(std::move(viewer));
  };
  for (uint32_t seed = 10; seed < 13; ++seed) addViewer(seed, true);
  const auto decoded = [&](const Viewer& viewer) {
    return viewer.receiver->Decoder().GetStats().framesDecoded;
  };
  REQUIRE(RunUntil(
      context,
      [&] {
        return std::all_of(viewers.begin(), viewers.end(),
                           [&](const Viewer& viewer) { return decoded(viewer) >= 10; });
      },
      10s));

  // (a) The publisher hears of a reference only once every viewer decoded it.
  const auto acknowledgedByAll = [&](uint16_t frameId) {
    return std::all_of(viewers.begin(), viewers.end(), [&](const Viewer& viewer) {
      return Contains(viewer.receiver->Acknowledged(), frameId);
    });
  };
  // (Before the last viewer joined, fewer viewers made the aggregate, and
  // the key frame its join asked for reset it: from here on all three count.)
  const size_t settledFrom = sender.FeedbackLog().size();
  REQUIRE(RunUntil(
      context,
      [&] { return !FeedbackSince(sender, settledFrom, Feedback::Kind::kAcknowledged).empty(); },
      5s));
  for (const auto& feedback : FeedbackSince(sender, settledFrom, Feedback::Kind::kAcknowledged)) {
    INFO("acknowledged " << feedback.frameId);
    CHECK(acknowledgedByAll(feedback.frameId));
  }

  // One viewer stops acknowledging: the others move on, the aggregate must not.
  Viewer& laggard = viewers[2];
  laggard.receiver->SetAcknowledging(false);
  REQUIRE(!laggard.receiver->Acknowledged().empty());
  const uint16_t laggardNewest = laggard.receiver->Acknowledged().back();
  const size_t withheldFrom = sender.FeedbackLog().size();
  const auto othersAheadBy = [&](int references) {
    return std::all_of(viewers.begin(), viewers.begin() + 2, [&](const Viewer& viewer) {
      const auto& acknowledged = viewer.receiver->Acknowledged();
      return !acknowledged.empty() &&
             rtp::WrappingDistance<uint16_t>(laggardNewest, acknowledged.back()) >=
                 int64_t{references} * kLtrInterval;
    });
  };
  REQUIRE(RunUntil(
      context, [&] { return othersAheadBy(2); }, 5s));
  // The server repeats its aggregate about once a second: wait for two
  // more, so it had every chance to name a newer frame.
  const size_t aheadAt = sender.FeedbackLog().size();
  REQUIRE(RunUntil(
      context,
      [&] { return FeedbackSince(sender, aheadAt, Feedback::Kind::kAcknowledged).size() >= 2; },
      5s));
  for (const auto& feedback : FeedbackSince(sender, withheldFrom, Feedback::Kind::kAcknowledged)) {
    INFO("acknowledged " << feedback.frameId << " while the laggard's newest is " << laggardNewest);
    CHECK_FALSE(rtp::IsSeqNewer(feedback.frameId, laggardNewest));
  }
  // Once it acknowledges again, the aggregate moves past its old newest.
  laggard.receiver->SetAcknowledging(true);
  REQUIRE(RunUntil(
      context,
      [&] {
        const auto acks = FeedbackSince(sender, withheldFrom, Feedback::Kind::kAcknowledged);
        return std::any_of(acks.begin(), acks.end(), [&](const Feedback& feedback) {
          return rtp::IsSeqNewer(feedback.frameId, laggardNewest);
        });
      },
      5s));

  // (b) A viewer loses a whole frame (its retransmissions too): its PLI
  // becomes "recover from" a reference every viewer acknowledged, and it
  // decodes again from the recovery frame, without a key frame.
  Viewer& lossy = viewers[0];
  const auto keyFramesSent = sender.Encoder().GetCounters().keyFrames;
  std::vector<uint64_t> keyFramesReceived;
  keyFramesReceived.reserve(viewers.size());
  for (const auto& viewer : viewers) {
    keyFramesReceived.push_back(viewer.receiver->Decoder().GetStats().keyFramesReceived);
  }
  const size_t lossFrom = sender.FeedbackLog().size();
  const auto lostFrame =
      static_cast<uint16_t>(senderOptions.encoder.firstFrameId + sender.GetCounters().frames + 2);
  lossy.receiver->SetDropFilter(
      [lostFrame](const LtrFramePayload& record) { return record.frameId == lostFrame; });
  REQUIRE(RunUntil(
      context,
      [&] { return !FeedbackSince(sender, lossFrom, Feedback::Kind::kRecoverFrom).empty(); }, 5s));
  const Feedback recovery = FeedbackSince(sender, lossFrom, Feedback::Kind::kRecoverFrom).front();
  CHECK(acknowledgedByAll(recovery.frameId));
  CHECK(FeedbackSince(sender, lossFrom, Feedback::Kind::kKeyFrameRequest).empty());
  REQUIRE(RunUntil(
      context,
      [&] {
        const auto last = lossy.receiver->Decoder().LastDecoded();
        return lossy.receiver->Decoder().GetStats().recoveryFramesDecoded >= 1 && last &&
               rtp::IsSeqNewer(*last, lostFrame);
      },
      5s));
  lossy.receiver->SetDropFilter(nullptr);
  CHECK(lossy.receiver->GetCounters().dropped >= 1);
  CHECK(sender.Encoder().GetCounters().keyFrames == keyFramesSent);
  CHECK(sender.Encoder().GetCounters().recoveryFrames >= 1);
  for (size_t i = 0; i < viewers.size(); ++i) {
    INFO("viewer " << i);
    CHECK(viewers[i].receiver->Decoder().GetStats().keyFramesReceived == keyFramesReceived[i]);
  }
  // The recovery frame reached the others too, who hold its reference.
  REQUIRE(RunUntil(
      context,
      [&] {
        return std::all_of(viewers.begin(), viewers.end(), [](const Viewer& viewer) {
          return viewer.receiver->Decoder().GetStats().recoveryFramesDecoded >= 1;
        });
      },
      5s));

  // (b2) Two viewers lose the same frame, and the second also the first
  // recovery frame, so both report the loss and their reports arrive
  // within one key frame request interval: the second is coalesced. When
  // it goes out it is still a recovery request (every loss it stands for
  // is repairable), not a PLI that would cost everyone a key frame.
  lossy.receiver->SetDropFilter(nullptr);
  const auto keyFramesBeforeBoth = sender.Encoder().GetCounters().keyFrames;
  const size_t bothFrom = sender.FeedbackLog().size();
  const auto bothLost =
      static_cast<uint16_t>(senderOptions.encoder.firstFrameId + sender.GetCounters().frames + 2);
  viewers[1].receiver->SetDropFilter(
      [bothLost](const LtrFramePayload& record) { return record.frameId == bothLost; });
  viewers[2].receiver->SetDropFilter([bothLost, recoveryDropped = std::optional<uint16_t>()](
                                         const LtrFramePayload& record) mutable {
    if (record.frameId == bothLost) return true;
    if (record.type == LtrFramePayload::FrameType::kRecovery &&
        rtp::IsSeqNewer(record.frameId, bothLost) &&
        (!recoveryDropped || *recoveryDropped == record.frameId)) {
      recoveryDropped = record.frameId;
      return true;
    }
    return false;
  });
  REQUIRE(RunUntil(
      context,
      [&] {
        for (size_t i = 1; i < 3; ++i) {
          const auto last = viewers[i].receiver->Decoder().LastDecoded();
          if (!last || !rtp::IsSeqNewer(*last, bothLost)) return false;
        }
        return true;
      },
      5s));
  for (size_t i = 1; i < 3; ++i) viewers[i].receiver->SetDropFilter(nullptr);
  CHECK(FeedbackSince(sender, bothFrom, Feedback::Kind::kRecoverFrom).size() >= 2);
  CHECK(FeedbackSince(sender, bothFrom, Feedback::Kind::kKeyFrameRequest).empty());
  CHECK(sender.Encoder().GetCounters().keyFrames == keyFramesBeforeBoth);

  // (c) A viewer that just joined has acknowledged nothing (and here keeps
  // it so): a loss must cost a key frame, so the server asks with a PLI.
  addViewer(13, false);
  Viewer& newcomer = viewers.back();
  REQUIRE(RunUntil(
      context, [&] { return newcomer.receiver->Decoder().GetStats().keyFramesDecoded >= 1; }, 5s));
  // Past the server's 300 ms key frame request interval since the join.
  const uint64_t joinedAtFrame = sender.GetCounters().frames;
  REQUIRE(RunUntil(
      context, [&] { return sender.GetCounters().frames >= joinedAtFrame + 15; }, 5s));
  const auto keyFramesBefore = sender.Encoder().GetCounters().keyFrames;
  const auto lossyKeyFrames = lossy.receiver->Decoder().GetStats().keyFramesDecoded;
  const size_t fallbackFrom = sender.FeedbackLog().size();
  const auto secondLost =
      static_cast<uint16_t>(senderOptions.encoder.firstFrameId + sender.GetCounters().frames + 2);
  lossy.receiver->SetDropFilter(
      [secondLost](const LtrFramePayload& record) { return record.frameId == secondLost; });
  REQUIRE(RunUntil(
      context,
      [&] {
        return !FeedbackSince(sender, fallbackFrom, Feedback::Kind::kKeyFrameRequest).empty();
      },
      5s));
  CHECK(FeedbackSince(sender, fallbackFrom, Feedback::Kind::kRecoverFrom).empty());
  REQUIRE(RunUntil(
      context,
      [&] {
        return sender.Encoder().GetCounters().keyFrames > keyFramesBefore &&
               lossy.receiver->Decoder().GetStats().keyFramesDecoded > lossyKeyFrames;
      },
      5s));
  lossy.receiver->SetDropFilter(nullptr);
  CHECK(newcomer.receiver->GetCounters().acknowledgementsWithheld >= 1);
  for (auto& viewer : viewers) viewer.receiver->Finish();
}

}  // namespace myriad::integration
