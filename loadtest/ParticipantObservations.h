#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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

  std::vector<SlotPacket> slotPackets;
  std::vector<SpeakersMessage> speakers;
};

}  // namespace myriad::loadtest
