// StateStore: a witness's durable memory -- for each log origin, the size and
// root hash of the latest checkpoint it cosigned. A witness that forgot this
// could be made to cosign a fork, so every change is durable before the
// cosignature leaves (docs/ledger-format.md §8.4 has the file byte by byte):
// the whole state is written to DIR/witness.state.tmp, fdatasync'ed, renamed
// over DIR/witness.state, and the directory is fsync'ed.
//
// Contract:
//  * Ownership: the store borrows the Env (it must outlive the store).
//  * Thread safety: none; the Witness serialises calls under its lock.
//  * Errors: Corruption when the file exists but is not a valid state (bad
//    magic, checksum or length) -- nothing is guessed, the witness does not
//    start; IOError from the file system. After a failed Put the store
//    refuses further Puts (FailedPrecondition): whether the new state reached
//    the disk is unknown, so only a restart (which reads it back) may go on.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/status.h"
#include "env/env.h"
#include "ledger/hash.h"

namespace ftz::witness {

struct LogState {
  uint64_t size = 0;
  ledger::Hash root{};
  bool operator==(const LogState&) const = default;
};

class StateStore {
 public:
  static constexpr const char* kFileName = "witness.state";

  // Reads DIR/witness.state (an absent file is an empty state).
  static Result<std::unique_ptr<StateStore>> Open(Env* env, const std::string& dir);

  std::optional<LogState> Get(const std::string& origin) const;
  // Makes the state with `origin` set to `state` durable, then adopts it.
  Status Put(const std::string& origin, const LogState& state);
  const std::map<std::string, LogState>& all() const { return logs_; }

  // The file's bytes for a state, and the inverse (exposed for tests).
  static std::string Encode(const std::map<std::string, LogState>& logs);
  static Result<std::map<std::string, LogState>> Decode(std::string_view bytes);

 private:
  StateStore(Env* env, std::string dir) : env_(env), dir_(std::move(dir)) {}
  Env* env_;
  std::string dir_;
  std::map<std::string, LogState> logs_;
  bool failed_ = false;
};

}  // namespace ftz::witness
