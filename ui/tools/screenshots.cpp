// civicbox-ui-screenshots: every screen in every language, both orientations, both themes and
// both text sizes, drawn offscreen to PNG files a person can look through (with an index.html),
// and any text that does not fit reported. scripts/screenshots runs it.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "ui/catalog.hpp"
#include "ui/layout.hpp"
#include "ui/samples.hpp"
#include "ui/sdl/renderer.hpp"

namespace {

using namespace civicbox::ui;

struct Variant {
  Size size;
  bool high_contrast;
  bool large_text;
  [[nodiscard]] std::string folder() const {
    return std::string(size.portrait() ? "portrait" : "landscape") +
           (high_contrast ? "-high-contrast" : "-normal") + (large_text ? "-large" : "");
  }
};

int run(const std::filesystem::path& out, const std::filesystem::path& fonts,
        const std::filesystem::path& lang_dir, const std::vector<std::string>& only_languages,
        bool quick) {
  auto catalogs = Catalogs::load(lang_dir);
  if (!catalogs) {
    std::cerr << catalogs.error().describe() << "\n";
    return 2;
  }
  std::vector<Variant> variants;
  for (Size size : {kPortrait, kLandscape}) {
    for (bool hc : {false, true}) {
      for (bool large : {false, true}) {
        if (quick && (hc || large) && !(hc && large)) continue;
        variants.push_back(Variant{size, hc, large});
      }
    }
  }
  std::ofstream index(out / "index.html");
  index << "<!doctype html><meta charset=utf-8><title>civicbox screens</title>"
           "<style>body{font-family:sans-serif}img{width:270px;margin:4px;border:1px solid #999}"
           "figure{display:inline-block;margin:4px}figcaption{font-size:12px}</style>\n";
  int problems = 0;
  int written = 0;
  for (const auto& variant : variants) {
    auto renderer = Renderer::offscreen(variant.size, fonts);
    if (!renderer) {
      std::cerr << renderer.error().describe() << "\n";
      return 2;
    }
    for (const auto& lang : languages()) {
      const std::string code(lang.code);
      if (!only_languages.empty() &&
          std::find(only_languages.begin(), only_languages.end(), code) == only_languages.end()) {
        continue;
      }
      const auto folder = out / code / variant.folder();
      std::filesystem::create_directories(folder);
      index << "<h2>" << lang.name << " — " << variant.folder() << "</h2>\n";
      for (const auto& sample : sample_views(code, variant.high_contrast, variant.large_text)) {
        const Frame frame =
            layout(sample.view, LayoutContext{*catalogs, (*renderer)->measure(), variant.size, 0});
        for (const auto& w : frame.widgets) {
          if (!w.overflow) continue;
          ++problems;
          std::cerr << code << "/" << variant.folder() << "/" << sample.name
                    << ": does not fit: " << (w.lines.empty() ? "" : w.lines.front()) << "\n";
        }
        if (auto drawn = (*renderer)->draw(frame); !drawn) {
          std::cerr << drawn.error().describe() << "\n";
          return 1;
        }
        const auto file = folder / (sample.name + ".png");
        if (auto saved = (*renderer)->save_png(file); !saved) {
          std::cerr << saved.error().describe() << "\n";
          return 1;
        }
        ++written;
        const auto rel = std::filesystem::relative(file, out).string();
        index << "<figure><a href=\"" << rel << "\"><img src=\"" << rel << "\" loading=lazy></a>"
              << "<figcaption>" << sample.name << "</figcaption></figure>\n";
      }
    }
  }
  std::cout << written << " screens written to " << out.string() << " (open index.html)";
  if (problems) std::cout << "; " << problems << " texts do not fit";
  std::cout << "\n";
  return problems ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "civicbox-ui-screenshots: draws every screen of the touchscreen in every language, both "
      "orientations (1080x1920, 1920x1080), both themes and both text sizes to PNG files, with an "
      "index.html to look through them. Exits 1 when some text does not fit its box."};
  std::filesystem::path out = "screenshots";
  std::filesystem::path fonts = CIVICBOX_FONTS_DIR;
  std::filesystem::path lang_dir = CIVICBOX_UI_LANG_DIR;
  std::vector<std::string> only;
  bool quick = false;
  app.add_option("--out", out, "Folder for the PNG files");
  app.add_option("--fonts", fonts, "Folder with DejaVuSans.ttf and DejaVuSans-Bold.ttf");
  app.add_option("--lang-dir", lang_dir, "Folder with the catalogues (<code>.toml)");
  app.add_option("--language", only, "Only these languages (ro hu en ca es pt)");
  app.add_flag("--quick", quick, "Normal and high contrast with large text only");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(out);
  return run(out, fonts, lang_dir, only, quick);
}
