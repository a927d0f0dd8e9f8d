// Engine: the deterministic state machine over the log. It applies inbound
// messages in log order and says what follows from each: the receipt owed to
// the sender and the documents whose state changed. The same records in the
// same order give the same outputs byte for byte: no clock (time comes with
// the record), no randomness, no I/O.
//
// This stage keeps the intake rules: duplicate business keys, and the appType
// life cycle (1 new, 2 change, 3 delete). The clearance rules (three-document
// match, limits, tax, lanes) plug in here next; state stays keyed by business
// key so the engine can be sharded by key.
//
// Thread safety: one thread (the sequencer) owns an Engine.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/node_hash_map.h>

#include "bonded/accounts.h"
#include "clearance/clearance.h"
#include "core/documents.h"
#include "core/time.h"
#include "engine/internal/key.h"
#include "engine/internal/sharded_map.h"
#include "engine/records.h"

namespace ftz::engine {

// State keyed by business key: open addressing (one probe sequence, no node
// per entry) for small values, node-based for whole documents. absl's string
// hash is transparent (a lookup by string_view builds no string) and cheaper
// than std::hash's (std::_Hash_bytes was 8% of an engine benchmark). Their
// iteration order changes from run to run (absl seeds its hash); no decision
// depends on it, and snapshots, which list the maps in that order, decode to
// the same state whatever the order. Each is split into 256 shards so that
// growing rehashes 1/256 of it at a time (internal/sharded_map.h: a whole
// table doubling at once stalled the engine thread).
// Keys are held in the entries themselves (internal/key.h: a business key
// is 30–40 bytes, past std::string's 15 inline, and a separate block for it
// cost a cache miss at every lookup of a large state).
template <class V>
using KeyMap =
    internal::ShardedMap<absl::flat_hash_map<internal::Key, V, internal::KeyHash, internal::KeyEq>>;
template <class V>
using KeyNodeMap =
    internal::ShardedMap<absl::node_hash_map<internal::Key, V, internal::KeyHash, internal::KeyEq>>;

// An e-port number (preNo) the window gives a list, cancellation or return:
// "B" + YYYYMMDD + a 9-digit serial that restarts each day. Held as its two
// numbers: every such document keeps one for good, and as a std::string it
// took a 32-byte member and a heap block of its own.
class PreNo {
 public:
  PreNo() = default;
  PreNo(uint32_t day, uint32_t serial) : day_(day), serial_(serial) {}
  bool empty() const { return day_ == 0; }
  // The 18 characters ("" when empty).
  std::string str() const;
  // Reads what str() wrote ("" gives an empty number); false for any other
  // text (nothing else is ever stored).
  static bool Parse(std::string_view text, PreNo* out);

 private:
  uint32_t day_ = 0;  // YYYYMMDD; 0: none
  uint32_t serial_ = 0;
};

// A document whose state changed, for the read model and the statistics.
struct DocumentChange {
  MessageType type;
  std::string key;   // ceb::BlockKey
  size_t block = 0;  // index in the message (0 for a later decision's change)
  int status;        // returnStatus now in force
  std::string info;
  bool removed = false;  // appType 3 (delete) took it away
  // A later decision on a document declared earlier (a list released when its
  // waybill arrives): only status and info change, not where it was declared.
  // A list decided as it arrives has one change, not two: its declaration's,
  // carrying the decision's status and info.
  bool status_only = false;
  std::string invt_no;  // lists: the customs list number, on the declaration's change

  // A later decision's change (status_only) of the document `key`.
  static DocumentChange StatusOnly(MessageType type, std::string key, int status,
                                   std::string info) {
    DocumentChange c;
    c.type = type;
    c.key = std::move(key);
    c.status = status;
    c.info = std::move(info);
    c.status_only = true;
    return c;
  }
};

// A further receipt the engine sends because of a record: a list's CEB622
// (120 entered, then 800/300/500, or 100 with the reason) and the CEB816 tax
// bill of a release. Logged after the record's own receipt, in this order.
struct Emitted {
  std::string cop_code;  // the enterprise it is for
  ReceiptMessage receipt;
};

// A buyer's annual quota after a decision changed it (for the read model).
struct QuotaChange {
  std::string buyer_id;  // the ID number (the read model stores only its hash)
  int32_t year = 0;
  Decimal used;  // customs value counted this calendar year
  uint32_t lists = 0;
};

// A bonded account line after a record changed it (goods-in, a release's
// deduction, stock a return or cancellation put back): for the read model's
// stock report.
struct StockChange {
  std::string ems_no;
  std::string item_record_no;
  Decimal qty;  // on hand now
};

struct Outcome {
  ReceiptMessage receipt;  // one block per block of the message
  std::string cop_code;    // BaseTransfer.copCode: whom the receipt is for
  std::vector<DocumentChange> changes;
  std::vector<Emitted> emitted;
  std::vector<QuotaChange> quota;
  std::vector<StockChange> stock;
  size_t accepted = 0;  // blocks that changed state
  size_t refused = 0;
};

class Engine {
 public:
  // Without rules the engine keeps only the intake rules (duplicates, the
  // appType life cycle); with them it also clears inventory lists. The
  // engine keeps its own copy of the book: versions an operator adds at run
  // time (logged kAdmin records, kind 3) join it, and are in its snapshots.
  explicit Engine(const clearance::RuleBook* rules = nullptr);

  // The rules versions in force or scheduled (null without clearance).
  const clearance::RuleBook* rules() const { return clearance_ ? &book_ : nullptr; }
  // The rules file (TOML) of the last logged start (kAdmin kind 4), "" when
  // the log has none yet: the node logs its own file when it differs.
  const std::string& logged_start_rules() const { return start_rules_toml_; }

  // Applies a decoded, validated message that the log holds at `seq`.
  Outcome Apply(uint64_t seq, UnixMillis time, const Message& m);
  // Starts loading the state the first block of `m` will read when applied
  // (its keys' slots in the state maps, a list's buyer in the quota book).
  // Called one message ahead, the cache misses of a large state overlap with
  // applying the message before (Apply does the same from block to block).
  // A hint: it changes no state and no output.
  void Prefetch(const Message& m) const { PrefetchBlock(m, 0); }
  // Applies an operator's command (a logged kAdmin record). Goods-in adds
  // bonded stock and releases the lists held for it, oldest first.
  // InvalidArgument (nothing changed) for a bad quantity or key. A write-off
  // takes stock off a line and releases nothing: NotFound for a line no
  // goods-in loaded, FailedPrecondition for more than it holds. Either with
  // a document number already used: AlreadyExists, naming the first. A start's
  // rules file (kind 4) replaces the versions given at construction. An
  // officer's conclusion releases (800, with its CEB816) or refuses (100,
  // quota given back) a list under review (300) or inspection (500);
  // NotFound for an unknown invtNo, FailedPrecondition for a list in any
  // other state (nothing changed).
  Result<Outcome> ApplyAdmin(uint64_t seq, UnixMillis time, const AdminRecord& a);
  // Applies a clock tick (a logged kTick record): lists whose deadline has
  // passed are decided (refused, naming what is still missing).
  Outcome Tick(uint64_t seq, UnixMillis time);
  // The earliest deadline of a list still waiting for documents (0: none).
  UnixMillis NextDeadline() const;

  // The engine's whole state as bytes (docs/snapshot-format.md §2), so a
  // restart can begin from a snapshot instead of the start of the log.
  // RestoreSnapshot replaces the state of an engine with the same rules
  // (Corruption for a damaged body, FailedPrecondition for a body taken with
  // clearance on/off differently; the engine is unchanged on error).
  std::string EncodeSnapshot() const;
  Status RestoreSnapshot(std::string_view body);
  // Changes whenever the body's layout or a document's field table changes:
  // a snapshot of another schema is not read (the log is replayed instead).
  static uint32_t SnapshotSchema();

  size_t DocumentCount() const;
  const clearance::QuotaBook& quota() const { return quota_; }
  const bonded::BondedAccounts& stock() const { return stock_; }

 private:
  struct DocState {
    uint64_t seq = 0;  // where it was last declared
    PreNo pre_no;      // given to lists, cancellations and returns
  };

 public:
  // A cancellation or return application being decided: its type, business
  // key and the e-port number the window gave it (empty if none).
  struct Application {
    MessageType type;
    const std::string* key;
    PreNo pre_no;
  };

 private:
  // A declared inventory list and where its clearance stands.
  struct ListState {
    // The declaration while the list waits; null once it is decided (what a
    // cancellation, return or goods-in needs then is in `record`). A list
    // decided on arrival is never copied here.
    std::unique_ptr<InventoryList> list;
    std::string agent_cop;    // who declared it (receipts go there)
    std::string assure_code;  // who withholds its tax (the CEB816 goes there)
    UnixMillis received_at = 0;
    std::string invt_no;
    bool waiting = true;
    // Refused (100) by the rules as it was decided — a mismatch, a limit, the
    // positive list, its deadline — and not since changed: its agent may
    // correct it and declare it again (appType 2, 改单) or delete it
    // (appType 3), and the order, payment and waybill it was matched with
    // are kept, so that they can be corrected too. An officer's refusal
    // after review or inspection is final (false).
    bool correctable = false;
    // Where the list stands (the record's phase, read without decoding it).
    clearance::ListPhase phase = clearance::ListPhase::kWaiting;
    // A decided list's record, encoded as its snapshot holds it ("" while the
    // list waits): a cancellation, return, goods-in or officer decodes it
    // (RecordOf). Kept as bytes because every decided list stays in memory
    // and most are never read again: a third of the record's struct size.
    std::string record;
  };
  // Prefetch for block i of `m` (nothing past its last block).
  void PrefetchBlock(const Message& m, size_t i) const;
  // A list's record: the kept one once decided; while it waits, one made of
  // its declaration (phase kWaiting), as a cancellation or return reads it.
  static clearance::ListRecord RecordOf(const ListState& st);
  static void KeepRecord(ListState* st, const clearance::ListRecord& record);
  // Returns the list's invtNo when block i is an inventory list now in the
  // state (it points into lists_, whose nodes do not move), else null.
  const std::string* OnAccepted(const Message& m, size_t i, const std::string& key, bool removed,
                                UnixMillis time, Outcome* out, const DocState* doc);
  // A list as it arrives: the declaration (not yet kept in the state) and its
  // e-port number, so that deciding it needs no second lookup of either.
  struct Arrival {
    const InventoryList* list;  // `= {}`: null, and no number
    PreNo pre_no;
  };
  void TryDecide(const std::string& list_key, UnixMillis time, Outcome* out);
  void TryDecide(const std::string& list_key, ListState& st, UnixMillis time, Outcome* out,
                 Arrival arrival = {});
  // Applies a decision's effects (quota, stock) and reports the quota change.
  // `what` and `key` name the decision in the message of a broken invariant.
  void ApplyEffects(const clearance::Decision& d, std::string_view what, std::string_view key,
                    Outcome* out);
  // The version a cancellation or return is decided under: the one in force,
  // or before any is, the first to take effect (null only for an empty book).
  const clearance::Rules* RulesForAnswer(UnixMillis time) const;
  // The list an application (623, 625) names by invtNo: its state (null if
  // none), key and record (a waiting list's made of its declaration).
  struct NamedList {
    ListState* st = nullptr;
    std::string key;
    clearance::ListRecord record;
    const clearance::ListRecord* record_or_null() const { return st ? &record : nullptr; }
  };
  NamedList ListNamed(const std::string& invt_no);
  void OnCancellation(const Cancellation& c, const Application& app, const std::string& cop,
                      UnixMillis time, Outcome* out);
  void OnReturn(const ReturnRequest& r, const Application& app, const std::string& cop,
                UnixMillis time, Outcome* out);
  // The CEB816 of a release (to the withholding enterprise) and the list's
  // new status for the read model. The bill is moved out of d.record: call
  // these after KeepRecord.
  void EmitTaxBill(const ListState& st, clearance::Decision& d, Outcome* out);
  void EmitTaxBillAndState(const ListState& st, clearance::Decision& d, const std::string& list_key,
                           Outcome* out);
  // A new CEB622 to the list's agent, numbered, in place at the end of
  // out->emitted: the caller fills its block (no receipt is moved).
  InventoryReturn& New622(const ListState& st, Outcome* out);
  // Fills a CEB622 of a decision made after the list's arrival (an
  // officer's conclusion, a held list released) and gives it the e-port
  // number (preNo) the list was given on arrival.
  void FillLaterReturn(const clearance::Decision& d, std::string_view list_key,
                       InventoryReturn* r) const;
  Result<Outcome> ConcludeByOfficer(UnixMillis time, const AdminRecord& a);
  // Releases the lists held for bonded stock of `ems_no` that the stock now
  // covers (after goods-in, or a return or cancellation that put stock back).
  void ReleaseHeld(std::string_view ems_no, UnixMillis time, Outcome* out);
  // Registers a waiting list under the waybill it names, and takes it off;
  // the latter returns whether other lists still wait for that waybill.
  void WaitForWaybill(const InventoryHead& list, const std::string& list_key);
  bool StopWaitingForWaybill(const InventoryHead& list, const std::string& list_key);
  // Drops what a decided list no longer needs: its declaration and the
  // order, payment and waybill it was matched with.
  void ForgetMatched(const std::string& list_key, const InventoryHead& list, ListState* st);
  // The same, with the matched documents already found (end() where absent).
  struct Matched {
    KeyNodeMap<clearance::OrderFacts>::iterator order;
    KeyNodeMap<clearance::PaymentFacts>::iterator payment;
    KeyNodeMap<clearance::WaybillFacts>::iterator waybill;
  };
  void ForgetMatched(const std::string& list_key, const InventoryHead& list, ListState* st,
                     Matched found);
  // The specification's text when a change or delete (appType 2, 3) names an
  // order, payment or waybill a decided list was matched with; else null.
  const char* UsedByDecidedList(MessageType type, const std::string& key) const;
  // For a change or delete (appType 2, 3) of block i of list message `m`
  // naming a known list (`named`, null if none), waiting or decided: the
  // block's agentCode when it is not the one that declared the list, else
  // null.
  const std::string* OtherAgentsList(const Message& m, size_t i, const ListState* named) const;
  // The e-port number (preNo) the list under `list_key` was given on
  // arrival (empty if none).
  PreNo ListPreNo(std::string_view list_key) const;
  // The key (payCode/payTransactionId) of another payment already waiting
  // with its order for the order block i of payment message `m` names, or
  // "" (also for anything but a new payment or a change to a known one).
  std::string PaymentOfOrderElsewhere(const Message& m, size_t i, const std::string& key,
                                      const std::string& app_type) const;
  // Its code: -301011, -401008 or -504016.
  static int InUseCode(MessageType type);
  // The next e-port number, dated by the record's returnTime text.
  PreNo NextPreNo(std::string_view return_time);

  // The versions given at construction, and those plus the ones added at
  // run time (the TOML of each, in order, for snapshots). Without clearance
  // both are empty.
  clearance::RuleBook base_book_;
  clearance::RuleBook book_;
  std::vector<std::string> added_rules_;
  std::string start_rules_toml_;
  bool clearance_ = false;
  Result<Outcome> AddRules(UnixMillis time, const AdminRecord& a);
  // A goods-in (kGoodsIn) or a write-off (kWriteOff) of one account line.
  Result<Outcome> ApplyStockCommand(uint64_t seq, UnixMillis time, const AdminRecord& a);
  // A logged start with its rules file: the base versions become that
  // file's, the run-time versions stay (all or nothing).
  Result<Outcome> SetStartRules(const AdminRecord& a);
  // Clearance state, by business key: the documents a list is matched with,
  // the lists, and the deadlines of those still waiting.
  // The three documents are kept as what the rules read of them (facts.h).
  KeyNodeMap<clearance::OrderFacts> orders_;      // ebpCode/orderNo
  KeyNodeMap<clearance::PaymentFacts> payments_;  // ebpCode/orderNo
  KeyMap<std::string> payment_link_;              // payment key -> ebpCode/orderNo
  KeyNodeMap<clearance::WaybillFacts> waybills_;  // logisticsCode/logisticsNo
  KeyNodeMap<ListState> lists_;                   // ebpCode/orderNo
  // waybill key -> the lists waiting for it, in the order they named it
  // (usually one; a list naming another parcel's waybill adds a second).
  KeyMap<std::vector<std::string>> list_by_waybill_;
  KeyMap<internal::Key> list_by_invt_;  // invtNo -> list key
  // Lists held for bonded stock, by arrival order, with the account they
  // wait on (so goods-in need not decode every held list's record).
  struct HeldList {
    std::string key;
    std::string ems_no;
  };
  std::map<uint64_t, HeldList> held_;
  uint64_t held_serial_ = 0;
  std::multimap<UnixMillis, std::string> deadlines_;  // waiting lists
  KeyMap<std::multimap<UnixMillis, std::string>::iterator> deadline_of_;
  clearance::QuotaBook quota_;
  bonded::BondedAccounts stock_;
  // Goods-in and write-off document numbers applied, with what they changed
  // and where (their log index): a repeat is refused, naming the first. Few
  // (beside lists); ordered, so that a snapshot is the same bytes.
  struct GoodsInEntry {
    std::string ems_no, item_record_no;
    Decimal qty;  // negative: a write-off
    uint64_t seq = 0;
  };
  std::map<std::string, GoodsInEntry, std::less<>> goods_in_;
  uint64_t invt_serial_ = 0;
  uint64_t emitted_serial_ = 0;

  // One key space per inbound message type (311, 411, ...).
  std::array<KeyMap<DocState>, 8> docs_;
  std::string pre_no_day_;
  // The returnTime text of the last time applied (a cache: no state).
  std::string return_time_;
  UnixMillis return_time_of_ = 0;
  uint64_t pre_no_serial_ = 0;
};

// Index of a message type's key space, 0..7.
int KeySpace(MessageType t);

}  // namespace ftz::engine
