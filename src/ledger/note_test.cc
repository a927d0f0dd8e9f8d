#include "ledger/note.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ledger/encoding.h"

namespace ftz::ledger {
namespace {

// The example keys, text and signatures of Go's golang.org/x/mod/sumdb/note
// (note.go package documentation and note_test.go).
constexpr std::string_view kPeterVkey =
    "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
constexpr std::string_view kPeterSkey =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
constexpr std::string_view kEnochVkey =
    "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const std::string kText =
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n";
const std::string kPeterSig =
    "\xe2\x80\x94 PeterNeumann "
    "x08go/ZJkuBS9UG/"
    "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const std::string kEnochSig =
    "\xe2\x80\x94 EnochRoot "
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/"
    "5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

VerifierSet SetOf(std::initializer_list<std::string_view> vkeys) {
  VerifierSet set;
  for (auto k : vkeys) EXPECT_TRUE(set.AddKey(k).ok()) << k;
  return set;
}

TEST(NoteKeysTest, ParsesGoExampleVerifierKey) {
  Result<Verifier> v = Verifier::Parse(kPeterVkey);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->name(), "PeterNeumann");
  EXPECT_EQ(v->key_id(), 0xc74f20a3u);
  EXPECT_EQ(v->type(), KeyType::kEd25519);
  EXPECT_EQ(v->ToString(), kPeterVkey);
  EXPECT_EQ(ComputeKeyId("PeterNeumann", v->encoded_key()), 0xc74f20a3u);
}

TEST(NoteKeysTest, MangledVerifierKeysAreRejected) {
  // As in Go's TestNewVerifier: every proper substring and every single-byte
  // increment must fail.
  std::string b(kPeterVkey);
  for (size_t i = 0; i <= b.size(); ++i) {
    for (size_t j = i + 1; j <= b.size(); ++j) {
      if (i == 0 && j == b.size()) continue;
      EXPECT_FALSE(Verifier::Parse(b.substr(i, j - i)).ok()) << b.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < b.size(); ++i) {
    b[i]++;
    EXPECT_FALSE(Verifier::Parse(b).ok()) << b;
    b[i]--;
  }
  // Wrong key length and unknown algorithm, each with a matching key ID.
  EXPECT_FALSE(
      Verifier::Parse("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
          .ok());
  EXPECT_FALSE(
      Verifier::Parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW").ok());
}

TEST(NoteKeysTest, ParsesGoExampleSignerKeyAndRejectsManglings) {
  Result<Signer> s = Signer::Parse(kPeterSkey);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->verifier().ToString(), kPeterVkey);
  EXPECT_EQ(s->ToString(), kPeterSkey);
  std::string b(kPeterSkey);
  for (size_t i = 0; i <= b.size(); ++i) {
    for (size_t j = i + 1; j <= b.size(); ++j) {
      if (i == 0 && j == b.size()) continue;
      EXPECT_FALSE(Signer::Parse(b.substr(i, j - i)).ok()) << b.substr(i, j - i);
    }
  }
  for (size_t i = 0; i < b.size(); ++i) {
    b[i]++;
    EXPECT_FALSE(Signer::Parse(b).ok()) << b;
    b[i]--;
  }
}

TEST(NoteSignTest, ReproducesGoSignatureByteForByte) {
  // Ed25519 is deterministic, so signing Go's example text with Go's example
  // key must give exactly Go's published note.
  Signer peter = *Signer::Parse(kPeterSkey);
  Result<std::string> msg = SignNote(kText, std::span<const Signer>(&peter, 1));
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(*msg, kText + "\n" + kPeterSig);
}

TEST(NoteSignTest, AddSignaturesReplacesSameKey) {
  Signer peter = *Signer::Parse(kPeterSkey);
  std::string bad = kText + "\n\xe2\x80\x94 PeterNeumann " +
                    Base64Encode(std::string("\xc7\x4f\x20\xa3"
                                             "BADSIGNATURE")) +
                    "\n";
  Result<std::string> msg = AddSignatures(bad, std::span<const Signer>(&peter, 1));
  ASSERT_TRUE(msg.ok()) << msg.status().ToString();
  EXPECT_EQ(*msg, kText + "\n" + kPeterSig);
}

TEST(NoteSignTest, RejectsBadText) {
  Signer peter = *Signer::Parse(kPeterSkey);
  std::span<const Signer> one(&peter, 1);
  EXPECT_EQ(SignNote("abc", one).status().code(),
            StatusCode::kInvalidArgument);  // no final newline
  EXPECT_EQ(SignNote("", one).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(SignNote("a\tb\n", one).status().code(),
            StatusCode::kInvalidArgument);  // control character
  EXPECT_EQ(SignNote("\xff\n", one).status().code(), StatusCode::kInvalidArgument);  // not UTF-8
  EXPECT_EQ(SignNote(kText, {}).status().code(), StatusCode::kInvalidArgument);
}

TEST(NoteOpenTest, GoOpenSemantics) {
  const std::string both = kText + "\n" + kPeterSig + kEnochSig;
  // One verified, one unknown.
  Result<VerifiedNote> n = OpenNote(both, SetOf({kPeterVkey}));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->text, kText);
  ASSERT_EQ(n->verified.size(), 1u);
  EXPECT_EQ(n->verified[0].name, "PeterNeumann");
  EXPECT_EQ(n->verified[0].key_id, 0xc74f20a3u);
  ASSERT_EQ(n->unverified.size(), 1u);
  EXPECT_EQ(n->unverified[0].name, "EnochRoot");
  EXPECT_EQ(n->unverified[0].key_id, 0xaf0cfe78u);
  // Both verified.
  n = OpenNote(both, SetOf({kPeterVkey, kEnochVkey}));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->verified.size(), 2u);
  EXPECT_TRUE(n->unverified.empty());
  // None known.
  n = OpenNote(both, VerifierSet());
  EXPECT_EQ(n.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(n.status().message(), "note has no verifiable signatures");
  // Duplicate verifier keys cannot be configured.
  VerifierSet dup = SetOf({kEnochVkey});
  EXPECT_EQ(dup.AddKey(kEnochVkey).code(), StatusCode::kAlreadyExists);
  // Too many signatures.
  std::string many = kText + "\n";
  for (int i = 0; i < 101; ++i) many += kPeterSig;
  EXPECT_EQ(OpenNote(many, SetOf({kPeterVkey})).status().code(), StatusCode::kInvalidArgument);
  // A bad signature from a known key rejects the note.
  std::string bad = kText + "\n" + kPeterSig.substr(0, 60) + "ABCD" + kPeterSig.substr(60);
  n = OpenNote(bad, SetOf({kPeterVkey}));
  EXPECT_EQ(n.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(n.status().message(), "invalid signature for key PeterNeumann+c74f20a3");
  // Repeated signatures count once; repeated unknown ones are listed once.
  std::string enoch_abcd = kEnochSig.substr(0, 60) + "ABCD" + kEnochSig.substr(60);
  n = OpenNote(kText + "\n" + kPeterSig + kPeterSig + kEnochSig + kEnochSig + enoch_abcd,
               SetOf({kPeterVkey}));
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->verified.size(), 1u);
  EXPECT_EQ(n->unverified.size(), 2u);
}

TEST(NoteOpenTest, MalformedNotesAreRejected) {
  VerifierSet known = SetOf({kPeterVkey});
  const std::vector<std::string> bad = {
      kText,
      kText + "\n",
      kText + "\n" + kPeterSig.substr(0, kPeterSig.size() - 1),
      "\x01" + kText + "\n" + kPeterSig,
      "\xff" + kText + "\n" + kPeterSig,
      kText + "\n" +
          "\xe2\x80\x94 Bad Name "
          "x08go/ZJkuBS9UG/"
          "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
      kText + "\n" + kPeterSig + "Unexpected line.\n",
      kText + "\n" +
          "-- PeterNeumann "
          "x08go/ZJkuBS9UG/"
          "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
      kText + "\n" + "\xe2\x80\x94 PeterNeumann x08go/ZJku!!9UG\n",
      kText + "\n" + "\xe2\x80\x94 PeterNeumann AAAA\n",  // shorter than key ID + 1 byte
  };
  for (const std::string& msg : bad) {
    Result<VerifiedNote> n = OpenNote(msg, known);
    EXPECT_EQ(n.status().code(), StatusCode::kInvalidArgument) << msg;
  }
  // Tampered text with the original signature.
  std::string tampered = kText + "\n" + kPeterSig;
  tampered[3] = 'X';
  EXPECT_EQ(OpenNote(tampered, known).status().code(), StatusCode::kFailedPrecondition);
}

TEST(NoteKeysTest, KeyNames) {
  EXPECT_TRUE(IsValidKeyName("example.com/log42"));
  EXPECT_TRUE(IsValidKeyName("\xe5\x8f\xa3\xe5\xb2\xb8.example/ledger"));  // 口岸
  EXPECT_FALSE(IsValidKeyName(""));
  EXPECT_FALSE(IsValidKeyName("a+b"));
  EXPECT_FALSE(IsValidKeyName("a b"));
  EXPECT_FALSE(IsValidKeyName("a\tb"));
  EXPECT_FALSE(
      IsValidKeyName("a\xc2\xa0"
                     "b"));  // U+00A0
  EXPECT_FALSE(
      IsValidKeyName("a\xe3\x80\x80"
                     "b"));                   // U+3000 ideographic space
  EXPECT_FALSE(IsValidKeyName("a\xc0\xaf"));  // overlong '/'
  EXPECT_FALSE(Signer::Generate("bad name", KeyType::kEd25519).ok());
}

class GeneratedKeyTest : public ::testing::TestWithParam<KeyType> {};

TEST_P(GeneratedKeyTest, SignVerifyAndKeyStrings) {
  Result<Signer> s = Signer::Generate("ftz.example/ledger", GetParam());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  Result<std::string> sig = s->Sign("hi");
  ASSERT_TRUE(sig.ok());
  EXPECT_TRUE(s->verifier().Verify("hi", *sig));
  EXPECT_FALSE(s->verifier().Verify("hj", *sig));
  std::string corrupt = *sig;
  corrupt[corrupt.size() / 2] ^= 1;
  EXPECT_FALSE(s->verifier().Verify("hi", corrupt));
  EXPECT_FALSE(s->verifier().Verify("hi", ""));
  // Key strings round-trip, and the key ID covers the signature type.
  Result<Signer> s2 = Signer::Parse(s->ToString());
  ASSERT_TRUE(s2.ok()) << s2.status().ToString();
  EXPECT_EQ(s2->key_id(), s->key_id());
  EXPECT_TRUE(s2->verifier().Verify("hi", *sig));
  Result<Verifier> v = Verifier::Parse(s->verifier().ToString());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->key_id(), s->key_id());
  EXPECT_EQ(v->type(), GetParam());
  EXPECT_EQ(v->encoded_key().substr(0, KeyTypePrefix(GetParam()).size()),
            KeyTypePrefix(GetParam()));
  // In a note.
  Result<std::string> note = SignNote("checkpoint text\n", std::span<const Signer>(&*s, 1));
  ASSERT_TRUE(note.ok());
  VerifierSet known;
  ASSERT_TRUE(known.Add(*v).ok());
  EXPECT_TRUE(OpenNote(*note, known).ok());
  // A different key with the same name is unknown, not a failure.
  Signer other = *Signer::Generate("ftz.example/ledger", GetParam());
  VerifierSet wrong;
  ASSERT_TRUE(wrong.Add(other.verifier()).ok());
  EXPECT_EQ(OpenNote(*note, wrong).status().message(), "note has no verifiable signatures");
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GeneratedKeyTest,
                         ::testing::Values(KeyType::kEd25519, KeyType::kSm2Sm3),
                         [](const auto& info) {
                           return info.param == KeyType::kEd25519 ? "Ed25519" : "Sm2Sm3";
                         });

TEST(NoteSm2Test, GbT32918ExampleSignatureVerifies) {
  // GB/T 32918.2-2016 Appendix A (SM2 recommended curve, SM3, ID
  // "1234567812345678", message "message digest").
  std::string d = *HexDecode("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
  Result<Signer> s = Signer::FromPrivateKey("gbt32918.example", KeyType::kSm2Sm3, AsBytes(d));
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  std::string want_pub =
      "\x04" + *HexDecode(
                   "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
                   "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13");
  EXPECT_EQ(s->verifier().encoded_key(), std::string(KeyTypePrefix(KeyType::kSm2Sm3)) + want_pub);
  // DER SEQUENCE { INTEGER r, INTEGER s }; both have the top bit set, hence 0x00 pads.
  std::string der = *HexDecode(
      "3046"
      "022100F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
      "022100B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA");
  EXPECT_TRUE(s->verifier().Verify("message digest", der));
  EXPECT_FALSE(s->verifier().Verify("message digesT", der));
  // Our own signature over the same message verifies too (SM2 is randomised).
  Result<std::string> mine = s->Sign("message digest");
  ASSERT_TRUE(mine.ok());
  EXPECT_TRUE(s->verifier().Verify("message digest", *mine));
}

TEST(NoteSm2Test, RejectsBadSm2Keys) {
  std::string zero(32, '\0');
  EXPECT_FALSE(Signer::FromPrivateKey("k", KeyType::kSm2Sm3, AsBytes(zero)).ok());
  std::string ff(32, '\xff');  // above the group order
  EXPECT_FALSE(Signer::FromPrivateKey("k", KeyType::kSm2Sm3, AsBytes(ff)).ok());
  std::string not_on_curve = "\x04" + std::string(64, '\x01');
  EXPECT_FALSE(Verifier::FromSm2("k", AsBytes(not_on_curve)).ok());
}

TEST(NoteSm2Test, MixedEd25519AndSm2Note) {
  Signer ed = *Signer::Generate("ftz.example/ledger", KeyType::kEd25519);
  Signer sm = *Signer::Generate("ftz.example/ledger", KeyType::kSm2Sm3);
  std::vector<Signer> both = {ed, sm};
  Result<std::string> note = SignNote("ftz.example/ledger\n7\nAAAA\n", both);
  ASSERT_TRUE(note.ok());
  VerifierSet only_sm2;
  ASSERT_TRUE(only_sm2.Add(sm.verifier()).ok());
  Result<VerifiedNote> n = OpenNote(*note, only_sm2);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(n->verified.size(), 1u);
  EXPECT_EQ(n->unverified.size(), 1u);
  VerifierSet all;
  ASSERT_TRUE(all.Add(ed.verifier()).ok());
  ASSERT_TRUE(all.Add(sm.verifier()).ok());
  n = OpenNote(*note, all);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->verified.size(), 2u);
}

}  // namespace
}  // namespace ftz::ledger
