#include "loadtest/tunlink/TunDevice.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace myriad::loadtest {
namespace {

std::string Reason(int error) {
  std::string text = std::strerror(error);
  if (error == EPERM || error == EACCES) text += " (needs root or CAP_NET_ADMIN)";
  return text;
}

// Closes a descriptor when it goes out of scope.
class ScopedFd {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  int Get() const { return fd_; }
  int Release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// Creates the device in the current network namespace.
int CreateTun(const std::string& name, std::string* error) {
  ScopedFd fd(::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
  if (fd.Get() < 0) {
    *error = "cannot open /dev/net/tun: " + Reason(errno);
    return -1;
  }
  ifreq request{};
  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  // The kernel's limit, with the terminating zero.
  if (name.empty() || name.size() >= IFNAMSIZ) {
    *error = "TUN device name \"" + name + "\" must have 1 to " + std::to_string(IFNAMSIZ - 1) +
             " characters";
    return -1;
  }
  std::memcpy(request.ifr_name, name.data(), name.size());
  if (::ioctl(fd.Get(), TUNSETIFF, &request) != 0) {
    *error = "cannot create TUN device " + name + ": " + Reason(errno);
    return -1;
  }
  return fd.Release();
}

}  // namespace

TunDevice::~TunDevice() { Close(); }

TunDevice::TunDevice(TunDevice&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), name_(std::move(other.name_)) {}

TunDevice& TunDevice::operator=(TunDevice&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = std::exchange(other.fd_, -1);
    name_ = std::move(other.name_);
  }
  return *this;
}

void TunDevice::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TunDevice::Open(const std::string& name, const std::string& netns, std::string* error) {
  Close();
  if (name.empty() || name.size() >= IFNAMSIZ) {
    *error =
        "a device name has 1 to " + std::to_string(IFNAMSIZ - 1) + " characters: \"" + name + "\"";
    return false;
  }
  if (netns.empty()) {
    fd_ = CreateTun(name, error);
    if (fd_ >= 0) name_ = name;
    return fd_ >= 0;
  }
  if (netns.find('/') != std::string::npos || netns == "." || netns == "..") {
    *error = "bad network namespace name \"" + netns + "\"";
    return false;
  }
  const std::string path = "/var/run/netns/" + netns;
  ScopedFd target(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (target.Get() < 0) {
    *error = "no network namespace " + netns + " (" + path + ": " + Reason(errno) + ")";
    return false;
  }
  ScopedFd home(::open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC));
  if (home.Get() < 0) {
    *error = "cannot open /proc/self/ns/net: " + Reason(errno);
    return false;
  }
  if (::setns(target.Get(), CLONE_NEWNET) != 0) {
    *error = "cannot enter network namespace " + netns + ": " + Reason(errno);
    return false;
  }
  const int fd = CreateTun(name, error);
  // Back home whatever happened: the rest of the process lives in the root
  // namespace. Failing to return would leave us half in the wrong place.
  if (::setns(home.Get(), CLONE_NEWNET) != 0) {
    const int cause = errno;
    if (fd >= 0) ::close(fd);
    *error = "cannot return from network namespace " + netns + ": " + Reason(cause);
    return false;
  }
  if (fd < 0) {
    *error += " (in network namespace " + netns + ")";
    return false;
  }
  fd_ = fd;
  name_ = name;
  return true;
}

}  // namespace myriad::loadtest
