#include "clearance/clearance.h"

#include <cstdio>
#include <map>

#include "clearance/digest.h"
#include "clearance/positive_list.h"

namespace ftz::clearance {

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kWaiting:
      return "waiting";
    case Outcome::kReleased:
      return "released";
    case Outcome::kManualReview:
      return "review";
    case Outcome::kInspection:
      return "inspection";
    case Outcome::kHeld:
      return "held";
    case Outcome::kRejected:
      return "rejected";
    case Outcome::kConcluded:
      return "concluded";
  }
  return "?";
}

std::string_view ListPhaseName(ListPhase p) {
  switch (p) {
    case ListPhase::kWaiting:
      return "waiting";
    case ListPhase::kManualReview:
      return "review";
    case ListPhase::kInspection:
      return "inspection";
    case ListPhase::kHeld:
      return "held";
    case ListPhase::kReleased:
      return "released";
    case ListPhase::kRejected:
      return "rejected";
    case ListPhase::kCancelled:
      return "cancelled";
    case ListPhase::kReturned:
      return "returned";
  }
  return "?";
}

std::string_view ListPhaseText(ListPhase p) {
  // The CEB622 status each phase answered with, in the receipts' words.
  switch (p) {
    case ListPhase::kWaiting:
      return "电子口岸申报中（单证未齐）";
    case ListPhase::kManualReview:
      return "人工审核";
    case ListPhase::kInspection:
      return "查验";
    case ListPhase::kHeld:
      return "海关入库（账册库存不足，待补货后放行）";
    case ListPhase::kReleased:
      return "放行";
    case ListPhase::kRejected:
      return "海关退单";
    case ListPhase::kCancelled:
      return "撤单审结";
    case ListPhase::kReturned:
      return "退货审结";
  }
  return "?";
}

namespace {

using i128 = __int128;

std::string TimeText(UnixMillis t) {
  CivilTime c = FromUnixMillisCst(t);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

std::string DurationText(int64_t ms) {
  // Hours up to three days ("24小时"), days beyond ("30天").
  if (ms % 86'400'000 == 0 && ms >= 3 * 86'400'000) return std::to_string(ms / 86'400'000) + "天";
  if (ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "小时";
  if (ms % 60'000 == 0) return std::to_string(ms / 60'000) + "分钟";
  return std::to_string(ms / 1000) + "秒";
}

// amount × part / whole, rounded half up; exact amount when part == whole.
int64_t Portion(int64_t amount, Decimal part, Decimal whole) {
  if (part == whole) return amount;
  if (whole.units() <= 0 || part.units() <= 0) return 0;
  i128 num = static_cast<i128>(amount) * part.units();
  i128 den = whole.units();
  return static_cast<int64_t>((2 * num + den) / (2 * den));
}

std::string ListRef(std::string_view invt_no, const InventoryList& list) {
  if (!invt_no.empty()) return std::string(invt_no);
  if (!list.head.invtNo.empty()) return list.head.invtNo;
  if (!list.head.copNo.empty()) return list.head.copNo;
  return list.head.orderNo;
}

void Reject(Decision* d, int code, std::string rule, std::string desc) {
  d->outcome = Outcome::kRejected;
  d->return_status = receipt::kRejected;
  d->error_code = code;
  d->rule = std::move(rule);
  // returnInfo is C..1000: keep the receipt within it (the full text stays in
  // `detail` when cut).
  std::string info = ReturnInfo(code, desc);
  if (info.size() > 1000) {
    d->detail = desc;
    info = ReturnInfo(code, TruncateUtf8(desc, 960));
  }
  d->return_info = std::move(info);
}

}  // namespace

ListRecord RecordOfDeclaration(const InventoryList& list, std::string_view invt_no,
                               UnixMillis received_at) {
  const InventoryHead& h = list.head;
  ListRecord r;
  r.phase = ListPhase::kWaiting;
  r.invt_no = ListRef(invt_no, list);
  r.cop_no = h.copNo;
  r.pre_no = h.preNo;
  r.order_no = h.orderNo;
  r.ebp_code = h.ebpCode;
  r.ebc_code = h.ebcCode;
  r.agent_code = h.agentCode;
  r.customs_code = h.customsCode;
  r.trade_mode = h.tradeMode;
  r.ems_no = h.emsNo;
  r.logistics_no = h.logisticsNo;
  r.buyer_id_number = h.buyerIdNumber;
  r.buyer_name = h.buyerName;
  r.received_at = received_at;
  return r;
}

namespace {

ListRecord NewRecord(const InventoryList& list, std::string_view invt_no, UnixMillis received_at,
                     const Rules& rules) {
  ListRecord r = RecordOfDeclaration(list, invt_no, received_at);
  r.rules_version = rules.version;
  return r;
}

std::vector<bonded::StockMove> Deductions(const ListRecord& r) {
  std::vector<bonded::StockMove> moves;
  if (r.trade_mode != "1210") return moves;
  for (const RecordLine& l : r.lines) moves.push_back({r.ems_no, l.item_record_no, -l.qty});
  return moves;
}

// A 1210 list draws on lines of its account book (账册): a line goods-in
// never loaded is a wrong emsNo or itemRecordNo, which no restocking of the
// real line would release, so it is refused (the agent corrects the list)
// rather than held. "" if every line is in the book.
std::string FirstLineNotInAccount(const InventoryList& list, const bonded::BondedAccounts& stock) {
  if (list.head.tradeMode != "1210") return {};
  for (const InventoryItem& it : list.items) {
    if (!stock.Loaded(list.head.emsNo, it.itemRecordNo)) {
      return "账册[" + list.head.emsNo + "]中没有备案序号[" + it.itemRecordNo + "]（清单第" +
             std::to_string(it.gnum) + "项），未入库备案，请核对账册编号和备案序号";
    }
  }
  return {};
}

// "[Code:2600;Desc:放行]" as the customs' release receipts spell it.
const std::string& ReleaseInfo() {
  static const std::string info = ReturnInfo(2600, "放行");
  return info;
}

// Green/blue lane or officer release: deduct bonded stock if there is enough,
// else hold the list (120) until stock arrives and Conclude is called again.
void ReleaseOrHold(Decision* d, const bonded::BondedAccounts& stock, UnixMillis at) {
  ListRecord& r = d->record;
  std::vector<bonded::StockMove> moves = Deductions(r);
  bonded::BondedAccounts::Shortage shortage;
  Status enough = stock.CheckMoves(moves, &shortage);
  if (!enough.ok()) {
    d->outcome = Outcome::kHeld;
    d->return_status = receipt::kEntered;
    d->rule = "bonded";
    // The agent and the warehouse learn what to restock: the first short line.
    d->return_info =
        ReturnInfo(receipt::kEntered, "海关入库，账册库存不足，待补货后放行（账册[" +
                                          shortage.ems_no + "]备案序号[" + shortage.item_record_no +
                                          "]需" + shortage.need.ToString() + "，库存" +
                                          shortage.have.ToString() + "）");
    d->detail = enough.message();
    r.phase = ListPhase::kHeld;
    return;
  }
  d->stock = std::move(moves);
  d->outcome = Outcome::kReleased;
  d->return_status = receipt::kReleased;
  d->return_info = ReleaseInfo();
  r.phase = ListPhase::kReleased;
  r.released_at = at;
  if (r.tax_bill) {
    if (at != r.decided_at) r.tax_bill->head.returnTime = ReturnTimeText(at);
    d->tax_bill_issued = true;
  }
}

// The quota a record holds, negated: what a cancellation or refusal gives back.
void GiveBackQuota(const ListRecord& r, std::vector<QuotaDelta>* out) {
  if (!r.quota_counted) return;
  out->push_back({r.buyer_id_number, r.quota_year, kMoneyCounter, -r.value, -1});
  for (const RecordLine& l : r.lines) {
    if (l.qty_kind != 0) {
      out->push_back({r.buyer_id_number, r.quota_year, l.qty_kind, -l.qty_counted, 0});
    }
  }
}

void Append(std::string* out, std::string_view key, std::string_view value) {
  out->push_back(' ');
  out->append(key);
  out->push_back('=');
  out->append(value);
}

}  // namespace

UnixMillis ListDeadline(UnixMillis received_at, const Rules& rules) {
  return received_at + rules.list_wait_ms;
}

std::string MakeInvtNo(std::string_view customs_code, int year, uint64_t sequence) {
  std::string out(customs_code.substr(0, 4));
  out.resize(out.size() + 14, '0');
  char* p = out.data() + out.size() - 14;
  for (int i = 3; i >= 0; --i, year /= 10) p[i] = static_cast<char>('0' + year % 10);
  p[4] = 'I';
  sequence %= 1'000'000'000ull;
  for (int i = 13; i >= 5; --i, sequence /= 10) p[i] = static_cast<char>('0' + sequence % 10);
  return out;
}

Decision Decide(const ClearanceInput& in, const QuotaBook& quota,
                const bonded::BondedAccounts& stock, const Rules& rules, UnixMillis at) {
  const InventoryList& list = *in.list;
  Decision d;
  d.at = at;
  d.rules_version = rules.version;
  d.record = NewRecord(list, in.invt_no, in.received_at, rules);
  ListRecord& r = d.record;
  const std::string& ref = r.invt_no;

  // The documents arrive in any order (clearance-rules.md): wait for them
  // until the deadline, then refuse.
  d.missing = FindMissing(in.order, in.payment, in.waybill);
  if (d.missing.any()) {
    UnixMillis deadline = ListDeadline(in.received_at, rules);
    if (at < deadline) {
      d.outcome = Outcome::kWaiting;
      d.rule = "waiting";
      d.detail = "missing " + d.missing.Names() + " until " + TimeText(deadline);
      return d;
    }
    r.phase = ListPhase::kRejected;
    r.decided_at = at;
    Reject(&d, codes::kListDeclareFailed, "deadline",
           "清单申报失败，[清单[" + ref + "]等待" + d.missing.ChineseNames() + "超过" +
               DurationText(rules.list_wait_ms) + "（截止" + TimeText(deadline) + "），未收到]");
    return d;
  }
  r.decided_at = at;
  r.phase = ListPhase::kRejected;  // until accepted below

  // 三单对碰 (海关总署公告2018年第194号 arts. 6, 8).
  d.mismatches = MatchDocuments(list, *in.order, *in.payment, *in.waybill, rules);
  if (!d.mismatches.empty()) {
    Reject(&d, codes::kListInvalid, "match",
           "清单报文校验失败，[" + JoinMismatches(d.mismatches) + "]");
    return d;
  }

  // Positive list (财关税〔2016〕18号 art. 4; list of 2019, adjusted 2022).
  std::vector<const PositiveListEntry*> entries;
  if (std::string why = FirstUnlisted(list, at, rules, &entries); !why.empty()) {
    Reject(&d, codes::kListInvalid, "positive_list", "清单报文校验失败，[" + why + "]");
    return d;
  }

  // The account lines a bonded list draws on (1210).
  if (std::string why = FirstLineNotInAccount(list, stock); !why.empty()) {
    Reject(&d, codes::kListInvalid, "bonded.account", "清单报文校验失败，[" + why + "]");
    return d;
  }

  // Single and annual limits (财关税〔2018〕49号).
  LimitVerdict limits = CheckLimits(list, ref, quota, rules, at);
  r.value = limits.value;
  r.quota_year = limits.year;
  if (!limits.ok) {
    Reject(&d, limits.error_code,
           limits.error_code == codes::kSingleLimit ? "limits.single" : "limits.annual",
           limits.message);
    return d;
  }
  std::vector<QuotaDelta> qty_deltas;
  if (std::string why = CheckQuantityLimits(list, entries, quota, limits.year, &qty_deltas);
      !why.empty()) {
    Reject(&d, codes::kListInvalid, "limits.quantity", "清单报文校验失败，[" + why + "]");
    return d;
  }

  // Tax (财关税〔2016〕18号), reduced or full by the limits' verdict.
  Result<TaxComputation> tax = ComputeTax(list, rules, limits.regime);
  if (!tax.ok()) {
    Reject(&d, codes::kListInvalid, "tax_rate",
           "清单报文校验失败，[" + tax.status().message() + "]");
    return d;
  }

  // Accepted: count the quota now (see the header), then route.
  r.regime = limits.regime;
  r.quota_counted = true;
  d.quota.push_back({list.head.buyerIdNumber, limits.year, kMoneyCounter, limits.value, 1});
  for (QuotaDelta& q : qty_deltas) d.quota.push_back(std::move(q));
  r.lines.reserve(list.items.size());
  for (size_t i = 0; i < list.items.size(); ++i) {
    const InventoryItem& it = list.items[i];
    const LineTax& lt = tax->lines[i];
    RecordLine line;
    line.gnum = it.gnum;
    line.gcode = it.gcode;
    line.item_record_no = it.itemRecordNo;
    line.qty = it.qty;
    line.value = lt.value;
    line.customs_tax_fen = lt.customs_tax_fen;
    line.consumption_tax_fen = lt.consumption_tax_fen;
    line.vat_fen = lt.vat_fen;
    const PositiveListEntry* e = entries[i];
    if (e && e->annual_qty) {
      line.qty_kind = e->tariff_line;
      line.qty_counted = it.unit1 == e->annual_qty_unit ? it.qty1 : it.qty;
    }
    r.lines.push_back(std::move(line));
  }
  r.tax_bill = MakeTaxBill(*tax, list, ref, at);

  SelectivityFacts facts{&list, in.order, limits.value, limits.used_before, limits.lists_before};
  d.lane = SelectLane(facts, rules);
  r.lane = d.lane.lane;
  r.lane_reason = d.lane.reason;
  d.rule = "selectivity";
  if (d.lane.lane != Lane::kGreen) {
    d.detail = StrCat({"lane ", LaneName(d.lane.lane), " (", d.lane.reason, ")"});
  }
  switch (d.lane.lane) {
    case Lane::kGreen:
    case Lane::kBlue: {
      std::string lane_detail = std::move(d.detail);
      ReleaseOrHold(&d, stock, at);
      if (d.outcome == Outcome::kHeld) {
        d.detail = lane_detail.empty() ? d.detail : lane_detail + "; " + d.detail;
      } else {
        d.detail = std::move(lane_detail);
      }
      break;
    }
    case Lane::kYellow:
      d.outcome = Outcome::kManualReview;
      d.return_status = receipt::kManualReview;
      d.return_info = ReturnInfo(receipt::kManualReview, "人工审核");
      r.phase = ListPhase::kManualReview;
      break;
    case Lane::kRed:
      d.outcome = Outcome::kInspection;
      d.return_status = receipt::kInspection;
      d.return_info = ReturnInfo(receipt::kInspection, "查验");
      r.phase = ListPhase::kInspection;
      break;
  }
  return d;
}

Decision Conclude(const ListRecord& record, bool release, std::string_view note,
                  const bonded::BondedAccounts& stock, const Rules& rules, UnixMillis at) {
  Decision d;
  d.at = at;
  d.rules_version = rules.version;
  d.record = record;
  d.lane = {record.lane, record.lane_reason, 0};
  bool open = record.phase == ListPhase::kManualReview || record.phase == ListPhase::kInspection ||
              record.phase == ListPhase::kHeld;
  if (!open) {
    d.outcome = Outcome::kRejected;
    d.rule = "state";
    d.detail = "list " + record.invt_no + " is " + std::string(ListPhaseName(record.phase)) +
               ", nothing to conclude";
    return d;
  }
  if (release) {
    d.rule = record.phase == ListPhase::kHeld ? "bonded" : "officer";
    ReleaseOrHold(&d, stock, at);
    return d;
  }
  // An officer's refusal: the list is not imported, so its quota comes back.
  d.outcome = Outcome::kRejected;
  d.return_status = receipt::kRejected;
  d.rule = "officer";
  d.return_info =
      ReturnInfo(receipt::kRejected, "海关退单" + (note.empty() ? "" : "：" + std::string(note)));
  GiveBackQuota(record, &d.quota);
  d.record.phase = ListPhase::kRejected;
  d.record.quota_counted = false;
  d.record.tax_bill.reset();
  return d;
}

namespace {

// The refusal of a 623 or 625 sent for a list another agent declared (the
// specification's "[*]没有权限进行操作"); the list's own agent is not named.
std::string NotTheListsAgent(std::string_view agent_code, std::string_view invt_no) {
  return StrCat(
      {"申报企业[", agent_code, "]没有权限进行操作（清单[", invt_no, "]不是其申报的清单）"});
}

}  // namespace

Decision DecideCancellation(const Cancellation& cancel, const ListRecord* record,
                            const Rules& rules, UnixMillis at) {
  const CancellationHead& c = cancel.head;
  Decision d;
  d.at = at;
  d.rules_version = rules.version;
  auto refuse = [&d](int code, std::string desc) {
    Reject(&d, code, "cancellation", std::move(desc));
    return d;
  };
  if (!record) {
    d.record.invt_no = c.invtNo;
    return refuse(codes::kCancelListUnknown, "系统中不存在清单编号为[" + c.invtNo + "]的清单！");
  }
  d.record = *record;
  const ListRecord& r = *record;
  // Only the agent that declared the list may withdraw it (agentCode/invtNo
  // is the application's business key); checked first, so another party
  // learns nothing of the list's state.
  if (c.agentCode != r.agent_code) {
    return refuse(codes::kCancelNoPermission, NotTheListsAgent(c.agentCode, r.invt_no));
  }
  if (rules.cancel_requires_reason && c.reason.empty()) {
    return refuse(codes::kCancelNoReason, "生成失败[撤单原因为空]，请重试");
  }
  std::vector<std::string> wrong;
  auto same = [&wrong](std::string_view field, const std::string& got, const std::string& want) {
    if (got != want)
      wrong.push_back("cancel." + std::string(field) + " " + got + " != list." +
                      std::string(field) + " " + want);
  };
  same("orderNo", c.orderNo, r.order_no);
  same("ebpCode", c.ebpCode, r.ebp_code);
  same("ebcCode", c.ebcCode, r.ebc_code);
  same("buyerIdNumber", c.buyerIdNumber, r.buyer_id_number);
  if (!wrong.empty()) {
    std::string all;
    for (const std::string& w : wrong) all += (all.empty() ? "" : "; ") + w;
    return refuse(codes::kCancelInvalid, "报文校验失败，[" + all + "]");
  }
  switch (r.phase) {
    case ListPhase::kCancelled:
      return refuse(codes::kCancelDuplicate, "撤单清单[" + r.invt_no + "]已经申报过");
    case ListPhase::kRejected:
    case ListPhase::kReturned:
      return refuse(codes::kCancelWrongState,
                    "清单的状态不符合撤单申报要求(清单编号[" + r.invt_no + "])！");
    case ListPhase::kReleased: {
      // Released lists: only within the rules' window (0 by default: never;
      // the remedy after release is a return).
      if (rules.cancel_after_release_ms == 0 ||
          at - r.released_at > rules.cancel_after_release_ms) {
        return refuse(codes::kCancelWrongState, "清单的状态不符合撤单申报要求(清单编号[" +
                                                    r.invt_no + "])！（已于" +
                                                    TimeText(r.released_at) + "放行）");
      }
      bool any_returned = false;
      for (const RecordLine& l : r.lines) any_returned |= l.returned_qty != Decimal();
      if (any_returned) {
        return refuse(codes::kCancelWrongState,
                      "清单的状态不符合撤单申报要求(清单编号[" + r.invt_no + "])！（已部分退货）");
      }
      for (bonded::StockMove& m : Deductions(r)) {
        m.qty = -m.qty;
        d.stock.push_back(std::move(m));
      }
      if (d.record.tax_bill) {
        d.record.tax_bill->head.status = "3";  // 作废
        d.record.tax_bill->head.returnTime = ReturnTimeText(at);
        d.tax_bill_issued = true;
      }
      break;
    }
    case ListPhase::kWaiting:
    case ListPhase::kManualReview:
    case ListPhase::kInspection:
    case ListPhase::kHeld:
      d.record.tax_bill.reset();  // never issued
      break;
  }
  GiveBackQuota(r, &d.quota);
  d.record.quota_counted = false;
  d.record.phase = ListPhase::kCancelled;
  d.outcome = Outcome::kConcluded;
  d.return_status = receipt::kConcluded;
  d.rule = "cancellation";
  d.return_info = ReturnInfo(receipt::kConcluded, "撤单审结");
  return d;
}

Decision DecideReturn(const ReturnRequest& refund, const ListRecord* record, const Rules& rules,
                      UnixMillis at) {
  const ReturnHead& h = refund.head;
  Decision d;
  d.at = at;
  d.rules_version = rules.version;
  std::string ref = h.copNo.empty() ? h.invtNo : h.copNo;
  auto refuse = [&d](int code, std::string desc) {
    Reject(&d, code, "return", std::move(desc));
    return d;
  };
  if (!record) {
    d.record.invt_no = h.invtNo;
    return refuse(codes::kReturnListUnknown, "查无此数据（清单编号[" + h.invtNo + "]）");
  }
  d.record = *record;
  const ListRecord& r = *record;
  // Only the agent that declared the list may return it (as a cancellation).
  if (h.agentCode != r.agent_code) {
    return refuse(codes::kReturnNoPermission, NotTheListsAgent(h.agentCode, r.invt_no));
  }
  if (r.phase == ListPhase::kReturned) {
    return refuse(codes::kReturnDuplicate, "退货申请单[" + ref + "]已经申报过，请勿重复申报");
  }
  if (r.phase != ListPhase::kReleased) {
    return refuse(codes::kReturnFailed, "退货申请单申报失败，[清单[" + r.invt_no + "]状态为" +
                                            std::string(ListPhaseText(r.phase)) +
                                            "，未放行的清单不能退货]");
  }
  std::vector<std::string> wrong;
  auto same = [&wrong](std::string_view field, const std::string& got, const std::string& want) {
    if (got != want)
      wrong.push_back("return." + std::string(field) + " " + got + " != list." +
                      std::string(field) + " " + want);
  };
  same("orderNo", h.orderNo, r.order_no);
  same("ebpCode", h.ebpCode, r.ebp_code);
  same("ebcCode", h.ebcCode, r.ebc_code);
  same("buyerIdNumber", h.buyerIdNumber, r.buyer_id_number);
  if (!wrong.empty()) {
    std::string all;
    for (const std::string& w : wrong) all += (all.empty() ? "" : "; ") + w;
    return refuse(codes::kReturnInvalid, "退货申请单报文校验失败，[" + all + "]");
  }
  // 海关总署公告2020年第45号: within 30 days of release (inclusive).
  if (at - r.released_at > rules.return_window_ms) {
    return refuse(codes::kReturnFailed,
                  "退货申请单申报失败，[清单[" + r.invt_no + "]于" + TimeText(r.released_at) +
                      "放行，退货申请已超过" + DurationText(rules.return_window_ms) + "期限（截止" +
                      TimeText(r.released_at + rules.return_window_ms) + "）]");
  }
  if (refund.items.empty()) {
    return refuse(codes::kReturnNoLines, "退货申请单[" + ref + "]表体无数据，不允许申报！");
  }
  // Sum the request per gnum, then check each against what is left.
  std::map<int64_t, Decimal> asked;
  for (const ReturnItem& it : refund.items) {
    const RecordLine* line = nullptr;
    for (const RecordLine& l : r.lines) {
      if (l.gnum == it.gnum) line = &l;
    }
    if (!line || line->gcode != it.gcode) {
      return refuse(codes::kReturnLineUnknown,
                    "退货申请单[" + ref + "],在关联的清单中未找到表体序号为[" +
                        std::to_string(it.gnum) + "],商品编号为[" + it.gcode + "]的数据");
    }
    if (it.qty <= Decimal()) {
      return refuse(codes::kReturnInvalid, "退货申请单报文校验失败，[第" + std::to_string(it.gnum) +
                                               "项退货数量必须大于0]");
    }
    asked[it.gnum] += it.qty;
  }
  // Every line is checked before any is taken back: a refusal carries no
  // effect and leaves the record as it was.
  for (const RecordLine& l : r.lines) {
    auto it = asked.find(l.gnum);
    if (it != asked.end() && l.returned_qty + it->second > l.qty) {
      return refuse(codes::kReturnInvalid, "退货申请单报文校验失败，[第" + std::to_string(l.gnum) +
                                               "项退货数量" + it->second.ToString() +
                                               "超过可退数量" +
                                               (l.qty - l.returned_qty).ToString() + "]");
    }
  }
  bool all_returned = true;
  Decimal value_back;
  for (RecordLine& l : d.record.lines) {
    auto it = asked.find(l.gnum);
    Decimal before = l.returned_qty;
    Decimal after = before + (it == asked.end() ? Decimal() : it->second);
    if (after != l.qty) all_returned = false;
    if (after == before) continue;
    l.returned_qty = after;
    // Cumulative portions, so that returning a line in parts gives back
    // exactly its whole value and tax in the end.
    value_back += Decimal::FromUnits(Portion(l.value.units(), after, l.qty) -
                                     Portion(l.value.units(), before, l.qty));
    if (l.qty_kind != 0) {
      Decimal q = Decimal::FromUnits(Portion(l.qty_counted.units(), after, l.qty) -
                                     Portion(l.qty_counted.units(), before, l.qty));
      d.quota.push_back({r.buyer_id_number, r.quota_year, l.qty_kind, -q, 0});
    }
    if (r.trade_mode == "1210") d.stock.push_back({r.ems_no, l.item_record_no, after - before});
  }
  d.quota.insert(d.quota.begin(), QuotaDelta{r.buyer_id_number, r.quota_year, kMoneyCounter,
                                             -value_back, all_returned ? -1 : 0});
  // The tax no longer due: each line's bill reduced by its returned portion;
  // the whole bill voided (status 3 作废) when everything is back.
  if (d.record.tax_bill) {
    TaxBill& bill = *d.record.tax_bill;
    int64_t duty = 0, ct = 0, vat = 0;
    for (size_t i = 0; i < bill.items.size() && i < d.record.lines.size(); ++i) {
      const RecordLine& l = d.record.lines[i];
      int64_t keep_duty = l.customs_tax_fen - Portion(l.customs_tax_fen, l.returned_qty, l.qty);
      int64_t keep_ct =
          l.consumption_tax_fen - Portion(l.consumption_tax_fen, l.returned_qty, l.qty);
      int64_t keep_vat = l.vat_fen - Portion(l.vat_fen, l.returned_qty, l.qty);
      bill.items[i].customsTax = Decimal::FromFen(keep_duty);
      bill.items[i].consumptionTax = Decimal::FromFen(keep_ct);
      bill.items[i].valueAddedTax = Decimal::FromFen(keep_vat);
      duty += keep_duty;
      ct += keep_ct;
      vat += keep_vat;
    }
    bill.head.customsTax = Decimal::FromFen(duty);
    bill.head.consumptionTax = Decimal::FromFen(ct);
    bill.head.valueAddedTax = Decimal::FromFen(vat);
    bill.head.returnTime = ReturnTimeText(at);
    if (all_returned) bill.head.status = "3";
    d.tax_bill_issued = true;
  }
  if (all_returned) {
    d.record.phase = ListPhase::kReturned;
    d.record.quota_counted = false;
  }
  d.outcome = Outcome::kConcluded;
  d.return_status = receipt::kConcluded;
  d.rule = "return";
  d.return_info = ReturnInfo(receipt::kConcluded, all_returned ? "退货审结" : "部分退货审结");
  return d;
}

Status ApplyDecision(const Decision& decision, QuotaBook* quota, bonded::BondedAccounts* stock) {
  if (!decision.stock.empty()) {
    if (!stock) return Status::InvalidArgument("decision moves bonded stock but no accounts given");
    FTZ_RETURN_IF_ERROR(stock->Apply(decision.stock));
  }
  for (const QuotaDelta& q : decision.quota) FTZ_RETURN_IF_ERROR(quota->Add(q));
  return Status::Ok();
}

namespace {

// The three list receipts (622/624/626) share every field they carry.
template <class R>
void FillListReceipt(const Decision& d, int return_status, std::string return_info, R* out) {
  const ListRecord& r = d.record;
  out->customsCode = r.customs_code;
  out->ebpCode = r.ebp_code;
  out->ebcCode = r.ebc_code;
  out->agentCode = r.agent_code;
  out->copNo = r.cop_no;
  out->preNo = r.pre_no;
  out->invtNo = r.invt_no;
  out->returnStatus = std::to_string(return_status);
  out->returnTime = ReturnTimeText(d.at);
  out->returnInfo = std::move(return_info);
}
template <class R>
R ListReceipt(const Decision& d) {
  R out;
  FillListReceipt(d, d.return_status, d.return_info, &out);
  return out;
}

}  // namespace

InventoryReturn MakeInventoryReturn(const Decision& d) { return ListReceipt<InventoryReturn>(d); }
void FillInventoryReturn(const Decision& d, InventoryReturn* out) {
  FillListReceipt(d, d.return_status, d.return_info, out);
}
void FillInventoryReturn(const Decision& d, int return_status, std::string return_info,
                         InventoryReturn* out) {
  FillListReceipt(d, return_status, std::move(return_info), out);
}

InvtCancelReturn MakeCancellationReturn(const Decision& d) {
  return ListReceipt<InvtCancelReturn>(d);
}

InvtRefundReturn MakeReturnReceipt(const Decision& d) { return ListReceipt<InvtRefundReturn>(d); }

std::string Decision::ToString() const {
  std::string s = "outcome=" + std::string(OutcomeName(outcome));
  Append(&s, "status", std::to_string(return_status));
  Append(&s, "code", std::to_string(error_code));
  Append(&s, "rule", rule);
  Append(
      &s, "lane",
      std::string(LaneName(lane.lane)) + "/" + lane.reason + "/" + std::to_string(lane.draw_ppm));
  Append(&s, "at", ReturnTimeText(at));
  Append(&s, "rules", rules_version);
  Append(&s, "info", return_info);
  if (missing.any()) Append(&s, "missing", missing.Names());
  if (const TaxBill* bill = tax_bill()) {
    std::string t = bill->head.status + ":" + bill->head.customsTax.ToString() + "/" +
                    bill->head.consumptionTax.ToString() + "/" +
                    bill->head.valueAddedTax.ToString();
    for (const TaxItem& i : bill->items) {
      t += "|" + std::to_string(i.gnum) + ":" + i.taxPrice.ToString() + ":" +
           i.customsTax.ToString() + "/" + i.consumptionTax.ToString() + "/" +
           i.valueAddedTax.ToString();
    }
    Append(&s, "tax", t);
  }
  for (const QuotaDelta& q : quota) {
    Append(&s, "quota",
           q.buyer_id + "/" + std::to_string(q.year) + "/" + std::to_string(q.kind) + ":" +
               q.amount.ToString() + "/" + std::to_string(q.lists));
  }
  for (const bonded::StockMove& m : stock) {
    Append(&s, "stock", m.ems_no + "/" + m.item_record_no + ":" + m.qty.ToString());
  }
  Append(&s, "phase", std::string(ListPhaseName(record.phase)));
  Append(&s, "invt", record.invt_no);
  if (!detail.empty()) Append(&s, "detail", detail);
  return s;
}

}  // namespace ftz::clearance
