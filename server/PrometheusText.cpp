#include "server/PrometheusText.h"

namespace myriad::server {

void PrometheusText::AppendHeader(std::string& out, std::string_view name, std::string_view type,
                                  std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n# TYPE ");
  out.append(name).append(" ").append(type).append("\n");
}

void PrometheusText::AppendSample(std::string& out, std::string_view name, std::string_view labels,
                                  std::string_view value) {
  out.append(name).append(labels).append(" ").append(value).append("\n");
}

}  // namespace myriad::server
