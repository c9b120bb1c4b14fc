// One realistic View of every screen (and the idle overlay), with the longest facts the box
// shows (a 16-compartment cabinet, long document kinds, a tracking code, a provisional number),
// for the screenshot tool and the layout tests: what they check is what a citizen could see.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ui/view.hpp"

namespace civicbox::ui {

struct Sample {
  std::string name;  // "home", "notice-wrong-code", ... (file names of screenshots)
  View view;
};

std::vector<Sample> sample_views(std::string_view language, bool high_contrast, bool large_text);

}  // namespace civicbox::ui
