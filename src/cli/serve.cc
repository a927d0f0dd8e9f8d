#include <toml++/toml.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "ceb/code_lists.h"
#include "cli/commands.h"
#include "node/node.h"
#include "server/api.h"
#include "server/http_server.h"
#include "witness/client.h"

namespace ftz::cli {

Runner AddServe(CLI::App& app) {
  struct Opts {
    std::string data = "data";
    std::string listen = "127.0.0.1:8080";
    std::string config;
    std::string codes;
    std::string rules;
    int threads = 2;
    size_t max_body_mb = 16;
    uint64_t segment_mb = 64;
    bool preallocate = true;  // docs/log-format.md §5.1
    uint64_t snapshot_every = 1'000'000;
    std::vector<std::string> witnesses;  // "URL VKEY"
  };
  auto o = std::make_shared<Opts>();
  // Flags given on the command line win over the config file.
  CLI::Option* data_opt =
      app.add_option("--data", o->data, "Data directory (log, read model)")->capture_default_str();
  CLI::Option* listen_opt =
      app.add_option("--listen", o->listen, "HOST:PORT to listen on")->capture_default_str();
  app.add_option(
      "--config", o->config,
      "TOML file (data/serve.example.toml): [data] dir; [server] listen, threads, "
      "max_body_mb; [log] segment_mb, preallocate, snapshot_every; [codes] dir; [clearance] rules; "
      "[ledger] witnesses");
  CLI::Option* witness_opt =
      app.add_option("--witness", o->witnesses,
                     "A witness to cosign each checkpoint: \"URL VKEY\" (e.g. \"http://"
                     "127.0.0.1:7380 $(ftzport witness --print-key)\"); repeat for more")
          ->allow_extra_args(false);
  CLI::Option* codes_opt = app.add_option(
      "--codes", o->codes, "Directory of customs code tables (CSV) replacing the built-in ones");
  CLI::Option* threads_opt =
      app.add_option("--threads", o->threads, "HTTP threads")->capture_default_str();
  CLI::Option* rules_opt =
      app.add_option("--rules", o->rules,
                     "Clearance rules file (TOML, docs/clearance.md); default: "
                     "the built-in partial table data/rules/default.toml");
  return [o, data_opt, listen_opt, codes_opt, threads_opt, rules_opt, witness_opt]() -> int {
    if (!o->config.empty()) {
      try {
        toml::table t = toml::parse_file(o->config);
        if (!listen_opt->count()) o->listen = t["server"]["listen"].value_or(o->listen);
        if (!threads_opt->count()) o->threads = t["server"]["threads"].value_or(o->threads);
        o->max_body_mb = t["server"]["max_body_mb"].value_or(o->max_body_mb);
        o->segment_mb = t["log"]["segment_mb"].value_or(o->segment_mb);
        o->preallocate = t["log"]["preallocate"].value_or(o->preallocate);
        o->snapshot_every = t["log"]["snapshot_every"].value_or(o->snapshot_every);
        if (!codes_opt->count()) o->codes = t["codes"]["dir"].value_or(o->codes);
        if (!data_opt->count()) o->data = t["data"]["dir"].value_or(o->data);
        if (!rules_opt->count()) o->rules = t["clearance"]["rules"].value_or(o->rules);
        if (const toml::array* ws = t["ledger"]["witnesses"].as_array();
            ws && !witness_opt->count()) {
          for (const toml::node& w : *ws) {
            auto v = w.value<std::string>();
            if (!v) {
              std::fprintf(stderr, "ftzport serve: %s: [ledger] witnesses must be strings\n",
                           o->config.c_str());
              return 2;
            }
            o->witnesses.push_back(*v);
          }
        }
      } catch (const toml::parse_error& e) {
        std::fprintf(stderr, "ftzport serve: %s: %s\n", o->config.c_str(), e.what());
        return 2;
      }
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
    node::Registry metrics;
    node::Options no;
    no.data_dir = o->data;
    if (!o->rules.empty()) {
      std::ifstream in(o->rules, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "ftzport serve: cannot read rules file %s\n", o->rules.c_str());
        return 2;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      no.rules_toml = ss.str();
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
    auto node = node::Node::Open(no, &metrics);
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
    if (r.log.torn_bytes > 0) {
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
    auto http = std::make_unique<server::HttpServer>(api.get(), server::HttpOptions{});
    if (Status s = http->Listen(host, port); !s.ok()) {
      std::fprintf(stderr, "ftzport serve: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf("ftzport: single window listening on http://%s:%u (POST /v1/messages)\n",
                host.c_str(), http->port());
    std::fflush(stdout);
    http->Run(o->threads, /*handle_signals=*/true);
    // Shutdown order of http_server.h.
    http->Stop();
    node->reset();
    api.reset();
    feed.reset();
    http.reset();
    std::printf("ftzport: stopped\n");
    return 0;
  };
}

}  // namespace ftz::cli
