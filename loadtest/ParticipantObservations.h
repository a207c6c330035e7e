#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/ControlSchedule.h"

namespace myriad::loadtest {

// What one simulated participant did and saw during a run, for tests that
// check the server's choices against the talk schedule. Times are steady
// clock microseconds (the clock of LoadtestPayload and LoadRun::StartUs());
// 0 means "never". The packet and `speakers` lists are filled only when
// LoadRun::Options::recordDetail is set.
struct ParticipantObservations {
  // One packet received on an audio slot.
  struct SlotPacket {
    int64_t arrivalUs = 0;
    int slot = -1;
    uint32_t publisher = 0;        // participant index of the sender
    int64_t talkSpurtStartUs = 0;  // 0: the sender was silent when it sent it
    int64_t sendTimeUs = 0;
    uint16_t sequenceNumber = 0;  // of the slot's stream
  };

  // One `speakers` message.
  struct SpeakersMessage {
    int64_t arrivalUs = 0;
    // Per slot: the participant index carried, or nullopt (empty slot, or a
    // participant that is not one of ours).
    std::vector<std::optional<uint32_t>> publisherBySlot;
    std::vector<std::string> participantIdBySlot;  // "" for an empty slot
  };

  // One conference control request this participant sent (Scenario::control).
  struct ControlRequest {
    ControlSchedule::Kind kind = ControlSchedule::Kind::kRaiseHand;
    uint32_t target = 0;   // whose microphone or hand
    std::string trackId;   // "" for hands
    int64_t sentUs = 0;    // handed to the client (0: could not be sent)
    int64_t replyUs = 0;   // its reply handled (0: none)
    bool acked = false;    // the reply was `ack`
    std::string error;     // the `error` reply's code, "timeout", or why it was not sent
    uint64_t version = 0;  // the ack's room version
    // The ack's receivedUs / repliedUs: the server's clock (ControlOneWayDelays); 0 when absent.
    int64_t serverReceivedUs = 0;
    int64_t serverRepliedUs = 0;
    bool onChannel = false;
  };

  // A `muted` or `unmuteRequest` for our microphone.
  struct ControlNotice {
    int64_t arrivalUs = 0;
    bool unmuteRequest = false;  // else `muted`
    bool muted = false;
    bool locked = false;
    std::string by;
    uint64_t version = 0;
  };

  uint32_t index = 0;
  std::string room;
  std::string participantId;  // "" if the join failed
  bool publishesAudio = false;
  bool publishesVideo = false;
  bool priority = false;
  bool bindsAudioSlots = false;
  bool viewsVideo = false;
  int audioSlots = 0;  // K from `joined`
  std::string error;   // the first failure (join, publish, slots, viewport)

  int64_t joinStartUs = 0;          // Join() called
  int64_t joinedUs = 0;             // `joined` received
  int64_t connectedUs = 0;          // ICE + DTLS + SRTP up
  int64_t publishedUs = 0;          // publish answer applied
  int64_t slotsBoundUs = 0;         // BindAudioSlots answer applied
  int64_t mediaStartUs = 0;         // first packet sent
  int64_t firstAudioUs = 0;         // first packet received on a slot
  uint64_t signallingMessages = 0;  // WebSocket messages received, at the end

  int64_t controlChannelOpenUs = 0;  // `myriad-control` opened (first time)
  std::string audioTrackId;          // our microphone's trackId
  uint64_t controlCopiesSent = 0;    // WebRtcClient::ControlCounters, at the end
  uint64_t controlDuplicatesReceived = 0;

  std::vector<ControlRequest> controlRequests;
  std::vector<ControlNotice> controlNotices;
  std::vector<SlotPacket> slotPackets;
  std::vector<SpeakersMessage> speakers;
};

}  // namespace myriad::loadtest
