// The ftzport subcommands. Each registers its options on a CLI11 app and
// returns the process exit code when run.
#pragma once

#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "clearance/rules.h"

namespace ftz::cli {

using Runner = std::function<int()>;

// A rules file's rules, or the built-in default (data/rules/default.toml) for "".
Result<clearance::Rules> LoadRules(const std::string& path);

// Checks an unsigned option's text before CLI11 converts it: a "-5" would
// otherwise wrap to a huge number.
inline CLI::Validator WholeNumber() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) {
          return "'" + s + "' is not a whole number (digits only)";
        }
        return "";
      },
      "UINT");
}

// Raises the process's soft descriptor limit to its hard one (often 1024 of
// 524288), so that a server's connection cap, derived from it, is not a few
// hundred (http/guard.h). Where refused, the old limit stays, and the cap
// follows it.
inline void RaiseDescriptorLimit() {
  if (rlimit nofile{};
      ::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &nofile);
  }
}

Runner AddServe(CLI::App& app);
Runner AddSubmit(CLI::App& app);
Runner AddGen(CLI::App& app);
Runner AddReplay(CLI::App& app);
Runner AddWitness(CLI::App& app);
Runner AddVerify(CLI::App& app);
Runner AddAudit(CLI::App& app);
Runner AddExportTiles(CLI::App& app);

}  // namespace ftz::cli
