// Frame sources: an image sequence plays like a camera and is "unplugged" when its files go;
// pushed frames are each handed over once, in order.
#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "drivers/scanner/camera/image_sequence.hpp"
#include "drivers/scanner/camera/pushed_frames.hpp"
#include "hardware/sim/camera/camera_sim.hpp"
#include "hardware/sim/camera/image_sequence_writer.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::drivers::camera {
namespace {

using namespace std::chrono_literals;

TEST(FrameFileName, FollowsThePrintfPatternAndRefusesOthers) {
  EXPECT_EQ(frame_file_name("d/frame_%03d.png", 7), "d/frame_007.png");
  EXPECT_EQ(frame_file_name("d/frame_%03d.png", 1234), "d/frame_1234.png");
  EXPECT_EQ(frame_file_name("f%d.jpg", 12), "f12.jpg");
  EXPECT_FALSE(frame_file_name("frame.png", 0));
  EXPECT_FALSE(frame_file_name("frame_%s.png", 0));
  EXPECT_FALSE(frame_file_name("%d_%d.png", 0));
  EXPECT_FALSE(frame_file_name("frame_%0d.png", 0));
}

std::vector<cv::Mat> empty_frames(int count) {
  sim::CameraSim camera(5);
  sim::ShotConditions shot;
  shot.frame_size = {320, 240};
  std::vector<cv::Mat> frames;
  for (int i = 0; i < count; ++i) frames.push_back(camera.shoot_empty(shot).image);
  return frames;
}

TEST(ImageSequence, PlaysEveryFrameWithMediaTimeThenWaitsAndIsGoneWhenTheFilesGo) {
  testing::TempDir dir;
  ASSERT_TRUE(sim::write_image_sequence(dir.path(), empty_frames(3)));
  ImageSequence sequence(sim::frame_pattern(dir.path()), {.frames_per_second = 10});
  ASSERT_TRUE(sequence.open());
  std::vector<std::chrono::steady_clock::time_point> times;
  for (int i = 0; i < 3; ++i) {
    auto frame = sequence.next_frame(10ms);
    ASSERT_TRUE(frame) << frame.error().describe();
    ASSERT_TRUE(*frame);
    EXPECT_EQ((*frame)->image.cols, 320);
    times.push_back((*frame)->taken_at);
  }
  EXPECT_EQ(times[1] - times[0],
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(100ms));
  EXPECT_EQ(times[2] - times[1],
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(100ms));
  auto ended = sequence.next_frame(10ms);
  ASSERT_TRUE(ended);
  EXPECT_FALSE(*ended);

  std::filesystem::remove_all(dir.path());
  auto gone = sequence.next_frame(10ms);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::unavailable);
  sequence.close();
  EXPECT_EQ(sequence.open().error().code, ErrorCode::unavailable);

  ASSERT_TRUE(sim::write_image_sequence(dir.path(), empty_frames(2)));
  ASSERT_TRUE(sequence.open());
  auto again = sequence.next_frame(10ms);
  ASSERT_TRUE(again && *again);
  EXPECT_GT((*again)->taken_at, times[2]);  // media time never goes back
}

TEST(PushedFrames, HandsOverEachFrameInOrderAndFailsWhileUnplugged) {
  PushedFrames frames("test camera", 8);
  ASSERT_TRUE(frames.open());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(frames.push(cv::Mat(2, 2, CV_8UC1, cv::Scalar(i))));
  for (int i = 0; i < 3; ++i) {
    auto frame = frames.next_frame(1s);
    ASSERT_TRUE(frame && *frame);
    EXPECT_EQ((*frame)->image.at<std::uint8_t>(0, 0), i);
  }
  auto none = frames.next_frame(10ms);
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);

  frames.set_plugged_in(false);
  EXPECT_FALSE(frames.push(cv::Mat(2, 2, CV_8UC1)));
  EXPECT_EQ(frames.next_frame(10ms).error().code, ErrorCode::unavailable);
  frames.close();
  EXPECT_EQ(frames.open().error().code, ErrorCode::unavailable);
  frames.set_plugged_in(true);
  ASSERT_TRUE(frames.open());
  ASSERT_TRUE(frames.push(cv::Mat(2, 2, CV_8UC1)));
  auto back = frames.next_frame(1s);
  ASSERT_TRUE(back && *back);
}

}  // namespace
}  // namespace civicbox::drivers::camera
