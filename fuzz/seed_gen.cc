// Writes the seed corpora of note_fuzz, proof_bundle_fuzz, merkle_proof_fuzz,
// witness_fuzz and rules_fuzz (fuzz/README.md): real inputs made with the
// project's own code and fuzz_fixture.h's fixed keys, and hostile variants.
//
//   seed_gen SOURCE_DIR OUT_DIR     (writes OUT_DIR/<target>/...)
//
// Ed25519 signatures are deterministic; SM2 ones are not, so a rerun changes
// the bytes of SM2-signed seeds but not what they exercise.
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_fixture.h"
#include "ledger/checkpoint.h"
#include "ledger/encoding.h"
#include "ledger/note.h"
#include "ledger/proof.h"
#include "ledger/proof_bundle.h"
#include "node/record_proof.h"
#include "record_log.h"
#include "witness/cosignature.h"

namespace {

using namespace ftz;
using namespace ftz::fuzzing;
namespace fs = std::filesystem;

fs::path g_out;

void Write(const std::string& target, const std::string& name, const std::string& bytes) {
  fs::create_directories(g_out / target);
  std::ofstream f(g_out / target / name, std::ios::binary);
  f << bytes;
  if (!f) {
    std::cerr << "cannot write " << (g_out / target / name) << "\n";
    std::exit(1);
  }
}

std::string ReadFile(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) {
    std::cerr << "cannot read " << p << "\n";
    std::exit(1);
  }
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string Sign(const ledger::Checkpoint& cp, const std::vector<ledger::Signer>& signers) {
  return Must(ledger::SignCheckpoint(cp, signers));
}

witness::CosignatureSigner Witness() {
  return Must(witness::CosignatureSigner::FromSeed(kWitnessName, WitnessSeed()));
}

std::string Cosign(const std::string& signed_note) {
  ledger::Note n = Must(ledger::ParseNote(signed_note));
  return signed_note + Must(Witness().SignLine(n.text, kWitnessTime));
}

// Replaces the first occurrence of `from` (which must occur).
std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  if (at == std::string::npos) std::abort();
  return s.replace(at, from.size(), to);
}

// Flips one bit inside the base64 of the first signature line.
std::string CorruptFirstSignature(const std::string& note) {
  size_t at = note.find("\n\n\xe2\x80\x94 ");
  at = note.find(' ', at + 6) + 10;
  std::string out = note;
  out[at] = out[at] == 'A' ? 'B' : 'A';
  return out;
}

// ---------------- note ----------------

void Notes(const std::string& src) {
  const std::string t = "note";
  const ledger::MemoryTree tree = TreeOf(LeafDatas(false));
  const ledger::Signer ed = LogEd25519(), sm2 = LogSm2(), stranger = StrangerEd25519();
  const ledger::Checkpoint cp8 = CheckpointAt(tree, 8);
  const std::string both = Sign(cp8, {ed, sm2});
  Write(t, "checkpoint-8-ed25519-sm2.txt", both);
  Write(t, "checkpoint-8-ed25519.txt", Sign(cp8, {ed}));
  Write(t, "checkpoint-8-sm2.txt", Sign(cp8, {sm2}));
  Write(t, "checkpoint-0-empty-tree.txt", Sign(CheckpointAt(tree, 0), {ed}));
  Write(t, "checkpoint-70-cosigned.txt", Cosign(Sign(CheckpointAt(tree, 70), {ed, sm2})));
  ledger::Checkpoint ext = CheckpointAt(tree, 13);
  ext.extensions = {"timestamp 1700000000", "\xe6\xb5\xb7\xe5\x85\xb3 extension"};
  Write(t, "checkpoint-13-extensions.txt", Sign(ext, {ed}));
  Write(t, "checkpoint-8-stranger-only.txt", Sign(cp8, {stranger}));
  Write(t, "checkpoint-8-stranger-and-log.txt", Sign(cp8, {stranger, ed}));
  Write(t, "checkpoint-8-bad-ed25519-signature.txt", CorruptFirstSignature(Sign(cp8, {ed, sm2})));
  Write(t, "checkpoint-8-bad-sm2-signature.txt", CorruptFirstSignature(Sign(cp8, {sm2, ed})));
  Write(t, "checkpoint-8-text.txt", Must(ledger::FormatCheckpoint(cp8)));
  Write(t, "vkey-log-ed25519.txt", ed.verifier().ToString());
  Write(t, "vkey-log-sm2.txt", sm2.verifier().ToString());
  Write(t, "vkey-witness.txt", Witness().verifier().ToString());
  // Go's golang.org/x/mod/sumdb/note documentation example (note_test.cc):
  // signed by keys nobody here trusts.
  Write(t, "go-sumdb-note-example.txt",
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
        "\n"
        "\xe2\x80\x94 PeterNeumann "
        "x08go/ZJkuBS9UG/"
        "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
        "\xe2\x80\x94 EnochRoot "
        "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
        "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n");
  Write(t, "go-sumdb-vkey-example.txt",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW");

  // Hostile.
  const std::string text = Must(ledger::FormatCheckpoint(cp8));
  const std::string sigs = both.substr(text.size() + 1);
  Write(t, "hostile-no-blank-line.txt", text + sigs);
  Write(t, "hostile-crlf.txt", Replace(Replace(both, "\n", "\r\n"), "\n\n", "\r\n\r\n"));
  Write(t, "hostile-no-final-newline.txt", both.substr(0, both.size() - 1));
  Write(t, "hostile-ascii-dash.txt", Replace(both, "\xe2\x80\x94", "--"));
  Write(t, "hostile-same-key-twice.txt", both + sigs.substr(0, sigs.find('\n') + 1));
  std::string many = text + "\n";
  for (int i = 0; i < 101; ++i) many += sigs.substr(0, sigs.find('\n') + 1);
  Write(t, "hostile-101-signatures.txt", many);
  Write(t, "hostile-size-leading-zero.txt", Replace(both, "\n8\n", "\n08\n"));
  Write(t, "hostile-size-2-to-64.txt", Replace(both, "\n8\n", "\n18446744073709551616\n"));
  Write(t, "hostile-overlong-utf8.txt", Replace(both, "fuzz", "\xc0\xafuzz"));
  Write(t, "hostile-control-char.txt", Replace(both, "fuzz", "fu\x01z"));
  // Non-canonical base64: the last signature's padding hides non-zero bits.
  {
    std::string s = both;
    size_t eq = s.rfind("=\n");
    s[eq - 1] = static_cast<char>(s[eq - 1] + 1);
    Write(t, "hostile-noncanonical-base64.txt", s);
  }
  Write(t, "hostile-short-signature.txt", text + "\n\xe2\x80\x94 fuzz.example/log AAAAAA==\n");
  Write(t, "hostile-empty-text.txt", "\n\n" + sigs);
  {
    std::string v = ed.verifier().ToString();
    size_t p = v.find('+') + 1;
    for (size_t i = p; i < p + 8; ++i) v[i] = static_cast<char>(std::toupper(v[i]));
    Write(t, "hostile-vkey-uppercase-hex.txt", v);
  }
  (void)src;
}

// ---------------- proof_bundle ----------------

void Bundles() {
  const std::string t = "proof_bundle";
  const ledger::MemoryTree tree = RecordTree();
  const std::vector<ledger::Signer> keys = {LogEd25519(kRecordsOrigin), LogSm2(kRecordsOrigin)};
  auto bundle = [&](uint64_t seq, uint64_t size, const std::vector<ledger::Signer>& signers) {
    const std::string cp = Sign(CheckpointAt(tree, size, kRecordsOrigin), signers);
    return Must(
        node::MakeRecordBundle(RecordOf(seq), Must(ledger::InclusionProof(seq, size, tree)), cp));
  };
  Write(t, "record-0-of-1.txt", bundle(0, 1, keys));
  Write(t, "record-5-of-13.txt", bundle(5, 13, keys));
  Write(t, "record-12-of-13-ed25519.txt", bundle(12, 13, {keys[0]}));
  Write(t, "record-20-of-21-sm2.txt", bundle(20, 21, {keys[1]}));
  Write(t, "record-7-of-21.txt", bundle(7, 21, keys));
  Write(t, "record-3-of-8-cosigned.txt",
        Must(node::MakeRecordBundle(RecordOf(3), Must(ledger::InclusionProof(3, 8, tree)),
                                    Cosign(Sign(CheckpointAt(tree, 8, kRecordsOrigin), keys)))));
  {
    ledger::ProofBundle b;  // no extra: proves a leaf index only
    b.index = 9;
    b.proof = Must(ledger::InclusionProof(9, 16, tree));
    b.checkpoint = Sign(CheckpointAt(tree, 16, kRecordsOrigin), keys);
    Write(t, "leaf-9-of-16-no-extra.txt", Must(ledger::EncodeProofBundle(b)));
  }

  // Hostile.
  const std::string good = bundle(5, 13, keys);
  Write(t, "hostile-index-6.txt", Replace(good, "\nindex 5\n", "\nindex 6\n"));
  Write(t, "hostile-index-leading-zero.txt", Replace(good, "\nindex 5\n", "\nindex 05\n"));
  Write(t, "hostile-index-2-to-64.txt",
        Replace(good, "\nindex 5\n", "\nindex 18446744073709551615\n"));
  {
    // The extra of record 6 with record 5's proof and index.
    const std::string other = bundle(6, 13, keys);
    const size_t a = other.find("extra "), b = other.find('\n', a);
    const size_t c = good.find("extra "), d = good.find('\n', c);
    std::string s = good;
    s.replace(c, d - c, other.substr(a, b - a));
    Write(t, "hostile-extra-of-another-record.txt", s);
  }
  Write(t, "hostile-extra-bad-base64.txt", Replace(good, "extra ", "extra !"));
  Write(t, "hostile-truncated.txt", good.substr(0, good.size() / 2));
  Write(t, "hostile-no-final-newline.txt", good.substr(0, good.size() - 1));
  Write(t, "hostile-header-v2.txt", Replace(good, "tlog-proof@v1", "tlog-proof@v2"));
  {
    std::string s = good;
    const size_t at = s.find("\n\n");
    std::string lines;
    for (int i = 0; i < 64; ++i) lines += "\n" + ledger::Base64Encode(std::string(32, 'x'));
    s.insert(at, lines);
    Write(t, "hostile-64-proof-hashes.txt", s);
  }
  Write(t, "hostile-short-hash.txt",
        Replace(good, "\n\n", "\n" + ledger::Base64Encode(std::string(31, 'x')) + "\n\n"));
  Write(t, "hostile-wrong-origin.txt",
        Must(node::MakeRecordBundle(
            RecordOf(5), Must(ledger::InclusionProof(5, 13, tree)),
            Sign(CheckpointAt(tree, 13, kLogOrigin), {LogEd25519(), LogSm2()}))));
  Write(t, "hostile-stranger-key.txt",
        Must(node::MakeRecordBundle(
            RecordOf(5), Must(ledger::InclusionProof(5, 13, tree)),
            Sign(CheckpointAt(tree, 13, kRecordsOrigin), {StrangerEd25519(kRecordsOrigin)}))));
  Write(t, "hostile-only-header.txt", std::string(ledger::kProofBundleHeader) + "\n");
}

// ---------------- merkle_proof ----------------

void MerkleProofs() {
  const std::string t = "merkle_proof";
  const ledger::MemoryTree tree = TreeOf(LeafDatas(false));
  auto incl = [&](uint64_t index, uint64_t size, int extra, uint8_t leaf_sel) {
    const uint64_t len = ledger::InclusionProofLength(index, size);
    std::string s = {0, static_cast<char>(size - 1), static_cast<char>(index),
                     static_cast<char>(leaf_sel), static_cast<char>(len + extra)};
    for (uint64_t i = 0; i < len + extra; ++i) s.push_back(static_cast<char>(i));
    return s;
  };
  auto cons = [&](uint64_t size1, uint64_t size2, int extra, uint8_t root_sel) {
    const uint64_t len = ledger::ConsistencyProofLength(size1, size2);
    std::string s = {1, static_cast<char>(size1), static_cast<char>(size2),
                     static_cast<char>(root_sel), static_cast<char>(len + extra)};
    for (uint64_t i = 0; i < len + extra; ++i) s.push_back(static_cast<char>(i));
    return s;
  };
  for (auto [i, n] : {std::pair<uint64_t, uint64_t>{0, 1},
                      {0, 8},
                      {5, 13},
                      {64, 70},
                      {69, 70},
                      {6, 7},
                      {31, 64}}) {
    Write(t, "inclusion-" + std::to_string(i) + "-of-" + std::to_string(n) + ".bin",
          incl(i, n, 0, 0));
  }
  for (auto [m, n] : {std::pair<uint64_t, uint64_t>{1, 2},
                      {3, 8},
                      {4, 8},
                      {7, 70},
                      {64, 70},
                      {13, 21},
                      {0, 5},
                      {8, 8}}) {
    Write(t, "consistency-" + std::to_string(m) + "-to-" + std::to_string(n) + ".bin",
          cons(m, n, 0, 0));
  }
  // Hostile: one hash too many / too few, an index past the end, an interior
  // node as the leaf, swapped hashes, a wrong old root, the old size above
  // the new.
  Write(t, "hostile-inclusion-extra-hash.bin", incl(5, 13, 1, 0));
  Write(t, "hostile-inclusion-missing-hash.bin", incl(5, 13, -1, 0));
  Write(t, "hostile-inclusion-index-past-end.bin", incl(13, 13, 0, 0));
  {
    std::string s = incl(4, 8, 0, 0x80 | 72);  // the leaf: a pool hash, not leaf 4
    Write(t, "hostile-inclusion-pool-hash-as-leaf.bin", s);
    s = incl(5, 13, 0, 0);
    std::swap(s[5], s[6]);
    Write(t, "hostile-inclusion-swapped.bin", s);
  }
  Write(t, "hostile-consistency-extra-hash.bin", cons(3, 8, 1, 0));
  Write(t, "hostile-consistency-wrong-old-root.bin", cons(3, 8, 0, 0xff));
  Write(t, "hostile-consistency-old-above-new.bin", cons(9, 8, 0, 0));
  // Raw modes: sizes at the edges of 2^63, exact-length proofs.
  auto u64 = [](uint64_t v) {
    std::string s;
    for (int i = 7; i >= 0; --i) s.push_back(static_cast<char>(v >> (8 * i)));
    return s;
  };
  const uint64_t k63 = uint64_t{1} << 63;
  Write(t, "raw-inclusion-last-of-2-to-63.bin",
        std::string(1, 0x12) + u64(k63 - 1) + u64(k63) + std::string(1, 0) +
            std::string(32 * 64, 'h'));
  Write(
      t, "raw-inclusion-size-above-2-to-63.bin",
      std::string(1, 0x12) + u64(0) + u64(k63 + 1) + std::string(1, 0) + std::string(32 * 64, 'h'));
  Write(t, "raw-inclusion-max-u64.bin",
        std::string(1, 0x02) + u64(~uint64_t{0} - 1) + u64(~uint64_t{0}) + std::string(1, 64) +
            std::string(32 * 65, 'h'));
  Write(t, "raw-consistency-3-to-2-to-63.bin",
        std::string(1, 0x13) + u64(3) + u64(k63) + std::string(1, 0) + std::string(32 * 66, 'h'));
  Write(t, "raw-consistency-max-u64.bin",
        std::string(1, 0x03) + u64(~uint64_t{0} - 1) + u64(~uint64_t{0}) + std::string(1, 3) +
            std::string(32 * 5, 'h'));
  (void)tree;
}

// ---------------- witness ----------------

std::string Body(uint64_t old_size, const std::vector<ledger::Hash>& proof,
                 const std::string& note) {
  std::string b = "old " + std::to_string(old_size) + "\n";
  for (const ledger::Hash& h : proof) b += ledger::Base64Encode(h) + "\n";
  return b + "\n" + note;
}

void WitnessBodies() {
  const std::string t = "witness";
  const ledger::MemoryTree tree = TreeOf(LeafDatas(false));
  const ledger::MemoryTree fork = TreeOf(LeafDatas(true));
  const std::vector<ledger::Signer> keys = {LogEd25519(), LogSm2()};
  auto cp = [&](const ledger::MemoryTree& tr, uint64_t n) {
    return Sign(CheckpointAt(tr, n), keys);
  };
  auto proof = [](const ledger::MemoryTree& tr, uint64_t m, uint64_t n) {
    return Must(ledger::ConsistencyProof(m, n, tr));
  };
  Write(t, "old-0-new-8.txt", Body(0, {}, cp(tree, 8)));
  Write(t, "old-0-new-3.txt", Body(0, {}, cp(tree, 3)));
  Write(t, "old-3-new-8.txt", Body(3, proof(tree, 3, 8), cp(tree, 8)));
  Write(t, "old-8-new-8.txt", Body(8, {}, cp(tree, 8)));
  Write(t, "old-8-new-70.txt", Body(8, proof(tree, 8, 70), cp(tree, 70)));
  Write(t, "old-3-new-21-ed25519-only.txt",
        Body(3, proof(tree, 3, 21), Sign(CheckpointAt(tree, 21), {keys[0]})));
  Write(t, "old-3-new-9-sm2-only.txt",
        Body(3, proof(tree, 3, 9), Sign(CheckpointAt(tree, 9), {keys[1]})));
  Write(t, "old-3-new-8-cosigned-already.txt", Body(3, proof(tree, 3, 8), Cosign(cp(tree, 8))));
  // The fork shares the first 5 leaves: from 3 it is a consistent extension.
  Write(t, "old-3-new-fork-10.txt", Body(3, proof(fork, 3, 10), cp(fork, 10)));

  // Hostile.
  Write(t, "hostile-old-8-fork-10.txt", Body(8, proof(fork, 8, 10), cp(fork, 10)));
  Write(t, "hostile-old-8-fork-8.txt", Body(8, {}, cp(fork, 8)));
  Write(t, "hostile-old-3-new-8-wrong-proof.txt", Body(3, proof(tree, 4, 8), cp(tree, 8)));
  Write(t, "hostile-old-3-new-8-no-proof.txt", Body(3, {}, cp(tree, 8)));
  Write(t, "hostile-old-9-new-8.txt", Body(9, {}, cp(tree, 8)));
  Write(t, "hostile-old-8-new-3.txt", Body(8, {}, cp(tree, 3)));
  Write(t, "hostile-stranger-key.txt",
        Body(3, proof(tree, 3, 8), Sign(CheckpointAt(tree, 8), {StrangerEd25519()})));
  Write(
      t, "hostile-unknown-origin.txt",
      Body(0, {},
           Sign(CheckpointAt(tree, 8, "fuzz.example/other"), {LogEd25519("fuzz.example/other")})));
  Write(t, "hostile-bad-signature.txt",
        Body(3, proof(tree, 3, 8), CorruptFirstSignature(cp(tree, 8))));
  Write(t, "hostile-old-leading-zero.txt",
        Body(3, proof(tree, 3, 8), cp(tree, 8)).replace(4, 1, "03"));
  Write(t, "hostile-old-2-to-64.txt", "old 18446744073709551616\n\n" + cp(tree, 8));
  Write(t, "hostile-64-proof-lines.txt",
        Body(3, std::vector<ledger::Hash>(64, ledger::Hash{}), cp(tree, 8)));
  Write(t, "hostile-bad-base64-proof.txt", "old 3\n!!!!\n\n" + cp(tree, 8));
  Write(t, "hostile-no-blank-line.txt", "old 3\n" + cp(tree, 8));
  Write(t, "hostile-no-checkpoint.txt", "old 3\n\n");
  Write(t, "hostile-crlf.txt", "old 3\r\n\r\n" + cp(tree, 8));
  Write(t, "hostile-empty.txt", "");
}

// ---------------- rules ----------------

void Rules(const fs::path& src) {
  const std::string t = "rules";
  Write(t, "default.toml", ReadFile(src / "data/rules/default.toml"));
  for (const char* f : {"risk.toml", "sampled.toml", "norandom.toml", "mfn-test.toml"}) {
    Write(t, std::string("testdata-") + f, ReadFile(src / "src/clearance/testdata" / f));
  }
  // [tables] with the CSV after "#@csv" (rules_fuzz.cc): the positive list
  // first, then "#@csv" and the rate table.
  const fs::path td = src / "src/clearance/testdata";
  Write(t, "testdata-tables-with-csv.toml",
        ReadFile(td / "tables.toml") + "\n#@csv\n" + ReadFile(td / "tables-positive.csv") +
            "\n#@csv\n" + ReadFile(td / "tables-rates.csv"));

  const std::string base = ReadFile(src / "data/rules/default.toml");
  // Hostile: what an operator's typo or a hostile admin client could post.
  Write(t, "hostile-float-rate.toml",
        Replace(base, "reduced_rate = \"70%\"", "reduced_rate = 0.7"));
  Write(t, "hostile-bad-date.toml",
        Replace(base, "effective_from = 2019-04-01", "effective_from = 2019-02-30"));
  Write(t, "hostile-percent-over-100.toml",
        Replace(base, "reduced_rate = \"70%\"", "reduced_rate = \"100.0001%\""));
  Write(t, "hostile-unknown-key.toml", base + "\nsurprise = 1\n");
  Write(t, "hostile-duplicate-table.toml", base + "\n[limits]\nsingle = \"1\"\n");
  Write(t, "hostile-not-toml.toml", "version = \"x\nlimits = {{{\n");
  Write(t, "hostile-deep-nesting.toml", "a = " + std::string(2000, '[') + std::string(2000, ']'));
  Write(t, "hostile-tables-without-reader.toml",
        base + "\n[tables]\npositive_list_csv = \"/etc/passwd\"\n");
  // Defect found by this seed (README.md, "Open defects"): ParseDuration adds
  // its parts without an overflow check -- signed overflow (UB) past 2^63 ms.
  std::string parts;
  for (int i = 0; i < 107; ++i) parts += "999999999d";
  Write(t + "/found-open", "parse-duration-signed-overflow.toml",
        "version = \"x\"\neffective_from = 2019-01-01\n[limits]\nsingle = \"1\"\n"
        "annual = \"1\"\nreduced_rate = \"70%\"\n[deadline]\nlist_wait = \"" +
            parts + "\"\n");
  // The same sum wrapped mod 2^64 to 3,600,000: an optimized build accepts
  // list_wait = 1h.
  const uint64_t day_part = 999999999ull * 86400000ull;
  const unsigned __int128 target = (static_cast<unsigned __int128>(1) << 64) + 3600000;
  const uint64_t k = static_cast<uint64_t>(target / day_part);
  const uint64_t rest =
      static_cast<uint64_t>(target - static_cast<unsigned __int128>(k) * day_part);
  std::string wrap;
  for (uint64_t i = 0; i < k; ++i) wrap += "999999999d";
  wrap += std::to_string(rest / 86400000) + "d" + std::to_string(rest % 86400000) + "ms";
  Write(t + "/found-open", "parse-duration-wraps-to-1h.toml",
        "version = \"x\"\neffective_from = 2019-01-01\n[limits]\nsingle = \"1\"\n"
        "annual = \"1\"\nreduced_rate = \"70%\"\n[deadline]\nlist_wait = \"" +
            wrap + "\"\n[return]\nwindow = \"30d\"\n");
  Write(t, "hostile-csv-unterminated-quote.toml",
        ReadFile(td / "tables.toml") + "\n#@csv\n税则号列,货品名称\n\"09012100,x\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: seed_gen SOURCE_DIR OUT_DIR\n";
    return 2;
  }
  g_out = argv[2];
  Notes(argv[1]);
  Bundles();
  MerkleProofs();
  WitnessBodies();
  Rules(argv[1]);
  return 0;
}
