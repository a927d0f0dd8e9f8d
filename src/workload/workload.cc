#include "workload/workload.h"

#include <algorithm>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "clearance/rules.h"
#include "clearance/tax.h"

namespace ftz::workload {
namespace {

struct Enterprise {
  const char* code;
  const char* name;
};

// Fictitious enterprises with Hangzhou-style 10-character customs codes.
constexpr Enterprise kPlatforms[] = {{"3301960001", "杭州云市跨境电子商务有限公司"},
                                     {"3301960002", "西湖全球购网络科技有限公司"}};
constexpr Enterprise kSellers[] = {{"3301960101", "杭州海淘优选贸易有限公司"},
                                   {"3301960102", "钱塘进口商品直营有限公司"}};
constexpr Enterprise kPayers[] = {{"3301960201", "杭州易付支付有限公司"}};
constexpr Enterprise kCarriers[] = {{"3301960301", "杭州空港国际物流有限公司"},
                                    {"3301960302", "下沙保税仓储物流有限公司"}};
constexpr Enterprise kAgents[] = {{"3301960401", "杭州关通报关有限公司"}};

struct Goods {
  const char* name;
  const char* gcode;  // 10-digit HS
  const char* model;
  const char* unit;             // declared unit
  const char* unit1;            // legal unit
  int64_t qty1_per_unit_milli;  // legal quantity per unit, x1000 (kg for food)
  const char* country;
  int64_t min_fen, max_fen;       // unit price range
  int vat_permille, ct_permille;  // as in data/rules/default.toml (docs/clearance.md)
  int weight_g;
};

constexpr Goods kGoods[] = {
    {"婴幼儿配方奶粉", "1901101000", "900g/罐 1段", "122", "035", 900, "609", 19800, 35800, 130, 0,
     1200},
    {"婴幼儿配方奶粉", "1901101000", "800g/罐 2段", "122", "035", 800, "304", 16800, 29800, 130, 0,
     1100},
    {"口红", "3304100091", "3.5g 色号999", "007", "035", 4, "305", 25000, 42000, 130, 150, 80},
    {"保湿面霜", "3304990099", "50ml", "140", "035", 80, "116", 18000, 68000, 130, 150, 200},
    {"深海鱼油软胶囊", "2106909090", "400粒/瓶", "142", "035", 450, "601", 12000, 29800, 130, 0,
     500},
    {"纸尿裤", "9619001100", "L码 54片", "125", "035", 1500, "116", 8900, 16900, 130, 0, 1700},
    {"红葡萄酒", "2204210000", "750ml 2018", "142", "035", 1200, "305", 15000, 58000, 130, 100,
     1400},
    {"手提包", "4202210090", "牛皮 中号", "011", "007", 1000, "303", 180000, 420000, 130, 0, 900},
};

std::string ItemRecordOf(const Goods& g) { return std::string("T") + g.gcode; }

constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴",
                                     "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"};
constexpr const char* kGiven[] = {"伟", "芳",   "娜", "敏", "静",   "丽",   "强",   "磊",
                                  "军", "洋",   "勇", "艳", "杰",   "娟",   "涛",   "明",
                                  "超", "秀英", "霞", "平", "子涵", "欣怡", "浩然", "雨轩"};
struct Place {
  const char* region;  // 6-digit administrative division
  const char* address;
};
constexpr Place kPlaces[] = {
    {"330106", "浙江省杭州市西湖区文三路"},  {"330108", "浙江省杭州市滨江区江南大道"},
    {"330102", "浙江省杭州市上城区解放路"},  {"310104", "上海市徐汇区漕溪北路"},
    {"110105", "北京市朝阳区建国路"},        {"440305", "广东省深圳市南山区科技园路"},
    {"320106", "江苏省南京市鼓楼区中山北路"}};

// The cross-border tax on one line, in fen, as customs computes it
// (财关税〔2016〕18号: consumption tax = value / (1 - c) x c, VAT = (value +
// CT) x v, both at 70%), with the rule core's own rounding: each tax
// rounded to the fen per line (clearance::ComputeLineTax), so the order's
// taxTotal is the tax bill's total.
int64_t TaxFen(Decimal value, Decimal price, int vat_permille, int ct_permille) {
  clearance::TaxRate rate;
  rate.vat = vat_permille * 1000;
  rate.consumption = ct_permille * 1000;
  // The rules' default 70% (read once: a Rules is not cheap to make).
  static const clearance::Ppm kReduced = clearance::Rules().reduced_rate;
  clearance::LineTax tax;
  const Status st = clearance::ComputeLineTax(
      value, price, rate, clearance::TaxRegime::kCrossBorderReduced, kReduced, &tax);
  if (!st.ok()) std::abort();  // only a negative value fails, never generated
  return tax.customs_tax_fen + tax.consumption_tax_fen + tax.vat_fen;
}

template <size_t N, class T>
const T& Pick(const T (&a)[N], uint64_t r) {
  return a[r % N];
}

}  // namespace

std::string MakeIdNumber(const std::string& region, int year, int month, int day, int seq) {
  char body[18];
  std::snprintf(body, sizeof body, "%s%04d%02d%02d%03d", region.c_str(), year, month, day,
                seq % 1000);
  static constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  static constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (body[i] - '0') * kWeights[i];
  return std::string(body, 17) + kCheck[sum % 11];
}

bool ValidIdNumber(const std::string& id) {
  if (id.size() != 18) return false;
  for (int i = 0; i < 17; ++i) {
    if (id[i] < '0' || id[i] > '9') return false;
  }
  return MakeIdNumber(id.substr(0, 6), std::stoi(id.substr(6, 4)), std::stoi(id.substr(10, 2)),
                      std::stoi(id.substr(12, 2)), std::stoi(id.substr(14, 3))) == id;
}

Workload::Workload(const Options& options) : options_(options), rng_(options.seed) {
  buyers_.reserve(options_.buyers);
  for (size_t i = 0; i < options_.buyers; ++i) buyers_.push_back(MakeBuyer());
}

int64_t Workload::Uniform(int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
}

namespace {

// A version-4-shaped, upper-case GUID from two random words.
std::string GuidOf(std::mt19937_64& rng) {
  uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08X-%04X-4%03X-%04X-%012llX", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFF),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3FFF)),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

// Puts the `member` document of parcels [start, end) into `m`, sent by `sender`.
template <class Doc, class Head>
void Fill(Message* m, const std::vector<Parcel>& parcels, size_t start, size_t end,
          Doc Parcel::*member, const Head& sender_head, const std::string Head::*code,
          const std::string Head::*name) {
  auto& v = m->blocks.emplace<std::vector<Doc>>();
  for (size_t i = start; i < end; ++i) v.push_back(parcels[i].*member);
  m->transfer.copCode = sender_head.*code;
  m->transfer.copName = sender_head.*name;
}

}  // namespace

std::string Workload::Guid() { return GuidOf(rng_); }

Workload::Buyer Workload::MakeBuyer() {
  Buyer b;
  b.name = std::string(Pick(kSurnames, rng_())) + Pick(kGiven, rng_());
  const Place& p = Pick(kPlaces, rng_());
  b.id_number = MakeIdNumber(p.region, static_cast<int>(Uniform(1970, 2003)),
                             static_cast<int>(Uniform(1, 12)), static_cast<int>(Uniform(1, 28)),
                             static_cast<int>(Uniform(0, 999)));
  char phone[16];
  std::snprintf(phone, sizeof phone, "1%d%09lld", static_cast<int>(Uniform(3, 9)),
                static_cast<long long>(Uniform(0, 999'999'999)));
  b.phone = phone;
  b.address = std::string(p.address) + std::to_string(Uniform(1, 999)) + "号" +
              std::to_string(Uniform(1, 30)) + "幢" + std::to_string(Uniform(101, 2802)) + "室";
  b.district = p.region;
  return b;
}

Parcel Workload::Next() {
  const uint64_t n = serial_++;
  const UnixMillis t =
      options_.start + static_cast<int64_t>(n) * options_.seconds_between_parcels * 1000;
  const std::string app_time = FormatDateTime14(t);
  const std::string day = app_time.substr(0, 8);
  const Buyer& buyer = buyers_[rng_() % buyers_.size()];
  const Enterprise& platform = Pick(kPlatforms, rng_());
  const Enterprise& seller = Pick(kSellers, rng_());
  const Enterprise& payer = kPayers[0];
  const bool bonded = static_cast<double>(rng_() % 1000) < options_.bonded_share * 1000;
  const Enterprise& carrier = kCarriers[bonded ? 1 : 0];
  const Enterprise& agent = kAgents[0];
  char serial[32];
  std::snprintf(serial, sizeof serial, "%012llu", static_cast<unsigned long long>(n));
  const std::string order_no = options_.order_prefix + day + serial;

  Parcel p;
  // Lines: 1-3 goods, kept under the 5,000 CNY single-transaction limit.
  const int lines = static_cast<int>(Uniform(1, 3));
  int64_t goods_fen = 0, tax_fen = 0, weight_g = 0;
  for (int i = 0; i < lines; ++i) {
    const Goods& g = Pick(kGoods, rng_());
    int64_t qty = g.min_fen > 100000 ? 1 : Uniform(1, 3);
    int64_t price = Uniform(g.min_fen, g.max_fen) / 100 * 100;  // whole yuan
    if (goods_fen + price * qty > 480000) qty = 1;
    if (goods_fen + price * qty > 480000) break;
    OrderItem oi;
    oi.gnum = static_cast<int64_t>(p.order.items.size()) + 1;
    oi.itemNo = std::string("SKU-") + g.gcode + "-" + std::to_string(i + 1);
    oi.itemName = g.name;
    oi.gmodel = g.model;
    oi.unit = g.unit;
    oi.qty = Decimal::FromInt(qty);
    oi.price = Decimal::FromFen(price);
    oi.totalPrice = Decimal::FromFen(price * qty);
    oi.currency = "142";
    oi.country = g.country;
    oi.barCode = "69" + std::string(g.gcode).substr(0, 8) + std::to_string(i);
    p.order.items.push_back(oi);

    InventoryItem li;
    li.gnum = oi.gnum;
    if (bonded) li.itemRecordNo = ItemRecordOf(g);
    li.itemNo = oi.itemNo;
    li.itemName = g.name;
    li.gcode = g.gcode;
    li.gname = g.name;
    li.gmodel = g.model;
    li.barCode = oi.barCode;
    li.country = g.country;
    li.tradeCountry = g.country;
    li.currency = "142";
    li.qty = oi.qty;
    li.unit = g.unit;
    li.qty1 = Decimal::FromUnits(g.qty1_per_unit_milli * 100 * qty);
    li.unit1 = g.unit1;
    li.price = oi.price;
    li.totalPrice = oi.totalPrice;
    p.list.items.push_back(li);

    goods_fen += price * qty;
    weight_g += g.weight_g * qty;
  }
  const int64_t freight_fen = bonded ? 0 : Uniform(10, 40) * 100;
  // Tax is charged on the customs value (goods + freight), line by line,
  // the freight shared as customs shares it (clearance::AllocateCharges).
  std::vector<Decimal> weights;
  for (const OrderItem& item : p.order.items) weights.push_back(item.totalPrice);
  const std::vector<Decimal> charges =
      clearance::AllocateCharges(weights, Decimal::FromFen(freight_fen));
  for (size_t i = 0; i < p.order.items.size(); ++i) {
    const Goods* g = nullptr;
    for (const Goods& c : kGoods) {
      if (p.list.items[i].gcode == c.gcode) g = &c;
    }
    tax_fen += TaxFen(p.order.items[i].totalPrice + charges[i], p.order.items[i].price,
                      g->vat_permille, g->ct_permille);
  }
  const int64_t discount_fen = rng_() % 4 == 0 ? Uniform(5, 30) * 100 : 0;
  const int64_t paid_fen = goods_fen + freight_fen + tax_fen - discount_fen;

  OrderHead& o = p.order.head;
  o.guid = Guid();
  o.appType = "1";
  o.appTime = app_time;
  o.appStatus = "2";
  o.orderType = "I";
  o.orderNo = order_no;
  o.ebpCode = platform.code;
  o.ebpName = platform.name;
  o.ebcCode = seller.code;
  o.ebcName = seller.name;
  o.goodsValue = Decimal::FromFen(goods_fen);
  o.freight = Decimal::FromFen(freight_fen);
  o.discount = Decimal::FromFen(discount_fen);
  o.taxTotal = Decimal::FromFen(tax_fen);
  o.acturalPaid = Decimal::FromFen(paid_fen);
  o.currency = "142";
  o.buyerRegNo = "U" + buyer.id_number.substr(10, 8);
  o.buyerName = buyer.name;
  o.buyerTelephone = buyer.phone;
  o.buyerIdType = "1";
  o.buyerIdNumber = buyer.id_number;
  o.payCode = payer.code;
  o.payName = payer.name;
  o.payTransactionId = options_.order_prefix + "PAY" + day + serial;
  o.consignee = buyer.name;
  o.consigneeTelephone = buyer.phone;
  o.consigneeAddress = buyer.address;
  o.consigneeDistrict = buyer.district;

  PaymentHead& pay = p.payment.head;
  pay.guid = Guid();
  pay.appType = "1";
  pay.appTime = app_time;
  pay.appStatus = "2";
  pay.payCode = payer.code;
  pay.payName = payer.name;
  pay.payTransactionId = o.payTransactionId;
  pay.orderNo = order_no;
  pay.ebpCode = platform.code;
  pay.ebpName = platform.name;
  pay.payerIdType = "1";
  pay.payerIdNumber = buyer.id_number;
  pay.payerName = buyer.name;
  pay.telephone = buyer.phone;
  pay.amountPaid = o.acturalPaid;
  pay.currency = "142";
  pay.payTime = app_time;

  WaybillHead& w = p.waybill.head;
  w.guid = Guid();
  w.appType = "1";
  w.appTime = app_time;
  w.appStatus = "2";
  w.logisticsCode = carrier.code;
  w.logisticsName = carrier.name;
  w.logisticsNo = options_.order_prefix + (bonded ? "BS" : "AE") + day + serial;
  if (!bonded) w.billNo = "781-" + std::to_string(20000000 + n % 1000);
  w.orderNo = order_no;
  w.freight = o.freight;
  w.insuredFee = Decimal();
  w.currency = "142";
  w.weight = Decimal::FromUnits((weight_g + 150) * 100);  // kg, with packing
  w.packNo = 1;
  w.goodsInfo = p.order.items[0].itemName;
  w.consignee = buyer.name;
  w.consigneeAddress = buyer.address;
  w.consigneeTelephone = buyer.phone;

  InventoryHead& l = p.list.head;
  l.guid = Guid();
  l.appType = "1";
  l.appTime = app_time;
  l.appStatus = "2";
  l.orderNo = order_no;
  l.ebpCode = platform.code;
  l.ebpName = platform.name;
  l.ebcCode = seller.code;
  l.ebcName = seller.name;
  l.logisticsNo = w.logisticsNo;
  l.logisticsCode = carrier.code;
  l.logisticsName = carrier.name;
  l.copNo = options_.order_prefix + day + std::string(serial).substr(2);  // copNo is C..20
  l.assureCode = seller.code;
  if (bonded) l.emsNo = kBondedAccount;
  l.ieFlag = "I";
  l.declTime = day;
  l.customsCode = "2991";
  l.portCode = "2991";
  l.ieDate = day;
  l.buyerIdType = "1";
  l.buyerIdNumber = buyer.id_number;
  l.buyerName = buyer.name;
  l.buyerTelephone = buyer.phone;
  l.consigneeAddress = buyer.address;
  l.agentCode = agent.code;
  l.agentName = agent.name;
  if (bonded) {
    l.areaCode = carrier.code;
    l.areaName = carrier.name;
  }
  l.tradeMode = bonded ? "1210" : "9610";
  l.trafMode = bonded ? "Y" : "5";
  if (!bonded) {
    l.trafNo = "CA1048";
    l.voyageNo = day;
    l.billNo = w.billNo;
  }
  l.country = p.order.items[0].country;
  l.freight = o.freight;
  l.insuredFee = Decimal();
  l.currency = "142";
  l.packNo = 1;
  l.grossWeight = w.weight;
  l.netWeight = Decimal::FromUnits(weight_g * 100);
  return p;
}

std::vector<std::string> Workload::BondedItemRecords() {
  std::vector<std::string> out;
  for (const Goods& g : kGoods) {
    std::string rec = ItemRecordOf(g);
    if (std::find(out.begin(), out.end(), rec) == out.end()) out.push_back(std::move(rec));
  }
  return out;
}

std::vector<Message> Workload::Messages(MessageType type, const std::vector<Parcel>& all,
                                        size_t per_message, uint64_t seed) {
  // An enterprise sends its own documents: group parcels by sender first
  // (in order of first appearance), then cut each group into messages.
  auto sender = [type](const Parcel& p) -> const std::string& {
    switch (type) {
      case MessageType::kOrder:
        return p.order.head.ebpCode;
      case MessageType::kPayment:
        return p.payment.head.payCode;
      case MessageType::kWaybill:
        return p.waybill.head.logisticsCode;
      default:
        return p.list.head.agentCode;
    }
  };
  std::vector<std::string> order_of_senders;
  std::map<std::string, std::vector<Parcel>> by_sender;
  for (const Parcel& p : all) {
    auto [it, fresh] = by_sender.try_emplace(sender(p));
    if (fresh) order_of_senders.push_back(sender(p));
    it->second.push_back(p);
  }
  std::vector<Message> out;
  std::mt19937_64 rng(seed * 1000003 + static_cast<uint64_t>(type));
  for (const std::string& who : order_of_senders) {
    const std::vector<Parcel>& parcels = by_sender[who];
    for (size_t start = 0; start < parcels.size(); start += per_message) {
      const size_t end = std::min(parcels.size(), start + per_message);
      Message m;
      m.type = type;
      m.guid = GuidOf(rng);
      m.version = "1.0";
      const Parcel& first = parcels[start];
      switch (type) {
        case MessageType::kOrder:
          Fill(&m, parcels, start, end, &Parcel::order, first.order.head, &OrderHead::ebpCode,
               &OrderHead::ebpName);
          break;
        case MessageType::kPayment:
          Fill(&m, parcels, start, end, &Parcel::payment, first.payment.head, &PaymentHead::payCode,
               &PaymentHead::payName);
          break;
        case MessageType::kWaybill:
          Fill(&m, parcels, start, end, &Parcel::waybill, first.waybill.head,
               &WaybillHead::logisticsCode, &WaybillHead::logisticsName);
          break;
        default:
          Fill(&m, parcels, start, end, &Parcel::list, first.list.head, &InventoryHead::agentCode,
               &InventoryHead::agentName);
          m.type = MessageType::kInventoryList;
          break;
      }
      m.transfer.dxpMode = "DXP";
      m.transfer.dxpId = "DXPENT" + m.transfer.copCode;
      out.push_back(std::move(m));
    }
  }
  return out;
}

}  // namespace ftz::workload
