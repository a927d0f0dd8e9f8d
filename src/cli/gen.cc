#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ceb/ceb.h"
#include "cli/commands.h"
#include "workload/workload.h"

namespace ftz::cli {

Runner AddGen(CLI::App& app) {
  struct Opts {
    std::string out = "workload";
    size_t parcels = 1000;
    size_t buyers = 0;
    size_t per_message = 1;
    uint64_t seed = 1;
    std::string format = "xml";
    bool dxp = false;
  };
  auto o = std::make_shared<Opts>();
  app.add_option("--out", o->out, "Directory to write the messages to (new or empty)")
      ->capture_default_str();
  // Checked as text first: a negative number would wrap to a huge one.
  app.add_option("--parcels", o->parcels, "Parcels (each: order, payment, waybill, list)")
      ->check(WholeNumber() & CLI::Range(size_t{1}, size_t{100'000'000}))
      ->capture_default_str();
  app.add_option("--buyers", o->buyers, "Distinct buyers (default: parcels / 5, at least 10)")
      ->check(WholeNumber() & CLI::Range(size_t{1}, size_t{100'000'000}));
  app.add_option("--per-message", o->per_message, "Documents per message, 1..100")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--seed", o->seed, "Seed: the same seed gives the same files")
      ->check(WholeNumber())
      ->capture_default_str();
  app.add_option("--format", o->format, "xml or json")->check(CLI::IsMember({"xml", "json"}));
  app.add_flag("--dxp", o->dxp, "Wrap each XML message in a DXP envelope (DxpMsg)");
  return [o]() -> int {
    auto fail = [](const std::string& what) {
      std::fprintf(stderr, "ftzport gen: %s\n", what.c_str());
      return 2;
    };
    if (o->out.empty()) return fail("--out is empty");
    // A new or empty directory: files of an earlier workload beside these
    // would be sent with them (`submit DIR/*.xml`).
    std::error_code ec;
    const std::filesystem::path out(o->out);
    if (std::filesystem::exists(out, ec) && !std::filesystem::is_directory(out, ec)) {
      return fail(o->out + " exists and is not a directory");
    }
    if (std::filesystem::is_directory(out, ec) && !std::filesystem::is_empty(out, ec)) {
      return fail(o->out + " is not empty: choose a new or empty directory");
    }
    std::filesystem::create_directories(out, ec);
    if (ec) return fail("cannot create " + o->out + ": " + ec.message());
    workload::Options wo;
    wo.seed = o->seed;
    wo.buyers = o->buyers ? o->buyers : std::max<size_t>(10, o->parcels / 5);
    workload::Workload w(wo);
    std::vector<workload::Parcel> parcels;
    parcels.reserve(o->parcels);
    for (size_t i = 0; i < o->parcels; ++i) parcels.push_back(w.Next());
    size_t files = 0, documents = 0;
    // Files are numbered in sending order: every order, payment and waybill,
    // then the lists, so a list finds its three documents already declared.
    for (MessageType t : {MessageType::kOrder, MessageType::kPayment, MessageType::kWaybill,
                          MessageType::kInventoryList}) {
      for (const Message& m : workload::Workload::Messages(t, parcels, o->per_message, o->seed)) {
        std::string body =
            o->format == "json" ? ceb::EncodeMessageJson(m) : ceb::EncodeMessageXml(m);
        if (o->dxp && o->format == "xml") {
          body = ceb::WrapInDxp(body, m.guid, "DXPENT" + m.transfer.copCode.substr(0, 10),
                                "DXPEDCCEB0000002", RootElementName(m.type));
        }
        char name[64];
        std::snprintf(name, sizeof name, "%06zu-%s.%s", ++files, RootElementName(m.type).c_str(),
                      o->format.c_str());
        const std::filesystem::path path = out / name;
        std::ofstream file(path, std::ios::binary);
        file << body;
        file.close();
        if (!file) return fail("cannot write " + path.string());
        documents += m.BlockCount();
      }
    }
    std::printf("wrote %zu messages (%zu documents, %zu parcels, %zu buyers) to %s\n", files,
                documents, o->parcels, wo.buyers, o->out.c_str());
    return 0;
  };
}

}  // namespace ftz::cli
