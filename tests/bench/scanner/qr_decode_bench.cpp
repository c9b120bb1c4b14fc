// How long the camera scanner spends decoding one frame, with a code and without (most kiosk
// frames are empty), at 640×480 and 1280×720: ZXing with the effort the box uses, ZXing with the
// library's default effort (try harder, try rotate, try downscale), and zbar (QR only, Y800) —
// all on the same simulated frames, on one core. Prints median and 95th percentile per case, in
// thread CPU time.
// Target: median ≤ 5 ms per 720p frame for the box's ZXing.
//
// Usage: bench_qr_decode [frames per case, default 20] [repeats per frame, default 5]
#include <sched.h>
#include <zbar.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "drivers/scanner/qr/qr_code.hpp"
#include "hardware/sim/camera/camera_sim.hpp"

namespace {

using namespace civicbox;
using namespace zbar;  // in C++, zbar.h puts its C API in namespace zbar

struct Sample {
  cv::Mat gray;
  std::string text;  // empty: no code in the frame
};

// Frames a kiosk camera sees: a code at a usual size, a little blur and noise; or nothing.
std::vector<Sample> make_frames(cv::Size size, bool with_code, int count) {
  sim::CameraSim camera(static_cast<std::uint64_t>(size.width) * 7 + (with_code ? 1 : 0));
  std::vector<Sample> samples;
  for (int i = 0; i < count; ++i) {
    sim::ShotConditions shot;
    shot.frame_size = size;
    shot.module_px = 3 + (i % 4);
    shot.blur_sigma = (i % 3) * 0.6;
    shot.noise_sigma = 2 + (i % 5) * 2;
    shot.rotation_deg = (i * 23) % 360;
    Sample sample;
    cv::Mat bgr;
    if (with_code) {
      sample.text = "CIVICBOX:PICKUP:7K3MQ9XR" + std::to_string(1000 + i);
      bgr = camera.shoot(sample.text, shot)->image;
    } else {
      bgr = camera.shoot_empty(shot).image;
    }
    cv::cvtColor(bgr, sample.gray, cv::COLOR_BGR2GRAY);
    samples.push_back(std::move(sample));
  }
  return samples;
}

// Returns the text read, or "" for nothing.
using FrameDecoder = std::function<std::string(const cv::Mat& gray)>;

FrameDecoder zxing(drivers::qr::DecodeEffort effort) {
  return [effort](const cv::Mat& gray) {
    const auto read = drivers::qr::read_qr(
        {gray.data, gray.cols, gray.rows, static_cast<int>(gray.step[0])}, effort);
    return read ? read->text : std::string();
  };
}

class Zbar {
 public:
  Zbar() : scanner_(zbar_image_scanner_create()) {
    zbar_image_scanner_set_config(scanner_, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(scanner_, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  }
  ~Zbar() { zbar_image_scanner_destroy(scanner_); }
  Zbar(const Zbar&) = delete;
  Zbar& operator=(const Zbar&) = delete;

  std::string decode(const cv::Mat& gray) {
    const cv::Mat packed = gray.isContinuous() ? gray : gray.clone();
    zbar_image_t* image = zbar_image_create();
    zbar_image_set_format(image, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(image, static_cast<unsigned>(packed.cols),
                        static_cast<unsigned>(packed.rows));
    zbar_image_set_data(image, packed.data, packed.total(), nullptr);
    std::string text;
    if (zbar_scan_image(scanner_, image) > 0) {
      const zbar_symbol_t* symbol = zbar_image_first_symbol(image);
      if (symbol != nullptr) text = zbar_symbol_get_data(symbol);
    }
    zbar_image_destroy(image);
    return text;
  }

 private:
  zbar_image_scanner_t* scanner_;
};

struct Timing {
  double median_ms = 0;
  double p95_ms = 0;
  int read = 0;
  int wrong = 0;
};

// CPU time of this thread, in ms: the machine is shared, and wall time would count the time
// other processes had the core.
double thread_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) * 1e-6;
}

Timing measure(const FrameDecoder& decode, const std::vector<Sample>& frames, int repeats) {
  std::vector<double> ms;
  Timing timing;
  for (const auto& frame : frames) {
    for (int r = 0; r < repeats; ++r) {
      const double started = thread_cpu_ms();
      const std::string text = decode(frame.gray);
      ms.push_back(thread_cpu_ms() - started);
      if (r != 0) continue;
      if (!text.empty() && text == frame.text) ++timing.read;
      if (!text.empty() && text != frame.text) ++timing.wrong;
    }
  }
  std::sort(ms.begin(), ms.end());
  timing.median_ms = ms[ms.size() / 2];
  timing.p95_ms = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  return timing;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = argc > 1 ? std::atoi(argv[1]) : 20;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  // One core: stay on the one we started on.
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(static_cast<unsigned>(std::max(0, sched_getcpu())), &one);
  sched_setaffinity(0, sizeof one, &one);

  drivers::qr::DecodeEffort box;  // what CameraScanner uses
  drivers::qr::DecodeEffort library_default;
  library_default.try_harder = true;
  library_default.try_rotate = true;
  library_default.try_downscale = true;
  drivers::qr::DecodeEffort no_downscale = box;
  no_downscale.try_downscale = false;
  Zbar zbar;
  // Candidates for the empty-frame cost: decode a half-size copy (a 720p frame becomes 640×360).
  const auto half = [](FrameDecoder full) {
    return [full](const cv::Mat& gray) {
      cv::Mat small;
      cv::resize(gray, small, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
      return full(small);
    };
  };
  const auto half_then_full = [half](FrameDecoder full) {
    return [half_decode = half(full), full](const cv::Mat& gray) {
      std::string text = half_decode(gray);
      return text.empty() ? full(gray) : text;
    };
  };
  const std::vector<std::pair<const char*, FrameDecoder>> decoders = {
      {"zxing (box effort)", zxing(box)},
      {"zxing (no downscale)", zxing(no_downscale)},
      {"zxing (library default)", zxing(library_default)},
      {"zxing (half size only)", half(zxing(no_downscale))},
      {"zxing (half, then full)", half_then_full(zxing(no_downscale))},
      {"zbar 0.23 (QR, Y800)", [&zbar](const cv::Mat& gray) { return zbar.decode(gray); }},
  };

  std::printf("%d frames per case, each decoded %d times, one core\n", count, repeats);
  std::printf("%-24s %-9s %-7s %9s %9s %6s\n", "decoder", "frame", "code", "median ms", "p95 ms",
              "read");
  for (const cv::Size size : {cv::Size(640, 480), cv::Size(1280, 720)}) {
    for (const bool with_code : {true, false}) {
      const auto frames = make_frames(size, with_code, count);
      for (const auto& [name, decode] : decoders) {
        const Timing t = measure(decode, frames, repeats);
        const std::string frame = std::to_string(size.width) + "x" + std::to_string(size.height);
        char read[32];
        if (with_code) {
          std::snprintf(read, sizeof read, "%d/%d", t.read, count);
        } else {
          std::snprintf(read, sizeof read, "%d false", t.read + t.wrong);
        }
        std::printf("%-24s %-9s %-7s %9.2f %9.2f %6s\n", name, frame.c_str(),
                    with_code ? "yes" : "no", t.median_ms, t.p95_ms, read);
        if (t.wrong > 0) std::printf("  %d frames read as a wrong text\n", t.wrong);
      }
    }
  }
  return 0;
}
