#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <set>
#include <vector>

#include "server/transport/SctpAssociation.h"
#include "server/transport/SctpStack.h"
#include "tests/server/SctpTestPair.h"

using namespace myriad::server::transport;
using namespace myriad::server::transport::testing;

TEST_CASE("SctpStack: association ids are never reused", "[SctpStack]") {
  SctpStack& stack = SctpStack::Instance();
  TaskQueue tasks;
  SctpEndpoint endpoint;
  const size_t before = stack.AssociationCount();
  std::set<SctpStack::AssociationId> ids;
  for (int i = 0; i < 20; ++i) {
    SctpAssociation association(DtlsRole::kServer, endpoint, tasks.AsPost(),
                                SctpAssociation::Options{});
    CHECK(association.Id() != 0);  // usrsctp_connect refuses address 0
    CHECK(stack.AssociationCount() == before + 1);
    ids.insert(association.Id());
  }
  CHECK(ids.size() == 20);
  CHECK(stack.AssociationCount() == before);
}

TEST_CASE("SctpStack: a task posted for a destroyed association does not run", "[SctpStack]") {
  SctpStack& stack = SctpStack::Instance();
  TaskQueue tasks;
  SctpEndpoint endpoint;
  auto association = std::make_unique<SctpAssociation>(DtlsRole::kClient, endpoint, tasks.AsPost(),
                                                       SctpAssociation::Options{});
  const SctpStack::AssociationId id = association->Id();
  int ran = 0;
  stack.PostToOwner(id, [&](SctpAssociation& target) {
    CHECK(&target == association.get());
    ++ran;
  });
  CHECK(tasks.RunAll() == 1);
  CHECK(ran == 1);

  stack.PostToOwner(id, [&](SctpAssociation&) { ++ran; });  // queued while it still exists
  association.reset();
  tasks.RunAll();
  stack.PostToOwner(id, [&](SctpAssociation&) { ++ran; });  // not even queued any more
  CHECK(tasks.RunAll() == 0);
  CHECK(ran == 1);
}

TEST_CASE("SctpStack: callbacks for an unknown association are dropped", "[SctpStack]") {
  SctpStack& stack = SctpStack::Instance();
  const auto before = stack.GetCounters().droppedForUnknownAssociation;
  const std::vector<uint8_t> packet(64, 0);
  // Ids count up from 1, so this one was never handed out.
  const SctpStack::AssociationId unknown = ~SctpStack::AssociationId{0};
  stack.DispatchOutgoingPacket(unknown, packet);
  stack.DispatchInboundEvent(unknown, SctpInboundEvent{packet, 1, 51, 0});
  CHECK(stack.GetCounters().droppedForUnknownAssociation == before + 2);
}

TEST_CASE("SctpStack: HandleTimers accepts a clock that starts anywhere", "[SctpStack]") {
  // Timers advance by the time between calls; a clock that jumps back (another test's
  // simulated clock) only resets the reference, and the associations keep working.
  SctpStack& stack = SctpStack::Instance();
  const auto now = SctpClock::now();
  stack.HandleTimers(now + 10min);
  stack.HandleTimers(now);
  stack.HandleTimers(now + 500us);  // under a millisecond: carried over
  stack.HandleTimers(now + 1500us);

  SctpTestPair pair;
  REQUIRE(pair.Connect());
  const auto channel = pair.client->OpenDataChannel("a", "b");
  REQUIRE(channel);
  REQUIRE(pair.RunUntil([&] { return pair.serverEndpoint.opened.size() == 1; }));
}

TEST_CASE("SctpStack: timers alone retransmit a lost packet", "[SctpStack]") {
  // Everything the client sends after the association is up is lost once; only
  // HandleTimers (the retransmission timer) can then bring the message over.
  SctpTestPair pair;
  REQUIRE(pair.Connect());
  const auto channel = pair.client->OpenDataChannel("a", "b");
  REQUIRE(channel);
  REQUIRE(pair.RunUntil([&] { return pair.serverEndpoint.opened.size() == 1; }));
  pair.clientToServer.SetLossRate(1.0);
  REQUIRE(pair.client->Send(*channel, TextBytes("once"), false) ==
          SctpAssociation::SendResult::kSent);
  pair.RunFor(20ms);
  pair.clientToServer.SetLossRate(0);
  // With no packet arriving at the client either, the retransmission comes from the timer.
  REQUIRE(pair.RunUntil([&] { return pair.serverEndpoint.messages.size() == 1; }, 5s));
  CHECK(pair.serverEndpoint.messages[0].bytes == TextBytes("once"));
}
