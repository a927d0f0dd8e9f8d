#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/commands.h"
#include "engine/default_rules.h"
#include "node/replay.h"

namespace ftz::cli {

// Reads a rules file, or the built-in default when `path` is empty.
Result<clearance::Rules> LoadRules(const std::string& path) {
  std::string text(engine::DefaultRulesToml());
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::NotFound("cannot read rules file " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  return clearance::ParseRules(text, path.empty() ? "default rules" : path);
}

Runner AddReplay(CLI::App& app) {
  struct Opts {
    std::string data = "ftzport-data";
    std::string rules;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--data", o->data, "Data directory of a window (read only)")
      ->capture_default_str();
  app.add_option("--rules", o->rules,
                 "Decide the whole log under this rules file instead of the rules the log "
                 "recorded at each start (a what-if; also for logs from before they were "
                 "recorded; default: the recorded rules, else the built-in file)");
  return [o]() -> int {
    auto rules = LoadRules(o->rules);
    if (!rules.ok()) {
      std::fprintf(stderr, "ftzport replay: %s\n", rules.status().ToString().c_str());
      return 2;
    }
    clearance::RuleBook book;
    if (Status s = book.Add(std::move(*rules)); !s.ok()) {
      std::fprintf(stderr, "ftzport replay: %s\n", s.ToString().c_str());
      return 2;
    }
    engine::Engine engine(&book);
    node::Replayer replayer(&engine);
    if (!o->rules.empty()) replayer.KeepEngineRules();
    uint64_t records = 0;
    Status st =
        stream::Log::Scan(Env::Default(), o->data + "/log", 0, [&](const stream::Record& r) {
          ++records;
          return replayer.Visit(r);
        });
    if (!st.ok()) {
      // Exit 1 says a receipt differs; a log that cannot be read (missing,
      // damaged) is 2, as for audit.
      std::fprintf(stderr, "ftzport replay: after %llu records: %s\n",
                   static_cast<unsigned long long>(records), st.ToString().c_str());
      return 2;
    }
    std::printf(
        "replayed %llu records: %llu messages, %llu ticks; %llu receipts compared, "
        "%llu differ; %zu owed receipts not in the log\n",
        static_cast<unsigned long long>(records),
        static_cast<unsigned long long>(replayer.messages()),
        static_cast<unsigned long long>(replayer.ticks()),
        static_cast<unsigned long long>(replayer.receipts_checked()),
        static_cast<unsigned long long>(replayer.mismatches()), replayer.owed().size());
    for (const node::ReplayMismatch& m : replayer.first_mismatches()) {
      std::printf("record %llu differs:\n  logged:   %s\n  replayed: %s\n",
                  static_cast<unsigned long long>(m.seq), m.logged.c_str(), m.replayed.c_str());
    }
    return replayer.mismatches() == 0 ? 0 : 1;
  };
}

}  // namespace ftz::cli
