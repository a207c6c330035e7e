#pragma once

#include <string>

namespace myriad::loadtest {

// A TUN device (IFF_TUN | IFF_NO_PI: whole IP packets, no packet-info
// prefix) owned by its file descriptor: the kernel removes the device when
// the descriptor is closed, so a crashed or killed tunlink leaves no
// device behind.
//
// Open() creates the device in the caller's network namespace, or in a
// named one (/var/run/netns/NAME, as `ip netns add` makes it): the calling
// thread enters that namespace only while it creates the device and then
// returns to its own. The descriptor is non-blocking. Needs CAP_NET_ADMIN
// (root).
class TunDevice {
 public:
  TunDevice() = default;
  ~TunDevice();
  TunDevice(TunDevice&& other) noexcept;
  TunDevice& operator=(TunDevice&& other) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;

  // `name` at most 15 characters; `netns` "" for the caller's namespace.
  // False with a message naming the cause (no /dev/net/tun, no such
  // namespace, not permitted) on failure.
  bool Open(const std::string& name, const std::string& netns, std::string* error);
  void Close();

  int Fd() const { return fd_; }
  const std::string& Name() const { return name_; }

 private:
  int fd_ = -1;
  std::string name_;
};

}  // namespace myriad::loadtest
