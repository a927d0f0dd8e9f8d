// ftz-loadgen: drives a running single window over HTTP/1.1 keep-alive with
// a realistic mix from the workload generator (orders, payments, waybills and
// inventory lists, each parcel's in that order, the four kinds interleaved;
// --blocks sends them kind by kind instead), and reports
// documents accepted per second and request-to-receipt latency.
//
//   ftz-loadgen --target 127.0.0.1:8080 --per-message 1 --connections 64 --seconds 10
//   ftz-loadgen ... --rate 25000        open loop: offered documents/s; latency
//                                       measured from each request's scheduled
//                                       start (no coordinated omission)
//   ftz-loadgen ... --pipeline 16       HTTP/1.1 pipelining: each connection
//                                       writes 16 requests at once, then reads
//                                       their 16 answers (closed loop only)
//   ftz-loadgen ... --latency-csv F     every request as a CSV row: start in µs
//                                       from the run's start, latency in µs,
//                                       1 for a list, the generator's own delay
//                                       before writing it and the server's
//                                       backlog (the slot passed while the
//                                       previous answer was awaited), in µs:
//                                       when the slow ones came, and why
//
// Prints one human line and one JSON line ("RESULT {...}") for scripts.
#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <CLI/CLI.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "ceb/ceb.h"
#include "workload/workload.h"

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Request {
  std::shared_ptr<const std::string> bytes;  // the whole HTTP request
  size_t documents;
  bool list = false;  // a CEB621: its answer comes after the list is decided
};

struct Shared {
  std::vector<Request> requests;
  std::atomic<size_t> next{0};
  Clock::time_point start, end;
  double interval_ns = 0;  // open loop: time between sends of one connection
  size_t pipeline = 1;     // requests written together on a connection
  std::atomic<uint64_t> ok_docs{0}, ok_msgs{0}, bad{0};
  std::atomic<bool> stop{false};
};

class Conn : public std::enable_shared_from_this<Conn> {
 public:
  Conn(net::io_context& ioc, Shared* s, int index, int connections)
      : stream_(ioc), timer_(ioc), s_(s), index_(index), connections_(connections) {}

  void Start(const tcp::endpoint& ep) {
    stream_.async_connect(ep, [self = shared_from_this()](beast::error_code ec) {
      if (ec) {
        std::fprintf(stderr, "connect: %s\n", ec.message().c_str());
        return;
      }
      self->stream_.socket().set_option(tcp::no_delay(true));
      self->scheduled_ =
          self->s_->start + std::chrono::nanoseconds(static_cast<int64_t>(
                                self->s_->interval_ns * self->index_ / self->connections_));
      self->Next();
    });
  }

  std::vector<uint32_t> latencies_us;
  std::vector<uint32_t> list_latencies_us;  // CEB621 requests only
  std::vector<uint32_t> starts_us;          // from the run's start, as latencies_us
  std::vector<bool> is_list;
  // The generator's own delay: from when it could write a request (its slot
  // reached and the connection free) to when it did (its thread busy, or
  // waiting for a core).
  std::vector<uint32_t> late_us;
  // How long the slot had already passed when the previous answer freed the
  // connection (open loop): the server's delay, counted in the latency.
  std::vector<uint32_t> backlog_us;

 private:
  void Next() {
    ready_ = Clock::now();  // the connection is free for its next request
    if (s_->stop || ready_ >= s_->end) return;
    if (s_->pipeline > 1) return NextBatch();
    size_t i = s_->next.fetch_add(1);
    if (i >= s_->requests.size()) {
      s_->stop = true;
      return;
    }
    current_ = i;
    if (s_->interval_ns > 0) {
      // Open loop: wait for this connection's next slot.
      timer_.expires_at(scheduled_);
      timer_.async_wait([self = shared_from_this()](beast::error_code) { self->Send(); });
    } else {
      scheduled_ = Clock::now();
      Send();
    }
  }

  void Send() {
    sent_ = Clock::now();
    const Request& r = s_->requests[current_];
    net::async_write(stream_, net::buffer(*r.bytes),
                     [self = shared_from_this(), keep = r.bytes](beast::error_code ec, size_t) {
                       if (ec) return self->Fail(ec);
                       self->buffer_.reserve(kReadRoom);
                       self->parser_.emplace();
                       self->parser_->body_limit(64u << 20);
                       http::async_read(
                           self->stream_, self->buffer_, *self->parser_,
                           [self](beast::error_code ec2, size_t) { self->OnRead(ec2); });
                     });
  }

  void OnRead(beast::error_code ec) {
    if (ec) return Fail(ec);
    Count();
    if (s_->interval_ns > 0) {
      scheduled_ += std::chrono::nanoseconds(static_cast<int64_t>(s_->interval_ns));
    }
    Next();
  }

  // Pipelining: the next `pipeline` requests in one write, then their answers
  // in order; each request's latency runs from that write to its answer.
  void NextBatch() {
    const size_t first = s_->next.fetch_add(s_->pipeline);
    if (first >= s_->requests.size()) {
      s_->stop = true;
      return;
    }
    batch_.clear();
    std::vector<net::const_buffer> buffers;
    for (size_t i = first; i < std::min(first + s_->pipeline, s_->requests.size()); ++i) {
      batch_.push_back(i);
      buffers.push_back(net::buffer(*s_->requests[i].bytes));
    }
    scheduled_ = sent_ = ready_ = Clock::now();
    net::async_write(stream_, buffers, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail(ec);
      self->ReadBatch(0);
    });
  }

  void ReadBatch(size_t k) {
    buffer_.reserve(kReadRoom);
    parser_.emplace();
    parser_->body_limit(64u << 20);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this(), k](beast::error_code ec, size_t) {
                       if (ec) return self->Fail(ec);
                       self->current_ = self->batch_[k];
                       self->Count();
                       if (k + 1 < self->batch_.size()) return self->ReadBatch(k + 1);
                       self->Next();
                     });
  }

  // Records the answer in parser_ to request current_.
  void Count() {
    const auto us = static_cast<uint32_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - scheduled_).count());
    latencies_us.push_back(us);
    if (s_->requests[current_].list) list_latencies_us.push_back(us);
    // A closed loop may send before the nominal start: those count from 0.
    starts_us.push_back(static_cast<uint32_t>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(scheduled_ - s_->start).count())));
    is_list.push_back(s_->requests[current_].list);
    const auto us_of = [](Clock::duration d) {
      return static_cast<uint32_t>(
          std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::microseconds>(d).count()));
    };
    late_us.push_back(us_of(sent_ - std::max(scheduled_, ready_)));
    backlog_us.push_back(us_of(ready_ - scheduled_));
    if (parser_->get().result_int() == 200) {
      s_->ok_docs += s_->requests[current_].documents;
      s_->ok_msgs += 1;
    } else if (s_->bad++ < 3) {
      std::fprintf(stderr, "HTTP %u: %.300s\n", parser_->get().result_int(),
                   parser_->get().body().c_str());
    }
  }

  void Fail(beast::error_code ec) {
    if (!s_->stop) std::fprintf(stderr, "connection %d: %s\n", index_, ec.message().c_str());
    s_->bad++;
  }

  beast::tcp_stream stream_;
  net::steady_timer timer_;
  // Room for a whole answer per read: Beast never grows a buffer its parser
  // empties as it goes, and left at 512 bytes a 100-document answer took a
  // hundred reads of the load generator's share of the two cores.
  static constexpr size_t kReadRoom = 64 * 1024;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
  Shared* s_;
  int index_, connections_;
  size_t current_ = 0;
  std::vector<size_t> batch_;  // pipelining: the requests of the last write
  Clock::time_point scheduled_;
  Clock::time_point ready_;  // when the connection was last free to send
  Clock::time_point sent_;   // when the request was handed to the socket
};

// User + system CPU of this process so far, in seconds.
double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Stocks the bonded warehouse before the parcels come, as an operator's
// goods-in per item record does: the 1210 lists (40%) are then released,
// deducting stock, not refused for account lines never loaded. False (and
// why, on stderr) if the window refused or could not be reached.
bool StockWarehouse(const tcp::endpoint& ep, const std::string& host) {
  try {
    net::io_context io;
    beast::tcp_stream stream(io);
    stream.connect(ep);
    for (const std::string& rec : ftz::workload::Workload::BondedItemRecords()) {
      http::request<http::string_body> req{http::verb::post, "/v1/admin/bonded/goods-in", 11};
      req.set(http::field::host, host);
      req.set(http::field::content_type, "application/json");
      req.body() = std::string("{\"emsNo\":\"") + ftz::workload::Workload::kBondedAccount +
                   "\",\"itemRecordNo\":\"" + rec + "\",\"qty\":\"1000000000\"}";
      req.prepare_payload();
      http::write(stream, req);
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      http::read(stream, buf, res);
      if (res.result_int() != 200) {
        std::fprintf(stderr, "goods-in of %s: HTTP %u %s\n", rec.c_str(), res.result_int(),
                     res.body().c_str());
        return false;
      }
    }
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "goods-in: %s\n", e.what());
    return false;
  }
}

double Percentile(std::vector<uint32_t>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ftz-loadgen: load generator for the ftzport single window"};
  std::string target = "127.0.0.1:8080";
  size_t per_message = 1, parcels = 50000;
  int connections = 32, seconds = 10, threads = 1;
  double rate = 0;
  uint64_t seed = 42;
  std::string prefix = "LG";
  app.add_option("--target", target, "HOST:PORT of the window")->capture_default_str();
  // Ranges also catch a negative number, which would wrap in an unsigned option.
  app.add_option("--per-message", per_message, "Documents per message (1..100)")
      ->check(CLI::Range(size_t{1}, size_t{100}))
      ->capture_default_str();
  app.add_option("--parcels", parcels, "Parcels to prepare (4 documents each)")
      ->check(CLI::Range(size_t{1}, size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--connections", connections, "Keep-alive connections")
      ->check(CLI::Range(1, 10'000))
      ->capture_default_str();
  app.add_option("--seconds", seconds, "Longest run time")
      ->check(CLI::Range(1, 86'400))
      ->capture_default_str();
  app.add_option("--rate", rate,
                 "Open loop: offered documents per second (0: as fast as possible)");
  app.add_option("--threads", threads, "Client I/O threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  size_t pipeline = 1;
  app.add_option("--pipeline", pipeline,
                 "HTTP/1.1 pipelining: requests written together per connection (closed loop)")
      ->check(CLI::Range(size_t{1}, size_t{1024}))
      ->capture_default_str();
  app.add_option("--seed", seed, "Workload seed")->capture_default_str();
  std::string latency_csv;
  app.add_option("--latency-csv", latency_csv,
                 "Write each request's start (µs from the run's start), latency (µs) and "
                 "whether it was a list, one CSV row per request");
  bool blocks = false;
  app.add_flag("--blocks", blocks,
               "Send each group of parcels kind by kind (all orders, then payments, waybills, "
               "lists) instead of the four kinds staggered and interleaved");
  app.add_option("--prefix", prefix,
                 "Order-number prefix, 1-2 letters or digits (use a new one per run on the same "
                 "data)")
      ->check(CLI::Validator(
          [](std::string& p) -> std::string {
            // The list's copNo is the prefix, 8 date digits and 10 serial
            // digits, and CEB allows it 20 characters: a longer prefix made
            // every list a 400.
            const bool ok = !p.empty() && p.size() <= 2 &&
                            p.find_first_not_of(
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789") == std::string::npos;
            return ok ? "" : "'" + p + "': 1-2 letters or digits (copNo has room for no more)";
          },
          "PREFIX"));
  CLI11_PARSE(app, argc, argv);

  size_t colon = target.rfind(':');
  tcp::endpoint ep(net::ip::make_address(target.substr(0, colon)),
                   static_cast<uint16_t>(std::stoi(target.substr(colon + 1))));

  // Prepare every request up front so the client spends its time on the wire.
  auto t0 = Clock::now();
  Shared s;
  {
    ftz::workload::Options wo;
    wo.seed = seed;
    wo.buyers = std::max<size_t>(1000, parcels / 4);
    wo.order_prefix = prefix;
    ftz::workload::Workload w(wo);
    const size_t group = std::max<size_t>(per_message * 8, 400);  // parcels per round of 4 kinds
    // Each group's requests, by kind (order, payment, waybill, list).
    std::vector<std::array<std::vector<Request>, 4>> groups;
    for (size_t done = 0; done < parcels; done += group) {
      std::vector<ftz::workload::Parcel> ps;
      for (size_t i = 0; i < group && done + i < parcels; ++i) ps.push_back(w.Next());
      auto& kinds = groups.emplace_back();
      size_t k = 0;
      for (ftz::MessageType t : {ftz::MessageType::kOrder, ftz::MessageType::kPayment,
                                 ftz::MessageType::kWaybill, ftz::MessageType::kInventoryList}) {
        for (const ftz::Message& m :
             ftz::workload::Workload::Messages(t, ps, per_message, seed + done)) {
          std::string body = ftz::ceb::EncodeMessageXml(m);
          std::string req = "POST /v1/messages HTTP/1.1\r\nHost: " + target +
                            "\r\nContent-Type: application/xml\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
          kinds[k].push_back({std::make_shared<const std::string>(std::move(req)), m.BlockCount(),
                              t == ftz::MessageType::kInventoryList});
        }
        ++k;
      }
    }
    if (blocks) {
      // Group after group, each kind in a block of its own.
      for (auto& kinds : groups) {
        for (auto& reqs : kinds) s.requests.insert(s.requests.end(), reqs.begin(), reqs.end());
      }
    } else {
      // Staggered: round r sends the orders of group r, the payments of
      // group r-1, the waybills of r-2 and the lists of r-3, one of each kind
      // in turn. Every parcel's documents still come in order, a group
      // apart, and the stream carries the four kinds evenly, as many
      // enterprises sending at once do. (Kind by kind, the lists came as a
      // block at four times their mean rate, and a list costs the engine
      // most: the server was over its capacity for the block's length.)
      for (size_t r = 0; r < groups.size() + 3; ++r) {
        std::array<const std::vector<Request>*, 4> lane{};
        size_t longest = 0;
        for (size_t k = 0; k < 4; ++k) {
          if (r >= k && r - k < groups.size()) {
            lane[k] = &groups[r - k][k];
            longest = std::max(longest, lane[k]->size());
          }
        }
        for (size_t i = 0; i < longest; ++i) {
          for (const auto* reqs : lane) {
            if (reqs != nullptr && i < reqs->size()) s.requests.push_back((*reqs)[i]);
          }
        }
      }
    }
  }
  size_t total_docs = 0;
  for (auto& r : s.requests) total_docs += r.documents;
  std::fprintf(stderr, "prepared %zu requests (%zu documents) in %.1f s\n", s.requests.size(),
               total_docs, std::chrono::duration<double>(Clock::now() - t0).count());

  s.pipeline = std::max<size_t>(1, pipeline);
  if (rate > 0 && s.pipeline > 1) {
    std::fprintf(stderr, "--pipeline works in closed loop only (without --rate)\n");
    return 2;
  }
  if (rate > 0) {
    double msgs_per_s = rate / static_cast<double>(per_message);
    s.interval_ns = 1e9 * connections / msgs_per_s;
  }
  if (!StockWarehouse(ep, target)) return 1;
  net::io_context ioc;
  // The generator's own CPU while it runs: it shares the machine's cores
  // with the server it measures, and what it takes the server cannot have.
  const double cpu_before = ProcessCpuSeconds();
  s.start = Clock::now() + std::chrono::milliseconds(100);
  s.end = s.start + std::chrono::seconds(seconds);
  std::vector<std::shared_ptr<Conn>> conns;
  for (int i = 0; i < connections; ++i) {
    conns.push_back(std::make_shared<Conn>(ioc, &s, i, connections));
    conns.back()->Start(ep);
  }
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  const double generator_cpu_s = ProcessCpuSeconds() - cpu_before;
  double elapsed = std::chrono::duration<double>(std::min(Clock::now(), s.end) - s.start).count();
  if (s.next >= s.requests.size())
    elapsed = std::chrono::duration<double>(Clock::now() - s.start).count();

  if (!latency_csv.empty()) {
    std::FILE* f = std::fopen(latency_csv.c_str(), "w");
    if (f == nullptr) {
      std::perror(latency_csv.c_str());
      return 2;
    }
    std::fprintf(f, "start_us,latency_us,list,late_us,backlog_us\n");
    for (auto& c : conns) {
      for (size_t i = 0; i < c->latencies_us.size(); ++i) {
        std::fprintf(f, "%u,%u,%d,%u,%u\n", c->starts_us[i], c->latencies_us[i],
                     c->is_list[i] ? 1 : 0, c->late_us[i], c->backlog_us[i]);
      }
    }
    std::fclose(f);
  }
  std::vector<uint32_t> lat, list_lat;
  for (auto& c : conns) {
    lat.insert(lat.end(), c->latencies_us.begin(), c->latencies_us.end());
    list_lat.insert(list_lat.end(), c->list_latencies_us.begin(), c->list_latencies_us.end());
  }
  // A list is answered once it is decided and its receipts are durable: the
  // list's request-to-answer time is the arrival-to-release time.
  double list_p50 = Percentile(list_lat, 0.5), list_p99 = Percentile(list_lat, 0.99);
  // The same answers less the generator's own delay before writing each (on
  // a shared machine its thread too waits for a core); the server's backlog
  // stays in. Open loop only differs.
  std::vector<uint32_t> less_generator;
  for (auto& c : conns) {
    for (size_t i = 0; i < c->latencies_us.size(); ++i) {
      less_generator.push_back(c->latencies_us[i] - std::min(c->latencies_us[i], c->late_us[i]));
    }
  }
  const double less_generator_p99 = Percentile(less_generator, 0.99);
  double p50 = Percentile(lat, 0.5), p90 = Percentile(lat, 0.9), p99 = Percentile(lat, 0.99),
         p999 = Percentile(lat, 0.999);
  uint32_t max = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  double docs_per_s = s.ok_docs / elapsed;
  // Per request answered (whatever its documents, accepted or not).
  const double generator_us_per_msg =
      lat.empty() ? 0 : generator_cpu_s * 1e6 / static_cast<double>(lat.size());
  std::printf(
      "%zu docs/message, %d connections%s%s: %.0f documents/s (%.0f messages/s) over %.1f s; "
      "latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms (%.2f ms less the generator's own delays), "
      "p99.9 %.2f ms, "
      "max %.2f ms; %llu errors; the generator used %.1f us of CPU per message\n",
      per_message, connections,
      s.pipeline > 1 ? (", pipeline " + std::to_string(s.pipeline)).c_str() : "",
      rate > 0 ? (", offered " + std::to_string((long)rate) + " docs/s").c_str() : "", docs_per_s,
      s.ok_msgs / elapsed, elapsed, p50 / 1000, p90 / 1000, p99 / 1000, less_generator_p99 / 1000,
      p999 / 1000, max / 1000.0, static_cast<unsigned long long>(s.bad.load()),
      generator_us_per_msg);
  std::printf(
      "RESULT {\"per_message\":%zu,\"connections\":%d,\"pipeline\":%zu,"
      "\"offered_docs_per_s\":%.0f,"
      "\"docs_per_s\":%.0f,\"msgs_per_s\":%.0f,\"seconds\":%.2f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,"
      "\"p99_ms\":%.3f,\"p999_ms\":%.3f,\"max_ms\":%.3f,\"list_p50_ms\":%.3f,"
      "\"list_p99_ms\":%.3f,\"p99_less_generator_ms\":%.3f,\"parcels_per_s\":%.0f,\"errors\":%llu,"
      "\"generator_cpu_us_per_msg\":%.1f}\n",
      per_message, connections, s.pipeline, rate, docs_per_s, s.ok_msgs / elapsed, elapsed,
      p50 / 1000, p90 / 1000, p99 / 1000, p999 / 1000, max / 1000.0, list_p50 / 1000,
      list_p99 / 1000, less_generator_p99 / 1000, docs_per_s / 4,
      static_cast<unsigned long long>(s.bad.load()), generator_us_per_msg);
  // Errors, or nothing answered at all (a window that is not there).
  return s.bad > 0 || s.ok_msgs == 0 ? 1 : 0;
}
