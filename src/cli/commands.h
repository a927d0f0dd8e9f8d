// The ftzport subcommands. Each registers its options on a CLI11 app and
// returns the process exit code when run.
#pragma once

#include <CLI/CLI.hpp>

#include <functional>

namespace ftz::cli {

using Runner = std::function<int()>;

Runner AddServe(CLI::App& app);
Runner AddSubmit(CLI::App& app);
Runner AddGen(CLI::App& app);

}  // namespace ftz::cli
