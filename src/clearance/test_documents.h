// Test support: builds an agreeing order, payment, waybill and inventory list
// from a few purchase parameters (the "purchase" of the case files), for the
// case driver, the unit tests and the benchmark. Not part of ftz_clearance.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clearance/clearance.h"
#include "clearance/digest.h"
#include "core/documents.h"

namespace ftz::clearance::testing {

struct LineSpec {
  std::string gcode, name, country = "502", unit = "011", unit1, item_record_no;
  Decimal qty, price;
  std::optional<Decimal> qty1;
};

struct Purchase {
  std::string name;
  std::string order_no, cop_no;
  std::string buyer_id = "330106199001011234", buyer_name = "张三", buyer_tel = "13800000000";
  std::string consignee, consignee_tel, consignee_address = "浙江省杭州市钱塘区示例路1号";
  Decimal freight, insured_fee, discount, tax_total;
  std::string trade_mode = "9610", ems_no, customs_code = "2900";
  std::string ebp_code = "3301960001", ebc_code = "3301960002", agent_code = "3301960003";
  std::string logistics_code = "3301980001", logistics_no;
  std::string pay_code = "3301970001";
  std::vector<LineSpec> lines;
};

Result<Decimal> Dec(std::string_view s);
bool ParseInt(std::string_view s, int64_t* out);
std::pair<std::string, std::string> SplitKv(const std::string& token);
// "GCODE*QTY@PRICE[/name=..][/country=..][/unit=..][/unit1=..][/qty1=..][/rec=..],..."
Status ParseLines(std::string_view spec, std::vector<LineSpec>* out);
Status SetPurchase(Purchase* p, const std::string& key, const std::string& value);

std::string OrderNoOf(const Purchase& p);
std::string LogisticsNoOf(const Purchase& p);
Decimal GoodsValue(const Purchase& p);
Decimal ActuralPaid(const Purchase& p);

Order BuildOrder(const Purchase& p, UnixMillis t);
Payment BuildPayment(const Purchase& p, UnixMillis t);
Waybill BuildWaybill(const Purchase& p, UnixMillis t);
InventoryList BuildList(const Purchase& p, UnixMillis t);

// The head of a cancellation (623) or return (625) naming a decided list.
template <class Head>
void FillFromRecord(const ListRecord& r, const Purchase& p, UnixMillis t, Head* h) {
  h->guid = DerivedGuid({"62x", p.name, std::to_string(t)});
  h->appType = "1";
  h->appTime = FormatDateTime14(t);
  h->appStatus = "2";
  h->customsCode = r.customs_code;
  h->orderNo = r.order_no;
  h->ebpCode = r.ebp_code;
  h->ebpName = "示例电商平台";
  h->ebcCode = r.ebc_code;
  h->ebcName = "示例电商企业";
  h->logisticsNo = r.logistics_no;
  h->logisticsCode = p.logistics_code;
  h->logisticsName = "示例物流企业";
  h->copNo = r.cop_no;
  h->invtNo = r.invt_no;
  h->buyerIdType = "1";
  h->buyerIdNumber = r.buyer_id_number;
  h->buyerName = r.buyer_name;
  h->buyerTelephone = p.buyer_tel;
  h->agentCode = r.agent_code;
  h->agentName = "示例申报企业";
}

}  // namespace ftz::clearance::testing
