#include "witness/client.h"
#include "core/http_url.h"

#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <optional>

#include "ledger/encoding.h"
#include "ledger/note.h"
#include "witness/witness.h"

namespace ftz::witness {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// http://HOST[:PORT][/PATH], as core/http_url.h reads it.
Result<HttpUrl> ParseUrl(std::string_view url) {
  Result<HttpUrl> u = ParseHttpUrl(url);
  if (!u.ok()) return Status::InvalidArgument("witness " + u.status().message());
  return u;
}

// One keep-alive connection, reopened when the peer closed it. Every step
// runs asynchronously on a private io_context so that the stream's timer can
// bound it (Beast's timeouts only apply to asynchronous operations).
class HttpPoster {
 public:
  explicit HttpPoster(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  Result<HttpReply> Post(const std::string& url, const std::string& body) {
    Result<HttpUrl> u = ParseUrl(url);
    if (!u.ok()) return u.status();
    const bool reused = stream_ && u->host == host_ && u->port == port_;
    if (stream_ && !reused) stream_.reset();
    Result<HttpReply> r = Once(*u, body);
    // A kept-alive connection the witness has since closed fails at once:
    // one fresh attempt tells that apart from a witness that is down.
    if (!r.ok() && reused) r = Once(*u, body);
    return r;
  }

 private:
  Status Run(const char* what, const std::string& where) {
    ioc_.restart();
    ioc_.run();
    if (ec_) {
      stream_.reset();
      return Status::Unavailable(std::string(what) + " " + where + ": " + ec_.message());
    }
    return Status::Ok();
  }

  Result<HttpReply> Once(const HttpUrl& u, const std::string& body) {
    const std::string where = u.host + ":" + u.port;
    if (!stream_) {
      tcp::resolver resolver(ioc_);
      auto endpoints = resolver.resolve(u.host, u.port, ec_);
      if (ec_) return Status::Unavailable("resolve " + where + ": " + ec_.message());
      stream_.emplace(ioc_);
      stream_->expires_after(timeout_);
      stream_->async_connect(endpoints,
                             [this](beast::error_code ec, const tcp::endpoint&) { ec_ = ec; });
      FTZ_RETURN_IF_ERROR(Run("connect", where));
      host_ = u.host;
      port_ = u.port;
    }
    http::request<http::string_body> req{http::verb::post, u.path, 11};
    req.set(http::field::host, u.host);
    req.set(http::field::user_agent, "ftzport");
    req.set(http::field::content_type, "text/plain; charset=utf-8");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    stream_->expires_after(timeout_);
    http::async_write(*stream_, req, [this](beast::error_code ec, size_t) { ec_ = ec; });
    FTZ_RETURN_IF_ERROR(Run("send to", where));
    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    parser.body_limit(1 << 20);
    stream_->expires_after(timeout_);
    http::async_read(*stream_, buf, parser, [this](beast::error_code ec, size_t) { ec_ = ec; });
    FTZ_RETURN_IF_ERROR(Run("read from", where));
    auto res = parser.release();
    if (!res.keep_alive()) stream_.reset();
    HttpReply r;
    r.status = static_cast<int>(res.result_int());
    r.content_type = std::string(res[http::field::content_type]);
    r.body = std::move(res.body());
    return r;
  }

  std::chrono::milliseconds timeout_;
  net::io_context ioc_;
  std::optional<beast::tcp_stream> stream_;
  std::string host_, port_;
  beast::error_code ec_;
};

std::string Excerpt(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  if (s.size() > 200) s = s.substr(0, 200) + "...";
  return s;
}

}  // namespace

Transport HttpTransport(std::chrono::milliseconds timeout) {
  auto poster = std::make_shared<HttpPoster>(timeout);
  return
      [poster](const std::string& url, const std::string& body) { return poster->Post(url, body); };
}

Result<WitnessSpec> ParseWitnessSpec(std::string_view spec) {
  while (!spec.empty() && (spec.back() == ' ' || spec.back() == '\n')) spec.remove_suffix(1);
  const size_t sp = spec.find(' ');
  if (sp == std::string_view::npos) {
    return Status::InvalidArgument("witness '" + std::string(spec) +
                                   "': want \"URL VKEY\" (e.g. \"http://127.0.0.1:9000 "
                                   "name+1234abcd+BASE64\")");
  }
  WitnessSpec w{std::string(spec.substr(0, sp)), std::string(spec.substr(sp + 1))};
  while (!w.vkey.empty() && w.vkey.front() == ' ') w.vkey.erase(0, 1);
  if (Result<HttpUrl> u = ParseUrl(w.url); !u.ok()) return u.status();
  if (auto k = CosignatureVerifier::Parse(w.vkey); !k.ok()) return k.status();
  return w;
}

Result<std::unique_ptr<WitnessClient>> WitnessClient::Create(const WitnessSpec& spec,
                                                             Transport transport) {
  Result<HttpUrl> u = ParseUrl(spec.url);
  if (!u.ok()) return u.status();
  auto key = CosignatureVerifier::Parse(spec.vkey);
  if (!key.ok()) return key.status();
  std::string url = spec.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return std::unique_ptr<WitnessClient>(
      new WitnessClient(url + "/add-checkpoint", std::move(*key), std::move(transport)));
}

Result<std::string> WitnessClient::Verified(std::string_view signed_checkpoint,
                                            const std::string& reply) {
  // The answer is signature lines and nothing else (c2sp.org/tlog-witness,
  // add-checkpoint): appended to the checkpoint they make a note whose new
  // signatures we check against the witness's key. An empty line in it would
  // move where the note's text ends (a note splits at its last blank line),
  // and a cosignature would be checked over the wrong text.
  const bool empty_line = reply.empty() || reply.front() == '\n' ||
                          reply.find("\n\n") != std::string::npos || reply.back() != '\n';
  Result<ledger::Note> own = ledger::ParseNote(signed_checkpoint);
  Result<ledger::Note> note = empty_line
                                  ? Result<ledger::Note>(Status::InvalidArgument("empty line"))
                                  : ledger::ParseNote(std::string(signed_checkpoint) + reply);
  if (!note.ok() || !own.ok() || note->text != own->text) {
    return Status::FailedPrecondition("witness " + name() +
                                      ": answer is not cosignature lines: " + Excerpt(reply));
  }
  std::string lines;
  Status last = Status::FailedPrecondition("witness " + name() + ": no cosignature by its key");
  for (const ledger::NoteSignature& s : note->signatures) {
    if (s.name != key_.name() || s.key_id != key_.key_id()) continue;  // not this witness
    Result<uint64_t> ts = key_.Verify(note->text, s);
    if (!ts.ok()) {
      last = ts.status();
      continue;
    }
    std::string blob;
    for (int i = 3; i >= 0; --i) blob.push_back(static_cast<char>(s.key_id >> (8 * i)));
    blob += s.signature;
    const std::string line = "\xE2\x80\x94 " + s.name + " " + ledger::Base64Encode(blob) + "\n";
    if (lines.find(line) == std::string::npos) lines += line;
  }
  if (lines.empty()) return last;
  return lines;
}

Result<std::string> WitnessClient::Cosign(std::string_view signed_checkpoint, uint64_t size,
                                          const ProofSource& proof) {
  for (int attempt = 0;; ++attempt) {
    if (acked_ > size) {
      return Status::FailedPrecondition("witness " + name() + " holds size " +
                                        std::to_string(acked_) + ", beyond this checkpoint's " +
                                        std::to_string(size) + " (was the log reset?)");
    }
    std::string body = "old " + std::to_string(acked_) + "\n";
    if (acked_ != 0 && acked_ != size) {
      Result<std::vector<ledger::Hash>> p = proof(acked_, size);
      if (!p.ok()) return p.status();
      for (const ledger::Hash& h : *p) body += ledger::Base64Encode(h) + "\n";
    }
    body += "\n";
    body.append(signed_checkpoint);
    Result<HttpReply> reply = transport_(url_, body);
    if (!reply.ok()) return reply.status();
    if (reply->status == 200) {
      Result<std::string> lines = Verified(signed_checkpoint, reply->body);
      if (lines.ok()) acked_ = size;
      return lines;
    }
    if (reply->status == 409 && attempt == 0 && reply->content_type.rfind(kTlogSizeType, 0) == 0) {
      std::string_view b = reply->body;
      if (!b.empty() && b.back() == '\n') b.remove_suffix(1);
      Result<uint64_t> held = ledger::ParseDecimal(b);
      if (held.ok() && *held != acked_) {
        acked_ = *held;  // the witness told us where it is: prove from there
        continue;
      }
    }
    return Status::FailedPrecondition("witness " + name() + " answered " +
                                      std::to_string(reply->status) + ": " + Excerpt(reply->body));
  }
}

}  // namespace ftz::witness
