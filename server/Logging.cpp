#include "server/Logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace myriad::server {
namespace {

constexpr const char* kComponents[] = {"server",    "worker", "transport", "room",
                                       "signaling", "http",   "auth"};

std::mutex& RegistryMutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

void Logging::Initialize(std::string_view level) {
  std::lock_guard lock(RegistryMutex());
  const auto parsed = spdlog::level::from_str(std::string(level));
  for (const char* name : kComponents) {
    auto logger = spdlog::get(name);
    if (!logger) {
      logger = spdlog::stdout_color_mt(name);
      logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
    }
    logger->set_level(parsed);
  }
  spdlog::set_level(parsed);
}

std::shared_ptr<spdlog::logger> Logging::Get(const std::string& component) {
  std::lock_guard lock(RegistryMutex());
  auto logger = spdlog::get(component);
  if (!logger) {
    logger = spdlog::stdout_color_mt(component);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  }
  return logger;
}

}  // namespace myriad::server
