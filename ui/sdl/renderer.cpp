#include "ui/sdl/renderer.hpp"

#include <SDL2/SDL.h>
#include <png.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <list>
#include <map>
#include <numbers>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "common/atomic_file.hpp"
#include "ui/sdl/ttf_measure.hpp"

namespace civicbox::ui {

namespace {

constexpr int kCornerRadius = 16;
constexpr int kBorder = 3;
constexpr int kDash = 18;
constexpr int kDashGap = 12;
constexpr int kDashInset = 8;  // from the box's edge: inside the border, outside the padding
constexpr int kCountdownRing = 8;
constexpr int kLabelMargin = 12;  // fill around the QR hint's words

// Text drawn once and kept: most frames repeat the previous one's words.
constexpr std::size_t kMaxTexts = 512;
constexpr std::size_t kMaxTextBytes = 48u << 20;
constexpr std::size_t kMaxShapes = 128;

std::uint32_t packed(Color c) {
  return (std::uint32_t{c.r} << 16) | (std::uint32_t{c.g} << 8) | c.b;
}

Error sdl_error(const std::string& what) {
  return make_error(ErrorCode::io, what + ": " + SDL_GetError());
}

Rect inset(Rect r, int by) {
  return Rect{r.x + by, r.y + by, r.w - 2 * by, r.h - 2 * by};
}

SDL_Rect to_sdl(Rect r) {
  return SDL_Rect{r.x, r.y, r.w, r.h};
}

// One drawn line of text, as a texture, least recently used first out.
class TextCache {
 public:
  struct Drawn {
    SDL_Texture* texture = nullptr;
    int w = 0;
    int h = 0;
  };

  TextCache() = default;
  TextCache(const TextCache&) = delete;
  TextCache& operator=(const TextCache&) = delete;
  ~TextCache() { clear(); }

  void clear() {
    for (Entry& e : order_) SDL_DestroyTexture(e.drawn.texture);
    index_.clear();
    order_.clear();
    bytes_ = 0;
  }

  // The line drawn in this font and colour; makes it the first time (no allocation on a hit).
  Expected<Drawn> get(SDL_Renderer* sdl, TtfMeasure& fonts, std::string_view text, int size,
                      bool bold, Color color) {
    const KeyView wanted{text, size, bold, packed(color)};
    if (const auto found = index_.find(wanted); found != index_.end()) {
      order_.splice(order_.begin(), order_, found->second);
      return found->second->drawn;
    }
    SDL_Surface* surface = fonts.draw(text, size, bold, color);
    if (surface == nullptr) {
      return make_error(ErrorCode::io,
                        "drawing the text \"" + std::string(text) + "\": " + SDL_GetError());
    }
    SDL_Texture* texture = SDL_CreateTextureFromSurface(sdl, surface);
    const Drawn drawn{texture, surface->w, surface->h};
    SDL_FreeSurface(surface);
    if (texture == nullptr) return sdl_error("keeping drawn text");
    SDL_SetTextureBlendMode(texture, SDL_BLENDMODE_BLEND);
    SDL_SetTextureScaleMode(texture, SDL_ScaleModeLinear);
    order_.push_front(Entry{std::string(text), size, bold, packed(color), drawn});
    const Entry& e = order_.front();
    index_.emplace(KeyView{e.text, e.size, e.bold, e.color}, order_.begin());
    bytes_ += bytes(drawn);
    while (order_.size() > 1 && (order_.size() > kMaxTexts || bytes_ > kMaxTextBytes)) {
      Entry& last = order_.back();
      index_.erase(KeyView{last.text, last.size, last.bold, last.color});
      bytes_ -= bytes(last.drawn);
      SDL_DestroyTexture(last.drawn.texture);
      order_.pop_back();
    }
    return drawn;
  }

 private:
  struct Entry {
    std::string text;
    int size;
    bool bold;
    std::uint32_t color;
    Drawn drawn;
  };
  // Points into an Entry's text (list nodes never move) or, for a lookup, into the caller's.
  struct KeyView {
    std::string_view text;
    int size;
    bool bold;
    std::uint32_t color;
    friend bool operator==(const KeyView&, const KeyView&) = default;
  };
  struct Hash {
    std::size_t operator()(const KeyView& k) const {
      std::size_t h = std::hash<std::string_view>{}(k.text);
      h ^= (std::size_t{k.color} << 9 | static_cast<std::size_t>(k.size) << 1 | k.bold) +
           0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
      return h;
    }
  };
  static std::size_t bytes(const Drawn& d) { return static_cast<std::size_t>(d.w) * d.h * 4; }

  std::list<Entry> order_;
  std::unordered_map<KeyView, std::list<Entry>::iterator, Hash> index_;
  std::size_t bytes_ = 0;
};

// Anti-aliased shapes (a disc for rounded corners and the countdown's circle, the arrow's head)
// as small textures in one colour, made once: the software renderer draws no smooth edges itself.
enum class Shape { disc, arrow_head };

class ShapeCache {
 public:
  ShapeCache() = default;
  ShapeCache(const ShapeCache&) = delete;
  ShapeCache& operator=(const ShapeCache&) = delete;
  ~ShapeCache() { clear(); }

  void clear() {
    for (auto& [key, texture] : shapes_) SDL_DestroyTexture(texture);
    shapes_.clear();
  }

  SDL_Texture* get(SDL_Renderer* sdl, Shape shape, int w, int h, Color color) {
    const Key key{shape, w, h, packed(color)};
    if (const auto found = shapes_.find(key); found != shapes_.end()) return found->second;
    if (shapes_.size() >= kMaxShapes) clear();
    SDL_Texture* texture = make(sdl, shape, w, h, color);
    if (texture != nullptr) shapes_.emplace(key, texture);
    return texture;
  }

 private:
  using Key = std::tuple<Shape, int, int, std::uint32_t>;

  static bool inside(Shape shape, int w, int h, double x, double y) {
    if (shape == Shape::disc) {
      const double rx = w / 2.0;
      const double ry = h / 2.0;
      const double dx = (x - rx) / rx;
      const double dy = (y - ry) / ry;
      return dx * dx + dy * dy <= 1.0;
    }
    // The arrow's head: a triangle pointing up, its tip at the top middle.
    const double half = w / 2.0 * (y / h);
    return std::abs(x - w / 2.0) <= half;
  }

  static SDL_Texture* make(SDL_Renderer* sdl, Shape shape, int w, int h, Color color) {
    SDL_Surface* surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (surface == nullptr) return nullptr;
    constexpr int kSamples = 4;  // 4×4 samples per pixel: smooth edges
    const std::uint32_t rgb = packed(color);
    for (int y = 0; y < h; ++y) {
      auto* row = reinterpret_cast<std::uint32_t*>(static_cast<std::uint8_t*>(surface->pixels) +
                                                   static_cast<std::ptrdiff_t>(y) * surface->pitch);
      for (int x = 0; x < w; ++x) {
        int covered = 0;
        for (int sy = 0; sy < kSamples; ++sy) {
          for (int sx = 0; sx < kSamples; ++sx) {
            covered += inside(shape, w, h, x + (sx + 0.5) / kSamples, y + (sy + 0.5) / kSamples);
          }
        }
        const auto alpha = static_cast<std::uint32_t>(covered * 255 / (kSamples * kSamples));
        row[x] = (alpha << 24) | rgb;
      }
    }
    SDL_Texture* texture = SDL_CreateTextureFromSurface(sdl, surface);
    SDL_FreeSurface(surface);
    if (texture != nullptr) {
      SDL_SetTextureBlendMode(texture, SDL_BLENDMODE_BLEND);
      SDL_SetTextureScaleMode(texture, SDL_ScaleModeLinear);
    }
    return texture;
  }

  std::map<Key, SDL_Texture*> shapes_;
};

}  // namespace

struct Renderer::Impl {
  Size size;
  std::unique_ptr<TtfMeasure> fonts;
  SDL_Window* window = nullptr;
  SDL_Surface* target = nullptr;  // offscreen: what is drawn on
  SDL_Renderer* sdl = nullptr;
  bool video_started = false;
  TextCache texts;
  ShapeCache shapes;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    texts.clear();
    shapes.clear();
    if (sdl != nullptr) SDL_DestroyRenderer(sdl);
    if (target != nullptr) SDL_FreeSurface(target);
    if (window != nullptr) SDL_DestroyWindow(window);
    if (video_started) SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }

  // --- primitives ----------------------------------------------------------------------------

  void color(Color c) { SDL_SetRenderDrawColor(sdl, c.r, c.g, c.b, 255); }

  void fill(Rect r, Color c) {
    if (r.w <= 0 || r.h <= 0) return;
    color(c);
    const SDL_Rect rect = to_sdl(r);
    SDL_RenderFillRect(sdl, &rect);
  }

  void fill_rounded(Rect r, int radius, Color c) {
    radius = std::min({radius, r.w / 2, r.h / 2});
    if (r.w <= 0 || r.h <= 0) return;
    if (radius <= 0) return fill(r, c);
    color(c);
    const std::array<SDL_Rect, 3> body{
        SDL_Rect{r.x + radius, r.y, r.w - 2 * radius, r.h},
        SDL_Rect{r.x, r.y + radius, radius, r.h - 2 * radius},
        SDL_Rect{r.x + r.w - radius, r.y + radius, radius, r.h - 2 * radius},
    };
    SDL_RenderFillRects(sdl, body.data(), static_cast<int>(body.size()));
    SDL_Texture* disc = shapes.get(sdl, Shape::disc, 2 * radius, 2 * radius, c);
    if (disc == nullptr) return;
    for (const int qy : {0, 1}) {
      for (const int qx : {0, 1}) {
        const SDL_Rect from{qx * radius, qy * radius, radius, radius};
        const SDL_Rect to{qx != 0 ? r.x + r.w - radius : r.x, qy != 0 ? r.y + r.h - radius : r.y,
                          radius, radius};
        SDL_RenderCopy(sdl, disc, &from, &to);
      }
    }
  }

  void disc(int cx, int cy, int diameter, Color c) {
    if (diameter <= 0) return;
    SDL_Texture* texture = shapes.get(sdl, Shape::disc, diameter, diameter, c);
    if (texture == nullptr) return;
    const SDL_Rect to{cx - diameter / 2, cy - diameter / 2, diameter, diameter};
    SDL_RenderCopy(sdl, texture, nullptr, &to);
  }

  // A dashed line around the inside of a box: "not available", in a shape and not only a colour.
  void dashes(Rect box, Color c) {
    const Rect r = inset(box, kDashInset);
    const int skip = kCornerRadius / 2;  // off the rounded corners
    if (r.w <= 2 * skip + kDash || r.h <= 2 * skip + kDash) return;
    color(c);
    const int pitch = kDash + kDashGap;
    for (int x = r.x + skip; x < r.x + r.w - skip; x += pitch) {
      const int len = std::min(kDash, r.x + r.w - skip - x);
      const std::array<SDL_Rect, 2> pair{SDL_Rect{x, r.y, len, kBorder},
                                         SDL_Rect{x, r.y + r.h - kBorder, len, kBorder}};
      SDL_RenderFillRects(sdl, pair.data(), 2);
    }
    for (int y = r.y + skip; y < r.y + r.h - skip; y += pitch) {
      const int len = std::min(kDash, r.y + r.h - skip - y);
      const std::array<SDL_Rect, 2> pair{SDL_Rect{r.x, y, kBorder, len},
                                         SDL_Rect{r.x + r.w - kBorder, y, kBorder, len}};
      SDL_RenderFillRects(sdl, pair.data(), 2);
    }
  }

  // --- widgets -------------------------------------------------------------------------------

  // The box with its fill and border, rounded. Nothing when both are the background.
  void surface_of(const Widget& w, Color background) {
    const Ink& ink = w.ink;
    if (w.role == WidgetRole::panel) {
      fill(w.box, ink.border != ink.fill ? ink.border : ink.fill);
      if (ink.border != ink.fill) fill(inset(w.box, kBorder), ink.fill);
      return;
    }
    if (ink.border != ink.fill) {
      fill_rounded(w.box, kCornerRadius, ink.border);
      fill_rounded(inset(w.box, kBorder), kCornerRadius - kBorder, ink.fill);
    } else if (ink.fill != background) {
      fill_rounded(w.box, kCornerRadius, ink.fill);
    }
  }

  // Where to hold the code: a square target with corner marks, centred in the box like the words
  // in it, that breathes slowly so the eye finds it; above it an arrow up toward the camera
  // (which sits above the screen).
  void qr_target(const Widget& w, int phase) {
    const Rect inner = inset(w.box, w.padding);
    if (inner.w <= 0 || inner.h <= 0) return;
    const Color c = w.ink.text;
    const int largest = std::min(inner.w, inner.h * 16 / 25);
    const double pulse = 0.94 + 0.06 * std::sin(2.0 * std::numbers::pi * phase / 1000.0);
    const int side = static_cast<int>(largest * pulse);
    const int cx = w.box.x + w.box.w / 2;
    const int cy = w.box.y + w.box.h / 2;
    if (side <= 0) return;
    const Rect square{cx - side / 2, cy - side / 2, side, side};
    fill(Rect{square.x, square.y, side, kBorder}, c);
    fill(Rect{square.x, square.y + side - kBorder, side, kBorder}, c);
    fill(Rect{square.x, square.y, kBorder, side}, c);
    fill(Rect{square.x + side - kBorder, square.y, kBorder, side}, c);
    const int mark = std::max(6, largest / 22);
    const int arm = largest / 4;
    for (const int right : {0, 1}) {
      for (const int bottom : {0, 1}) {
        const int x = right != 0 ? square.x + side - arm : square.x;
        const int y = bottom != 0 ? square.y + side - mark : square.y;
        fill(Rect{x, y, arm, mark}, c);
        const int vx = right != 0 ? square.x + side - mark : square.x;
        const int vy = bottom != 0 ? square.y + side - arm : square.y;
        fill(Rect{vx, vy, mark, arm}, c);
      }
    }
    // The arrow, in the room left above the largest square (so the pulse never touches it).
    const int room = cy - largest / 2 - inner.y;
    const int arrow_h = std::min(room * 5 / 6, 160);
    if (arrow_h < 12) return;
    const int top = inner.y + (room - arrow_h) / 2;
    const int head_h = arrow_h * 11 / 20;
    const int head_w = arrow_h * 9 / 10;
    if (SDL_Texture* head = shapes.get(sdl, Shape::arrow_head, head_w, head_h, c)) {
      const SDL_Rect to{cx - head_w / 2, top, head_w, head_h};
      SDL_RenderCopy(sdl, head, nullptr, &to);
    }
    const int shaft_w = std::max(4, arrow_h / 4);
    fill(Rect{cx - shaft_w / 2, top + head_h - 1, shaft_w, arrow_h - head_h + 1}, c);
  }

  // The idle countdown's number sits in a ring.
  void countdown_ring(const Widget& w) {
    const Rect inner = inset(w.box, w.padding / 2);
    const int diameter = std::min(inner.w, inner.h);
    const int cx = w.box.x + w.box.w / 2;
    const int cy = w.box.y + w.box.h / 2;
    const Color ring = w.ink.border != w.ink.fill ? w.ink.border : w.ink.text;
    disc(cx, cy, diameter, ring);
    disc(cx, cy, diameter - 2 * kCountdownRing, w.ink.fill);
  }

  Expected<void> words(const Widget& w) {
    if (w.lines.empty()) return {};
    const int pitch = fonts->line_height(w.pixel_size, w.bold);
    const int block = pitch * static_cast<int>(w.lines.size());
    int y = w.box.y + w.padding + (w.box.h - 2 * w.padding - block) / 2;
    const SDL_Rect clip = to_sdl(w.box);
    SDL_RenderSetClipRect(sdl, &clip);
    for (const std::string& line : w.lines) {
      if (!line.empty()) {
        auto drawn = texts.get(sdl, *fonts, line, w.pixel_size, w.bold, w.ink.text);
        if (!drawn) {
          SDL_RenderSetClipRect(sdl, nullptr);
          return drawn.error();
        }
        const int x =
            w.align == Align::left ? w.box.x + w.padding : w.box.x + (w.box.w - drawn->w) / 2;
        // Over the QR target the words sit on a patch of their own fill, cut out of its lines.
        if (w.role == WidgetRole::qr_hint) {
          fill(Rect{x - kLabelMargin, y, drawn->w + 2 * kLabelMargin, pitch}, w.ink.fill);
        }
        const SDL_Rect to{x, y, drawn->w, drawn->h};
        SDL_RenderCopy(sdl, drawn->texture, nullptr, &to);
      }
      y += pitch;
    }
    SDL_RenderSetClipRect(sdl, nullptr);
    return {};
  }

  Expected<void> draw(const Frame& frame) {
    color(frame.background);
    SDL_RenderClear(sdl);
    for (const Widget& w : frame.widgets) {
      surface_of(w, frame.background);
      if (w.role == WidgetRole::qr_hint) qr_target(w, frame.animation_phase);
      if (w.role == WidgetRole::countdown) countdown_ring(w);
      if (w.disabled) dashes(w.box, w.ink.text);
      CIVICBOX_CHECK(words(w));
    }
    if (window != nullptr) {
      SDL_RenderPresent(sdl);
    } else {
      SDL_RenderFlush(sdl);
    }
    return {};
  }

  // --- reading back --------------------------------------------------------------------------

  // Where frame pixel (x, y) is on the window's surface (the logical size may scale it).
  SDL_Rect window_pixel(int x, int y) const {
    int wx = 0;
    int wy = 0;
    SDL_RenderLogicalToWindow(sdl, static_cast<float>(x) + 0.5f, static_cast<float>(y) + 0.5f, &wx,
                              &wy);
    return SDL_Rect{wx, wy, 1, 1};
  }

  // What was drawn, 3 bytes a pixel (R, G, B), and its size.
  Expected<std::vector<std::uint8_t>> rgb(int& w, int& h) const {
    std::vector<std::uint8_t> out;
    if (target != nullptr) {
      w = target->w;
      h = target->h;
      out.resize(static_cast<std::size_t>(w) * h * 3);
      if (SDL_ConvertPixels(w, h, target->format->format, target->pixels, target->pitch,
                            SDL_PIXELFORMAT_RGB24, out.data(), w * 3) != 0) {
        return sdl_error("reading what was drawn");
      }
      return out;
    }
    // The frame's corners on the window (the logical size may scale it and add bars).
    int left = 0;
    int top = 0;
    int right = 0;
    int bottom = 0;
    SDL_RenderLogicalToWindow(sdl, 0, 0, &left, &top);
    SDL_RenderLogicalToWindow(sdl, static_cast<float>(size.width), static_cast<float>(size.height),
                              &right, &bottom);
    const SDL_Rect area{left, top, right - left, bottom - top};
    w = area.w;
    h = area.h;
    out.resize(static_cast<std::size_t>(w) * h * 3);
    if (SDL_RenderReadPixels(sdl, &area, SDL_PIXELFORMAT_RGB24, out.data(), w * 3) != 0) {
      return sdl_error("reading the window");
    }
    return out;
  }
};

Renderer::Renderer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Renderer::~Renderer() = default;

Expected<std::unique_ptr<Renderer>> Renderer::offscreen(Size size,
                                                        const std::filesystem::path& fonts_dir) {
  if (size.width <= 0 || size.height <= 0) {
    return make_error(ErrorCode::invalid_argument, "a screen of no size");
  }
  auto impl = std::make_unique<Impl>();
  impl->size = size;
  CIVICBOX_TRY(impl->fonts, TtfMeasure::open(fonts_dir));
  // No SDL_Init: a surface and the software renderer need no video driver.
  impl->target =
      SDL_CreateRGBSurfaceWithFormat(0, size.width, size.height, 32, SDL_PIXELFORMAT_RGB888);
  if (impl->target == nullptr) return sdl_error("making an offscreen screen");
  impl->sdl = SDL_CreateSoftwareRenderer(impl->target);
  if (impl->sdl == nullptr) return sdl_error("starting the software renderer");
  return std::unique_ptr<Renderer>(new Renderer(std::move(impl)));
}

Expected<std::unique_ptr<Renderer>> Renderer::window(Size size,
                                                     const std::filesystem::path& fonts_dir,
                                                     const WindowOptions& options) {
  if (size.width <= 0 || size.height <= 0 || !(options.scale > 0)) {
    return make_error(ErrorCode::invalid_argument, "a screen of no size");
  }
  auto impl = std::make_unique<Impl>();
  impl->size = size;
  CIVICBOX_TRY(impl->fonts, TtfMeasure::open(fonts_dir));
  auto no_display = [](const char* what) {
    return make_error(ErrorCode::io,
                      std::string("no display for the UI: ") + what + ": " + SDL_GetError() +
                          "; run with SDL_VIDEODRIVER=offscreen (or dummy) where there is no "
                          "screen, or use the offscreen renderer");
  };
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) return no_display("starting SDL video");
  impl->video_started = true;
  const int w = std::max(1, static_cast<int>(std::lround(size.width * options.scale)));
  const int h = std::max(1, static_cast<int>(std::lround(size.height * options.scale)));
  const Uint32 flags = options.fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0;
  impl->window = SDL_CreateWindow(options.title.c_str(), SDL_WINDOWPOS_CENTERED,
                                  SDL_WINDOWPOS_CENTERED, w, h, flags);
  if (impl->window == nullptr) return no_display("making the window");
  impl->sdl = SDL_CreateRenderer(impl->window, -1, SDL_RENDERER_SOFTWARE);
  if (impl->sdl == nullptr) return no_display("starting the software renderer for the window");
  if (SDL_RenderSetLogicalSize(impl->sdl, size.width, size.height) != 0) {
    return sdl_error("scaling the window");
  }
  // On the box the finger is the pointer: no arrow on the screen.
  if (options.fullscreen) SDL_ShowCursor(SDL_DISABLE);
  return std::unique_ptr<Renderer>(new Renderer(std::move(impl)));
}

Size Renderer::size() const {
  return impl_->size;
}

TextMeasure& Renderer::measure() {
  return *impl_->fonts;
}

Expected<void> Renderer::draw(const Frame& frame) {
  if (frame.size != impl_->size) {
    return make_error(ErrorCode::invalid_argument,
                      "a frame laid out for " + std::to_string(frame.size.width) + "x" +
                          std::to_string(frame.size.height) + " on a " +
                          std::to_string(impl_->size.width) + "x" +
                          std::to_string(impl_->size.height) + " screen");
  }
  return impl_->draw(frame);
}

Color Renderer::pixel(int x, int y) const {
  if (x < 0 || y < 0 || x >= impl_->size.width || y >= impl_->size.height) return {};
  std::uint8_t r = 0;
  std::uint8_t g = 0;
  std::uint8_t b = 0;
  if (SDL_Surface* s = impl_->target) {
    const auto* row =
        static_cast<const std::uint8_t*>(s->pixels) + static_cast<std::ptrdiff_t>(y) * s->pitch;
    std::uint32_t value = 0;
    std::memcpy(&value, row + static_cast<std::ptrdiff_t>(x) * 4, sizeof value);
    SDL_GetRGB(value, s->format, &r, &g, &b);
    return Color{r, g, b};
  }
  const SDL_Rect at = impl_->window_pixel(x, y);
  std::array<std::uint8_t, 3> rgb{};
  if (SDL_RenderReadPixels(impl_->sdl, &at, SDL_PIXELFORMAT_RGB24, rgb.data(), 3) != 0) return {};
  return Color{rgb[0], rgb[1], rgb[2]};
}

Expected<void> Renderer::save_png(const std::filesystem::path& file) const {
  int w = 0;
  int h = 0;
  CIVICBOX_TRY(const std::vector<std::uint8_t> pixels, impl_->rgb(w, h));
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(w);
  image.height = static_cast<png_uint_32>(h);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t bytes = 0;
  if (png_image_write_to_memory(&image, nullptr, &bytes, 0, pixels.data(), w * 3, nullptr) == 0) {
    return make_error(ErrorCode::io, "encoding " + file.string() + " as PNG: " + image.message);
  }
  std::string png(bytes, '\0');
  if (png_image_write_to_memory(&image, png.data(), &bytes, 0, pixels.data(), w * 3, nullptr) ==
      0) {
    return make_error(ErrorCode::io, "encoding " + file.string() + " as PNG: " + image.message);
  }
  png.resize(bytes);
  return write_file_atomically(file, png);
}

std::pair<int, int> Renderer::from_window(int x, int y) const {
  // SDL has already mapped a mouse event's position into the logical size (the frame) when the
  // renderer has one, as window() sets; offscreen there is no window to map from.
  return {std::clamp(x, 0, impl_->size.width - 1), std::clamp(y, 0, impl_->size.height - 1)};
}

std::pair<int, int> Renderer::from_touch(float x, float y) const {
  // SDL normalises a finger's position to the logical viewport (the frame, without the bars).
  const auto to = [](float t, int extent) {
    return std::clamp(static_cast<int>(std::floor(t * static_cast<float>(extent))), 0, extent - 1);
  };
  return {to(x, impl_->size.width), to(y, impl_->size.height)};
}

}  // namespace civicbox::ui
