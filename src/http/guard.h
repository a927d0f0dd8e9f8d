// What both HTTP servers — the window's (server/http_server.cc) and the
// witness's (witness/server.cc) — refuse of a request by its header alone,
// and the bounds they share against hostile clients (docs/errors.md §1):
// framing kept whole at most kMaxBufferedFraming, connections capped so that
// clients never hold the descriptors the storage needs, accepts that fail for
// want of descriptors retried later instead of at once.
//
// Header-only (Boost.Beast): both servers' modules include it. Free
// functions of their arguments; thread-safe.
#pragma once

#include <boost/asio/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/range/iterator_range.hpp>
#include <boost/system/error_code.hpp>

#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <string>

namespace ftz::http_guard {

// At most this much of a request read and not yet parsed (the connection's
// read buffer's limit): a header is at most 16 KiB (header_limit), a body is
// parsed as it arrives, but a chunk's header line and the trailer fields
// are kept whole until they end. Unbounded, one connection sending endless
// chunk extensions grew the window by 1 GB in 2 s, and a trailer field over
// 64 KiB made Beast throw out of the I/O thread (the process ended). Beyond
// it a read fails with http::error::buffer_overflow: answer 431.
inline constexpr size_t kMaxBufferedFraming = 64 * 1024;

// Descriptors left to the storage when a connection cap is derived.
inline constexpr int kReservedDescriptors = 256;

// The connection cap under a descriptor limit (RLIMIT_NOFILE): the limit
// less kReservedDescriptors, at least 16, at most 4096.
inline int DefaultMaxConnections(uint64_t descriptor_limit) {
  const uint64_t spare =
      descriptor_limit > kReservedDescriptors + 16 ? descriptor_limit - kReservedDescriptors : 16;
  return static_cast<int>(std::min<uint64_t>(spare, 4096));
}

// The process's soft descriptor limit (RLIMIT_NOFILE); 0 when unlimited or
// unknown.
inline uint64_t DescriptorLimit() {
  rlimit nofile{};
  return ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY
             ? nofile.rlim_cur
             : 0;
}

// The connection cap in force: `configured` when positive, else derived from
// the descriptor limit (1024 assumed when it is unknown).
inline int ConnectionCap(int configured) {
  if (configured > 0) return configured;
  const uint64_t limit = DescriptorLimit();
  return DefaultMaxConnections(limit != 0 ? limit : 1024);
}

// An accept that failed for want of descriptors or memory: retry it later
// (at once it fails again at once, and the accept loop takes a core).
inline bool OutOfResources(const boost::system::error_code& ec) {
  namespace error = boost::asio::error;
  return ec == error::no_descriptors || ec == error::no_buffer_space || ec == error::no_memory ||
         ec.value() == ENFILE;
}

// The answer to a connection beyond the cap, written before anything is
// read and followed by close: 503 with Retry-After.
inline std::string TooManyConnectionsAnswer(int max_connections, const char* server) {
  const std::string body =
      R"({"error":{"code":"too_many_connections","message":"the server has its maximum of )" +
      std::to_string(max_connections) + R"( connections open: try again shortly"}})";
  return "HTTP/1.1 503 Service Unavailable\r\nServer: " + std::string(server) +
         "\r\nContent-Type: application/json\r\nRetry-After: 1\r\nConnection: close\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Answers a connection refused at the cap on its fresh socket `fd` without
// blocking, then half-closes it and drops what input already arrived: a
// close with unread input resets the connection, and the client would
// lose the answer before reading it. (Input arriving later still may: the
// refusal stands either way.) The caller closes the socket.
inline void AnswerAndDrop(int fd, const std::string& answer) {
  (void)::send(fd, answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  (void)::shutdown(fd, SHUT_WR);
  char buf[4096];
  for (int i = 0; i < 16 && ::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0; ++i) {
  }
}

// A header value quoted in an error: at most 40 bytes, printable ASCII.
inline std::string Printable(boost::beast::string_view v) {
  std::string out(v.substr(0, 40));
  for (char& c : out) {
    if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') c = '?';
  }
  return out;
}

// The first coding named in any of the header's `field` lines that is not
// `allowed` (quoted with Printable), or "" when there is none.
template <class Header>
std::string FirstCodingOtherThan(const Header& h, boost::beast::http::field field,
                                 boost::beast::string_view allowed) {
  for (const auto& line : boost::make_iterator_range(h.equal_range(field))) {
    for (const auto& coding : boost::beast::http::token_list(line.value())) {
      if (!boost::beast::iequals(coding, allowed)) return Printable(coding);
    }
  }
  return {};
}

struct Refusal {
  int status;
  const char* code;  // the JSON error code
  std::string message;
};

// What the header refuses: an HTTP/1.1 request without Host, or any with
// two (RFC 9112 §3.2: 400); a transfer coding that does not end in chunked, which leaves the
// body's length unknown (RFC 9112 §6.3: 400 and close; read as "no body",
// the bytes after the header would be taken for a request of their own);
// a transfer coding besides chunked (501); a content coding other than
// identity (415: bodies are not decompressed).
// `chunked`: the parser's view (chunked is the final transfer coding).
template <class Header>
std::optional<Refusal> RefusedByHeader(const Header& h, bool chunked) {
  namespace http = boost::beast::http;
  if (h.version() >= 11 && h.find(http::field::host) == h.end()) {
    return Refusal{400, "bad_request", "an HTTP/1.1 request needs a Host header"};
  }
  if (h.count(http::field::host) > 1) {  // RFC 9112 §3.2: more than one is 400
    return Refusal{400, "bad_request", "more than one Host header"};
  }
  if (h.find(http::field::transfer_encoding) != h.end()) {
    if (!chunked) {
      return Refusal{400, "bad_request",
                     "Transfer-Encoding must end in chunked (or send Content-Length)"};
    }
    // Chunked last, but another coding before it ("gzip, chunked", or a
    // second field line): a coding the server does not decode (RFC 9112
    // §6.1: 501), not a body to read as plain.
    if (std::string other = FirstCodingOtherThan(h, http::field::transfer_encoding, "chunked");
        !other.empty()) {
      return Refusal{501, "not_implemented",
                     "Transfer-Encoding " + other +
                         " is not implemented: send the body chunked or with Content-Length"};
    }
  }
  // Every field line (a second one must not slip past "identity").
  if (std::string other = FirstCodingOtherThan(h, http::field::content_encoding, "identity");
      !other.empty()) {
    return Refusal{415, "unsupported_media_type",
                   "Content-Encoding " + other + " is not accepted: send the body uncompressed"};
  }
  return std::nullopt;
}

}  // namespace ftz::http_guard
