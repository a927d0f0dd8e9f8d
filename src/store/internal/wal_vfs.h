// A SQLite VFS that writes a WAL commit's frames to the file in one system
// call, not two per page.
//
// SQLite appends a commit to the write-ahead log frame by frame, and each
// frame as two writes: its 24-byte header, then the page. The read model's
// writer commits every few milliseconds, each commit a few dozen pages spread
// over its B-trees, so it made ~2.4 pwrite calls per document, and on a
// machine where a system call costs over a microsecond that was a third of the
// read model's time (docs/performance.md, session 15). This VFS wraps the
// default one; for WAL files only, it gathers contiguous writes in memory
// until the commit frame's header (the one frame whose header carries the
// database size), which goes out with them in one write; from there every
// write goes straight to the file until the next transaction's first frame.
// Gathered bytes also go out before any read, sync, truncate, size query or
// close of the file, on a write elsewhere in it, and at 124 KiB. Every other
// file (the database, its shared memory) is the default VFS's own, untouched.
//
// Why that is safe: SQLite publishes a commit in the WAL index (where other
// connections find frames) only after it has written the commit frame's
// header, and whatever follows the header (the page, rewritten checksums,
// padding to a sector) is not held back. A failed write is returned by the
// header's own xWrite, so SQLite sees the commit fail as it would without this
// VFS. Frames of a transaction not yet committed may stay gathered after the
// writer releases its lock; that is safe with one writer connection, as the
// read model has (another writer could restart the WAL under them).
//
// Thread safety: as the default VFS's (each file is used by one connection).
#pragma once

#include <cstdint>

namespace ftz::store::internal {

// Registers the VFS (once; later calls return the same name) and returns its
// name for sqlite3_open_v2. Never fails: with no default VFS to wrap, SQLite
// could open nothing anyway, and this aborts.
const char* CoalescingWalVfsName();

// Process-wide counts, for tests and benchmarks: writes SQLite made to WAL
// files through this VFS, writes it handed on to the default VFS, and bytes
// gathered and not yet handed on.
struct WalVfsCounts {
  uint64_t gathered = 0;
  uint64_t written = 0;
  int64_t pending = 0;
};
WalVfsCounts CoalescingWalVfsCounts();

}  // namespace ftz::store::internal
