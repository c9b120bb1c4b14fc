// A stand-in for libFuzzer's driver, for compilers without -fsanitize=fuzzer (GCC): feeds every
// file named on the command line, or found under a named folder, to LLVMFuzzerTestOneInput once.
// A fuzz target's corpus thus runs as an ordinary test; a crash or abort fails it.
//
//   fuzz_wire_push tests/fuzz/corpus/fuzz_wire_push [more files or folders...]
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "cannot read %s\n", file.c_str());
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Copied to an exact-size heap buffer so a sanitizer sees any read past the end.
  std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s <file or folder>...\n", argv[0]);
    return 2;
  }
  std::size_t ran = 0;
  for (int i = 1; i < argc; ++i) {
    fs::path arg(argv[i]);
    std::error_code ec;
    if (fs::is_directory(arg, ec)) {
      std::vector<fs::path> files;
      for (const auto& entry : fs::recursive_directory_iterator(arg, ec)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
      if (ec) {
        std::fprintf(stderr, "cannot list %s: %s\n", arg.c_str(), ec.message().c_str());
        return 1;
      }
      std::sort(files.begin(), files.end());  // the same order on every run
      for (const auto& file : files) {
        if (!run_file(file)) return 1;
        ++ran;
      }
    } else if (fs::is_regular_file(arg, ec)) {
      if (!run_file(arg)) return 1;
      ++ran;
    } else {
      std::fprintf(stderr, "no such file or folder: %s\n", arg.c_str());
      return 1;
    }
  }
  std::printf("%s: ran %zu inputs\n", argv[0], ran);
  // An empty corpus tests nothing: say so rather than pass.
  return ran > 0 ? 0 : 1;
}
