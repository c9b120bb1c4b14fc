#include "ui/frame.hpp"

namespace civicbox::ui {

std::string action_at(const Frame& frame, int x, int y) {
  // std::views::reverse would be shorter, but clang 14 (the fuzz build) cannot read libstdc++
  // 12's <ranges>.
  for (auto it = frame.widgets.rbegin(); it != frame.widgets.rend(); ++it) {
    const Widget& widget = *it;
    if (!widget.box.contains(x, y)) continue;
    const bool touchable = !widget.action.empty() && !widget.disabled;
    // A panel hides what is under it (the idle overlay): a touch there never reaches a button the
    // person cannot see.
    if (widget.role == WidgetRole::panel) return touchable ? widget.action : std::string();
    if (touchable) return widget.action;
  }
  return {};
}

}  // namespace civicbox::ui
