// ftzport witness: a small c2sp.org/tlog-witness witness. It follows the logs
// given with --log, cosigns each checkpoint that is consistent with the last
// one it cosigned, and keeps that state durably in DIR (witness/witness.h).
#include <cstdio>

#include "cli/commands.h"
#include "server/http_server.h"
#include "witness/server.h"
#include "witness/witness.h"

namespace ftz::cli {

Runner AddWitness(CLI::App& app) {
  struct Opts {
    std::string data = "witness-data";
    std::string listen = "127.0.0.1:7380";
    std::string name = "ftzport.local/witness";
    std::vector<std::string> logs;
    bool print_key = false;
    int threads = 1;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--data", o->data, "Directory of the witness's key and state")
      ->capture_default_str();
  app.add_option("--listen", o->listen, "HOST:PORT to listen on (POST /add-checkpoint)")
      ->capture_default_str();
  app.add_option("--name", o->name,
                 "The witness's key name, used when its key is made (first start)")
      ->capture_default_str();
  app.add_option("--log", o->logs,
                 "A log to witness: \"ORIGIN VKEY\" or just \"VKEY\" (origin = the key's name), "
                 "or several such lines (what GET /tlog/key serves); repeat for more logs")
      ->allow_extra_args(false);
  app.add_flag("--print-key", o->print_key,
               "Print the witness's verifier key (made on first use) and exit");
  app.add_option("--threads", o->threads, "HTTP threads")->capture_default_str();
  return [o]() -> int {
    auto key = witness::LoadOrCreateKey(o->data + "/witness.key", o->name);
    if (!key.ok()) {
      std::fprintf(stderr, "ftzport witness: key: %s\n", key.status().ToString().c_str());
      return 1;
    }
    if (o->print_key) {
      std::printf("%s\n", key->verifier().ToString().c_str());
      return 0;
    }
    std::vector<witness::KnownLog> logs;
    for (const std::string& spec : o->logs) {
      auto log = witness::ParseLogSpec(spec);
      if (!log.ok()) {
        std::fprintf(stderr, "ftzport witness: --log: %s\n", log.status().ToString().c_str());
        return 2;
      }
      logs.push_back(std::move(*log));
    }
    if (logs.empty()) {
      std::fprintf(stderr, "ftzport witness: give at least one --log \"ORIGIN VKEY\"\n");
      return 2;
    }
    std::string host;
    uint16_t port;
    if (!server::SplitHostPort(o->listen, &host, &port)) {
      std::fprintf(stderr, "ftzport witness: --listen wants HOST:PORT, got '%s'\n",
                   o->listen.c_str());
      return 2;
    }
    auto w = witness::Witness::Open(nullptr, o->data, *key, logs, witness::SystemSeconds);
    if (!w.ok()) {
      std::fprintf(stderr, "ftzport witness: cannot open %s: %s\n", o->data.c_str(),
                   w.status().ToString().c_str());
      return 1;
    }
    RaiseDescriptorLimit();  // the connection cap follows it (http/guard.h)
    witness::WitnessServer http(w->get());
    if (Status s = http.Listen(host, port); !s.ok()) {
      std::fprintf(stderr, "ftzport witness: %s\n", s.ToString().c_str());
      return 1;
    }
    std::printf(
        "ftzport: witness %s listening on http://%s:%u (POST /add-checkpoint), "
        "%zu log(s)\n",
        key->verifier().ToString().c_str(), host.c_str(), http.port(), logs.size());
    std::fflush(stdout);
    http.Run(o->threads, /*handle_signals=*/true);
    std::printf("ftzport: witness stopped\n");
    return 0;
  };
}

}  // namespace ftz::cli
