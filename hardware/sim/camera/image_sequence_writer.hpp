// Frames to files that OpenCV plays back as a camera: VideoCapture("dir/frame_%03d.png",
// CAP_IMAGES), or drivers::camera::ImageSequence. Each file is written under a temporary name
// and renamed, so a reader never sees half a PNG.
#pragma once

#include <filesystem>
#include <span>
#include <string>

#include "common/error.hpp"
#include "hardware/sim/camera/opencv.hpp"

namespace civicbox::sim {

// The pattern for frames in `dir`: "<dir>/frame_%03d.png".
std::string frame_pattern(const std::filesystem::path& dir);

// Writes frames[i] as <dir>/frame_<first + i>.png. Errors: io.
Expected<void> write_image_sequence(const std::filesystem::path& dir,
                                    std::span<const cv::Mat> frames, int first = 0);

// Writes one frame as PNG (for people to look at). Errors: io.
Expected<void> write_png(const std::filesystem::path& file, const cv::Mat& frame);

}  // namespace civicbox::sim
