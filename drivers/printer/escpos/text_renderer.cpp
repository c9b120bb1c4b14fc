#include "drivers/printer/escpos/text_renderer.hpp"

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>

#include <mutex>

#include "common/ttf_lock.hpp"
#include "drivers/printer/escpos/code_page.hpp"

namespace civicbox::escpos {

namespace {

constexpr int kMinPixelSize = 4;
constexpr int kMaxPixelSize = 400;

Error ttf_error(const std::string& what) {
  return make_error(ErrorCode::io, what + ": " + TTF_GetError());
}

}  // namespace

struct TextRenderer::Font {
  TTF_Font* ttf = nullptr;
  ~Font() {
    if (ttf != nullptr) TTF_CloseFont(ttf);
  }
};

TextRenderer::TextRenderer(std::filesystem::path fonts_dir) : dir_(std::move(fonts_dir)) {}

TextRenderer::~TextRenderer() {
  std::lock_guard lock(sdl_ttf_mutex());
  fonts_.clear();
  if (ttf_started_) TTF_Quit();
}

Expected<std::unique_ptr<TextRenderer>> TextRenderer::open(const std::filesystem::path& dir) {
  for (const char* name : {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf"}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(dir / name, ec)) {
      return make_error(ErrorCode::not_found, "no font " + (dir / name).string());
    }
  }
  std::unique_ptr<TextRenderer> r(new TextRenderer(dir));
  std::lock_guard lock(sdl_ttf_mutex());
  if (TTF_Init() != 0) return ttf_error("starting SDL_ttf");
  r->ttf_started_ = true;
  return r;
}

Expected<TextRenderer::Font*> TextRenderer::font(const TextStyle& style) {
  const int size = std::clamp(style.pixel_size, kMinPixelSize, kMaxPixelSize);
  auto& slot = fonts_[{size, style.bold}];
  if (!slot) {
    const auto path = dir_ / (style.bold ? "DejaVuSans-Bold.ttf" : "DejaVuSans.ttf");
    auto f = std::make_unique<Font>();
    f->ttf = TTF_OpenFont(path.c_str(), size);
    if (f->ttf == nullptr) {
      fonts_.erase({size, style.bold});
      return ttf_error("opening " + path.string());
    }
    TTF_SetFontHinting(f->ttf, TTF_HINTING_NORMAL);
    slot = std::move(f);
  }
  TTF_SetFontStyle(slot->ttf, style.underline ? TTF_STYLE_UNDERLINE : TTF_STYLE_NORMAL);
  return slot.get();
}

Expected<int> TextRenderer::line_height(const TextStyle& style) {
  std::lock_guard lock(sdl_ttf_mutex());
  CIVICBOX_TRY(Font * f, font(style));
  return TTF_FontHeight(f->ttf);
}

Expected<int> TextRenderer::measure(std::string_view utf8, const TextStyle& style) {
  std::lock_guard lock(sdl_ttf_mutex());
  CIVICBOX_TRY(Font * f, font(style));
  if (utf8.empty()) return 0;
  int w = 0;
  int h = 0;
  const std::string text(utf8);
  if (TTF_SizeUTF8(f->ttf, text.c_str(), &w, &h) != 0) return ttf_error("measuring text");
  return w;
}

Expected<Bitmap> TextRenderer::render(std::string_view utf8, const TextStyle& style) {
  std::lock_guard lock(sdl_ttf_mutex());
  CIVICBOX_TRY(Font * f, font(style));
  const int height = TTF_FontHeight(f->ttf);
  if (utf8.empty()) return Bitmap::blank(0, height);
  const std::string text(utf8);
  const SDL_Color black{0, 0, 0, 255};
  SDL_Surface* rendered = TTF_RenderUTF8_Blended(f->ttf, text.c_str(), black);
  if (rendered == nullptr) return ttf_error("drawing text");
  SDL_Surface* argb = SDL_ConvertSurfaceFormat(rendered, SDL_PIXELFORMAT_ARGB8888, 0);
  SDL_FreeSurface(rendered);
  if (argb == nullptr) return make_error(ErrorCode::io, std::string("SDL: ") + SDL_GetError());
  Bitmap out = Bitmap::blank(argb->w, std::max(argb->h, height));
  SDL_LockSurface(argb);
  for (int y = 0; y < argb->h; ++y) {
    const auto* row = reinterpret_cast<const std::uint32_t*>(
        static_cast<const std::uint8_t*>(argb->pixels) + y * argb->pitch);
    for (int x = 0; x < argb->w; ++x) {
      if ((row[x] >> 24) >= 128) out.set(x, y);  // alpha: how much of the dot the glyph covers
    }
  }
  SDL_UnlockSurface(argb);
  SDL_FreeSurface(argb);
  return out;
}

Expected<std::vector<std::string>> TextRenderer::wrap(std::string_view utf8, const TextStyle& style,
                                                      int width) {
  std::vector<std::string> lines;
  std::string line;
  auto fits = [&](const std::string& candidate) -> Expected<bool> {
    CIVICBOX_TRY(int w, measure(candidate, style));
    return w <= width;
  };
  std::size_t start = 0;
  while (start <= utf8.size()) {
    std::size_t end = utf8.find(' ', start);
    if (end == std::string_view::npos) end = utf8.size();
    const std::string word(utf8.substr(start, end - start));
    start = end + 1;
    if (word.empty()) {
      if (end == utf8.size()) break;
      continue;
    }
    const std::string joined = line.empty() ? word : line + " " + word;
    CIVICBOX_TRY(bool joined_fits, fits(joined));
    if (joined_fits) {
      line = joined;
      continue;
    }
    if (!line.empty()) lines.push_back(std::move(line));
    line.clear();
    CIVICBOX_TRY(bool word_fits, fits(word));
    if (word_fits) {
      line = word;
      continue;
    }
    // A word wider than the line: as many letters as fit, then the rest.
    for (char32_t c : utf8_to_code_points(word)) {
      const std::string more = line + code_points_to_utf8(std::u32string(1, c));
      CIVICBOX_TRY(bool more_fits, fits(more));
      if (!more_fits && !line.empty()) {
        lines.push_back(std::move(line));
        line = code_points_to_utf8(std::u32string(1, c));
      } else {
        line = more;
      }
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(std::move(line));
  return lines;
}

}  // namespace civicbox::escpos
