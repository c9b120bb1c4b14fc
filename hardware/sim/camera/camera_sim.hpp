// A simulated camera: makes the frames the box's camera would see when a citizen holds up a QR
// code (printed on paper or shown on a phone) in front of the kiosk's counter, under a chosen
// condition: small or large, blurred, noisy, tilted, rotated, with glare or in a dark hall; and
// frames with no code at all (most of a kiosk's day). Deterministic: the same seed and the same
// calls give the same frames on this build. For corpus tests and benchmarks.
//
// Frames are 8-bit BGR like a camera's, JPEG-compressed like MJPEG unless told otherwise.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/error.hpp"
#include "drivers/scanner/qr/qr_code.hpp"
#include "hardware/sim/camera/opencv.hpp"

namespace civicbox::sim {

struct ShotConditions {
  cv::Size frame_size{1280, 720};
  double module_px = 6;     // pixels per QR module, before tilt
  double rotation_deg = 0;  // the code turned in the image plane
  double tilt = 0;          // perspective: 0 faces the camera, 0.3 makes the far edge 30 % shorter
  double blur_sigma = 0;    // Gaussian blur (out of focus, moving hand), in pixels
  double noise_sigma = 2;   // sensor noise, in gray levels
  double glare = 0;         // 0…1: a bright reflection over part of the code
  double light = 1;         // 1 = a lit hall; 0.25 = dark (everything dimmer)
  int jpeg_quality = 90;    // MJPEG compression; 0 = none
  drivers::qr::EccLevel ecc = drivers::qr::EccLevel::medium;
};

struct SimFrame {
  cv::Mat image;  // CV_8UC3, BGR
  // Where the code's symbol (without quiet zone) is: top-left, top-right, bottom-right,
  // bottom-left as printed. nullopt for a frame without a code.
  std::optional<std::array<cv::Point2f, 4>> code_corners;
};

class CameraSim {
 public:
  explicit CameraSim(std::uint64_t seed) : state_(seed) {}

  // A frame with `text` as a QR code somewhere in it. Errors: invalid_argument (text that
  // cannot be a QR code).
  Expected<SimFrame> shoot(std::string_view text, const ShotConditions& conditions);
  // The same with a symbol made elsewhere (a foreign code, a damaged symbol).
  SimFrame shoot(const drivers::qr::QrModules& symbol, const ShotConditions& conditions);
  // The counter with nobody showing anything.
  SimFrame shoot_empty(const ShotConditions& conditions);

 private:
  double uniform(double low, double high);  // deterministic, platform-independent
  std::uint64_t next_u64();
  cv::Mat counter_scene(cv::Size size);
  void finish(cv::Mat& scene, const ShotConditions& conditions);
  const cv::Mat& noise_for(cv::Size size);

  std::uint64_t state_;
  // Unit Gaussian noise, a little larger than the frame: each frame adds a shifted window of it
  // (drawing fresh noise for a million pixels is slower than decoding the frame).
  cv::Mat noise_;
};

}  // namespace civicbox::sim
