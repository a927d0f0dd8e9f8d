#include "node/audit.h"

#include <algorithm>
#include <cstring>

#include "core/crc32.h"
#include "ledger/checkpoint.h"
#include "ledger/hash.h"
#include "ledger/tiles.h"
#include "ledger/tree.h"
#include "node/record_proof.h"
#include "stream/log.h"

namespace ftz::node {
namespace {

uint64_t GetLe(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetBe64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t Crc(const char* p, size_t n) { return Crc32(std::string_view(p, n)); }

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The tile store's committed state (docs/ledger-format.md §4.5), read
// without opening the store (TileStore::Open may write).
struct TileState {
  uint64_t size = 0;
  ledger::Hash root{};
  bool found = false;
};

Result<TileState> ReadTileState(Env* env, const std::string& tiles_dir) {
  const std::string path = tiles_dir + "/ftz-tiles.state";
  TileState st;
  if (!env->FileExists(path)) return st;
  Result<std::string> data = env->ReadFile(path);
  if (!data.ok()) return data.status();
  uint64_t best_seq = 0;
  for (size_t off : {size_t{0}, size_t{512}}) {
    if (data->size() < off + 64) continue;
    const char* p = data->data() + off;
    if (std::string_view(p, 8) != "FTZTILE1") continue;
    ledger::Hash check = ledger::Sha256(std::string_view(p, 56));
    if (std::memcmp(check.data(), p + 56, 8) != 0) continue;
    uint64_t seq = GetBe64(p + 8);
    if (st.found && seq <= best_seq) continue;
    st.found = true;
    best_seq = seq;
    st.size = GetBe64(p + 16);
    std::memcpy(st.root.data(), p + 24, ledger::kHashSize);
  }
  if (!st.found && !data->empty()) {
    return Status::Corruption(path + ": no valid state record (the tile store was damaged)");
  }
  return st;
}

std::string HashHex(const ledger::Hash& h) { return ledger::HashToHex(h); }

}  // namespace

Result<AuditReport> AuditDataDir(const AuditOptions& options) {
  Env* env = options.env ? options.env : Env::Default();
  const std::string& dir = options.data_dir;
  AuditReport report;

  // ---- what the ledger published: keys, signed checkpoint, tile state ----
  ledger::VerifierSet own_keys;
  const ledger::VerifierSet* keys = &options.keys;
  if (options.keys.size() == 0) {
    const std::string key_path = dir + "/keys/ledger.key";
    if (env->FileExists(key_path)) {
      Result<std::string> skey = env->ReadFile(key_path);
      if (!skey.ok()) return skey.status();
      Result<ledger::Signer> signer = ledger::Signer::Parse(Trim(*skey));
      if (!signer.ok()) return Status::InvalidArgument(key_path + ": " + signer.status().message());
      FTZ_RETURN_IF_ERROR(own_keys.Add(signer->verifier()));
      keys = &own_keys;
      report.notes.push_back("checkpoint key taken from " + key_path +
                             " (pass the log's public key with --key to trust nothing in DIR)");
    }
  }
  std::string cp_text = options.checkpoint;
  if (cp_text.empty() && env->FileExists(dir + "/ledger/checkpoint")) {
    Result<std::string> t = env->ReadFile(dir + "/ledger/checkpoint");
    if (!t.ok()) return t.status();
    cp_text = *t;
  }
  ledger::Checkpoint cp;
  if (!cp_text.empty()) {
    if (keys->size() == 0) {
      return Status::InvalidArgument("a checkpoint to check against but no key to verify it with");
    }
    Result<ledger::VerifiedCheckpoint> v = ledger::OpenCheckpoint(cp_text, *keys, options.origin);
    if (!v.ok()) return Status(v.status().code(), "checkpoint: " + v.status().message());
    cp = v->checkpoint;
    report.checkpoint_verified = true;
    report.checkpoint_size = cp.size;
  } else {
    report.notes.push_back(
        "no signed checkpoint given: records are checked against the stored tiles only");
  }
  const std::string tiles_dir = dir + "/ledger/tiles";
  Result<TileState> state = ReadTileState(env, tiles_dir);
  if (!state.ok()) return state.status();
  report.tiles_size = state->size;
  if (!state->found) report.notes.push_back("no tile store state in " + tiles_dir);
  ledger::TileReader tiles(tiles_dir, state->size, 64);

  // ---- the log, record by record ----
  const std::string log_dir = dir + "/log";
  Result<std::vector<std::string>> names = env->ListDir(log_dir);
  if (!names.ok()) return Status(names.status().code(), log_dir + ": " + names.status().message());
  std::vector<std::pair<uint64_t, std::string>> segs;
  for (const std::string& n : *names) {
    uint64_t first;
    if (stream::ParseSegmentName(n, &first)) segs.emplace_back(first, n);
  }
  std::sort(segs.begin(), segs.end());
  // Everything the window published something about: damage there is tampering.
  const uint64_t covered = std::max(state->size, cp.size);
  ledger::CompactRange range;
  ledger::Hash root_at_cp = ledger::EmptyRoot(), root_at_tiles = ledger::EmptyRoot();
  uint64_t next = 0;
  auto find = [&](uint64_t seq, const std::string& seg, uint64_t off, std::string what) {
    report.finding = AuditFinding{seq, seg, off, std::move(what)};
  };
  for (size_t i = 0; i < segs.size() && !report.finding; ++i) {
    const auto& [first, name] = segs[i];
    const std::string path = log_dir + "/" + name;
    const bool last = i + 1 == segs.size();
    if (first != next) {
      find(next, path, 0,
           "segment starts at record " + std::to_string(first) + " but " + std::to_string(next) +
               " was expected (a segment was removed or renamed)");
      break;
    }
    Result<std::string> data = env->ReadFile(path);
    if (!data.ok()) return data.status();
    ++report.segments;
    const std::string_view d = *data;
    if (d.size() < stream::kSegmentHeaderSize || d.substr(0, 8) != "FTZLOG01" ||
        GetLe(d.data() + 8, 8) != first) {
      if (last && next >= covered && d.size() <= stream::kSegmentHeaderSize) {
        report.notes.push_back(path + ": incomplete segment header (an unsynced new segment)");
        break;
      }
      if (last && next >= covered && stream::IsZeroFilled(d)) {
        report.notes.push_back(path +
                               ": all zeros (a preallocated segment started by a roll whose "
                               "first batch never reached the disk)");
        break;
      }
      find(next, path, 0, "segment header is damaged or does not match the file name");
      break;
    }
    size_t pos = stream::kSegmentHeaderSize;
    while (pos < d.size()) {
      std::string bad;
      uint32_t len = 0;
      if (d.size() - pos < stream::kRecordHeaderSize) {
        bad = "record header incomplete";
      } else {
        len = static_cast<uint32_t>(GetLe(d.data() + pos + 4, 4));
        if (len > d.size() - pos - stream::kRecordHeaderSize) {
          bad = "record length runs past the end of the segment";
        } else if (Crc(d.data() + pos + 4, stream::kRecordHeaderSize - 4 + len) !=
                   GetLe(d.data() + pos, 4)) {
          bad = "CRC-32 mismatch: the record's bytes were changed";
        } else if (GetLe(d.data() + pos + 8, 8) != next) {
          bad = "sequence number " + std::to_string(GetLe(d.data() + pos + 8, 8)) + " where " +
                std::to_string(next) + " was expected";
        }
      }
      if (!bad.empty() && stream::IsZeroFilled(d.substr(pos))) {
        // The unwritten rest of a preallocated segment (docs/log-format.md §3):
        // its records end here.
        break;
      }
      if (!bad.empty()) {
        if (last && next >= covered) {
          report.notes.push_back(path + ": " + std::to_string(d.size() - pos) +
                                 " bytes after record " + std::to_string(next) +
                                 " are an unsynced tail outside the ledger (" + bad + ")");
        } else {
          find(next, path, pos, bad);
        }
        break;
      }
      const char* h = d.data() + pos;
      const auto type = static_cast<stream::RecordType>(static_cast<uint8_t>(h[24]));
      const auto time = static_cast<UnixMillis>(GetLe(h + 16, 8));
      const ledger::Hash c =
          RecordCommitment(type, next, time, std::string_view(h + stream::kRecordHeaderSize, len));
      const ledger::Hash leaf =
          ledger::HashLeaf(std::string_view(reinterpret_cast<const char*>(c.data()), c.size()));
      if (next < state->size) {
        Result<ledger::Hash> stored = tiles.NodeHash(0, next);
        if (!stored.ok()) {
          find(next, path, pos, "its published leaf cannot be read: " + stored.status().message());
          break;
        }
        if (*stored != leaf) {
          find(next, path, pos,
               "the record's bytes no longer match its published leaf (" +
                   ledger::TilePath({0, next / ledger::kTileWidth, ledger::kTileWidth}) + " has " +
                   HashHex(*stored) + ", the record hashes to " + HashHex(leaf) +
                   "): it was altered after it was logged, and its CRC recomputed");
          break;
        }
      }
      FTZ_RETURN_IF_ERROR(range.Append(leaf));
      ++next;
      ++report.records;
      if (next == cp.size) root_at_cp = range.Root();
      if (next == state->size) root_at_tiles = range.Root();
      pos += stream::kRecordHeaderSize + len;
    }
  }
  if (report.finding) return report;
  const std::string last_seg = segs.empty() ? "" : log_dir + "/" + segs.back().second;
  if (next < covered) {
    find(next, last_seg, 0,
         "the log ends at record " + std::to_string(next) + " but the ledger covers " +
             std::to_string(covered) + " records (records were removed)");
    return report;
  }
  if (report.checkpoint_verified && root_at_cp != cp.root) {
    find(kUnknownSeq, "", 0,
         "the first " + std::to_string(cp.size) +
             " records do not hash to the signed checkpoint's root (" + HashHex(cp.root) +
             "); they hash to " + HashHex(root_at_cp) +
             ". The stored tiles were rewritten to match, so the altered record cannot be "
             "located from this directory");
    return report;
  }
  if (state->found && root_at_tiles != state->root) {
    find(kUnknownSeq, "", 0,
         "the tile store's recorded root at size " + std::to_string(state->size) +
             " does not match the records (the tile store was altered)");
  }
  return report;
}

}  // namespace ftz::node
