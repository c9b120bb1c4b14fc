// The town hall's dashboard: plain HTML, CSS and JavaScript from controller/dashboard/, embedded
// into the binary at build time and served on the public listener under /dashboard. The page
// reads the back office's JSON (boxes, stats, submissions) with a token the person types in.
#pragma once

#include <optional>
#include <string_view>

namespace civicbox::controller {

struct DashboardFile {
  std::string_view body;
  std::string_view content_type;
};

// The file for a path under /dashboard ("/dashboard", "/dashboard/", "/dashboard/dashboard.js"),
// or nothing.
std::optional<DashboardFile> dashboard_file(std::string_view path);

}  // namespace civicbox::controller
