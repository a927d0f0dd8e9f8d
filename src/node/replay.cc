#include "node/replay.h"

#include "ceb/ceb.h"

namespace ftz::node {

int ReceiptTypeOf(std::string_view xml) {
  size_t p = xml.find("<CEB");
  if (p == std::string_view::npos || p + 7 > xml.size()) return 0;
  int n = 0;
  for (size_t i = p + 4; i < p + 7; ++i) {
    if (xml[i] < '0' || xml[i] > '9') return 0;
    n = n * 10 + (xml[i] - '0');
  }
  return n;
}

void Replayer::Expect(const engine::Outcome& o, uint64_t seq, bool own) {
  if (own) expected_.push_back({ceb::EncodeReceiptXml(o.receipt), o.cop_code, seq});
  for (const engine::Emitted& e : o.emitted) {
    expected_.push_back({ceb::EncodeReceiptXml(e.receipt), e.cop_code, seq});
  }
}

Status Replayer::Visit(const stream::Record& r, const OnApplied& applied,
                       const OnReceipt& receipt) {
  if (r.seq < start_) return Status::Ok();
  last_time_ = std::max(last_time_, r.time);
  switch (r.type) {
    case stream::RecordType::kMessage: {
      engine::MessageRecord mr;
      if (!engine::DecodeMessageRecord(r.payload, &mr)) {
        return Status::Corruption("record " + std::to_string(r.seq) + ": bad message record");
      }
      ceb::DecodeResult d = ceb::Decode(mr.body, mr.syntax);
      if (d.outcome == ceb::DecodeResult::Outcome::kUnreadable) {
        return Status::Corruption("record " + std::to_string(r.seq) +
                                  ": logged message no longer decodes: " + d.summary);
      }
      engine::Outcome o = engine_->Apply(r.seq, r.time, d.message);
      Expect(o, r.seq, /*own=*/true);
      ++messages_;
      if (applied) applied(r, &d.message, o);
      return Status::Ok();
    }
    case stream::RecordType::kTick: {
      engine::Outcome o = engine_->Tick(r.seq, r.time);
      Expect(o, r.seq, /*own=*/false);
      ++ticks_;
      if (applied) applied(r, nullptr, o);
      return Status::Ok();
    }
    case stream::RecordType::kAdmin: {
      engine::AdminRecord a;
      if (!engine::DecodeAdminRecord(r.payload, &a)) {
        return Status::Corruption("record " + std::to_string(r.seq) + ": bad admin record");
      }
      if (keep_engine_rules_ && a.kind == engine::AdminRecord::kStartRules) return Status::Ok();
      auto o = engine_->ApplyAdmin(r.seq, r.time, a);
      if (!o.ok()) {
        return Status::Corruption("record " + std::to_string(r.seq) +
                                  ": logged command fails: " + o.status().ToString());
      }
      Expect(*o, r.seq, /*own=*/false);
      if (applied) applied(r, nullptr, *o);
      return Status::Ok();
    }
    case stream::RecordType::kReceipt: {
      engine::ReceiptRecord rr;
      if (!engine::DecodeReceiptRecord(r.payload, &rr)) {
        return Status::Corruption("record " + std::to_string(r.seq) + ": bad receipt record");
      }
      ++receipts_;
      std::string replayed = expected_.empty() ? std::string() : expected_.front().xml;
      if (!expected_.empty()) expected_.pop_front();
      if (rr.xml != replayed) {
        ++mismatches_;
        if (first_.size() < 10) {
          // Around where they part (a CEB622's first 300 bytes are the same
          // whatever was decided), on a line boundary of the XML.
          const std::string_view logged = rr.xml;
          size_t at = 0;
          while (at < logged.size() && at < replayed.size() && logged[at] == replayed[at]) ++at;
          size_t from = 0;
          if (at > 120) {
            const size_t tag = logged.rfind('<', at - 120);
            from = tag == std::string_view::npos ? at - 120 : tag;
          }
          // One line: the XML's line breaks and indentation become a space.
          auto excerpt = [from](std::string_view xml) {
            std::string out = from > 0 ? "…" : "";
            bool space = false;
            for (char c : xml.substr(std::min(from, xml.size()), 300)) {
              const bool blank = c == '\n' || c == '\r' || c == '\t' || c == ' ';
              if (blank && space) continue;
              space = blank;
              out += blank ? ' ' : c;
            }
            if (from + 300 < xml.size()) out += "…";
            return out;
          };
          first_.push_back({r.seq, excerpt(logged), excerpt(replayed)});
        }
      }
      if (receipt) receipt(r, rr);
      return Status::Ok();
    }
  }
  return Status::Corruption("record " + std::to_string(r.seq) + ": unknown record type " +
                            std::to_string(static_cast<int>(r.type)));
}

}  // namespace ftz::node
