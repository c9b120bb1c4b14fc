#include "hardware/sim/camera/camera_sim.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

namespace civicbox::sim {

namespace {

constexpr int kQuietModules = 4;  // the quiet zone the printer leaves
constexpr int kCardModules = 3;   // white card or phone screen beyond the quiet zone
constexpr int kNoiseSlack = 64;   // the noise pattern is this much larger than the frame

// The card with the printed symbol, in BGR, drawn at about the size it will have in the frame
// so that the warp only resamples a little (upscaling a one-pixel-per-module drawing would blur
// every module edge). `paper` is how white the paper is, 0…1.
cv::Mat card_image(const drivers::qr::QrModules& symbol, int module_px, double paper) {
  const auto drawn = drivers::qr::draw_qr(symbol, module_px, kQuietModules + kCardModules);
  const cv::Mat gray(drawn.height, drawn.width, CV_8UC1,
                     const_cast<std::uint8_t*>(drawn.pixels.data()));
  cv::Mat card;
  cv::cvtColor(gray, card, cv::COLOR_GRAY2BGR);
  // Ink is not pitch black either: black 20, white paper × 255.
  card.convertTo(card, -1, (paper * 255.0 - 20.0) / 255.0, 20.0);
  return card;
}

}  // namespace

std::uint64_t CameraSim::next_u64() {
  // splitmix64: the same sequence on every platform, unlike std:: distributions.
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double CameraSim::uniform(double low, double high) {
  const double unit = static_cast<double>(next_u64() >> 11) / static_cast<double>(1ULL << 53);
  return low + (high - low) * unit;
}

const cv::Mat& CameraSim::noise_for(cv::Size size) {
  if (noise_.cols < size.width + kNoiseSlack || noise_.rows < size.height + kNoiseSlack) {
    noise_.create(size.height + kNoiseSlack, size.width + kNoiseSlack, CV_32FC3);
    cv::RNG rng(next_u64());
    rng.fill(noise_, cv::RNG::NORMAL, 0, 1);
  }
  return noise_;
}

cv::Mat CameraSim::counter_scene(cv::Size size) {
  // A counter top and the wall behind it: smooth uneven lighting, a grainy surface, a few papers
  // with print, and dark square stickers (edges and squares that must not be taken for a code).
  cv::RNG rng(next_u64());
  cv::Mat coarse(4, 6, CV_32FC1);
  rng.fill(coarse, cv::RNG::NORMAL, 0, 25);
  cv::Mat shading;
  cv::resize(coarse, shading, size, 0, 0, cv::INTER_CUBIC);
  cv::Mat grain(size.height / 4, size.width / 4, CV_32FC1);
  rng.fill(grain, cv::RNG::NORMAL, 0, 10);
  cv::Mat grain_full;
  cv::resize(grain, grain_full, size, 0, 0, cv::INTER_LINEAR);
  shading += grain_full;
  cv::Mat texture;
  shading.convertTo(texture, CV_8UC1, 1.0, 128.0);  // centred on 128
  cv::Mat scene;
  cv::cvtColor(texture, scene, cv::COLOR_GRAY2BGR);
  // Tint: base colour + (texture − 128).
  const cv::Scalar base(uniform(70, 140), uniform(80, 150), uniform(90, 170));
  cv::add(scene, base - cv::Scalar(128, 128, 128), scene);

  const int papers = static_cast<int>(uniform(2, 6));
  for (int i = 0; i < papers; ++i) {
    const cv::Point2f center(static_cast<float>(uniform(0, size.width)),
                             static_cast<float>(uniform(0, size.height)));
    const cv::Size2f extent(static_cast<float>(uniform(0.08, 0.3) * size.width),
                            static_cast<float>(uniform(0.08, 0.3) * size.height));
    const cv::RotatedRect paper(center, extent, static_cast<float>(uniform(-30, 30)));
    cv::Point2f corners[4];
    paper.points(corners);
    std::vector<cv::Point> polygon(corners, corners + 4);
    const double white = uniform(170, 235);
    cv::fillConvexPoly(scene, polygon, cv::Scalar(white, white, white * uniform(0.9, 1.0)),
                       cv::LINE_AA);
    const int lines = static_cast<int>(uniform(0, 6));
    for (int l = 0; l < lines; ++l) {
      const cv::Point origin(static_cast<int>(center.x - extent.width / 3),
                             static_cast<int>(center.y - extent.height / 3 + l * 18));
      cv::putText(scene, l % 2 ? "Stadt Musterhausen" : "Bitte Code zeigen", origin,
                  cv::FONT_HERSHEY_SIMPLEX, uniform(0.4, 0.7), cv::Scalar(30, 30, 30), 1,
                  cv::LINE_AA);
    }
  }
  const int stickers = static_cast<int>(uniform(2, 8));
  for (int i = 0; i < stickers; ++i) {
    const cv::Point center(static_cast<int>(uniform(0, size.width)),
                           static_cast<int>(uniform(0, size.height)));
    const int half = static_cast<int>(uniform(4, 24));
    const double dark = uniform(10, 60);
    cv::rectangle(scene, center - cv::Point(half, half), center + cv::Point(half, half),
                  cv::Scalar(dark, dark, dark), cv::FILLED, cv::LINE_AA);
    if (half > 10) {
      cv::rectangle(scene, center - cv::Point(half / 2, half / 2),
                    center + cv::Point(half / 2, half / 2), cv::Scalar(220, 220, 220), 2,
                    cv::LINE_AA);
    }
  }
  return scene;
}

void CameraSim::finish(cv::Mat& scene, const ShotConditions& conditions) {
  if (conditions.light != 1) scene.convertTo(scene, -1, conditions.light);
  if (conditions.blur_sigma > 0) {
    cv::GaussianBlur(scene, scene, cv::Size(), conditions.blur_sigma);
  }
  // Sensor noise is the same in a dark room: relative to the picture it grows.
  if (conditions.noise_sigma > 0) {
    const cv::Mat& noise = noise_for(scene.size());
    const int dx = static_cast<int>(uniform(0, kNoiseSlack));
    const int dy = static_cast<int>(uniform(0, kNoiseSlack));
    cv::Mat noise16;
    noise(cv::Rect(dx, dy, scene.cols, scene.rows))
        .convertTo(noise16, CV_16SC3, conditions.noise_sigma);
    cv::Mat scene16;
    scene.convertTo(scene16, CV_16SC3);
    scene16 += noise16;
    scene16.convertTo(scene, CV_8UC3);  // saturates at 0 and 255
  }
  if (conditions.jpeg_quality > 0) {
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", scene, jpeg, {cv::IMWRITE_JPEG_QUALITY, conditions.jpeg_quality});
    scene = cv::imdecode(jpeg, cv::IMREAD_COLOR);
  }
}

SimFrame CameraSim::shoot_empty(const ShotConditions& conditions) {
  SimFrame frame;
  frame.image = counter_scene(conditions.frame_size);
  finish(frame.image, conditions);
  return frame;
}

Expected<SimFrame> CameraSim::shoot(std::string_view text, const ShotConditions& conditions) {
  CIVICBOX_TRY(auto symbol, drivers::qr::make_qr(text, conditions.ecc));
  return shoot(symbol, conditions);
}

SimFrame CameraSim::shoot(const drivers::qr::QrModules& symbol, const ShotConditions& conditions) {
  const cv::Size size = conditions.frame_size;
  SimFrame frame;
  frame.image = counter_scene(size);

  const int drawn_px = std::max(1, static_cast<int>(std::ceil(conditions.module_px)));
  const cv::Mat card = card_image(symbol, drawn_px, uniform(0.82, 0.97));
  const auto card_px = static_cast<float>(card.cols);
  const float side =
      card_px / static_cast<float>(drawn_px) * static_cast<float>(conditions.module_px);

  // Where the card lands: a square of `side` somewhere it fits, seen tilted and turned.
  const float margin = side * 0.75f;
  const auto place = [&](int extent) {
    const double low = std::min<double>(margin, extent / 2.0);
    const double high = std::max<double>(extent - margin, extent / 2.0);
    return static_cast<float>(uniform(low, high));
  };
  const cv::Point2f center(place(size.width), place(size.height));
  const float h = side / 2;
  std::array<cv::Point2f, 4> square = {cv::Point2f(-h, -h), cv::Point2f(h, -h), cv::Point2f(h, h),
                                       cv::Point2f(-h, h)};
  if (conditions.tilt > 0) {
    // Turned away around one axis: the far edge shrinks and comes closer to the middle.
    const auto far_edge = static_cast<std::size_t>(uniform(0, 4)) % 4;
    auto& a = square[far_edge];
    auto& b = square[(far_edge + 1) % 4];
    const cv::Point2f mid = (a + b) * 0.5f;
    const auto t = static_cast<float>(conditions.tilt);
    a = (mid + (a - mid) * (1 - t)) * (1 - t * 0.3f);
    b = (mid + (b - mid) * (1 - t)) * (1 - t * 0.3f);
  }
  const double angle = conditions.rotation_deg * std::numbers::pi / 180.0;
  const auto c = static_cast<float>(std::cos(angle));
  const auto s = static_cast<float>(std::sin(angle));
  std::array<cv::Point2f, 4> placed;
  for (std::size_t i = 0; i < 4; ++i) {
    const cv::Point2f p = square[i];
    placed[i] = center + cv::Point2f(c * p.x - s * p.y, s * p.x + c * p.y);
  }
  const std::array<cv::Point2f, 4> card_corners = {cv::Point2f(0, 0), cv::Point2f(card_px, 0),
                                                   cv::Point2f(card_px, card_px),
                                                   cv::Point2f(0, card_px)};
  const cv::Mat warp = cv::getPerspectiveTransform(card_corners.data(), placed.data());
  cv::warpPerspective(card, frame.image, warp, size, cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);

  // The symbol's own corners (inside the quiet zone and card margin), where they landed.
  const auto inner = static_cast<float>((kQuietModules + kCardModules) * drawn_px);
  const float outer = card_px - inner;
  std::vector<cv::Point2f> symbol_corners = {cv::Point2f(inner, inner), cv::Point2f(outer, inner),
                                             cv::Point2f(outer, outer), cv::Point2f(inner, outer)};
  std::vector<cv::Point2f> landed;
  cv::perspectiveTransform(symbol_corners, landed, warp);
  frame.code_corners = std::array<cv::Point2f, 4>{landed[0], landed[1], landed[2], landed[3]};

  if (conditions.glare > 0) {
    // A ceiling lamp's reflection: a bright blob over part of the code, clipped at white.
    const cv::Point2f at = center + cv::Point2f(static_cast<float>(uniform(-0.25, 0.25) * side),
                                                static_cast<float>(uniform(-0.25, 0.25) * side));
    const double radius = side * uniform(0.15, 0.3);
    const int reach = static_cast<int>(radius * 2.5) + 1;
    const cv::Rect box = cv::Rect(static_cast<int>(at.x) - reach, static_cast<int>(at.y) - reach,
                                  2 * reach, 2 * reach) &
                         cv::Rect(0, 0, size.width, size.height);
    if (!box.empty()) {
      // A Gaussian spot, made as the outer product of two 1-D Gaussians (blurring a disc this
      // large costs more than the rest of the frame).
      const double sigma = radius * 0.8;
      const double peak = 255.0 * conditions.glare * 1.6;
      cv::Mat across(1, box.width, CV_32FC1);
      cv::Mat down(box.height, 1, CV_32FC1);
      for (int x = 0; x < box.width; ++x) {
        const double d = (box.x + x - at.x) / sigma;
        across.at<float>(0, x) = static_cast<float>(std::exp(-0.5 * d * d));
      }
      for (int y = 0; y < box.height; ++y) {
        const double d = (box.y + y - at.y) / sigma;
        down.at<float>(y, 0) = static_cast<float>(peak * std::exp(-0.5 * d * d));
      }
      cv::Mat spot_float = down * across;
      cv::Mat spot;
      spot_float.convertTo(spot, CV_8UC1);
      cv::Mat spot3;
      cv::cvtColor(spot, spot3, cv::COLOR_GRAY2BGR);
      cv::Mat region = frame.image(box);
      cv::add(region, spot3, region);  // saturates at white
    }
  }
  finish(frame.image, conditions);
  return frame;
}

}  // namespace civicbox::sim
