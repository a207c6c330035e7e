#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "loadtest/client/DelayLine.h"
#include "loadtest/client/ImpairmentRelay.h"
#include "loadtest/client/LinkImpairment.h"

namespace myriad::loadtest {

// The impairment relay's path model without its sockets: each attached
// path (a load generator's client) has its own LinkImpairment per
// direction, and the admitted datagrams wait for their due time in one
// DelayLine per direction shared by every path, exactly as in
// ImpairmentRelay; but the datagrams are taken from and handed back to the
// client inside the process, at its own socket, instead of crossing the
// loopback device twice more through a relay.
//
// Why it exists: through a relay every datagram costs the generator a
// receive, a send and a kernel loopback traversal more. At 200
// participants on a 2-core machine that was a third of the generator's CPU
// (about 0.35 of a core), and the server, sharing the cores, then measured
// the machine's scheduling rather than its own work. The relay stays for
// what only it can do: browsers (myriad-impair) and server addresses that
// are not the generator's own loopback (a network namespace).
//
// Seeds: path `stream` (the caller's stable number, a participant index)
// draws its uplink from LinkImpairment::ForStream(uplink, 2 * stream) and
// its downlink from 2 * stream + 1, as the relay's mapping of that index
// does, so a run repeats whatever order clients attach in.
//
// Single-threaded (the owner's io_context). Bounded: `lineCapacity`
// datagrams per direction (more are dropped and counted), `maxPaths`.
class InProcessImpairment {
 public:
  using Clock = std::chrono::steady_clock;
  using Endpoint = boost::asio::ip::udp::endpoint;
  using Counters = ImpairmentRelay::Counters;

  // What an attached client does with a datagram once its time has come.
  class Path {
   public:
    virtual ~Path() = default;
    // Uplink: the datagram may now go out to `to` (the client's peer).
    virtual void SendImpaired(std::span<const uint8_t> datagram, const Endpoint& to) = 0;
    // Downlink: the datagram (from `from`) arrives now. The client may
    // Detach (and then be destroyed after returning) from inside the call.
    virtual void ReceiveImpaired(std::span<uint8_t> datagram, const Endpoint& from,
                                 Clock::time_point now) = 0;
  };

  struct Options {
    ImpairmentRelay::PathOptions path;
    // Datagrams waiting per direction, for every path together.
    size_t lineCapacity = 8192;
    // Each line slot's reservation (no allocation per datagram up to it).
    size_t reservedDatagramBytes = 1500;
    // What a datagram costs the links beyond its UDP payload (IPv4 + UDP
    // headers), as ImpairmentRelay::Options::packetOverheadBytes.
    size_t packetOverheadBytes = 28;
    size_t maxPaths = 65536;
  };

  InProcessImpairment(boost::asio::io_context& context, Options options);
  ~InProcessImpairment();
  InProcessImpairment(const InProcessImpairment&) = delete;
  InProcessImpairment& operator=(const InProcessImpairment&) = delete;

  // A new path for `path` (seeded from `stream`, see above): its id, or
  // nullopt when maxPaths are attached.
  std::optional<uint32_t> Attach(Path& path, uint64_t stream);
  // The path leaves. With `flushUplink` what it sent and is still on its
  // way leaves now (a closing client's last words: DTLS close_notify, an
  // SCTP ABORT), through its SendImpaired before this returns; what is on
  // the downlink towards it is dropped. Its counters stay in GetCounters().
  void Detach(uint32_t id, bool flushUplink, Clock::time_point now);

  // Client -> peer through the path's uplink; false if the datagram was
  // dropped on the way (loss, a full buffer or line: counted).
  bool Send(uint32_t id, std::span<const uint8_t> datagram, const Endpoint& to,
            Clock::time_point now);
  // Peer -> client through the path's downlink; false if dropped.
  bool Receive(uint32_t id, std::span<const uint8_t> datagram, const Endpoint& from,
               Clock::time_point now);

  // Hands over what is due at `now` in both directions (the lines' timers
  // do it on the io_context; a test drives time itself). How many.
  size_t ReleaseDue(Clock::time_point now);

  // Every path's, the detached ones' included; `mappings` counts paths.
  Counters GetCounters() const;

 private:
  struct Entry {
    Entry(const ImpairmentRelay::PathOptions& path, uint64_t stream, Path* client)
        : client(client),
          uplink(LinkImpairment::ForStream(path.uplink, 2 * stream)),
          downlink(LinkImpairment::ForStream(path.downlink, 2 * stream + 1)) {}
    Path* client;  // nullptr once detached
    LinkImpairment uplink;
    LinkImpairment downlink;
    ImpairmentRelay::DirectionCounters uplinkCounters;  // the lines' part
    ImpairmentRelay::DirectionCounters downlinkCounters;
  };

  Options options_;
  std::vector<std::unique_ptr<Entry>> entries_;  // by id
  DelayLine uplinkLine_;
  DelayLine downlinkLine_;
};

}  // namespace myriad::loadtest
