// The ledger's routes of Api: tlog tiles and entry bundles, inclusion and
// consistency proofs, and proof bundles (docs/ledger-format.md).
#include <optional>

#include <simdjson.h>

#include "ceb/internal/util.h"
#include "ledger/proof.h"
#include "ledger/tiles.h"
#include "node/record_proof.h"
#include "server/api.h"
#include "server/internal/api_util.h"

namespace ftz::server {

using ceb::internal::AppendJsonString;
using internal::JsonError;
using internal::ServerFault;
using internal::WallNow;

namespace {

std::string HashJson(const ledger::Hash& h) {
  std::string out;
  AppendJsonString(&out, ceb::internal::Base64Encode(
                             std::string_view(reinterpret_cast<const char*>(h.data()), h.size())));
  return out;
}

std::string HashesJson(const std::vector<ledger::Hash>& hashes) {
  std::string out = "[";
  for (size_t i = 0; i < hashes.size(); ++i) {
    if (i) out += ',';
    out += HashJson(hashes[i]);
  }
  return out + "]";
}

}  // namespace

namespace {

// The ?index= of a record a signed checkpoint covers, or the refusal.
std::optional<ApiResponse> CheckpointedIndex(const std::string& query, uint64_t size,
                                             int64_t* index) {
  if (!ParseInt(QueryParam(query, "index"), index) || *index < 0) {
    return JsonError(400, "bad_request", "index (a log record's sequence number) is required");
  }
  if (static_cast<uint64_t>(*index) >= size) {
    return JsonError(404, "not_yet_checkpointed",
                     "record " + std::to_string(*index) +
                         " is not in the latest checkpoint (size " + std::to_string(size) +
                         "); try again in a second");
  }
  return std::nullopt;
}

}  // namespace

ledger::TileReader& Api::TilesAt(uint64_t checkpoint_size) {
  std::call_once(tiles_once_, [&] {
    // 16 K expanded tiles (256 MiB at most): every upper tile of a
    // 100 M-leaf tree and the recently asked level-0 ones.
    tiles_ =
        std::make_unique<ledger::TileReader>(node_->ledger().tiles_dir(), checkpoint_size, 16384);
  });
  if (checkpoint_size > tiles_->size()) tiles_->Grow(checkpoint_size);
  return *tiles_;
}

ApiResponse Api::InclusionProof(const std::string& query) {
  // Proofs are against the latest signed checkpoint, so a verifier needs
  // nothing else from this server: the checkpoint travels with the proof.
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  int64_t index = -1;
  if (std::optional<ApiResponse> refused = CheckpointedIndex(query, cp.size, &index)) {
    return std::move(*refused);
  }
  stream::RecordType type;
  UnixMillis time;
  std::string payload;
  Status st = node_->log().Read(static_cast<uint64_t>(index), &type, &time, &payload);
  if (!st.ok()) return ServerFault("log", "log record " + std::to_string(index), st);
  ledger::TileReader& reader = TilesAt(cp.size);
  auto proof = ledger::InclusionProof(static_cast<uint64_t>(index), cp.size, reader);
  if (!proof.ok()) return ServerFault("ledger", "the ledger's tiles", proof.status());
  const ledger::Hash leaf = node::RecordLeaf(type, static_cast<uint64_t>(index), time, payload);
  ApiResponse r;
  r.body = "{\"index\":" + std::to_string(index) + ",\"size\":" + std::to_string(cp.size) +
           ",\"leafHash\":" + HashJson(leaf) + ",\"proof\":" + HashesJson(*proof) +
           ",\"checkpoint\":";
  AppendJsonString(&r.body, cp.text);
  r.body += "}";
  return r;
}

ApiResponse Api::ConsistencyProof(const std::string& query) {
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  int64_t from = -1, to = static_cast<int64_t>(cp.size);
  std::string to_text = QueryParam(query, "to");
  if (!ParseInt(QueryParam(query, "from"), &from) || from < 1 ||
      (!to_text.empty() && !ParseInt(to_text, &to)) || to < from) {
    return JsonError(400, "bad_request", "need 1 <= from <= to (tree sizes)");
  }
  if (static_cast<uint64_t>(to) > cp.size) {
    return JsonError(404, "not_yet_checkpointed",
                     "size " + std::to_string(to) + " is beyond the latest checkpoint (" +
                         std::to_string(cp.size) + ")");
  }
  ledger::TileReader& reader = TilesAt(cp.size);
  auto proof =
      ledger::ConsistencyProof(static_cast<uint64_t>(from), static_cast<uint64_t>(to), reader);
  if (!proof.ok()) return ServerFault("ledger", "the ledger's tiles", proof.status());
  ApiResponse r;
  r.body = "{\"from\":" + std::to_string(from) + ",\"to\":" + std::to_string(to) +
           ",\"proof\":" + HashesJson(*proof) + ",\"checkpoint\":";
  AppendJsonString(&r.body, cp.text);
  r.body += "}";
  return r;
}

ApiResponse Api::Tile(const std::string& rel) {
  // Only what the latest signed checkpoint covers is served: a client can
  // check every tile against a root it has a signature for, and tiles the
  // writer flushed ahead of the next checkpoint stay private until then.
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  constexpr std::string_view kEntries = "tile/entries/";
  const bool entries = rel.compare(0, kEntries.size(), kEntries) == 0;
  // Entry bundles share the level-0 path encoding.
  Result<ledger::TileId> id =
      ledger::ParseTilePath(entries ? "tile/0/" + rel.substr(kEntries.size()) : rel);
  if (!id.ok()) {
    return JsonError(400, "bad_tile_path",
                     "/tlog/" + rel + ": " + id.status().message() +
                         " (expected /tlog/tile/<L>/<N>[.p/<W>] or "
                         "/tlog/tile/entries/<N>[.p/<W>], N in 3-digit groups like x001/234)");
  }
  // Complete nodes at the tile's level in the checkpointed tree.
  const uint64_t count = id->level >= 8 ? 0 : cp.size >> (ledger::kTileHeight * id->level);
  if (id->index > count / ledger::kTileWidth ||
      id->index * ledger::kTileWidth + id->width > count) {
    return JsonError(404, "beyond_checkpoint",
                     "/tlog/" + rel + " is beyond the latest checkpoint (tree size " +
                         std::to_string(cp.size) + ")");
  }
  ApiResponse r;
  r.content_type = "application/octet-stream";
  // A full tile never changes; a partial one (p/W) never changes either but may
  // be deleted once its full tile exists, so clients should not keep it long.
  r.headers.emplace_back("Cache-Control",
                         id->full() ? "public, max-age=31536000, immutable" : "public, max-age=60");
  if (entries) {
    // The entries are the records' 32-byte commitments (docs/ledger-format.md
    // §4.6), computed from the log on request: the records themselves are not
    // public, and nothing but the log is stored.
    const uint64_t first = id->index * ledger::kTileWidth;
    r.body.reserve(size_t{id->width} * (2 + ledger::kHashSize));
    for (uint64_t seq = first; seq < first + id->width; ++seq) {
      stream::RecordType type;
      UnixMillis time;
      std::string payload;
      Status st = node_->log().Read(seq, &type, &time, &payload);
      if (!st.ok()) return ServerFault("log", "log record " + std::to_string(seq), st);
      const ledger::Hash c = node::RecordCommitment(type, seq, time, payload);
      r.body.push_back(0);  // big-endian uint16 length: 32
      r.body.push_back(static_cast<char>(ledger::kHashSize));
      r.body.append(reinterpret_cast<const char*>(c.data()), c.size());
    }
    return r;
  }
  ledger::TileReader& reader = TilesAt(cp.size);
  Result<std::string> data = reader.ReadTile(*id);
  if (!data.ok() && data.status().code() == StatusCode::kNotFound) {
    // A partial width no flush wrote (tiles are written per flush, not per
    // checkpointed width): the same hashes, from the tiles that exist.
    data = ledger::BuildTile(*id, reader);
  }
  if (!data.ok()) return ServerFault("ledger", "the ledger's tiles", data.status());
  r.body = std::move(*data);
  return r;
}

ApiResponse Api::RecordBundle(const std::string& query, const Caller& caller) {
  const node::LedgerWriter::Signed cp = node_->ledger().checkpoint();
  int64_t index = -1;
  if (std::optional<ApiResponse> refused = CheckpointedIndex(query, cp.size, &index)) {
    return std::move(*refused);
  }
  node::OwnedRecord rec;
  rec.seq = static_cast<uint64_t>(index);
  Status st = node_->log().Read(rec.seq, &rec.type, &rec.time, &rec.payload);
  if (!st.ok()) return ServerFault("log", "log record " + std::to_string(rec.seq), st);
  // Authorization (a later issue) goes here: the bundle carries the record
  // itself, so only a party entitled to it may fetch it -- for a receipt only
  // its addressee (caller.enterprise == the receipt record's copCode), for a
  // message only its sender (the record's caller), ticks to anyone, operator
  // commands to operators.
  (void)caller;
  ledger::TileReader& reader = TilesAt(cp.size);
  auto proof = ledger::InclusionProof(rec.seq, cp.size, reader);
  if (!proof.ok()) return ServerFault("ledger", "the ledger's tiles", proof.status());
  auto bundle = node::MakeRecordBundle(rec, *proof, cp.text);
  if (!bundle.ok()) return ServerFault("ledger", "the record's bundle", bundle.status());
  ApiResponse r;
  r.content_type = "text/plain; charset=utf-8";
  r.headers.emplace_back("Content-Disposition", "attachment; filename=\"ftzport-" +
                                                    std::to_string(index) + ".tlog-proof\"");
  r.body = std::move(*bundle);
  return r;
}

}  // namespace ftz::server
