// Fuzz target: any bytes as an inbound message (XML, JSON, DXP) and as a
// receipt. Properties: no crash, no sanitizer report, and whatever decodes
// cleanly survives a round trip through both writers unchanged.
//
// libFuzzer (clang, -DFTZ_FUZZ=ON):  build/fuzz/fuzz/decode_fuzz fuzz/corpus/decode
// CI replays the committed corpus with any compiler: ctest -R decode_fuzz_replay
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ceb/ceb.h"

namespace {

void Check(bool ok, const char* what) {
  if (!ok) {
    // A property failure is a bug: stop loudly so the fuzzer keeps the input.
    __builtin_trap();
  }
  (void)what;
}

void RoundTrip(const ftz::Message& m) {
  ftz::ceb::DecodeResult x = ftz::ceb::DecodeXml(ftz::ceb::EncodeMessageXml(m));
  Check(x.ok(), "XML writer output decodes");
  Check(x.message.blocks == m.blocks && x.message.transfer == m.transfer, "XML round trip");
  ftz::ceb::DecodeResult j = ftz::ceb::DecodeJson(ftz::ceb::EncodeMessageJson(m));
  Check(j.ok(), "JSON writer output decodes");
  Check(j.message.blocks == m.blocks && j.message.transfer == m.transfer, "JSON round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(data), size);
  for (auto syntax : {ftz::ceb::Syntax::kXml, ftz::ceb::Syntax::kJson}) {
    ftz::ceb::DecodeResult d = ftz::ceb::Decode(body, syntax);
    if (d.ok()) {
      RoundTrip(d.message);
      ftz::ceb::EncodeReceiptXml(ftz::ceb::NewReceiptFor(d.message, "G"));
    } else if (d.outcome == ftz::ceb::DecodeResult::Outcome::kInvalid) {
      ftz::ceb::MakeRefusalReceipt(d, 0);
    } else {
      ftz::ceb::EncodeFormatReceiptXml(ftz::ceb::MakeFormatReceipt(d, body, 0));
    }
  }
  ftz::ReceiptMessage r;
  if (ftz::ceb::DecodeReceiptXml(body, &r).ok()) ftz::ceb::EncodeReceiptJson(r);
  return 0;
}
