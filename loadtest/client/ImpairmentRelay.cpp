#include "loadtest/client/ImpairmentRelay.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <functional>
#include <span>

namespace myriad::loadtest {

namespace asio = boost::asio;

namespace {

// The largest UDP payload (RFC 768 over IPv4): no datagram is truncated.
constexpr size_t kMaxDatagram = 65536;

asio::ip::address LoopbackLike(const asio::ip::address& address) {
  if (address.is_v4()) return asio::ip::address_v4::loopback();
  return asio::ip::address_v6::loopback();
}

std::string Describe(const ImpairmentRelay::Endpoint& endpoint) {
  return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
}

}  // namespace

struct ImpairmentRelay::Mapping {
  Mapping(asio::io_context& context, uint32_t index, const Endpoint& client,
          const PathOptions& path)
      : index(index),
        client(client),
        back(context),
        uplink(LinkImpairment::ForStream(path.uplink, 2 * uint64_t{index})),
        downlink(LinkImpairment::ForStream(path.downlink, 2 * uint64_t{index} + 1)) {}

  uint32_t index;
  Endpoint client;
  Endpoint backEndpoint;
  asio::ip::udp::socket back;
  LinkImpairment uplink;
  LinkImpairment downlink;
  // The relay's part; the links count their own drops.
  DirectionCounters uplinkCounters;
  DirectionCounters downlinkCounters;
};

size_t ImpairmentRelay::EndpointHash::operator()(const Endpoint& endpoint) const {
  const auto address = endpoint.address();
  size_t hash = 0;
  if (address.is_v4()) {
    hash = address.to_v4().to_uint();
  } else {
    for (const uint8_t byte : address.to_v6().to_bytes()) hash = hash * 131 + byte;
  }
  return (hash * 0x9E3779B97F4A7C15ULL) ^ endpoint.port();
}

ImpairmentRelay::ImpairmentRelay(asio::io_context& context, Options options)
    : context_(context),
      options_(std::move(options)),
      front_(context),
      uplinkLine_(context,
                  DelayLine::Options{std::chrono::microseconds(0), options_.lineCapacity,
                                     options_.reservedDatagramBytes},
                  [this](std::span<uint8_t> datagram, const Endpoint& /*target*/, uint32_t tag,
                         Clock::time_point /*now*/) {
                    Mapping& mapping = *mappings_[tag];
                    boost::system::error_code ec;
                    mapping.back.send(asio::buffer(datagram.data(), datagram.size()), 0, ec);
                    if (ec) {
                      ++mapping.uplinkCounters.sendFailures;
                      return;
                    }
                    ++mapping.uplinkCounters.forwarded;
                    mapping.uplinkCounters.forwardedBytes += datagram.size();
                  }),
      downlinkLine_(context,
                    DelayLine::Options{std::chrono::microseconds(0), options_.lineCapacity,
                                       options_.reservedDatagramBytes},
                    [this](std::span<uint8_t> datagram, const Endpoint& client, uint32_t tag,
                           Clock::time_point /*now*/) {
                      Mapping& mapping = *mappings_[tag];
                      boost::system::error_code ec;
                      front_.send_to(asio::buffer(datagram.data(), datagram.size()), client, 0, ec);
                      if (ec) {
                        ++mapping.downlinkCounters.sendFailures;
                        return;
                      }
                      ++mapping.downlinkCounters.forwarded;
                      mapping.downlinkCounters.forwardedBytes += datagram.size();
                    }),
      receiveBuffer_(kMaxDatagram) {
  mappings_.reserve(std::min<size_t>(options_.maxMappings, 4096));
}

ImpairmentRelay::~ImpairmentRelay() {
  alive_.reset();
  boost::system::error_code ignored;
  front_.close(ignored);
  for (auto& mapping : mappings_) mapping->back.close(ignored);
}

bool ImpairmentRelay::Open(std::string* error) {
  if (open_) return true;
  if ((!options_.target.address().is_loopback() && !options_.allowNonLoopbackTarget) ||
      options_.target.port() == 0) {
    *error =
        "the impairment relay forwards to loopback targets only, not " + Describe(options_.target);
    return false;
  }
  if (!options_.listen.address().is_loopback()) {
    *error = "the impairment relay listens on loopback only, not " + Describe(options_.listen);
    return false;
  }
  boost::system::error_code ec;
  front_.open(options_.listen.protocol(), ec);
  if (!ec) front_.bind(options_.listen, ec);
  // Sends never block the thread: a full socket buffer is a counted drop.
  if (!ec) front_.non_blocking(true, ec);
  if (!ec) frontEndpoint_ = front_.local_endpoint(ec);
  if (ec) {
    *error = "cannot bind the relay's socket on " + Describe(options_.listen) + ": " + ec.message();
    front_.close(ec);
    return false;
  }
  open_ = true;
  ReceiveFront();
  return true;
}

void ImpairmentRelay::ReceiveFront() {
  std::weak_ptr<bool> alive = alive_;
  front_.async_wait(asio::ip::udp::socket::wait_read,
                    [this, alive](const boost::system::error_code& ec) {
                      if (alive.expired() || !open_ || ec == asio::error::operation_aborted) {
                        return;
                      }
                      if (!ec) DrainFront();
                      if (alive.expired() || !open_) return;
                      ReceiveFront();
                    });
}

void ImpairmentRelay::ReceiveBack(uint32_t index) {
  std::weak_ptr<bool> alive = alive_;
  mappings_[index]->back.async_wait(
      asio::ip::udp::socket::wait_read, [this, alive, index](const boost::system::error_code& ec) {
        if (alive.expired() || !open_ || ec == asio::error::operation_aborted) return;
        if (!ec) DrainBack(index);
        if (alive.expired() || !open_) return;
        ReceiveBack(index);
      });
}

size_t ImpairmentRelay::DrainFront() {
  // One arrival time per wake-up: the datagrams read were all waiting.
  const auto now = Clock::now();
  Endpoint from;
  size_t read = 0;
  for (; read < options_.receiveBatch && open_; ++read) {
    boost::system::error_code ec;
    const size_t length = front_.receive_from(asio::buffer(receiveBuffer_), from, 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) continue;  // an ICMP error reported on the socket: read on
    Mapping* mapping = MappingFor(from);
    if (mapping == nullptr) continue;
    Admit(*mapping, /*uplink=*/true, length, options_.target, now);
  }
  return read;
}

void ImpairmentRelay::DrainBack(uint32_t index) {
  const auto now = Clock::now();
  Mapping& mapping = *mappings_[index];
  for (size_t i = 0; i < options_.receiveBatch && open_; ++i) {
    boost::system::error_code ec;
    // Connected to the target: the kernel delivers nothing from elsewhere.
    const size_t length = mapping.back.receive(asio::buffer(receiveBuffer_), 0, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) break;
    if (ec) continue;  // the server's port was closed (ICMP): read on
    Admit(mapping, /*uplink=*/false, length, mapping.client, now);
  }
}

ImpairmentRelay::Mapping* ImpairmentRelay::MappingFor(const Endpoint& client) {
  if (const auto it = byClient_.find(client); it != byClient_.end()) {
    return mappings_[it->second].get();
  }
  if (mappings_.size() >= options_.maxMappings) {
    ++mappingsRefused_;
    return nullptr;
  }
  const auto index = static_cast<uint32_t>(mappings_.size());
  auto mapping = std::make_unique<Mapping>(context_, index, client, options_.path);
  boost::system::error_code ec;
  mapping->back.open(options_.target.protocol(), ec);
  // A loopback target: a loopback source, as always. Any other (allowed)
  // target: connect() picks the source of the route to it.
  if (!ec && options_.target.address().is_loopback()) {
    mapping->back.bind(Endpoint(LoopbackLike(options_.target.address()), 0), ec);
  }
  if (!ec) mapping->back.connect(options_.target, ec);
  if (!ec) mapping->back.non_blocking(true, ec);
  if (!ec) mapping->backEndpoint = mapping->back.local_endpoint(ec);
  if (ec) {
    // Out of descriptors or ports: this client is refused, the others go on.
    ++mappingsRefused_;
    return nullptr;
  }
  mappings_.push_back(std::move(mapping));
  byClient_.emplace(client, index);
  ReceiveBack(index);
  return mappings_.back().get();
}

bool ImpairmentRelay::AdmitOntoLine(LinkImpairment& link, DelayLine& line,
                                    DirectionCounters& counters, std::span<const uint8_t> datagram,
                                    size_t overheadBytes, const Endpoint& peer, uint32_t tag,
                                    Clock::time_point now) {
  ++counters.received;
  const auto due = link.Admit(datagram.size() + overheadBytes, now);
  if (!due) return false;  // lost or tail-dropped: the link counted it
  if (!line.PushAt(datagram, peer, tag, *due)) {
    ++counters.droppedLineFull;
    return false;
  }
  // An unimpaired datagram leaves at once (after whatever was due before
  // it), not a timer wake-up later.
  if (*due <= now) line.ReleaseDue(now);
  return true;
}

void ImpairmentRelay::Admit(Mapping& mapping, bool uplink, size_t length, const Endpoint& peer,
                            Clock::time_point now) {
  AdmitOntoLine(uplink ? mapping.uplink : mapping.downlink, uplink ? uplinkLine_ : downlinkLine_,
                uplink ? mapping.uplinkCounters : mapping.downlinkCounters,
                std::span<const uint8_t>(receiveBuffer_.data(), length),
                options_.packetOverheadBytes, peer, mapping.index, now);
}

void ImpairmentRelay::SetPathOptions(const PathOptions& path, Clock::time_point now) {
  options_.path = path;
  for (auto& mapping : mappings_) {
    mapping->uplink.SetOptions(path.uplink, now);
    mapping->downlink.SetOptions(path.downlink, now);
  }
}

bool ImpairmentRelay::SetClientPathOptions(const Endpoint& client, const PathOptions& path,
                                           Clock::time_point now) {
  const auto it = byClient_.find(client);
  if (it == byClient_.end()) return false;
  Mapping& mapping = *mappings_[it->second];
  mapping.uplink.SetOptions(path.uplink, now);
  mapping.downlink.SetOptions(path.downlink, now);
  return true;
}

std::optional<ImpairmentRelay::Endpoint> ImpairmentRelay::BackEndpointOf(
    const Endpoint& client) const {
  const auto it = byClient_.find(client);
  if (it == byClient_.end()) return std::nullopt;
  return mappings_[it->second]->backEndpoint;
}

void ImpairmentRelay::AddLinkCounters(const Mapping& mapping, Counters& counters) const {
  counters.uplink += mapping.uplinkCounters;
  counters.uplink.AddLinkDrops(mapping.uplink.GetCounters());
  counters.downlink += mapping.downlinkCounters;
  counters.downlink.AddLinkDrops(mapping.downlink.GetCounters());
}

ImpairmentRelay::Counters ImpairmentRelay::GetCounters() const {
  Counters counters;
  for (const auto& mapping : mappings_) AddLinkCounters(*mapping, counters);
  counters.mappings = mappings_.size();
  counters.mappingsRefused = mappingsRefused_;
  return counters;
}

std::optional<ImpairmentRelay::Counters> ImpairmentRelay::ClientCounters(
    const Endpoint& client) const {
  const auto it = byClient_.find(client);
  if (it == byClient_.end()) return std::nullopt;
  Counters counters;
  AddLinkCounters(*mappings_[it->second], counters);
  counters.mappings = 1;
  return counters;
}

void ImpairmentRelay::Close() {
  if (!open_) return;
  // What clients sent before the close is on the uplink too (a transport's
  // close_notify is still in our socket's buffer when it closes us): read
  // it in, bounded by what the line could hold.
  for (size_t read = 0; read < options_.lineCapacity;) {
    const size_t batch = DrainFront();
    if (batch < options_.receiveBatch) break;
    read += batch;
  }
  // Out while the back sockets are still open.
  uplinkLine_.ReleaseAll(Clock::now());
  downlinkLine_.Clear();
  open_ = false;
  boost::system::error_code ignored;
  front_.close(ignored);
  for (auto& mapping : mappings_) mapping->back.close(ignored);
}

}  // namespace myriad::loadtest
