#include "core/http_url.h"

#include <gtest/gtest.h>

namespace ftz {
namespace {

TEST(HttpUrlTest, GoodOnesGiveHostPortAndPath) {
  const struct {
    const char* url;
    const char* host;
    const char* port;
    const char* path;
  } good[] = {{"http://127.0.0.1:8080/v1/messages", "127.0.0.1", "8080", "/v1/messages"},
              {"http://window.example", "window.example", "80", "/"},  // the defaults
              {"http://[::1]:9000/witness", "::1", "9000", "/witness"},
              {"http://[::1]", "::1", "80", "/"}};
  for (const auto& g : good) {
    Result<HttpUrl> u = ParseHttpUrl(g.url);
    ASSERT_TRUE(u.ok()) << g.url << ": " << u.status().ToString();
    EXPECT_EQ(u->host, g.host) << g.url;
    EXPECT_EQ(u->port, g.port) << g.url;
    EXPECT_EQ(u->path, g.path) << g.url;
  }
}

TEST(HttpUrlTest, BadOnesAreRefusedNamingWhy) {
  const struct {
    const char* url;
    const char* why;
  } bad[] = {{"https://a:1", "must start with http://"},
             {"127.0.0.1:8080", "must start with http://"},
             {"http://:8080", "without a host"},
             {"http:///v1", "without a host"},
             {"http://a:", "bad port ''"},
             {"http://a:0", "bad port '0'"},
             {"http://a:65536", "bad port '65536'"},
             {"http://a:12x", "bad port '12x'"},
             {"http://a:9999999999", "bad port"},
             {"http://[::1", "unclosed '['"},
             {"http://[::1]x", "after ']'"}};
  for (const auto& b : bad) {
    Result<HttpUrl> u = ParseHttpUrl(b.url);
    ASSERT_FALSE(u.ok()) << b.url;
    EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument) << b.url;
    EXPECT_NE(u.status().message().find(b.why), std::string::npos)
        << b.url << ": " << u.status().ToString();
  }
}

}  // namespace
}  // namespace ftz
