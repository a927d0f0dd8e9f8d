// Runs a fuzz target over the files of its corpus directories, for compilers
// without libFuzzer (envoy's test/fuzz pattern): CI replays every committed
// input, so a crash once found stays fixed. A folder named found-open holds
// crashes found and not fixed yet (README.md): it is skipped until the fix
// moves its files to found/.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  size_t n = 0;
  for (int i = 1; i < argc; ++i) {
    std::vector<std::filesystem::path> files;
    for (auto it = std::filesystem::recursive_directory_iterator(argv[i]);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
      if (it->is_directory() && it->path().filename() == "found-open") {
        it.disable_recursion_pending();
      } else if (it->is_regular_file()) {
        files.push_back(it->path());
      }
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++n;
    }
  }
  std::printf("replayed %zu inputs\n", n);
  return n > 0 ? 0 : 1;
}
