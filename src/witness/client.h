// WitnessClient: the log's side of c2sp.org/tlog-witness. For one witness
// ("URL VKEY": its submission prefix and its cosignature/v1 verifier key) it
// sends add-checkpoint requests with a consistency proof from the size the
// witness last acknowledged, and returns the witness's cosignature lines,
// verified, ready to be appended to the signed checkpoint.
//
// The acknowledged size starts at 0 (unknown). On 409 the witness's body
// (Content-Type text/x.tlog.size) names the size it holds; the client adopts
// it and retries once with a proof from there. A witness ahead of the
// checkpoint (it holds a larger tree) cannot be answered and is an error.
//
// Contract:
//  * Ownership: the client owns its transport (and its connection).
//  * Thread safety: none; one thread (the ledger's) uses a client.
//  * Errors: Unavailable when the witness cannot be reached or times out;
//    FailedPrecondition when it refuses (any non-200 answer, with the status
//    and its message) or its answer holds no valid cosignature by its key;
//    errors of the proof source are passed through.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ledger/hash.h"
#include "witness/cosignature.h"

namespace ftz::witness {

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string body;
};

// POSTs `body` to `url` (the full URL, ".../add-checkpoint").
using Transport = std::function<Result<HttpReply>(const std::string& url, const std::string& body)>;

// HTTP/1.1 over TCP (plain http:// only) with a keep-alive connection, each
// request bounded by `timeout` (connect, send and receive together).
Transport HttpTransport(std::chrono::milliseconds timeout);

// Consistency proof between two sizes of the log (ledger::ConsistencyProof).
using ProofSource =
    std::function<Result<std::vector<ledger::Hash>>(uint64_t old_size, uint64_t new_size)>;

struct WitnessSpec {
  std::string url;  // submission prefix, e.g. http://127.0.0.1:9000
  std::string vkey;
};

// "URL VKEY": InvalidArgument unless URL is http://HOST:PORT[/PREFIX] and
// VKEY a cosignature/v1 verifier key.
Result<WitnessSpec> ParseWitnessSpec(std::string_view spec);

class WitnessClient {
 public:
  // `spec` must come from ParseWitnessSpec (the key is parsed again here).
  static Result<std::unique_ptr<WitnessClient>> Create(const WitnessSpec& spec,
                                                       Transport transport);

  // Asks for a cosignature on `signed_checkpoint` (a log-signed checkpoint
  // note of `size` leaves); returns the verified cosignature line(s).
  Result<std::string> Cosign(std::string_view signed_checkpoint, uint64_t size,
                             const ProofSource& proof);

  const std::string& name() const { return key_.name(); }
  const CosignatureVerifier& key() const { return key_; }
  uint64_t acknowledged_size() const { return acked_; }

 private:
  WitnessClient(std::string url, CosignatureVerifier key, Transport transport)
      : url_(std::move(url)), key_(std::move(key)), transport_(std::move(transport)) {}
  Result<std::string> Verified(std::string_view signed_checkpoint, const std::string& reply);

  std::string url_;  // .../add-checkpoint
  CosignatureVerifier key_;
  Transport transport_;
  uint64_t acked_ = 0;
};

}  // namespace ftz::witness
