#include <toml++/toml.h>

#include <signal.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <type_traits>

#include "ceb/code_lists.h"
#include "clearance/rules.h"
#include "cli/commands.h"
#include "http/guard.h"
#include "node/node.h"
#include "server/api.h"
#include "server/http_server.h"
#include "witness/client.h"

namespace ftz::cli {

namespace {

struct ServeOptions {
  std::string data = "ftzport-data";
  std::string listen = "127.0.0.1:8080";
  std::string config;
  std::string codes;
  std::string rules;
  int threads = 2;
  size_t max_body_mb = 16;
  int64_t max_connections = 0;  // 0: from the descriptor limit (server::DefaultMaxConnections)
  uint64_t segment_mb = 64;
  bool preallocate = true;  // docs/log-format.md §5.1
  uint64_t snapshot_every = 1'000'000;
  std::vector<std::string> witnesses;  // "URL VKEY"
};

// SIGINT/SIGTERM before the server runs (while it recovers its state) ask
// recovery to stop; the HTTP server handles them from then on. The first
// puts both signals back to their default, so a second one of either kind
// stops the process at once (as a crash, which the log is made for).
std::atomic<bool> stop_requested{false};

extern "C" void OnStopBeforeServing(int) {
  stop_requested.store(true);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(SIGINT, &dfl, nullptr);  // async-signal-safe (POSIX)
  sigaction(SIGTERM, &dfl, nullptr);
}

void CatchStopWhileStarting() {
  struct sigaction sa {};
  sa.sa_handler = OnStopBeforeServing;
  // Both blocked while the handler runs: the other one, sent right after,
  // then meets the default it put back (not a second run of this handler).
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGINT);
  sigaddset(&sa.sa_mask, SIGTERM);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

constexpr int64_t kMaxThreads = 256;
constexpr int64_t kMaxBodyMb = 1024;
// A record's offset in its segment is 32 bits (docs/log-format.md), and a
// segment ends after the record that crosses its size: a segment stays
// under 4 GiB while its size and one record (a body at most kMaxBodyMb) do.
constexpr int64_t kMaxSegmentMb = 2048;

// The config file's values (docs: data/serve.example.toml) into `o`, except
// where the command line gave a flag (`flags`: data, listen, codes, threads,
// rules, witness). Every section and key must be one of the file's, with the
// right type: a misspelt key or a quoted number is an error, not ignored.
std::string ReadConfig(const toml::table& t, ServeOptions& o,
                       std::array<const CLI::Option*, 6> flags) {
  const std::map<std::string, std::set<std::string>> known = {
      {"data", {"dir"}},
      {"server", {"listen", "threads", "max_body_mb", "max_connections"}},
      {"log", {"segment_mb", "preallocate", "snapshot_every"}},
      {"ledger", {"witnesses"}},
      {"codes", {"dir"}},
      {"clearance", {"rules"}}};
  for (const auto& [section, node] : t) {
    auto keys = known.find(std::string(section.str()));
    if (keys == known.end()) return "unknown section [" + std::string(section.str()) + "]";
    const toml::table* table = node.as_table();
    if (table == nullptr) return "[" + keys->first + "] must be a table";
    for (const auto& [key, value] : *table) {
      if (!keys->second.count(std::string(key.str()))) {
        return "unknown key '" + std::string(key.str()) + "' in [" + keys->first + "]";
      }
    }
  }
  std::string why;
  // Whole numbers are range-checked here, before any shift or cast: the
  // command line's flags have ranges of their own (CLI::Range).
  auto get = [&](const char* section, const char* key, auto* out, const CLI::Option* flag,
                 int64_t lo = 0, int64_t hi = INT64_MAX) {
    using T = std::remove_pointer_t<decltype(out)>;
    const toml::node_view<const toml::node> v = t[section][key];
    if (!v || !why.empty() || (flag != nullptr && flag->count() > 0)) return;
    if constexpr (std::is_same_v<T, std::string>) {
      if (auto x = v.value_exact<std::string>())
        *out = *x;
      else
        why = std::string("[") + section + "] " + key + " must be a string";
    } else if constexpr (std::is_same_v<T, bool>) {
      if (auto x = v.value_exact<bool>())
        *out = *x;
      else
        why = std::string("[") + section + "] " + key + " must be true or false";
    } else {
      auto x = v.value_exact<int64_t>();
      if (!x || *x < lo || *x > hi) {
        why = std::string("[") + section + "] " + key + " must be a whole number from " +
              std::to_string(lo) + " to " + std::to_string(hi);
      } else {
        *out = static_cast<T>(*x);
      }
    }
  };
  get("data", "dir", &o.data, flags[0]);
  get("server", "listen", &o.listen, flags[1]);
  get("codes", "dir", &o.codes, flags[2]);
  get("server", "threads", &o.threads, flags[3], 1, kMaxThreads);
  get("clearance", "rules", &o.rules, flags[4]);
  get("server", "max_body_mb", &o.max_body_mb, nullptr, 1, kMaxBodyMb);
  get("server", "max_connections", &o.max_connections, nullptr, 0, 1'000'000);
  get("log", "segment_mb", &o.segment_mb, nullptr, 1, kMaxSegmentMb);
  get("log", "preallocate", &o.preallocate, nullptr);
  get("log", "snapshot_every", &o.snapshot_every, nullptr);
  if (!why.empty()) return why;
  if (const toml::node_view<const toml::node> ws = t["ledger"]["witnesses"];
      ws && flags[5]->count() == 0) {
    const toml::array* list = ws.as_array();
    if (list == nullptr) return "[ledger] witnesses must be an array of \"URL VKEY\" strings";
    for (const toml::node& w : *list) {
      auto v = w.value_exact<std::string>();
      if (!v) return "[ledger] witnesses must be strings";
      o.witnesses.push_back(*v);
    }
  }
  return "";
}

}  // namespace

Runner AddServe(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  // Flags given on the command line win over the config file.
  CLI::Option* data_opt =
      app.add_option("--data", o->data, "Data directory (log, read model)")->capture_default_str();
  CLI::Option* listen_opt =
      app.add_option("--listen", o->listen, "HOST:PORT to listen on")->capture_default_str();
  app.add_option("--config", o->config,
                 "TOML file (data/serve.example.toml): [data] dir; [server] listen, threads, "
                 "max_body_mb, max_connections; [log] segment_mb, preallocate, snapshot_every; "
                 "[codes] dir; [clearance] rules; "
                 "[ledger] witnesses");
  CLI::Option* witness_opt =
      app.add_option("--witness", o->witnesses,
                     "A witness to cosign each checkpoint: \"URL VKEY\" (e.g. \"http://"
                     "127.0.0.1:7380 $(ftzport witness --print-key)\"); repeat for more")
          ->allow_extra_args(false);
  CLI::Option* codes_opt = app.add_option(
      "--codes", o->codes, "Directory of customs code tables (CSV) replacing the built-in ones");
  CLI::Option* threads_opt = app.add_option("--threads", o->threads, "HTTP threads")
                                 ->check(CLI::Range(int64_t{1}, kMaxThreads))
                                 ->capture_default_str();
  CLI::Option* rules_opt =
      app.add_option("--rules", o->rules,
                     "Clearance rules file (TOML, docs/clearance.md); default: "
                     "the built-in partial table data/rules/default.toml");
  return [o, data_opt, listen_opt, codes_opt, threads_opt, rules_opt, witness_opt]() -> int {
    if (!o->config.empty()) {
      try {
        toml::table t = toml::parse_file(o->config);
        if (std::string why = ReadConfig(
                t, *o, {data_opt, listen_opt, codes_opt, threads_opt, rules_opt, witness_opt});
            !why.empty()) {
          std::fprintf(stderr, "ftzport serve: %s: %s\n", o->config.c_str(), why.c_str());
          return 2;
        }
      } catch (const toml::parse_error& e) {
        std::fprintf(stderr, "ftzport serve: %s: %s\n", o->config.c_str(), e.what());
        return 2;
      }
    }
    if (o->threads < 1 || o->max_body_mb < 1 || o->segment_mb < 1) {
      std::fprintf(stderr,
                   "ftzport serve: threads, max_body_mb and segment_mb must be at least 1\n");
      return 2;
    }
    if (std::error_code ec; !o->codes.empty() && !std::filesystem::is_directory(o->codes, ec)) {
      // The tables are read one file at a time and a missing file keeps the
      // built-in one: a mistyped directory would go unnoticed.
      std::fprintf(stderr, "ftzport serve: code tables: %s is not a directory\n", o->codes.c_str());
      return 2;
    }
    if (!o->codes.empty()) {
      if (Status s = ceb::LoadCodeTables(o->codes); !s.ok()) {
        std::fprintf(stderr, "ftzport serve: code tables: %s\n", s.ToString().c_str());
        return 2;
      }
    }
    std::string host;
    uint16_t port;
    if (!server::SplitHostPort(o->listen, &host, &port)) {
      std::fprintf(stderr, "ftzport serve: --listen wants HOST:PORT, got '%s'\n",
                   o->listen.c_str());
      return 2;
    }
    // Descriptors: the connection cap is derived from the limit, and the
    // storage keeps http_guard::kReservedDescriptors of them.
    RaiseDescriptorLimit();
    // The port is taken first: a taken one is reported before the data
    // directory is created or replayed (which can take minutes).
    auto bound = server::BindListenAddress(host, port);
    if (!bound.ok()) {
      std::fprintf(stderr, "ftzport serve: %s\n", bound.status().ToString().c_str());
      return 1;
    }
    node::Registry metrics;
    node::Options no;
    no.data_dir = o->data;
    if (!o->rules.empty()) {
      std::error_code ec;
      std::ifstream in(o->rules, std::ios::binary);
      if (!in || !std::filesystem::is_regular_file(o->rules, ec)) {
        std::fprintf(stderr, "ftzport serve: cannot read rules file %s (not a readable file)\n",
                     o->rules.c_str());
        return 2;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      no.rules_toml = ss.str();
      // An empty text means "the built-in rules" to the node: a named file
      // that is empty is a mistake, never that.
      if (no.rules_toml.find_first_not_of(" \t\r\n") == std::string::npos) {
        std::fprintf(stderr, "ftzport serve: rules file %s is empty\n", o->rules.c_str());
        return 2;
      }
      // Read here too, so that a bad file is a usage error naming the file
      // (exit 2), not a data directory that "cannot open" (exit 1).
      if (auto parsed = clearance::ParseRules(no.rules_toml, o->rules); !parsed.ok()) {
        std::fprintf(stderr, "ftzport serve: %s\n", parsed.status().message().c_str());
        return 2;
      }
    }
    no.log.segment_bytes = o->segment_mb << 20;
    no.log.preallocate = o->preallocate;
    no.snapshot_every = o->snapshot_every;
    for (const std::string& w : o->witnesses) {
      if (auto spec = witness::ParseWitnessSpec(w); !spec.ok()) {
        std::fprintf(stderr, "ftzport serve: --witness: %s\n", spec.status().ToString().c_str());
        return 2;
      }
    }
    no.witnesses = o->witnesses;
    no.stop_recovery = &stop_requested;
    CatchStopWhileStarting();
    auto node = node::Node::Open(no, &metrics);
    if (!node.ok() && stop_requested.load()) {
      std::printf(
          "ftzport: stopped while starting: %s (nothing is lost: the next start recovers "
          "from the log again)\nftzport: stopped\n",
          node.status().message().c_str());
      return 0;
    }
    if (!node.ok()) {
      std::fprintf(stderr, "ftzport serve: cannot open %s: %s\n", o->data.c_str(),
                   node.status().ToString().c_str());
      return 1;
    }
    const node::RecoveryReport& r = (*node)->recovery();
    std::printf(
        "ftzport: data %s: %llu records in %llu segments, engine snapshot at record %llu, "
        "%llu messages replayed, %llu receipts checked, %llu mismatches\n",
        o->data.c_str(), static_cast<unsigned long long>(r.log.records),
        static_cast<unsigned long long>(r.log.segments),
        static_cast<unsigned long long>(r.snapshot_seq),
        static_cast<unsigned long long>(r.messages_replayed),
        static_cast<unsigned long long>(r.receipts_checked),
        static_cast<unsigned long long>(r.receipt_mismatches));
    if (r.log.unstarted_segment_removed) {
      // Zeros taken for the next segment just before a crash: no record lost.
      std::printf("ftzport: removed a last segment that was never started (%s)\n",
                  r.log.torn_reason.c_str());
    } else if (r.log.torn_bytes > 0) {
      std::printf("ftzport: truncated a torn tail of %llu bytes (%s)\n",
                  static_cast<unsigned long long>(r.log.torn_bytes), r.log.torn_reason.c_str());
    }
    if (r.receipt_mismatches > 0) {
      std::fprintf(stderr,
                   "ftzport: WARNING: replay produced %llu receipts that differ from the "
                   "logged ones\n",
                   static_cast<unsigned long long>(r.receipt_mismatches));
    }
    auto feed = std::make_unique<server::ReceiptFeed>();
    (*node)->AddReceiptListener(
        [f = feed.get()](const std::vector<std::string>& cops) { f->Notify(cops); });
    server::ApiLimits limits;
    limits.max_body = o->max_body_mb << 20;
    auto api = std::make_unique<server::Api>(node->get(), &metrics, feed.get(), limits);
    server::HttpOptions http_options;
    http_options.max_connections = static_cast<int>(o->max_connections);
    auto http = std::make_unique<server::HttpServer>(api.get(), http_options);
    if (Status s = http->Listen(std::move(*bound)); !s.ok()) {
      std::fprintf(stderr, "ftzport serve: %s\n", s.ToString().c_str());
      // The same order as a stop: the node's read-model thread notifies the
      // feed, so the node goes before the feed and the Api it points to.
      feed->Shutdown();
      node->reset();
      return 1;
    }
    std::printf(
        "ftzport: single window listening on http://%s:%u (POST /v1/messages), at most %d "
        "connections\n",
        host.c_str(), http->port(), http->max_connections());
    std::fflush(stdout);
    // A cap set above what the descriptor limit leaves the storage: clients
    // could then take the descriptors the log needs (intake would stop).
    if (const uint64_t limit = http_guard::DescriptorLimit();
        o->max_connections > 0 && limit != 0 &&
        static_cast<uint64_t>(o->max_connections) + http_guard::kReservedDescriptors > limit) {
      std::fprintf(stderr,
                   "ftzport serve: warning: max_connections %lld leaves fewer than %d of the "
                   "descriptor limit %llu to the log, ledger and read model; running out of them "
                   "stops intake\n",
                   static_cast<long long>(o->max_connections), http_guard::kReservedDescriptors,
                   static_cast<unsigned long long>(limit));
    }
    // A stop asked for since recovery ended: the server stops as it starts
    // (Run returns at once), through the same shutdown as any stop. (One in
    // the instant between this check and Run's own handler is missed.)
    if (stop_requested.load()) http->Stop();
    http->Run(o->threads, /*handle_signals=*/true);
    // Shutdown order of http_server.h.
    http->Stop();
    feed->Shutdown();  // long-polls answered while the Api and the Node are there
    node->reset();
    api.reset();
    feed.reset();
    http.reset();
    std::printf("ftzport: stopped\n");
    return 0;
  };
}

}  // namespace ftz::cli
