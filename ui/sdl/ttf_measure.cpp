#include "ui/sdl/ttf_measure.hpp"

#include <SDL2/SDL.h>
#include <SDL2/SDL_ttf.h>

#include <algorithm>
#include <mutex>

#include "common/ttf_lock.hpp"

namespace civicbox::ui {

namespace {

constexpr int kMinPixelSize = 4;
constexpr int kMaxPixelSize = 400;
constexpr int kCheckSize = 44;             // open() reads both fonts once at the body size
constexpr int kNoBoxIsThisWide = 1 << 20;  // width() when a font cannot be opened

constexpr const char* kRegular = "DejaVuSans.ttf";
constexpr const char* kBold = "DejaVuSans-Bold.ttf";

Error ttf_error(const std::string& what) {
  return make_error(ErrorCode::io, what + ": " + TTF_GetError());
}

// The next code point of UTF-8 text; malformed bytes come out as U+FFFD one byte at a time.
char32_t next_code_point(std::string_view& s) {
  const auto lead = static_cast<unsigned char>(s[0]);
  int length = 1;
  char32_t c = lead;
  if (lead >= 0xF0 && lead < 0xF8) {
    length = 4;
    c = lead & 0x07;
  } else if (lead >= 0xE0) {
    length = 3;
    c = lead & 0x0F;
  } else if (lead >= 0xC0) {
    length = 2;
    c = lead & 0x1F;
  } else if (lead >= 0x80) {
    s.remove_prefix(1);
    return U'\uFFFD';
  }
  if (static_cast<int>(s.size()) < length) {
    s.remove_prefix(1);
    return U'\uFFFD';
  }
  for (int i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(s[i]);
    if ((next & 0xC0) != 0x80) {
      s.remove_prefix(1);
      return U'\uFFFD';
    }
    c = (c << 6) | (next & 0x3F);
  }
  s.remove_prefix(length);
  return c;
}

}  // namespace

TtfMeasure::TtfMeasure(std::filesystem::path fonts_dir) : dir_(std::move(fonts_dir)) {}

TtfMeasure::~TtfMeasure() {
  std::lock_guard lock(sdl_ttf_mutex());
  for (auto& [key, ttf] : fonts_) TTF_CloseFont(ttf);
  fonts_.clear();
  if (ttf_started_) TTF_Quit();
}

Expected<std::unique_ptr<TtfMeasure>> TtfMeasure::open(const std::filesystem::path& fonts_dir) {
  for (const char* name : {kRegular, kBold}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(fonts_dir / name, ec)) {
      return make_error(ErrorCode::not_found, "no font " + (fonts_dir / name).string());
    }
  }
  std::unique_ptr<TtfMeasure> measure(new TtfMeasure(fonts_dir));
  std::lock_guard lock(sdl_ttf_mutex());
  if (TTF_Init() != 0) return ttf_error("starting SDL_ttf");
  measure->ttf_started_ = true;
  for (const bool bold : {false, true}) {
    if (measure->font(kCheckSize, bold) == nullptr) {
      return ttf_error("reading " + (fonts_dir / (bold ? kBold : kRegular)).string());
    }
  }
  return measure;
}

_TTF_Font* TtfMeasure::font(int pixel_size, bool bold) {
  const int size = std::clamp(pixel_size, kMinPixelSize, kMaxPixelSize);
  const auto key = std::make_pair(size, bold);
  if (const auto found = fonts_.find(key); found != fonts_.end()) return found->second;
  const auto path = dir_ / (bold ? kBold : kRegular);
  TTF_Font* ttf = TTF_OpenFont(path.c_str(), size);
  if (ttf == nullptr) return nullptr;
  TTF_SetFontHinting(ttf, TTF_HINTING_LIGHT);
  fonts_.emplace(key, ttf);
  return ttf;
}

int TtfMeasure::width(std::string_view utf8, int pixel_size, bool bold) {
  if (utf8.empty()) return 0;
  std::lock_guard lock(sdl_ttf_mutex());
  TTF_Font* ttf = font(pixel_size, bold);
  if (ttf == nullptr) return kNoBoxIsThisWide;
  scratch_.assign(utf8);
  int w = 0;
  int h = 0;
  if (TTF_SizeUTF8(ttf, scratch_.c_str(), &w, &h) != 0) return kNoBoxIsThisWide;
  return w;
}

int TtfMeasure::line_height(int pixel_size, bool bold) {
  std::lock_guard lock(sdl_ttf_mutex());
  TTF_Font* ttf = font(pixel_size, bold);
  if (ttf == nullptr) return std::clamp(pixel_size, kMinPixelSize, kMaxPixelSize);
  return TTF_FontHeight(ttf);
}

std::u32string TtfMeasure::missing_glyphs(std::string_view utf8, bool bold) {
  std::u32string missing;
  std::lock_guard lock(sdl_ttf_mutex());
  TTF_Font* ttf = font(kCheckSize, bold);
  while (!utf8.empty()) {
    const char32_t c = next_code_point(utf8);
    if (ttf == nullptr || TTF_GlyphIsProvided32(ttf, static_cast<Uint32>(c)) == 0) {
      missing.push_back(c);
    }
  }
  return missing;
}

SDL_Surface* TtfMeasure::draw(std::string_view utf8, int pixel_size, bool bold, Color color) {
  if (utf8.empty()) return nullptr;
  std::lock_guard lock(sdl_ttf_mutex());
  TTF_Font* ttf = font(pixel_size, bold);
  if (ttf == nullptr) return nullptr;
  scratch_.assign(utf8);
  const SDL_Color ink{color.r, color.g, color.b, 255};
  return TTF_RenderUTF8_Blended(ttf, scratch_.c_str(), ink);
}

}  // namespace civicbox::ui
