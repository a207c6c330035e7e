#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "loadtest/ControlSchedule.h"
#include "loadtest/LoadStats.h"
#include "loadtest/ParticipantObservations.h"
#include "loadtest/Scenario.h"
#include "loadtest/SequenceGapCounter.h"
#include "loadtest/TalkSchedule.h"
#include "loadtest/client/InProcessImpairment.h"
#include "loadtest/client/MultiAddressUdpSocket.h"
#include "loadtest/client/SyntheticMediaSource.h"
#include "loadtest/client/WebRtcClient.h"
#include "rtp/RtpPacket.h"
#include "server/transport/DtlsCertificate.h"

namespace myriad::loadtest {

// One participant of a load test, driving a WebRtcClient the way an app in
// a large room would: join, publish (audio at 50 packets/s with the talk
// schedule's RFC 6464 levels, optional simulcast video), bind the audio
// slots, keep a page of video tiles in the viewport, and measure everything
// it receives. Runs on its shard's thread; the send and receive paths
// neither allocate nor log.
class SimulatedParticipant {
 public:
  // What every participant of a shard shares (read-only during the run,
  // except `stats` and `packetBuffer`, which only the shard thread touches).
  struct Environment {
    boost::asio::io_context& context;
    const Scenario& scenario;
    const TalkSchedule& schedule;
    LoadStats& stats;
    std::string host;
    uint16_t port = 0;
    std::shared_ptr<const server::transport::DtlsCertificate> certificate;
    int64_t startUs = 0;  // schedule offset 0
    bool recordDetail = false;
    std::array<uint8_t, 1600>& packetBuffer;
    // The shard's shared socket; nullptr: each client opens its own.
    MultiAddressUdpSocket* socket = nullptr;
    // Scenario::impairment: the shard's relay towards a server candidate.
    std::function<ImpairmentRelay*(const boost::asio::ip::udp::endpoint&)> relayFor = nullptr;
    // Or the shard's in-process paths (Scenario::Impairment::Path).
    InProcessImpairment* inProcessImpairment = nullptr;
    // Scenario::control: the plan (nullptr: no control traffic).
    const ControlSchedule* control = nullptr;
  };

  // A talk spurt of someone else that reached one of our audio slots.
  struct SpurtArrival {
    uint32_t publisher = 0;
    int64_t talkSpurtStartUs = 0;
    int64_t firstArrivalUs = 0;
  };

  SimulatedParticipant(Environment& environment, uint32_t index);
  ~SimulatedParticipant();
  SimulatedParticipant(const SimulatedParticipant&) = delete;
  SimulatedParticipant& operator=(const SimulatedParticipant&) = delete;

  uint32_t Index() const { return index_; }
  static std::string RoomOf(const Scenario& scenario, uint32_t index);

  void StartJoin(int64_t nowUs);
  // Sends the media due by `nowUs`.
  void SendDue(int64_t nowUs);
  // Slow-path upkeep (viewport changes), a few times a second.
  void Housekeeping(int64_t nowUs);
  // End of the measured run: counts per-stream loss and messages.
  void Finish(int64_t nowUs);
  // Leaves the room if joined; `done` runs once either way.
  void Leave(std::function<void()> done);
  // Drops the client (sockets) on the shard thread.
  void Close();

  bool JoinSettled() const { return joinSettled_; }
  const ParticipantObservations& Observations() const { return observations_; }
  ParticipantObservations TakeObservations() { return std::move(observations_); }
  const std::vector<SpurtArrival>& SpurtArrivals() const { return spurtArrivals_; }

 private:
  struct ReceiveStream {
    SequenceGapCounter gaps;
    int slot = -1;
  };
  struct VideoSender {
    SyntheticMediaSource source;
    uint8_t stream = 1;
    uint32_t packetsPerFrame = 1;
    int64_t frameIntervalUs = 66666;
    int64_t nextFrameUs = 0;
    bool paused = false;  // the server's tierPlan set this rid inactive
  };

  void OnJoined(const std::string& error);
  void OnPublished(const std::string& error);
  void OnRtp(rtp::RtpPacket& packet);
  // Follows the newest tierPlan of our video (a paused rid sends nothing and
  // resumes with a key frame), as the browser SDK does.
  void ApplyTierPlan(VideoSender& sender);
  void OnSlotPacket(int slot, uint32_t publisher, int64_t talkSpurtStartUs, int64_t sendTimeUs,
                    int64_t nowUs, uint16_t sequenceNumber);
  ReceiveStream* StreamFor(uint32_t ssrc);
  void SendAudio(int64_t scheduledUs, int64_t nowUs);
  void SendVideoFrame(VideoSender& sender, int64_t nowUs);
  int64_t FirstDue(int64_t nowUs, int64_t phaseUs, int64_t periodUs) const;
  void Fail(const std::string& what, const std::string& error, bool join);
  void UpdateViewport(int64_t nowUs);
  // Conference control (Scenario::control): the planned requests due by
  // `nowUs`, and what the server tells us about our microphone.
  void SendControlDue(int64_t nowUs);
  void SendControl(ControlSchedule::Kind kind, uint32_t target, int64_t nowUs);
  void OnServerEvent(const nlohmann::json& message);
  // The trackId of participant `index`'s microphone from the roster ("" if
  // not known yet).
  std::string AudioTrackOf(uint32_t index);

  Environment& env_;
  const uint32_t index_;
  std::unique_ptr<WebRtcClient> client_;
  ParticipantObservations observations_;
  bool joinSettled_ = false;
  bool finished_ = false;

  std::optional<SyntheticMediaSource> audio_;
  int64_t nextAudioUs_ = 0;
  int64_t lastTalkSpurtStartUs_ = -1;
  std::vector<VideoSender> video_;

  std::unordered_map<uint32_t, ReceiveStream> streams_;
  std::vector<std::pair<uint32_t, int64_t>> lastSpurtBySlot_;
  std::vector<SpurtArrival> spurtArrivals_;

  bool viewportBusy_ = false;
  std::vector<std::string> requestedVisible_;
  std::vector<std::string> requestedPrefetch_;
  bool viewportRequested_ = false;

  std::vector<ControlSchedule::Action> controlActions_;  // ours, by time
  size_t nextControl_ = 0;
  std::unordered_map<uint32_t, std::string> audioTrackByIndex_;
};

}  // namespace myriad::loadtest
