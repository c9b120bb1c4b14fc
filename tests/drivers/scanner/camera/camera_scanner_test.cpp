// The camera scanner end to end: frames from an image sequence (OpenCV CAP_IMAGES) or pushed by
// code reach next_scan() once per code, again after the code was away, never for a foreign code;
// an unplugged camera is reported and scanning resumes by itself when it is back.
#include <gtest/gtest.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "drivers/scanner/camera/camera_scanner.hpp"
#include "drivers/scanner/camera/image_sequence.hpp"
#include "drivers/scanner/camera/pushed_frames.hpp"
#include "hardware/sim/camera/camera_sim.hpp"
#include "hardware/sim/camera/image_sequence_writer.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::drivers::camera {
namespace {

using namespace std::chrono_literals;

// Generous: these wait for decoding on a shared, loaded machine, and return as soon as done.
constexpr auto kPatience = 20s;

sim::ShotConditions vga() {
  sim::ShotConditions shot;
  shot.frame_size = {640, 480};
  return shot;
}

// A "film" of the counter: runs of frames with a code (nullopt: nobody showing one).
std::vector<cv::Mat> film(std::uint64_t seed,
                          const std::vector<std::pair<std::optional<std::string>, int>>& runs) {
  sim::CameraSim camera(seed);
  std::vector<cv::Mat> frames;
  for (const auto& [text, count] : runs) {
    for (int i = 0; i < count; ++i) {
      if (text) {
        auto frame = camera.shoot(*text, vga());
        EXPECT_TRUE(frame);
        frames.push_back(frame->image);
      } else {
        frames.push_back(camera.shoot_empty(vga()).image);
      }
    }
  }
  return frames;
}

// Waits (up to kPatience) until the scanner has looked at `frames` frames.
bool wait_for_frames(const CameraScanner& scanner, std::uint64_t frames) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (scanner.counts().frames < frames) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

// The next text, skipping `unavailable` answers while the camera comes back.
std::optional<std::string> next_text(CameraScanner& scanner) {
  const auto deadline = std::chrono::steady_clock::now() + kPatience;
  while (std::chrono::steady_clock::now() < deadline) {
    auto scan = scanner.next_scan(500ms);
    if (scan && *scan) return **scan;
  }
  return std::nullopt;
}

CameraScannerSettings quick_reopen() {
  CameraScannerSettings settings;
  settings.reopen_first_wait = 20ms;
  settings.reopen_longest_wait = 200ms;
  return settings;
}

TEST(CameraScanner, ACodeHeldInFrontOfTheCameraReachesTheKioskOnceAndAgainAfterAGap) {
  testing::TempDir dir;
  const std::string a = "CIVICBOX:PICKUP:7K3MQ9XR2D4P";
  const std::string b = "CIVICBOX:PICKUP:M2XD98AB4KQ1";
  // At 30 frames a second: A for 0.5 s, B for 0.3 s, 3 s of nothing, A again.
  const auto frames = film(11, {{a, 15}, {std::nullopt, 3}, {b, 9}, {std::nullopt, 90}, {a, 8}});
  ASSERT_TRUE(sim::write_image_sequence(dir.path(), frames));

  CameraScanner scanner(std::make_unique<ImageSequence>(sim::frame_pattern(dir.path())));
  std::vector<std::string> scans;
  for (int i = 0; i < 3; ++i) {
    auto scan = scanner.next_scan(kPatience);
    ASSERT_TRUE(scan) << scan.error().describe();
    ASSERT_TRUE(*scan) << "scan " << i << " never came";
    scans.push_back(**scan);
  }
  EXPECT_EQ(scans, (std::vector<std::string>{a, b, a}));
  ASSERT_TRUE(wait_for_frames(scanner, frames.size()));
  auto more = scanner.next_scan(100ms);
  ASSERT_TRUE(more);
  EXPECT_FALSE(*more) << "reported again while held: " << **more;
  const auto counts = scanner.counts();
  EXPECT_EQ(counts.reported, 3u);
  EXPECT_GE(counts.reads, 25u);  // most frames with a code were read, and held ones dropped
}

TEST(CameraScanner, AnUnpluggedCameraIsReportedAndScanningResumesWhenItIsBack) {
  testing::TempDir dir;
  const std::string before = "CIVICBOX:PICKUP:BEFORE00001";
  const std::string after = "CIVICBOX:PICKUP:AFTER000002";
  ASSERT_TRUE(sim::write_image_sequence(dir.path(), film(21, {{before, 4}})));
  CameraScanner scanner(std::make_unique<ImageSequence>(sim::frame_pattern(dir.path())),
                        quick_reopen());
  EXPECT_EQ(next_text(scanner), before);

  // Unplugged: the frame files go away.
  for (const auto& file : std::filesystem::directory_iterator(dir.path())) {
    std::filesystem::remove(file.path());
  }
  auto gone = scanner.next_scan(kPatience);
  ASSERT_FALSE(gone) << "no error while the camera is gone";
  EXPECT_EQ(gone.error().code, ErrorCode::unavailable);
  EXPECT_NE(gone.error().message.find("camera " + sim::frame_pattern(dir.path()) + " unplugged"),
            std::string::npos)
      << gone.error().message;
  // Still gone: every call says so (after its wait, so a caller's loop does not spin).
  auto still = scanner.next_scan(50ms);
  ASSERT_FALSE(still);
  EXPECT_EQ(still.error().code, ErrorCode::unavailable);
  EXPECT_FALSE(scanner.counts().available);

  // Plugged back in.
  ASSERT_TRUE(sim::write_image_sequence(dir.path(), film(22, {{after, 4}})));
  EXPECT_EQ(next_text(scanner), after);
  EXPECT_TRUE(scanner.counts().available);
  EXPECT_EQ(scanner.counts().unplugged, 1u);
}

TEST(CameraScanner, PushedFramesReachTheKioskAndACameraThatFailsThenRecoversIsUsedAgain) {
  auto owned = std::make_unique<PushedFrames>("test camera");
  PushedFrames& camera = *owned;
  CameraScanner scanner(std::move(owned), quick_reopen());
  sim::CameraSim sim(31);
  const std::string first = "CIVICBOX:BADGE:CLERK-0042";
  const std::string second = "CIVICBOX:PICKUP:Q9XR2D4P7K3M";
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(camera.push(sim.shoot(first, vga())->image));
  EXPECT_EQ(next_text(scanner), first);

  camera.set_plugged_in(false);
  auto gone = scanner.next_scan(kPatience);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::unavailable);

  camera.set_plugged_in(true);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(camera.push(sim.shoot(second, vga())->image));
  EXPECT_EQ(next_text(scanner), second);
}

TEST(CameraScanner, ACodeWhosePayloadIsNotUtf8TextIsNeverReported) {
  auto owned = std::make_unique<PushedFrames>("test camera");
  PushedFrames& camera = *owned;
  CameraScanner scanner(std::move(owned));
  sim::CameraSim sim(41);
  const std::vector<std::uint8_t> latin1 = {'A', 'b', 'h', 'o', 'l', 'u', 'n', 'g', ' ', 0xe9};
  const std::vector<std::uint8_t> binary = {0x00, 0xff, 0x10, 0x80, 0x7f, 0x1b, 0xc0, 0xaf};
  for (const auto& payload : {latin1, binary}) {
    auto symbol = qr::make_qr_from_bytes(payload);
    ASSERT_TRUE(symbol);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(camera.push(sim.shoot(*symbol, vga()).image));
  }
  const std::string ours = "CIVICBOX:PICKUP:7K3MQ9XR2D4P";
  ASSERT_TRUE(camera.push(sim.shoot(ours, vga())->image));
  EXPECT_EQ(next_text(scanner), ours);  // the first and only text reported
  ASSERT_TRUE(wait_for_frames(scanner, 7));
  auto more = scanner.next_scan(100ms);
  ASSERT_TRUE(more);
  EXPECT_FALSE(*more);
  EXPECT_GE(scanner.counts().foreign, 4u) << "the foreign codes were not even seen";
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(CameraScanner, AnIdleOrMissingCameraCostsNoCpuAndStopEndsTheWorker) {
  testing::TempDir dir;
  // Idle (nobody pushing) and missing (no frame files): neither spins.
  CameraScanner idle(std::make_unique<PushedFrames>());
  CameraScanner missing(std::make_unique<ImageSequence>(sim::frame_pattern(dir.path())),
                        quick_reopen());
  std::this_thread::sleep_for(100ms);
  const double cpu_before = process_cpu_seconds();
  auto none = idle.next_scan(1s);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  // Spinning threads would burn about 2 s of CPU in this second; a blocked pair almost none.
  EXPECT_LT(process_cpu_seconds() - cpu_before, 0.5);
  EXPECT_FALSE(missing.next_scan(10ms));

  idle.stop();
  missing.stop();
  auto stopped = idle.next_scan(10ms);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace civicbox::drivers::camera
