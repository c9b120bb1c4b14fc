// The camera QR scanner: a worker thread takes frames from a FrameSource, turns them gray,
// decodes QR codes (drivers/scanner/qr) and queues each new text for next_scan(). A code held in
// front of the camera is reported once (RepeatFilter). Foreign codes (not box text) are counted
// and dropped.
//
// When the camera goes away, next_scan() fails with `unavailable` ("camera /dev/video0
// unplugged, retrying: …") while the worker tries to open it again with backoff; scanning
// resumes by itself when it is back. Texts read before the camera went away are still handed
// out first. Idle costs nothing: the worker blocks on the source or sleeps out its backoff.
//
// The worker starts in the constructor; the destructor (or stop()) ends and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "drivers/scanner/camera/frame_source.hpp"
#include "drivers/scanner/qr/qr_code.hpp"
#include "drivers/scanner/scanner.hpp"

namespace civicbox::drivers::camera {

struct CameraScannerSettings {
  // A code is reported again only after it has been out of view this long.
  std::chrono::milliseconds report_again_after{2000};
  // Waits between attempts to open a missing camera: doubling from first to longest, jittered.
  std::chrono::milliseconds reopen_first_wait{250};
  std::chrono::milliseconds reopen_longest_wait{5000};
  qr::DecodeEffort decode{};
  // Texts nobody has asked for yet; beyond this the oldest is dropped (kiosk busy elsewhere).
  std::size_t unread_scans_kept = 16;
};

// What the worker has done so far, for logs and tests.
struct CameraScannerCounts {
  std::uint64_t frames = 0;     // frames looked at
  std::uint64_t reads = 0;      // frames in which a code with box text was read
  std::uint64_t reported = 0;   // texts queued for next_scan (after the repeat filter)
  std::uint64_t foreign = 0;    // frames with a code that is not box text
  std::uint64_t unplugged = 0;  // times the camera went away
  bool available = false;       // the camera is open now
};

class CameraScanner final : public Scanner {
 public:
  CameraScanner(std::unique_ptr<FrameSource> source, CameraScannerSettings settings = {});
  ~CameraScanner() override;
  CameraScanner(const CameraScanner&) = delete;
  CameraScanner& operator=(const CameraScanner&) = delete;

  // A queued text, or waits up to `wait` for one. While the camera is gone: returns
  // `unavailable` as soon as it goes, or after `wait` if it was already gone (never spins).
  Expected<std::optional<std::string>> next_scan(std::chrono::milliseconds wait) override;

  [[nodiscard]] CameraScannerCounts counts() const;

  // Ends the worker and closes the camera. Idempotent; next_scan() then returns unavailable.
  void stop();

 private:
  void run();
  void went_away(const Error& cause);
  void came_back();
  // Sleeps up to `wait`; false if stopping.
  bool pause(std::chrono::milliseconds wait);

  const std::unique_ptr<FrameSource> source_;
  const CameraScannerSettings settings_;

  mutable std::mutex mutex_;
  std::condition_variable scans_changed_;  // next_scan() waiters
  std::condition_variable stopping_;       // the worker's sleeps
  std::deque<std::string> unread_;
  std::optional<Error> gone_;  // set while the camera is unavailable
  std::uint64_t went_away_count_ = 0;
  CameraScannerCounts counts_;
  bool stop_ = false;

  std::thread worker_;  // last: starts after everything above is built
};

}  // namespace civicbox::drivers::camera
