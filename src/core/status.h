// Status and Result<T>: expected failures as values (leveldb status.h, abseil
// StatusOr). Used everywhere in the pure core; exceptions are reserved for the
// edges and for "cannot continue" (see docs/errors.md).
//
// Thread safety: values; copy freely. A Status is cheap when ok (no allocation).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace ftz {

enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument = 1,     // bad input: malformed, missing field, bad code
  kNotFound = 2,            // a key that is not there
  kAlreadyExists = 3,       // duplicate business key
  kFailedPrecondition = 4,  // state does not allow it (e.g. cancel after release)
  kResourceExhausted = 5,   // a size or rate limit
  kCorruption = 6,          // stored bytes fail their checksum
  kIOError = 7,             // the file system said no
  kUnavailable = 8,         // intake stopped, shutting down
};

// "Corruption" for kCorruption, etc.
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string m) {
    return {StatusCode::kInvalidArgument, std::move(m)};
  }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status FailedPrecondition(std::string m) {
    return {StatusCode::kFailedPrecondition, std::move(m)};
  }
  static Status ResourceExhausted(std::string m) {
    return {StatusCode::kResourceExhausted, std::move(m)};
  }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

  bool operator==(const Status&) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

#define FTZ_RETURN_IF_ERROR(expr) \
  do {                            \
    ::ftz::Status _st = (expr);   \
    if (!_st.ok()) return _st;    \
  } while (0)

}  // namespace ftz
