// The ledger as a generic tlog client, an enterprise and an auditor see it:
// tiles and entry bundles over HTTP (c2sp.org/tlog-tiles), leaf indexes on
// receipts, self-contained proof bundles (c2sp.org/tlog-proof) and their
// offline check, and the audit of a stopped data directory that finds a
// record altered on disk.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "ceb/ceb.h"
#include "engine/records.h"
#include "env/fault_injection_env.h"
#include "ledger/checkpoint.h"
#include "ledger/encoding.h"
#include "ledger/proof.h"
#include "ledger/proof_bundle.h"
#include "ledger/tiles.h"
#include "node/audit.h"
#include "node/ledger_writer.h"
#include "node/record_proof.h"
#include "stream/log.h"
#include "test_server.h"
#include "workload/workload.h"

namespace ftz {
namespace {

namespace fs = std::filesystem;
using testing::Client;
using testing::HttpResult;
using testing::TestServer;

constexpr const char* kOrigin = "ftzport.local/log";

// Posts `n` order messages (one parcel each) as XML; returns the answers.
std::vector<HttpResult> PostOrders(Client& c, size_t n, uint64_t seed,
                                   const std::string& accept = "application/xml") {
  workload::Workload w({.seed = seed});
  std::vector<workload::Parcel> ps;
  for (size_t i = 0; i < n; ++i) ps.push_back(w.Next());
  std::vector<HttpResult> out;
  for (const Message& m : workload::Workload::Messages(MessageType::kOrder, ps, 1, seed)) {
    out.push_back(c.Request("POST", "/v1/messages", ceb::EncodeMessageXml(m),
                            {{"Content-Type", "application/xml"}, {"Accept", accept}}));
  }
  return out;
}

ledger::VerifierSet Keys(Client& c) {
  // One verifier key a line (the log may sign with more than one key type).
  ledger::VerifierSet keys;
  std::istringstream lines(c.Request("GET", "/tlog/key").body);
  for (std::string key; std::getline(lines, key);) {
    if (key.empty()) continue;
    EXPECT_TRUE(keys.AddKey(key).ok()) << key;
  }
  EXPECT_GT(keys.size(), 0u);
  return keys;
}

// The first signed checkpoint that covers every durable record.
ledger::VerifiedCheckpoint WaitForCheckpoint(TestServer& server, Client& c,
                                             const ledger::VerifierSet& keys,
                                             std::string* text = nullptr) {
  const uint64_t want = server.node().log().durable_seq();
  for (int i = 0; i < 200; ++i) {
    std::string body = c.Request("GET", "/tlog/checkpoint").body;
    auto cp = ledger::OpenCheckpoint(body, keys, kOrigin);
    if (cp.ok() && cp->checkpoint.size >= want) {
      if (text) *text = body;
      return *cp;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "no checkpoint covering " << want << " records";
  return {};
}

node::OwnedRecord ReadRecord(TestServer& server, uint64_t seq) {
  node::OwnedRecord r;
  r.seq = seq;
  EXPECT_TRUE(server.node().log().Read(seq, &r.type, &r.time, &r.payload).ok());
  return r;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(TlogTest, TilesAndEntryBundlesServeTheCheckpointedTree) {
  TestServer server("tlog-tiles");
  Client c(server.port());
  // More than one full level-0 tile: 140 messages and their receipts.
  for (const HttpResult& r : PostOrders(c, 140, 11)) ASSERT_EQ(r.status, 200) << r.body;
  const ledger::VerifierSet keys = Keys(c);
  const ledger::VerifiedCheckpoint cp = WaitForCheckpoint(server, c, keys);
  const uint64_t size = cp.checkpoint.size;
  ASSERT_GT(size, 256u);

  // A generic client: fetch every tile the checkpoint needs, store them as
  // files, recompute the root from them alone.
  const fs::path mirror =
      fs::temp_directory_path() / ("ftz-tlog-mirror-" + std::to_string(getpid()));
  fs::remove_all(mirror);
  for (const ledger::TileId& id : ledger::TilesForSize(size)) {
    HttpResult t = c.Request("GET", "/tlog/" + ledger::TilePath(id));
    ASSERT_EQ(t.status, 200) << ledger::TilePath(id) << ": " << t.body;
    EXPECT_EQ(t.headers["Content-Type"], "application/octet-stream");
    EXPECT_EQ(t.body.size(), size_t{id.width} * 32);
    EXPECT_EQ(t.headers["Cache-Control"].find("immutable") != std::string::npos, id.full())
        << ledger::TilePath(id);
    fs::create_directories((mirror / ledger::TilePath(id)).parent_path());
    std::ofstream(mirror / ledger::TilePath(id), std::ios::binary) << t.body;
  }
  ledger::TileReader mirrored(mirror.string(), size);
  auto root = ledger::RootAt(size, mirrored);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(*root, cp.checkpoint.root);

  // Entry bundles hold the records' commitments, whose leaf hashes are the
  // level-0 tile's hashes: nothing of the records themselves.
  for (uint64_t n = 0; n * 256 < size; ++n) {
    const uint32_t width = static_cast<uint32_t>(std::min<uint64_t>(256, size - n * 256));
    HttpResult e = c.Request("GET", "/tlog/" + ledger::EntryBundlePath(n, width));
    ASSERT_EQ(e.status, 200) << e.body;
    ASSERT_EQ(e.body.size(), size_t{width} * 34);
    for (uint32_t i = 0; i < width; ++i) {
      const uint64_t seq = n * 256 + i;
      const std::string_view entry(e.body.data() + i * 34, 34);
      ASSERT_EQ(entry.substr(0, 2), std::string_view("\x00\x20", 2)) << seq;
      const node::OwnedRecord rec = ReadRecord(server, seq);
      const ledger::Hash commitment = node::RecordCommitment(rec.type, seq, rec.time, rec.payload);
      ASSERT_EQ(entry.substr(2),
                std::string_view(reinterpret_cast<const char*>(commitment.data()), 32))
          << seq;
      EXPECT_EQ(ledger::HashLeaf(entry.substr(2)),
                node::RecordLeaf(rec.type, seq, rec.time, rec.payload));
      EXPECT_EQ(*mirrored.NodeHash(0, seq), ledger::HashLeaf(entry.substr(2))) << seq;
    }
  }

  // A partial tile of a width no flush wrote, and a prefix of a full tile, are
  // the same hashes as the tile they are a prefix of.
  const std::string full0 = c.Request("GET", "/tlog/tile/0/000").body;
  HttpResult prefix = c.Request("GET", "/tlog/tile/0/000.p/100");
  ASSERT_EQ(prefix.status, 200);
  EXPECT_EQ(prefix.body, full0.substr(0, 3200));
  HttpResult small = c.Request("GET", "/tlog/tile/0/001.p/3");
  ASSERT_EQ(small.status, 200) << small.body;
  EXPECT_EQ(small.body,
            c.Request("GET", "/tlog/" + ledger::TilePath(
                                            {0, 1, static_cast<uint32_t>((size - 256) % 256)}))
                .body.substr(0, 96));

  // Malformed paths are 400, tiles beyond the checkpoint 404; both say why.
  for (const char* bad :
       {"/tlog/tile/0/1", "/tlog/tile/0/000.p/0", "/tlog/tile/0/000.p/256", "/tlog/tile/abc/000",
        "/tlog/tile/64/000", "/tlog/tile/0/x000/001", "/tlog/tile/0/000/", "/tlog/tile/entries/0",
        "/tlog/tile/", "/tlog/tile/0/000.p/07"}) {
    HttpResult r = c.Request("GET", bad);
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
    EXPECT_NE(r.body.find("bad_tile_path"), std::string::npos) << r.body;
  }
  const std::string beyond_width = std::to_string((size - 256) % 256 + 1);
  for (const std::string& far : std::vector<std::string>{
           "/tlog/tile/0/002", "/tlog/tile/0/001", "/tlog/tile/0/x001/000", "/tlog/tile/1/000",
           "/tlog/tile/7/000", "/tlog/tile/entries/002", "/tlog/tile/0/001.p/" + beyond_width,
           "/tlog/tile/entries/001.p/" + beyond_width}) {
    HttpResult r = c.Request("GET", far);
    EXPECT_EQ(r.status, 404) << far << ": " << r.body;
    EXPECT_NE(r.body.find("beyond the latest checkpoint"), std::string::npos) << r.body;
  }
  fs::remove_all(mirror);
}

TEST(TlogTest, ReceiptsCarryTheirLeafIndexes) {
  TestServer server("tlog-receipts");
  Client c(server.port());
  std::vector<HttpResult> xml = PostOrders(c, 2, 21);
  std::vector<HttpResult> json = PostOrders(c, 2, 22, "application/json");
  ASSERT_EQ(xml[0].status, 200);
  ASSERT_EQ(json[0].status, 200);
  for (HttpResult& r : {std::ref(xml[0]), std::ref(json[0])}) {
    EXPECT_EQ(r.headers["Ftz-Leaf-Index"], r.headers["X-Ftz-Receipt-Seq"]);
    EXPECT_EQ(r.headers["Ftz-Message-Leaf-Index"], r.headers["X-Ftz-Message-Seq"]);
  }
  // The JSON receipt names both leaves, and still decodes as a CEB receipt.
  const std::string ledger_member =
      "\"ledger\":{\"leafIndex\":" + json[0].headers["Ftz-Leaf-Index"] +
      ",\"messageLeafIndex\":" + json[0].headers["Ftz-Message-Leaf-Index"] + "}";
  EXPECT_NE(json[0].body.find(ledger_member), std::string::npos) << json[0].body;
  ReceiptMessage decoded;
  EXPECT_TRUE(ceb::DecodeReceiptJson(json[0].body, &decoded).ok()) << json[0].body;
  // The XML receipt is unchanged: exactly the logged bytes.
  const uint64_t receipt_index = std::stoull(xml[0].headers["Ftz-Leaf-Index"]);
  const uint64_t message_index = std::stoull(xml[0].headers["Ftz-Message-Leaf-Index"]);
  const node::OwnedRecord rec = ReadRecord(server, receipt_index);
  engine::ReceiptRecord rr;
  ASSERT_TRUE(engine::DecodeReceiptRecord(rec.payload, &rr));
  EXPECT_EQ(rr.xml, xml[0].body);
  EXPECT_EQ(rr.answers_seq, message_index);
  const std::string cop(rr.cop_code);

  // The feed names each receipt's leaf.
  HttpResult feed = c.Request("GET", "/v1/receipts?copCode=" + cop);
  ASSERT_EQ(feed.status, 200);
  EXPECT_NE(feed.body.find("\"cursor\":" + std::to_string(receipt_index) +
                           ",\"leafIndex\":" + std::to_string(receipt_index) + ","),
            std::string::npos)
      << feed.body;

  // What the enterprise holds (the XML, the message's index, its copCode,
  // the leaf index) is enough to recompute the leaf the inclusion proof proves.
  const ledger::VerifierSet keys = Keys(c);
  WaitForCheckpoint(server, c, keys);
  HttpResult proof =
      c.Request("GET", "/v1/proofs/inclusion?index=" + std::to_string(receipt_index));
  ASSERT_EQ(proof.status, 200) << proof.body;
  CivilTime t;
  ReceiptMessage receipt;
  ASSERT_TRUE(ceb::DecodeReceiptXml(xml[0].body, &receipt).ok());
  ASSERT_TRUE(ParseDateTime17(ceb::ViewReturn(receipt, 0).time, &t));
  const ledger::Hash leaf =
      node::RecordLeaf(stream::RecordType::kReceipt, receipt_index, ToUnixMillisCst(t),
                       engine::EncodeReceiptRecord({message_index, cop, xml[0].body}));
  EXPECT_NE(proof.body.find("\"leafHash\":\"" + ledger::Base64Encode(leaf) + "\""),
            std::string::npos)
      << proof.body;
}

class BundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Parcels cleared end to end, to get a release: a CEB622 with status 800.
    env_.SetNow(1'767'225'600'000);  // 2026-01-01 08:00 CST, as the workload's documents
    server_ = std::make_unique<TestServer>("tlog-bundle", server::ApiLimits{}, &env_);
    c_ = std::make_unique<Client>(server_->port());
    workload::Options o;
    o.bonded_share = 0;  // 9610: no bonded stock to load first
    workload::Workload w(o);
    std::vector<workload::Parcel> ps;
    for (int i = 0; i < 6; ++i) ps.push_back(w.Next());
    for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                          MessageType::kInventoryList}) {
      for (const Message& m : workload::Workload::Messages(t, ps, 1, 1)) {
        HttpResult r = c_->Request("POST", "/v1/messages", ceb::EncodeMessageXml(m),
                                   {{"Content-Type", "application/xml"}});
        ASSERT_EQ(r.status, 200) << r.body;
      }
    }
    bool found = false;
    for (uint64_t seq = 0; seq < server_->node().log().durable_seq() && !found; ++seq) {
      node::OwnedRecord rec = ReadRecord(*server_, seq);
      found = rec.type == stream::RecordType::kReceipt &&
              rec.payload.find("CEB622Message") != std::string::npos &&
              rec.payload.find("<returnStatus>800</returnStatus>") != std::string::npos;
      if (found) index_ = seq;
    }
    ASSERT_TRUE(found) << "no parcel was released";
    keys_ = Keys(*c_);
    size_ = WaitForCheckpoint(*server_, *c_, keys_).checkpoint.size;
    HttpResult b = c_->Request("GET", "/v1/proofs/bundle?index=" + std::to_string(index_));
    ASSERT_EQ(b.status, 200) << b.body;
    EXPECT_EQ(b.headers["Content-Type"], "text/plain; charset=utf-8");
    bundle_ = b.body;
  }

  // The bundle with its record replaced (and, if `recommit`, the
  // commitment recomputed for the altered record, as a forger would).
  std::string WithRecord(node::OwnedRecord rec) {
    auto parsed = ledger::ParseProofBundle(bundle_);
    EXPECT_TRUE(parsed.ok());
    parsed->extra = node::EncodeRecordExtra(rec);
    parsed->index = rec.seq;
    return *ledger::EncodeProofBundle(*parsed);
  }

  FaultInjectionEnv env_{Env::Default()};
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Client> c_;
  uint64_t index_ = 0, size_ = 0;
  ledger::VerifierSet keys_;
  std::string bundle_;
};

TEST_F(BundleTest, AReleaseReceiptVerifiesOfflineWithTheKeyAlone) {
  auto v = node::VerifyRecordBundle(bundle_, keys_, kOrigin);
  ASSERT_TRUE(v.ok()) << v.status().ToString() << "\n" << bundle_;
  EXPECT_EQ(v->record, ReadRecord(*server_, index_));
  EXPECT_EQ(v->record.type, stream::RecordType::kReceipt);
  engine::ReceiptRecord rr;
  ASSERT_TRUE(engine::DecodeReceiptRecord(v->record.payload, &rr));
  ReceiptMessage release;
  ASSERT_TRUE(ceb::DecodeReceiptXml(rr.xml, &release).ok());
  EXPECT_EQ(release.type, MessageType::kInventoryListReceipt);
  EXPECT_EQ(ceb::ViewReturn(release, 0).status, 800);
  EXPECT_EQ(v->checkpoint.checkpoint.size, size_);
  EXPECT_EQ(v->leaf, node::RecordLeaf(v->record.type, index_, v->record.time, v->record.payload));
  // The bundle carries this record and its commitment, nothing of any other.
  auto parsed = ledger::ParseProofBundle(bundle_);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->extra->size(), 64 + v->record.payload.size());
  EXPECT_EQ(parsed->extra->substr(28, 32),
            std::string(reinterpret_cast<const char*>(v->commitment.data()), 32));
}

TEST_F(BundleTest, TamperedBundlesAreRejectedWithAClearError) {
  node::OwnedRecord rec = ReadRecord(*server_, index_);
  // A receipt changed in extra, its commitment left: the record no longer
  // matches its commitment.
  {
    auto parsed = ledger::ParseProofBundle(bundle_);
    (*parsed->extra)[parsed->extra->size() - 20] ^= 1;
    auto v = node::VerifyRecordBundle(*ledger::EncodeProofBundle(*parsed), keys_);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(v.status().message().find("does not match its commitment"), std::string::npos)
        << v.status().ToString();
  }
  // ... and with the commitment recomputed: its leaf is not in the tree.
  {
    node::OwnedRecord forged = rec;
    forged.payload[forged.payload.size() - 20] ^= 1;
    auto v = node::VerifyRecordBundle(WithRecord(forged), keys_);
    EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition) << v.status().ToString();
  }
  // A missing or an extra proof node.
  {
    const size_t first = bundle_.find('\n', bundle_.find("\nindex ") + 1) + 1;
    const size_t line_end = bundle_.find('\n', first) + 1;
    ASSERT_NE(bundle_.substr(first, line_end - first), "\n");
    std::string missing = bundle_;
    missing.erase(first, line_end - first);
    auto v = node::VerifyRecordBundle(missing, keys_);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << v.status().ToString();
    std::string extra = bundle_;
    extra.insert(first, bundle_.substr(first, line_end - first));
    v = node::VerifyRecordBundle(extra, keys_);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << v.status().ToString();
  }
  // Another key of the same name, or a foreign origin.
  {
    auto other = ledger::Signer::Generate(kOrigin, ledger::KeyType::kEd25519);
    ledger::VerifierSet wrong;
    ASSERT_TRUE(wrong.Add(other->verifier()).ok());
    auto v = node::VerifyRecordBundle(bundle_, wrong);
    EXPECT_EQ(v.status().code(), StatusCode::kFailedPrecondition) << v.status().ToString();
    v = node::VerifyRecordBundle(bundle_, keys_, "other.example/log");
    EXPECT_FALSE(v.ok());
  }
  // An index beyond the checkpoint's size.
  {
    node::OwnedRecord moved = rec;
    moved.seq = size_ + 5;
    auto v = node::VerifyRecordBundle(WithRecord(moved), keys_);
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument) << v.status().ToString();
  }
  // The record in extra for another index than the bundle's.
  {
    auto parsed = ledger::ParseProofBundle(bundle_);
    parsed->index = index_ - 1;
    auto v = node::VerifyRecordBundle(*ledger::EncodeProofBundle(*parsed), keys_);
    EXPECT_NE(v.status().message().find("bundle's index"), std::string::npos)
        << v.status().ToString();
  }
  // A forged checkpoint (size raised) and a flipped signature.
  {
    std::string forged = bundle_;
    const std::string cp_size = "\n" + std::to_string(size_) + "\n";
    ASSERT_NE(forged.find(cp_size), std::string::npos) << forged;
    forged.replace(forged.find(cp_size), cp_size.size(), "\n" + std::to_string(size_ + 1) + "\n");
    EXPECT_EQ(node::VerifyRecordBundle(forged, keys_).status().code(),
              StatusCode::kFailedPrecondition);
    std::string badsig = bundle_;
    badsig[badsig.size() - 6] = badsig[badsig.size() - 6] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(node::VerifyRecordBundle(badsig, keys_).ok());
  }
  // Garbage, truncation, no extra: errors, not crashes.
  for (std::string bad : {std::string(), std::string("c2sp.org/tlog-proof@v1\n"),
                          bundle_.substr(0, bundle_.size() / 2), std::string("\0\0\0", 3)}) {
    EXPECT_FALSE(node::VerifyRecordBundle(bad, keys_).ok());
  }
  EXPECT_FALSE(node::DecodeRecordExtra("FTZREC01").ok());
  // The endpoint: an index beyond the checkpoint, or none.
  EXPECT_EQ(c_->Request("GET", "/v1/proofs/bundle?index=" + std::to_string(size_ + 100)).status,
            404);
  EXPECT_EQ(c_->Request("GET", "/v1/proofs/bundle").status, 400);
  EXPECT_EQ(c_->Request("GET", "/v1/proofs/bundle?index=-1").status, 400);
  EXPECT_EQ(c_->Request("GET", "/v1/proofs/consistency?from=9&to=3").status, 400);
}

// ---- audit ----

struct RecordAt {
  std::string segment;
  uint64_t offset = 0;
  uint32_t length = 0;
};

// Where record `seq` is in a stopped log (walks the segment framing).
RecordAt Locate(const std::string& data_dir, uint64_t seq) {
  std::vector<std::string> segs;
  for (const auto& e : fs::directory_iterator(data_dir + "/log")) segs.push_back(e.path());
  std::sort(segs.begin(), segs.end());
  uint64_t next = 0;
  for (const std::string& s : segs) {
    const std::string d = ReadFile(s);
    size_t pos = 16;
    while (pos + 28 <= d.size()) {
      uint32_t len;
      std::memcpy(&len, d.data() + pos + 4, 4);  // little-endian host
      if (next == seq) return {s, pos, len};
      ++next;
      pos += 28 + len;
    }
  }
  ADD_FAILURE() << "no record " << seq;
  return {};
}

class AuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<TestServer>("tlog-audit");
    Client c(server_->port());
    std::vector<HttpResult> r = PostOrders(c, 8, 41);
    ASSERT_EQ(r[3].status, 200);
    victim_ = std::stoull(r[3].headers["Ftz-Leaf-Index"]);
    keys_ = Keys(c);
    WaitForCheckpoint(*server_, c, keys_, &checkpoint_);
    server_->Stop();
  }

  // A copy of the stopped data directory, to tamper with.
  std::string Copy(const std::string& name) {
    const std::string to = server_->dir() + "-" + name;
    fs::remove_all(to);
    fs::copy(server_->dir(), to, fs::copy_options::recursive);
    copies_.push_back(to);
    return to;
  }
  void TearDown() override {
    for (const std::string& d : copies_) fs::remove_all(d);
  }

  node::AuditReport Audit(const std::string& dir, bool with_key = true) {
    node::AuditOptions o;
    o.data_dir = dir;
    o.checkpoint = checkpoint_;
    if (with_key) o.keys = keys_;
    o.origin = kOrigin;
    auto r = node::AuditDataDir(o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : node::AuditReport{};
  }

  // Every file of a directory, by path, for "the audit changed nothing".
  static std::map<std::string, std::string> Snapshot(const std::string& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file()) out[e.path()] = ReadFile(e.path());
    }
    return out;
  }

  std::unique_ptr<TestServer> server_;
  uint64_t victim_ = 0;
  ledger::VerifierSet keys_;
  std::string checkpoint_;
  std::vector<std::string> copies_;
};

TEST_F(AuditTest, AnUntouchedDirectoryAuditsClean) {
  node::AuditReport r = Audit(server_->dir());
  EXPECT_TRUE(r.clean()) << r.finding->what;
  EXPECT_TRUE(r.checkpoint_verified);
  EXPECT_EQ(r.records, r.tiles_size);
  EXPECT_GE(r.records, r.checkpoint_size);
  EXPECT_GT(r.checkpoint_size, victim_);
  // With the key from the directory itself (and said so).
  node::AuditReport own = Audit(server_->dir(), /*with_key=*/false);
  EXPECT_TRUE(own.clean());
  EXPECT_FALSE(own.notes.empty());
}

TEST_F(AuditTest, APreallocatedSegmentsZerosEndItsRecords) {
  // A segment written over a preallocated file ends in zeros until sealed
  // (docs/log-format.md §3): its records end where the zeros begin.
  const std::string dir = Copy("zero-tail");
  const std::string seg = dir + "/log/" + stream::SegmentName(0);
  const uint64_t size = fs::file_size(seg);
  fs::resize_file(seg, size + 100000);
  auto tail_note = [](const node::AuditReport& r) {
    for (const std::string& n : r.notes) {
      if (n.find("unsynced tail") != std::string::npos) return true;
    }
    return false;
  };
  node::AuditReport r = Audit(dir);
  EXPECT_TRUE(r.clean()) << r.finding->what;
  EXPECT_FALSE(tail_note(r));
  EXPECT_EQ(r.records, Audit(server_->dir()).records);
  // One byte that is not zero there makes it an unsynced tail (outside the
  // ledger, the last segment's: a note, not damage).
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size + 5000));
    f.write("x", 1);
  }
  node::AuditReport unsynced = Audit(dir);
  EXPECT_TRUE(tail_note(unsynced));
  // A last segment all zeros: a roll renamed a prepared file into place and
  // crashed before its first batch reached the disk. The log removes it at
  // start; the audit notes it.
  const std::string copy = Copy("unstarted");
  const std::string unstarted = copy + "/log/" + stream::SegmentName(r.records);
  { std::ofstream(unstarted, std::ios::binary) << std::string(100000, '\0'); }
  node::AuditReport with_unstarted = Audit(copy);
  EXPECT_TRUE(with_unstarted.clean()) << with_unstarted.finding->what;
  EXPECT_EQ(with_unstarted.records, r.records);
  bool noted = false;
  for (const std::string& n : with_unstarted.notes)
    noted |= n.find("all zeros") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST_F(AuditTest, AFlippedByteIsReportedWithItsRecordEvenWithTheCrcLeftBroken) {
  const std::string dir = Copy("crc-broken");
  RecordAt at = Locate(dir, victim_);
  {
    std::fstream f(at.segment, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(at.offset + 28 + at.length / 2));
    char b;
    f.get(b);
    f.seekp(static_cast<std::streamoff>(at.offset + 28 + at.length / 2));
    f.put(static_cast<char>(b ^ 0x01));
  }
  const auto before = Snapshot(dir);
  node::AuditReport r = Audit(dir);
  ASSERT_FALSE(r.clean());
  EXPECT_EQ(r.finding->seq, victim_) << r.finding->what;
  EXPECT_EQ(r.finding->segment, at.segment);
  EXPECT_EQ(r.finding->offset, at.offset);
  EXPECT_NE(r.finding->what.find("CRC"), std::string::npos) << r.finding->what;
  EXPECT_EQ(r.records, victim_);
  EXPECT_EQ(Snapshot(dir), before) << "the audit must not repair anything";
}

TEST_F(AuditTest, AFlippedByteIsReportedEvenWhenTheTampererFixesTheCrc) {
  const std::string dir = Copy("crc-fixed");
  RecordAt at = Locate(dir, victim_);
  std::string seg = ReadFile(at.segment);
  seg[at.offset + 28 + at.length / 2] ^= 0x01;
  const uint32_t crc = static_cast<uint32_t>(
      crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(seg.data() + at.offset + 4),
            static_cast<uInt>(24 + at.length)));
  for (int i = 0; i < 4; ++i) seg[at.offset + i] = static_cast<char>(crc >> (8 * i));
  std::ofstream(at.segment, std::ios::binary | std::ios::trunc) << seg;
  node::AuditReport r = Audit(dir);
  ASSERT_FALSE(r.clean());
  EXPECT_EQ(r.finding->seq, victim_) << r.finding->what;
  EXPECT_EQ(r.finding->segment, at.segment);
  EXPECT_EQ(r.finding->offset, at.offset);
  EXPECT_NE(r.finding->what.find("published leaf"), std::string::npos) << r.finding->what;
  // The log itself cannot tell: the framing is intact.
  EXPECT_TRUE(stream::Log::Scan(Env::Default(), dir + "/log", 0, nullptr).ok());
}

TEST_F(AuditTest, RemovedRecordsAndBadCheckpointsAreReported) {
  // The last records cut off: the ledger covers more than the log has.
  const std::string dir = Copy("truncated");
  RecordAt at = Locate(dir, victim_);
  fs::resize_file(at.segment, at.offset);
  node::AuditReport r = Audit(dir);
  ASSERT_FALSE(r.clean());
  EXPECT_EQ(r.finding->seq, victim_) << r.finding->what;
  // A checkpoint that does not verify is an error, not a clean audit.
  node::AuditOptions o;
  o.data_dir = server_->dir();
  o.keys = keys_;
  o.checkpoint = checkpoint_;
  o.checkpoint[o.checkpoint.find('\n') + 1] ^= 1;  // the size line
  EXPECT_FALSE(node::AuditDataDir(o).ok());
  o.data_dir = server_->dir() + "-nonexistent";
  o.checkpoint.clear();
  EXPECT_FALSE(node::AuditDataDir(o).ok());
}

}  // namespace
}  // namespace ftz
