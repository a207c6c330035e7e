// myriad-tunlink: two TUN devices, one in the root network namespace and
// one in a benchmark's namespace, joined back to back with delay and loss
// on the packets that cross, so that real kernel TCP meets an impaired
// path on a kernel without netem. See TunLinkCommandLine::Usage().

#include <signal.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cmath>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "loadtest/tunlink/TunDevice.h"
#include "loadtest/tunlink/TunLink.h"
#include "loadtest/tunlink/TunLinkCommandLine.h"

namespace {

namespace asio = boost::asio;
using myriad::loadtest::TunDevice;
using myriad::loadtest::TunLink;
using myriad::loadtest::TunLinkCommandLine;

constexpr int kDone = 0;
constexpr int kUsageOrSetupError = 2;

void PrintCounters(const char* name, const TunLink::DirectionCounters& c) {
  std::cout << name << " packets " << c.packets << " impaired " << c.impaired << " dropped "
            << c.dropped << " queue-full " << c.queueFull << " written " << c.written
            << " write-failures " << c.writeFailures << " read-errors " << c.readErrors
            << std::endl;
}

int Run(int argc, char** argv) {
  std::string error;
  const auto options =
      TunLinkCommandLine::Parse(std::vector<std::string>(argv + 1, argv + argc), &error);
  if (!options) {
    std::cerr << "myriad-tunlink: " << error << "\n" << TunLinkCommandLine::Usage();
    return kUsageOrSetupError;
  }
  if (options->help) {
    std::cout << TunLinkCommandLine::Usage();
    return kDone;
  }
  // Both devices before any thread exists: entering a namespace is per
  // thread, and only this one ever does.
  TunDevice root;
  TunDevice inside;
  if (!root.Open(options->rootDevice, "", &error) ||
      !inside.Open(options->netnsDevice, options->netns, &error)) {
    std::cerr << "myriad-tunlink: " << error << "\n";
    return kUsageOrSetupError;
  }
  // A script that stops reading our stdout must not kill us mid-line.
  ::signal(SIGPIPE, SIG_IGN);

  asio::io_context context;
  TunLink link(context, root.Fd(), inside.Fd(), options->link);
  asio::signal_set signals(context, SIGINT, SIGTERM);
  asio::steady_timer deadline(context);
  const auto stop = [&] {
    link.Stop();
    signals.cancel();
    deadline.cancel();
    context.stop();
  };
  signals.async_wait([&](const boost::system::error_code& ec, int /*signal*/) {
    if (!ec) stop();
  });
  if (options->durationSeconds > 0) {
    deadline.expires_after(
        std::chrono::milliseconds(std::llround(options->durationSeconds * 1000)));
    deadline.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) stop();
    });
  }
  link.Start();
  std::cout << "ready" << std::endl;
  context.run();

  PrintCounters("to-netns", link.ToNetnsCounters());
  PrintCounters("from-netns", link.FromNetnsCounters());
  return kDone;
}

}  // namespace

int main(int argc, char** argv) {
  // Asio reports descriptor and signal set-up failures by exception (never
  // on the packet path); anything escaping is one line, not abort().
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "myriad-tunlink: fatal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "myriad-tunlink: fatal: unknown exception\n";
  }
  return kUsageOrSetupError;
}
