#include "witness/witness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ledger/checkpoint.h"
#include "ledger/encoding.h"
#include "ledger/proof.h"

namespace ftz::witness {
namespace {

WitnessResponse Error(int status, std::string message) {
  WitnessResponse r;
  r.status = status;
  r.body = "witness: " + std::move(message) + "\n";
  return r;
}

WitnessResponse Conflict(uint64_t our_size) {
  WitnessResponse r;
  r.status = 409;
  r.content_type = kTlogSizeType;
  r.body = std::to_string(our_size) + "\n";
  return r;
}

struct Request {
  uint64_t old_size = 0;
  std::vector<ledger::Hash> proof;
  std::string_view note;  // the signed checkpoint
};

// Splits the body into its three parts; every syntax error is named.
Result<Request> ParseRequest(std::string_view body) {
  if (body.size() > kMaxRequestBytes) {
    return Status::InvalidArgument("request body over " + std::to_string(kMaxRequestBytes) +
                                   " bytes");
  }
  auto next_line = [&body](std::string_view* line) {
    size_t nl = body.find('\n');
    if (nl == std::string_view::npos) return false;
    *line = body.substr(0, nl);
    body.remove_prefix(nl + 1);
    return true;
  };
  Request req;
  std::string_view line;
  if (!next_line(&line) || line.substr(0, 4) != "old ") {
    return Status::InvalidArgument("the body must start with an \"old <size>\" line");
  }
  Result<uint64_t> old = ledger::ParseDecimal(line.substr(4));
  if (!old.ok()) return Status::InvalidArgument("old size: " + old.status().message());
  req.old_size = *old;
  for (;;) {
    if (!next_line(&line)) {
      return Status::InvalidArgument("no blank line between the proof and the checkpoint");
    }
    if (line.empty()) break;
    if (req.proof.size() == kMaxProofLines) {
      return Status::InvalidArgument("more than 63 consistency proof lines");
    }
    Result<std::string> raw = ledger::Base64Decode(line);
    if (!raw.ok() || raw->size() != ledger::kHashSize) {
      return Status::InvalidArgument("proof line " + std::to_string(req.proof.size() + 1) +
                                     " is not a base64 32-byte hash");
    }
    ledger::Hash h;
    std::memcpy(h.data(), raw->data(), h.size());
    req.proof.push_back(h);
  }
  if (body.empty()) return Status::InvalidArgument("no checkpoint after the blank line");
  req.note = body;
  return req;
}

Status WriteSecretFile(const std::string& path, const std::string& content) {
  // O_EXCL with mode 0600: the key is never readable by others, not even
  // between creation and a later chmod.
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IOError("create " + path + ": " + std::strerror(errno));
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size()) &&
            ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) return Status::IOError("write " + path + ": " + std::strerror(err));
  const size_t slash = path.rfind('/');
  return Env::Default()->SyncDir(slash == std::string::npos ? "." : path.substr(0, slash));
}

}  // namespace

Result<KnownLog> ParseLogSpec(std::string_view spec) {
  // One key per line, so that what GET /tlog/key serves (the log's Ed25519
  // and SM2 keys) can be passed as it is.
  KnownLog log;
  while (!spec.empty()) {
    const size_t nl = spec.find('\n');
    std::string_view line = spec.substr(0, nl);
    spec.remove_prefix(nl == std::string_view::npos ? spec.size() : nl + 1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t sp = line.rfind(' ');
    std::string_view vkey = sp == std::string_view::npos ? line : line.substr(sp + 1);
    Result<ledger::Verifier> v = ledger::Verifier::Parse(vkey);
    if (!v.ok()) {
      return Status::InvalidArgument("log key '" + std::string(vkey) +
                                     "': " + v.status().message());
    }
    std::string origin = sp == std::string_view::npos ? v->name() : std::string(line.substr(0, sp));
    if (origin.empty()) return Status::InvalidArgument("log origin is empty");
    if (!log.origin.empty() && origin != log.origin) {
      return Status::InvalidArgument("one --log names two origins ('" + log.origin + "', '" +
                                     origin + "'); give each its own --log");
    }
    log.origin = std::move(origin);
    log.vkeys.push_back(std::string(vkey));
  }
  if (log.vkeys.empty()) {
    return Status::InvalidArgument("a log is \"ORIGIN VKEY\" or \"VKEY\"; got nothing");
  }
  return log;
}

Result<std::unique_ptr<Witness>> Witness::Open(Env* env, const std::string& dir,
                                               CosignatureSigner signer,
                                               const std::vector<KnownLog>& logs, Clock clock) {
  if (!clock) return Status::InvalidArgument("witness: no clock");
  if (logs.empty()) return Status::InvalidArgument("witness: no log to follow (--log)");
  std::unique_ptr<Witness> w(new Witness(std::move(signer), std::move(clock)));
  for (const KnownLog& log : logs) {
    if (log.origin.empty()) return Status::InvalidArgument("witness: empty log origin");
    ledger::VerifierSet& set = w->logs_[log.origin];
    for (const std::string& k : log.vkeys) {
      Status s = set.AddKey(k);
      // The same key given twice is harmless.
      if (!s.ok() && s.code() != StatusCode::kAlreadyExists) {
        return Status::InvalidArgument("witness: log " + log.origin + ": " + s.message());
      }
    }
  }
  auto store = StateStore::Open(env ? env : Env::Default(), dir);
  if (!store.ok()) return store.status();
  w->store_ = std::move(*store);
  return w;
}

std::optional<LogState> Witness::state(const std::string& origin) const {
  std::lock_guard<std::mutex> lock(mu_);
  return store_->Get(origin);
}

WitnessResponse Witness::AddCheckpoint(std::string_view body) {
  Result<Request> req = ParseRequest(body);
  if (!req.ok()) return Error(400, req.status().message());
  // Syntax first, so a malformed note is 400 whatever its origin.
  Result<ledger::Note> note = ledger::ParseNote(req->note);
  if (!note.ok()) return Error(400, "checkpoint: " + note.status().message());
  Result<ledger::Checkpoint> parsed = ledger::ParseCheckpoint(note->text);
  if (!parsed.ok()) return Error(400, "checkpoint: " + parsed.status().message());
  auto known = logs_.find(parsed->origin);
  if (known == logs_.end()) return Error(404, "unknown log origin '" + parsed->origin + "'");
  Result<ledger::VerifiedCheckpoint> cp =
      ledger::OpenCheckpoint(req->note, known->second, parsed->origin);
  if (!cp.ok()) {
    return Error(cp.status().code() == StatusCode::kInvalidArgument ? 400 : 403,
                 "checkpoint: " + cp.status().message());
  }
  const ledger::Checkpoint& c = cp->checkpoint;
  if (req->old_size > c.size) {
    return Error(400, "old size " + std::to_string(req->old_size) + " is above the checkpoint's " +
                          std::to_string(c.size));
  }

  // The check against the stored state and the durable update are one step.
  std::lock_guard<std::mutex> lock(mu_);
  if (failed_) {
    return Error(503, "an earlier state write failed; the witness must be restarted");
  }
  const LogState held = store_->Get(c.origin).value_or(LogState{0, ledger::EmptyRoot()});
  if (req->old_size != held.size) return Conflict(held.size);
  if (c.size == held.size && c.root != held.root) {
    return Conflict(held.size);  // a second root at the same size: a fork
  }
  if (Status s = ledger::VerifyConsistency(held.size, c.size, req->proof, held.root, c.root);
      !s.ok()) {
    return Error(422, "consistency proof from " + std::to_string(held.size) + " to " +
                          std::to_string(c.size) + ": " + s.message());
  }
  const LogState next{c.size, c.root};
  if (!store_->Get(c.origin) || next != held) {
    if (Status s = store_->Put(c.origin, next); !s.ok()) {
      failed_ = true;
      return Error(500, "state not made durable, no cosignature: " + s.message());
    }
  }
  Result<std::string> line = signer_.SignLine(note->text, clock_());
  if (!line.ok()) return Error(500, "signing: " + line.status().message());
  WitnessResponse r;
  r.body = std::move(*line);
  return r;
}

Result<CosignatureSigner> LoadOrCreateKey(const std::string& path, std::string_view name) {
  std::ifstream in(path);
  if (!in) {
    if (name.empty()) return Status::InvalidArgument("a new witness key needs a name");
    auto made = CosignatureSigner::Generate(name);
    if (!made.ok()) return made.status();
    const size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      FTZ_RETURN_IF_ERROR(Env::Default()->CreateDirs(path.substr(0, slash)));
    }
    FTZ_RETURN_IF_ERROR(WriteSecretFile(path, made->ToString() + "\n"));
    return made;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string skey = ss.str();
  while (!skey.empty() && (skey.back() == '\n' || skey.back() == '\r')) skey.pop_back();
  auto signer = CosignatureSigner::Parse(skey);
  if (!signer.ok()) return Status::InvalidArgument(path + ": " + signer.status().message());
  if (!name.empty() && signer->name() != name) {
    return Status::InvalidArgument(path + " holds the key of witness '" + signer->name() +
                                   "', not '" + std::string(name) + "'");
  }
  return signer;
}

uint64_t SystemSeconds() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
}

}  // namespace ftz::witness
