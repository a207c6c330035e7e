// myriad-impair: a UDP relay on loopback with an impaired path (rate cap,
// buffer, delay, jitter, loss) for browser tests, whose traffic cannot go
// through the load generator's client. See ImpairCommandLine::Usage().

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <functional>
#include <iostream>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "loadtest/ImpairCommandLine.h"
#include "loadtest/client/ImpairmentRelay.h"

namespace {

namespace asio = boost::asio;
using myriad::loadtest::ImpairCommandLine;
using myriad::loadtest::ImpairmentRelay;

constexpr int kExited = 0;
constexpr int kFailed = 1;
constexpr int kUsageError = 2;
// A command line longer than this is not a command.
constexpr size_t kMaxLineBytes = 4096;

// Reads stdin line by line on the io_context and hands each line to the
// owner (nullopt for a line too long to be a command); EOF (or a read
// error) ends it.
class StdinCommands {
 public:
  StdinCommands(asio::io_context& context,
                std::function<void(const std::optional<std::string>&)> onLine,
                std::function<void()> onEnd)
      : input_(context),
        buffer_(kMaxLineBytes),
        onLine_(std::move(onLine)),
        onEnd_(std::move(onEnd)) {
    // A duplicate: closing the descriptor object must not close stdin.
    input_.assign(::dup(STDIN_FILENO));
  }

  void Start() {
    asio::async_read_until(input_, buffer_, '\n',
                           [this](const boost::system::error_code& ec, size_t length) {
                             if (ec == asio::error::operation_aborted) return;
                             if (ec == asio::error::not_found) {
                               // Longer than kMaxLineBytes: refused whole.
                               buffer_.consume(buffer_.size());
                               onLine_(std::nullopt);
                               Start();
                               return;
                             }
                             if (ec) {
                               // EOF; a last line without its newline still counts.
                               if (buffer_.size() > 0) onLine_(Take(buffer_.size()));
                               onEnd_();
                               return;
                             }
                             onLine_(Take(length));
                             Start();
                           });
  }

  void Close() {
    boost::system::error_code ignored;
    input_.close(ignored);
  }

 private:
  std::string Take(size_t length) {
    std::string line(asio::buffers_begin(buffer_.data()),
                     asio::buffers_begin(buffer_.data()) + static_cast<std::ptrdiff_t>(length));
    buffer_.consume(length);
    return line;
  }

  asio::posix::stream_descriptor input_;
  asio::streambuf buffer_;
  std::function<void(const std::optional<std::string>&)> onLine_;
  std::function<void()> onEnd_;
};

int Run(int argc, char** argv) {
  // A test that stops reading our stdout must not kill us mid-line.
  ::signal(SIGPIPE, SIG_IGN);
  std::string error;
  auto settings = ImpairCommandLine::Parse(std::vector<std::string>(argv + 1, argv + argc), &error);
  if (!settings) {
    std::cerr << "myriad-impair: " << error << "\n" << ImpairCommandLine::Usage();
    return kUsageError;
  }
  if (settings->help) {
    std::cout << ImpairCommandLine::Usage();
    return kExited;
  }

  asio::io_context context;
  ImpairmentRelay relay(context, ImpairCommandLine::RelayOptionsOf(*settings));
  if (!relay.Open(&error)) {
    std::cerr << "myriad-impair: " << error << "\n";
    return kFailed;
  }
  const auto front = relay.FrontEndpoint();
  std::cout << "listening " << front.address().to_string() << ":" << front.port() << std::endl;

  asio::signal_set signals(context, SIGTERM, SIGINT);
  asio::steady_timer deadline(context);
  std::function<void()> shutdown;
  StdinCommands commands(
      context,
      [&](const std::optional<std::string>& line) {
        if (!line) {
          std::cout << "error the line is too long" << std::endl;
          return;
        }
        const auto command = ImpairCommandLine::ApplyCommand(*line, *settings);
        switch (command.kind) {
          case ImpairCommandLine::Command::Kind::kNone:
            break;
          case ImpairCommandLine::Command::Kind::kChanged:
            relay.SetPathOptions(ImpairCommandLine::PathOptionsOf(*settings),
                                 ImpairmentRelay::Clock::now());
            std::cout << command.reply << std::endl;
            break;
          case ImpairCommandLine::Command::Kind::kStats:
            std::cout << ImpairCommandLine::StatsLine(relay.GetCounters()) << std::endl;
            break;
          case ImpairCommandLine::Command::Kind::kQuit:
            shutdown();
            break;
          case ImpairCommandLine::Command::Kind::kError:
            std::cout << "error " << command.reply << std::endl;
            break;
        }
      },
      [&] { shutdown(); });
  shutdown = [&] {
    relay.Close();
    signals.cancel();
    deadline.cancel();
    commands.Close();
  };

  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (!ec) shutdown();
  });
  deadline.expires_after(settings->duration);
  deadline.async_wait([&](const boost::system::error_code& ec) {
    if (ec) return;
    std::cerr << "myriad-impair: --duration-s reached\n";
    shutdown();
  });
  commands.Start();
  context.run();
  return kExited;
}

}  // namespace

int main(int argc, char** argv) {
  // Asio reports socket and signal set-up failures by exception; anything
  // escaping to here is reported on one line rather than by abort().
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "myriad-impair: fatal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "myriad-impair: fatal: unknown exception\n";
  }
  return kFailed;
}
