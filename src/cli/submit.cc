#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "ceb/ceb.h"
#include "cli/commands.h"
#include "core/http_url.h"

namespace ftz::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

}  // namespace

Runner AddSubmit(CLI::App& app) {
  struct Opts {
    std::string url;
    std::vector<std::string> files;
    bool json = false;
    bool quiet = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("url", o->url, "Window address, e.g. http://127.0.0.1:8080")->required();
  app.add_option("files", o->files, "CEB message files (.xml or .json)")->required();
  app.add_flag("--json", o->json, "Ask for JSON receipts");
  app.add_flag("-q,--quiet", o->quiet, "Print only a summary");
  return [o]() -> int {
    Result<HttpUrl> parsed = ParseHttpUrl(o->url);
    if (!parsed.ok()) {
      std::fprintf(stderr, "ftzport submit: %s\n", parsed.status().message().c_str());
      return 2;
    }
    HttpUrl url = *parsed;
    if (url.path == "/") url.path = "/v1/messages";
    net::io_context ioc;
    tcp::resolver resolver(ioc);
    beast::tcp_stream stream(ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (!ec) stream.connect(endpoints, ec);
    if (ec) {
      std::fprintf(stderr, "ftzport submit: cannot reach %s: %s\n", o->url.c_str(),
                   ec.message().c_str());
      return 1;
    }
    size_t accepted = 0, refused = 0, failed_files = 0;
    for (const std::string& file : o->files) {
      std::ifstream in(file, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "%s: cannot read\n", file.c_str());
        ++failed_files;
        continue;
      }
      std::stringstream ss;
      ss << in.rdbuf();
      http::request<http::string_body> req{http::verb::post, url.path, 11};
      req.set(http::field::host, url.host);
      const bool is_json = file.size() > 5 && file.substr(file.size() - 5) == ".json";
      req.set(http::field::content_type, is_json ? "application/json" : "application/xml");
      req.set(http::field::accept, o->json ? "application/json" : "application/xml");
      req.keep_alive(true);
      req.body() = ss.str();
      req.prepare_payload();
      http::write(stream, req, ec);
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      if (!ec) http::read(stream, buf, res, ec);
      if (ec) {
        std::fprintf(stderr, "%s: %s\n", file.c_str(), ec.message().c_str());
        return 1;
      }
      // Count the blocks' statuses from the receipt.
      ReceiptMessage r;
      ceb::DecodeResult d =
          o->json ? ceb::DecodeReceiptJson(res.body(), &r) : ceb::DecodeReceiptXml(res.body(), &r);
      size_t ok = 0, bad = 0;
      if (d.ok()) {
        for (size_t i = 0; i < r.BlockCount(); ++i) (ceb::ViewReturn(r, i).status > 0 ? ok : bad)++;
      } else {
        bad = 1;  // CEB900 or an HTTP error body
      }
      accepted += ok;
      refused += bad;
      if (!o->quiet || bad > 0) {
        std::printf("%s: HTTP %u, %zu accepted, %zu refused", file.c_str(), res.result_int(), ok,
                    bad);
        if (auto seq = res.find("X-Ftz-Message-Seq"); seq != res.end()) {
          std::printf(", log index %s", std::string(seq->value()).c_str());
        }
        std::printf("\n");
        if (!o->quiet) std::printf("%s\n", res.body().c_str());
      }
      if (!res.keep_alive()) {
        stream.close();
        stream.connect(endpoints, ec);
        if (ec) return 1;
      }
    }
    std::printf("submitted %zu files: %zu documents accepted, %zu refused\n", o->files.size(),
                accepted, refused);
    return refused > 0 || failed_files > 0 ? 3 : 0;
  };
}

}  // namespace ftz::cli
