#include "stream/log.h"

#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/crc32.h"

namespace ftz::stream {
namespace {

constexpr char kMagic[8] = {'F', 'T', 'Z', 'L', 'O', 'G', '0', '1'};

void PutU32(std::string* out, uint32_t v) {
  char b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 4);
}
void PutU64(std::string* out, uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>(v >> (8 * i));
  out->append(b, 8);
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}
uint64_t GetU64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

uint32_t Crc(const char* p, size_t n) { return Crc32(std::string_view(p, n)); }

}  // namespace

bool IsZeroFilled(std::string_view bytes) {
  // Word by word: a preallocated segment's tail is up to its whole size.
  size_t i = 0;
  for (; i + 8 <= bytes.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, bytes.data() + i, 8);
    if (w != 0) return false;
  }
  for (; i < bytes.size(); ++i) {
    if (bytes[i] != 0) return false;
  }
  return true;
}

bool ParseSegmentName(const std::string& name, uint64_t* first_seq) {
  if (name.size() != 24 || name.substr(20) != ".log") return false;
  uint64_t v = 0;
  for (int i = 0; i < 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    v = v * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  *first_seq = v;
  return true;
}

namespace {

struct SegmentScan {
  uint64_t good_bytes = 0;  // length of the valid prefix
  uint64_t next_seq = 0;
  std::string bad;  // why scanning stopped early ("" = clean end)
  // A clean end before the file's end: the rest is zeros (a preallocated
  // segment not yet sealed), `zero_tail` bytes of them.
  uint64_t zero_tail = 0;
  // The whole file is zeros: a preallocated segment whose header was never
  // written (a crash right after it was started); `bad` says so.
  bool unstarted = false;
};

// Walks the records of one segment's bytes, stopping at the first invalid one.
Status ScanSegment(std::string_view data, uint64_t first_seq, uint64_t from_seq,
                   const Log::Visitor& visit, SegmentScan* out,
                   ChunkedVector<uint32_t, 16384>* offsets = nullptr) {
  out->next_seq = first_seq;
  if (data.size() < kSegmentHeaderSize || std::memcmp(data.data(), kMagic, 8) != 0 ||
      GetU64(data.data() + 8) != first_seq) {
    out->bad = data.size() < kSegmentHeaderSize ? "segment header incomplete"
                                                : "segment header does not match its name";
    if (data.size() > 0 && IsZeroFilled(data)) {
      out->bad = "segment never started (preallocated, all zeros)";
      out->unstarted = true;
    }
    return Status::Ok();
  }
  size_t pos = kSegmentHeaderSize;
  out->good_bytes = pos;
  while (pos < data.size()) {
    // Where a record cannot start, zeros to the end are a preallocated
    // segment's unwritten rest: the records end here, cleanly.
    const char* h0 = data.data() + pos;
    if (h0[0] == 0 && IsZeroFilled(data.substr(pos))) {
      out->zero_tail = data.size() - pos;
      break;
    }
    if (data.size() - pos < kRecordHeaderSize) {
      out->bad = "record header incomplete at byte " + std::to_string(pos);
      break;
    }
    const char* h = data.data() + pos;
    uint32_t len = GetU32(h + 4);
    if (len > data.size() - pos - kRecordHeaderSize) {
      out->bad = "record at byte " + std::to_string(pos) + " runs past the end of the segment";
      break;
    }
    if (Crc(h + 4, kRecordHeaderSize - 4 + len) != GetU32(h)) {
      out->bad = "checksum mismatch at byte " + std::to_string(pos);
      break;
    }
    uint64_t seq = GetU64(h + 8);
    if (seq != out->next_seq) {
      out->bad = "sequence " + std::to_string(seq) + " where " + std::to_string(out->next_seq) +
                 " was expected, at byte " + std::to_string(pos);
      break;
    }
    uint8_t type = static_cast<uint8_t>(h[24]);
    if (seq >= from_seq && visit) {
      Record r{seq, static_cast<UnixMillis>(GetU64(h + 16)), static_cast<RecordType>(type),
               std::string_view(h + kRecordHeaderSize, len)};
      FTZ_RETURN_IF_ERROR(visit(r));
    }
    if (offsets) offsets->push_back(static_cast<uint32_t>(pos));
    ++out->next_seq;
    pos += kRecordHeaderSize + len;
    out->good_bytes = pos;
  }
  return Status::Ok();
}

// After a bad record at `pos`, is there a whole, valid later record? Then the
// damage is not a torn tail (a crash leaves only the unsynced end damaged) but
// corruption of acknowledged data. Candidates are cheap to reject: the
// sequence field must be plausible before the checksum is computed.
bool ValidRecordFollows(std::string_view data, size_t pos, uint64_t next_seq) {
  for (size_t p = pos + 1; p + kRecordHeaderSize <= data.size(); ++p) {
    const char* h = data.data() + p;
    uint64_t seq = GetU64(h + 8);
    if (seq < next_seq || seq > next_seq + (1u << 24)) continue;
    uint32_t len = GetU32(h + 4);
    if (len > data.size() - p - kRecordHeaderSize) continue;
    if (Crc(h + 4, kRecordHeaderSize - 4 + len) == GetU32(h)) return true;
  }
  return false;
}

// The last segment's scan stopped at a bad record: Ok when that is a torn
// tail (a crash mid-write), Corruption when it is damage — a bad header on a
// segment that holds more (the header is synced with the first batch), or
// valid records after the bad one.
Status DamageBeforeTheTail(const std::string& path, std::string_view data,
                           const SegmentScan& scan) {
  if (scan.good_bytes < kSegmentHeaderSize && data.size() > kSegmentHeaderSize && !scan.unstarted) {
    return Status::Corruption(path + ": " + scan.bad);
  }
  if (scan.good_bytes >= kSegmentHeaderSize &&
      ValidRecordFollows(data, scan.good_bytes, scan.next_seq)) {
    return Status::Corruption(path + ": " + scan.bad + ", and valid records follow it");
  }
  return Status::Ok();
}

Result<std::vector<std::pair<uint64_t, std::string>>> Segments(Env* env, const std::string& dir) {
  auto names = env->ListDir(dir);
  if (!names.ok()) return names.status();
  std::vector<std::pair<uint64_t, std::string>> out;
  for (const std::string& n : *names) {
    uint64_t first;
    if (ParseSegmentName(n, &first)) out.emplace_back(first, dir + "/" + n);
  }
  return out;  // names sort by first sequence number (fixed width)
}

constexpr char kIndexMagic[8] = {'F', 'T', 'Z', 'I', 'D', 'X', '0', '1'};
constexpr size_t kIndexHeaderSize = 8 + 8 + 8 + 8;

// The offsets of a sealed segment from its index file, if the index is whole
// and still describes the segment: same first record, same record count as
// the next segment's name implies, and the segment's last record ends exactly
// at the file's end with the expected sequence number.
bool LoadIndex(Env* env, const std::string& index_path, const std::string& segment_path,
               uint64_t first, uint64_t end, ChunkedVector<uint32_t, 16384>* offsets) {
  auto data = env->ReadFile(index_path);
  if (!data.ok()) return false;
  const std::string& d = *data;
  const uint64_t count = end - first;
  if (d.size() != kIndexHeaderSize + 4 * count + 4 || std::memcmp(d.data(), kIndexMagic, 8) != 0 ||
      GetU64(d.data() + 8) != first || GetU64(d.data() + 16) != count || count == 0 ||
      Crc(d.data(), d.size() - 4) != GetU32(d.data() + d.size() - 4)) {
    return false;
  }
  const uint64_t bytes = GetU64(d.data() + 24);
  const uint32_t last = GetU32(d.data() + kIndexHeaderSize + 4 * (count - 1));
  auto head = env->ReadFileRange(segment_path, last, kRecordHeaderSize);
  if (!head.ok() || head->size() != kRecordHeaderSize || GetU64(head->data() + 8) != end - 1 ||
      last + kRecordHeaderSize + GetU32(head->data() + 4) != bytes) {
    return false;
  }
  auto tail = env->ReadFileRange(segment_path, bytes - 1, 2);
  if (!tail.ok() || tail->size() != 1) return false;
  for (uint64_t i = 0; i < count; ++i) {
    offsets->push_back(GetU32(d.data() + kIndexHeaderSize + 4 * i));
  }
  return true;
}

}  // namespace

std::string IndexName(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.idx", static_cast<unsigned long long>(first_seq));
  return buf;
}

void Log::WriteIndex(uint64_t first_seq, uint64_t end_seq, uint64_t bytes) {
  std::string out(kIndexMagic, 8);
  PutU64(&out, first_seq);
  PutU64(&out, end_seq - first_seq);
  PutU64(&out, bytes);
  {
    std::shared_lock lock(index_mu_);
    for (uint64_t s = first_seq; s < end_seq; ++s) PutU32(&out, offsets_[s]);
  }
  PutU32(&out, Crc(out.data(), out.size()));
  const std::string path = dir_ + "/" + IndexName(first_seq);
  const std::string tmp = path + ".tmp";
  if (env_->FileExists(tmp)) (void)env_->RemoveFile(tmp);
  auto f = env_->NewAppendableFile(tmp);
  if (!f.ok()) return;
  // Best effort by design: the index only saves reading the segment.
  if ((*f)->Append(out).ok() && (*f)->Close().ok()) {
    (void)env_->RenameFile(tmp, path);
  }
}

std::string SegmentName(uint64_t first_seq) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%020llu.log", static_cast<unsigned long long>(first_seq));
  return buf;
}

Log::Log(Env* env, std::string dir, LogOptions options)
    : env_(env), dir_(std::move(dir)), options_(options) {}

Log::~Log() {
  if (preparer_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(prep_mu_);
      prep_stop_ = true;
    }
    prep_cv_.notify_all();
    preparer_.join();
  }
  if (segment_) (void)segment_->Close();
}

namespace {

// Whether `path` is a whole prepared segment: `bytes` long, all zeros. Read
// 1 MiB at a time.
bool IsPrepared(Env* env, const std::string& path, uint64_t bytes) {
  constexpr uint64_t kChunk = 1 << 20;
  for (uint64_t at = 0; at < bytes; at += kChunk) {
    const size_t n = static_cast<size_t>(std::min(kChunk, bytes - at));
    auto part = env->ReadFileRange(path, at, n);
    if (!part.ok() || part->size() != n || !IsZeroFilled(*part)) return false;
  }
  auto past = env->ReadFileRange(path, bytes, 1);
  return past.ok() && past->empty();
}

}  // namespace

Result<std::unique_ptr<Log>> Log::Open(Env* env, const std::string& dir, const LogOptions& options,
                                       const Visitor& replay, RecoveryInfo* info,
                                       uint64_t replay_from) {
  FTZ_RETURN_IF_ERROR(env->CreateDirs(dir));
  auto segs = Segments(env, dir);
  if (!segs.ok()) return segs.status();
  std::unique_ptr<Log> log(new Log(env, dir, options));
  RecoveryInfo local;
  if (info == nullptr) info = &local;
  uint64_t expected = 0;
  for (size_t i = 0; i < segs->size(); ++i) {
    const auto& [first, path] = (*segs)[i];
    const bool last = i + 1 == segs->size();
    if (first != expected) {
      return Status::Corruption("segment " + path + " starts at " + std::to_string(first) +
                                " but " + std::to_string(expected) + " was expected");
    }
    if (!last) {
      const uint64_t end = (*segs)[i + 1].first;
      if (end <= replay_from &&
          LoadIndex(env, dir + "/" + IndexName(first), path, first, end, &log->offsets_)) {
        log->segment_firsts_.push_back(first);
        info->records += end - first;
        ++info->segments;
        ++info->segments_from_index;
        expected = end;
        continue;
      }
    }
    if (last) {
      // Made durable before anything is replayed from it: records a killed
      // process wrote but never synced (never acknowledged) are readable
      // here, and what the replay derives from them (read-model rows, ledger
      // leaves, receipts) must not outlive them in a power cut. (Sealed
      // segments were synced when sealed.)
      FTZ_RETURN_IF_ERROR(env->SyncFile(path));
      FTZ_RETURN_IF_ERROR(env->SyncDir(dir));
    }
    auto data = env->ReadFile(path);
    if (!data.ok()) return data.status();
    SegmentScan scan;
    FTZ_RETURN_IF_ERROR(ScanSegment(*data, first, replay_from, replay, &scan, &log->offsets_));
    log->segment_firsts_.push_back(first);
    if (!last && scan.bad.empty() && scan.zero_tail > 0) {
      // Sealed, but the cut of its preallocated rest did not reach the disk
      // before a crash: cut it now (zeros only) so that its index holds.
      (void)env->Truncate(path, scan.good_bytes);
    }
    if (!last && scan.bad.empty() && scan.next_seq > first) {
      // A sealed segment without a usable index (older data, a crash before
      // it was written): index it now for the next start.
      log->WriteIndex(first, scan.next_seq, scan.good_bytes);
    }
    if (!scan.bad.empty()) {
      if (!last) return Status::Corruption(path + ": " + scan.bad);
      FTZ_RETURN_IF_ERROR(DamageBeforeTheTail(path, *data, scan));
      // A crash mid-write: cut back to the last whole record.
      info->torn_bytes = data->size() - scan.good_bytes;
      info->torn_reason = path + ": " + scan.bad;
      info->unstarted_segment_removed = scan.unstarted;
      if (scan.good_bytes < kSegmentHeaderSize) {
        log->segment_firsts_.pop_back();
        FTZ_RETURN_IF_ERROR(env->RemoveFile(path));
        FTZ_RETURN_IF_ERROR(env->SyncDir(dir));
        expected = scan.next_seq;
        continue;
      }
      FTZ_RETURN_IF_ERROR(env->Truncate(path, scan.good_bytes));
    }
    info->records += scan.next_seq - first;
    ++info->segments;
    expected = scan.next_seq;
    if (last) {
      // A preallocated segment goes on being written over its zeros.
      log->in_place_ = scan.zero_tail > 0;
      auto f = log->in_place_ ? env->ReopenWritableFile(path, scan.good_bytes)
                              : env->NewAppendableFile(path);
      if (!f.ok()) return f.status();
      log->segment_ = std::move(*f);
      log->segment_end_ = data->size();
      log->segment_size_ = scan.good_bytes;
      log->segment_fill_ = scan.good_bytes;
      if (!scan.bad.empty()) FTZ_RETURN_IF_ERROR(log->segment_->Sync());
    }
  }
  const std::string prepared = dir + "/" + kPreallocatedName;
  if (env->FileExists(prepared)) {
    // A file prepared before a stop is used if whole: exactly the segment
    // size, and zeros only (were a roll's rename lost in a crash after it
    // was written to, it would be back under this name with records in it).
    // Anything else is redone, or removed when preallocation is off.
    log->prepared_ = options.preallocate && IsPrepared(env, prepared, options.segment_bytes);
    if (!log->prepared_) (void)env->RemoveFile(prepared);
  }
  if (env->FileExists(prepared + ".tmp")) (void)env->RemoveFile(prepared + ".tmp");
  if (options.preallocate && !log->segment_ && !log->prepared_) {
    // A new log's first segment is prepared here, at once (64 MiB: ~60 ms),
    // so that it too is written over zeros: appended to, each of its group
    // commits also wrote the inode (size and extents), for the whole first
    // segment of every new data directory.
    Status s = log->ZeroFill(prepared + ".tmp", /*paced=*/false);
    if (s.ok()) s = env->RenameFile(prepared + ".tmp", prepared);
    if (s.ok()) {
      log->prepared_ = true;
    } else {
      (void)env->RemoveFile(prepared + ".tmp");  // appended to, as without preallocation
      std::fprintf(stderr,
                   "ftzport: warning: log: cannot prepare the first segment (%s); it is "
                   "appended to\n",
                   s.ToString().c_str());
    }
  }
  if (options.preallocate) {
    Log* self = log.get();
    log->preparer_ = std::thread([self] {
      pthread_setname_np(pthread_self(), "ftz-logprep");
      self->PrepareLoop();
    });
  }
  log->next_seq_ = expected;
  log->durable_seq_ = log->written_seq_ = log->buffer_first_seq_ = expected;
  log->durable_for_readers_ = expected;
  if (!log->segment_) FTZ_RETURN_IF_ERROR(log->OpenSegment(expected));
  return log;
}

Status Log::OpenSegment(uint64_t first_seq) {
  if (segment_) {
    FTZ_RETURN_IF_ERROR(segment_->Close());
    // A sealed segment ends with its last record. Not synced: should the cut
    // be lost, readers stop at the zeros all the same, and Open cuts again.
    if (in_place_) {
      (void)env_->Truncate(dir_ + "/" + SegmentName(segment_firsts_.back()), segment_size_);
    }
  }
  const std::string path = dir_ + "/" + SegmentName(first_seq);
  in_place_ = TakePrepared(path);
  if (in_place_) {
    // The new name must be durable before any record is written under it:
    // an fdatasync in place commits no metadata, so a crash could otherwise
    // leave synced records in a file still named next.prealloc.
    FTZ_RETURN_IF_ERROR(env_->SyncDir(dir_));
  }
  auto f = in_place_ ? env_->ReopenWritableFile(path, 0) : env_->NewAppendableFile(path);
  if (!f.ok()) return f.status();
  segment_ = std::move(*f);
  {
    std::unique_lock lock(index_mu_);
    segment_firsts_.push_back(first_seq);
  }
  std::string header(kMagic, 8);
  PutU64(&header, first_seq);
  if (in_place_) segment_end_ = options_.segment_bytes;
  FTZ_RETURN_IF_ERROR(segment_->AppendPadded(header, PadToPage(header.size())));
  segment_size_ = header.size();
  segment_fill_.store(segment_size_, std::memory_order_relaxed);
  // The new file's name must be durable too (a renamed one's already is).
  need_dir_sync_ = !in_place_;
  return Status::Ok();
}

size_t Log::PadToPage(uint64_t end) const {
  constexpr uint64_t kPage = 4096;
  if (!in_place_ || end >= segment_end_) return 0;
  return static_cast<size_t>(std::min((kPage - end % kPage) % kPage, segment_end_ - end));
}

bool Log::TakePrepared(const std::string& path) {
  if (!options_.preallocate) return false;
  std::lock_guard<std::mutex> lock(prep_mu_);
  if (!prepared_) return false;  // not ready yet: this segment is appended to
  prepared_ = false;
  prep_cv_.notify_all();  // prepare the one after
  return env_->RenameFile(dir_ + "/" + kPreallocatedName, path).ok();
}

Status Log::ZeroFill(const std::string& path, bool paced) {
  if (env_->FileExists(path)) FTZ_RETURN_IF_ERROR(env_->RemoveFile(path));
  // Past the page cache: nothing reads these zeros back (the log writes over
  // them), and copying 64 MiB of them into memory cost the server 4–5 µs of
  // CPU per document (docs/performance.md, session 12).
  auto f = env_->NewUncachedFile(path);
  if (!f.ok()) return f.status();
  // 1 MiB at a time, each synced, at the pace the log fills the current
  // segment, an eighth of a segment ahead of it: the zeros never go to the
  // disk in a burst that would hold up the sequencer's fdatasyncs, and are
  // ready when the current segment is seven eighths full. (Tried and
  // dropped: writing them at the idle I/O priority, which left the file
  // unready when the log rolled: docs/performance.md, session 9.)
  constexpr size_t kChunk = 1 << 20;
  std::unique_ptr<char, decltype(&std::free)> zeros(
      static_cast<char*>(std::aligned_alloc(4096, kChunk)), &std::free);
  if (!zeros) return Status::IOError("no memory for a segment's zeros");
  std::memset(zeros.get(), 0, kChunk);
  const uint64_t lead = options_.segment_bytes / 8;
  for (uint64_t done = 0; done < options_.segment_bytes;) {
    if (paced) {
      std::unique_lock<std::mutex> lock(prep_mu_);
      while (!prep_stop_ && done > segment_fill_.load(std::memory_order_relaxed) + lead) {
        // Woken by a roll or the close; else a look every 20 ms (an idle
        // log wakes this thread 50 times a second, a busy one fills 1-3 MiB
        // in that time, well within the lead).
        prep_cv_.wait_for(lock, std::chrono::milliseconds(20));
      }
    }
    if (prep_stop_) return Status::Unavailable("log closing");
    const uint64_t n = std::min<uint64_t>(kChunk, options_.segment_bytes - done);
    FTZ_RETURN_IF_ERROR((*f)->Append(std::string_view(zeros.get(), n)));
    FTZ_RETURN_IF_ERROR((*f)->Sync());
    done += n;
  }
  return (*f)->Close();
}

void Log::PrepareLoop() {
  const std::string path = dir_ + "/" + kPreallocatedName;
  const std::string tmp = path + ".tmp";
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(prep_mu_);
      prep_cv_.wait(lock, [this] { return prep_stop_ || !prepared_; });
      if (prep_stop_) return;
    }
    Status s = ZeroFill(tmp, /*paced=*/true);
    if (s.ok()) {
      // Renamed and marked ready together: a roll sees the file under its
      // name only when it may take it.
      std::lock_guard<std::mutex> lock(prep_mu_);
      s = env_->RenameFile(tmp, path);
      if (s.ok()) {
        prepared_ = true;
        continue;
      }
    }
    (void)env_->RemoveFile(tmp);
    if (prep_stop_) return;
    // Appending works as before, only each sync costs more: not a reason to
    // stop intake (a failed sync of the log itself is).
    std::fprintf(stderr,
                 "ftzport: warning: log: cannot prepare the next segment (%s); segments are "
                 "appended to from now on\n",
                 s.ToString().c_str());
    return;
  }
}

uint64_t Log::Append(RecordType type, UnixMillis time, std::string_view payload) {
  const uint64_t seq = next_seq_.load(std::memory_order_relaxed);
  next_seq_.store(seq + 1, std::memory_order_relaxed);
  size_t start = buffer_.size();
  buffer_.append(4, '\0');
  PutU32(&buffer_, static_cast<uint32_t>(payload.size()));
  PutU64(&buffer_, seq);
  PutU64(&buffer_, static_cast<uint64_t>(time));
  buffer_.push_back(static_cast<char>(type));
  buffer_.append(3, '\0');
  buffer_.append(payload);
  uint32_t crc = Crc(buffer_.data() + start + 4, buffer_.size() - start - 4);
  for (int i = 0; i < 4; ++i) buffer_[start + i] = static_cast<char>(crc >> (8 * i));
  return seq;
}

Status Log::Sync() {
  FTZ_RETURN_IF_ERROR(Write());
  return SyncWritten();
}

Status Log::Write(std::string* written) {
  if (written != nullptr) written->clear();
  if (buffer_.empty()) return Status::Ok();
  // Roll to a new segment at a batch boundary once this one is full, so a
  // batch never spans two files and one fdatasync covers it. (The sealed
  // segment is synced here: SyncWritten covers the current one only.)
  if (segment_size_ > kSegmentHeaderSize &&
      segment_size_ + buffer_.size() > options_.segment_bytes) {
    FTZ_RETURN_IF_ERROR(segment_->Sync());
    WriteIndex(segment_firsts_.back(), buffer_first_seq_, segment_size_);
    FTZ_RETURN_IF_ERROR(OpenSegment(buffer_first_seq_));
  }
  FTZ_RETURN_IF_ERROR(segment_->AppendPadded(buffer_, PadToPage(segment_size_ + buffer_.size())));
  {
    // Index the batch's records now that their place in the file is final
    // (readers still see only durable ones: durable_for_readers_).
    std::unique_lock lock(index_mu_);
    size_t pos = 0;
    while (pos < buffer_.size()) {
      offsets_.push_back(static_cast<uint32_t>(segment_size_ + pos));
      pos += kRecordHeaderSize + GetU32(buffer_.data() + pos + 4);
    }
  }
  segment_size_ += buffer_.size();
  segment_fill_.store(segment_size_, std::memory_order_relaxed);
  bytes_written_.fetch_add(buffer_.size(), std::memory_order_relaxed);
  if (written != nullptr) buffer_.swap(*written);
  buffer_.clear();
  written_seq_ = next_seq();
  buffer_first_seq_ = written_seq_;
  return Status::Ok();
}

Status Log::SyncWritten() {
  if (written_seq_ == durable_seq_ && !need_dir_sync_) return Status::Ok();
  FTZ_RETURN_IF_ERROR(segment_->Sync());
  if (need_dir_sync_) {
    FTZ_RETURN_IF_ERROR(env_->SyncDir(dir_));
    need_dir_sync_ = false;
  }
  durable_seq_ = written_seq_;
  durable_for_readers_ = durable_seq_;
  return Status::Ok();
}

Status Log::Read(uint64_t seq, RecordType* type, UnixMillis* time, std::string* payload) const {
  if (seq >= durable_for_readers_.load()) {
    return Status::NotFound("record " + std::to_string(seq) + " is not in the log");
  }
  uint64_t first, offset;
  {
    std::shared_lock lock(index_mu_);
    auto it = std::upper_bound(segment_firsts_.begin(), segment_firsts_.end(), seq);
    first = *(it - 1);
    offset = offsets_[seq];
  }
  const std::string path = dir_ + "/" + SegmentName(first);
  auto head = env_->ReadFileRange(path, offset, kRecordHeaderSize);
  if (!head.ok()) return head.status();
  if (head->size() < kRecordHeaderSize) return Status::Corruption(path + ": short record header");
  uint32_t len = GetU32(head->data() + 4);
  auto body = env_->ReadFileRange(path, offset + kRecordHeaderSize, len);
  if (!body.ok()) return body.status();
  std::string whole = *head + *body;
  if (body->size() != len || Crc(whole.data() + 4, whole.size() - 4) != GetU32(whole.data()) ||
      GetU64(whole.data() + 8) != seq) {
    return Status::Corruption(path + ": record " + std::to_string(seq) + " fails its checksum");
  }
  *type = static_cast<RecordType>(whole[24]);
  *time = static_cast<UnixMillis>(GetU64(whole.data() + 16));
  *payload = whole.substr(kRecordHeaderSize);
  return Status::Ok();
}

Status Log::Scan(Env* env, const std::string& dir, uint64_t from_seq, const Visitor& visit) {
  auto segs = Segments(env, dir);
  if (!segs.ok()) return segs.status();
  uint64_t expected = 0;  // where the next segment must start
  for (size_t i = 0; i < segs->size(); ++i) {
    const auto& [first, path] = (*segs)[i];
    // Skip segments that end before from_seq.
    if (i + 1 < segs->size() && (*segs)[i + 1].first <= from_seq) {
      expected = (*segs)[i + 1].first;
      continue;
    }
    // Records missing between two segments (one ended early, even in zeros)
    // are damage, as Open says.
    if (first != expected) {
      return Status::Corruption("segment " + path + " starts at " + std::to_string(first) +
                                " but " + std::to_string(expected) + " was expected");
    }
    auto data = env->ReadFile(path);
    if (!data.ok()) return data.status();
    SegmentScan scan;
    FTZ_RETURN_IF_ERROR(ScanSegment(*data, first, from_seq, visit, &scan));
    if (!scan.bad.empty()) {
      if (i + 1 < segs->size()) return Status::Corruption(path + ": " + scan.bad);
      // The last segment: a torn tail ends the scan, as Open would cut it;
      // damage Open would refuse is reported, not read as the end.
      FTZ_RETURN_IF_ERROR(DamageBeforeTheTail(path, *data, scan));
      break;
    }
    expected = scan.next_seq;
  }
  return Status::Ok();
}

}  // namespace ftz::stream
