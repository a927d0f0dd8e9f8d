// Witness: a transparency-log witness (c2sp.org/tlog-witness) without the
// transport. It is configured with the logs it follows (origin + verifier
// keys), keeps for each the latest checkpoint it cosigned (StateStore, made
// durable before any cosignature leaves), and answers add-checkpoint request
// bodies:
//
//   "old " <size> "\n"             the size the client believes we hold
//   <base64 hash> "\n" ...         consistency proof old -> new (at most 63)
//   "\n"
//   <signed checkpoint>            the log's note, possibly with more signatures
//
// with the spec's statuses: 200 and the cosignature line; 400 malformed body
// or old > new size; 403 no trusted log signature verifies; 404 unknown
// origin; 409 (Content-Type text/x.tlog.size, body "<our size>\n") when `old`
// is not the size we hold, or the sizes are equal and the roots are not;
// 422 the consistency proof is wrong (missing, extra or bad hash); 500 the
// state could not be made durable (no cosignature); 503 after such a failure,
// until a restart rereads the state. A smaller tree than the one held is
// never cosigned (400 or 409), nor a second root at the same size.
//
// Contract:
//  * Ownership: Witness owns its StateStore and borrows the Env.
//  * Thread safety: AddCheckpoint may be called from many threads; the check
//    against the stored size and the durable update happen under one lock, so
//    two racing requests cannot roll the state back (the spec's race).
//  * Time: only through the injected clock (POSIX seconds), never read here.
//  * Errors: Open fails with Corruption on a damaged state file and
//    InvalidArgument on bad configuration; AddCheckpoint never fails, it
//    answers (bad input is answered, never asserted).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "env/env.h"
#include "ledger/note.h"
#include "witness/cosignature.h"
#include "witness/state.h"

namespace ftz::witness {

// The Content-Type of a 409 answer's body.
inline constexpr const char* kTlogSizeType = "text/x.tlog.size";
// The spec's limit on consistency proof lines.
inline constexpr size_t kMaxProofLines = 63;
// The largest request body accepted: a proof and a note at its limit.
inline constexpr size_t kMaxRequestBytes = ledger::kMaxNoteBytes + 8192;

// A log the witness follows: its origin line and the keys that may sign it.
struct KnownLog {
  std::string origin;
  std::vector<std::string> vkeys;  // signed-note verifier keys (Ed25519 or SM2)
};

// "ORIGIN VKEY" (split at the last space) or "VKEY" alone (origin = the key's
// name); several such lines (e.g. GET /tlog/key's two) give one log several
// keys. InvalidArgument with the reason otherwise.
Result<KnownLog> ParseLogSpec(std::string_view spec);

struct WitnessResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class Witness {
 public:
  using Clock = std::function<uint64_t()>;  // POSIX seconds

  // Reads the state under `dir` (through `env`; null: Env::Default()). Logs
  // with the same origin are merged. InvalidArgument for a bad key or no log.
  static Result<std::unique_ptr<Witness>> Open(Env* env, const std::string& dir,
                                               CosignatureSigner signer,
                                               const std::vector<KnownLog>& logs, Clock clock);

  WitnessResponse AddCheckpoint(std::string_view body);

  const CosignatureSigner& signer() const { return signer_; }
  // The latest cosigned size and root for `origin`, if any.
  std::optional<LogState> state(const std::string& origin) const;

 private:
  Witness(CosignatureSigner signer, Clock clock)
      : signer_(std::move(signer)), clock_(std::move(clock)) {}

  CosignatureSigner signer_;
  Clock clock_;
  std::map<std::string, ledger::VerifierSet> logs_;
  mutable std::mutex mu_;
  std::unique_ptr<StateStore> store_;
  bool failed_ = false;  // a durable write failed: answer 503 until restarted
};

// The witness's signer key in `path` ("PRIVATE+KEY+..." and a newline); made
// with `name` and written with mode 0600 when the file does not exist.
// InvalidArgument if the file holds a key of another name (when `name` is not
// empty) or is not a witness key.
Result<CosignatureSigner> LoadOrCreateKey(const std::string& path, std::string_view name);

// The wall clock in POSIX seconds, for the edges (the CLI).
uint64_t SystemSeconds();

}  // namespace ftz::witness
