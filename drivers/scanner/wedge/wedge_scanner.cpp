#include "drivers/scanner/wedge/wedge_scanner.hpp"

#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "drivers/scanner/wedge/keystroke_decoder.hpp"

namespace civicbox::scanner {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

int poll_ms(Clock::duration left) {
  const auto ms = std::chrono::ceil<milliseconds>(left).count();
  return static_cast<int>(std::clamp<std::int64_t>(ms, 0, 60'000));
}

Error grab_failed(const std::string& path, int err) {
  std::string why = "cannot take the scanner " + path +
                    " for the box alone (EVIOCGRAB: " + std::strerror(err) + "): ";
  if (err == EBUSY) {
    return make_error(ErrorCode::conflict,
                      why + "another program holds it, and scanned codes would reach it too");
  }
  if (err == ENOTTY || err == EINVAL) {
    return make_error(ErrorCode::invalid_argument,
                      why + "it is not an input event device (a /dev/input/…-event-kbd path)");
  }
  return make_error(ErrorCode::unavailable, why + "scanned codes would be typed into the screen");
}

}  // namespace

struct WedgeScanner::Device {
  WedgeScannerOptions options;
  KeystrokeDecoder decoder;
  int fd = -1;
  bool grabbed = false;
  std::vector<std::uint8_t> carry;  // a part of an input_event (a pipe may split one)

  explicit Device(WedgeScannerOptions o)
      : options(std::move(o)),
        decoder(KeystrokeDecoderOptions{options.max_code_length, options.partial_timeout}) {}

  ~Device() { close(); }

  void close() {
    if (fd < 0) return;
    if (grabbed) ::ioctl(fd, EVIOCGRAB, 0);
    ::close(fd);
    fd = -1;
    grabbed = false;
    carry.clear();
    decoder.reset();
  }

  Expected<void> open() {
    const std::string& path = options.device;
    const int f = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (f < 0) {
      const int err = errno;
      std::string message = "opening the scanner " + path + ": " + std::strerror(err);
      if (err == EACCES) message += " (the box's user needs the `input` group)";
      return make_error(ErrorCode::unavailable, std::move(message));
    }
    if (::ioctl(f, EVIOCGRAB, 1) != 0) {
      const int err = errno;
      if (!options.allow_ungrabbed) {
        ::close(f);
        return grab_failed(path, err);
      }
      spdlog::warn("wedge scanner {}: running ungrabbed ({}), as the settings allow", path,
                   std::strerror(err));
    } else {
      grabbed = true;
    }
    fd = f;
    return {};
  }

  // The device went away: forget it and say so.
  Error lost(const std::string& why) {
    close();
    spdlog::warn("wedge scanner {}: unplugged ({})", options.device, why);
    return make_error(ErrorCode::unavailable,
                      "the scanner " + options.device + " is unplugged (" + why + ")");
  }

  // Reads what is there; an error when the device is gone.
  Expected<void> read_events(Clock::time_point now) {
    std::array<std::uint8_t, sizeof(input_event) * 64> buf{};
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n == 0) return lost("end of file");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return {};
      return lost(std::strerror(errno));
    }
    carry.insert(carry.end(), buf.begin(), buf.begin() + n);
    std::size_t used = 0;
    for (; used + sizeof(input_event) <= carry.size(); used += sizeof(input_event)) {
      input_event e{};
      std::memcpy(&e, carry.data() + used, sizeof e);
      decoder.feed(e, now);
    }
    carry.erase(carry.begin(), carry.begin() + static_cast<std::ptrdiff_t>(used));
    return {};
  }

  // The next finished scan; drops are logged on the way.
  std::optional<std::string> take_scan() {
    while (auto result = decoder.take()) {
      if (auto* scan = std::get_if<TypedScan>(&*result)) return std::move(scan->text);
      const auto& drop = std::get<DroppedInput>(*result);
      spdlog::warn("wedge scanner {}: dropped {} typed characters: {}", options.device, drop.length,
                   to_string(drop.reason));
    }
    return std::nullopt;
  }
};

WedgeScanner::WedgeScanner(std::unique_ptr<Device> device) : device_(std::move(device)) {}
WedgeScanner::~WedgeScanner() = default;

bool WedgeScanner::grabbed() const {
  return device_->grabbed;
}

Expected<std::unique_ptr<WedgeScanner>> WedgeScanner::open(WedgeScannerOptions options) {
  if (options.device.empty()) {
    return make_error(ErrorCode::invalid_argument, "no scanner device is set");
  }
  auto device = std::make_unique<Device>(std::move(options));
  CIVICBOX_CHECK(device->open());
  return std::unique_ptr<WedgeScanner>(new WedgeScanner(std::move(device)));
}

Expected<std::optional<std::string>> WedgeScanner::next_scan(milliseconds wait) {
  Device& d = *device_;
  const auto deadline = Clock::now() + wait;
  while (true) {
    if (d.fd < 0) {
      auto reopened = d.open();
      if (!reopened) {
        // Still gone (or back but not grabbable): look again until the wait is over.
        const auto now = Clock::now();
        if (now >= deadline) return reopened.error();
        std::this_thread::sleep_for(
            std::min<Clock::duration>(d.options.reopen_interval, deadline - now));
        continue;
      }
      spdlog::info("wedge scanner {}: plugged in again", d.options.device);
    }
    if (auto scan = d.take_scan()) return scan;
    auto now = Clock::now();
    d.decoder.expire(now);
    if (auto scan = d.take_scan()) return scan;
    if (now >= deadline) return std::optional<std::string>{};

    auto until = deadline;
    if (auto expiry = d.decoder.expires_at()) until = std::min(until, *expiry);
    pollfd p{d.fd, POLLIN, 0};
    const int r = ::poll(&p, 1, poll_ms(until - now));
    if (r < 0) {
      if (errno == EINTR) continue;
      return d.lost(std::strerror(errno));
    }
    if (r == 0) continue;
    if ((p.revents & POLLIN) == 0) {
      return d.lost((p.revents & POLLNVAL) != 0 ? "bad descriptor" : "hung up");
    }
    CIVICBOX_CHECK(d.read_events(Clock::now()));
  }
}

}  // namespace civicbox::scanner
