// ftzport: the digital port of a free trade zone. See README.md.
#include <cstdio>
#include <map>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "ftzport — single window, second-level clearance and verifiable ledger of a free "
      "trade zone's digital port"};
  app.require_subcommand(1);
  std::map<CLI::App*, ftz::cli::Runner> runners;
  auto add = [&](const char* name, const char* help, ftz::cli::Runner (*fn)(CLI::App&)) {
    CLI::App* sub = app.add_subcommand(name, help);
    runners[sub] = fn(*sub);
  };
  add("serve", "Run the single window: HTTP intake, log, engine, read model", ftz::cli::AddServe);
  add("submit", "Send CEB message files to a running window and print the receipts",
      ftz::cli::AddSubmit);
  add("gen", "Write a realistic, internally consistent workload of CEB messages", ftz::cli::AddGen);
  add("replay",
      "Re-run a data directory's log through the engine and report any receipt that "
      "differs from the logged one (there must be none)",
      ftz::cli::AddReplay);
  add("verify", "Check ledger proofs offline: a proof bundle, a receipt, a newer checkpoint",
      ftz::cli::AddVerify);
  add("audit", "Recompute a stopped data directory's ledger and report the first altered record",
      ftz::cli::AddAudit);
  add("export-tiles",
      "Write the ledger's tree at its latest signed checkpoint as static tlog-tiles files",
      ftz::cli::AddExportTiles);
  add("witness", "Run a transparency-log witness that cosigns consistent checkpoints",
      ftz::cli::AddWitness);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help prints and succeeds; any usage error is exit 2, as every
    // subcommand documents (CLI11's own codes, 101–114, are not).
    return app.exit(e) == 0 ? 0 : 2;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run();
  }
  return 2;
}
