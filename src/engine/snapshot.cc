// The engine's snapshot body (docs/snapshot-format.md §2): every map of the
// engine's state, written field by field. Documents are written through the
// specification's field tables (ceb/field_tables.h), so a field added to the
// schema is carried without touching this file, and SnapshotSchema() changes
// with it: an older snapshot is then refused and the log replayed instead.
#include <algorithm>
#include <thread>
#include <type_traits>

#include "ceb/field_tables.h"
#include "engine/engine.h"
#include "engine/internal/list_record.h"
#include "engine/internal/snapshot_codec.h"

namespace ftz::engine {
namespace {

using internal::SnapshotReader;
using internal::SnapshotWriter;

// Bumped whenever the body's layout below changes.
// 7: varint integers and lengths; 8: a list state says whether it may be
// corrected (refused by the rules).
constexpr uint32_t kBodyVersion = 9;

// The engine's own records: a new member must be written below (and the
// version bumped) before these sizes are updated.
static_assert(sizeof(clearance::RecordLine) == 136, "RecordLine changed: update snapshot.cc");
static_assert(sizeof(clearance::ListRecord) == 1008, "ListRecord changed: update snapshot.cc");
static_assert(sizeof(clearance::OrderFacts) == 192, "OrderFacts changed: update snapshot.cc");
static_assert(sizeof(clearance::OrderFacts::Line) == 56, "OrderFacts changed: update snapshot.cc");
static_assert(sizeof(clearance::PaymentFacts) == 104, "PaymentFacts changed: update snapshot.cc");
static_assert(sizeof(clearance::WaybillFacts) == 112, "WaybillFacts changed: update snapshot.cc");

template <class T>
void PutPart(SnapshotWriter& w, const T& obj) {
  for (const auto& f : ceb::FieldsOf<T>()) {
    if (f.text) {
      w.Str(obj.*f.text);
    } else if (f.decimal) {
      w.I64((obj.*f.decimal).units());
    } else {
      w.I64(obj.*f.integer);
    }
  }
}

template <class T>
void GetPart(SnapshotReader& r, T* obj) {
  for (const auto& f : ceb::FieldsOf<T>()) {
    if (f.text) {
      obj->*f.text = r.Str();
    } else if (f.decimal) {
      obj->*f.decimal = Decimal::FromUnits(r.I64());
    } else {
      obj->*f.integer = r.I64();
    }
  }
}

template <class T>
uint32_t SchemaOf(uint32_t h) {
  // FNV-1a over the part's element and field names and kinds.
  auto mix = [&h](std::string_view s) {
    for (unsigned char c : s) h = (h ^ c) * 16777619u;
    h = (h ^ 0xff) * 16777619u;
  };
  mix(ceb::ElementOf<T>());
  for (const auto& f : ceb::FieldsOf<T>()) {
    mix(f.name);
    h = (h ^ static_cast<uint8_t>(f.kind)) * 16777619u;
  }
  return h;
}

// A document: its head, then its lines if it has any.
template <class D>
void PutDoc(SnapshotWriter& w, const D& d) {
  PutPart(w, d.head);
  if constexpr (requires { d.items; }) {
    w.U64(d.items.size());
    for (const auto& item : d.items) PutPart(w, item);
  }
}

template <class D>
void GetDoc(SnapshotReader& r, D* d) {
  GetPart(r, &d->head);
  if constexpr (requires { d->items; }) {
    const uint64_t n = r.Count(1);
    d->items.resize(n);
    for (auto& item : d->items) GetPart(r, &item);
  }
}

// An order, payment or waybill as the engine keeps it (clearance/facts.h):
// its packed text, where each field lies in it, then its amounts.
void PutRef(SnapshotWriter& w, clearance::TextRef t) {
  w.U32(t.begin);
  w.U32(t.size);
}

clearance::TextRef GetRef(SnapshotReader& r, const clearance::PackedText& text) {
  clearance::TextRef t;
  t.begin = r.U32();
  t.size = r.U32();
  if (!text.Holds(t)) r.Fail();  // never a view outside the text
  return t;
}

template <class F>
void PutFacts(SnapshotWriter& w, const F& f) {
  w.Str(f.text.bytes());
  for (clearance::TextRef t : f.fields) PutRef(w, t);
  if constexpr (std::is_same_v<F, clearance::OrderFacts>) {
    for (Decimal d : {f.goods_value, f.freight, f.discount, f.tax_total, f.actural_paid}) {
      w.I64(d.units());
    }
    w.U64(f.lines.size());
    for (const clearance::OrderFacts::Line& l : f.lines) {
      w.I64(l.gnum);
      for (Decimal d : {l.qty, l.price, l.total_price}) w.I64(d.units());
      for (clearance::TextRef t : {l.item_name, l.currency, l.country}) PutRef(w, t);
    }
  } else if constexpr (std::is_same_v<F, clearance::PaymentFacts>) {
    w.I64(f.amount_paid.units());
  } else {
    w.I64(f.pack_no);
    w.I64(f.freight.units());
    w.I64(f.insured_fee.units());
  }
}

template <class F>
void GetFacts(SnapshotReader& r, F* f) {
  f->text = clearance::PackedText::FromBytes(r.Str());
  for (clearance::TextRef& t : f->fields) t = GetRef(r, f->text);
  auto dec = [&r] { return Decimal::FromUnits(r.I64()); };
  if constexpr (std::is_same_v<F, clearance::OrderFacts>) {
    for (Decimal* d :
         {&f->goods_value, &f->freight, &f->discount, &f->tax_total, &f->actural_paid}) {
      *d = dec();
    }
    f->lines.resize(r.Count(10));  // a line: gnum, 3 amounts, 3 refs (2 varints each)
    for (clearance::OrderFacts::Line& l : f->lines) {
      l.gnum = r.I64();
      for (Decimal* d : {&l.qty, &l.price, &l.total_price}) *d = dec();
      for (clearance::TextRef* t : {&l.item_name, &l.currency, &l.country}) {
        *t = GetRef(r, f->text);
      }
    }
  } else if constexpr (std::is_same_v<F, clearance::PaymentFacts>) {
    f->amount_paid = dec();
  } else {
    f->pack_no = r.I64();
    f->freight = dec();
    f->insured_fee = dec();
  }
}

void PutRecord(SnapshotWriter& w, const clearance::ListRecord& x) {
  w.U8(static_cast<uint8_t>(x.phase));
  for (const std::string* s :
       {&x.invt_no, &x.cop_no, &x.pre_no, &x.order_no, &x.ebp_code, &x.ebc_code, &x.agent_code,
        &x.customs_code, &x.trade_mode, &x.ems_no, &x.logistics_no, &x.buyer_id_number,
        &x.buyer_name, &x.rules_version, &x.lane_reason}) {
    w.Str(*s);
  }
  w.I64(x.received_at);
  w.I64(x.decided_at);
  w.I64(x.released_at);
  w.U8(static_cast<uint8_t>(x.lane));
  w.U8(static_cast<uint8_t>(x.regime));
  w.U32(static_cast<uint32_t>(x.quota_year));
  w.Bool(x.quota_counted);
  w.I64(x.value.units());
  w.U64(x.lines.size());
  for (const clearance::RecordLine& l : x.lines) {
    w.I64(l.gnum);
    w.Str(l.gcode);
    w.Str(l.item_record_no);
    w.I64(l.qty.units());
    w.I64(l.returned_qty.units());
    w.I64(l.value.units());
    w.I64(l.customs_tax_fen);
    w.I64(l.consumption_tax_fen);
    w.I64(l.vat_fen);
    w.U32(l.qty_kind);
    w.I64(l.qty_counted.units());
  }
  w.Bool(x.tax_bill.has_value());
  if (x.tax_bill) PutDoc(w, *x.tax_bill);
}

void GetRecord(SnapshotReader& r, clearance::ListRecord* x) {
  const uint8_t phase = r.U8();
  if (phase > static_cast<uint8_t>(clearance::ListPhase::kReturned)) r.Fail();
  x->phase = static_cast<clearance::ListPhase>(phase);
  for (std::string* s :
       {&x->invt_no, &x->cop_no, &x->pre_no, &x->order_no, &x->ebp_code, &x->ebc_code,
        &x->agent_code, &x->customs_code, &x->trade_mode, &x->ems_no, &x->logistics_no,
        &x->buyer_id_number, &x->buyer_name, &x->rules_version, &x->lane_reason}) {
    *s = r.Str();
  }
  x->received_at = r.I64();
  x->decided_at = r.I64();
  x->released_at = r.I64();
  const uint8_t lane = r.U8(), regime = r.U8();
  if (lane > static_cast<uint8_t>(clearance::Lane::kRed) ||
      regime > static_cast<uint8_t>(clearance::TaxRegime::kFullGoodsRate)) {
    r.Fail();
  }
  x->lane = static_cast<clearance::Lane>(lane);
  x->regime = static_cast<clearance::TaxRegime>(regime);
  x->quota_year = static_cast<int32_t>(r.U32());
  x->quota_counted = r.Bool();
  x->value = Decimal::FromUnits(r.I64());
  x->lines.resize(r.Count(11));  // 11 fields
  for (clearance::RecordLine& l : x->lines) {
    l.gnum = r.I64();
    l.gcode = r.Str();
    l.item_record_no = r.Str();
    l.qty = Decimal::FromUnits(r.I64());
    l.returned_qty = Decimal::FromUnits(r.I64());
    l.value = Decimal::FromUnits(r.I64());
    l.customs_tax_fen = r.I64();
    l.consumption_tax_fen = r.I64();
    l.vat_fen = r.I64();
    l.qty_kind = r.U32();
    l.qty_counted = Decimal::FromUnits(r.I64());
  }
  if (r.Bool()) {
    x->tax_bill.emplace();
    GetDoc(r, &*x->tax_bill);
  }
}

template <class Map, class PutValue>
void PutMap(SnapshotWriter& w, const Map& m, PutValue put) {
  w.U64(m.size());
  for (const auto& [k, v] : m) {
    w.Str(k);
    put(v);
  }
}

template <class Map, class GetValue>
void GetMap(SnapshotReader& r, Map* m, GetValue get) {
  const uint64_t n = r.Count(2);  // a key's length and a byte of it at least
  m->reserve(n);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string k = r.Str();
    get(&(*m)[std::move(k)]);
  }
}

}  // namespace

namespace internal {

std::string EncodeListRecord(const clearance::ListRecord& record) {
  // Encoded into a buffer kept between calls, then copied once at its exact
  // size (a decided list keeps it): reserving room and shrinking to fit
  // cost two allocations for every decision.
  thread_local std::string scratch;
  SnapshotWriter w(&scratch, 0);
  PutRecord(w, record);
  return std::string(w.written());
}

bool DecodeListRecord(std::string_view bytes, clearance::ListRecord* out) {
  SnapshotReader r(bytes);
  GetRecord(r, out);
  return r.ok() && r.done();
}

}  // namespace internal

uint32_t Engine::SnapshotSchema() {
  uint32_t h = 2166136261u ^ kBodyVersion;
  h = SchemaOf<OrderHead>(h);
  h = SchemaOf<OrderItem>(h);
  h = SchemaOf<PaymentHead>(h);
  h = SchemaOf<WaybillHead>(h);
  h = SchemaOf<InventoryHead>(h);
  h = SchemaOf<InventoryItem>(h);
  h = SchemaOf<TaxHead>(h);
  h = SchemaOf<TaxItem>(h);
  return h;
}

std::string Engine::EncodeSnapshot() const {
  std::string out;
  SnapshotWriter w(&out);
  w.U8(clearance_);
  // The logged start's rules file ("" if none), then the versions added at
  // run time, each as its TOML (parsed again on restore).
  w.Str(start_rules_toml_);
  w.U64(added_rules_.size());
  for (const std::string& t : added_rules_) w.Str(t);
  {
    // The business keys seen, as a section of their own (u64 length first),
    // so that a restore decodes them on a second thread.
    std::string keys;
    SnapshotWriter kw(&keys);
    for (const auto& space : docs_) {
      PutMap(kw, space, [&](const DocState& d) {
        kw.U64(d.seq);
        kw.Str(d.pre_no.str());
      });
    }
    kw.Finish();
    w.U64(keys.size());
    w.Raw(keys);
  }
  w.Str(pre_no_day_);
  w.U64(pre_no_serial_);
  w.U64(invt_serial_);
  w.U64(emitted_serial_);
  w.U64(held_serial_);
  PutMap(w, orders_, [&](const clearance::OrderFacts& o) { PutFacts(w, o); });
  PutMap(w, payments_, [&](const clearance::PaymentFacts& p) { PutFacts(w, p); });
  PutMap(w, payment_link_, [&](const std::string& v) { w.Str(v); });
  PutMap(w, waybills_, [&](const clearance::WaybillFacts& b) { PutFacts(w, b); });
  static const InventoryList kDecided;  // a decided list keeps no declaration
  static const std::string no_record = internal::EncodeListRecord({});  // a waiting list's
  PutMap(w, lists_, [&](const ListState& s) {
    PutDoc(w, s.list ? *s.list : kDecided);
    w.Str(s.agent_cop);
    w.Str(s.assure_code);
    w.I64(s.received_at);
    w.Str(s.invt_no);
    w.Bool(s.waiting);
    w.Bool(s.correctable);
    w.Raw(s.record.empty() ? no_record : s.record);
  });
  PutMap(w, list_by_waybill_, [&](const std::vector<std::string>& v) {
    w.U64(v.size());
    for (const std::string& list_key : v) w.Str(list_key);
  });
  PutMap(w, list_by_invt_, [&](const internal::Key& v) { w.Str(v.view()); });
  w.U64(held_.size());
  for (const auto& [serial, held] : held_) {
    w.U64(serial);
    w.Str(held.key);
  }
  w.U64(deadlines_.size());
  for (const auto& [at, key] : deadlines_) {
    w.I64(at);
    w.Str(key);
  }
  const std::vector<clearance::QuotaEntry> quota = quota_.Entries();
  w.U64(quota.size());
  for (const clearance::QuotaEntry& q : quota) {
    w.Str(q.buyer_id);
    w.U32(static_cast<uint32_t>(q.year));
    w.U32(q.kind);
    w.I64(q.amount.units());
    w.U32(q.lists);
  }
  const std::vector<bonded::StockLine> stock = stock_.Report();
  w.U64(stock.size());
  for (const bonded::StockLine& s : stock) {
    w.Str(s.ems_no);
    w.Str(s.item_record_no);
    w.I64(s.qty.units());
  }
  w.U64(goods_in_.size());
  for (const auto& [entry_no, g] : goods_in_) {
    w.Str(entry_no);
    w.Str(g.ems_no);
    w.Str(g.item_record_no);
    w.I64(g.qty.units());
    w.U64(g.seq);
  }
  w.Finish();
  return out;
}

Status Engine::RestoreSnapshot(std::string_view body) {
  Engine e(clearance_ ? &base_book_ : nullptr);
  SnapshotReader r(body);
  const bool clearance_on = r.Bool();
  if (!r.ok()) return Status::Corruption("engine snapshot: empty body");
  if (clearance_on != clearance_) {
    return Status::FailedPrecondition("the snapshot was taken with clearance " +
                                      std::string(clearance_ ? "off" : "on") +
                                      ", this engine has it " + (clearance_ ? "on" : "off"));
  }
  if (std::string start = r.Str(); !start.empty() && r.ok()) {
    AdminRecord a;
    a.kind = AdminRecord::kStartRules;
    a.rules_toml = std::move(start);
    if (!e.SetStartRules(a).ok()) {
      return Status::Corruption("engine snapshot: the logged start rules no longer load");
    }
  }
  for (uint64_t i = 0, n = r.Count(4); i < n && r.ok(); ++i) {
    std::string toml = r.Str();
    auto parsed = clearance::ParseRules(toml, "rules");
    if (!parsed.ok() || !e.book_.Add(std::move(*parsed)).ok()) {
      return Status::Corruption("engine snapshot: rules added at run time no longer load");
    }
    e.added_rules_.push_back(std::move(toml));
  }
  // The keys section decodes on a thread of its own while this one goes on
  // with the rest (a start's time is mostly this decoding).
  const uint64_t keys_len = r.Count(1);
  std::string_view keys = r.ok() ? r.Take(keys_len) : std::string_view();
  bool keys_ok = true;
  std::thread keys_thread([&e, keys, &keys_ok] {
    SnapshotReader kr(keys);
    bool pre_nos_ok = true;
    for (auto& space : e.docs_) {
      GetMap(kr, &space, [&](DocState* d) {
        d->seq = kr.U64();
        if (!PreNo::Parse(kr.Str(), &d->pre_no)) pre_nos_ok = false;
      });
    }
    keys_ok = kr.ok() && kr.done() && pre_nos_ok;
  });
  struct Join {
    std::thread& t;
    ~Join() {
      if (t.joinable()) t.join();
    }
  } join{keys_thread};
  e.pre_no_day_ = r.Str();
  e.pre_no_serial_ = r.U64();
  e.invt_serial_ = r.U64();
  e.emitted_serial_ = r.U64();
  e.held_serial_ = r.U64();
  GetMap(r, &e.orders_, [&](clearance::OrderFacts* o) { GetFacts(r, o); });
  GetMap(r, &e.payments_, [&](clearance::PaymentFacts* p) { GetFacts(r, p); });
  GetMap(r, &e.payment_link_, [&](std::string* v) { *v = r.Str(); });
  GetMap(r, &e.waybills_, [&](clearance::WaybillFacts* b) { GetFacts(r, b); });
  GetMap(r, &e.lists_, [&](ListState* s) {
    InventoryList declared;
    GetDoc(r, &declared);
    s->agent_cop = r.Str();
    s->assure_code = r.Str();
    s->received_at = r.I64();
    s->invt_no = r.Str();
    s->waiting = r.Bool();
    s->correctable = r.Bool();
    if (s->waiting) s->list = std::make_unique<InventoryList>(std::move(declared));
    // Read to check it, then kept as the bytes it came in (Engine::RecordOf).
    const size_t at = r.pos();
    clearance::ListRecord record;
    GetRecord(r, &record);
    s->phase = record.phase;
    // Only a list the rules refused may be corrected, and it waits no more.
    if (s->correctable && (s->waiting || record.phase != clearance::ListPhase::kRejected)) r.Fail();
    if (record.phase != clearance::ListPhase::kWaiting) s->record = std::string(r.Since(at));
  });
  GetMap(r, &e.list_by_waybill_, [&](std::vector<std::string>* v) {
    v->resize(r.Count(2));
    for (std::string& list_key : *v) list_key = r.Str();
    if (v->empty()) r.Fail();  // an entry with no list is never kept
  });
  GetMap(r, &e.list_by_invt_, [&](internal::Key* v) { *v = internal::Key(r.Str()); });
  for (uint64_t i = 0, n = r.Count(2); i < n && r.ok(); ++i) {
    const uint64_t serial = r.U64();
    e.held_.emplace(serial, HeldList{r.Str(), ""});  // its account: below, from the record
  }
  for (uint64_t i = 0, n = r.Count(2); i < n && r.ok(); ++i) {
    const UnixMillis at = r.I64();
    std::string key = r.Str();
    if (e.deadline_of_.count(key)) r.Fail();
    auto it = e.deadlines_.emplace(at, key);
    e.deadline_of_.emplace(std::move(key), it);
  }
  std::vector<clearance::QuotaEntry> quota(r.Count(5));
  for (clearance::QuotaEntry& q : quota) {
    q.buyer_id = r.Str();
    q.year = static_cast<int32_t>(r.U32());
    q.kind = r.U32();
    q.amount = Decimal::FromUnits(r.I64());
    q.lists = r.U32();
  }
  std::vector<bonded::StockLine> stock(r.Count(3));
  for (bonded::StockLine& s : stock) {
    s.ems_no = r.Str();
    s.item_record_no = r.Str();
    s.qty = Decimal::FromUnits(r.I64());
  }
  for (uint64_t i = 0, n = r.Count(5); i < n && r.ok(); ++i) {
    std::string entry_no = r.Str();
    GoodsInEntry g;
    g.ems_no = r.Str();
    g.item_record_no = r.Str();
    g.qty = Decimal::FromUnits(r.I64());
    g.seq = r.U64();
    if (entry_no.empty() || !e.goods_in_.emplace(std::move(entry_no), std::move(g)).second) {
      r.Fail();  // never kept empty, never twice
    }
  }
  keys_thread.join();
  if (!r.ok() || !r.done() || !keys_ok) {
    return Status::Corruption("engine snapshot: truncated or malformed body");
  }
  auto book = clearance::QuotaBook::FromEntries(quota);
  if (!book.ok()) return Status::Corruption("engine snapshot: quota: " + book.status().message());
  e.quota_ = std::move(*book);
  auto accounts = bonded::BondedAccounts::FromReport(stock);
  if (!accounts.ok()) {
    return Status::Corruption("engine snapshot: bonded stock: " + accounts.status().message());
  }
  e.stock_ = std::move(*accounts);
  // Every list the indexes name must exist, or a later lookup would fail.
  auto unknown = [&](std::string_view list_key) {
    return Status::Corruption("engine snapshot: index names unknown list " + std::string(list_key));
  };
  for (const auto& [waybill, waiting] : e.list_by_waybill_) {
    for (const std::string& list_key : waiting) {
      if (!e.lists_.count(list_key)) return unknown(list_key);
    }
  }
  for (const auto& [invt_no, list_key] : e.list_by_invt_) {
    if (!e.lists_.count(list_key)) return unknown(list_key);
  }
  for (auto& [serial, held] : e.held_) {
    auto list = e.lists_.find(held.key);
    if (list == e.lists_.end()) return Status::Corruption("engine snapshot: held list unknown");
    held.ems_no = RecordOf(list->second).ems_no;
  }
  for (const auto& [key, it] : e.deadline_of_) {
    if (!e.lists_.count(key)) return Status::Corruption("engine snapshot: deadline list unknown");
  }
  // Moving the maps keeps deadline_of_'s iterators valid: node-based
  // containers move their nodes, not the elements.
  *this = std::move(e);
  return Status::Ok();
}

}  // namespace ftz::engine
