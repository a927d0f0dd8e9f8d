// Second-level clearance over real HTTP: the four documents of a parcel in
// any order, the decision receipts the declaring agent gets (CEB622: 120
// entered, then the lane's answer), the tax bill (CEB816) the withholding
// enterprise gets, refusals that name the field, and a deadline that passes.
#include <gtest/gtest.h>

#include "ceb/ceb.h"
#include "env/fault_injection_env.h"
#include "test_server.h"
#include "workload/workload.h"

namespace ftz {
namespace {

using testing::Client;
using testing::HttpResult;
using testing::TestServer;

class ClearanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    env_.SetNow(1'767'225'600'000);  // 2026-01-01 08:00 CST
    server_ = std::make_unique<TestServer>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name(), server::ApiLimits{}, &env_);
    workload::Options o;
    o.bonded_share = 0;  // 9610 direct purchase: no bonded stock to load first
    workload::Workload w(o);
    for (int i = 0; i < 4; ++i) parcels_.push_back(w.Next());
  }

  HttpResult Send(Client& c, MessageType t, const workload::Parcel& p) {
    Message m = workload::Workload::Messages(t, {p}, 1, 1)[0];
    return c.Request("POST", "/v1/messages", ceb::EncodeMessageXml(m), {{"Content-Type", "application/xml"}});
  }
  HttpResult SendMessage(Client& c, const Message& m) {
    return c.Request("POST", "/v1/messages", ceb::EncodeMessageXml(m), {{"Content-Type", "application/xml"}});
  }

  // The statuses of the CEB622 receipts the agent has been sent for this list.
  std::vector<std::string> ListStatuses(Client& c, const workload::Parcel& p, const std::string& until,
                                        std::string* infos = nullptr) {
    std::vector<std::string> out;
    for (int tries = 0; tries < 100; ++tries) {
      out.clear();
      if (infos) infos->clear();
      HttpResult r = c.Request("GET", "/v1/receipts?limit=1000&copCode=" + p.list.head.agentCode);
      // One entry per receipt: {"cursor":N,...}; keep the CEB622s of this list.
      const std::string mark = "{\"cursor\":";
      for (size_t pos = r.body.find(mark); pos != std::string::npos;) {
        size_t next = r.body.find(mark, pos + 1);
        std::string entry = r.body.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
        pos = next;
        if (entry.find("\"CEB622Message\"") == std::string::npos ||
            entry.find("\"copNo\":\"" + p.list.head.copNo + "\"") == std::string::npos) {
          continue;
        }
        size_t s = entry.find("\"returnStatus\":\"") + 16;
        out.push_back(entry.substr(s, entry.find('"', s) - s));
        if (infos) *infos += entry.substr(0, entry.find("\"xml\":")) + "\n";
      }
      if (!out.empty() && out.back() == until) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return out;
  }

  FaultInjectionEnv env_{Env::Default()};
  std::unique_ptr<TestServer> server_;
  std::vector<workload::Parcel> parcels_;
};

bool Decided(const std::vector<std::string>& s) {
  return s.size() == 3 && s[0] == "2" && s[1] == "120" &&
         (s[2] == "800" || s[2] == "300" || s[2] == "500");
}

TEST_F(ClearanceTest, FourDocumentsInOrderAreDecided) {
  Client c(server_->port());
  const workload::Parcel& p = parcels_[0];
  for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                        MessageType::kInventoryList}) {
    ASSERT_EQ(Send(c, t, p).status, 200);
  }
  std::vector<std::string> s = ListStatuses(c, p, "800");
  EXPECT_TRUE(Decided(s)) << ::testing::PrintToString(s);
  if (!s.empty() && s.back() == "800") {
    // Released: the withholding enterprise (assureCode) has its tax bill.
    HttpResult bills = c.Request("GET", "/v1/receipts?copCode=" + p.list.head.assureCode);
    EXPECT_NE(bills.body.find("\"CEB816Message\""), std::string::npos) << bills.body.substr(0, 400);
    EXPECT_NE(bills.body.find(p.list.head.orderNo.substr(0, 0) + "\"TaxHeadRd\""), std::string::npos);
  }
  // The list's state and its customs number are queryable.
  HttpResult q = c.Request("GET", "/v1/inventory-lists/" + p.list.head.ebpCode + "/" + p.list.head.orderNo);
  EXPECT_EQ(q.status, 200);
  EXPECT_NE(q.body.find("\"returnStatus\":" + s.back()), std::string::npos) << q.body.substr(0, 300);
}

TEST_F(ClearanceTest, ListFirstWaitsForItsDocuments) {
  Client c(server_->port());
  const workload::Parcel& p = parcels_[1];
  ASSERT_EQ(Send(c, MessageType::kInventoryList, p).status, 200);
  ASSERT_EQ(Send(c, MessageType::kWaybill, p).status, 200);
  ASSERT_EQ(Send(c, MessageType::kOrder, p).status, 200);
  std::vector<std::string> s = ListStatuses(c, p, "2");
  EXPECT_EQ(s, std::vector<std::string>{"2"});  // still waiting for the payment
  ASSERT_EQ(Send(c, MessageType::kPayment, p).status, 200);
  s = ListStatuses(c, p, "800");
  EXPECT_TRUE(Decided(s)) << ::testing::PrintToString(s);
}

TEST_F(ClearanceTest, DisagreeingPaymentIsRefusedNamingTheField) {
  Client c(server_->port());
  workload::Parcel p = parcels_[2];
  Message pay = workload::Workload::Messages(MessageType::kPayment, {p}, 1, 1)[0];
  std::get<std::vector<Payment>>(pay.blocks)[0].head.amountPaid += Decimal::FromFen(1);
  ASSERT_EQ(Send(c, MessageType::kOrder, p).status, 200);
  ASSERT_EQ(SendMessage(c, pay).status, 200);
  ASSERT_EQ(Send(c, MessageType::kWaybill, p).status, 200);
  ASSERT_EQ(Send(c, MessageType::kInventoryList, p).status, 200);
  std::string infos;
  std::vector<std::string> s = ListStatuses(c, p, "100", &infos);
  EXPECT_EQ(s, (std::vector<std::string>{"2", "100"})) << infos;
  EXPECT_NE(infos.find("amountPaid"), std::string::npos) << infos;
}

TEST_F(ClearanceTest, ADeadlineThatPassesRefusesTheListAndSurvivesRestart) {
  Client c(server_->port());
  const workload::Parcel& p = parcels_[3];
  ASSERT_EQ(Send(c, MessageType::kInventoryList, p).status, 200);
  ASSERT_EQ(Send(c, MessageType::kOrder, p).status, 200);
  env_.SetNow(1'767'225'600'000 + 25LL * 3600 * 1000);  // the default rules wait 24 h
  std::string infos;
  std::vector<std::string> s = ListStatuses(c, p, "100", &infos);
  EXPECT_EQ(s, (std::vector<std::string>{"2", "100"})) << infos;
  EXPECT_NE(infos.find("未收到"), std::string::npos) << infos;  // names what never came
  // Replay reproduces every receipt, the deadline's included.
  server_->Stop();
  server_->Start();
  EXPECT_EQ(server_->node().recovery().receipt_mismatches, 0u);
  EXPECT_GE(server_->node().recovery().receipts_checked, 3u);
  Client c2(server_->port());
  EXPECT_EQ(ListStatuses(c2, p, "100"), (std::vector<std::string>{"2", "100"}));
}

}  // namespace
}  // namespace ftz
