// Workload: a realistic, internally consistent stream of cross-border parcels
// for the demo, the tests and the benchmarks. Each parcel is the four
// documents of a retail import — order (311), payment (411), waybill (511)
// and inventory list (621) — that agree with one another the way the
// specification requires (same order number, buyer, consignee, amounts,
// lines), for buyers with valid 18-digit ID numbers, goods with real HS codes
// and public-source tax rates, direct purchase (9610) and bonded (1210).
//
// Deterministic: the same options give the same parcels, byte for byte.
// Thread safety: a Workload is used by one thread.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/documents.h"
#include "core/time.h"

namespace ftz::workload {

struct Options {
  uint64_t seed = 1;
  size_t buyers = 1000;                  // distinct buyers drawn from
  UnixMillis start = 1'767'225'600'000;  // 2026-01-01 08:00 CST
  int seconds_between_parcels = 1;
  double bonded_share = 0.4;  // 1210 bonded online shopping; the rest 9610
  // Starts every business key (order, payment, waybill, copNo): use another
  // prefix to add a second, non-overlapping workload to the same data. At
  // most 2 characters (copNo is C..20).
  std::string order_prefix = "HZ";
};

struct Parcel {
  Order order;
  Payment payment;
  Waybill waybill;
  InventoryList list;
};

class Workload {
 public:
  explicit Workload(const Options& options);
  Parcel Next();

  // The bonded account the 1210 lists draw on, and every item record number
  // they can name: what a warehouse's goods-in loads before its parcels are
  // declared (a line never loaded refuses the list).
  static constexpr const char* kBondedAccount = "T2991W000001";
  static std::vector<std::string> BondedItemRecords();

  // Groups one kind of document of `parcels` into messages of up to
  // `per_message` blocks (1..100), with the right sender in BaseTransfer.
  static std::vector<Message> Messages(MessageType type, const std::vector<Parcel>& parcels,
                                       size_t per_message, uint64_t seed);

 private:
  struct Buyer {
    std::string name, id_number, phone, address, district;
  };
  Buyer MakeBuyer();
  std::string Guid();
  int64_t Uniform(int64_t lo, int64_t hi);

  Options options_;
  std::mt19937_64 rng_;
  std::vector<Buyer> buyers_;
  uint64_t serial_ = 0;
};

// An 18-digit resident ID number with a valid GB 11643 check digit.
std::string MakeIdNumber(const std::string& region, int year, int month, int day, int seq);
bool ValidIdNumber(const std::string& id);

}  // namespace ftz::workload
