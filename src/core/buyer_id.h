// A buyer's identity as the annual limit counts it.
//
// A resident ID card number (GB 11643: 17 digits and a check character, 'X'
// standing for 10) is written by some platforms with a lower-case 'x'. Both
// spellings are the same person, so the quota book, the read model's quota
// rows and the quota query all count the number with its check character
// upper-cased; otherwise a buyer could split one annual total in two by the
// case of one letter. Nothing else is changed: the documents keep the number
// as declared, and the match rules compare it as declared.
//
// Header-only; no allocation (the quota book looks a buyer up per list).
#pragma once

#include <cstring>
#include <string_view>

namespace ftz {

// `id` itself, or (an 18-character number ending in 'x') a copy in `buf`
// ending in 'X'. The result points into `id` or `buf`: both must outlive it.
inline std::string_view CanonicalBuyerId(std::string_view id, char (&buf)[18]) {
  if (id.size() != 18 || id[17] != 'x') return id;
  std::memcpy(buf, id.data(), 17);
  buf[17] = 'X';
  return {buf, 18};
}

}  // namespace ftz
