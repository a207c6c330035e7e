#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <cstdint>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "server/transport/SctpAssociation.h"
#include "tests/server/SctpTestPair.h"

using namespace myriad::server::transport;
using namespace myriad::server::transport::testing;
using State = SctpAssociation::State;
using SendResult = SctpAssociation::SendResult;
using Reliability = myriad::rtp::DataChannelOpen::Reliability;

namespace {

Bytes Numbered(uint32_t index, size_t size = 16) {
  Bytes bytes(size, static_cast<uint8_t>(index * 31));
  bytes[0] = static_cast<uint8_t>(index >> 24);
  bytes[1] = static_cast<uint8_t>(index >> 16);
  bytes[2] = static_cast<uint8_t>(index >> 8);
  bytes[3] = static_cast<uint8_t>(index);
  return bytes;
}

uint32_t IndexOf(const Bytes& bytes) {
  return (uint32_t{bytes[0]} << 24) | (uint32_t{bytes[1]} << 16) | (uint32_t{bytes[2]} << 8) |
         bytes[3];
}

// Opens a channel from `opener` and waits until the other side reports it.
uint16_t OpenChannel(SctpTestPair& pair, bool fromClient, std::string_view label = "control",
                     std::string_view protocol = "myriad-v1",
                     const SctpAssociation::DataChannelOptions& options = {}) {
  SctpAssociation& opener = fromClient ? *pair.client : *pair.server;
  SctpEndpoint& other = fromClient ? pair.serverEndpoint : pair.clientEndpoint;
  const size_t before = other.opened.size();
  const auto streamId = opener.OpenDataChannel(label, protocol, options);
  REQUIRE(streamId);
  REQUIRE(pair.RunUntil([&] { return other.opened.size() > before; }));
  REQUIRE(other.opened.back().streamId == *streamId);
  return *streamId;
}

}  // namespace

TEST_CASE("SctpAssociation: both ends connect and come up once", "[SctpAssociation]") {
  SctpTestPair pair;
  CHECK(pair.client->GetState() == State::kNew);
  REQUIRE(pair.Connect());
  pair.RunFor(1s);
  CHECK(pair.clientEndpoint.upCount == 1);
  CHECK(pair.serverEndpoint.upCount == 1);
  CHECK(pair.clientEndpoint.failures.empty());
  CHECK(pair.serverEndpoint.failures.empty());
  CHECK(pair.client->GetRole() == DtlsRole::kClient);
  CHECK_FALSE(pair.client->Start());  // once only
}

TEST_CASE("SctpAssociation: DCEP open is acknowledged and reported with label and protocol",
          "[SctpAssociation]") {
  SctpTestPair pair;
  REQUIRE(pair.Connect());

  SctpAssociation::DataChannelOptions unordered;
  unordered.ordered = false;
  unordered.reliability = Reliability::kPartialReliableRexmit;
  unordered.reliabilityParameter = 2;
  unordered.priority = 512;
  const auto fromClient = pair.client->OpenDataChannel("chat", "json", unordered);
  REQUIRE(fromClient);
  CHECK(*fromClient % 2 == 0);  // RFC 8832 6: the DTLS client takes even ids
  auto info = pair.client->GetDataChannel(*fromClient);
  REQUIRE(info);
  CHECK(info->openedLocally);
  CHECK_FALSE(info->acknowledged);

  REQUIRE(pair.RunUntil([&] { return pair.client->GetDataChannel(*fromClient)->acknowledged; }));
  REQUIRE(pair.serverEndpoint.opened.size() == 1);
  CHECK(pair.serverEndpoint.opened[0].streamId == *fromClient);
  CHECK(pair.serverEndpoint.opened[0].label == "chat");
  CHECK(pair.serverEndpoint.opened[0].protocol == "json");
  const auto serverSide = pair.server->GetDataChannel(*fromClient);
  REQUIRE(serverSide);
  CHECK_FALSE(serverSide->openedLocally);
  CHECK_FALSE(serverSide->options.ordered);
  CHECK(serverSide->options.reliability == Reliability::kPartialReliableRexmit);
  CHECK(serverSide->options.reliabilityParameter == 2);
  CHECK(serverSide->options.priority == 512);
  CHECK(pair.clientEndpoint.opened.empty());  // the opener is not told about its own channel

  // The server's channels take odd ids; an empty label and a UTF-8 one both arrive intact.
  const uint16_t fromServer = OpenChannel(pair, false, "", "");
  CHECK(fromServer % 2 == 1);
  CHECK(pair.clientEndpoint.opened.back().label.empty());
  const std::string utf8 = "r\xC3\xA9union \xF0\x9F\x8E\xA4";
  const uint16_t named = OpenChannel(pair, false, utf8, "p");
  CHECK(named == fromServer + 2);
  CHECK(pair.clientEndpoint.opened.back().label == utf8);
  CHECK(pair.client->DataChannelCount() == 3);
  CHECK(pair.server->GetCounters().dcepDropped == 0);
  CHECK(pair.client->GetCounters().dcepDropped == 0);
}

TEST_CASE("SctpAssociation: ordered messages both ways, text, binary, empty and 64 KiB",
          "[SctpAssociation]") {
  SctpTestPair pair;
  REQUIRE(pair.Connect());
  const uint16_t channel = OpenChannel(pair, true);

  const Bytes large = [] {
    Bytes bytes(64 * 1024);
    std::mt19937 random(7);
    for (auto& b : bytes) b = static_cast<uint8_t>(random());
    return bytes;
  }();
  struct Message {
    Bytes bytes;
    bool binary;
  };
  const std::vector<Message> sent = {{TextBytes("hello"), false},
                                     {Bytes{0, 1, 2, 255}, true},
                                     {Bytes{}, false},
                                     {Bytes{}, true},
                                     {large, true},
                                     {TextBytes("after"), false}};
  for (const auto& message : sent) {
    CHECK(pair.client->Send(channel, message.bytes, message.binary) != SendResult::kNotOpen);
    CHECK(pair.server->Send(channel, message.bytes, message.binary) != SendResult::kNotOpen);
  }
  REQUIRE(pair.RunUntil([&] {
    return pair.serverEndpoint.messages.size() == sent.size() &&
           pair.clientEndpoint.messages.size() == sent.size();
  }));
  for (const SctpEndpoint* endpoint : {&pair.serverEndpoint, &pair.clientEndpoint}) {
    for (size_t i = 0; i < sent.size(); ++i) {
      INFO("message " << i);
      CHECK(endpoint->messages[i].streamId == channel);
      CHECK(endpoint->messages[i].binary == sent[i].binary);
      CHECK(endpoint->messages[i].bytes == sent[i].bytes);
    }
  }
  // Every packet fits a DTLS record in DtlsTransport::kMtu.
  CHECK(pair.clientEndpoint.largestPacket <= SctpAssociation::kDefaultMtu);
  CHECK(pair.serverEndpoint.largestPacket <= SctpAssociation::kDefaultMtu);
  CHECK(pair.clientEndpoint.largestPacket > SctpAssociation::kDefaultMtu - 100);
  CHECK(pair.client->BufferedAmount() == 0);
}

TEST_CASE("SctpAssociation: messages up to the size limit arrive whole, larger ones are dropped",
          "[SctpAssociation]") {
  SctpTestPair::Config config;
  config.serverOptions.maxMessageSize = 100 * 1024;
  config.clientOptions.remoteMaxMessageSize = 0;  // the sender does not know the limit
  SctpTestPair pair(config);
  REQUIRE(pair.Connect());
  const uint16_t channel = OpenChannel(pair, true);
  // Larger than what usrsctp hands over at once (partial delivery), so the parts are put
  // back together; one byte more exceeds the receiver's maxMessageSize.
  Bytes largest(100 * 1024);
  for (size_t i = 0; i < largest.size(); ++i) largest[i] = static_cast<uint8_t>(i * 7 + i / 1000);
  CHECK(pair.client->Send(channel, largest, true) == SendResult::kSent);
  CHECK(pair.client->Send(channel, Bytes(largest.size() + 1, 0x5A), true) == SendResult::kSent);
  CHECK(pair.client->Send(channel, TextBytes("next"), false) == SendResult::kSent);
  // usrsctp's send buffer bounds any message.
  CHECK(pair.client->Send(channel, Bytes(SctpStack::kSendBufferSize + 1), true) ==
        SendResult::kTooLarge);
  REQUIRE(pair.RunUntil([&] { return pair.serverEndpoint.messages.size() == 2; }));
  pair.RunFor(500ms);
  REQUIRE(pair.serverEndpoint.messages.size() == 2);
  CHECK(pair.serverEndpoint.messages[0].bytes == largest);
  CHECK(pair.serverEndpoint.messages[1].bytes == TextBytes("next"));
  CHECK(pair.server->GetCounters().messagesDroppedTooLarge == 1);

  // The whole send buffer in one message goes too.
  SctpTestPair::Config big;
  big.serverOptions.maxMessageSize = SctpStack::kSendBufferSize;
  big.clientOptions.remoteMaxMessageSize = SctpStack::kSendBufferSize;
  SctpTestPair bigPair(big);
  REQUIRE(bigPair.Connect());
  const uint16_t bigChannel = OpenChannel(bigPair, true);
  const Bytes full(SctpStack::kSendBufferSize, 0xA5);
  CHECK(bigPair.client->Send(bigChannel, full, true) != SendResult::kTooLarge);
  REQUIRE(bigPair.RunUntil([&] { return bigPair.serverEndpoint.messages.size() == 1; }));
  CHECK(bigPair.serverEndpoint.messages[0].bytes == full);
  CHECK(bigPair.client->BufferedAmount() == 0);
}

TEST_CASE("SctpAssociation: 1000 messages arrive in order through 5% loss each way",
          "[SctpAssociation]") {
  SctpTestPair::Config config;
  config.lossRate = 0.05;
  config.seed = 20240;
  SctpTestPair pair(config);
  REQUIRE(pair.Connect());
  const uint16_t channel = OpenChannel(pair, true);

  constexpr uint32_t kCount = 1000;
  uint32_t next = 0;
  // A message every 10 ms, both ways, with the simulated clock.
  REQUIRE(pair.RunUntil(
      [&] {
        if (next < kCount) {
          REQUIRE(pair.client->Send(channel, Numbered(next), true) != SendResult::kNotOpen);
          REQUIRE(pair.server->Send(channel, Numbered(next), true) != SendResult::kNotOpen);
          ++next;
        }
        return pair.serverEndpoint.messages.size() == kCount &&
               pair.clientEndpoint.messages.size() == kCount;
      },
      120s, 10ms));
  for (const SctpEndpoint* endpoint : {&pair.serverEndpoint, &pair.clientEndpoint}) {
    for (uint32_t i = 0; i < kCount; ++i) {
      REQUIRE(IndexOf(endpoint->messages[i].bytes) == i);
    }
  }
  CHECK(pair.clientToServer.dropped > 0);
  CHECK(pair.serverToClient.dropped > 0);
  CHECK(pair.clientEndpoint.failures.empty());
  CHECK(pair.serverEndpoint.failures.empty());
}

TEST_CASE("SctpAssociation: closing a channel resets its stream on both sides",
          "[SctpAssociation]") {
  SctpTestPair pair;
  REQUIRE(pair.Connect());
  const uint16_t fromClient = OpenChannel(pair, true);
  const uint16_t fromServer = OpenChannel(pair, false);

  SECTION("the opener closes; what it sent before still arrives") {
    CHECK(pair.client->Send(fromClient, TextBytes("last words"), false) == SendResult::kSent);
    REQUIRE(pair.client->CloseDataChannel(fromClient));
    CHECK_FALSE(pair.client->CloseDataChannel(fromClient));  // already closing
    CHECK(pair.client->Send(fromClient, TextBytes("too late"), false) == SendResult::kNotOpen);
    REQUIRE(pair.RunUntil([&] {
      return !pair.serverEndpoint.closedChannels.empty() &&
             !pair.clientEndpoint.closedChannels.empty();
    }));
    CHECK(pair.serverEndpoint.closedChannels == std::vector<uint16_t>{fromClient});
    CHECK(pair.clientEndpoint.closedChannels == std::vector<uint16_t>{fromClient});
    REQUIRE(pair.serverEndpoint.messages.size() == 1);
    CHECK(pair.serverEndpoint.messages[0].bytes == TextBytes("last words"));
    CHECK_FALSE(pair.server->GetDataChannel(fromClient));
    CHECK_FALSE(pair.client->GetDataChannel(fromClient));
    // The other channel is untouched, and the freed id is taken again.
    CHECK(pair.client->Send(fromServer, TextBytes("still here"), false) == SendResult::kSent);
    CHECK(OpenChannel(pair, true, "again") == fromClient);
  }
  SECTION("the peer closes the other side's channel") {
    REQUIRE(pair.client->CloseDataChannel(fromServer));
    REQUIRE(pair.RunUntil([&] {
      return !pair.serverEndpoint.closedChannels.empty() &&
             !pair.clientEndpoint.closedChannels.empty();
    }));
    CHECK(pair.serverEndpoint.closedChannels == std::vector<uint16_t>{fromServer});
    CHECK(pair.clientEndpoint.closedChannels == std::vector<uint16_t>{fromServer});
    CHECK(pair.server->GetDataChannel(fromClient));
  }
  SECTION("both sides close at once") {
    REQUIRE(pair.client->CloseDataChannel(fromClient));
    REQUIRE(pair.server->CloseDataChannel(fromClient));
    REQUIRE(pair.server->CloseDataChannel(fromServer));
    REQUIRE(pair.RunUntil([&] {
      return pair.serverEndpoint.closedChannels.size() == 2 &&
             pair.clientEndpoint.closedChannels.size() == 2;
    }));
    CHECK(pair.client->DataChannelCount() == 0);
    CHECK(pair.server->DataChannelCount() == 0);
  }
}

TEST_CASE("SctpAssociation: messages queue before the association is up, up to a limit",
          "[SctpAssociation]") {
  SctpTestPair::Config config;
  config.clientOptions.maxBufferedAmount = 1000;
  SctpTestPair pair(config);
  const auto channel = pair.client->OpenDataChannel("early", "");
  REQUIRE(channel);
  CHECK(pair.client->Send(*channel, Bytes(600, 1), true) == SendResult::kQueued);
  CHECK(pair.client->Send(*channel, Bytes(300, 2), true) == SendResult::kQueued);
  CHECK(pair.client->Send(*channel, Bytes(200, 3), true) == SendResult::kBufferFull);
  CHECK(pair.client->BufferedAmount() >= 900);
  CHECK(pair.client->Send(*channel, Bytes(64 * 1024 + 1, 4), true) == SendResult::kTooLarge);
  CHECK(pair.client->Send(static_cast<uint16_t>(*channel + 2), Bytes(1), true) ==
        SendResult::kNotOpen);

  REQUIRE(pair.Connect());
  REQUIRE(pair.RunUntil([&] { return pair.serverEndpoint.messages.size() == 2; }));
  CHECK(pair.serverEndpoint.opened.size() == 1);
  CHECK(pair.serverEndpoint.messages[0].bytes == Bytes(600, 1));
  CHECK(pair.serverEndpoint.messages[1].bytes == Bytes(300, 2));
  CHECK(pair.client->BufferedAmount() == 0);
}

TEST_CASE("SctpAssociation: garbage packets are dropped", "[SctpAssociation]") {
  SctpTestPair pair;
  // Before Start nothing reaches usrsctp.
  pair.server->ProcessSctpPacket(Bytes{1, 2, 3});
  CHECK(pair.server->GetCounters().packetsDroppedBeforeStart == 1);

  REQUIRE(pair.Connect());
  const uint16_t channel = OpenChannel(pair, true);
  std::mt19937 random(99);
  std::vector<Bytes> garbage = {Bytes{}, Bytes{0}, Bytes(11, 0xFF), Bytes(12, 0)};
  for (size_t size : {12, 16, 28, 100, 1200, 5000}) {
    Bytes bytes(size);
    for (auto& b : bytes) b = static_cast<uint8_t>(random());
    garbage.push_back(bytes);
  }
  // A plausible header (ports 5000, a zero verification tag and checksum) on a DATA chunk.
  garbage.push_back(Bytes{0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0,  0,   3,   0, 20,
                          0,    0,    0,    1,    0, 0, 0, 0, 0, 0, 0, 51, 'h', 'i', 0, 0});
  for (const Bytes& packet : garbage) pair.server->ProcessSctpPacket(packet);
  pair.RunFor(100ms);

  CHECK(pair.server->GetState() == State::kConnected);
  CHECK(pair.serverEndpoint.messages.empty());
  CHECK(pair.client->Send(channel, TextBytes("fine"), false) == SendResult::kSent);
  REQUIRE(pair.RunUntil([&] { return pair.serverEndpoint.messages.size() == 1; }));
  CHECK(pair.serverEndpoint.messages[0].bytes == TextBytes("fine"));
}

TEST_CASE("SctpAssociation: destroying one end while the other keeps sending is safe",
          "[SctpAssociation]") {
  SctpTestPair::Config config;
  config.lossRate = 0.02;
  SctpTestPair pair(config);
  REQUIRE(pair.Connect());
  const uint16_t channel = OpenChannel(pair, true);
  const size_t associations = SctpStack::Instance().AssociationCount();

  for (int i = 0; i < 50; ++i) {
    pair.client->Send(channel, Numbered(static_cast<uint32_t>(i), 3000), true);
    pair.Step(1ms);
  }
  SECTION("without Close: the peer notices only by its retransmissions running out") {
    // Tasks for the server (drains, packets) may still be queued; they must find nothing.
    pair.server.reset();
    CHECK(SctpStack::Instance().AssociationCount() == associations - 1);
    for (int i = 50; i < 100; ++i) {
      pair.client->Send(channel, Numbered(static_cast<uint32_t>(i), 3000), true);
      pair.Step(5ms);
    }
    pair.RunFor(2s);
    CHECK(pair.client->GetState() == State::kConnected);  // still retrying, no crash
  }
  SECTION("with Close: the ABORT tells the peer at once") {
    pair.server->Close();
    CHECK(pair.server->GetState() == State::kClosed);
    pair.server->ProcessSctpPacket(Bytes(40, 0));  // ignored after Close
    REQUIRE(pair.RunUntil([&] { return !pair.clientEndpoint.failures.empty(); }, 1s));
    CHECK(pair.client->GetState() == State::kFailed);
    CHECK(pair.client->Send(channel, Bytes(1), true) == SendResult::kNotOpen);
    CHECK_FALSE(pair.client->OpenDataChannel("x", ""));
    pair.server.reset();
    pair.RunFor(100ms);
  }
}

TEST_CASE("SctpAssociation: callbacks run on the owner thread while timers run elsewhere",
          "[SctpAssociation]") {
  // Each association lives on its own io_context thread; this thread moves packets (posting
  // them to the receiving owner) and drives HandleTimers, so usrsctp's callbacks for timer
  // work (retransmissions) run here and must be posted to the owners. Catch2 assertions stay
  // on this thread.
  struct Owner {
    boost::asio::io_context io;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work =
        boost::asio::make_work_guard(io);
    std::thread thread{[this] { io.run(); }};

    // Runs `task` on the owner thread and waits for it (a barrier, not a sleep).
    void RunSync(const std::function<void()>& task) {
      std::promise<void> done;
      boost::asio::post(io, [&] {
        task();
        done.set_value();
      });
      done.get_future().wait();
    }
    ~Owner() {
      work.reset();
      thread.join();
    }
  };
  SimulatedClock clock;
  SctpTestLink clientToServer(5, 0.05, 30ms);
  SctpTestLink serverToClient(6, 0.05, 30ms);
  SctpEndpoint clientEndpoint;
  SctpEndpoint serverEndpoint;
  clientEndpoint.link = &clientToServer;
  clientEndpoint.clock = &clock;
  serverEndpoint.link = &serverToClient;
  serverEndpoint.clock = &clock;
  // Declared before the owners: if a check fails, the threads are joined before these go.
  std::unique_ptr<SctpAssociation> client;
  std::unique_ptr<SctpAssociation> server;
  Owner clientOwner;
  Owner serverOwner;
  const std::thread::id clientThread = clientOwner.thread.get_id();
  const std::thread::id serverThread = serverOwner.thread.get_id();

  bool started = false;
  clientOwner.RunSync([&] {
    client = std::make_unique<SctpAssociation>(DtlsRole::kClient, clientEndpoint,
                                               SctpStack::PostTo(clientOwner.io.get_executor()),
                                               SctpAssociation::Options{});
    started = client->Start();
  });
  REQUIRE(started);
  serverOwner.RunSync([&] {
    server = std::make_unique<SctpAssociation>(DtlsRole::kServer, serverEndpoint,
                                               SctpStack::PostTo(serverOwner.io.get_executor()),
                                               SctpAssociation::Options{});
    started = server->Start();
  });
  REQUIRE(started);

  const auto step = [&] {
    clock.Advance(5ms);
    std::vector<Bytes> toServer;
    std::vector<Bytes> toClient;
    {
      // Each link is filled under its sender's packet mutex (OnSctpSendPacket).
      std::lock_guard lock(clientEndpoint.packetMutex);
      clientToServer.DeliverDue(clock.Now(), [&](const Bytes& p) { toServer.push_back(p); });
    }
    {
      std::lock_guard lock(serverEndpoint.packetMutex);
      serverToClient.DeliverDue(clock.Now(), [&](const Bytes& p) { toClient.push_back(p); });
    }
    for (Bytes& packet : toServer) {
      boost::asio::post(serverOwner.io, [&server, packet = std::move(packet)] {
        if (server) server->ProcessSctpPacket(packet);
      });
    }
    for (Bytes& packet : toClient) {
      boost::asio::post(clientOwner.io, [&client, packet = std::move(packet)] {
        if (client) client->ProcessSctpPacket(packet);
      });
    }
    SctpStack::Instance().HandleTimers(clock.Now());
    clientOwner.RunSync([] {});
    serverOwner.RunSync([] {});
  };
  // `done` runs with both owner threads parked, so it may read both sides.
  const auto runUntil = [&](const std::function<bool()>& done) {
    for (int i = 0; i < 20000; ++i) {  // at most 100 s of simulated time
      bool finished = false;
      clientOwner.RunSync([&] { serverOwner.RunSync([&] { finished = done(); }); });
      if (finished) return true;
      step();
    }
    return false;
  };

  REQUIRE(runUntil([&] {
    return client->GetState() == State::kConnected && server->GetState() == State::kConnected;
  }));
  std::optional<uint16_t> channel;
  clientOwner.RunSync([&] { channel = client->OpenDataChannel("control", "v1"); });
  REQUIRE(channel);
  constexpr uint32_t kCount = 200;
  uint32_t sent = 0;
  const uint64_t postedBefore = SctpStack::Instance().GetCounters().packetsPostedToOwner;
  std::optional<SctpClock::time_point> blackoutEnd;
  REQUIRE(runUntil([&] {
    // A second's blackout of the client's direction after its fifth message, longer than
    // any RTO (Options::rtoMax): the retransmission timer, run by HandleTimers on this
    // thread, fires and its packets are posted to the client's thread.
    if (sent == 5 && !blackoutEnd) blackoutEnd = clock.Now() + 1s;
    {
      std::lock_guard lock(clientEndpoint.packetMutex);
      clientToServer.SetLossRate(blackoutEnd && clock.Now() < *blackoutEnd ? 1.0 : 0.05);
    }
    if (sent < kCount && !serverEndpoint.opened.empty()) {
      // Each send goes to its association's own thread.
      boost::asio::post(clientOwner.io, [&client, &channel, index = sent] {
        if (client) client->Send(*channel, Numbered(index), true);
      });
      boost::asio::post(serverOwner.io, [&server, &channel, index = sent] {
        if (server) server->Send(*channel, Numbered(index), true);
      });
      ++sent;
    }
    return serverEndpoint.messages.size() == kCount && clientEndpoint.messages.size() == kCount;
  }));
  clientOwner.RunSync([&] { client.reset(); });
  serverOwner.RunSync([&] { server.reset(); });

  for (const SctpEndpoint* endpoint : {&clientEndpoint, &serverEndpoint}) {
    for (uint32_t i = 0; i < kCount; ++i) REQUIRE(IndexOf(endpoint->messages[i].bytes) == i);
  }
  // Timer work happened on this thread and was posted to the owners.
  CHECK(SctpStack::Instance().GetCounters().packetsPostedToOwner > postedBefore);
  // Every listener callback (OnSctpSendPacket included, posted when produced here) ran on its
  // owner's thread.
  REQUIRE(clientEndpoint.callbackThreads.size() > kCount);
  for (const auto id : clientEndpoint.callbackThreads) REQUIRE(id == clientThread);
  for (const auto id : serverEndpoint.callbackThreads) REQUIRE(id == serverThread);
}

TEST_CASE(
    "SctpAssociation counts what waits to be acknowledged and whether the queue exceeds the "
    "congestion window",
    "[SctpAssociation]") {
  SctpTestPair pair;
  CHECK_FALSE(pair.server->UnacknowledgedBytes());  // not up yet
  CHECK_FALSE(pair.server->SendQueueBeyondWindow());
  REQUIRE(pair.Connect());
  const uint16_t channel = OpenChannel(pair, true);
  REQUIRE(pair.RunUntil([&] { return pair.server->UnacknowledgedBytes() == size_t{0}; }));
  CHECK_FALSE(pair.server->SendQueueBeyondWindow());

  // 64 KiB at once: far more than the initial congestion window (a few packets), so most of it
  // waits in usrsctp until acknowledgements open the window.
  const Bytes large(64 * 1024, 0x5a);
  REQUIRE(pair.server->Send(channel, large, true) != SendResult::kNotOpen);
  const auto queued = pair.server->UnacknowledgedBytes();
  REQUIRE(queued);
  CHECK(*queued >= large.size());
  const auto path = pair.server->GetPathStatus();
  REQUIRE(path);
  CHECK(path->congestionWindow < large.size());
  CHECK(pair.server->SendQueueBeyondWindow());

  // Delivered and acknowledged: nothing waits.
  REQUIRE(pair.RunUntil([&] { return pair.clientEndpoint.messages.size() == 1; }));
  REQUIRE(pair.RunUntil([&] { return pair.server->UnacknowledgedBytes() == size_t{0}; }));
  CHECK_FALSE(pair.server->SendQueueBeyondWindow());
  CHECK(pair.clientEndpoint.messages[0].bytes == large);
}
