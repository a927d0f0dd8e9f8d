// How the decoder has pugixml parse a message (and the benchmark that gives
// the raw parse rate of the same bytes, bench/intake_bench.cc).
#pragma once

#include <pugixml.hpp>

namespace ftz::ceb::internal {

// parse_doctype: a DOCTYPE becomes a node, so that it can be refused.
// parse_embed_pcdata: the text of an element whose first content is text is
// kept in the element itself, not in a child node: every CEB field is
// `<name>text</name>`, so the parse makes half the nodes and the decoder
// reads a field's text without a child to find (docs/performance.md, session
// 16). The decoder checks element values where text is not allowed.
inline constexpr unsigned int kXmlParseOptions =
    pugi::parse_default | pugi::parse_doctype | pugi::parse_embed_pcdata;

}  // namespace ftz::ceb::internal
