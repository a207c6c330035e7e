#pragma once

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "loadtest/client/DelayLine.h"
#include "loadtest/client/LinkImpairment.h"

namespace myriad::loadtest {

// A UDP relay on loopback that puts an impaired network path between
// clients and a server, for a kernel without netem: a NAT whose links have
// a rate cap, a buffer, delay, jitter and loss (LinkImpairment).
//
// Clients send to the front socket (FrontEndpoint()). Each new client
// source endpoint gets a mapping: a back socket of its own on the loopback
// address, connected to the target, so the server sees one distinct address
// per client, as behind a NAT that maps each inside endpoint to its own
// outside port. Datagrams client -> server cross the mapping's uplink
// LinkImpairment, server -> client its downlink one; each mapping has its
// own pair (every client has its own access link), with generators seeded
// from the options' seeds, the direction and the mapping's index, so runs
// repeat. A datagram admitted by its link waits for its due time in one
// DelayLine per direction (shared by the mappings; items carry the mapping
// index), then leaves by the mapping's back socket or the front socket.
//
// Options for both directions are the relay's (SetPathOptions: every
// mapping and the ones to come) or one mapping's (SetClientPathOptions),
// changeable at runtime (LinkImpairment::SetOptions says what happens to
// the queue at a rate change).
//
// Bounded: at most `maxMappings` mappings (more clients are refused and
// counted), `lineCapacity` datagrams waiting per direction (more are
// dropped and counted). Mappings live until Close(): a relay serves a test
// or a load run, not a NAT's lifetime.
//
// Runs on one io_context thread. No allocation per datagram once a mapping
// exists: one receive buffer for every socket, the lines' preallocated
// slots (datagrams up to `reservedDatagramBytes` fit without growing one).
class ImpairmentRelay {
 public:
  using Clock = std::chrono::steady_clock;
  using Endpoint = boost::asio::ip::udp::endpoint;

  struct PathOptions {
    LinkImpairment::Options uplink;    // client -> server
    LinkImpairment::Options downlink;  // server -> client
  };

  struct Options {
    // The server's UDP address. Loopback only: the relay is a test tool.
    Endpoint target;
    // Also a target outside loopback: a server in a benchmark's network
    // namespace behind a point-to-point link (myriad-tunlink), reached only
    // through the caller's explicit consent (myriad-loadtest
    // --allow-netns-target). The back sockets then bind no address, so the
    // kernel gives them the route's source (a loopback source cannot leave
    // the host's loopback device).
    bool allowNonLoopbackTarget = false;
    // Where the front socket binds; loopback only, port 0 picks one.
    Endpoint listen{boost::asio::ip::address_v4::loopback(), 0};
    PathOptions path;
    size_t maxMappings = 4096;
    // Datagrams each direction holds at once (in flight on the links).
    size_t lineCapacity = 1024;
    size_t reservedDatagramBytes = 1500;
    // What a datagram costs the links beyond its UDP payload: an IPv4 (20)
    // and UDP (8) header. A real bottleneck carries whole IP packets, and a
    // sender's estimate counts them (a browser's and the server's do), so a
    // cap in the same unit is the realistic one.
    size_t packetOverheadBytes = 28;
    // Datagrams read from one socket per wake-up before serving the others.
    size_t receiveBatch = 64;
  };

  struct DirectionCounters {
    uint64_t received = 0;
    uint64_t forwarded = 0;
    uint64_t forwardedBytes = 0;
    uint64_t droppedQueueFull = 0;   // the link's buffer (tail drop)
    uint64_t droppedRandomLoss = 0;  // loss in the good state
    uint64_t droppedBurstLoss = 0;   // loss in the bad state
    uint64_t droppedLineFull = 0;    // the relay's delay line was full
    uint64_t sendFailures = 0;       // the socket refused the datagram
    uint64_t Dropped() const {
      return droppedQueueFull + droppedRandomLoss + droppedBurstLoss + droppedLineFull +
             sendFailures;
    }
    // The drops a direction's LinkImpairment counted itself.
    DirectionCounters& AddLinkDrops(const LinkImpairment::Counters& link) {
      droppedQueueFull += link.droppedQueueFull;
      droppedRandomLoss += link.droppedRandomLoss;
      droppedBurstLoss += link.droppedBurstLoss;
      return *this;
    }
    // Totals over several mappings or relays.
    DirectionCounters& operator+=(const DirectionCounters& other) {
      received += other.received;
      forwarded += other.forwarded;
      forwardedBytes += other.forwardedBytes;
      droppedQueueFull += other.droppedQueueFull;
      droppedRandomLoss += other.droppedRandomLoss;
      droppedBurstLoss += other.droppedBurstLoss;
      droppedLineFull += other.droppedLineFull;
      sendFailures += other.sendFailures;
      return *this;
    }
  };

  struct Counters {
    DirectionCounters uplink;
    DirectionCounters downlink;
    uint64_t mappings = 0;
    // New clients turned away: the cap was reached or no back socket could
    // be opened.
    uint64_t mappingsRefused = 0;
  };

  // One datagram onto a direction of a path: `link` decides its fate and
  // due time, `line` holds it until then (tagged `tag`, handed over at once
  // when already due). False if it was dropped (counted in `counters` or by
  // the link). Shared with InProcessImpairment, which has the same paths
  // without the sockets.
  static bool AdmitOntoLine(LinkImpairment& link, DelayLine& line, DirectionCounters& counters,
                            std::span<const uint8_t> datagram, size_t overheadBytes,
                            const Endpoint& peer, uint32_t tag, Clock::time_point now);

  ImpairmentRelay(boost::asio::io_context& context, Options options);
  ~ImpairmentRelay();
  ImpairmentRelay(const ImpairmentRelay&) = delete;
  ImpairmentRelay& operator=(const ImpairmentRelay&) = delete;

  // Checks that target (unless allowNonLoopbackTarget) and listen are
  // loopback, binds the front socket and starts relaying.
  bool Open(std::string* error);
  // The bound front socket (what clients send to); valid after Open.
  const Endpoint& FrontEndpoint() const { return frontEndpoint_; }
  const Endpoint& Target() const { return options_.target; }

  // Both directions of every mapping, and of those created later, from `now`.
  void SetPathOptions(const PathOptions& path, Clock::time_point now);
  const PathOptions& GetPathOptions() const { return options_.path; }
  // Both directions of the mapping of `client` (its source endpoint at the
  // front socket); false if the relay has no mapping for it yet.
  bool SetClientPathOptions(const Endpoint& client, const PathOptions& path, Clock::time_point now);

  // The back socket's address the server sees for `client`.
  std::optional<Endpoint> BackEndpointOf(const Endpoint& client) const;
  size_t Mappings() const { return mappings_.size(); }
  // Totals over every mapping.
  Counters GetCounters() const;
  // One mapping's (mappings = 1), or nullopt.
  std::optional<Counters> ClientCounters(const Endpoint& client) const;

  // Sends what the uplink holds at once, what clients sent and the relay
  // has not read yet included (a client's last words, such as a DTLS
  // close_notify, are not lost; they still cross the uplink's loss, not its
  // delay), forgets the downlink and closes every socket. The counters stay
  // readable.
  void Close();
  bool IsOpen() const { return open_; }

 private:
  struct Mapping;
  struct EndpointHash {
    size_t operator()(const Endpoint& endpoint) const;
  };

  void ReceiveFront();
  void ReceiveBack(uint32_t index);
  // Reads (and admits) up to a batch from the front socket; how many.
  size_t DrainFront();
  void DrainBack(uint32_t index);
  Mapping* MappingFor(const Endpoint& client);
  // Admits a received datagram to a link and its line.
  void Admit(Mapping& mapping, bool uplink, size_t length, const Endpoint& peer,
             Clock::time_point now);
  void AddLinkCounters(const Mapping& mapping, Counters& counters) const;

  boost::asio::io_context& context_;
  Options options_;
  boost::asio::ip::udp::socket front_;
  Endpoint frontEndpoint_;
  bool open_ = false;
  std::vector<std::unique_ptr<Mapping>> mappings_;
  std::unordered_map<Endpoint, uint32_t, EndpointHash> byClient_;
  uint64_t mappingsRefused_ = 0;
  DelayLine uplinkLine_;
  DelayLine downlinkLine_;
  // Every socket reads into this one (a datagram is admitted, and copied
  // into a line, before the next read). Large enough for any UDP payload.
  std::vector<uint8_t> receiveBuffer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace myriad::loadtest
