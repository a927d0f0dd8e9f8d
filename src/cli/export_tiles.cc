// ftzport export-tiles --data DIR --out SITE: the ledger's Merkle tree at its
// latest signed checkpoint as plain c2sp.org/tlog-tiles files (SITE/checkpoint
// and SITE/tile/<L>/<N>[.p/<W>]), to be served by any static web server.
// The window serves the same bytes at /tlog/ itself; it keeps full level-0
// tiles in one node file rather than a file each (docs/ledger-format.md §4),
// so a static copy is made on demand, off the acknowledgement path. Entry
// bundles are not exported: they are computed from the log (§4.6).
//
// Reads only; safe on a running window (the checkpoint is saved after its
// tiles are durable). Exit codes: 0 exported; 2 nothing could be exported
// (no checkpoint yet, tiles that do not hold the checkpoint's tree, I/O).
#include <cstdio>
#include <fstream>

#include "cli/commands.h"
#include "env/env.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"
#include "ledger/proof.h"
#include "ledger/tiles.h"

namespace ftz::cli {

Runner AddExportTiles(CLI::App& app) {
  struct Opts {
    std::string data = "ftzport-data";
    std::string out;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--data", o->data, "Data directory of a window (read only)")
      ->capture_default_str();
  app.add_option("--out", o->out, "Directory to write the tiles and checkpoint into")->required();
  return [o]() -> int {
    auto fail = [](const std::string& what) {
      std::fprintf(stderr, "ftzport export-tiles: %s\n", what.c_str());
      return 2;
    };
    // An empty --out would name the filesystem's root ("" + "/tile/...").
    if (o->out.empty()) return fail("--out is empty");
    const std::string cp_path = o->data + "/ledger/checkpoint";
    Result<std::string> read = Env::Default()->ReadFile(cp_path);
    if (!read.ok()) return fail("no signed checkpoint at " + cp_path + " (has the window run?)");
    const std::string signed_text = std::move(*read);
    Result<ledger::Note> note = ledger::ParseNote(signed_text);
    if (!note.ok()) return fail(cp_path + ": " + note.status().message());
    Result<ledger::Checkpoint> cp = ledger::ParseCheckpoint(note->text);
    if (!cp.ok()) return fail(cp_path + ": " + cp.status().message());
    ledger::TileReader tiles(o->data + "/ledger/tiles", cp->size, 64);
    // Only a tree that hashes to the signed root is worth publishing.
    Result<ledger::Hash> root = ledger::RootAt(cp->size, tiles);
    if (!root.ok()) return fail("tiles: " + root.status().ToString());
    if (*root != cp->root) return fail("the tiles do not hash to the root of " + cp_path);
    Result<uint64_t> n = ledger::ExportTiles(tiles, o->out);
    if (!n.ok()) return fail(n.status().ToString());
    std::ofstream out(o->out + "/checkpoint", std::ios::binary | std::ios::trunc);
    out << signed_text;
    out.close();
    if (!out) return fail("cannot write " + o->out + "/checkpoint");
    std::printf("exported %llu tiles of the tree of %llu records and its checkpoint to %s\n",
                static_cast<unsigned long long>(*n), static_cast<unsigned long long>(cp->size),
                o->out.c_str());
    return 0;
  };
}

}  // namespace ftz::cli
