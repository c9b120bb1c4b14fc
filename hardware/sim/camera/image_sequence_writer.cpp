#include "hardware/sim/camera/image_sequence_writer.hpp"

#include <cstdio>
#include <opencv2/imgcodecs.hpp>
#include <system_error>

namespace civicbox::sim {

std::string frame_pattern(const std::filesystem::path& dir) {
  return (dir / "frame_%03d.png").string();
}

Expected<void> write_png(const std::filesystem::path& file, const cv::Mat& frame) {
  // imwrite picks the format from the extension: keep ".png" at the end of the temporary name.
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  const auto temporary = file.parent_path() / ("." + file.stem().string() + ".tmp.png");
  try {
    if (!cv::imwrite(temporary.string(), frame)) {
      return make_error(ErrorCode::io, "cannot write " + temporary.string());
    }
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::io, "writing " + temporary.string() + ": " + e.what());
  }
  std::filesystem::rename(temporary, file, ec);
  if (ec) return make_error(ErrorCode::io, "renaming to " + file.string() + ": " + ec.message());
  return {};
}

Expected<void> write_image_sequence(const std::filesystem::path& dir,
                                    std::span<const cv::Mat> frames, int first) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorCode::io, "creating " + dir.string() + ": " + ec.message());
  // Last file first: once the first file exists the whole sequence does, so a reader that is
  // polling for it (a scanner waiting for its "camera") never plays half of it.
  for (std::size_t i = frames.size(); i-- > 0;) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%03d.png", first + static_cast<int>(i));
    CIVICBOX_CHECK(write_png(dir / name, frames[i]));
  }
  return {};
}

}  // namespace civicbox::sim
