// Fuzz target: any bytes as a signed note / checkpoint as another port or an
// auditor receives it (GET /checkpoint, a cosigned checkpoint from a witness,
// a verifier key published by a peer), verified against the fixed log key of
// fuzz_fixture.h. Entry points: ledger::ParseNote, FormatNote, OpenNote,
// AddSignatures, ParseCheckpoint, FormatCheckpoint, OpenCheckpoint,
// Verifier::Parse, witness::CosignatureVerifier::Parse and VerifyNote.
//
// Properties (besides no crash and no sanitizer report):
//  * ParseNote/FormatNote and ParseCheckpoint/FormatCheckpoint round-trip
//    byte for byte (every accepted spelling is the canonical one);
//  * OpenNote accepts only what ParseNote accepts, counts each trusted key
//    once, every verified signature verifies, and an Ed25519 signature that
//    verifies is the one signature the key makes (no malleability);
//  * OpenCheckpoint agrees with OpenNote + ParseCheckpoint and the origin;
//  * a witness cosignature accepted by VerifyNote is the witness's own line;
//  * AddSignatures keeps the text and yields a note the added key opens;
//  * a parsed verifier key prints back to a key that parses to the same key.
//
// libFuzzer (clang, -DFTZ_FUZZ=ON):  build/fuzz/fuzz/note_fuzz fuzz/corpus/note
// CI replays the committed corpus with any compiler: ctest -R note_fuzz_replay
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz_fixture.h"
#include "ledger/checkpoint.h"
#include "ledger/note.h"
#include "witness/cosignature.h"

namespace {

using ftz::StatusCode;
using ftz::fuzzing::Check;
namespace ledger = ftz::ledger;
namespace witness = ftz::witness;

struct Fixture {
  ledger::Signer ed = ftz::fuzzing::LogEd25519();
  ledger::Signer sm2 = ftz::fuzzing::LogSm2();
  ledger::VerifierSet known = ftz::fuzzing::LogVerifiers();
  ledger::VerifierSet ed_only;
  witness::CosignatureSigner witness_signer =
      ftz::fuzzing::Must(witness::CosignatureSigner::FromSeed(ftz::fuzzing::kWitnessName,
                                                              ftz::fuzzing::WitnessSeed()));
  Fixture() {
    if (!ed_only.Add(ed.verifier()).ok()) __builtin_trap();
  }
};

const Fixture& F() {
  static const Fixture* f = new Fixture();
  return *f;
}

void CheckNoteRoundTrip(std::string_view in, const ledger::Note& note) {
  ftz::Result<std::string> out = ledger::FormatNote(note);
  Check(out.ok(), "a parsed note formats");
  Check(*out == in, "note round trip is byte for byte");
  ftz::Result<ledger::Note> again = ledger::ParseNote(*out);
  Check(again.ok() && again->text == note.text && again->signatures == note.signatures,
        "a formatted note parses to itself");
}

void CheckCheckpointRoundTrip(std::string_view text) {
  ftz::Result<ledger::Checkpoint> cp = ledger::ParseCheckpoint(text);
  if (!cp.ok()) {
    Check(cp.status().code() == StatusCode::kInvalidArgument, "checkpoint errors are 400s");
    return;
  }
  ftz::Result<std::string> out = ledger::FormatCheckpoint(*cp);
  Check(out.ok(), "a parsed checkpoint formats");
  Check(*out == text, "checkpoint round trip is byte for byte");
}

void CheckOpen(std::string_view in, const ftz::Result<ledger::Note>& parsed) {
  const Fixture& f = F();
  ftz::Result<ledger::VerifiedNote> v = ledger::OpenNote(in, f.known);
  if (!v.ok()) {
    // Syntax errors are exactly ParseNote's; a verification failure needs a
    // note that parses.
    if (v.status().code() == StatusCode::kInvalidArgument) {
      Check(!parsed.ok(), "OpenNote's syntax errors are ParseNote's");
    } else {
      Check(v.status().code() == StatusCode::kFailedPrecondition && parsed.ok(),
            "OpenNote fails verification only on a parsed note");
    }
  } else {
    Check(parsed.ok(), "OpenNote accepts only what ParseNote accepts");
    Check(v->text == parsed->text, "verified text is the note's text");
    Check(!v->verified.empty(), "at least one trusted signature");
    std::set<std::pair<std::string, uint32_t>> seen;
    for (const ledger::NoteSignature& s : v->verified) {
      Check(seen.insert({s.name, s.key_id}).second, "each key counted once");
      const ledger::Verifier* k = f.known.Find(s.name, s.key_id);
      Check(k != nullptr, "verified by a trusted key");
      Check(k->Verify(v->text, s.signature), "verified signature verifies");
      if (k->type() == ledger::KeyType::kEd25519) {
        // Ed25519 is deterministic and OpenSSL rejects non-canonical S: the
        // only signature that verifies is the one the key makes.
        ftz::Result<std::string> mine = f.ed.Sign(v->text);
        Check(mine.ok() && *mine == s.signature, "no second Ed25519 signature verifies");
      }
      Check(std::find(parsed->signatures.begin(), parsed->signatures.end(), s) !=
                parsed->signatures.end(),
            "verified signature is one of the note's");
    }
    for (const ledger::NoteSignature& s : v->unverified) {
      Check(f.known.Find(s.name, s.key_id) == nullptr, "unverified means unknown key");
    }
  }

  for (std::string_view origin : {std::string_view(), std::string_view(ftz::fuzzing::kLogOrigin)}) {
    ftz::Result<ledger::VerifiedCheckpoint> cp = ledger::OpenCheckpoint(in, f.known, origin);
    if (!cp.ok()) continue;
    Check(v.ok(), "OpenCheckpoint accepts only verified notes");
    ftz::Result<ledger::Checkpoint> plain = ledger::ParseCheckpoint(v->text);
    Check(plain.ok() && *plain == cp->checkpoint, "OpenCheckpoint parses the verified text");
    Check(origin.empty() || cp->checkpoint.origin == origin, "expected origin enforced");
    Check(cp->note.text == v->text, "same text");
  }
}

void CheckCosignature(std::string_view in, const ftz::Result<ledger::Note>& parsed) {
  const Fixture& f = F();
  ftz::Result<uint64_t> ts = f.witness_signer.verifier().VerifyNote(in);
  if (!ts.ok()) return;
  Check(parsed.ok(), "a cosigned note parses");
  // Ed25519 again: the accepted line is the one the witness makes.
  ftz::Result<std::string> line = f.witness_signer.SignLine(parsed->text, *ts);
  Check(line.ok(), "witness signs");
  ftz::Result<ledger::Note> own = ledger::ParseNote(parsed->text + "\n" + *line);
  Check(own.ok() && own->signatures.size() == 1, "witness line parses");
  Check(std::find(parsed->signatures.begin(), parsed->signatures.end(), own->signatures[0]) !=
            parsed->signatures.end(),
        "accepted cosignature is the witness's own line");
}

void CheckAddSignatures(std::string_view in, const ftz::Result<ledger::Note>& parsed) {
  const Fixture& f = F();
  ftz::Result<std::string> added = ledger::AddSignatures(in, std::span(&f.ed, 1));
  if (!added.ok()) {
    Check(!parsed.ok() || parsed->signatures.size() >= ledger::kMaxNoteSignatures ||
              added.status().code() != StatusCode::kInvalidArgument,
          "AddSignatures refuses only bad notes");
    return;
  }
  Check(parsed.ok(), "AddSignatures accepts only notes that parse");
  ftz::Result<ledger::VerifiedNote> v = ledger::OpenNote(*added, f.ed_only);
  Check(v.ok(), "the added key opens the result");
  Check(v->text == parsed->text, "AddSignatures keeps the text");
}

void CheckKeys(std::string_view in) {
  if (in.size() > 512 || in.find('\n') != std::string_view::npos) return;
  ftz::Result<ledger::Verifier> v = ledger::Verifier::Parse(in);
  if (v.ok()) {
    ftz::Result<ledger::Verifier> again = ledger::Verifier::Parse(v->ToString());
    Check(again.ok() && again->name() == v->name() && again->key_id() == v->key_id() &&
              again->encoded_key() == v->encoded_key() && again->type() == v->type(),
          "verifier key round trip");
  }
  ftz::Result<witness::CosignatureVerifier> c = witness::CosignatureVerifier::Parse(in);
  if (c.ok()) {
    ftz::Result<witness::CosignatureVerifier> again =
        witness::CosignatureVerifier::Parse(c->ToString());
    Check(again.ok() && again->name() == c->name() && again->key_id() == c->key_id(),
          "cosignature verifier key round trip");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  ftz::Result<ledger::Note> parsed = ledger::ParseNote(in);
  if (parsed.ok()) {
    CheckNoteRoundTrip(in, *parsed);
    CheckCheckpointRoundTrip(parsed->text);
  } else {
    Check(parsed.status().code() == StatusCode::kInvalidArgument, "note errors are 400s");
  }
  CheckCheckpointRoundTrip(in);  // a bare checkpoint text
  CheckOpen(in, parsed);
  CheckCosignature(in, parsed);
  CheckAddSignatures(in, parsed);
  CheckKeys(in);
  return 0;
}
