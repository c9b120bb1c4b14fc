// A screen composed by hand with one of everything the renderer draws (a title, words on the
// background, two big buttons, a success banner with ✓, a QR hint, the idle countdown, a warning,
// a disabled button, language buttons), so the renderer can be looked at and timed before the
// layout exists.
#pragma once

#include <string>
#include <vector>

#include "ui/frame.hpp"
#include "ui/theme.hpp"

namespace civicbox::testing {

inline ui::Widget sample_widget(ui::WidgetRole role, ui::Rect box, const ui::Ink& ink,
                                std::vector<std::string> lines, int pixel_size, bool bold,
                                std::string action = {}) {
  ui::Widget w;
  w.role = role;
  w.box = box;
  w.ink = ink;
  w.lines = std::move(lines);
  w.pixel_size = pixel_size;
  w.bold = bold;
  w.action = std::move(action);
  return w;
}

inline ui::Frame sample_frame(const ui::Theme& theme, int animation_phase = 0) {
  using ui::WidgetRole;
  const ui::TypeScale type = ui::type_scale(false);
  ui::Frame f;
  f.size = ui::kPortrait;
  f.background = theme.background;
  f.animation_phase = animation_phase;
  auto& w = f.widgets;
  w.push_back(sample_widget(WidgetRole::text, {60, 60, 960, 120}, theme.body,
                            {"Primăria Târgu Neamț"}, type.title, true));
  auto intro = sample_widget(WidgetRole::text, {60, 190, 960, 150}, theme.body,
                             {"Alegeți ce doriți să faceți.", "Atingeți unul dintre butoane."},
                             type.body, false);
  intro.align = ui::Align::left;
  w.push_back(intro);
  w.push_back(sample_widget(WidgetRole::button, {60, 370, 960, 200}, theme.primary,
                            {"Depuneți un document"}, type.button, true, "file"));
  w.push_back(sample_widget(WidgetRole::button, {60, 600, 960, 200}, theme.primary,
                            {"Ridicați un document"}, type.button, true, "collect"));
  w.push_back(sample_widget(WidgetRole::banner, {60, 830, 960, 180}, theme.success,
                            {"✓ Compartimentul 7 s-a deschis", "Puneți documentul înăuntru"},
                            type.body, true));
  w.push_back(sample_widget(WidgetRole::qr_hint, {60, 1040, 600, 540}, theme.secondary,
                            {"Țineți codul QR aici"}, type.small, true));
  w.push_back(sample_widget(WidgetRole::countdown, {700, 1040, 320, 320}, theme.overlay, {"12"},
                            type.huge, true, "stay"));
  w.push_back(sample_widget(WidgetRole::banner, {700, 1390, 320, 190}, theme.warning,
                            {"⚠ Imprimanta", "nu are hârtie"}, type.small, true));
  auto off =
      sample_widget(WidgetRole::button, {60, 1610, 960, 170}, theme.disabled,
                    {"✗ Depunere indisponibilă", "Nu există compartiment liber"}, 40, true, "file");
  off.disabled = true;
  w.push_back(off);
  w.push_back(sample_widget(WidgetRole::button, {60, 1800, 300, 100}, theme.selected, {"✓ Română"},
                            type.small, true, "lang:ro"));
  w.push_back(sample_widget(WidgetRole::button, {390, 1800, 300, 100}, theme.secondary, {"Magyar"},
                            type.small, true, "lang:hu"));
  w.push_back(sample_widget(WidgetRole::button, {720, 1800, 300, 100}, theme.secondary, {"English"},
                            type.small, true, "lang:en"));
  return f;
}

}  // namespace civicbox::testing
