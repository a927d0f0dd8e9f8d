// The ftzport subcommands. Each registers its options on a CLI11 app and
// returns the process exit code when run.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "clearance/rules.h"

namespace ftz::cli {

using Runner = std::function<int()>;

// A rules file's rules, or the built-in default (data/rules/default.toml) for "".
Result<clearance::Rules> LoadRules(const std::string& path);

Runner AddServe(CLI::App& app);
Runner AddSubmit(CLI::App& app);
Runner AddGen(CLI::App& app);
Runner AddReplay(CLI::App& app);
Runner AddWitness(CLI::App& app);
Runner AddVerify(CLI::App& app);
Runner AddAudit(CLI::App& app);
Runner AddExportTiles(CLI::App& app);

}  // namespace ftz::cli
