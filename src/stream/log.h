// Log: the append-only, CRC-framed, segmented record log that every input and
// every decision is written to before it has any effect ("log first"). The
// byte format is in docs/log-format.md.
//
// Durability: Append only buffers. Sync writes the buffer and makes it durable
// with one fdatasync (group commit); a record may be acknowledged only after
// the Sync that covers it returned ok. A failed Sync leaves the log in an
// unknown state: the caller must stop (docs/errors.md) — never retry.
//
// Preallocation (LogOptions::preallocate): a thread of the log keeps the next
// segment ready as a zero-filled, synced file, so that the records of a
// segment are written over allocated blocks and each fdatasync flushes data
// alone, not the file's size and extents too (on ext4 here a group commit
// takes 20-40% less time; docs/performance.md, session 9). A segment then
// ends in zeros until it is sealed; readers take an all-zero tail for the
// end of the records.
//
// Recovery: Open scans every segment in order. A torn tail of the last
// segment (a partial or corrupt record after the last whole one, with no valid
// record after it, as a crash mid-write leaves it) is truncated away and
// reported; damage anywhere else is Corruption and the log refuses to open.
//
// Sequence numbers start at 0 and have no gaps; a record's sequence number is
// also its leaf index in the ledger's Merkle tree.
//
// Thread safety: Append/Write/Sync from one thread (the sequencer) only;
// SyncWritten as said at its declaration. Scan may run concurrently from
// other threads on durable data.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/chunked_vector.h"
#include "core/status.h"
#include "core/time.h"
#include "env/env.h"

namespace ftz::stream {

enum class RecordType : uint8_t {
  kMessage = 1,  // an inbound CEB message as received (engine/records.h)
  kReceipt = 2,  // a receipt the engine emitted
  kTick = 3,     // the clock passed a deadline (empty payload; the time is the record's)
  kAdmin = 4,    // an operator's command (engine/records.h), e.g. bonded goods-in
};

struct Record {
  uint64_t seq = 0;
  UnixMillis time = 0;
  RecordType type = RecordType::kMessage;
  std::string_view payload;  // valid only during the callback
};

struct LogOptions {
  uint64_t segment_bytes = 64ull << 20;  // roll to a new segment past this size
  // Write each segment over a file zero-filled in advance (see above). If
  // preparing one fails (a full disk), the log warns once and appends.
  bool preallocate = false;
};

struct RecoveryInfo {
  uint64_t records = 0;
  uint64_t segments = 0;
  uint64_t segments_from_index = 0;  // sealed segments indexed without reading them
  uint64_t torn_bytes = 0;           // bytes cut from the tail of the last segment
  std::string torn_reason;           // why the tail was judged torn
  // The torn "tail" was a whole last segment never started (a preallocated
  // file, all zeros, taken as the next segment just before a crash): it was
  // removed, and it held no record.
  bool unstarted_segment_removed = false;
};

inline constexpr size_t kRecordHeaderSize = 28;
inline constexpr size_t kSegmentHeaderSize = 16;
// The zero-filled file kept ready for the next segment (log/next.prealloc).
inline constexpr const char* kPreallocatedName = "next.prealloc";

// True if every byte is zero: the unwritten rest of a preallocated segment,
// where a reader stops as at the end of the file (docs/log-format.md §3).
bool IsZeroFilled(std::string_view bytes);

// Calls fn(const Record&) for each record of `batch`, in order: bytes that
// Log::Write handed over (whole records, made by this process: not checked).
template <typename Fn>
void ForEachWrittenRecord(std::string_view batch, Fn&& fn) {
  auto get = [&batch](size_t at, int bytes) {
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(batch[at + i]);
    return v;
  };
  for (size_t pos = 0; pos + kRecordHeaderSize <= batch.size();) {
    const size_t len = get(pos + 4, 4);
    fn(Record{get(pos + 8, 8), static_cast<UnixMillis>(get(pos + 16, 8)),
              static_cast<RecordType>(batch[pos + 24]),
              batch.substr(pos + kRecordHeaderSize, len)});
    pos += kRecordHeaderSize + len;
  }
}

class Log {
 public:
  using Visitor = std::function<Status(const Record&)>;

  // Opens or creates the log in `dir`, calls `replay` (may be null) for every
  // durable record with seq >= `replay_from` in order, then positions for
  // appending. A sealed segment wholly before `replay_from` whose index file
  // (docs/log-format.md §4) is intact is not read at all: a start from an
  // engine snapshot costs the log's tail, not its length. Its records are
  // still checked against their CRC whenever they are read (Read, Scan,
  // `ftzport audit`).
  static Result<std::unique_ptr<Log>> Open(Env* env, const std::string& dir,
                                           const LogOptions& options, const Visitor& replay,
                                           RecoveryInfo* info, uint64_t replay_from = 0);

  // Reads records with seq >= from_seq from a log directory, in order, without
  // repairing anything (a torn tail simply ends the scan).
  static Status Scan(Env* env, const std::string& dir, uint64_t from_seq, const Visitor& visit);

  ~Log();
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;

  // Buffers one record and returns its sequence number.
  uint64_t Append(RecordType type, UnixMillis time, std::string_view payload);
  // Writes and fdatasyncs everything appended since the last Sync: Write,
  // then SyncWritten.
  Status Sync();
  // Group commit in two steps, so that the sequencer can go on appending
  // the next batch while this one's fdatasync runs (docs/performance.md,
  // session 17). Write writes everything appended since the last Write to
  // the segment file (not yet durable: a crash may lose it, and readers do
  // not see it). SyncWritten makes everything written durable. SyncWritten
  // may run on another thread than Append/Write, while Append runs, but
  // never at the same time as Write or Sync: the caller orders them (a
  // mutex handing the batch over is enough). After either fails, the log is
  // in an unknown state: stop.
  //
  // With `written`, the bytes written (whole records, in the format of
  // docs/log-format.md §3, for ForEachWrittenRecord) are handed over in
  // *written, and the log goes on buffering in the string *written held
  // before, cleared: a caller that hands back the same strings batch after
  // batch keeps their capacity (a batch can be megabytes).
  Status Write(std::string* written = nullptr);
  Status SyncWritten();

  // Reads durable record `seq` (seq < durable_seq()). Safe from any thread.
  Status Read(uint64_t seq, RecordType* type, UnixMillis* time, std::string* payload) const;

  // These three may be read from any thread (for metrics).
  uint64_t next_seq() const { return next_seq_.load(std::memory_order_relaxed); }
  uint64_t durable_seq() const { return durable_for_readers_.load(); }  // [0, durable_seq) durable
  uint64_t bytes_written() const { return bytes_written_.load(std::memory_order_relaxed); }
  const std::string& dir() const { return dir_; }

 private:
  Log(Env* env, std::string dir, LogOptions options);
  // Closes the current segment (cutting a preallocated one to its records)
  // and starts the one whose first record is `first_seq`.
  Status OpenSegment(uint64_t first_seq);
  // Renames the prepared file to `path` if one is ready.
  bool TakePrepared(const std::string& path);
  void PrepareLoop();
  // Writes a segment's worth of zeros to `path`, synced; `paced`: no more
  // than an eighth of a segment ahead of how full the current one is.
  Status ZeroFill(const std::string& path, bool paced);
  // Writes the index file of the sealed segment starting at `first_seq`
  // (records [first_seq, end_seq), `bytes` long). Not synced: a lost or torn
  // index only means that segment is scanned at the next start.
  void WriteIndex(uint64_t first_seq, uint64_t end_seq, uint64_t bytes);

  Env* env_;
  std::string dir_;
  LogOptions options_;
  std::unique_ptr<WritableFile> segment_;
  uint64_t segment_size_ = 0;  // bytes in the current segment, buffered included
  bool in_place_ = false;      // the current segment is a preallocated file written over
  uint64_t segment_end_ = 0;   // that file's length (its zeros end there)
  // Zeros to write after a batch ending at byte `end` of the segment so that
  // the write ends on a page boundary (WritableFile::AppendPadded): the
  // zeros were written past the page cache, and a page written in part
  // would be read from the disk first.
  size_t PadToPage(uint64_t end) const;

  // The preparing thread (LogOptions::preallocate) and what it has ready.
  std::thread preparer_;
  std::mutex prep_mu_;
  std::condition_variable prep_cv_;
  bool prepared_ = false;  // log/next.prealloc is whole and synced
  std::atomic<bool> prep_stop_{false};
  // Bytes in the current segment, for the preparing thread to keep pace.
  std::atomic<uint64_t> segment_fill_{0};
  std::string buffer_;  // records appended since the last Sync
  uint64_t buffer_first_seq_ = 0;
  std::atomic<uint64_t> next_seq_{0};
  uint64_t written_seq_ = 0;  // [0, written_seq_) written to the segment file
  uint64_t durable_seq_ = 0;
  std::atomic<uint64_t> bytes_written_{0};
  bool need_dir_sync_ = false;

  // Where each record is: segment first-seqs, and each record's byte offset
  // within its segment (4 bytes a record). Guarded for concurrent readers.
  mutable std::shared_mutex index_mu_;
  std::vector<uint64_t> segment_firsts_;
  ChunkedVector<uint32_t, 16384> offsets_;  // appends never copy it (chunked_vector.h)
  std::atomic<uint64_t> durable_for_readers_{0};
  void IndexRecord(uint64_t seq, uint64_t offset);
};

// "00000000000000000042.log" for a segment whose first record is seq 42.
std::string SegmentName(uint64_t first_seq);
// The inverse: false unless `name` is exactly 20 digits and ".log".
bool ParseSegmentName(const std::string& name, uint64_t* first_seq);
// "00000000000000000042.idx": the record offsets of that segment once sealed.
std::string IndexName(uint64_t first_seq);

}  // namespace ftz::stream
