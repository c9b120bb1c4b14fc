// A serial QR scanner on a pseudo-terminal, for tests and machines without the scanner. The
// driver opens port() as it would open /dev/serial/by-id/…; the simulator "scans" a code by
// writing it with its line end, from its own thread, so pieces can arrive with delays while the
// driver waits.
//
// Faults: line noise (garbage bytes), a code split across writes with gaps, a code without its
// line end, and unplugging (the master side is closed: the driver reads EOF or EIO). With
// `link` set, a symlink at that path always points at the current pty, as udev keeps
// /dev/serial/by-id/ links: it disappears on unplug() and comes back on replug(), which opens
// a new pty (a pty cannot come back under its old name reliably).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "common/error.hpp"

namespace civicbox::sim {

enum class ScanLineEnd { cr, lf, crlf };

struct SerialScannerSimOptions {
  ScanLineEnd line_end = ScanLineEnd::cr;  // the factory setting of most scanners
  std::string link;                        // optional stable path, like /dev/serial/by-id/…
};

class SerialScannerSim {
 public:
  // Opens the pty (raw) and starts the writer thread. Errors: io (no pty, cannot make the link).
  static Expected<std::unique_ptr<SerialScannerSim>> start(SerialScannerSimOptions options);
  ~SerialScannerSim();
  SerialScannerSim(const SerialScannerSim&) = delete;
  SerialScannerSim& operator=(const SerialScannerSim&) = delete;

  // What the driver opens: the link if set, else the current pty slave (e.g. /dev/pts/4).
  [[nodiscard]] std::string port() const;

  // A scan: the code and the line end in one write.
  void scan(std::string_view code);
  // A scan split into `pieces` writes, `gap` apart (the line end comes with the last piece).
  void scan_in_pieces(std::string_view code, std::size_t pieces, std::chrono::milliseconds gap);
  // The code alone: a scan whose line end was lost.
  void scan_without_line_end(std::string_view code);
  // `count` bytes of line noise (control and non-UTF-8 bytes, never a line end), then the line
  // end: one line that is no scan.
  void send_garbage(std::size_t count);
  // Exactly these bytes.
  void send_bytes(std::string_view bytes);

  // Waits until everything queued so far is written; false on timeout or when unplugged.
  bool wait_until_sent(std::chrono::milliseconds timeout);

  // Pulls the adapter: drops queued bytes, closes the pty, removes the link.
  void unplug();
  // Plugs it back: a new pty, the link pointing at it. Errors: io.
  Expected<void> replug();
  [[nodiscard]] bool plugged() const;

 private:
  using Clock = std::chrono::steady_clock;
  explicit SerialScannerSim(SerialScannerSimOptions options);
  Expected<void> open_pty();  // mutex held
  void close_pty();           // mutex held
  void queue(Clock::time_point due, std::string bytes);
  [[nodiscard]] std::string line_end() const;
  void run();

  SerialScannerSimOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  int master_ = -1;
  int slave_ = -1;  // kept open so the pty survives between driver sessions
  std::string slave_path_;
  std::multimap<Clock::time_point, std::string> outbox_;
  std::size_t writing_ = 0;  // entries taken from the outbox, not yet written
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace civicbox::sim
