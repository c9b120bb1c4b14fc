#include "drivers/printer/usb/usb_printer_transport.hpp"

#include <libusb.h>
#include <sys/time.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <mutex>
#include <optional>
#include <utility>

namespace civicbox::drivers {

namespace {

constexpr std::uint8_t kPrinterClass = 7;
constexpr std::uint8_t kGetPortStatusRequestType =
    0xA1;  // class request, interface, device-to-host
constexpr std::uint8_t kGetPortStatus = 1;

std::string hex4(std::uint16_t value) {
  char text[5];
  std::snprintf(text, sizeof text, "%04x", value);
  return text;
}

// libusb reads a timeout of 0 as "wait forever": never hand it one.
unsigned int libusb_timeout(std::chrono::milliseconds wait) {
  if (wait.count() < 1) return 1;
  if (wait.count() > static_cast<long long>(UINT_MAX)) return UINT_MAX;
  return static_cast<unsigned int>(wait.count());
}

std::string usb_error(int code) {
  return libusb_strerror(static_cast<libusb_error>(code));
}

struct ConfigDeleter {
  void operator()(libusb_config_descriptor* config) const { libusb_free_config_descriptor(config); }
};
using ConfigDescriptor = std::unique_ptr<libusb_config_descriptor, ConfigDeleter>;

ConfigDescriptor config_of(libusb_device* device) {
  libusb_config_descriptor* config = nullptr;
  if (libusb_get_active_config_descriptor(device, &config) != 0 &&
      libusb_get_config_descriptor(device, 0, &config) != 0) {
    return nullptr;
  }
  return ConfigDescriptor(config);
}

// The interface we print through and its endpoints, as the descriptors say.
struct PrinterInterface {
  int number = -1;
  int alt_setting = 0;
  std::uint8_t endpoint_out = 0;
  std::uint8_t endpoint_in = 0;  // 0: a one-way printer, reads return nothing
  std::uint16_t in_packet_size = 64;
};

// Prefers a bidirectional printer-class interface, then a one-way one; when the device was
// named by its ids, also accepts any interface with a bulk OUT endpoint (vendor-class clones).
std::optional<PrinterInterface> find_printer_interface(const libusb_config_descriptor& config,
                                                       bool any_class) {
  std::optional<PrinterInterface> best;
  int best_score = 0;
  for (int i = 0; i < config.bNumInterfaces; ++i) {
    const libusb_interface& interface = config.interface[i];
    for (int a = 0; a < interface.num_altsetting; ++a) {
      const libusb_interface_descriptor& alt = interface.altsetting[a];
      PrinterInterface found;
      found.number = alt.bInterfaceNumber;
      found.alt_setting = alt.bAlternateSetting;
      for (int e = 0; e < alt.bNumEndpoints; ++e) {
        const libusb_endpoint_descriptor& endpoint = alt.endpoint[e];
        if ((endpoint.bmAttributes & LIBUSB_TRANSFER_TYPE_MASK) != LIBUSB_TRANSFER_TYPE_BULK)
          continue;
        if ((endpoint.bEndpointAddress & LIBUSB_ENDPOINT_DIR_MASK) == LIBUSB_ENDPOINT_IN) {
          if (found.endpoint_in == 0) {
            found.endpoint_in = endpoint.bEndpointAddress;
            if (endpoint.wMaxPacketSize > 0) found.in_packet_size = endpoint.wMaxPacketSize;
          }
        } else if (found.endpoint_out == 0) {
          found.endpoint_out = endpoint.bEndpointAddress;
        }
      }
      if (found.endpoint_out == 0) continue;
      const bool printer = alt.bInterfaceClass == kPrinterClass;
      const int score = printer ? (found.endpoint_in != 0 ? 3 : 2) : (any_class ? 1 : 0);
      if (score > best_score) {
        best = found;
        best_score = score;
      }
    }
  }
  return best;
}

struct DeviceList {
  libusb_device** devices = nullptr;
  ssize_t count = 0;
  explicit DeviceList(libusb_context* context) {
    count = libusb_get_device_list(context, &devices);
  }
  ~DeviceList() {
    if (devices != nullptr) libusb_free_device_list(devices, 1);
  }
  DeviceList(const DeviceList&) = delete;
  DeviceList& operator=(const DeviceList&) = delete;
};

std::string port_path(libusb_device* device) {
  std::uint8_t ports[8];
  const int depth = libusb_get_port_numbers(device, ports, sizeof ports);
  std::string path;
  for (int i = 0; i < depth; ++i) {
    if (i > 0) path += '.';
    path += std::to_string(ports[i]);
  }
  return path;
}

}  // namespace

struct UsbPrinterTransport::Impl {
  UsbPrinterSettings settings;
  libusb_context* context = nullptr;
  bool hotplug = false;
  libusb_hotplug_callback_handle hotplug_handle = 0;

  // The open printer, if any.
  libusb_device_handle* handle = nullptr;
  PrinterInterface interface;
  std::uint8_t bus = 0;
  std::uint8_t address = 0;
  std::vector<std::uint8_t> unread;  // bytes read beyond what a caller asked for

  // What we know of the device for messages; kept after an unplug.
  std::uint16_t vendor = 0;
  std::uint16_t product = 0;
  std::string serial;
  std::string location;  // "bus 1 port 3"

  // Set by hotplug callbacks (which run inside our own libusb calls, under `mutex`).
  bool left = false;  // the open device was unplugged
  bool lost = false;  // the link was lost and not yet re-opened: say "unplugged"

  mutable std::mutex mutex;

  ~Impl() {
    close_device();
    if (hotplug) libusb_hotplug_deregister_callback(context, hotplug_handle);
    if (context != nullptr) libusb_exit(context);
  }

  // "USB printer 0416:5011", or the first printer-class device when no ids were given.
  [[nodiscard]] std::string label() const {
    if (vendor != 0 || product != 0) return "USB printer " + hex4(vendor) + ":" + hex4(product);
    return "USB printer (first printer-class device)";
  }
  [[nodiscard]] std::string label_with_serial() const {
    std::string text = label();
    if (!serial.empty()) text += " serial " + serial;
    return text;
  }

  static int LIBUSB_CALL on_hotplug(libusb_context*, libusb_device* device,
                                    libusb_hotplug_event event, void* user_data) {
    static_cast<Impl*>(user_data)->note_hotplug(device, event);
    return 0;  // stay registered
  }

  // Only records, never opens: an arrival (reported once or twice) needs nothing, because the
  // next call that finds no open device scans the device list and opens it, once. The
  // departure of the open device makes the next call close it and say "unplugged".
  void note_hotplug(libusb_device* device, libusb_hotplug_event event) {
    const bool ours = handle != nullptr && libusb_get_bus_number(device) == bus &&
                      libusb_get_device_address(device) == address;
    if (event == LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT && ours) left = true;
  }

  void handle_pending_events() {
    if (!hotplug) return;
    timeval zero{0, 0};
    libusb_handle_events_timeout_completed(context, &zero, nullptr);
  }

  void close_device() {
    if (handle == nullptr) return;
    // With auto-detach on, releasing also gives the interface back to the kernel's usblp.
    libusb_release_interface(handle, interface.number);
    libusb_close(handle);
    handle = nullptr;
    unread.clear();
    left = false;
  }

  Error link_lost(std::string what) {
    close_device();
    lost = true;
    return make_error(ErrorCode::unavailable, std::move(what));
  }

  [[nodiscard]] std::string absent_message() const {
    if (lost) return label() + " unplugged (was on " + location + ")";
    std::string text = label();
    if (!settings.serial.empty()) text += " serial " + settings.serial;
    return text + " is not plugged in";
  }

  // Errors from a transfer on the open handle. A device that is gone closes the handle, so the
  // next call looks for it again.
  Error transfer_error(int code, std::string_view doing) {
    if (code == LIBUSB_ERROR_NO_DEVICE) return link_lost(label() + " unplugged");
    if (code == LIBUSB_ERROR_IO) {
      return link_lost(label() + ": I/O error while " + std::string(doing) +
                       " (loose cable or unplugged?)");
    }
    return make_error(ErrorCode::io,
                      label() + ": " + std::string(doing) + " failed: " + usb_error(code));
  }

  Expected<void> open_device() {
    const DeviceList list(context);
    if (list.count < 0) {
      return make_error(ErrorCode::unavailable,
                        "listing USB devices: " + usb_error(static_cast<int>(list.count)));
    }
    const bool by_ids = settings.vendor_id != 0 || settings.product_id != 0;
    std::optional<Error> failure;
    for (ssize_t i = 0; i < list.count; ++i) {
      libusb_device* device = list.devices[i];
      libusb_device_descriptor descriptor{};
      if (libusb_get_device_descriptor(device, &descriptor) != 0) continue;
      if (by_ids && (descriptor.idVendor != settings.vendor_id ||
                     descriptor.idProduct != settings.product_id)) {
        continue;
      }
      const ConfigDescriptor config = config_of(device);
      if (!config) continue;
      const std::optional<PrinterInterface> found = find_printer_interface(*config, by_ids);
      if (!found) continue;

      const std::string where =
          "bus " + std::to_string(libusb_get_bus_number(device)) + " port " + port_path(device);
      const std::string name =
          "USB printer " + hex4(descriptor.idVendor) + ":" + hex4(descriptor.idProduct);
      const std::string who = name + " on " + where;
      // Gone between the listing and the open: the same words as any other unplug.
      const Error gone = make_error(ErrorCode::unavailable,
                                    name + " unplugged (while opening it on " + where + ")");
      libusb_device_handle* opened = nullptr;
      int result = libusb_open(device, &opened);
      if (result == LIBUSB_ERROR_NO_DEVICE) {
        failure = gone;
        continue;
      }
      if (result != 0) {
        std::string why = usb_error(result);
        if (result == LIBUSB_ERROR_ACCESS) {
          why += " (the service user needs write access to /dev/bus/usb: install the udev rule)";
        }
        failure = make_error(ErrorCode::unavailable, "opening " + who + ": " + why);
        continue;
      }
      std::string device_serial;
      if (descriptor.iSerialNumber != 0) {
        unsigned char text[128] = {};
        const int length = libusb_get_string_descriptor_ascii(opened, descriptor.iSerialNumber,
                                                              text, sizeof text - 1);
        if (length > 0) device_serial.assign(reinterpret_cast<const char*>(text), length);
      }
      if (!settings.serial.empty() && device_serial != settings.serial) {
        libusb_close(opened);
        continue;
      }
      libusb_set_auto_detach_kernel_driver(opened, 1);  // fails only where detaching is unknown
      result = libusb_claim_interface(opened, found->number);
      if (result == 0 && found->alt_setting != 0) {
        result = libusb_set_interface_alt_setting(opened, found->number, found->alt_setting);
        if (result != 0) libusb_release_interface(opened, found->number);
      }
      if (result != 0) {
        libusb_close(opened);
        if (result == LIBUSB_ERROR_NO_DEVICE) {
          failure = gone;
          continue;
        }
        std::string why = usb_error(result);
        if (result == LIBUSB_ERROR_BUSY) why += " (another program holds it: CUPS, ipp-usb?)";
        failure = make_error(
            ErrorCode::unavailable,
            "claiming interface " + std::to_string(found->number) + " of " + who + ": " + why);
        continue;
      }
      handle = opened;
      interface = *found;
      bus = libusb_get_bus_number(device);
      address = libusb_get_device_address(device);
      vendor = descriptor.idVendor;
      product = descriptor.idProduct;
      serial = device_serial;
      location = where;
      left = false;
      lost = false;
      unread.clear();
      return {};
    }
    if (failure) return *failure;
    return make_error(ErrorCode::not_found, absent_message());
  }

  // Before every transfer: notice an unplug reported by hotplug, and (re-)open if needed.
  Expected<void> ensure_open() {
    handle_pending_events();
    if (handle != nullptr && left) {
      close_device();
      lost = true;
    }
    if (handle != nullptr) return {};
    auto opened = open_device();
    if (!opened) {
      const Error& error = opened.error();
      if (error.code == ErrorCode::not_found) {
        return make_error(ErrorCode::unavailable, error.message);
      }
      return error;
    }
    return {};
  }

  Expected<void> write(std::span<const std::uint8_t> bytes) {
    CIVICBOX_CHECK(ensure_open());
    std::size_t sent = 0;
    int idle_rounds = 0;
    while (sent < bytes.size()) {
      const std::size_t chunk = std::min(settings.chunk_size, bytes.size() - sent);
      int done = 0;
      // libusb takes a non-const buffer for both directions; OUT transfers only read it.
      auto* data = const_cast<unsigned char*>(bytes.data() + sent);
      const int result =
          libusb_bulk_transfer(handle, interface.endpoint_out, data, static_cast<int>(chunk), &done,
                               libusb_timeout(settings.write_timeout));
      if (done > 0) {
        sent += std::min(static_cast<std::size_t>(done), chunk);
        idle_rounds = 0;
      }
      const std::string progress =
          std::to_string(sent) + " of " + std::to_string(bytes.size()) + " bytes sent";
      if (result == 0 || (result == LIBUSB_ERROR_TIMEOUT && done > 0)) {
        // A partial transfer: send the rest. A transfer that completes with nothing taken
        // would loop forever; give it a few chances.
        if (done <= 0 && ++idle_rounds > 3) {
          return make_error(ErrorCode::io, label() + " takes no data (" + progress + ")");
        }
        continue;
      }
      if (result == LIBUSB_ERROR_TIMEOUT) {
        return make_error(ErrorCode::unavailable,
                          label() + " took no data for " +
                              std::to_string(settings.write_timeout.count()) + " ms (" + progress +
                              "): paper out, cover open or offline?");
      }
      if (result == LIBUSB_ERROR_PIPE) {
        libusb_clear_halt(handle, interface.endpoint_out);
        return make_error(ErrorCode::io, label() + " stalled the data pipe (" + progress + ")");
      }
      return transfer_error(result, "writing (" + progress + ")");
    }
    return {};
  }

  std::vector<std::uint8_t> take_unread(std::size_t max) {
    const std::size_t count = std::min(max, unread.size());
    std::vector<std::uint8_t> taken(unread.begin(), unread.begin() + static_cast<long>(count));
    unread.erase(unread.begin(), unread.begin() + static_cast<long>(count));
    return taken;
  }

  Expected<std::vector<std::uint8_t>> read(std::size_t max, std::chrono::milliseconds wait) {
    if (max == 0) return std::vector<std::uint8_t>{};
    CIVICBOX_CHECK(ensure_open());
    if (!unread.empty()) return take_unread(max);
    if (interface.endpoint_in == 0) return std::vector<std::uint8_t>{};
    // Ask for whole packets: a device may send a full packet whatever we asked for, and a
    // smaller buffer would overflow.
    const std::size_t packet = interface.in_packet_size;
    std::vector<std::uint8_t> buffer((max + packet - 1) / packet * packet);
    int got = 0;
    const int result =
        libusb_bulk_transfer(handle, interface.endpoint_in, buffer.data(),
                             static_cast<int>(buffer.size()), &got, libusb_timeout(wait));
    if (result != 0 && result != LIBUSB_ERROR_TIMEOUT) {
      return transfer_error(result, "reading status");
    }
    buffer.resize(static_cast<std::size_t>(std::max(got, 0)));
    unread = std::move(buffer);
    return take_unread(max);
  }

  void discard_input() {
    unread.clear();
    handle_pending_events();
    if (handle == nullptr || left || interface.endpoint_in == 0) return;
    std::vector<std::uint8_t> buffer(interface.in_packet_size);
    // A bounded number of rounds: a printer that chatters without end must not hang us.
    for (int round = 0; round < 16; ++round) {
      int got = 0;
      const int result = libusb_bulk_transfer(handle, interface.endpoint_in, buffer.data(),
                                              static_cast<int>(buffer.size()), &got, 10);
      if (result == LIBUSB_ERROR_NO_DEVICE || result == LIBUSB_ERROR_IO) {
        (void)link_lost(label() + " unplugged");
        return;
      }
      if (result != 0 || got <= 0) return;
    }
  }

  Expected<UsbPortStatus> port_status() {
    CIVICBOX_CHECK(ensure_open());
    std::uint8_t status = 0;
    const int result =
        libusb_control_transfer(handle, kGetPortStatusRequestType, kGetPortStatus, 0,
                                static_cast<std::uint16_t>(interface.number), &status, 1,
                                libusb_timeout(settings.control_timeout));
    if (result == 1) return UsbPortStatus{status};
    if (result >= 0) {
      return make_error(ErrorCode::io, label() + " answered GET_PORT_STATUS with no byte");
    }
    return transfer_error(result, "asking GET_PORT_STATUS");
  }

  [[nodiscard]] std::string describe() const {
    std::string text = "usb ";
    if (vendor != 0 || product != 0) {
      text += hex4(vendor) + ":" + hex4(product);
    } else if (settings.vendor_id != 0 || settings.product_id != 0) {
      text += hex4(settings.vendor_id) + ":" + hex4(settings.product_id);
    } else {
      text += "printer-class device";
    }
    const std::string& known_serial = serial.empty() ? settings.serial : serial;
    if (!known_serial.empty()) text += " serial " + known_serial;
    if (handle != nullptr) return text + " on " + location;
    if (!location.empty()) return text + " (unplugged, was on " + location + ")";
    return text + " (not plugged in)";
  }
};

UsbPrinterTransport::UsbPrinterTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UsbPrinterTransport::~UsbPrinterTransport() = default;

Expected<std::unique_ptr<UsbPrinterTransport>> UsbPrinterTransport::create(
    UsbPrinterSettings settings) {
  if ((settings.vendor_id == 0) != (settings.product_id == 0)) {
    return make_error(ErrorCode::invalid_argument,
                      "USB printer: give both vendor and product id, or neither");
  }
  if (settings.chunk_size == 0 || settings.chunk_size > static_cast<std::size_t>(INT_MAX)) {
    return make_error(ErrorCode::invalid_argument, "USB printer: chunk size out of range");
  }
  auto impl = std::make_unique<Impl>();
  impl->settings = std::move(settings);
  impl->vendor = impl->settings.vendor_id;
  impl->product = impl->settings.product_id;
  const int result = libusb_init(&impl->context);
  if (result != 0) {
    impl->context = nullptr;
    return make_error(ErrorCode::unavailable, "starting libusb: " + usb_error(result));
  }
  if (libusb_has_capability(LIBUSB_CAP_HAS_HOTPLUG) != 0) {
    const bool by_ids = impl->settings.vendor_id != 0;
    const int registered = libusb_hotplug_register_callback(
        impl->context,
        static_cast<libusb_hotplug_event>(LIBUSB_HOTPLUG_EVENT_DEVICE_ARRIVED |
                                          LIBUSB_HOTPLUG_EVENT_DEVICE_LEFT),
        LIBUSB_HOTPLUG_ENUMERATE, by_ids ? impl->settings.vendor_id : LIBUSB_HOTPLUG_MATCH_ANY,
        by_ids ? impl->settings.product_id : LIBUSB_HOTPLUG_MATCH_ANY, LIBUSB_HOTPLUG_MATCH_ANY,
        &Impl::on_hotplug, impl.get(), &impl->hotplug_handle);
    impl->hotplug = registered == LIBUSB_SUCCESS;
  }
  {
    const std::lock_guard lock(impl->mutex);
    (void)impl->open_device();  // best effort: the printer may come later
  }
  return std::unique_ptr<UsbPrinterTransport>(new UsbPrinterTransport(std::move(impl)));
}

Expected<void> UsbPrinterTransport::connect() {
  const std::lock_guard lock(impl_->mutex);
  impl_->handle_pending_events();
  if (impl_->handle != nullptr && impl_->left) {
    impl_->close_device();
    impl_->lost = true;
  }
  if (impl_->handle != nullptr) return {};
  return impl_->open_device();
}

bool UsbPrinterTransport::connected() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->handle != nullptr && !impl_->left;
}

Expected<UsbPortStatus> UsbPrinterTransport::port_status() {
  const std::lock_guard lock(impl_->mutex);
  return impl_->port_status();
}

Expected<void> UsbPrinterTransport::write(std::span<const std::uint8_t> bytes) {
  const std::lock_guard lock(impl_->mutex);
  return impl_->write(bytes);
}

Expected<std::vector<std::uint8_t>> UsbPrinterTransport::read(std::size_t max,
                                                              std::chrono::milliseconds wait) {
  const std::lock_guard lock(impl_->mutex);
  return impl_->read(max, wait);
}

void UsbPrinterTransport::discard_input() {
  const std::lock_guard lock(impl_->mutex);
  impl_->discard_input();
}

std::string UsbPrinterTransport::describe() const {
  const std::lock_guard lock(impl_->mutex);
  return impl_->describe();
}

}  // namespace civicbox::drivers
