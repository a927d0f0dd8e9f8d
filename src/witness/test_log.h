// Test support: a small log (in-memory tree, Ed25519 + SM2 keys) that makes
// signed checkpoints and consistency proofs at any of its sizes, and a fixed
// witness key. For the witness module's tests only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/checkpoint.h"
#include "ledger/encoding.h"
#include "ledger/proof.h"
#include "ledger/tree.h"
#include "witness/cosignature.h"
#include "witness/witness.h"

namespace ftz::witness::testing_support {

class TestLog {
 public:
  // The witness key of WitnessSigner() and its cosignature on the tlog-
  // cosignature spec's example checkpoint at time 1679315147, computed with
  // Python's `cryptography` (seed bytes 00 01 .. 1f).
  static constexpr std::string_view kWitnessVkey =
      "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
  static constexpr std::string_view kWitnessLine =
      "\xE2\x80\x94 witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83"
      "rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n";

  // A log of `leaves` leaves named `origin`, signed by a fresh Ed25519 and a
  // fresh SM2 key; known() trusts the Ed25519 key only if `trust_ed25519`.
  explicit TestLog(uint64_t leaves, bool trust_ed25519 = true,
                   std::string origin = "example.com/log", std::string salt = "")
      : origin_(std::move(origin)), trust_ed25519_(trust_ed25519) {
    for (uint64_t i = 0; i < leaves; ++i) {
      EXPECT_TRUE(tree_.AppendData(ledger::AsBytes(salt + "leaf " + std::to_string(i))).ok());
    }
    auto ed = ledger::Signer::Generate(origin_, ledger::KeyType::kEd25519);
    auto sm2 = ledger::Signer::Generate(origin_, ledger::KeyType::kSm2Sm3);
    EXPECT_TRUE(ed.ok() && sm2.ok());
    signers_ = {*ed, *sm2};
  }

  const std::string& origin() const { return origin_; }
  void UseKeysOf(const TestLog& other) { signers_ = other.signers_; }

  KnownLog known() const {
    KnownLog k{origin_, {}};
    if (trust_ed25519_) k.vkeys.push_back(signers_[0].verifier().ToString());
    k.vkeys.push_back(signers_[1].verifier().ToString());
    return k;
  }

  ledger::Hash Root(uint64_t size) const {
    auto r = ledger::RootAt(size, tree_);
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : ledger::Hash{};
  }

  std::vector<ledger::Hash> Proof(uint64_t old_size, uint64_t size) const {
    if (old_size == 0 || old_size >= size) return {};
    auto p = ledger::ConsistencyProof(old_size, size, tree_);
    EXPECT_TRUE(p.ok());
    return p.ok() ? *p : std::vector<ledger::Hash>{};
  }

  std::string Signed(uint64_t size) const {
    ledger::Checkpoint cp{origin_, size, Root(size), {}};
    auto s = ledger::SignCheckpoint(cp, signers_);
    EXPECT_TRUE(s.ok());
    return s.ok() ? *s : "";
  }

  const ledger::MemoryTree& tree() const { return tree_; }

  static std::string Body(uint64_t old_size, const std::vector<ledger::Hash>& proof,
                          const std::string& note) {
    std::string b = "old " + std::to_string(old_size) + "\n";
    for (const ledger::Hash& h : proof) b += ledger::Base64Encode(h) + "\n";
    return b + "\n" + note;
  }

  static CosignatureSigner WitnessSigner() {
    uint8_t seed[32];
    for (int i = 0; i < 32; ++i) seed[i] = static_cast<uint8_t>(i);
    auto s = CosignatureSigner::FromSeed("witness.example/w1", ledger::ByteView(seed, 32));
    EXPECT_TRUE(s.ok());
    return *s;
  }

 private:
  std::string origin_;
  bool trust_ed25519_;
  ledger::MemoryTree tree_;
  std::vector<ledger::Signer> signers_;
};

}  // namespace ftz::witness::testing_support
