// A SQLite VFS that writes each WAL commit to the file in one system call.
//
// SQLite appends a commit to the write-ahead log frame by frame, and each
// frame as two writes: its 24-byte header, then the page. The read model's
// writer commits every few milliseconds, each commit a few dozen pages spread
// over its B-trees, so it made ~2.4 pwrite calls per document, and on a
// machine where a system call costs over a microsecond that was a third of the
// read model's time (docs/performance.md, session 15). This VFS wraps the
// default one; for WAL files only, it gathers contiguous writes in memory and
// hands them to the file when the commit's last frame is complete, before
// anything can read them: before any read, sync, truncate, size query, file
// control or close of that file, on a write elsewhere in it, and when the
// gathered bytes fill the most one write may carry. Every other file (the database, its shared
// memory) is the default VFS's own, untouched.
//
// Why that is safe: other connections find frames through the WAL index in
// shared memory, which SQLite updates only after sqlite3WalFrames has written
// every frame of the commit, the last one being the one whose header carries
// the commit's database size (non-zero bytes 4..7). The write of that frame's
// page therefore flushes, and a failure to write is returned by that xWrite,
// so SQLite sees the commit fail as it would have without this VFS.
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
// files through this VFS, and writes it handed on to the default VFS.
struct WalVfsCounts {
  uint64_t gathered = 0;
  uint64_t written = 0;
};
WalVfsCounts CoalescingWalVfsCounts();

}  // namespace ftz::store::internal
