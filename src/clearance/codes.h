// Error codes and receipt wording of the clearance rules.
//
// The negative codes and their message templates are those of the CEB
// specification (海关跨境电子商务统一版系统企业对接报文规范 202205, §7 table
// 7-2); "[*]" in a template is filled in by the functions below. Duplicate
// codes are listed for the engine, which owns the indexes that detect them.
//
// Pure functions on values; thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/decimal.h"
#include "core/time.h"

namespace ftz::clearance {

namespace codes {
// Duplicates (detected by the engine's indexes, not here).
inline constexpr int kDuplicateOrder = -301010;    // 已存在相同编号的订单
inline constexpr int kDuplicatePayment = -401007;  // 已存在相同编号的支付单
inline constexpr int kDuplicateWaybill = -504015;  // 已存在相同编号的运单
inline constexpr int kDuplicateList = -621004;     // 清单[*]已经申报过，请勿重复申报
// Inventory list (621).
inline constexpr int kListInvalid = -621001;        // 清单报文校验失败，[*]
inline constexpr int kListDeclareFailed = -621003;  // 清单申报失败，[*]
inline constexpr int kSingleLimit = -621005;  // 清单[*]的购买金额超过单笔限额[[*]]
inline constexpr int kAnnualLimit =
    -621018;  // 清单[*]中购买人[*]已用购买额度为[*]，本次购买将超过年度限额[*]
// Cancellation (623).
inline constexpr int kCancelInvalid = -623001;      // 报文校验失败，[*]
inline constexpr int kCancelListUnknown = -623003;  // 系统中不存在清单编号为[*]的清单！
inline constexpr int kCancelWrongState = -623005;  // 清单的状态不符合撤单申报要求(清单编号[*])！
inline constexpr int kCancelDuplicate = -623009;     // 撤单清单[*]已经申报过
inline constexpr int kCancelNoReason = -623012;      // 生成失败[撤单原因为空]，请重试
inline constexpr int kCancelNoPermission = -623026;  // [*]没有权限进行操作
// Return (625).
inline constexpr int kReturnInvalid = -625001;  // 退货申请单报文校验失败，[*]
inline constexpr int kReturnFailed = -625004;   // 退货申请单申报失败，[*]
inline constexpr int kReturnNoLines = -625006;  // 退货申请单[*]表体无数据，不允许申报！
inline constexpr int kReturnListUnknown = -625016;   // 查无此数据
inline constexpr int kReturnNoPermission = -625021;  // [*]没有权限进行操作
inline constexpr int kReturnDuplicate = -625033;  // 退货申请单[*]已经申报过，请勿重复申报
inline constexpr int kReturnLineUnknown =
    -625209;  // 退货申请单[*],在关联的清单中未找到表体序号为[*],商品编号为[*]的数据
}  // namespace codes

// "[Code:2600;Desc:放行]" — the returnInfo spelling of the customs receipts
// (see spec/ceb/samples/real-world/CEB622Message-release-800.xml).
std::string ReturnInfo(int code, std::string_view desc);

// An ID number with all but its first four and last four characters masked:
// "130681196203023332" -> "1306**********3332". Shorter numbers keep less
// (length < 12: first 2 and last 2; length < 6: all masked), so a message
// never shows the middle of an identity number.
std::string MaskId(std::string_view id);

// Concatenation in one allocation, without temporaries (abseil StrCat).
std::string StrCat(std::initializer_list<std::string_view> parts);

// Yuan with at least two fraction digits, exact: 5000 -> "5000.00",
// 0.125 -> "0.125". The spelling used in every message of this module.
std::string FormatYuan(Decimal amount);
// Fen to yuan text: 2821 -> "28.21".
std::string FormatFen(int64_t fen);

// YYYYMMDDhhmmssSSS in CST (core's FormatReturnTime).
std::string ReturnTimeText(UnixMillis t);

// Cuts text to at most `max_chars` Unicode characters (returnInfo is C..1000),
// never inside a UTF-8 sequence; appends "…" when it cut.
std::string TruncateUtf8(std::string_view text, size_t max_chars);

}  // namespace ftz::clearance
