#include "ui/layout.hpp"

#include <algorithm>
#include <cmath>

#include "ui/keyboard.hpp"

namespace civicbox::ui {
namespace {

constexpr int kGap = 16;
constexpr int kBarButton = 88;   // language and toggle buttons
constexpr int kNavButton = 112;  // back, next, home
constexpr int kKeyGap = 10;

// A text whose size may step down to fit: full size, then 90 %, then 80 % of the scale.
constexpr double kShrinkSteps[] = {1.0, 0.9, 0.8};

Ink on_background(const Theme& theme) {
  return theme.body;
}

Ink ink_for(const Theme& theme, Tone tone) {
  switch (tone) {
    case Tone::success:
      return theme.success;
    case Tone::failure:
      return theme.failure;
    case Tone::warning:
      return theme.warning;
    case Tone::info:
      break;
  }
  return theme.secondary;
}

// The symbol that says what a banner means without its colour.
std::string symbol_for(Tone tone) {
  switch (tone) {
    case Tone::success:
      return "✓ ";
    case Tone::failure:
      return "✗ ";
    case Tone::warning:
      return "⚠ ";
    case Tone::info:
      break;
  }
  return "";
}

// A widget with its role, ink and what touching it means; the caller places and fills it.
Widget make_widget(WidgetRole role, Ink ink, std::string action = {}, bool bold = false,
                   Align align = Align::center) {
  Widget w;
  w.role = role;
  w.ink = ink;
  w.action = std::move(action);
  w.bold = bold;
  w.align = align;
  return w;
}

// The same colours without a border: text drawn on a widget that already has one.
Ink borderless(Ink ink) {
  ink.border = ink.fill;
  return ink;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    std::size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) words.emplace_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

// Every size of a type scale times `factor` (a screen too full at its own sizes).
TypeScale squeezed(TypeScale t, double factor) {
  auto scale = [&](int px) { return static_cast<int>(std::lround(px * factor)); };
  return TypeScale{scale(t.title), scale(t.body), scale(t.button), scale(t.small), scale(t.huge)};
}

class Builder {
 public:
  Builder(const View& view, const LayoutContext& context, double squeeze)
      : view_(view),
        context_(context),
        theme_(view.high_contrast ? high_contrast_theme() : normal_theme()),
        type_(squeezed(type_scale(view.large_text), squeeze)) {
    frame_.size = context.size;
    frame_.background = theme_.background;
    frame_.animation_phase = context.animation_phase;
    args_ = view.args;
    for (const auto& [name, key] : view.arg_keys) args_[name] = t(key);
    if (view.idle_countdown_s) args_["seconds"] = std::to_string(*view.idle_countdown_s);
  }

  [[nodiscard]] const Theme& theme() const { return theme_; }
  [[nodiscard]] const TypeScale& type() const { return type_; }
  [[nodiscard]] const View& view() const { return view_; }
  [[nodiscard]] Size size() const { return context_.size; }
  [[nodiscard]] bool portrait() const { return context_.size.portrait(); }
  [[nodiscard]] int margin() const { return portrait() ? 32 : 40; }

  std::string t(std::string_view key) const {
    return context_.catalogs.text(view_.language, key, args_);
  }
  std::string t(std::string_view key, const std::map<std::string, std::string>& more) const {
    auto args = args_;
    for (const auto& [name, value] : more) args[name] = value;
    return context_.catalogs.text(view_.language, key, args);
  }
  std::string t(const Text& text, const std::map<std::string, std::string>& more = {}) const {
    if (!text.key.empty()) {
      auto args = args_;
      for (const auto& [name, value] : more) args[name] = value;
      if (const Catalog* c = context_.catalogs.find(view_.language); c && c->has(text.key)) {
        return c->text(text.key, args);
      }
      if (text.literal.empty()) return context_.catalogs.text(view_.language, text.key, args);
    }
    return text.literal;
  }

  // Breaks `text` into lines no wider than `width`. False when a word alone is wider.
  bool wrap(std::string_view text, int px, bool bold, int width, std::vector<std::string>& lines) {
    lines.clear();
    bool fits = true;
    std::string line;
    for (const auto& word : split_words(text)) {
      std::string candidate = line.empty() ? word : line + " " + word;
      if (context_.measure.width(candidate, px, bold) <= width) {
        line = std::move(candidate);
        continue;
      }
      if (!line.empty()) lines.push_back(line);
      line = word;
      if (context_.measure.width(word, px, bold) > width) fits = false;
    }
    if (!line.empty() || lines.empty()) lines.push_back(line);
    return fits;
  }

  // Breaks text between letters into lines no wider than `width`; keeps the last `max_lines`,
  // the first of them starting with "…" when something was left out.
  std::vector<std::string> wrap_letters(std::string_view text, int px, bool bold, int width,
                                        std::size_t max_lines) {
    std::vector<std::string> lines{""};
    for (const auto& letter : utf8_characters(text)) {
      if (!lines.back().empty() &&
          context_.measure.width(lines.back() + letter, px, bold) > width) {
        lines.emplace_back();
      }
      lines.back() += letter;
    }
    if (lines.size() <= max_lines) return lines;
    std::vector<std::string> tail(lines.end() - static_cast<std::ptrdiff_t>(max_lines),
                                  lines.end());
    auto first = utf8_characters(tail.front());
    std::string shown = "…";
    // Drop letters from the front until "…" fits.
    for (std::size_t skip = 1; skip <= first.size(); ++skip) {
      std::string rest;
      for (std::size_t i = skip; i < first.size(); ++i) rest += first[i];
      if (context_.measure.width("…" + rest, px, bold) <= width) {
        shown += rest;
        break;
      }
    }
    tail.front() = shown;
    return tail;
  }

  // The height a row of buttons needs so that each label fits at its width.
  int row_height(const std::vector<std::string>& labels, int width, int px, int min_height) {
    int height = min_height;
    for (const auto& label : labels) {
      Widget scratch;
      scratch.bold = true;
      height = std::max(height, fit(scratch, label, px, width, 0));
    }
    return height;
  }

  [[nodiscard]] int line_height(int px, bool bold) const {
    return context_.measure.line_height(px, bold);
  }

  // Fits `text` in a box `width` wide and at most `max_height` high (0: any height), stepping
  // the size down when it does not fit. Sets the widget's lines, size and overflow; returns the
  // height the text needs.
  int fit(Widget& w, std::string_view text, int px, int width, int max_height) {
    const int inner = width - 2 * w.padding;
    for (double step : kShrinkSteps) {
      const int size = static_cast<int>(std::lround(px * step));
      std::vector<std::string> lines;
      const bool fits_width = wrap(text, size, w.bold, inner, lines);
      const int height = static_cast<int>(lines.size()) * line_height(size, w.bold) + 2 * w.padding;
      w.lines = std::move(lines);
      w.pixel_size = size;
      if (fits_width && (max_height == 0 || height <= max_height)) return height;
    }
    // A word longer than a line even at the smallest size (a web address): broken between
    // letters rather than cut off.
    {
      std::vector<std::string> lines;
      for (const auto& line : w.lines) {
        if (context_.measure.width(line, w.pixel_size, w.bold) <= inner) {
          lines.push_back(line);
          continue;
        }
        for (auto& part : wrap_letters(line, w.pixel_size, w.bold, inner, 1000)) {
          lines.push_back(std::move(part));
        }
      }
      const int height =
          static_cast<int>(lines.size()) * line_height(w.pixel_size, w.bold) + 2 * w.padding;
      w.lines = std::move(lines);
      if (max_height == 0 || height <= max_height) return height;
    }
    w.overflow = true;
    return static_cast<int>(w.lines.size()) * line_height(w.pixel_size, w.bold) + 2 * w.padding;
  }

  // A widget in a fixed box.
  Widget& fixed(WidgetRole role, Rect box, std::string_view text, int px, bool bold, Ink ink,
                std::string action = {}, Align align = Align::center) {
    Widget w = make_widget(role, ink, std::move(action), bold, align);
    w.box = box;
    if (role == WidgetRole::key) w.padding = 8;
    fit(w, text, px, box.w, box.h);
    frame_.widgets.push_back(std::move(w));
    return frame_.widgets.back();
  }

  Frame take() { return std::move(frame_); }
  Frame& frame() { return frame_; }

 private:
  const View& view_;
  const LayoutContext& context_;
  const Theme& theme_;
  TypeScale type_;
  Frame frame_;
  std::map<std::string, std::string> args_;
};

// Places widgets top to bottom in a column; a widget that would pass `bottom` is marked overflow
// (the screen is too full: the tests fail on it).
class Column {
 public:
  Column(Builder& b, Rect area) : b_(b), area_(area), y_(area.y) {}

  Widget& text(std::string_view text, int px, bool bold = false, Align align = Align::center,
               std::optional<Ink> ink = std::nullopt) {
    return add(WidgetRole::text, text, px, bold, ink.value_or(on_background(b_.theme())), {}, align,
               0);
  }
  // One line of a list: tight padding and spacing, so a technician's eight rows fit.
  Widget& row(std::string_view text, int px) {
    Widget& w =
        add(WidgetRole::text, text, px, false, on_background(b_.theme()), {}, Align::left, 0, 4);
    y_ -= kGap - 4;
    return w;
  }
  Widget& button(std::string_view text, std::string action, Ink ink, int min_height = kNavButton,
                 int px = 0) {
    return add(WidgetRole::button, text, px ? px : b_.type().button, true, ink, std::move(action),
               Align::center, min_height);
  }
  Widget& banner(std::string_view text, Tone tone, int px = 0) {
    return add(WidgetRole::banner, symbol_for(tone) + std::string(text), px ? px : b_.type().title,
               true, ink_for(b_.theme(), tone), {}, Align::center, 0);
  }
  // Typed text has no spaces to break at (an e-mail address): it is broken between letters, at
  // the title size or, when longer, the body size, on at most two lines; beyond that the field
  // shows the end of it (what was typed last) after "…".
  Widget& field(std::string_view text) {
    Widget w = make_widget(WidgetRole::field, b_.theme().field, {}, true, Align::left);
    const int inner = area_.w - 2 * w.padding;
    for (int px : {b_.type().title, b_.type().body}) {
      w.pixel_size = px;
      w.lines = b_.wrap_letters(text.empty() ? std::string_view(" ") : text, px, true, inner, 2);
      if (w.lines.size() == 1) break;
    }
    const int height =
        std::max(kNavButton, static_cast<int>(w.lines.size()) * b_.line_height(w.pixel_size, true) +
                                 2 * w.padding);
    w.box = Rect{area_.x, y_, area_.w, height};
    y_ += height + kGap;
    if (w.box.y + w.box.h > area_.y + area_.h) w.overflow = true;
    b_.frame().widgets.push_back(std::move(w));
    return b_.frame().widgets.back();
  }
  // A box of a given height (the caller draws into it).
  Rect take(int height) {
    Rect r{area_.x, y_, area_.w, height};
    y_ += height + kGap;
    overflowed_ = overflowed_ || r.y + r.h > area_.y + area_.h;
    return r;
  }
  void gap(int height) { y_ += height; }
  [[nodiscard]] int y() const { return y_; }
  [[nodiscard]] int remaining() const { return area_.y + area_.h - y_; }
  [[nodiscard]] bool overflowed() const { return overflowed_; }

 private:
  Widget& add(WidgetRole role, std::string_view text, int px, bool bold, Ink ink,
              std::string action, Align align, int min_height, int padding = 16) {
    Widget w = make_widget(role, ink, std::move(action), bold, align);
    w.padding = padding;
    const int height = std::max(min_height, b_.fit(w, text, px, area_.w, 0));
    w.box = Rect{area_.x, y_, area_.w, height};
    y_ += height + kGap;
    if (w.box.y + w.box.h > area_.y + area_.h) w.overflow = true;
    b_.frame().widgets.push_back(std::move(w));
    return b_.frame().widgets.back();
  }

  Builder& b_;
  Rect area_;
  int y_;
  bool overflowed_ = false;
};

// A row of equal buttons across `area`.
void button_row(Builder& b, Rect area,
                const std::vector<std::pair<std::string, std::string>>& items, Ink ink, int px) {
  if (items.empty()) return;
  const int n = static_cast<int>(items.size());
  const int w = (area.w - (n - 1) * kGap) / n;
  for (int i = 0; i < n; ++i) {
    b.fixed(WidgetRole::button, Rect{area.x + i * (w + kGap), area.y, w, area.h}, items[i].first,
            px, true, ink, items[i].second);
  }
}

// Keys in rows, each row centred, every key the same size.
void key_grid(Builder& b, Rect area, const KeyRows& rows, int key_w, int key_h, int px) {
  int y = area.y;
  for (const auto& row : rows) {
    const int n = static_cast<int>(row.size());
    const int row_w = n * key_w + (n - 1) * kKeyGap;
    int x = area.x + (area.w - row_w) / 2;
    for (const auto& key : row) {
      b.fixed(WidgetRole::key, Rect{x, y, key_w, key_h}, key, px, true, b.theme().key,
              "key:" + key);
      x += key_w + kKeyGap;
    }
    y += key_h + kKeyGap;
  }
}

int widest_row(const KeyRows& rows) {
  std::size_t n = 0;
  for (const auto& r : rows) n = std::max(n, r.size());
  return static_cast<int>(n);
}

// ---- the bars every screen has ------------------------------------------------------------
//
// Portrait: the languages in two rows on top, the toggles (larger text, contrast) at the bottom,
// the screen's own navigation just above them. Landscape: the languages and the toggles in a
// column on the left (the height is what a landscape screen lacks), the screen to the right of
// it with its navigation at its bottom.

constexpr int kSidebar = 340;  // landscape: the languages' and toggles' column

// The language buttons; one touch to any of them; the current one marked with ✓ as well as
// colour. Returns the y below them (portrait) or the top of the screen (landscape).
int language_bar(Builder& b) {
  const auto& langs = languages();
  const int m = b.margin();
  const int per_row = b.portrait() ? 3 : 1;
  const int w = b.portrait() ? (b.size().width - 2 * m - (per_row - 1) * kGap) / per_row : kSidebar;
  int y = m / 2;
  for (std::size_t i = 0; i < langs.size(); ++i) {
    const int col = static_cast<int>(i) % per_row;
    if (i > 0 && col == 0) y += kBarButton + kGap / 2;
    const bool current = langs[i].code == b.view().language;
    std::string label = (current ? "✓ " : "") + std::string(langs[i].name);
    b.fixed(WidgetRole::button, Rect{m + col * (w + kGap), y, w, kBarButton}, label, b.type().small,
            current, current ? b.theme().selected : b.theme().secondary,
            "lang:" + std::string(langs[i].code));
  }
  return b.portrait() ? y + kBarButton + kGap : m / 2;
}

// Larger text and high contrast: a row at the bottom (portrait) or stacked at the bottom of the
// sidebar (landscape). Returns the y above them (portrait) or the bottom of the screen.
int toggle_bar(Builder& b) {
  const int m = b.margin();
  const View& v = b.view();
  const std::vector<std::pair<std::string, std::string>> items{
      {(v.large_text ? "A− " + b.t("common.normal_text") : "A+ " + b.t("common.larger_text")),
       "larger"},
      {"◐ " + b.t(v.high_contrast ? "common.normal_contrast" : "common.high_contrast"),
       "contrast"}};
  if (!b.portrait()) {
    int y = b.size().height - m / 2;
    for (auto it = items.rbegin(); it != items.rend(); ++it) {
      const int h = b.row_height({it->first}, kSidebar, b.type().small, kBarButton);
      y -= h;
      b.fixed(WidgetRole::button, Rect{m, y, kSidebar, h}, it->first, b.type().small, true,
              b.theme().secondary, it->second);
      y -= kGap / 2;
    }
    return b.size().height - m / 2;
  }
  const int w = (b.size().width - 2 * m - kGap) / 2;
  const int h = b.row_height({items[0].first, items[1].first}, w, b.type().small, kBarButton);
  const int y = b.size().height - m / 2 - h;
  button_row(b, Rect{m, y, b.size().width - 2 * m, h}, items, b.theme().secondary, b.type().small);
  return y - kGap;
}

// Where the screen's own content goes, across: right of the sidebar in landscape.
std::pair<int, int> content_columns(const Builder& b) {
  const int m = b.margin();
  if (b.portrait()) return {m, b.size().width - 2 * m};
  const int x = m + kSidebar + 2 * kGap;
  return {x, b.size().width - m - x};
}

// The screen's own navigation (back, skip, next...) at the bottom of the content. Returns the y
// above it.
int nav_bar(Builder& b, int bottom, const std::vector<std::pair<std::string, std::string>>& items,
            std::optional<std::size_t> primary = std::nullopt) {
  if (items.empty()) return bottom;
  const auto [x0, width] = content_columns(b);
  const int n = static_cast<int>(items.size());
  const int w = (width - (n - 1) * kGap) / n;
  std::vector<std::string> labels;
  for (const auto& item : items) labels.push_back(item.first);
  const int h = b.row_height(labels, w, b.type().button, kNavButton);
  const int y = bottom - h;
  for (int i = 0; i < n; ++i) {
    const bool is_primary = primary && *primary == static_cast<std::size_t>(i);
    b.fixed(WidgetRole::button, Rect{x0 + i * (w + kGap), y, w, h}, items[i].first, b.type().button,
            true, is_primary ? b.theme().primary : b.theme().secondary, items[i].second);
  }
  return y - kGap;
}

// The content area between the bars.
Rect content_area(Builder& b, int top, int bottom) {
  const auto [x, w] = content_columns(b);
  return Rect{x, top + kGap, w, bottom - top - kGap};
}

// Left and right halves of a landscape content area (or the whole twice, in portrait: callers
// stack instead).
std::pair<Rect, Rect> halves(const Rect& area) {
  const int w = (area.w - 2 * kGap) / 2;
  return {Rect{area.x, area.y, w, area.h}, Rect{area.x + w + 2 * kGap, area.y, w, area.h}};
}

// ---- screens ------------------------------------------------------------------------------

void home(Builder& b, Rect area) {
  const View& v = b.view();
  const Theme& th = b.theme();
  Column col(b, area);
  col.text(b.t("home.title"), b.type().title, true);
  col.text(b.t("home.welcome"), b.type().body);
  col.gap(kGap);
  struct Big {
    std::string label, hint, action, off;
    bool enabled;
  };
  std::vector<Big> bigs{
      {b.t("home.file"), b.t("home.file_hint"), "file", b.t("home.file_off"), v.can_file},
      {b.t("home.collect"), b.t("home.collect_hint"), "collect", b.t("home.collect_off"),
       v.can_collect}};
  // The two choices share the space left, leaving room for the staff hint under them.
  const int hint_h = b.line_height(b.type().small, false) * 2 + 2 * 16 + 2 * kGap;
  const int space = col.remaining() - hint_h;
  const int big_h = b.portrait() ? std::min(600, (space - kGap) / 2) : std::min(640, space);
  auto place = [&](const Big& big, Rect r) {
    // The whole area is the target; the label in its upper half, the hint (or why it is off) in
    // the lower half, drawn on it with its ink.
    Widget button = make_widget(WidgetRole::button, big.enabled ? th.primary : th.disabled,
                                big.enabled ? big.action : std::string{});
    button.box = r;
    button.disabled = !big.enabled;
    b.frame().widgets.push_back(button);
    const Ink on_button = borderless(button.ink);
    const int label_h = r.h * 11 / 20;
    b.fixed(WidgetRole::text, Rect{r.x + 8, r.y + 16, r.w - 16, label_h - 16}, big.label,
            b.type().title, true, on_button);
    b.fixed(WidgetRole::text, Rect{r.x + 8, r.y + label_h, r.w - 16, r.h - label_h - 16},
            big.enabled ? big.hint : big.off, b.type().body, false, on_button);
  };
  if (b.portrait()) {
    for (const auto& big : bigs) place(big, col.take(big_h));
  } else {
    Rect row = col.take(big_h);
    auto [left, right] = halves(row);
    place(bigs[0], left);
    place(bigs[1], right);
  }
  col.gap(kGap);
  col.text(b.t("home.staff_hint"), b.type().small);
}

// The kinds as buttons, as many as fit; with more, pages and a "More kinds (1/3)" button that
// takes the last place.
void file_kind(Builder& b, Rect area) {
  const View& v = b.view();
  Column col(b, area);
  col.text(b.t("kind.title"), b.type().title, true);
  col.text(b.t("kind.hint"), b.type().body);
  const int per_row = b.portrait() ? 1 : 2;
  const int h = b.row_height({"Ag"}, area.w, b.type().button, b.portrait() ? 132 : 120);
  const std::size_t fit =
      static_cast<std::size_t>(std::max(1, (col.remaining() + kGap) / (h + kGap)) * per_row);
  const std::size_t n = v.choices.size();
  const std::size_t per_page = n <= fit ? n : std::max<std::size_t>(1, fit - 1);
  const std::size_t pages = per_page == 0 ? 1 : (n + per_page - 1) / per_page;
  const std::size_t page =
      static_cast<std::size_t>(std::max(0, v.page)) % std::max<std::size_t>(1, pages);
  struct Item {
    std::string label;
    std::string action;
    Ink ink;
  };
  std::vector<Item> items;
  for (std::size_t i = page * per_page; i < std::min(n, (page + 1) * per_page); ++i) {
    items.push_back({b.t(v.choices[i].label), v.choices[i].action, b.theme().secondary});
  }
  if (pages > 1) {
    items.push_back({"→ " + b.t("kind.more", {{"page", std::to_string(page + 1)},
                                              {"pages", std::to_string(pages)}}),
                     "more", b.theme().primary});
  }
  for (std::size_t i = 0; i < items.size(); i += static_cast<std::size_t>(per_row)) {
    Rect row = col.take(h);
    auto place = [&](const Item& item, Rect r) {
      b.fixed(WidgetRole::button, r, item.label, b.type().button, true, item.ink, item.action);
    };
    if (per_row == 1) {
      place(items[i], row);
    } else {
      auto [left, right] = halves(row);
      place(items[i], left);
      if (i + 1 < items.size()) place(items[i + 1], right);
    }
  }
  if (col.overflowed()) b.frame().widgets.back().overflow = true;
}

// Text above, keys below (portrait) or text left, keys right (landscape).
std::pair<Rect, Rect> text_and_keys(Builder& b, Rect area, int keys_height) {
  if (b.portrait()) {
    const int text_h = area.h - keys_height - kGap;
    return {Rect{area.x, area.y, area.w, text_h},
            Rect{area.x, area.y + text_h + kGap, area.w, keys_height}};
  }
  const int text_w = area.w * 2 / 5;
  return {Rect{area.x, area.y, text_w, area.h},
          Rect{area.x + text_w + 2 * kGap, area.y, area.w - text_w - 2 * kGap, area.h}};
}

// A keyboard in `area`: key size from the widest row, at least kMinTarget.
void keyboard(Builder& b, Rect area, const KeyRows& rows, int max_key, int px,
              const std::vector<std::pair<std::string, std::string>>& extra) {
  const int cols = widest_row(rows);
  const int n_rows = static_cast<int>(rows.size()) + (extra.empty() ? 0 : 1);
  int key_w = std::min(max_key, (area.w - (cols - 1) * kKeyGap) / cols);
  int key_h = std::min(max_key, (area.h - (n_rows - 1) * kKeyGap) / n_rows);
  key_w = std::max(key_w, kMinTarget);
  key_h = std::max(key_h, kMinTarget);
  const int grid_h = static_cast<int>(rows.size()) * (key_h + kKeyGap);
  key_grid(b, Rect{area.x, area.y, area.w, grid_h}, rows, key_w, key_h, px);
  if (!extra.empty()) {
    const int row_w = std::min(area.w, cols * key_w + (cols - 1) * kKeyGap);
    button_row(b, Rect{area.x + (area.w - row_w) / 2, area.y + grid_h, row_w, key_h}, extra,
               b.theme().key, b.type().small);
  }
  if (area.y + grid_h + (extra.empty() ? 0 : key_h) > area.y + area.h + kKeyGap) {
    b.frame().widgets.back().overflow = true;
  }
}

int keys_height(const KeyRows& rows, bool extra, int key_h) {
  const int n = static_cast<int>(rows.size()) + (extra ? 1 : 0);
  return n * key_h + (n - 1) * kKeyGap;
}

// A screen where something is typed: the title, the hint (or, after a mistake, what went wrong
// in its place: the person needs the one, not both), the field's label, the field, and the keys
// (below in portrait, to the right in landscape) with a last row of wide keys.
struct TypingScreen {
  const char* title_key;
  const char* hint_key;
  const char* field_key;  // nullptr: no label over the field
  KeyRows rows;
  int key;  // key size before stretching
  int max_key;
  int key_px;
  std::vector<std::pair<std::string, std::string>> wide_keys;
};

void typing_screen(Builder& b, Rect area, const TypingScreen& s) {
  const View& v = b.view();
  auto [text, keys] = text_and_keys(b, area, keys_height(s.rows, true, s.key));
  Column col(b, text);
  col.text(b.t(s.title_key), b.type().title, true);
  if (v.body_key.empty()) col.text(b.t(s.hint_key), b.type().body);
  if (s.field_key != nullptr) col.text(b.t(s.field_key), b.type().small, false, Align::left);
  col.field(v.typed);
  if (!v.body_key.empty()) col.banner(b.t(v.body_key), Tone::failure, b.type().body);
  keyboard(b, keys, s.rows, s.max_key, s.key_px, s.wide_keys);
}

void file_contact(Builder& b, Rect area) {
  const int key = b.portrait() ? 92 : 84;
  typing_screen(
      b, area,
      {"contact.title",
       "contact.hint",
       "contact.field",
       contact_keys(b.view().language),
       key,
       key + 20,
       b.type().body,
       {{b.t("contact.space"), "key:space"}, {"⌫ " + b.t("contact.erase"), "key:erase"}}});
}

void file_consent(Builder& b, Rect area) {
  Column col(b, area);
  col.text(b.t("consent.title"), b.type().title, true);
  col.text(b.t("consent.text"), b.type().body, false, Align::left);
  col.gap(kGap);
  col.button(b.t("consent.agree"), "agree", b.theme().primary, 140);
  col.button(b.t("consent.disagree"), "disagree", b.theme().secondary, 140);
}

void door_open(Builder& b, Rect area) {
  const View& v = b.view();
  Column col(b, area);
  col.banner(b.t("door.title"), Tone::info);
  // The compartment's number as large as the screen allows: it is what the person looks for.
  const auto number = v.args.count("compartment") ? v.args.at("compartment") : std::string("?");
  Rect big = col.take(b.portrait() ? 420 : 300);
  const int side = big.h;
  b.fixed(WidgetRole::countdown, Rect{big.x + (big.w - side) / 2, big.y, side, side}, number,
          b.type().huge * 2, true, b.theme().selected);
  col.text(b.t(v.body_key.empty() ? "door.file" : v.body_key), b.type().title, true);
  col.text(b.t("door.help"), b.type().body);
}

void receipt(Builder& b, Rect area) {
  const View& v = b.view();
  Column col(b, area);
  col.banner(b.t("receipt.title"), Tone::success);
  col.text(b.t("receipt.code"), b.type().body);
  // The code at 96 px whatever the text size: larger would not fit on one line.
  col.text(v.args.count("tracking_code") ? v.args.at("tracking_code") : "",
           std::min(b.type().huge, 96), true);
  if (auto registered = v.args.find("registration"); registered != v.args.end()) {
    col.text(b.t("receipt.number") + ": " + registered->second, b.type().body, true);
  } else {
    col.text(b.t("receipt.provisional") + ": " +
                 (v.args.count("number") ? v.args.at("number") : std::string{}),
             b.type().body, true);
    col.text(b.t("receipt.provisional_note"), b.type().small);
  }
  std::string take_key =
      !v.body_key.empty() ? v.body_key : (v.has_printer ? "receipt.take" : "receipt.no_printer");
  col.text(b.t(take_key), b.type().body, true);
  if (v.args.count("url")) col.text(b.t("receipt.follow"), b.type().small);
}

void collect_scan(Builder& b, Rect area) {
  Column col(b, area);
  col.text(b.t("collect.title"), b.type().title, true);
  col.text(b.t("collect.hint"), b.type().body);
  const int side = std::min(
      area.w, b.portrait() ? 560 : std::max(kMinTarget, col.remaining() - kNavButton - 3 * kGap));
  Rect r = col.take(side);
  b.fixed(WidgetRole::qr_hint, Rect{r.x + (r.w - side) / 2, r.y, side, side},
          b.t("collect.hold_here"), b.type().small, true, b.theme().body);
  col.button(b.t("collect.type_instead"), "type_code", b.theme().secondary);
}

void collect_keypad(Builder& b, Rect area) {
  const int key = b.portrait() ? 112 : 96;
  typing_screen(b, area,
                {"collect.keypad_title",
                 "collect.keypad_hint",
                 "collect.field",
                 code_keys(),
                 key,
                 key + 16,
                 b.type().title,
                 {{"⌫ " + b.t("collect.erase"), "key:erase"}}});
}

void notice(Builder& b, Rect area) {
  const View& v = b.view();
  Column col(b, area);
  col.gap(b.portrait() ? 120 : 20);
  col.banner(b.t(v.title_key.empty() ? "refused.title" : v.title_key), v.tone);
  if (!v.body_key.empty()) col.text(b.t(v.body_key), b.type().title, false);
  if (!v.detail_key.empty()) col.text(b.t(v.detail_key), b.type().body, true);
}

void working(Builder& b, Rect area) {
  Column col(b, area);
  col.gap(b.portrait() ? 300 : 120);
  col.text(b.t("working.title"), b.type().title, true);
  col.text(b.t("working.text"), b.type().body);
  col.text("…", b.type().huge, true);
}

void staff_pin(Builder& b, Rect area) {
  typing_screen(b, area,
                {"staff.pin_title",
                 "staff.pin_hint",
                 nullptr,
                 pin_keys(),
                 120,
                 160,
                 b.type().title,
                 {{"⌫ " + b.t("contact.erase"), "key:erase"}}});
}

// A row's words: label and value on one line, with ✓ or ✗ and its word.
std::string row_text(const Builder& b, const Row& row) {
  std::string line = b.t(row.label, row.args);
  const std::string value = b.t(row.value, row.args);
  if (!value.empty()) line += ": " + value;
  if (row.ok) line += *row.ok ? "  ✓ " + b.t("common.ok_mark") : "  ✗ " + b.t("common.fault_mark");
  return line;
}

void rows_list(Builder& b, Column& col, const std::vector<Row>& rows) {
  for (const auto& row : rows) col.row(row_text(b, row), b.type().small);
}

// A list too long for a landscape screen's height (`reserve`: what must fit under it): two
// columns side by side, the first rows on the left, read top to bottom, then the right; split
// where the two come out the most even.
void rows_in_columns(Builder& b, Column& col, const Rect& area, const std::vector<Row>& rows,
                     int reserve) {
  auto height_at = [&](const Row& row, int width) {
    Widget scratch;
    scratch.padding = 4;
    return b.fit(scratch, row_text(b, row), b.type().small, width, 0) + 4;  // as Column::row
  };
  int one_column = 0;
  for (const auto& row : rows) one_column += height_at(row, area.w);
  if (b.portrait() || rows.size() < 2 || one_column + reserve <= col.remaining()) {
    rows_list(b, col, rows);
    return;
  }
  const auto [left_area, right_area] = halves(Rect{area.x, col.y(), area.w, col.remaining()});
  std::vector<int> heights;
  for (const auto& row : rows) heights.push_back(height_at(row, left_area.w));
  std::size_t split = 1;
  int best = -1;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    int left_h = 0;
    int right_h = 0;
    for (std::size_t k = 0; k < rows.size(); ++k) (k < i ? left_h : right_h) += heights[k];
    const int taller = std::max(left_h, right_h);
    if (best < 0 || taller < best) {
      best = taller;
      split = i;
    }
  }
  const auto at = static_cast<std::ptrdiff_t>(split);
  Column left(b, left_area);
  Column right(b, right_area);
  rows_list(b, left, {rows.begin(), rows.begin() + at});
  rows_list(b, right, {rows.begin() + at, rows.end()});
  col.gap(std::max(left.y(), right.y()) - col.y());
}

void message_banner(Builder& b, Column& col) {
  const View& v = b.view();
  if (v.body_key.empty()) return;
  col.banner(b.t(v.body_key), v.tone == Tone::info ? Tone::success : v.tone, b.type().body);
}

void clerk_menu(Builder& b, Rect area) {
  Column col(b, area);
  col.text(b.t("clerk.title"), b.type().title, true);
  col.text(b.t("clerk.free"), b.type().body);
  message_banner(b, col);
  col.button(b.t("clerk.load"), "clerk:load", b.theme().primary, 140);
  col.button(b.t("clerk.empty"), "clerk:empty", b.theme().primary, 140);
  col.button(b.t("clerk.faulty"), "clerk:faulty", b.theme().secondary, 140);
}

void clerk_load(Builder& b, Rect area) {
  Column col(b, area);
  col.text(b.t("clerk.load_title"), b.type().title, true);
  col.text(b.t("clerk.load_hint"), b.type().body);
  message_banner(b, col);
}

void clerk_faulty(Builder& b, Rect area) {
  Column col(b, area);
  col.text(b.t("clerk.faulty_title"), b.type().title, true);
  if (b.view().rows.empty()) {
    col.text("✓ " + b.t("clerk.none_faulty"), b.type().body);
  } else {
    rows_list(b, col, b.view().rows);
  }
}

// The devices (or the self-test's lines), then what the self-test does now with a way to cancel
// it, or its outcome with a way to run it (again).
void technician(Builder& b, Rect area) {
  const View& v = b.view();
  Column col(b, area);
  col.text(b.t("technician.title"), b.type().title, true);
  // Under the rows: the progress or the outcome, and a button.
  // What happened (a self-test's outcome, an enrolment's) and what to do (detail_key).
  std::string said = v.body_key.empty() ? "" : b.t(v.body_key);
  if (!said.empty() && !v.detail_key.empty()) said += " " + b.t(v.detail_key);
  int reserve = kNavButton + kGap;
  if (!said.empty()) {
    Widget scratch;
    scratch.bold = true;
    reserve += b.fit(scratch, symbol_for(Tone::failure) + said, b.type().body, area.w, 0) + kGap;
  }
  rows_in_columns(b, col, area, v.rows, reserve);
  if (v.running) {
    // What it does now, in words on the background: not a box that could be taken for a button.
    if (!said.empty()) col.text(said, b.type().body, true);
    // An enrolment cannot be cancelled half-way (it is safe to repeat, not to interrupt).
    if (v.body_key.rfind("self_test.", 0) == 0 || v.body_key == "technician.self_test_running") {
      col.button(b.t("self_test.cancel"), "self_test_cancel", b.theme().secondary);
    }
    return;
  }
  if (!said.empty()) col.banner(said, v.tone == Tone::info ? Tone::success : v.tone, b.type().body);
  col.button(b.t("technician.self_test"), "self_test", b.theme().primary);
}

void out_of_order(Builder& b, Rect area) {
  const View& v = b.view();
  Column col(b, area);
  col.banner(b.t("out_of_order.title"), Tone::warning);
  col.text(b.t("out_of_order.text"), b.type().title, false);
  if (v.args.count("hours") && !v.args.at("hours").empty()) {
    col.text(b.t("out_of_order.instead"), b.type().body);
  }
  if (v.can_collect) {
    col.text(b.t("out_of_order.still_works"), b.type().body, true);
    col.button(b.t("home.collect"), "collect", b.theme().primary, 140);
  }
  if (v.args.count("phone") && !v.args.at("phone").empty()) {
    col.text(b.t("out_of_order.call"), b.type().body);
  }
}

// Not set up yet: what to do (scan the enrolment QR), the devices, and what happens now or why
// the last try failed. Nothing to touch but the language and the toggles: the token is scanned.
void setup(Builder& b, Rect area) {
  const View& v = b.view();
  Column col(b, area);
  col.text(b.t("setup.title"), b.type().title, true);
  col.text(b.t("setup.how"), b.type().body);
  int reserve = 0;
  if (!v.body_key.empty()) {
    Widget scratch;
    scratch.bold = true;
    std::string said = symbol_for(Tone::failure) + b.t(v.body_key);
    if (!v.detail_key.empty()) said += " " + b.t(v.detail_key);
    reserve += b.fit(scratch, said, b.type().body, area.w, 0) + 3 * kGap;
  }
  rows_in_columns(b, col, area, v.rows, reserve);
  if (v.body_key.empty()) return;
  if (v.running) {
    col.text(b.t(v.body_key), b.type().body, true);
    return;
  }
  std::string said = b.t(v.body_key);
  if (!v.detail_key.empty()) said += " " + b.t(v.detail_key);
  col.banner(said, v.tone == Tone::info ? Tone::success : v.tone, b.type().body);
}

// Over everything: a panel that takes every touch ("I am still here"), the seconds left.
void idle_overlay(Builder& b, int seconds) {
  Frame& f = b.frame();
  Widget panel = make_widget(WidgetRole::panel, b.theme().overlay, "stay");
  panel.box = Rect{0, 0, f.size.width, f.size.height};
  f.widgets.push_back(panel);
  const int m = b.margin() * 2;
  const int w = f.size.width - 2 * m;
  const int h = b.portrait() ? 860 : 800;
  Rect box{m, (f.size.height - h) / 2, w, h};
  Widget card = make_widget(WidgetRole::panel, b.theme().secondary, "stay");
  card.box = box;
  f.widgets.push_back(card);
  Column col(b, Rect{box.x + 40, box.y + 40, box.w - 80, box.h - 80});
  const Ink on_card = borderless(b.theme().secondary);
  col.text(b.t("idle.title"), b.type().title, true, Align::center, on_card);
  col.text(b.t("idle.text"), b.type().body, false, Align::center, on_card);
  Rect circle = col.take(b.portrait() ? 260 : 200);
  b.fixed(WidgetRole::countdown,
          Rect{circle.x + (circle.w - circle.h) / 2, circle.y, circle.h, circle.h},
          std::to_string(seconds), b.type().huge, true, on_card, "stay");
  col.button(b.t("idle.stay"), "stay", b.theme().primary, 140);
}

// Which navigation each screen has: (label key, action), and which one is the main way on.
struct Nav {
  std::vector<std::pair<std::string, std::string>> items;
  std::optional<std::size_t> primary;
};

Nav nav_for(const Builder& b) {
  const View& v = b.view();
  auto item = [&](const char* key, const char* action) {
    return std::pair<std::string, std::string>{b.t(key), action};
  };
  switch (v.screen) {
    case ScreenId::home:
    case ScreenId::door_open:
    case ScreenId::working:
      return {};
    case ScreenId::file_kind:
      return {{item("common.back", "back")}, std::nullopt};
    case ScreenId::file_contact:
      return {
          {item("common.back", "back"), item("common.skip", "skip"), item("common.next", "next")},
          2};
    case ScreenId::file_consent:
      return {{item("common.back", "back")}, std::nullopt};
    case ScreenId::receipt:
    case ScreenId::notice:
      return {{item("common.home", "ok")}, 0};
    case ScreenId::collect_scan:
      return {{item("common.back", "home")}, std::nullopt};
    case ScreenId::collect_keypad:
      return {{item("common.back", "back"), item("collect.open", "open")}, 1};
    case ScreenId::staff_pin:
      return {{item("common.cancel", "home"), item("staff.login", "login")}, 1};
    case ScreenId::technician:
      if (v.running) return {};  // the self-test ends (or is cancelled) first
      return {{item("staff.logout", "logout")}, std::nullopt};
    case ScreenId::clerk_menu:
      return {{item("staff.logout", "logout")}, std::nullopt};
    case ScreenId::clerk_load:
      return {{item("common.done", "back")}, 0};
    case ScreenId::clerk_faulty:
      return {{item("common.back", "back")}, std::nullopt};
    case ScreenId::out_of_order:
    case ScreenId::setup:
      return {};
  }
  return {};
}

}  // namespace

namespace {

Frame build(const View& view, const LayoutContext& context, double squeeze) {
  Builder b(view, context, squeeze);
  const int top = language_bar(b);
  int bottom = toggle_bar(b);
  const Nav nav = nav_for(b);
  bottom = nav_bar(b, bottom, nav.items, nav.primary);
  const Rect area = content_area(b, top, bottom);
  switch (view.screen) {
    case ScreenId::home:
      home(b, area);
      break;
    case ScreenId::file_kind:
      file_kind(b, area);
      break;
    case ScreenId::file_contact:
      file_contact(b, area);
      break;
    case ScreenId::file_consent:
      file_consent(b, area);
      break;
    case ScreenId::door_open:
      door_open(b, area);
      break;
    case ScreenId::receipt:
      receipt(b, area);
      break;
    case ScreenId::collect_scan:
      collect_scan(b, area);
      break;
    case ScreenId::collect_keypad:
      collect_keypad(b, area);
      break;
    case ScreenId::notice:
      notice(b, area);
      break;
    case ScreenId::working:
      working(b, area);
      break;
    case ScreenId::staff_pin:
      staff_pin(b, area);
      break;
    case ScreenId::clerk_menu:
      clerk_menu(b, area);
      break;
    case ScreenId::clerk_load:
      clerk_load(b, area);
      break;
    case ScreenId::clerk_faulty:
      clerk_faulty(b, area);
      break;
    case ScreenId::technician:
      technician(b, area);
      break;
    case ScreenId::out_of_order:
      out_of_order(b, area);
      break;
    case ScreenId::setup:
      setup(b, area);
      break;
  }
  if (view.idle_countdown_s) idle_overlay(b, *view.idle_countdown_s);
  return b.take();
}

}  // namespace

// A screen too full at its type sizes (large text, a long language, a landscape screen's height)
// is laid out again with every size a step smaller, before anything is marked overflowing.
Frame layout(const View& view, const LayoutContext& context) {
  constexpr double kSqueezes[] = {1.0, 0.9, 0.8, 0.7};
  Frame frame;
  for (double squeeze : kSqueezes) {
    frame = build(view, context, squeeze);
    if (std::none_of(frame.widgets.begin(), frame.widgets.end(),
                     [](const Widget& w) { return w.overflow; })) {
      break;
    }
  }
  return frame;
}

}  // namespace civicbox::ui
