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
  // Connections open at once; beyond it a new connection is answered 503
  // (Retry-After: 1) and closed without being read. 0: from the process's
  // descriptor limit (RLIMIT_NOFILE), less http_guard::kReservedDescriptors
  // for the log, ledger and read model, at most 4096 (http/guard.h). Clients never take the
  // descriptors the storage needs: running out of them would stop intake (a failed log open is
  // fatal, docs/errors.md §3).
  int max_connections = 0;
};

// A listening address taken ahead of serving: bound and listening, nothing
// accepted yet. A second server on the same address fails here, and a client
// connecting meanwhile waits in the kernel's queue until the server serves
// (HttpServer::Listen). `ftzport serve` takes its port before it opens its
// data directory, so that a taken port is reported at once, not after a
// replay of minutes, and no other process can take it during that replay.
// Move-only; owns the socket until Listen takes it.
class BoundSocket {
 public:
  BoundSocket() = default;
  BoundSocket(BoundSocket&& o) noexcept;
  BoundSocket& operator=(BoundSocket&& o) noexcept;
  ~BoundSocket();
  uint16_t port() const { return port_; }  // the one bound (port 0 picks one)
  bool ipv6() const { return ipv6_; }
  int release();  // the descriptor, no longer owned

 private:
  friend Result<BoundSocket> BindListenAddress(const std::string& host, uint16_t port);
  int fd_ = -1;
  uint16_t port_ = 0;
  bool ipv6_ = false;
};

// Binds host:port (SO_REUSEADDR, so a port in TIME_WAIT is taken) and
// listens. Errors: InvalidArgument for an address that does not parse,
// IOError from the OS (EADDRINUSE when another process listens there).
Result<BoundSocket> BindListenAddress(const std::string& host, uint16_t port);

class HttpServer {
 public:
  HttpServer(Api* api, HttpOptions options);
  ~HttpServer();

  // Binds and listens; port 0 picks a free port (see port()).
  Status Listen(const std::string& host, uint16_t port);
  // Serves an address taken beforehand (BindListenAddress).
  Status Listen(BoundSocket bound);
  uint16_t port() const;
  // The connection cap in force (set by Listen).
  int max_connections() const;
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
