// myriad-tunlink's pure parts: which packets are impaired (an IPv4 header
// read defensively), what happens to them (seeded loss, fixed delay in
// order) and the command line. Time is passed in; nothing touches a device.

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/tunlink/TunImpairment.h"
#include "loadtest/tunlink/TunLinkCommandLine.h"
#include "loadtest/tunlink/TunPacketFilter.h"

namespace myriad::loadtest {
namespace {

using namespace std::chrono_literals;
using Clock = TunImpairment::Clock;
using Selection = TunPacketFilter::Selection;
using Kind = TunImpairment::Verdict::Kind;

const Clock::time_point kT0 = Clock::time_point{} + 1000s;

// A minimal IPv4 packet: a 20-byte header with `protocol` and `payload`
// bytes after it.
std::vector<uint8_t> Ipv4Packet(uint8_t protocol, size_t payload = 20) {
  std::vector<uint8_t> packet(20 + payload, 0);
  packet[0] = 0x45;  // version 4, 5 words
  packet[2] = static_cast<uint8_t>(packet.size() >> 8);
  packet[3] = static_cast<uint8_t>(packet.size() & 0xFF);
  packet[8] = 64;
  packet[9] = protocol;
  return packet;
}

TEST_CASE("TunPacketFilter reads the protocol of a well-formed IPv4 header", "[tunlink]") {
  CHECK(TunPacketFilter::Ipv4ProtocolOf(Ipv4Packet(TunPacketFilter::kTcp)) == 6);
  CHECK(TunPacketFilter::Ipv4ProtocolOf(Ipv4Packet(TunPacketFilter::kUdp)) == 17);
  // Options (IHL 6) are fine while the header fits.
  auto withOptions = Ipv4Packet(TunPacketFilter::kTcp);
  withOptions[0] = 0x46;
  CHECK(TunPacketFilter::Ipv4ProtocolOf(withOptions) == 6);
}

TEST_CASE("TunPacketFilter rejects short and malformed packets", "[tunlink]") {
  const auto tcp = Ipv4Packet(TunPacketFilter::kTcp);
  CHECK_FALSE(TunPacketFilter::Ipv4ProtocolOf({}));
  for (size_t length = 0; length < 20; ++length) {
    CHECK_FALSE(TunPacketFilter::Ipv4ProtocolOf(std::span(tcp.data(), length)));
  }
  auto ipv6 = tcp;
  ipv6[0] = 0x60;
  CHECK_FALSE(TunPacketFilter::Ipv4ProtocolOf(ipv6));
  auto shortIhl = tcp;
  shortIhl[0] = 0x44;
  CHECK_FALSE(TunPacketFilter::Ipv4ProtocolOf(shortIhl));
  auto longIhl = Ipv4Packet(TunPacketFilter::kTcp, 0);
  longIhl[0] = 0x4F;  // 60 bytes of header in a 20-byte packet
  CHECK_FALSE(TunPacketFilter::Ipv4ProtocolOf(longIhl));
  auto longTotal = tcp;
  longTotal[2] = 0xFF;  // claims more than was read
  CHECK_FALSE(TunPacketFilter::Ipv4ProtocolOf(longTotal));
}

TEST_CASE("TunPacketFilter selects by protocol", "[tunlink]") {
  const auto tcp = Ipv4Packet(TunPacketFilter::kTcp);
  const auto udp = Ipv4Packet(TunPacketFilter::kUdp);
  const auto icmp = Ipv4Packet(1);
  auto ipv6 = tcp;
  ipv6[0] = 0x60;
  const TunPacketFilter all(Selection::kAll), onlyTcp(Selection::kTcp), onlyUdp(Selection::kUdp);
  CHECK(all.Matches(tcp));
  CHECK(all.Matches(udp));
  CHECK(all.Matches(icmp));
  CHECK_FALSE(all.Matches(ipv6));
  CHECK(onlyTcp.Matches(tcp));
  CHECK_FALSE(onlyTcp.Matches(udp));
  CHECK_FALSE(onlyTcp.Matches(icmp));
  CHECK(onlyUdp.Matches(udp));
  CHECK_FALSE(onlyUdp.Matches(tcp));
  CHECK(TunPacketFilter::ParseSelection("tcp") == Selection::kTcp);
  CHECK(TunPacketFilter::ParseSelection("udp") == Selection::kUdp);
  CHECK(TunPacketFilter::ParseSelection("all") == Selection::kAll);
  CHECK_FALSE(TunPacketFilter::ParseSelection("TCP"));
}

TEST_CASE("TunImpairment loses the configured share of selected packets, seeded", "[tunlink]") {
  constexpr int kPackets = 100'000;
  const auto tcp = Ipv4Packet(TunPacketFilter::kTcp);
  const auto run = [&](uint64_t seed) {
    TunImpairment impairment(
        TunImpairment::Options{Selection::kTcp, std::chrono::milliseconds(30), 0.05, seed});
    std::vector<bool> dropped;
    dropped.reserve(kPackets);
    for (int i = 0; i < kPackets; ++i) {
      dropped.push_back(impairment.Decide(tcp, kT0 + std::chrono::microseconds(i)).kind ==
                        Kind::kDrop);
    }
    CHECK(impairment.GetCounters().packets == kPackets);
    CHECK(impairment.GetCounters().impaired == kPackets);
    const double rate = static_cast<double>(impairment.GetCounters().dropped) / kPackets;
    CHECK(rate == Approx(0.05).margin(0.003));
    return dropped;
  };
  const auto first = run(7);
  CHECK(run(7) == first);
  CHECK(run(8) != first);
}

TEST_CASE("TunImpairment delays selected packets in order and passes the rest", "[tunlink]") {
  TunImpairment impairment(
      TunImpairment::Options{Selection::kTcp, std::chrono::milliseconds(30), 0.0, 1});
  const auto tcp = Ipv4Packet(TunPacketFilter::kTcp);
  const auto udp = Ipv4Packet(TunPacketFilter::kUdp);
  std::optional<Clock::time_point> previous;
  for (int i = 0; i < 100; ++i) {
    const auto now = kT0 + std::chrono::microseconds(137 * i);
    const auto verdict = impairment.Decide(tcp, now);
    REQUIRE(verdict.kind == Kind::kDelay);
    CHECK(verdict.due == now + 30ms);
    if (previous) CHECK(verdict.due >= *previous);
    previous = verdict.due;
    CHECK(impairment.Decide(udp, now).kind == Kind::kPass);
  }
  CHECK(impairment.GetCounters().packets == 200);
  CHECK(impairment.GetCounters().impaired == 100);
  CHECK(impairment.GetCounters().dropped == 0);
}

TEST_CASE("TunImpairment passes malformed packets without counting them impaired", "[tunlink]") {
  TunImpairment impairment(
      TunImpairment::Options{Selection::kAll, std::chrono::milliseconds(30), 1.0, 1});
  const std::vector<uint8_t> garbage{0x45, 0x00, 0xFF};
  CHECK(impairment.Decide({}, kT0).kind == Kind::kPass);
  CHECK(impairment.Decide(garbage, kT0).kind == Kind::kPass);
  // Everything well-formed is lost at 100 %.
  CHECK(impairment.Decide(Ipv4Packet(1), kT0).kind == Kind::kDrop);
  CHECK(impairment.GetCounters().packets == 3);
  CHECK(impairment.GetCounters().impaired == 1);
  CHECK(impairment.GetCounters().dropped == 1);
}

TEST_CASE("TunLinkCommandLine sets both directions and each one", "[tunlink]") {
  std::string error;
  const auto options = TunLinkCommandLine::Parse(
      {"--netns", "bench", "--delay-ms", "30", "--loss-percent=5", "--only", "tcp",
       "--from-netns-loss-percent", "2", "--seed", "9", "--duration-seconds", "1.5"},
      &error);
  REQUIRE(options);
  CHECK(options->netns == "bench");
  CHECK(options->link.toNetns.delay == 30ms);
  CHECK(options->link.fromNetns.delay == 30ms);
  CHECK(options->link.toNetns.lossRate == Approx(0.05));
  CHECK(options->link.fromNetns.lossRate == Approx(0.02));
  CHECK(options->link.toNetns.only == Selection::kTcp);
  CHECK(options->link.toNetns.seed != options->link.fromNetns.seed);
  CHECK(options->durationSeconds == Approx(1.5));
}

TEST_CASE("TunLinkCommandLine refuses bad input", "[tunlink]") {
  std::string error;
  CHECK_FALSE(TunLinkCommandLine::Parse({}, &error));
  CHECK(error.find("--netns") != std::string::npos);
  CHECK_FALSE(TunLinkCommandLine::Parse({"--netns", "x", "--only", "icmp"}, &error));
  CHECK_FALSE(TunLinkCommandLine::Parse({"--netns", "x", "--loss-percent", "101"}, &error));
  CHECK_FALSE(TunLinkCommandLine::Parse({"--netns", "x", "--delay-ms", "-1"}, &error));
  CHECK_FALSE(TunLinkCommandLine::Parse({"--netns", "x", "--bogus", "1"}, &error));
  CHECK_FALSE(TunLinkCommandLine::Parse({"--netns"}, &error));
  CHECK_FALSE(
      TunLinkCommandLine::Parse({"--netns", "x", "--root-dev", "a", "--netns-dev", "a"}, &error));
  const auto help = TunLinkCommandLine::Parse({"--help"}, &error);
  REQUIRE(help);
  CHECK(help->help);
}

}  // namespace
}  // namespace myriad::loadtest
