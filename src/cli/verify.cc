// ftzport verify: offline checks of what the window's ledger says, needing
// only the log's public key (GET /tlog/key) and files the window handed out.
//
//   verify bundle FILE --key K          a c2sp.org/tlog-proof@v1 bundle with its record
//   verify consistency --old CP [--new CP] (--proof JSON | --fetch URL) --key K
//   verify receipt --receipt XML --answers SEQ --cop CODE --proof JSON --key K
//   verify fetch URL --index N -o FILE [--key K]   download a bundle (and check it)
//
// Exit codes: 0 verified; 1 something does not verify (the message says
// what); 2 bad usage, unreadable input or an unreachable window.
#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "ceb/ceb.h"
#include "cli/commands.h"
#include "core/http_url.h"
#include "engine/records.h"
#include "ledger/checkpoint.h"
#include "ledger/encoding.h"
#include "ledger/proof.h"
#include "node/ledger_writer.h"
#include "node/record_proof.h"

namespace ftz::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr int kVerified = 0, kFailed = 1, kUsage = 2;

int Fail(const std::string& what) {
  std::fprintf(stderr, "ftzport verify: NOT VERIFIED: %s\n", what.c_str());
  return kFailed;
}
int Usage(const std::string& what) {
  std::fprintf(stderr, "ftzport verify: %s\n", what.c_str());
  return kUsage;
}

Result<std::string> ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Each --key is a verifier key ("name+id+base64") or a file of such keys, one
// a line (what GET /tlog/key serves).
Result<ledger::VerifierSet> LoadKeys(const std::vector<std::string>& specs) {
  ledger::VerifierSet keys;
  if (specs.empty()) return Status::InvalidArgument("give the log's public key with --key");
  for (const std::string& spec : specs) {
    std::vector<std::string> lines;
    if (std::ifstream in(spec); in) {
      for (std::string line; std::getline(in, line);) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (!line.empty()) lines.push_back(line);
      }
      if (lines.empty()) return Status::InvalidArgument("key file " + spec + " holds no key");
    } else {
      lines.push_back(spec);
    }
    for (const std::string& k : lines) {
      Status st = keys.AddKey(k);
      if (!st.ok() && st.code() != StatusCode::kAlreadyExists) {
        return Status::InvalidArgument("key \"" + k.substr(0, 80) + "\": " + st.message() +
                                       " (expected name+keyid+base64 or a file of such lines)");
      }
    }
  }
  return keys;
}

std::string Signers(const ledger::VerifiedCheckpoint& cp) {
  std::string out;
  for (const ledger::NoteSignature& s : cp.note.verified) out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

std::string B64(const ledger::Hash& h) { return ledger::Base64Encode(h); }

// ---- a tiny HTTP client (the window speaks plain HTTP/1.1) ----

struct HttpAnswer {
  int status = 0;
  std::string body;
};

Result<HttpAnswer> HttpGet(const std::string& base, const std::string& target) {
  Result<HttpUrl> url = ParseHttpUrl(base);
  if (!url.ok()) return url.status();
  const std::string& host = url->host;
  const std::string& port = url->port;
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto endpoints = resolver.resolve(host, port, ec);
  if (!ec) stream.connect(endpoints, ec);
  if (ec) return Status::Unavailable("cannot reach " + base + ": " + ec.message());
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host);
  req.keep_alive(false);
  http::write(stream, req, ec);
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16u << 20);
  if (!ec) http::read(stream, buf, parser, ec);
  if (ec) return Status::Unavailable(base + target + ": " + ec.message());
  return HttpAnswer{static_cast<int>(parser.get().result_int()), parser.get().body()};
}

// ---- the JSON answers of /v1/proofs/inclusion and /v1/proofs/consistency ----

struct ProofJson {
  uint64_t index = 0, size = 0, from = 0, to = 0;
  bool has_leaf = false;
  ledger::Hash leaf{};
  std::vector<ledger::Hash> proof;
  std::string checkpoint;
};

Result<ledger::Hash> HashFromB64(std::string_view b64, const std::string& what) {
  Result<std::string> raw = ledger::Base64Decode(b64);
  if (!raw.ok() || raw->size() != ledger::kHashSize) {
    return Status::InvalidArgument(what + " is not a base64 SHA-256 hash");
  }
  ledger::Hash h;
  std::copy(raw->begin(), raw->end(), h.begin());
  return h;
}

Result<ProofJson> ParseProofJson(const std::string& text, const std::string& name) {
  namespace od = simdjson::ondemand;
  od::parser parser;
  simdjson::padded_string ps(text);
  od::document doc;
  od::object obj;
  if (parser.iterate(ps).get(doc) || doc.get_object().get(obj)) {
    return Status::InvalidArgument(name + ": not a JSON object");
  }
  ProofJson out;
  bool have_proof = false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return Status::InvalidArgument(name + ": malformed JSON");
    od::value v = field.value();
    if (key == "index" || key == "size" || key == "from" || key == "to") {
      uint64_t n;
      if (v.get_uint64().get(n)) {
        return Status::InvalidArgument(name + ": \"" + std::string(key) + "\" must be an integer");
      }
      (key == "index"  ? out.index
       : key == "size" ? out.size
       : key == "from" ? out.from
                       : out.to) = n;
    } else if (key == "leafHash") {
      std::string_view s;
      if (v.get_string().get(s)) return Status::InvalidArgument(name + ": bad leafHash");
      Result<ledger::Hash> h = HashFromB64(s, name + ": leafHash");
      if (!h.ok()) return h.status();
      out.leaf = *h;
      out.has_leaf = true;
    } else if (key == "proof") {
      od::array arr;
      if (v.get_array().get(arr)) return Status::InvalidArgument(name + ": proof is not an array");
      for (auto item : arr) {
        std::string_view s;
        if (item.get_string().get(s)) return Status::InvalidArgument(name + ": bad proof hash");
        Result<ledger::Hash> h =
            HashFromB64(s, name + ": proof hash " + std::to_string(out.proof.size()));
        if (!h.ok()) return h.status();
        out.proof.push_back(*h);
      }
      have_proof = true;
    } else if (key == "checkpoint") {
      std::string_view s;
      if (v.get_string().get(s)) return Status::InvalidArgument(name + ": bad checkpoint");
      out.checkpoint = std::string(s);
    } else if (key == "error") {
      return Status::InvalidArgument(name + " is an error answer, not a proof: " + text);
    }
  }
  if (!have_proof) return Status::InvalidArgument(name + ": no \"proof\" member");
  return out;
}

Result<ledger::VerifiedCheckpoint> OpenCp(const std::string& text, const ledger::VerifierSet& keys,
                                          const std::string& origin, const std::string& what) {
  auto cp = ledger::OpenCheckpoint(text, keys, origin);
  if (!cp.ok()) return Status(cp.status().code(), what + ": " + cp.status().message());
  return cp;
}

// ---- the subcommands ----

void PrintRecord(const node::OwnedRecord& r, bool show_xml) {
  std::printf("record   %llu, a %s, logged at %s CST (%lld ms)\n",
              static_cast<unsigned long long>(r.seq), node::RecordTypeName(r.type).c_str(),
              FormatReturnTime(r.time).c_str(), static_cast<long long>(r.time));
  engine::ReceiptRecord rr;
  if (r.type == stream::RecordType::kReceipt && engine::DecodeReceiptRecord(r.payload, &rr)) {
    std::printf("receipt  addressed to copCode %s, answering record %llu\n",
                std::string(rr.cop_code).c_str(), static_cast<unsigned long long>(rr.answers_seq));
    ReceiptMessage receipt;
    if (ceb::DecodeReceiptXml(rr.xml, &receipt).ok()) {
      std::printf("         %s, guid %s\n", RootElementName(receipt.type).data(),
                  receipt.guid.c_str());
      for (size_t i = 0; i < receipt.BlockCount(); ++i) {
        ceb::ReturnView v = ceb::ViewReturn(receipt, i);
        std::printf("         block %zu: guid %s, returnStatus %d, returnTime %s, %s\n", i,
                    v.guid.c_str(), v.status, v.time.c_str(), v.info.c_str());
      }
    }
    if (show_xml) std::printf("%.*s\n", static_cast<int>(rr.xml.size()), rr.xml.data());
  }
}

int RunBundle(const std::string& file, const ledger::VerifierSet& keys, const std::string& origin,
              bool show_xml) {
  auto text = ReadAll(file);
  if (!text.ok()) return Usage(text.status().message());
  auto v = node::VerifyRecordBundle(*text, keys, origin);
  if (!v.ok()) return Fail(file + ": " + v.status().message());
  const ledger::Checkpoint& cp = v->checkpoint.checkpoint;
  std::printf("verified %s: record %llu is leaf %llu of the log %s of %llu records\n", file.c_str(),
              static_cast<unsigned long long>(v->record.seq),
              static_cast<unsigned long long>(v->record.seq), cp.origin.c_str(),
              static_cast<unsigned long long>(cp.size));
  std::printf("root     %s, signed by %s\n", B64(cp.root).c_str(), Signers(v->checkpoint).c_str());
  std::printf("commit   %s\n", ledger::HashToHex(v->commitment).c_str());
  PrintRecord(v->record, show_xml);
  return kVerified;
}

int RunConsistency(const std::string& old_file, const std::string& new_file,
                   const std::string& proof_file, const std::string& url,
                   const ledger::VerifierSet& keys, const std::string& origin) {
  auto old_text = ReadAll(old_file);
  if (!old_text.ok()) return Usage(old_text.status().message());
  auto old_cp = OpenCp(*old_text, keys, origin, "older checkpoint " + old_file);
  if (!old_cp.ok()) return Fail(old_cp.status().message());
  std::string new_text;
  std::string new_name = "the proof's checkpoint";
  uint64_t new_size = 0;  // 0: the window's latest
  if (!new_file.empty()) {
    auto t = ReadAll(new_file);
    if (!t.ok()) return Usage(t.status().message());
    new_text = *t;
    new_name = "newer checkpoint " + new_file;
    auto parsed = ledger::ParseNote(new_text);
    if (parsed.ok()) {
      auto body = ledger::ParseCheckpoint(parsed->text);
      if (body.ok()) new_size = body->size;
    }
  }
  ProofJson pj;
  std::string proof_name = proof_file;
  if (!url.empty()) {
    if (old_cp->checkpoint.size == 0) {
      pj.to = 0;  // the empty tree is a prefix of every tree: fetch the latest checkpoint only
      auto cp = HttpGet(url, "/tlog/checkpoint");
      if (!cp.ok()) return Usage(cp.status().message());
      pj.checkpoint = cp->body;
    } else {
      proof_name = url + "/v1/proofs/consistency";
      std::string target = "/v1/proofs/consistency?from=" + std::to_string(old_cp->checkpoint.size);
      if (new_size >= old_cp->checkpoint.size) target += "&to=" + std::to_string(new_size);
      auto got = HttpGet(url, target);
      if (!got.ok()) return Usage(got.status().message());
      if (got->status != 200)
        return Fail(proof_name + ": HTTP " + std::to_string(got->status) + ": " + got->body);
      auto parsed = ParseProofJson(got->body, proof_name);
      if (!parsed.ok()) return Fail(parsed.status().message());
      pj = std::move(*parsed);
    }
  } else if (!proof_file.empty()) {
    auto text = ReadAll(proof_file);
    if (!text.ok()) return Usage(text.status().message());
    auto parsed = ParseProofJson(*text, proof_file);
    if (!parsed.ok()) return Fail(parsed.status().message());
    pj = std::move(*parsed);
  } else {
    return Usage("give the proof with --proof FILE (GET /v1/proofs/consistency) or --fetch URL");
  }
  if (new_file.empty()) new_text = pj.checkpoint;
  if (new_text.empty()) return Usage("no newer checkpoint: give --new FILE");
  auto new_cp = OpenCp(new_text, keys, origin, new_name);
  if (!new_cp.ok()) return Fail(new_cp.status().message());
  const ledger::Checkpoint& a = old_cp->checkpoint;
  const ledger::Checkpoint& b = new_cp->checkpoint;
  if (a.origin != b.origin) {
    return Fail("the checkpoints are of different logs (" + a.origin + ", " + b.origin + ")");
  }
  if (a.size > b.size) {
    return Fail("the older checkpoint (size " + std::to_string(a.size) +
                ") is larger than the newer (size " + std::to_string(b.size) +
                "): sizes in the wrong order, swap --old and --new");
  }
  const bool trivial = a.size == 0 || a.size == b.size;
  if (!trivial && (pj.from != a.size || pj.to != b.size)) {
    return Fail("the proof is from size " + std::to_string(pj.from) + " to " +
                std::to_string(pj.to) + " but the checkpoints have sizes " +
                std::to_string(a.size) + " and " + std::to_string(b.size));
  }
  std::vector<ledger::Hash> proof = trivial ? std::vector<ledger::Hash>{} : pj.proof;
  Status st = ledger::VerifyConsistency(a.size, b.size, proof, a.root, b.root);
  if (!st.ok())
    return Fail("consistency " + std::to_string(a.size) + " -> " + std::to_string(b.size) + ": " +
                st.message());
  std::printf(
      "verified: the log %s of %llu records (root %s) extends the one of %llu records "
      "(root %s)%s\n",
      b.origin.c_str(), static_cast<unsigned long long>(b.size), B64(b.root).c_str(),
      static_cast<unsigned long long>(a.size), B64(a.root).c_str(),
      proof_name.empty() ? "" : (", proof " + proof_name).c_str());
  return kVerified;
}

int RunReceipt(const std::string& xml_file, uint64_t answers, const std::string& cop,
               int64_t time_ms, bool time_given, const std::string& proof_file,
               const ledger::VerifierSet& keys, const std::string& origin) {
  auto xml = ReadAll(xml_file);
  if (!xml.ok()) return Usage(xml.status().message());
  auto text = ReadAll(proof_file);
  if (!text.ok()) return Usage(text.status().message());
  auto pj = ParseProofJson(*text, proof_file);
  if (!pj.ok()) return Fail(pj.status().message());
  if (!time_given) {
    // A logged receipt's returnTime is its record's time (docs/log-format.md §4).
    ReceiptMessage receipt;
    CivilTime t;
    if (!ceb::DecodeReceiptXml(*xml, &receipt).ok() || receipt.BlockCount() == 0 ||
        !ParseDateTime17(ceb::ViewReturn(receipt, 0).time, &t)) {
      return Usage(xml_file + ": no returnTime to take the record's time from; give --time MS");
    }
    time_ms = ToUnixMillisCst(t);
  }
  const std::string payload = engine::EncodeReceiptRecord({answers, cop, *xml});
  const ledger::Hash leaf =
      node::RecordLeaf(stream::RecordType::kReceipt, pj->index, time_ms, payload);
  if (pj->has_leaf && pj->leaf != leaf) {
    return Fail(xml_file + " (answering record " + std::to_string(answers) + ", copCode " + cop +
                ") is not the receipt logged as record " + std::to_string(pj->index) +
                ": its leaf is " + B64(leaf) + ", the log's is " + B64(pj->leaf));
  }
  auto cp = OpenCp(pj->checkpoint, keys, origin, proof_file + ": checkpoint");
  if (!cp.ok()) return Fail(cp.status().message());
  Status st =
      ledger::VerifyInclusion(pj->index, cp->checkpoint.size, leaf, pj->proof, cp->checkpoint.root);
  if (!st.ok())
    return Fail("inclusion of record " + std::to_string(pj->index) + ": " + st.message());
  std::printf(
      "verified: %s is record %llu (a receipt to copCode %s answering record %llu, "
      "logged at %s CST) of the log %s of %llu records, signed by %s\n",
      xml_file.c_str(), static_cast<unsigned long long>(pj->index), cop.c_str(),
      static_cast<unsigned long long>(answers), FormatReturnTime(time_ms).c_str(),
      cp->checkpoint.origin.c_str(), static_cast<unsigned long long>(cp->checkpoint.size),
      Signers(*cp).c_str());
  return kVerified;
}

int RunFetch(const std::string& url, uint64_t index, const std::string& out,
             const std::vector<std::string>& key_specs, const std::string& origin) {
  const std::string target = "/v1/proofs/bundle?index=" + std::to_string(index);
  Result<HttpAnswer> got = Status::Unavailable("not fetched");
  // A record is in a checkpoint within about a second of being logged.
  for (int attempt = 0; attempt < 20; ++attempt) {
    got = HttpGet(url, target);
    if (!got.ok()) return Usage(got.status().message());
    if (got->status != 404 || got->body.find("not_yet_checkpointed") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (got->status != 200) {
    return Usage(url + target + ": HTTP " + std::to_string(got->status) + ": " + got->body);
  }
  if (out == "-") {
    std::fwrite(got->body.data(), 1, got->body.size(), stdout);
  } else {
    std::ofstream f(out, std::ios::binary | std::ios::trunc);
    f << got->body;
    f.close();
    if (!f) return Usage("cannot write " + out);
    std::fprintf(stderr, "wrote %s (%zu bytes)\n", out.c_str(), got->body.size());
  }
  if (key_specs.empty()) return kVerified;
  auto keys = LoadKeys(key_specs);
  if (!keys.ok()) return Usage(keys.status().message());
  auto v = node::VerifyRecordBundle(got->body, *keys, origin);
  if (!v.ok()) return Fail(url + target + ": " + v.status().message());
  std::fprintf(stderr, "verified: record %llu in the log of %llu records\n",
               static_cast<unsigned long long>(v->record.seq),
               static_cast<unsigned long long>(v->checkpoint.checkpoint.size));
  return kVerified;
}

}  // namespace

Runner AddVerify(CLI::App& app) {
  struct Opts {
    std::vector<std::string> keys;
    std::string origin;
    std::string bundle;
    bool show_xml = false;
    std::string old_cp, new_cp, proof, fetch_url;
    std::string receipt_xml, cop;
    uint64_t answers = 0;
    int64_t time_ms = 0;
    std::string url, out = "-";
    uint64_t index = 0;
  };
  auto o = std::make_shared<Opts>();
  app.require_subcommand(1);
  auto add_keys = [&](CLI::App* sub, bool required) {
    CLI::Option* k = sub->add_option(
        "--key", o->keys,
        "The log's verifier key (name+id+base64), or a file of keys as GET /tlog/key serves; "
        "repeatable");
    if (required) k->required();
    sub->add_option("--origin", o->origin, "Require this checkpoint origin (the log's name)");
  };
  CLI::App* bundle = app.add_subcommand(
      "bundle", "Check a proof bundle (c2sp.org/tlog-proof@v1 with the record in extra)");
  bundle->add_option("file", o->bundle, "The bundle (GET /v1/proofs/bundle?index=N)")->required();
  bundle->add_flag("--xml", o->show_xml, "Also print a receipt's XML");
  add_keys(bundle, true);
  CLI::App* cons = app.add_subcommand("consistency",
                                      "Check that a newer signed checkpoint extends an older one");
  cons->add_option("--old", o->old_cp, "The older signed checkpoint (a file)")->required();
  cons->add_option("--new", o->new_cp, "The newer signed checkpoint (default: the proof's)");
  cons->add_option("--proof", o->proof, "The JSON of GET /v1/proofs/consistency?from=OLD&to=NEW");
  cons->add_option("--fetch", o->fetch_url, "Fetch the proof from this window (http://HOST:PORT)");
  add_keys(cons, true);
  CLI::App* receipt = app.add_subcommand(
      "receipt", "Check a receipt XML against an inclusion proof (GET /v1/proofs/inclusion)");
  receipt->add_option("--receipt", o->receipt_xml, "The receipt XML exactly as received")
      ->required();
  receipt
      ->add_option("--answers", o->answers,
                   "Leaf index of the message it answers (X-Ftz-Message-Seq)")
      ->required();
  receipt->add_option("--cop", o->cop, "Its addressee's copCode")->required();
  CLI::Option* time_opt = receipt->add_option(
      "--time", o->time_ms, "The record's time in Unix ms (default: the receipt's returnTime)");
  receipt->add_option("--proof", o->proof, "The inclusion proof JSON")->required();
  add_keys(receipt, true);
  CLI::App* fetch =
      app.add_subcommand("fetch", "Download the proof bundle of a record (and check it if --key)");
  fetch->add_option("url", o->url, "Window address, e.g. http://127.0.0.1:8080")->required();
  fetch->add_option("--index", o->index, "The record's leaf index (Ftz-Leaf-Index)")->required();
  fetch->add_option("-o,--out", o->out, "Output file ('-': standard output)")
      ->capture_default_str();
  add_keys(fetch, false);
  return [o, bundle, cons, receipt, fetch, time_opt]() -> int {
    if (fetch->parsed()) return RunFetch(o->url, o->index, o->out, o->keys, o->origin);
    auto keys = LoadKeys(o->keys);
    if (!keys.ok()) return Usage(keys.status().message());
    if (bundle->parsed()) return RunBundle(o->bundle, *keys, o->origin, o->show_xml);
    if (cons->parsed()) {
      return RunConsistency(o->old_cp, o->new_cp, o->proof, o->fetch_url, *keys, o->origin);
    }
    if (receipt->parsed()) {
      return RunReceipt(o->receipt_xml, o->answers, o->cop, o->time_ms, time_opt->count() > 0,
                        o->proof, *keys, o->origin);
    }
    return kUsage;
  };
}

}  // namespace ftz::cli
