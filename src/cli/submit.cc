#include <utility>  // Boost 1.74 asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <filesystem>
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
    size_t accepted = 0, refused = 0, sent = 0, failed_files = 0;
    bool connected = true;
    auto summary = [&] {
      std::printf("submitted %zu of %zu files: %zu documents accepted, %zu refused", sent,
                  o->files.size(), accepted, refused);
      if (failed_files > 0) std::printf("; %zu files not read or not answered", failed_files);
      std::printf("\n");
    };
    for (const std::string& file : o->files) {
      // A directory opens as a file on Linux and reads as nothing: it would
      // be sent as an empty message.
      std::error_code fec;
      if (!std::filesystem::is_regular_file(file, fec)) {
        std::fprintf(stderr, "%s: %s\n", file.c_str(),
                     std::filesystem::is_directory(file, fec) ? "is a directory"
                     : std::filesystem::exists(file, fec)     ? "not a regular file"
                                                              : "no such file");
        ++failed_files;
        continue;
      }
      std::ifstream in(file, std::ios::binary);
      std::stringstream ss;
      ss << in.rdbuf();
      if (!in || ss.fail()) {
        std::fprintf(stderr, "%s: cannot read\n", file.c_str());
        ++failed_files;
        continue;
      }
      if (!connected) {
        stream.close();
        stream.connect(endpoints, ec);
        if (ec) {
          std::fprintf(stderr, "ftzport submit: cannot reach %s again: %s\n", o->url.c_str(),
                       ec.message().c_str());
          summary();
          return 1;
        }
        connected = true;
      }
      http::request<http::string_body> req{http::verb::post, url.path, 11};
      req.set(http::field::host, url.host);
      const bool is_json = file.size() > 5 && file.substr(file.size() - 5) == ".json";
      req.set(http::field::content_type, is_json ? "application/json" : "application/xml");
      req.set(http::field::accept, o->json ? "application/json" : "application/xml");
      req.keep_alive(true);
      req.body() = ss.str();
      req.prepare_payload();
      beast::error_code write_ec;
      http::write(stream, req, write_ec);
      // Even when the write broke off (a body over the window's limit is
      // answered 413 and the connection closed before it is all sent), the
      // answer may be there to read.
      beast::flat_buffer buf;
      http::response<http::string_body> res;
      http::read(stream, buf, res, ec);
      if (ec) {
        std::fprintf(stderr, "%s: no answer: %s\n", file.c_str(),
                     (write_ec ? write_ec : ec).message().c_str());
        ++failed_files;
        connected = false;  // the next file reconnects (and stops if it cannot)
        continue;
      }
      if (res.result_int() >= 500) {
        // Intake stopped, or the server is stopping: the message's outcome is
        // unknown (resend it once the window is back), not a refusal.
        std::fprintf(stderr, "%s: HTTP %u, outcome unknown: %s\n", file.c_str(), res.result_int(),
                     res.body().c_str());
        ++failed_files;
        if (!res.keep_alive()) connected = false;
        continue;
      }
      ++sent;
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
      if (!res.keep_alive() || write_ec) connected = false;
    }
    summary();
    // 1: a file was not read or not answered, or answered 5xx (nothing is
    // known of it);
    // 3: the window refused something; 0: everything accepted.
    return failed_files > 0 ? 1 : refused > 0 ? 3 : 0;
  };
}

}  // namespace ftz::cli
