// A whole single window (node + API + HTTP server) on a free loopback port in
// a temporary directory, and a small keep-alive HTTP client, for end-to-end
// tests over real sockets.
#pragma once

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "node/node.h"
#include "server/api.h"
#include "server/http_server.h"

namespace ftz::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  bool keep_alive = true;
};

class TestServer {
 public:
  explicit TestServer(const std::string& name, server::ApiLimits limits = {}, Env* env = nullptr)
      : dir_(std::filesystem::temp_directory_path() /
             ("ftz-e2e-" + std::to_string(::getpid()) + "-" + name)) {
    std::filesystem::remove_all(dir_);
    limits_ = limits;
    env_ = env;
    Start();
  }
  ~TestServer() {
    Stop();
    std::filesystem::remove_all(dir_);
  }

  void Start() {
    node::Options o;
    o.data_dir = dir_;
    o.env = env_;
    o.witnesses = witnesses_;
    // Restarts in these tests replay the log (the receipts are compared);
    // starting from snapshots is tested in node_test.
    o.snapshot_on_close = false;
    o.rules_toml = rules_toml;
    if (adjust_options) adjust_options(&o);
    metrics_ = std::make_unique<node::Registry>();
    auto n = node::Node::Open(o, metrics_.get());
    if (!n.ok()) throw std::runtime_error(n.status().ToString());
    node_ = std::move(*n);
    feed_ = std::make_unique<server::ReceiptFeed>();
    node_->AddReceiptListener(
        [f = feed_.get()](const std::vector<std::string>& c) { f->Notify(c); });
    api_ = std::make_unique<server::Api>(node_.get(), metrics_.get(), feed_.get(), limits_);
    http_ = std::make_unique<server::HttpServer>(api_.get(), http_options);
    Status s = http_->Listen("127.0.0.1", 0);
    if (!s.ok()) throw std::runtime_error(s.ToString());
    thread_ = std::thread([this] { http_->Run(2, false); });
  }

  // Clearance rules for the next Start() ("" = the built-in default).
  std::string rules_toml;
  // Changes to the node's options from the next Start() on (say, a start
  // from snapshots with small segments).
  std::function<void(node::Options*)> adjust_options;
  // Timeouts for the next Start().
  server::HttpOptions http_options;

  void Stop() {
    if (!http_) return;
    // The order of http_server.h: stop, drop every holder of pending
    // answers (their connections go while the I/O context lives), then HTTP.
    http_->Stop();
    thread_.join();
    feed_->Shutdown();
    node_.reset();
    api_.reset();
    feed_.reset();
    http_.reset();
  }

  // node::Options::witnesses ("URL VKEY") from the next Start() on.
  void set_witnesses(std::vector<std::string> w) { witnesses_ = std::move(w); }

  uint16_t port() const { return http_->port(); }
  node::Node& node() { return *node_; }
  server::ReceiptFeed& feed() { return *feed_; }
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  server::ApiLimits limits_;
  Env* env_ = nullptr;
  std::vector<std::string> witnesses_;
  std::unique_ptr<node::Registry> metrics_;
  std::unique_ptr<node::Node> node_;
  std::unique_ptr<server::ReceiptFeed> feed_;
  std::unique_ptr<server::Api> api_;
  std::unique_ptr<server::HttpServer> http_;
  std::thread thread_;
};

// One keep-alive connection.
class Client {
 public:
  explicit Client(uint16_t port) : stream_(ioc_) {
    stream_.connect(
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port));
  }

  HttpResult Request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     std::map<std::string, std::string> headers = {}) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (auto& [k, v] : headers) req.set(k, v);
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    http::write(stream_, req);
    boost::beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    http::read(stream_, buf, parser);
    auto& res = parser.get();
    HttpResult r;
    r.status = static_cast<int>(res.result_int());
    r.body = res.body();
    r.keep_alive = res.keep_alive();
    for (auto& f : res) r.headers[std::string(f.name_string())] = std::string(f.value());
    return r;
  }

  // Sends raw bytes and reads whatever arrives until `until` appears or the
  // peer closes (for SSE and malformed requests).
  std::string Raw(const std::string& bytes, const std::string& until, int timeout_ms = 5000) {
    boost::asio::write(stream_.socket(), boost::asio::buffer(bytes));
    return ReadUntil(until, timeout_ms);
  }
  std::string ReadUntil(const std::string& until, int timeout_ms = 5000) {
    stream_.expires_after(std::chrono::milliseconds(timeout_ms));
    char buf[4096];
    while (seen_.find(until) == std::string::npos) {
      boost::beast::error_code ec;
      size_t n = stream_.read_some(boost::asio::buffer(buf), ec);
      if (ec) break;
      seen_.append(buf, n);
    }
    return seen_;
  }

 private:
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  std::string seen_;
};

}  // namespace ftz::testing
