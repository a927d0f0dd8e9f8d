// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, carrying Api. Limits:
// request header 16 KiB, body ApiLimits::max_body (413 beyond), 30 s to send
// a request, idle keep-alive connections closed after 60 s. SSE for
// /v1/receipts/stream with a heartbeat every 15 s.
//
// Thread safety: Listen, then Run once (it blocks on `threads` I/O threads,
// each with an I/O context of its own; a later call returns at once); Stop
// from any thread. Stop drains (docs/errors.md §3): it returns at once, and
// Run returns once every answer owed to a request already handed to the Api
// is written (at most 10 s); meanwhile new connections are refused, waiting
// long-polls are answered (ReceiptFeed::Shutdown) and a request read is
// answered 503.
//
// Shutdown order: Stop(), and once Run has returned, ReceiptFeed::Shutdown()
// (waiting long-polls are answered while the Api and Node they read are
// there), then destroy what may still hold pending answers (the Node, the
// Api and its ReceiptFeed), then the HttpServer: the answers keep their
// connections, which must go before the I/O contexts they live on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "server/api.h"

namespace ftz::server {

struct HttpOptions {
  int request_timeout_seconds = 30;
  int idle_timeout_seconds = 60;
  int sse_heartbeat_seconds = 15;
  // The kernel's send buffer of an event stream (SO_SNDBUF; 0: the OS's,
  // which autotunes up to 4 MiB). Bounded so that slow subscribers cost little
  // memory each, and one that stops reading is found (the write stalls and
  // the request timeout ends the stream) after a little data, not megabytes.
  int sse_send_buffer_bytes = 256 * 1024;
};

class HttpServer {
 public:
  HttpServer(Api* api, HttpOptions options);
  ~HttpServer();

  // Binds and listens; port 0 picks a free port (see port()).
  Status Listen(const std::string& host, uint16_t port);
  uint16_t port() const;
  // Serves until Stop (or SIGINT/SIGTERM when handle_signals).
  void Run(int threads, bool handle_signals);
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" ("127.0.0.1:8080", "[::1]:8080", ":8080").
bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port);

}  // namespace ftz::server
