// Draws Frames with SDL2's software renderer and SDL2_ttf (DejaVu Sans, the fonts the receipts
// use). Two kinds of target:
//   window()    a window on whatever video driver SDL picks (KMSDRM on the box, X11 or Wayland
//               on a desktop), full screen on the box;
//   offscreen() an SDL surface only, no video driver at all: tests, screenshots, headless runs.
// Both draw the same pixels (the software renderer), so a screenshot is what the box shows.
//
// Contract: create, draw and read on one thread (SDL's rule for renderers). The TextMeasure it
// hands out measures with the very fonts it draws with.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/error.hpp"
#include "ui/frame.hpp"
#include "ui/text_measure.hpp"

namespace civicbox::ui {

struct WindowOptions {
  std::string title = "civicbox";
  bool fullscreen = false;  // the box: full screen on its one display
  // A desktop window scaled down to fit the monitor (1080×1920 is taller than most): the drawing
  // still happens at `size`, only the window shows it smaller.
  double scale = 1.0;
};

class Renderer {
 public:
  // Errors: not_found (a font file missing in fonts_dir), io (SDL could not start or make the
  // window, e.g. no display).
  static Expected<std::unique_ptr<Renderer>> offscreen(Size size,
                                                       const std::filesystem::path& fonts_dir);
  static Expected<std::unique_ptr<Renderer>> window(Size size,
                                                    const std::filesystem::path& fonts_dir,
                                                    const WindowOptions& options);
  ~Renderer();
  Renderer(const Renderer&) = delete;
  Renderer& operator=(const Renderer&) = delete;

  [[nodiscard]] Size size() const;
  TextMeasure& measure();
  // Draws the whole frame (and presents it, in a window).
  Expected<void> draw(const Frame& frame);
  // The pixel last drawn at (x, y), for tests (contrast measured on the real pixels).
  [[nodiscard]] Color pixel(int x, int y) const;
  // Writes what was last drawn as an 8-bit RGB PNG (atomically: a temporary file, then rename).
  // A window scaled by WindowOptions::scale is saved at the window's size.
  Expected<void> save_png(const std::filesystem::path& file) const;
  // Maps a window coordinate (mouse) or a normalised touch (0..1) to frame pixels. Give them the
  // x, y of SDL's mouse and finger events: SDL has already mapped those into the frame (the
  // window's logical size, without any black bars), so these scale and clamp.
  [[nodiscard]] std::pair<int, int> from_window(int x, int y) const;
  [[nodiscard]] std::pair<int, int> from_touch(float x, float y) const;

 private:
  struct Impl;
  explicit Renderer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace civicbox::ui
