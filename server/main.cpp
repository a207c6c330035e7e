// The `myriad` server binary: command line, config, logging, signals.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include "config/CommandLine.h"
#include "config/ConfigLoader.h"
#include "server/Logging.h"
#include "server/Server.h"
#include "server/TokenCommand.h"

namespace {

int Run(int argc, char** argv) {
  using myriad::config::CommandLine;
  using myriad::config::CommandLineAction;
  using myriad::config::ConfigLoader;

  const auto environment = ConfigLoader::CurrentEnvironment();
  const auto options = CommandLine::Parse(argc, argv, environment);
  if (!options.error.empty()) {
    std::cerr << "myriad: " << options.error << " (see --help)\n";
    return 2;
  }
  if (options.action == CommandLineAction::Help) {
    std::cout << CommandLine::HelpText();
    return 0;
  }
  if (options.action == CommandLineAction::Version) {
    std::cout << "myriad " << CommandLine::Version() << "\n";
    return 0;
  }
  if (options.action == CommandLineAction::Token) {
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    return myriad::server::TokenCommand::Run(options.arguments, environment, now, std::cout,
                                             std::cerr);
  }
  const auto loaded = ConfigLoader::Load(options.configPath, environment);
  if (!loaded.config) {
    std::cerr << "myriad: " << loaded.error << "\n";
    return 1;
  }
  if (options.action == CommandLineAction::CheckConfig) {
    std::cout << loaded.config->Resolved().ToRedactedJson().dump(2) << "\n";
    return 0;
  }

  myriad::server::Logging::Initialize(loaded.config->log.level);
  myriad::server::Server server(*loaded.config);
  std::string error;
  if (!server.Start(&error)) {
    std::cerr << "myriad: " << error << "\n";
    return 1;
  }
  // Signals are handled on their own small io_context so that a stop request
  // reaches the server whatever its threads are doing.
  boost::asio::io_context signalContext;
  boost::asio::signal_set signals(signalContext, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    myriad::server::Logging::Get("server")->info("signal {}: draining", signal);
    server.Drain();
    // A second signal stops at once (Drain() again is Stop()).
    signals.async_wait([&](const boost::system::error_code& again, int second) {
      if (again) return;
      myriad::server::Logging::Get("server")->info("signal {}: stopping now", second);
      server.Drain();
    });
  });
  std::thread signalThread([&] { signalContext.run(); });
  server.Run();
  signals.cancel();
  signalContext.stop();
  signalThread.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Exceptions are for config loading and signalling JSON only; anything
  // escaping to here is a bug, reported on one line rather than by abort().
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "myriad: fatal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "myriad: fatal: unknown exception\n";
  }
  return 1;
}
