// WitnessServer: the witness's HTTP/1.1 transport (Boost.Beast, keep-alive).
//
//   POST /add-checkpoint    Witness::AddCheckpoint (c2sp.org/tlog-witness)
//   GET  /healthz           200 "ok"
//
// Other paths are 404, other methods 405. Limits: request header 16 KiB,
// body kMaxRequestBytes (413 beyond), a chunk header or the trailer fields
// 64 KiB (431), 30 s to send a request, idle keep-alive connections closed
// after 60 s; a transfer coding other than chunked, a content coding, or an
// HTTP/1.1 request without Host is refused (http/guard.h); at most
// max_connections open at once (503 and closed beyond; 0: from the
// descriptor limit, as the window's server).
//
// Contract:
//  * Ownership: borrows the Witness, which must outlive the server.
//  * Thread safety: Run blocks on `threads` I/O threads; Stop from any thread.
//  * Errors: Listen returns InvalidArgument (bad address) or IOError.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "witness/witness.h"

namespace ftz::witness {

class WitnessServer {
 public:
  explicit WitnessServer(Witness* witness, int max_connections = 0);
  ~WitnessServer();

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

}  // namespace ftz::witness
