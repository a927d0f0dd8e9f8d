// Tax on a cross-border e-commerce retail import (财关税〔2016〕18号, limits
// and rates of 财关税〔2018〕49号).
//
// Customs value (完税价格) = actual transaction price: goods + freight +
// insurance; coupon or points discounts are NOT deducted (18号 art. 3). The
// goods part of a line is its totalPrice; the list's freight + insuredFee are
// allocated to the lines in proportion to totalPrice (AllocateCharges).
//
// Per line, with tariff rate t (0 within the limits), consumption tax c
// (ad valorem) and VAT v, and value V:
//   customs duty      D  = V × t
//   consumption tax   CT = (V + D) / (1 − c) × c
//   VAT                  = (V + D + CT) × v = (V + D) × v / (1 − c)
// Within the limits the tariff is 0 and CT and VAT are charged at 70%
// (Rules::reduced_rate); on the one-indivisible-item path (over the single
// limit) the full tariff, CT and VAT are charged (49号 art. 2).
//
// Rounding (the places the CEB816 tax bill shows): each tax of each line is
// computed exactly as a rational number from the line's exact value and rounded
// ONCE, half up, to the fen; CT and VAT use the exact (unrounded) duty and CT,
// so no rounding error is carried from one tax into another. The bill's head
// amounts are the sums of the rounded line amounts, so the head always equals
// the sum of its lines. Freight and insurance are allocated by the largest-
// remainder method in whole fen when their sum is a whole number of fen (else
// in 1e-5 units), so the lines' values add up exactly to the customs value.
//
// Pure functions; no floating point; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "clearance/rules.h"
#include "core/documents.h"
#include "core/status.h"

namespace ftz::clearance {

enum class TaxRegime : uint8_t {
  kCrossBorderReduced,  // within limits: tariff 0, CT and VAT × reduced_rate
  kFullGoodsRate,       // one indivisible item over the single limit: full rates
};

struct LineTax {
  int64_t gnum = 0;
  std::string gcode;
  Decimal value;  // customs value of the line (taxPrice): totalPrice + allocated charges
  int64_t customs_tax_fen = 0;
  int64_t consumption_tax_fen = 0;
  int64_t vat_fen = 0;
  bool operator==(const LineTax&) const = default;
};

struct TaxComputation {
  TaxRegime regime = TaxRegime::kCrossBorderReduced;
  Decimal customs_value;  // goods + freight + insurance
  std::vector<LineTax> lines;
  int64_t customs_tax_fen = 0;
  int64_t consumption_tax_fen = 0;
  int64_t vat_fen = 0;
  int64_t total_fen() const { return customs_tax_fen + consumption_tax_fen + vat_fen; }
  bool operator==(const TaxComputation&) const = default;
};

// Customs value of a list: Σ line totalPrice + head freight + head insuredFee.
Decimal CustomsValue(const InventoryList& list);

// Splits `charges` over lines in proportion to `weights` (largest remainder,
// ties to the earlier line). Weights must be non-negative; if they are all
// zero the charges are split evenly the same way. Σ result == charges.
std::vector<Decimal> AllocateCharges(std::span<const Decimal> weights, Decimal charges);

// Taxes of one line of value `value` at `rate` under `regime`, rounded as
// described above. InvalidArgument if the full regime needs an MFN rate the
// table does not have.
Status ComputeLineTax(Decimal value, Decimal unit_price, const TaxRate& rate, TaxRegime regime,
                      Ppm reduced_rate, LineTax* out);

// Taxes of a whole list. Fails (InvalidArgument naming the gnum and gcode) if
// a line has no rate, or no MFN rate on the full path.
Result<TaxComputation> ComputeTax(const InventoryList& list, const Rules& rules, TaxRegime regime);

// The CEB816 tax bill (电子税单) of a computation: taxPrice and the three taxes
// per line and their sums in the head, in yuan with two decimals. The head's
// guid is left empty: it is the sender's to number (the engine gives each
// bill it sends a serial GUID, core/guid.h).
struct TaxBill {
  TaxHead head;
  std::vector<TaxItem> items;
  bool operator==(const TaxBill&) const = default;
};
TaxBill MakeTaxBill(const TaxComputation& tax, const InventoryList& list, std::string_view invt_no,
                    UnixMillis at);

}  // namespace ftz::clearance
