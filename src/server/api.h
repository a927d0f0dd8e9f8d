// Api: the single window's HTTP API (docs/openapi.yaml) without the
// transport: a request in, a response out, so the routes can be tested
// without sockets. http_server.cc carries it over Boost.Beast.
//
// Every handler takes the caller's identity explicitly (Caller). Today it
// carries only the peer address; authentication and per-enterprise
// authorization will fill `enterprise` and check it in each handler.
//
// Thread safety: Handle may be called from many threads at once. `reply` may
// run on the calling thread or later on another (the sequencer, the receipt
// feed): the transport must post it back to the connection.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "ledger/tiles.h"
#include "node/node.h"
#include "server/receipt_feed.h"

namespace ftz::server {

struct Caller {
  std::string remote;      // peer address
  std::string enterprise;  // authenticated enterprise code ("" until authentication lands)
};

struct ApiRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as received
  std::string content_type;
  std::string accept;
  std::string last_event_id;
  std::string body;
  Caller caller;
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // What the answer keeps until the connection's thread is done with it: a
  // message's submission, allocated on that thread, is freed there
  // (node::SubmitResult::submission).
  std::unique_ptr<node::Submission> retained;
};

struct ApiLimits {
  size_t max_body = 16u << 20;  // bytes; larger bodies get 413 before they are read
  int max_poll_seconds = 60;    // long-poll wait cap
  int max_receipts_per_page = 1000;
};

class Api {
 public:
  Api(node::Node* node, node::Registry* metrics, ReceiptFeed* feed, ApiLimits limits);

  void Handle(ApiRequest req, std::function<void(ApiResponse)> reply);

  // The answer to a body over ApiLimits::max_body (the transport detects it):
  // to a CEB message (`message`: POST /v1/messages) a CEB900, counted as an
  // invalid message; to any other request a JSON Error `too_large`.
  ApiResponse BodyTooLarge(const ApiRequest& req, bool message) const;

  // For the SSE stream (transport-driven): receipts of `cop` after `cursor`,
  // rendered as "id: <seq>\nevent: receipt\ndata: <json>\n\n" events.
  // *more is set when a full page was returned (call again for the rest).
  Result<std::string> SseEvents(const std::string& cop, int64_t* cursor, const Caller& caller,
                                bool* more);
  // Counts a request the transport answered itself (the SSE stream).
  void CountRequest(const std::string& route, int status) { RequestCounter(route, status).Add(); }
  // The registry /metrics renders (null if none): the transport adds its own.
  node::Registry* metrics() const { return metrics_; }

  const ApiLimits& limits() const { return limits_; }
  ReceiptFeed* feed() { return feed_; }

 private:
  void PostMessage(ApiRequest req, std::function<void(ApiResponse)> reply);
  // `names_it`, when given, must hold for the document found (else 404 with
  // `not_named`): an index entry that may lead to another document.
  ApiResponse GetDocument(int type, const std::string& key, const Caller& caller,
                          const std::function<bool(const Message&, size_t)>& names_it = {},
                          std::string_view not_named = {});
  ApiResponse GetListBy(const std::string& index, const std::string& value, const Caller& caller);
  void GetReceipts(const ApiRequest& req, std::function<void(ApiResponse)> reply);
  Result<std::string> ReceiptsJson(const std::string& cop, int64_t after, int limit, int64_t* last,
                                   size_t* count);
  node::Counter& RequestCounter(const std::string& route, int status);
  // POST /v1/admin/bonded/goods-in (write_off false) and .../write-off.
  void PostStockCommand(const ApiRequest& req, bool write_off,
                        std::function<void(ApiResponse)> reply);
  void PostConclusion(const ApiRequest& req, std::function<void(ApiResponse)> reply);
  void PostRules(const ApiRequest& req, std::function<void(ApiResponse)> reply);
  ApiResponse GetRules(const Caller& caller);
  ApiResponse GetQuota(const std::string& id_number, const std::string& year, const Caller& caller);
  // The stock report of bonded account `ems_no` (1210), from the read model.
  ApiResponse GetStock(const std::string& ems_no, const Caller& caller);
  ApiResponse InclusionProof(const std::string& query);
  // One reader of the ledger's tiles for every request, grown to each newer
  // checkpoint, so its cache of upper tiles stays warm across requests.
  ledger::TileReader& TilesAt(uint64_t checkpoint_size);
  ApiResponse ConsistencyProof(const std::string& query);
  // GET /tlog/tile/...: `rel` is "tile/<L>/<N>[.p/<W>]" or "tile/entries/<N>[.p/<W>]".
  ApiResponse Tile(const std::string& rel);
  // GET /v1/proofs/bundle?index=N: a c2sp.org/tlog-proof@v1 bundle carrying the record.
  ApiResponse RecordBundle(const std::string& query, const Caller& caller);
  ApiResponse Health() const;
  ApiResponse Ready() const;

  node::Node* node_;
  node::Registry* metrics_;
  ReceiptFeed* feed_;
  ApiLimits limits_;
  node::Histogram* accept_seconds_;
  // Messages refused before the node (too large, another charset, not
  // readable, field errors): nothing logged. The node counts the rest.
  node::Counter* messages_invalid_;
  std::once_flag tiles_once_;
  std::unique_ptr<ledger::TileReader> tiles_;
  static constexpr int kRequestRoutes = 23, kRequestCodes = 9;
  std::array<std::atomic<node::Counter*>, kRequestRoutes * kRequestCodes> request_counters_{};
};

// A signed decimal integer of at most 18 digits in canonical form, nothing
// else ("-1", "0", "42"; not "05", "-0", "+1").
bool ParseInt(std::string_view s, int64_t* out);
// Percent-decoding of a path segment or query value ("+" stays "+").
std::string UrlDecode(std::string_view s);
// Value of `name` in a query string ("a=1&b=2"), decoded; "" if absent.
std::string QueryParam(std::string_view query, std::string_view name);

}  // namespace ftz::server
