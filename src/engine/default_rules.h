// The rules in force when the operator gives none: data/rules/default.toml,
// compiled in (a clearly labelled partial table; docs/clearance.md).
#pragma once

#include <string_view>

namespace ftz::engine {
std::string_view DefaultRulesToml();
}
