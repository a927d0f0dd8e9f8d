#include "witness/server.h"

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "http/guard.h"

namespace ftz::witness {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr int kRequestTimeoutSeconds = 30;
constexpr int kIdleTimeoutSeconds = 60;

// One connection. Answers are computed on the I/O thread: AddCheckpoint is a
// few signature checks and at most one small fsync'ed write.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Witness* witness, std::shared_ptr<std::atomic<int64_t>> open)
      : stream_(std::move(socket)), witness_(witness), open_(std::move(open)) {
    open_->fetch_add(1);
  }
  ~Session() { open_->fetch_sub(1); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->DoRead(); });
  }

 private:
  void DoRead() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(kMaxRequestBytes);
    stream_.expires_after(
        std::chrono::seconds(first_ ? kRequestTimeoutSeconds : kIdleTimeoutSeconds));
    first_ = false;
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      return Write({413, "text/plain; charset=utf-8", "witness: request body too large\n"}, false,
                   11);
    }
    if (ec == http::error::header_limit || ec == http::error::buffer_overflow) {
      return Write({431, "text/plain; charset=utf-8",
                    ec == http::error::header_limit
                        ? "witness: request header over 16 KiB\n"
                        : "witness: a chunk header or the trailer fields over 64 KiB\n"},
                   false, 11);
    }
    if (ec) return Close();  // end of stream, timeout, reset, malformed request
    auto& msg = parser_->get();
    // (A transfer coding other than chunked reads as an empty body: the
    // connection closes after the 400, the bytes after the header unread.)
    if (auto refused = http_guard::RefusedByHeader(msg, parser_->chunked())) {
      return Write(
          {refused->status, "text/plain; charset=utf-8", "witness: " + refused->message + "\n"},
          false, msg.version());
    }
    const bool keep_alive = msg.keep_alive();
    const unsigned version = msg.version();
    const auto raw_target = msg.target();
    std::string_view target(raw_target.data(), raw_target.size());
    target = target.substr(0, target.find('?'));
    WitnessResponse r;
    if (target == "/add-checkpoint") {
      if (msg.method() != http::verb::post) {
        r = {405, "text/plain; charset=utf-8", "witness: use POST\n"};
      } else {
        r = witness_->AddCheckpoint(msg.body());
      }
    } else if (target == "/healthz") {
      r = {200, "text/plain; charset=utf-8", "ok\n"};
    } else {
      r = {404, "text/plain; charset=utf-8", "witness: no such path (POST /add-checkpoint)\n"};
    }
    Write(std::move(r), keep_alive, version);
  }

  void Write(WitnessResponse r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(r.status), version);
    res->set(http::field::server, "ftzport-witness");
    res->set(http::field::content_type, r.content_type);
    res->keep_alive(keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    stream_.expires_after(std::chrono::seconds(kRequestTimeoutSeconds));
    http::async_write(stream_, *res,
                      [self = shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->DoRead();
                      });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{http_guard::kMaxBufferedFraming};
  std::optional<http::request_parser<http::string_body>> parser_;
  Witness* witness_;
  std::shared_ptr<std::atomic<int64_t>> open_;  // sessions alive, for the cap
  bool first_ = true;
};

}  // namespace

struct WitnessServer::Impl {
  Impl(Witness* w, int max)
      : witness(w), acceptor(net::make_strand(ioc)), backoff(acceptor.get_executor()) {
    max_connections = http_guard::ConnectionCap(max);
  }
  void Accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec && http_guard::OutOfResources(ec)) {
        backoff.expires_after(std::chrono::milliseconds(100));
        backoff.async_wait([this](beast::error_code wec) {
          if (!wec) Accept();
        });
        return;
      }
      if (!ec && open->load() >= max_connections) {
        // At the cap: 503 at once, unread, and closed (http/guard.h).
        const std::string answer =
            http_guard::TooManyConnectionsAnswer(max_connections, "ftzport-witness");
        http_guard::AnswerAndDrop(s.native_handle(), answer);
        s.close(ec);
      } else if (!ec) {
        s.set_option(tcp::no_delay(true), ec);
        std::make_shared<Session>(std::move(s), witness, open)->Start();
      }
      Accept();
    });
  }
  Witness* witness;
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer backoff;  // on the acceptor's strand, as the accepts
  int max_connections = 0;
  std::shared_ptr<std::atomic<int64_t>> open = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<uint16_t> port{0};
};

WitnessServer::WitnessServer(Witness* witness, int max_connections)
    : impl_(new Impl(witness, max_connections)) {}
WitnessServer::~WitnessServer() { Stop(); }

Status WitnessServer::Listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto addr = net::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (ec) return Status::InvalidArgument("bad listen address '" + host + "': " + ec.message());
  tcp::endpoint ep(addr, port);
  auto& a = impl_->acceptor;
  a.open(ep.protocol(), ec);
  if (!ec) a.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(ep, ec);
  if (!ec) a.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Status::IOError("listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
  }
  impl_->port = a.local_endpoint().port();
  impl_->Accept();
  return Status::Ok();
}

uint16_t WitnessServer::port() const { return impl_->port; }

void WitnessServer::Run(int threads, bool handle_signals) {
  std::optional<net::signal_set> signals;
  if (handle_signals) {
    signals.emplace(impl_->ioc, SIGINT, SIGTERM);
    signals->async_wait([this](beast::error_code, int) { Stop(); });
  }
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) {
    pool.emplace_back([this] {
      pthread_setname_np(pthread_self(), "ftz-witness");
      impl_->ioc.run();
    });
  }
  impl_->ioc.run();
  for (auto& t : pool) t.join();
}

void WitnessServer::Stop() {
  // On the acceptor's strand: with more than one thread, an accept handler
  // may be calling async_accept at the same time (an acceptor is not safe
  // for concurrent use).
  net::post(impl_->acceptor.get_executor(), [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
  });
  impl_->ioc.stop();
}

}  // namespace ftz::witness
