#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "env/env.h"

namespace ftz {
namespace {

Status PosixError(const std::string& what, int err) {
  return Status::IOError(what + ": " + std::strerror(err));
}

// How a file is written: appended to (at its end), written over in place
// from a position (pwrite, padding allowed), or appended to past the page
// cache where alignment and the file system allow (O_DIRECT).
enum class WriteMode { kAppend, kInPlace, kUncached };

constexpr size_t kPage = 4096;

// Turns O_DIRECT off on `fd`: what is written next goes through the page cache.
bool ClearDirect(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0;
}

class PosixWritableFile final : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd, uint64_t size, WriteMode mode)
      : path_(std::move(path)), fd_(fd), size_(size), mode_(mode) {}
  ~PosixWritableFile() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Append(std::string_view data) override { return AppendPadded(data, 0); }

  Status AppendPadded(std::string_view data, size_t pad) override {
    if (mode_ == WriteMode::kInPlace) return WriteInPlace(data, pad);
    if (mode_ == WriteMode::kUncached) return AppendUncached(data);
    FTZ_RETURN_IF_ERROR(WriteAll(data.data(), data.size()));
    size_ += data.size();
    return Status::Ok();
  }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return PosixError("fdatasync " + path_, errno);
    return Status::Ok();
  }

  Status Close() override {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0) return PosixError("close " + path_, errno);
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }

 private:
  Status WriteAll(const char* p, size_t left) {
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write " + path_, errno);
      }
      p += n;
      left -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  // `data` and then `pad` zeros at size_, in one system call where it can.
  Status WriteInPlace(std::string_view data, size_t pad) {
    static const char kZeros[kPage] = {};
    pad = std::min(pad, kPage);
    iovec iov[2] = {{const_cast<char*>(data.data()), data.size()},
                    {const_cast<char*>(kZeros), pad}};
    int first = 0;
    uint64_t at = size_;
    while (first < 2) {
      if (iov[first].iov_len == 0) {
        ++first;
        continue;
      }
      ssize_t n = ::pwritev(fd_, iov + first, 2 - first, static_cast<off_t>(at));
      if (n < 0) {
        if (errno == EINTR) continue;
        return PosixError("write " + path_, errno);
      }
      at += static_cast<uint64_t>(n);
      for (auto left = static_cast<size_t>(n); left > 0 && first < 2;) {
        const size_t take = std::min(left, iov[first].iov_len);
        iov[first].iov_base = static_cast<char*>(iov[first].iov_base) + take;
        iov[first].iov_len -= take;
        left -= take;
        if (iov[first].iov_len == 0) ++first;
      }
    }
    size_ += data.size();
    return Status::Ok();
  }

  Status AppendUncached(std::string_view data) {
    const bool aligned =
        reinterpret_cast<uintptr_t>(data.data()) % kPage == 0 && data.size() % kPage == 0;
    if (aligned) {
      ssize_t n;
      do {
        n = ::write(fd_, data.data(), data.size());
      } while (n < 0 && errno == EINTR);
      if (n == static_cast<ssize_t>(data.size())) {
        size_ += data.size();
        return Status::Ok();
      }
      // EINVAL: the file system wants another alignment; or a short write.
      if (n < 0 && errno != EINVAL) return PosixError("write " + path_, errno);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        size_ += static_cast<uint64_t>(n);
      }
    }
    // The rest, and every write after it, through the page cache: the
    // file's end may no longer be aligned.
    FTZ_RETURN_IF_ERROR(StopDirect());
    FTZ_RETURN_IF_ERROR(WriteAll(data.data(), data.size()));
    size_ += data.size();
    return Status::Ok();
  }

  Status StopDirect() {
    mode_ = WriteMode::kAppend;
    if (!ClearDirect(fd_)) return PosixError("fcntl " + path_, errno);
    return Status::Ok();
  }

  std::string path_;
  int fd_;
  uint64_t size_;
  WriteMode mode_;
};

// Opens `path` read-only (plus `flags`) only to sync it: fsync (a
// directory's entries) or fdatasync (a file's contents).
Status SyncPath(const std::string& path, int flags, bool data_only) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | flags);
  if (fd < 0) return PosixError("open " + path, errno);
  int rc = data_only ? ::fdatasync(fd) : ::fsync(fd);
  int e = errno;
  ::close(fd);
  if (rc != 0) return PosixError((data_only ? "fdatasync " : "fsync ") + path, e);
  return Status::Ok();
}

// flock(2): held per open file description, so a second open of the same
// file is refused even within one process, and released by the kernel when
// the descriptor closes, also when the process dies.
class PosixFileLock final : public FileLock {
 public:
  explicit PosixFileLock(int fd) : fd_(fd) {}
  ~PosixFileLock() override { ::close(fd_); }

 private:
  int fd_;
};

class PosixEnv final : public Env {
 public:
  Result<std::unique_ptr<WritableFile>> NewAppendableFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open " + path, errno);
    struct stat st;
    if (::fstat(fd, &st) != 0) {
      int e = errno;
      ::close(fd);
      return PosixError("stat " + path, e);
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, static_cast<uint64_t>(st.st_size), WriteMode::kAppend));
  }

  Result<std::unique_ptr<WritableFile>> NewUncachedFile(const std::string& path) override {
    WriteMode mode = WriteMode::kUncached;
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EINVAL) {  // no O_DIRECT here (tmpfs)
      mode = WriteMode::kAppend;
      fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    }
    if (fd < 0) return PosixError("open " + path, errno);
    const off_t end = ::lseek(fd, 0, SEEK_END);
    if (end < 0) {
      int e = errno;
      ::close(fd);
      return PosixError("seek " + path, e);
    }
    if (end % static_cast<off_t>(kPage) != 0 && mode == WriteMode::kUncached) {
      // An unaligned end: no direct write could follow it.
      mode = WriteMode::kAppend;
      if (!ClearDirect(fd)) {
        int e = errno;
        ::close(fd);
        return PosixError("fcntl " + path, e);
      }
    }
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, static_cast<uint64_t>(end), mode));
  }

  Result<std::unique_ptr<WritableFile>> ReopenWritableFile(const std::string& path,
                                                           uint64_t offset) override {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open " + path, errno);
    return std::unique_ptr<WritableFile>(
        new PosixWritableFile(path, fd, offset, WriteMode::kInPlace));
  }

  Result<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open " + path, errno);
    std::string out;
    struct stat st;
    if (::fstat(fd, &st) == 0) out.reserve(static_cast<size_t>(st.st_size));
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        return PosixError("read " + path, e);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
  }

  Result<std::string> ReadFileRange(const std::string& path, uint64_t offset, size_t n) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return PosixError("open " + path, errno);
    std::string out(n, '\0');
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::pread(fd, out.data() + got, n - got, static_cast<off_t>(offset + got));
      if (r < 0) {
        if (errno == EINTR) continue;
        int e = errno;
        ::close(fd);
        return PosixError("pread " + path, e);
      }
      if (r == 0) break;
      got += static_cast<size_t>(r);
    }
    ::close(fd);
    out.resize(got);
    return out;
  }

  Result<std::vector<std::string>> ListDir(const std::string& dir) override {
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return PosixError("opendir " + dir, errno);
    std::vector<std::string> names;
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(std::move(n));
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status CreateDirs(const std::string& dir) override {
    std::string path;
    for (size_t i = 0; i <= dir.size(); ++i) {
      if (i == dir.size() || (dir[i] == '/' && i > 0)) {
        path = dir.substr(0, i);
        if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
          return PosixError("mkdir " + path, errno);
        }
      }
    }
    return Status::Ok();
  }

  Status Truncate(const std::string& path, uint64_t size) override {
    if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
      return PosixError("truncate " + path, errno);
    }
    return Status::Ok();
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0) return PosixError("unlink " + path, errno);
    return Status::Ok();
  }

  Status RenameFile(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) return PosixError("rename " + from, errno);
    return Status::Ok();
  }

  Status SyncDir(const std::string& dir) override {
    return SyncPath(dir, O_DIRECTORY, /*data_only=*/false);
  }

  Result<std::unique_ptr<FileLock>> LockFile(const std::string& path) override {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return PosixError("open " + path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK) {
        return Status::FailedPrecondition(path +
                                          " is locked: another process has this data "
                                          "directory open (one server per directory)");
      }
      return PosixError("flock " + path, err);
    }
    return std::unique_ptr<FileLock>(new PosixFileLock(fd));
  }

  Status SyncFile(const std::string& path) override {
    return SyncPath(path, 0, /*data_only=*/true);
  }

  bool FileExists(const std::string& path) override { return ::access(path.c_str(), F_OK) == 0; }

  UnixMillis NowMillis() override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

}  // namespace ftz
