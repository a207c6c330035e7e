#pragma once

// Test helper shared by the SCTP tests: two SctpAssociations wired back to back in memory
// through a lossy, delaying link, driven by a simulated clock. Everything runs on the test's
// thread: posted tasks wait in a queue that the driving loop runs between steps.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "server/transport/SctpAssociation.h"
#include "server/transport/SctpStack.h"
#include "tests/server/OpenSslTestClock.h"

namespace myriad::server::transport::testing {

using SctpClock = std::chrono::steady_clock;
using Bytes = std::vector<uint8_t>;
using namespace std::chrono_literals;

inline Bytes TextBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }

// Simulated time. usrsctp's timers follow SctpStack::HandleTimers(now); its RTT measurements
// read gettimeofday, which this test binary interposes (OpenSslTestClock.cpp), so the clock
// moves that too and measured RTTs are the simulated ones.
class SimulatedClock {
 public:
  SctpClock::time_point Now() const { return now_; }
  void Advance(SctpClock::duration by) {
    now_ += by;
    AdvanceOpenSslClock(std::chrono::duration_cast<std::chrono::microseconds>(by));
  }

 private:
  // Real time at the start: SctpStack keeps the last time it saw across tests and only
  // accepts time going forward from there (or resets on a jump back).
  SctpClock::time_point now_ = SctpClock::now();
};

// Tasks posted to the test's thread (SctpStack::Post), run by the driving loop.
class TaskQueue {
 public:
  SctpStack::Post AsPost() {
    return [this](std::function<void()> task) {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    };
  }
  size_t RunAll() {
    size_t ran = 0;
    for (;;) {
      std::function<void()> task;
      {
        std::lock_guard lock(mutex_);
        if (tasks_.empty()) return ran;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
      ++ran;
    }
  }

 private:
  std::mutex mutex_;
  std::deque<std::function<void()>> tasks_;
};

// One direction of the wire: each packet is dropped with probability lossRate (a seeded
// generator, so runs repeat) or delivered `delay` after it was sent.
class SctpTestLink {
 public:
  SctpTestLink(uint32_t seed, double lossRate, SctpClock::duration delay)
      : random_(seed), lossPerMillion_(static_cast<uint32_t>(lossRate * 1e6)), delay_(delay) {}

  void Send(std::span<const uint8_t> packet, SctpClock::time_point now) {
    ++sent;
    if (random_() % 1000000 < lossPerMillion_) {
      ++dropped;
      return;
    }
    inFlight_.push_back({now + delay_, Bytes(packet.begin(), packet.end())});
  }

  // Hands every packet due by `now` to `deliver`, in order. Packets sent while delivering wait
  // for the next call, so two associations never re-enter each other.
  void DeliverDue(SctpClock::time_point now, const std::function<void(const Bytes&)>& deliver) {
    size_t count = inFlight_.size();
    while (count-- > 0 && !inFlight_.empty() && inFlight_.front().due <= now) {
      const Bytes packet = std::move(inFlight_.front().packet);
      inFlight_.pop_front();
      deliver(packet);
    }
  }

  void SetLossRate(double lossRate) { lossPerMillion_ = static_cast<uint32_t>(lossRate * 1e6); }
  size_t PacketsInFlight() const { return inFlight_.size(); }

  size_t sent = 0;
  size_t dropped = 0;

 private:
  struct Packet {
    SctpClock::time_point due;
    Bytes packet;
  };
  std::mt19937 random_;
  uint32_t lossPerMillion_;
  SctpClock::duration delay_;
  std::deque<Packet> inFlight_;
};

struct ReceivedMessage {
  uint16_t streamId = 0;
  Bytes bytes;
  bool binary = false;
};

struct OpenedChannel {
  uint16_t streamId = 0;
  std::string label;
  std::string protocol;
};

// Records what an association reports; its packets go into `link`.
struct SctpEndpoint : SctpAssociation::Listener {
  SctpTestLink* link = nullptr;
  const SimulatedClock* clock = nullptr;
  size_t largestPacket = 0;
  int upCount = 0;
  std::vector<std::string> failures;
  int closedCount = 0;
  std::vector<OpenedChannel> opened;
  std::vector<ReceivedMessage> messages;
  std::vector<uint16_t> closedChannels;
  // Thread each callback ran on, to check the owner-thread contract.
  std::vector<std::thread::id> callbackThreads;
  // Guards `link` (and what OnSctpSendPacket records): the cross-thread test drains the link
  // from its driving thread.
  std::mutex packetMutex;
  std::function<void(const ReceivedMessage&)> onMessage;

  void Record() { callbackThreads.push_back(std::this_thread::get_id()); }

  void OnSctpSendPacket(std::span<const uint8_t> packet) override {
    std::lock_guard lock(packetMutex);
    Record();
    largestPacket = std::max(largestPacket, packet.size());
    if (link != nullptr) link->Send(packet, clock->Now());
  }
  void OnSctpAssociationUp() override {
    Record();
    ++upCount;
  }
  void OnSctpAssociationFailed(std::string_view reason) override {
    Record();
    failures.emplace_back(reason);
  }
  void OnSctpAssociationClosed() override {
    Record();
    ++closedCount;
  }
  void OnDataChannelOpen(uint16_t streamId, std::string_view label,
                         std::string_view protocol) override {
    Record();
    opened.push_back({streamId, std::string(label), std::string(protocol)});
  }
  void OnDataChannelMessage(uint16_t streamId, std::span<const uint8_t> message,
                            bool binary) override {
    Record();
    messages.push_back({streamId, Bytes(message.begin(), message.end()), binary});
    if (onMessage) onMessage(messages.back());
  }
  void OnDataChannelClosed(uint16_t streamId) override {
    Record();
    closedChannels.push_back(streamId);
  }
};

// A DTLS client's association ("client") and a DTLS server's ("server") on one thread.
struct SctpTestPair {
  struct Config {
    double lossRate = 0;
    SctpClock::duration oneWayDelay = 30ms;
    uint32_t seed = 1;
    SctpAssociation::Options clientOptions;
    SctpAssociation::Options serverOptions;
  };

  SimulatedClock clock;
  TaskQueue tasks;
  SctpTestLink clientToServer;
  SctpTestLink serverToClient;
  SctpEndpoint clientEndpoint;
  SctpEndpoint serverEndpoint;
  std::unique_ptr<SctpAssociation> client;
  std::unique_ptr<SctpAssociation> server;

  explicit SctpTestPair(const Config& config)
      : clientToServer(config.seed, config.lossRate, config.oneWayDelay),
        serverToClient(config.seed * 7919 + 1, config.lossRate, config.oneWayDelay) {
    clientEndpoint.link = &clientToServer;
    clientEndpoint.clock = &clock;
    serverEndpoint.link = &serverToClient;
    serverEndpoint.clock = &clock;
    client = std::make_unique<SctpAssociation>(DtlsRole::kClient, clientEndpoint, tasks.AsPost(),
                                               config.clientOptions);
    server = std::make_unique<SctpAssociation>(DtlsRole::kServer, serverEndpoint, tasks.AsPost(),
                                               config.serverOptions);
  }
  SctpTestPair() : SctpTestPair(Config{}) {}

  ~SctpTestPair() {
    client.reset();
    server.reset();
    tasks.RunAll();  // tasks for the destroyed associations find nothing
  }

  // One step of simulated time: packets due, usrsctp's timers, posted tasks.
  void Step(SctpClock::duration step = 5ms) {
    clock.Advance(step);
    clientToServer.DeliverDue(clock.Now(), [this](const Bytes& packet) {
      if (server) server->ProcessSctpPacket(packet);
    });
    serverToClient.DeliverDue(clock.Now(), [this](const Bytes& packet) {
      if (client) client->ProcessSctpPacket(packet);
    });
    SctpStack::Instance().HandleTimers(clock.Now());
    tasks.RunAll();
  }

  // Steps until `done` holds, at most `limit` of simulated time. No sleeping: the loop is
  // bounded by simulated time only.
  bool RunUntil(const std::function<bool()>& done, SctpClock::duration limit = 30s,
                SctpClock::duration step = 5ms) {
    const auto end = clock.Now() + limit;
    while (!done()) {
      if (clock.Now() >= end) return false;
      Step(step);
    }
    return true;
  }

  void RunFor(SctpClock::duration duration, SctpClock::duration step = 5ms) {
    const auto end = clock.Now() + duration;
    while (clock.Now() < end) Step(step);
  }

  bool Connect() {
    REQUIRE(client->Start());
    REQUIRE(server->Start());
    return RunUntil([this] {
      return client->GetState() == SctpAssociation::State::kConnected &&
             server->GetState() == SctpAssociation::State::kConnected;
    });
  }
};

}  // namespace myriad::server::transport::testing
