#include "server/http_server.h"

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <arpa/inet.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <algorithm>
#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "http/guard.h"

namespace ftz::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
// Each I/O thread runs an I/O context of its own, and a connection lives on
// one of them from accept to close: its handlers never run concurrently (no
// strand needed), and what its reads and decoding allocate is freed by the
// thread that allocated it. (With one context run by every thread, a
// connection's handlers moved between threads, and freeing a block another
// thread allocated cost the HTTP threads ~14% of their time:
// docs/performance.md, session 15.) The price: connections are dealt in
// turn, not by load, so a slow request (a long ledger read, /metrics) delays
// the other connections of its thread. A connection's I/O objects name
// their executor's type instead of the type-erased any_io_executor, whose
// copies and queries were a few per cent of the HTTP threads' time
// (session 8).
using Executor = net::io_context::executor_type;
using Socket = tcp::socket::rebind_executor<Executor>::other;
using Timer = net::steady_timer::rebind_executor<Executor>::other;

// http::string_body, except that a declared Content-Length reserves at most
// kMaxReserve before the body arrives; beyond it the body grows as its bytes
// come (doubling, up to the declared length). string_body reserves the whole
// declared length at once: 500 connections that each declared 16 MB and sent
// one byte held 1.15 GB (256 KiB each: ~250 MB).
struct RequestBody {
  static constexpr uint64_t kMaxReserve = 256 * 1024;
  using value_type = std::string;
  static uint64_t size(const value_type& b) { return b.size(); }
  class reader {
   public:
    template <bool isRequest, class Fields>
    reader(http::header<isRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<uint64_t>& length, beast::error_code& ec) {
      if (length) {
        declared_ = *length;
        body_.reserve(static_cast<size_t>(std::min(*length, kMaxReserve)));
      }
      ec = {};
    }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
      const size_t extra = net::buffer_size(buffers);
      const size_t at = body_.size();
      if (at + extra > body_.capacity()) {
        // Twice as much, but not past the declared length (the parser stops
        // there): a 370 KB message grows once, 256 KiB to its size.
        uint64_t want = std::max<uint64_t>(2 * body_.capacity(), at + extra);
        if (declared_ != 0) want = std::max<uint64_t>(std::min(want, declared_), at + extra);
        body_.reserve(static_cast<size_t>(want));
      }
      body_.resize(at + extra);
      char* dest = body_.data() + at;
      for (const auto b : beast::buffers_range_ref(buffers)) {
        std::memcpy(dest, b.data(), b.size());
        dest += b.size();
      }
      ec = {};
      return extra;
    }
    void finish(beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
    uint64_t declared_ = 0;  // Content-Length; 0 when chunked (or empty)
  };
};

// Answers arrive from other threads (the sequencer, the receipt feed). They
// reach a session only through the gate, and only while the server runs: once
// Stop closes the gate nothing more is posted to the I/O context. A pending
// answer holds its session, so whoever holds answers (the node, the feed) must
// be destroyed after Stop and before the HttpServer (see http_server.h).
//
// Stop drains before it closes the gate: the acceptor closes, waiting
// long-polls are answered, a session reads no further requests (one that
// arrives is answered 503), and the I/O contexts stop once every answer owed
// to a request already handed to the Api has been written (`owed`), or after
// kDrainSeconds. A message the node logged is answered, not cut off.
struct Gate {
  std::mutex mu;
  bool open = true;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> owed{0};
  // Sessions half-closed after their last answer, reading until the client
  // closes (Session::Linger): closing them sooner, with input unread, would
  // reset the connection and discard answers the kernel has not yet sent.
  std::atomic<int64_t> lingering{0};
  // Connections open (sessions alive), and those refused at the cap.
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> refused{0};
};
constexpr int kDrainSeconds = 10;

// RFC 9112 §3.2.2: a server accepts a request target in absolute form
// ("http://host/v1/..."), as a proxy would send it: its path and query are
// what it names.
std::string OriginForm(beast::string_view target) {
  for (const beast::string_view scheme :
       {beast::string_view("http://"), beast::string_view("https://")}) {
    if (target.size() < scheme.size() || !beast::iequals(target.substr(0, scheme.size()), scheme)) {
      continue;
    }
    const size_t path = target.find_first_of("/?", scheme.size());
    if (path == beast::string_view::npos) return "/";
    return (target[path] == '?' ? "/" : "") + std::string(target.substr(path));
  }
  return std::string(target);
}

// One connection. HTTP/1.1 pipelining: requests are read ahead while earlier
// ones are being handled (up to kMaxPipelined), and their answers go out in
// request order, as many as are ready in one write. A client that waits for
// each answer sees the plain keep-alive exchange; one that pipelines saves a
// read and a write system call per request on both sides.
class Session : public std::enable_shared_from_this<Session> {
 public:
  static constexpr size_t kMaxPipelined = 64;

  Session(Socket socket, Api* api, const HttpOptions& opts, std::shared_ptr<Gate> gate)
      : socket_(std::move(socket)),
        deadline_(socket_.get_executor()),
        api_(api),
        opts_(opts),
        gate_(std::move(gate)),
        sse_timer_(socket_.get_executor()) {
    gate_->connections.fetch_add(1);
    beast::error_code ec;
    auto ep = socket_.remote_endpoint(ec);
    if (!ec) remote_ = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  ~Session() { gate_->connections.fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    net::dispatch(socket_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

 private:
  using SteadyClock = std::chrono::steady_clock;

  // An answer owed, in request order; `bytes` is the whole HTTP response.
  struct Slot {
    uint64_t id = 0;
    bool ready = false;
    bool close = false;  // the connection ends after this answer
    std::string bytes;
    bool owed = false;  // the Api's answer to a request: counted in Gate::owed
  };

  void DoRead() {
    if (gate_->draining) no_more_reads_ = true;
    if (closed_ || reading_ || no_more_reads_ || slots_.size() >= kMaxPipelined) return;
    reading_ = true;
    if (buffer_.capacity() < read_room_) buffer_.reserve(read_room_);
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(api_->limits().max_body);
    body_phase_ = false;
    UpdateDeadline();
    // The header first: what it says decides whether the body is read at
    // all (a refused coding, a missing Host) and whether the client waits
    // for a 100 Continue before sending it.
    http::async_read_header(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec || closed_) return OnRead(ec);
    auto& msg = parser_->get();
    // Refused by the header alone (http/guard.h): the body is not read.
    if (auto refused = http_guard::RefusedByHeader(msg, parser_->chunked())) {
      reading_ = false;
      api_->CountRequest("unknown", refused->status);
      ApiResponse r;
      r.status = refused->status;
      r.body = "{\"error\":{\"code\":\"" + std::string(refused->code) + "\",\"message\":\"" +
               refused->message + "\"}}";
      return Push(std::move(r), msg.version());
    }
    if (parser_->is_done()) return OnRead(ec);
    body_phase_ = true;
    UpdateDeadline();
    // Expect: 100-continue (RFC 9110 §10.1.1): the client waits for this
    // before it sends the body. Sent only with no earlier answer owed, so
    // that it cannot come before them; a client that pipelines behind it
    // sends its body after its own wait, as it would to a server that never
    // answers 100.
    // (HTTP/1.0 has no 100: its Expect is ignored, RFC 9110 §10.1.1.)
    if (msg.version() >= 11 && beast::iequals(msg[http::field::expect], "100-continue")) {
      if (slots_.empty() && !writing_) return WriteContinue(/*then_read_body=*/true);
      // Answers to earlier pipelined requests go first: the 100 follows them
      // (TryWrite), while the body is read if the client sends it anyway.
      expect_pending_ = true;
    }
    ReadBody();
  }

  void WriteContinue(bool then_read_body) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    expect_pending_ = false;
    writing_ = true;
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this(), then_read_body](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->Close();
                       if (then_read_body) return self->ReadBody();
                       self->TryWrite();  // an answer made ready meanwhile
                     });
  }

  void ReadBody() {
    if (closed_) return;
    http::async_read(
        socket_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    reading_ = false;
    expect_pending_ = false;  // the body is here (or never will be): no 100 after its answer
    if (closed_) return;
    if (ec == http::error::end_of_stream || ec == http::error::partial_message) {
      // The client is done sending (mid-request, for a partial message); what
      // it is owed for the requests it completed still goes out.
      no_more_reads_ = true;
      if (slots_.empty() && !writing_) Close();
      return;
    }
    if (ec == http::error::body_limit) {
      ApiRequest req;
      req.accept = std::string(parser_->get()[http::field::accept]);
      const bool message = OriginForm(parser_->get().target()).starts_with("/v1/messages");
      api_->CountRequest(message ? "messages" : "unknown", 413);
      return Push(api_->BodyTooLarge(req, message), parser_->get().version());
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      // (buffer_overflow: a chunk's header line or the trailer fields did
      // not fit in http_guard::kMaxBufferedFraming.)
      api_->CountRequest("unknown", 431);
      ApiResponse r;
      r.status = 431;
      r.body =
          ec == http::error::header_limit
              ? R"({"error":{"code":"header_too_large","message":"request header over 16 KiB"}})"
              : R"({"error":{"code":"header_too_large","message":"a chunk header or the trailer fields over 64 KiB"}})";
      return Push(std::move(r), 11);
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      // Not HTTP: answered, after the answers owed before it, then closed.
      api_->CountRequest("unknown", 400);
      ApiResponse r;
      r.status = 400;
      r.body = R"({"error":{"code":"bad_request","message":"malformed HTTP request: )" +
               ec.message() + "\"}}";
      return Push(std::move(r), 11);
    }
    if (ec) return Close();  // reset, aborted: nobody to answer
    first_ = false;
    // Counted before the drain is checked: either the drain, looking at
    // `owed`, waits for this request, or this request sees the drain.
    gate_->owed.fetch_add(1);
    if (gate_->draining) {
      gate_->owed.fetch_sub(1);
      // Read while the server began to stop: not handled, so the client
      // knows to send it again.
      api_->CountRequest("unknown", 503);
      ApiResponse r;
      r.status = 503;
      r.headers.push_back({"Retry-After", "1"});
      r.body =
          R"({"error":{"code":"shutting_down","message":"the server is stopping; this request was not handled: send it again once the server is back"}})";
      return Push(std::move(r), parser_->get().version());
    }
    auto& msg = parser_->get();
    ApiRequest req;
    req.method = std::string(msg.method_string());
    req.target = OriginForm(msg.target());
    req.content_type = std::string(msg[http::field::content_type]);
    req.accept = std::string(msg[http::field::accept]);
    req.last_event_id = std::string(msg["Last-Event-ID"]);
    req.caller.remote = remote_;
    const bool keep_alive = msg.keep_alive();
    const unsigned version = msg.version();
    // A HEAD answer is the GET's header alone (RFC 9110 §9.3.2): a body
    // after it would be read as the start of the next answer.
    const bool head = msg.method() == http::verb::head;
    // The stream's path exactly ("/v1/receipts/streamX" is no route: 404).
    static constexpr std::string_view kStream = "/v1/receipts/stream";
    if (req.method == "GET" && req.target.starts_with(kStream) &&
        (req.target.size() == kStream.size() || req.target[kStream.size()] == '?')) {
      // Not an answer the drain waits for: a stream lasts until it is closed.
      gate_->owed.fetch_sub(1);
      if (!slots_.empty() || writing_) {
        api_->CountRequest("receipts-stream", 400);
        ApiResponse r;
        r.status = 400;
        r.body =
            R"({"error":{"code":"bad_request","message":"an event stream takes the connection: send it alone, not behind pipelined requests"}})";
        return Push(std::move(r), version);
      }
      no_more_reads_ = true;
      UpdateDeadline();
      return StartSse(std::move(req));
    }
    if (msg.body().size() > kReadRoom) read_room_ = kLargeReadRoom;
    req.body = std::move(msg.body());
    const uint64_t id = next_slot_++;
    Slot pending;
    pending.id = id;
    pending.owed = true;  // counted above
    slots_.push_back(std::move(pending));
    if (!keep_alive) no_more_reads_ = true;
    api_->Handle(std::move(req), [self = shared_from_this(), gate = gate_, id, keep_alive, version,
                                  head](ApiResponse r) {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (!gate->open) return;
      net::post(self->socket_.get_executor(),
                [self, r = std::move(r), id, keep_alive, version, head]() mutable {
                  self->Answer(id, std::move(r), keep_alive, version, head);
                });
    });
    DoRead();  // the next pipelined request, while this one is handled
    UpdateDeadline();
  }

  void Answer(uint64_t id, ApiResponse r, bool keep_alive, unsigned version, bool head) {
    if (closed_ || slots_.empty()) return;
    Slot& slot = slots_[id - slots_.front().id];
    slot.bytes = Serialize(r, keep_alive, version, head);
    slot.close = !keep_alive;
    slot.ready = true;
    TryWrite();
  }

  // An answer decided while reading (a request over a limit): it closes the
  // connection once the answers owed before it are out.
  void Push(ApiResponse r, unsigned version) {
    no_more_reads_ = true;
    slots_.push_back(Slot{next_slot_++, true, true, Serialize(r, false, version)});
    TryWrite();
  }

  // `head_only`: the header (its Content-Length the body's) without the body.
  static std::string Serialize(const ApiResponse& r, bool keep_alive, unsigned version,
                               bool head_only = false) {
    const auto reason = http::obsolete_reason(static_cast<http::status>(r.status));
    std::string out;
    out.reserve(128 + r.content_type.size() + r.body.size() + 64 * r.headers.size());
    out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out += std::to_string(r.status);
    out += ' ';
    out.append(reason.data(), reason.size());
    out += "\r\nServer: ftzport\r\nContent-Type: ";
    out += r.content_type;
    out += "\r\n";
    for (const auto& [k, v] : r.headers) {
      out += k;
      out += ": ";
      out += v;
      out += "\r\n";
    }
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
    if (!keep_alive && version >= 11) out += "Connection: close\r\n";
    if (keep_alive && version == 10) out += "Connection: keep-alive\r\n";
    out += "\r\n";
    if (!head_only) out += r.body;
    return out;
  }

  void TryWrite() {
    if (closed_ || writing_) return;
    // A 100 Continue held back behind the answers owed before its request
    // (OnHeader): they are written, the 100 is due (its request's own
    // answer cannot exist yet: the body is still being read).
    if (expect_pending_ && slots_.empty()) return WriteContinue(/*then_read_body=*/false);
    out_.clear();
    close_after_write_ = false;
    while (!slots_.empty() && slots_.front().ready && !close_after_write_) {
      out_.push_back(std::move(slots_.front().bytes));
      close_after_write_ = slots_.front().close;
      written_owed_ += slots_.front().owed ? 1 : 0;
      slots_.pop_front();
    }
    if (out_.empty()) return UpdateDeadline();
    std::vector<net::const_buffer> buffers;
    buffers.reserve(out_.size());
    for (const std::string& b : out_) buffers.push_back(net::buffer(b));
    writing_ = true;
    SetDeadline(opts_.request_timeout_seconds);
    net::async_write(socket_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      self->out_.clear();  // the answers are sent: do not hold them while idle
      self->gate_->owed.fetch_sub(self->written_owed_);  // written, or never to be
      self->written_owed_ = 0;
      if (ec) return self->Close();
      if (self->close_after_write_) return self->Linger();
      if (self->gate_->draining && self->slots_.empty()) {
        // A read under way ends in a request (answered 503, then this
        // again) or in the stop; otherwise the answers are out: linger.
        if (!self->reading_) self->Linger();
        return;
      }
      if (self->no_more_reads_ && self->slots_.empty() && !self->reading_) return self->Linger();
      self->TryWrite();
      self->DoRead();
      self->UpdateDeadline();
    });
  }

  // One deadline for the connection: writing an answer, 30 s; waiting for a
  // request with none owed, 30 s for the first and 60 s idle after; while
  // answers are being prepared (a long-poll may take a minute), none. The
  // timer is lazy: moving the deadline is a store; the timer only re-arms
  // when it fires, so it can fire late by at most the longest timeout.
  void UpdateDeadline() {
    if (writing_) return;  // the write's own deadline, set as it started, stands
    int seconds = 0;
    if (slots_.empty() && reading_) {
      // A new connection's first request, and any request's body once its
      // header came, have the request timeout; the wait for the next
      // request on a kept-alive connection, the idle timeout.
      seconds = first_ || body_phase_ ? opts_.request_timeout_seconds : opts_.idle_timeout_seconds;
    }
    SetDeadline(seconds);
  }

  // 0: no deadline.
  void SetDeadline(int seconds) {
    deadline_at_ = seconds == 0 ? SteadyClock::time_point::max()
                                : SteadyClock::now() + std::chrono::seconds(seconds);
    if (seconds != 0 && !timer_waiting_) WaitDeadline();
  }

  void WaitDeadline() {
    timer_waiting_ = true;
    deadline_.expires_at(deadline_at_);
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->timer_waiting_ = false;
      if (ec || self->closed_) return;
      if (SteadyClock::now() >= self->deadline_at_) return self->Close();
      if (self->deadline_at_ != SteadyClock::time_point::max()) self->WaitDeadline();
    });
  }

  // ---- Server-Sent Events: /v1/receipts/stream?copCode=...&after=... ----

  void StartSse(ApiRequest req) {
    ReleaseReadBuffer();  // an event stream reads no more requests
    const size_t q = req.target.find('?');
    const std::string query = q == std::string::npos ? "" : req.target.substr(q + 1);
    sse_cop_ = QueryParam(query, "copCode");
    std::string after = req.last_event_id.empty() ? QueryParam(query, "after") : req.last_event_id;
    sse_cursor_ = -1;
    if (!after.empty() && !ParseInt(after, &sse_cursor_)) sse_cursor_ = -2;
    if (sse_cop_.empty() || sse_cursor_ < -1) {
      api_->CountRequest("receipts-stream", 400);
      ApiResponse r;
      r.status = 400;
      r.body =
          R"({"error":{"code":"bad_request","message":"copCode is required; after (or Last-Event-ID) must be an integer >= -1"}})";
      return Push(std::move(r), 11);
    }
    api_->CountRequest("receipts-stream", 200);
    caller_ = req.caller;
    if (opts_.sse_send_buffer_bytes > 0) {
      beast::error_code ec;  // a refusal leaves the OS's buffer: still correct
      socket_.set_option(net::socket_base::send_buffer_size(opts_.sse_send_buffer_bytes), ec);
    }
    auto head = std::make_shared<std::string>(
        "HTTP/1.1 200 OK\r\nServer: ftzport\r\nContent-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\nConnection: keep-alive\r\nX-Accel-Buffering: no\r\n\r\n"
        "retry: 2000\n\n");
    sub_id_ = api_->feed()->Subscribe(sse_cop_, [weak = weak_from_this(), gate = gate_] {
      std::lock_guard<std::mutex> lock(gate->mu);
      auto self = weak.lock();
      if (!gate->open || !self) return;
      net::post(self->socket_.get_executor(), [self] { self->SsePump(); });
    });
    SseWrite(head);
    SseHeartbeat();
  }

  void SsePump() {
    if (closed_) return;
    if (sse_writing_) {
      pump_again_ = true;
      return;
    }
    bool more = false;
    auto events = api_->SseEvents(sse_cop_, &sse_cursor_, caller_, &more);
    if (!events.ok() || events->empty()) return;
    pump_again_ = more;  // a full page: there may be more waiting behind it
    SseWrite(std::make_shared<std::string>(std::move(*events)));
  }

  // A stream's reader must keep up: a write that does not finish within the
  // request timeout (a client that stopped reading) ends the stream, instead
  // of holding the connection and its subscription for ever. The client
  // resumes from its last event id.
  void SseWrite(std::shared_ptr<std::string> data) {
    sse_writing_ = true;
    SetDeadline(opts_.request_timeout_seconds);
    net::async_write(socket_, net::buffer(*data),
                     [self = shared_from_this(), data](beast::error_code ec, size_t) {
                       self->sse_writing_ = false;
                       if (ec) return self->Close();
                       self->SetDeadline(0);
                       if (self->pump_again_ || data->rfind("HTTP/1.1", 0) == 0) {
                         self->pump_again_ = false;
                         self->SsePump();  // first pump after the header, or a missed wake
                       }
                     });
  }

  void SseHeartbeat() {
    sse_timer_.expires_after(std::chrono::seconds(opts_.sse_heartbeat_seconds));
    sse_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec || self->closed_) return;
      if (!self->sse_writing_) self->SseWrite(std::make_shared<std::string>(": heartbeat\n\n"));
      self->SseHeartbeat();
    });
  }

  // The last answer is out: stop sending, then read and discard what the
  // client may still be sending (the rest of a body over the limit) until it
  // closes, for at most kLingerSeconds and kLingerBytes. Closing on unread
  // bytes would reset the connection, and a reset can destroy the answer in
  // the client's buffers before it reads it (RFC 9112 §9.6 asks for this).
  static constexpr int kLingerSeconds = 5;
  static constexpr size_t kLingerBytes = 16u << 20;
  void Linger() {
    if (closed_ || lingering_) return;
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_send, ec);
    if (ec || reading_) return Close();
    lingering_ = true;
    gate_->lingering.fetch_add(1);
    ReleaseReadBuffer();
    SetDeadline(kLingerSeconds);
    linger_left_ = kLingerBytes;
    DrainUntilClosed();
  }
  void DrainUntilClosed() {
    if (linger_buffer_.empty()) linger_buffer_.resize(16 * 1024);
    socket_.async_read_some(net::buffer(linger_buffer_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || self->closed_ || n >= self->linger_left_) {
                                return self->Close();
                              }
                              self->linger_left_ -= n;
                              self->DrainUntilClosed();
                            });
  }

  void ReleaseReadBuffer() {
    buffer_.clear();
    buffer_.shrink_to_fit();
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    // Answers not yet written never will be: no longer owed.
    for (Slot& slot : slots_) {
      if (slot.owed) gate_->owed.fetch_sub(1);
      slot.owed = false;
    }
    if (lingering_) gate_->lingering.fetch_sub(1);
    lingering_ = false;
    if (sub_id_) api_->feed()->Unsubscribe(sub_id_);
    sse_timer_.cancel();
    deadline_.cancel();
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

  Socket socket_;
  Timer deadline_;
  SteadyClock::time_point deadline_at_ = SteadyClock::time_point::max();
  bool timer_waiting_ = false;
  // Beast reads no more than the buffer has room for, and never grows a
  // buffer that the parser empties as it goes: left at its first 512 bytes,
  // a single-document message took six reads and a 100-document one four
  // hundred (docs/performance.md, session 12). Room for a single-document
  // message at once; more once a connection has sent a large one. Kept while
  // the connection reads requests (an idle keep-alive connection holds it,
  // as the kernel holds its socket buffers); released for an event stream
  // and for the linger after the last answer, which read no more requests.
  static constexpr size_t kReadRoom = 16 * 1024;
  static constexpr size_t kLargeReadRoom = 64 * 1024;
  size_t read_room_ = kReadRoom;
  // Bounded (http/guard.h): framing beyond it is 431, not unbounded memory.
  beast::flat_buffer buffer_{http_guard::kMaxBufferedFraming};
  std::optional<http::request_parser<RequestBody>> parser_;
  bool body_phase_ = false;      // the request's header is read, its body not yet
  bool expect_pending_ = false;  // a 100 Continue owed once earlier answers are out
  Api* api_;
  HttpOptions opts_;
  std::shared_ptr<Gate> gate_;
  std::string remote_;
  bool first_ = true;
  bool closed_ = false;
  // Pipelining
  std::deque<Slot> slots_;
  uint64_t next_slot_ = 0;
  bool reading_ = false;
  bool no_more_reads_ = false;  // end of stream, Connection: close, or an error answer
  bool writing_ = false;        // an answer write (not SSE) is in flight
  bool close_after_write_ = false;
  int64_t written_owed_ = 0;      // owed answers in out_
  bool lingering_ = false;        // counted in Gate::lingering
  std::vector<std::string> out_;  // the answers being written
  std::string linger_buffer_;     // discarded bytes after the last answer
  size_t linger_left_ = 0;
  // SSE
  Timer sse_timer_;
  Caller caller_;
  std::string sse_cop_;
  int64_t sse_cursor_ = -1;
  uint64_t sub_id_ = 0;
  bool sse_writing_ = false;
  bool pump_again_ = false;
};

}  // namespace

struct HttpServer::Impl {
  Impl(Api* a, HttpOptions o) : api(a), opts(o), acceptor(contexts.emplace_back(1)) {}
  // Runs on context 0's thread (or before Run): the accepted connection goes
  // to the next context in turn.
  void Accept() {
    net::io_context& next = contexts[next_context++ % contexts.size()];
    acceptor.async_accept(next.get_executor(), [this](beast::error_code ec, Socket s) {
      if (ec) {
        // Aborted, or the acceptor closed by Stop (a back-off that ended
        // after it would otherwise accept on a closed acceptor, fail at
        // once, and loop).
        if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
        // Out of descriptors or memory: the connection waits in the kernel's
        // queue, and the accept is tried again later (at once, it would fail
        // again at once: the accept loop took a core).
        if (http_guard::OutOfResources(ec)) {
          accept_backoff.expires_after(std::chrono::milliseconds(100));
          accept_backoff.async_wait([this](beast::error_code wec) {
            if (!wec && acceptor.is_open()) Accept();
          });
          return;
        }
      } else if (gate->connections.load() >= max_connections) {
        RefuseConnection(s);
      } else {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(s), api, opts, gate)->Start();
      }
      Accept();
    });
  }
  // At the cap: 503 at once, without reading the request, and closed
  // (http_guard::AnswerAndDrop).
  void RefuseConnection(Socket& s) {
    gate->refused.fetch_add(1);
    const std::string answer =
        http_guard::TooManyConnectionsAnswer(static_cast<int>(max_connections), "ftzport");
    // A fresh socket's send buffer takes it whole; not waited for.
    http_guard::AnswerAndDrop(s.native_handle(), answer);
    beast::error_code ec;
    s.close(ec);
  }
  // Every answer owed written (or the time up): then the gate closes and the
  // I/O contexts stop. On context 0.
  void DrainThenFinish(std::shared_ptr<Timer> timer,
                       std::chrono::steady_clock::time_point give_up) {
    if ((gate->owed.load() <= 0 && gate->lingering.load() <= 0) ||
        std::chrono::steady_clock::now() >= give_up) {
      std::lock_guard<std::mutex> lock(mu);
      return Finish();
    }
    timer->expires_after(std::chrono::milliseconds(5));
    timer->async_wait(
        [this, timer, give_up](beast::error_code) { DrainThenFinish(timer, give_up); });
  }
  // Under mu.
  void Finish() {
    {
      std::lock_guard<std::mutex> lock(gate->mu);
      gate->open = false;
    }
    stopped = true;
    beast::error_code ec;
    if (!running) acceptor.close(ec);  // else closed on context 0 as the drain began
    for (net::io_context& c : contexts) c.stop();
  }
  Api* api;
  HttpOptions opts;
  std::shared_ptr<Gate> gate = std::make_shared<Gate>();
  // One per I/O thread, made by Run (context 0 at construction: it holds the
  // acceptor). mu guards their number against a Stop from another thread.
  std::mutex mu;
  bool stopped = false;
  bool draining = false;
  bool running = false;  // Run runs once: a second caller would run context 0 too
  // Destroyed front to back (libstdc++), context 0 first: its pending accept
  // holds a socket of the next context, which must still be there.
  std::deque<net::io_context> contexts;
  std::vector<net::executor_work_guard<Executor>> busy;  // a context without connections waits
  size_t next_context = 0;
  tcp::acceptor acceptor;
  Timer accept_backoff{contexts.front().get_executor()};
  int64_t max_connections = 0;  // set by Listen
  std::atomic<uint16_t> port{0};
};

HttpServer::HttpServer(Api* api, HttpOptions options) : impl_(new Impl(api, options)) {}
HttpServer::~HttpServer() { Stop(); }

BoundSocket::BoundSocket(BoundSocket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), port_(o.port_), ipv6_(o.ipv6_) {}

BoundSocket& BoundSocket::operator=(BoundSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    port_ = o.port_;
    ipv6_ = o.ipv6_;
  }
  return *this;
}

BoundSocket::~BoundSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int BoundSocket::release() { return std::exchange(fd_, -1); }

Result<BoundSocket> BindListenAddress(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto addr = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return Status::InvalidArgument("bad listen address '" + host + "': " + ec.message());
  const tcp::endpoint ep(addr, port);
  auto fail = [&](const char* what) {
    return Status::IOError(std::string(what) + " " + host + ":" + std::to_string(port) + ": " +
                           std::strerror(errno));
  };
  BoundSocket b;
  b.ipv6_ = addr.is_v6();
  b.fd_ = ::socket(b.ipv6_ ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (b.fd_ < 0) return fail("socket for");
  const int one = 1;
  if (::setsockopt(b.fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) {
    return fail("SO_REUSEADDR on");
  }
  if (::bind(b.fd_, ep.data(), static_cast<socklen_t>(ep.size())) != 0) return fail("bind");
  // Listening at once holds the port: a socket bound and not listening may be
  // bound again by another process (SO_REUSEADDR on both), which then takes
  // the port while this one recovers.
  if (::listen(b.fd_, SOMAXCONN) != 0) return fail("listen on");
  sockaddr_storage got{};
  socklen_t len = sizeof got;
  if (::getsockname(b.fd_, reinterpret_cast<sockaddr*>(&got), &len) != 0) {
    return fail("getsockname of");
  }
  b.port_ = ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  return b;
}

Status HttpServer::Listen(const std::string& host, uint16_t port) {
  auto bound = BindListenAddress(host, port);
  if (!bound.ok()) return bound.status();
  return Listen(std::move(*bound));
}

Status HttpServer::Listen(BoundSocket bound) {
  beast::error_code ec;
  auto& a = impl_->acceptor;
  const uint16_t port = bound.port();
  a.assign(bound.ipv6() ? tcp::v6() : tcp::v4(), bound.release(), ec);  // listening already
  if (ec) return Status::IOError("listen on port " + std::to_string(port) + ": " + ec.message());
  impl_->port = port;
  impl_->max_connections = http_guard::ConnectionCap(impl_->opts.max_connections);
  if (node::Registry* metrics = impl_->api->metrics()) {
    std::shared_ptr<Gate> gate = impl_->gate;
    metrics->AddGauge("ftz_http_connections", "HTTP connections open",
                      [gate] { return static_cast<double>(gate->connections.load()); });
    metrics->AddGauge("ftz_http_max_connections",
                      "HTTP connections allowed open at once (beyond: 503 and closed)",
                      [max = impl_->max_connections] { return static_cast<double>(max); });
    metrics->AddCounterFunc("ftz_http_connections_refused_total",
                            "HTTP connections refused at the cap (503, closed unread)",
                            [gate] { return static_cast<double>(gate->refused.load()); });
  }
  impl_->Accept();
  return Status::Ok();
}

uint16_t HttpServer::port() const { return impl_->port; }
int HttpServer::max_connections() const { return static_cast<int>(impl_->max_connections); }

void HttpServer::Run(int threads, bool handle_signals) {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.stopped || m.running) return;
    m.running = true;
    while (static_cast<int>(m.contexts.size()) < std::max(threads, 1)) m.contexts.emplace_back(1);
    for (net::io_context& c : m.contexts) m.busy.push_back(net::make_work_guard(c));
  }
  std::optional<net::signal_set> signals;
  if (handle_signals) {
    signals.emplace(m.contexts[0], SIGINT, SIGTERM);
    // The first signal drains; a second one stops at once (an operator who
    // will not wait the drain out).
    signals->async_wait([this, &signals](beast::error_code ec, int) {
      if (ec) return;
      Stop();
      signals->async_wait([this](beast::error_code ec2, int) {
        if (ec2) return;
        std::lock_guard<std::mutex> lock(impl_->mu);
        if (!impl_->stopped) impl_->Finish();
      });
    });
  }
  std::vector<std::thread> pool;
  for (size_t i = 1; i < m.contexts.size(); ++i) {
    pool.emplace_back([&c = m.contexts[i]] {
      pthread_setname_np(pthread_self(), "ftz-http");
      c.run();
    });
  }
  m.contexts[0].run();
  for (auto& t : pool) t.join();
}

void HttpServer::Stop() {
  Impl& m = *impl_;
  {
    std::lock_guard<std::mutex> lock(m.mu);
    if (m.stopped || m.draining) return;
    m.draining = true;
    if (!m.running) {  // nothing to drain (and no thread to drain on)
      m.Finish();
      return;
    }
  }
  m.gate->draining = true;
  net::post(m.contexts[0], [this] {
    Impl& i = *impl_;
    beast::error_code ec;
    i.acceptor.close(ec);
    i.accept_backoff.cancel();
    i.api->feed()->Shutdown();  // waiting long-polls answered now, as at their deadline
    i.DrainThenFinish(std::make_shared<Timer>(i.contexts[0].get_executor()),
                      std::chrono::steady_clock::now() + std::chrono::seconds(kDrainSeconds));
  });
}

bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  // Digits only, all of them: "8080x" or "+80" is a typo, not port 8080.
  const std::string digits = s.substr(colon + 1);
  if (digits.empty() || digits.size() > 5 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  const int p = std::stoi(digits);
  if (p > 65535) return false;
  *port = static_cast<uint16_t>(p);
  *host = h.empty() ? "0.0.0.0" : h;
  return true;
}

}  // namespace ftz::server
