// ftzport audit --data DIR: recompute the ledger from a stopped window's log
// and report the first record whose bytes no longer match what was published
// (node/audit.h). Reads only; a tampered directory is left as found.
//
// Exit codes: 0 every record matches; 1 a record does not match (printed with
// its leaf index, segment file and byte offset); 2 the audit could not be
// made (no such directory, a checkpoint that does not verify, bad key).
#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "node/audit.h"

namespace ftz::cli {

Runner AddAudit(CLI::App& app) {
  struct Opts {
    std::string data = "ftzport-data";
    std::string checkpoint;
    std::vector<std::string> keys;
    std::string origin;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--data", o->data, "Data directory of a stopped window (read only)")
      ->capture_default_str();
  app.add_option("--checkpoint", o->checkpoint,
                 "A signed checkpoint saved from GET /tlog/checkpoint (default: "
                 "DATA/ledger/checkpoint if present)");
  app.add_option("--key", o->keys,
                 "The log's verifier key, or a file of keys (default: the public half of "
                 "DATA/keys/ledger.key); repeatable");
  app.add_option("--origin", o->origin, "Require this checkpoint origin");
  return [o]() -> int {
    node::AuditOptions opts;
    opts.data_dir = o->data;
    opts.origin = o->origin;
    if (!o->checkpoint.empty()) {
      std::ifstream in(o->checkpoint, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "ftzport audit: cannot read %s\n", o->checkpoint.c_str());
        return 2;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      opts.checkpoint = ss.str();
    }
    for (const std::string& spec : o->keys) {
      std::vector<std::string> lines;
      if (std::ifstream in(spec); in) {
        for (std::string line; std::getline(in, line);)
          if (!line.empty()) lines.push_back(line);
      } else {
        lines.push_back(spec);
      }
      for (const std::string& k : lines) {
        Status st = opts.keys.AddKey(k);
        if (!st.ok() && st.code() != StatusCode::kAlreadyExists) {
          std::fprintf(stderr, "ftzport audit: key %s: %s\n", k.c_str(), st.message().c_str());
          return 2;
        }
      }
    }
    Result<node::AuditReport> r = node::AuditDataDir(opts);
    if (!r.ok()) {
      std::fprintf(stderr, "ftzport audit: %s: %s\n", o->data.c_str(),
                   r.status().ToString().c_str());
      return 2;
    }
    for (const std::string& n : r->notes) std::printf("note: %s\n", n.c_str());
    std::printf("audited %llu records in %llu segments; tiles cover %llu",
                static_cast<unsigned long long>(r->records),
                static_cast<unsigned long long>(r->segments),
                static_cast<unsigned long long>(r->tiles_size));
    if (r->checkpoint_verified) {
      std::printf(", signed checkpoint %llu", static_cast<unsigned long long>(r->checkpoint_size));
    }
    std::printf("\n");
    if (r->clean()) {
      std::printf("ok: every record matches the ledger\n");
      return 0;
    }
    const node::AuditFinding& f = *r->finding;
    if (f.seq == node::kUnknownSeq) {
      std::printf("TAMPERED: %s\n", f.what.c_str());
    } else {
      std::printf("TAMPERED: record %llu (%s, byte offset %llu): %s\n",
                  static_cast<unsigned long long>(f.seq), f.segment.c_str(),
                  static_cast<unsigned long long>(f.offset), f.what.c_str());
    }
    return 1;
  };
}

}  // namespace ftz::cli
