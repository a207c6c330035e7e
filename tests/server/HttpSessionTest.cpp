#include <catch2/catch.hpp>

#include "server/http/HttpSession.h"

using myriad::server::http::HttpSession;

TEST_CASE("static paths stay inside the web root") {
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "/") == "/srv/web/index.html");
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "/index.html?room=a&autojoin=1") ==
        "/srv/web/index.html");
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "/myriad.js") == "/srv/web/myriad.js");
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "/../etc/passwd").empty());
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "/a/..").empty());
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "/a\\b").empty());
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "//etc/passwd").empty());
  CHECK(HttpSession::ResolveStaticPath("/srv/web", "relative").empty());
  CHECK(HttpSession::ResolveStaticPath("/srv/web", std::string_view("/a\0b", 4)).empty());
}

TEST_CASE("ES modules are served with a JavaScript MIME type") {
  CHECK(HttpSession::MimeType("/x/myriad.js") == "text/javascript; charset=utf-8");
  CHECK(HttpSession::MimeType("index.html") == "text/html; charset=utf-8");
  CHECK(HttpSession::MimeType("demo.css") == "text/css; charset=utf-8");
  CHECK(HttpSession::MimeType("blob.bin") == "application/octet-stream");
}
