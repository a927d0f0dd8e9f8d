#include "store/internal/wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace ftz::store::internal {
namespace {

constexpr char kName[] = "ftz-coalescing-wal";
// SQLite's unix VFS writes at most 0x1ffff bytes per call (it masks the
// length: a write of exactly 128 KiB would write nothing), so the gathered
// bytes go out in pieces of at most 124 KiB (30 frames of 4 KiB pages): a
// write that would make them more sends what is gathered first.
constexpr sqlite3_int64 kMaxWrite = 0x1ffff & ~0xfff;
constexpr int kFrameHeader = 24;  // WAL frame header (sqlite's wal.c)

std::atomic<uint64_t> g_gathered{0}, g_written{0};
std::atomic<int64_t> g_pending{0};

sqlite3_vfs* Real(sqlite3_vfs* vfs) { return static_cast<sqlite3_vfs*>(vfs->pAppData); }

// A WAL file: the default VFS's file placed after this header, and the bytes
// not yet handed to it, which start at `at` and are contiguous.
struct WalFile {
  sqlite3_file base;
  sqlite3_file* real;
  char* buf;
  sqlite3_int64 len, cap;
  sqlite3_int64 at;
  bool through;  // since a commit frame's header: writes go straight to the file
};

constexpr size_t kRealOffset = (sizeof(WalFile) + 7) & ~size_t{7};

WalFile* W(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
const sqlite3_io_methods* M(WalFile* w) { return w->real->pMethods; }

int Flush(WalFile* w) {
  int rc = SQLITE_OK;
  for (sqlite3_int64 done = 0; done < w->len && rc == SQLITE_OK; done += kMaxWrite) {
    const int n = static_cast<int>(std::min(kMaxWrite, w->len - done));
    rc = M(w)->xWrite(w->real, w->buf + done, n, w->at + done);
    g_written.fetch_add(1, std::memory_order_relaxed);
  }
  // Kept or not, the bytes are gone from here: SQLite rolls the commit back
  // on an error and writes its frames again.
  g_pending.fetch_sub(w->len, std::memory_order_relaxed);
  w->len = 0;
  return rc;
}

int WriteThrough(WalFile* w, const void* p, int n, sqlite3_int64 off) {
  if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  g_written.fetch_add(1, std::memory_order_relaxed);
  return M(w)->xWrite(w->real, p, n, off);
}

int Gather(WalFile* w, const void* p, int n, sqlite3_int64 off) {
  if (w->len > 0 && (off != w->at + w->len || w->len + n > kMaxWrite)) {
    if (int rc = Flush(w); rc != SQLITE_OK) return rc;
  }
  if (w->len == 0) w->at = off;
  if (w->len + n > w->cap) {
    sqlite3_int64 cap = w->cap == 0 ? 64 * 1024 : w->cap;
    while (cap < w->len + n) cap *= 2;
    char* b = static_cast<char*>(sqlite3_realloc64(w->buf, static_cast<sqlite3_uint64>(cap)));
    if (b == nullptr) return WriteThrough(w, p, n, off);  // no memory to gather in
    w->buf = b;
    w->cap = cap;
  }
  std::memcpy(w->buf + w->len, p, static_cast<size_t>(n));
  w->len += n;
  g_pending.fetch_add(n, std::memory_order_relaxed);
  return SQLITE_OK;
}

// SQLite publishes a commit in the WAL index right after the last write of
// its commit frame — the page after the header, or the header itself when it
// rewrites the checksums of frames it overwrote in place, or padding frames
// up to a sector boundary (synchronous=FULL on a disk without powersafe
// overwrite) — and it does not say which write is the last. So the commit
// frame's header, recognised by the database size it carries (bytes 4..7,
// zero in every other frame), sends out everything gathered with it, and
// every write after it goes straight to the file until a frame header without
// a size begins the next transaction's frames. Nothing of a commit is left
// here when it is published: two writes per commit instead of two per page.
int WalWrite(sqlite3_file* f, const void* p, int n, sqlite3_int64 off) {
  WalFile* w = W(f);
  g_gathered.fetch_add(1, std::memory_order_relaxed);
  if (n == kFrameHeader) {
    const auto* h = static_cast<const unsigned char*>(p);
    const bool commit = (h[4] | h[5] | h[6] | h[7]) != 0;
    if (!commit) {
      w->through = false;
      return Gather(w, p, n, off);
    }
    w->through = true;
    if (int rc = Gather(w, p, n, off); rc != SQLITE_OK) return rc;
    return Flush(w);
  }
  return w->through ? WriteThrough(w, p, n, off) : Gather(w, p, n, off);
}

int WalClose(sqlite3_file* f) {
  WalFile* w = W(f);
  int rc = Flush(w);
  const int rc2 = M(w)->xClose(w->real);
  sqlite3_free(w->buf);
  w->buf = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

// Every other method sees the file as the default VFS would: the gathered
// bytes are written first. (SQLite reads, truncates and syncs a WAL file; it
// never locks one or maps it into memory, but flushing first costs nothing.)
#define FTZ_FLUSH_THEN(call)                           \
  do {                                                 \
    WalFile* w = W(f);                                 \
    if (int rc = Flush(w); rc != SQLITE_OK) return rc; \
    return M(w)->call;                                 \
  } while (0)

int WalRead(sqlite3_file* f, void* p, int n, sqlite3_int64 off) {
  FTZ_FLUSH_THEN(xRead(w->real, p, n, off));
}
int WalTruncate(sqlite3_file* f, sqlite3_int64 size) { FTZ_FLUSH_THEN(xTruncate(w->real, size)); }
int WalSync(sqlite3_file* f, int flags) { FTZ_FLUSH_THEN(xSync(w->real, flags)); }
int WalFileSize(sqlite3_file* f, sqlite3_int64* size) { FTZ_FLUSH_THEN(xFileSize(w->real, size)); }
int WalLock(sqlite3_file* f, int lock) { FTZ_FLUSH_THEN(xLock(w->real, lock)); }
int WalUnlock(sqlite3_file* f, int lock) { FTZ_FLUSH_THEN(xUnlock(w->real, lock)); }
int WalCheckReservedLock(sqlite3_file* f, int* out) {
  FTZ_FLUSH_THEN(xCheckReservedLock(w->real, out));
}
int WalFileControl(sqlite3_file* f, int op, void* arg) {
  FTZ_FLUSH_THEN(xFileControl(w->real, op, arg));
}
int WalFetch(sqlite3_file* f, sqlite3_int64 off, int n, void** pp) {
  FTZ_FLUSH_THEN(xFetch(w->real, off, n, pp));
}
#undef FTZ_FLUSH_THEN

int WalSectorSize(sqlite3_file* f) { return M(W(f))->xSectorSize(W(f)->real); }
int WalDeviceCharacteristics(sqlite3_file* f) {
  return M(W(f))->xDeviceCharacteristics(W(f)->real);
}
int WalUnfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return M(W(f))->xUnfetch(W(f)->real, off, p);
}

const sqlite3_io_methods kWalMethods = {
    3,
    WalClose,
    WalRead,
    WalWrite,
    WalTruncate,
    WalSync,
    WalFileSize,
    WalLock,
    WalUnlock,
    WalCheckReservedLock,
    WalFileControl,
    WalSectorSize,
    WalDeviceCharacteristics,
    nullptr,  // shared memory belongs to the database file, never to its WAL
    nullptr,
    nullptr,
    nullptr,
    WalFetch,
    WalUnfetch,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  sqlite3_vfs* real = Real(vfs);
  // Not a WAL file: the default VFS's own file, in the same memory.
  if ((flags & SQLITE_OPEN_WAL) == 0) return real->xOpen(real, name, f, flags, out_flags);
  WalFile* w = W(f);
  w->base.pMethods = nullptr;
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kRealOffset);
  w->buf = nullptr;
  w->len = w->cap = w->at = 0;
  w->through = false;
  const int rc = real->xOpen(real, name, w->real, flags, out_flags);
  // SQLite closes a file whose methods are set even when its open failed.
  if (w->real->pMethods != nullptr) {
    if (w->real->pMethods->iVersion < 3) {
      std::fprintf(stderr, "ftzport: the default SQLite VFS's files are version %d, not 3\n",
                   w->real->pMethods->iVersion);
      std::abort();
    }
    w->base.pMethods = &kWalMethods;
  }
  return rc;
}

// The rest of the VFS is the default one's.
int Delete(sqlite3_vfs* v, const char* n, int sync) { return Real(v)->xDelete(Real(v), n, sync); }
int Access(sqlite3_vfs* v, const char* n, int flags, int* out) {
  return Real(v)->xAccess(Real(v), n, flags, out);
}
int FullPathname(sqlite3_vfs* v, const char* n, int size, char* out) {
  return Real(v)->xFullPathname(Real(v), n, size, out);
}
void* DlOpen(sqlite3_vfs* v, const char* n) { return Real(v)->xDlOpen(Real(v), n); }
void DlError(sqlite3_vfs* v, int n, char* msg) { Real(v)->xDlError(Real(v), n, msg); }
void (*DlSym(sqlite3_vfs* v, void* h, const char* sym))(void) {
  return Real(v)->xDlSym(Real(v), h, sym);
}
void DlClose(sqlite3_vfs* v, void* h) { Real(v)->xDlClose(Real(v), h); }
int Randomness(sqlite3_vfs* v, int n, char* out) { return Real(v)->xRandomness(Real(v), n, out); }
int Sleep(sqlite3_vfs* v, int us) { return Real(v)->xSleep(Real(v), us); }
int CurrentTime(sqlite3_vfs* v, double* t) { return Real(v)->xCurrentTime(Real(v), t); }
int GetLastError(sqlite3_vfs* v, int n, char* msg) {
  return Real(v)->xGetLastError(Real(v), n, msg);
}
int CurrentTimeInt64(sqlite3_vfs* v, sqlite3_int64* t) {
  return Real(v)->xCurrentTimeInt64(Real(v), t);
}

sqlite3_vfs g_vfs;

void Register() {
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  if (real == nullptr || real->iVersion < 2) {
    std::fprintf(stderr, "ftzport: no default SQLite VFS (version 2 or later) to wrap\n");
    std::abort();
  }
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(kRealOffset) + real->szOsFile;
  g_vfs.mxPathname = real->mxPathname;
  g_vfs.zName = kName;
  g_vfs.pAppData = real;
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = DlOpen;
  g_vfs.xDlError = DlError;
  g_vfs.xDlSym = DlSym;
  g_vfs.xDlClose = DlClose;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = Sleep;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&g_vfs, /*makeDflt=*/0) != SQLITE_OK) {
    std::fprintf(stderr, "ftzport: registering the SQLite VFS %s failed\n", kName);
    std::abort();
  }
}

}  // namespace

const char* CoalescingWalVfsName() {
  static std::once_flag once;
  std::call_once(once, Register);
  return kName;
}

WalVfsCounts CoalescingWalVfsCounts() {
  return {g_gathered.load(std::memory_order_relaxed), g_written.load(std::memory_order_relaxed),
          g_pending.load(std::memory_order_relaxed)};
}

}  // namespace ftz::store::internal
