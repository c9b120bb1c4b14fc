#include "tests/drivers/printer/usb/emulated_usb_printer.hpp"

// clang-format off
#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/usbdevice_fs.h>
// clang-format on
#include <umockdev.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace civicbox::testing {

namespace {

constexpr std::uint8_t kPrinterClass = 7;

std::string hex(const std::vector<std::uint8_t>& bytes) {
  std::string text;
  char pair[3];
  for (std::uint8_t byte : bytes) {
    std::snprintf(pair, sizeof pair, "%02x", byte);
    text += pair;
  }
  return text;
}

void put16(std::vector<std::uint8_t>& bytes, std::uint16_t value) {
  bytes.push_back(static_cast<std::uint8_t>(value & 0xff));
  bytes.push_back(static_cast<std::uint8_t>(value >> 8));
}

std::vector<std::uint8_t> printer_descriptors(std::uint16_t vendor, std::uint16_t product) {
  std::vector<std::uint8_t> d = {0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40};
  put16(d, vendor);
  put16(d, product);
  // bcdDevice 1.00, strings 1 (maker) 2 (product) 3 (serial), one configuration.
  d.insert(d.end(), {0x00, 0x01, 0x01, 0x02, 0x03, 0x01});
  // clang-format off
  const std::vector<std::uint8_t> config = {
      0x09, 0x02, 0x30, 0x00, 0x02, 0x01, 0x00, 0xc0, 0x32,        // 48 bytes, 2 interfaces
      0x09, 0x04, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,        // 0: vendor class
      0x07, 0x05, EmulatedUsbPrinter::kDecoyOut, 0x02, 0x40, 0x00, 0x00,
      0x09, 0x04, 0x01, 0x00, 0x02, kPrinterClass, 0x01, 0x02, 0x00,  // 1: printer, bidi
      0x07, 0x05, EmulatedUsbPrinter::kPrinterOut, 0x02, 0x40, 0x00, 0x00,
      0x07, 0x05, EmulatedUsbPrinter::kPrinterIn, 0x02, 0x40, 0x00, 0x00,
  };
  // clang-format on
  d.insert(d.end(), config.begin(), config.end());
  return d;
}

std::vector<std::uint8_t> root_hub_descriptors() {
  // clang-format off
  return {0x12, 0x01, 0x00, 0x02, 0x09, 0x00, 0x01, 0x40, 0x6b, 0x1d,   // 1d6b:0002, hub class
          0x02, 0x00, 0x06, 0x05, 0x03, 0x02, 0x01, 0x01,
          0x09, 0x02, 0x19, 0x00, 0x01, 0x01, 0x00, 0xe0, 0x00,         // configuration
          0x09, 0x04, 0x00, 0x00, 0x01, 0x09, 0x00, 0x00, 0x00,         // hub interface
          0x07, 0x05, 0x81, 0x03, 0x04, 0x00, 0x0c};                    // status endpoint
  // clang-format on
}

std::string device_record(const std::string& sys_path, int device_number, int speed,
                          const std::vector<std::uint8_t>& descriptors) {
  char number[4];
  std::snprintf(number, sizeof number, "%03d", device_number);
  std::string record = "P: " + sys_path.substr(std::strlen("/sys")) + "\n";
  record += "N: bus/usb/001/" + std::string(number) + "\n";
  record += "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: BUSNUM=001\n";
  record += "E: DEVNUM=" + std::string(number) + "\n";
  record += "E: DEVNAME=/dev/bus/usb/001/" + std::string(number) + "\n";
  // Attribute values are escaped in a record: "\\n" is the newline sysfs files end with.
  record += "A: busnum=1\\n\n";
  record += "A: devnum=" + std::to_string(device_number) + "\\n\n";
  record += "A: bConfigurationValue=1\\n\n";
  record += "A: speed=" + std::to_string(speed) + "\\n\n";
  record += "H: descriptors=" + hex(descriptors) + "\n";
  return record;
}

void add_device(UMockdevTestbed* testbed, const std::string& record) {
  GError* error = nullptr;
  if (!umockdev_testbed_add_from_string(testbed, record.c_str(), &error)) {
    std::fprintf(stderr, "umockdev: adding device failed: %s\n",
                 error != nullptr ? error->message : "?");
    if (error != nullptr) g_error_free(error);
  }
}

// Resolves a pointer in the ioctl argument to a local copy of the client's memory.
UMockdevIoctlData* resolve(UMockdevIoctlData* parent, std::size_t offset, std::size_t length) {
  GError* error = nullptr;
  UMockdevIoctlData* data = umockdev_ioctl_data_resolve(parent, offset, length, &error);
  if (error != nullptr) {
    std::fprintf(stderr, "umockdev: resolving ioctl data failed: %s\n", error->message);
    g_error_free(error);
  }
  return data;
}

void update(UMockdevIoctlData* data, std::size_t offset, const void* bytes, std::size_t length) {
  std::vector<std::uint8_t> copy(static_cast<const std::uint8_t*>(bytes),
                                 static_cast<const std::uint8_t*>(bytes) + length);
  umockdev_ioctl_data_update(data, offset, copy.data(), static_cast<gint>(copy.size()));
}

std::vector<std::uint8_t> string_descriptor(const std::string& text) {
  std::vector<std::uint8_t> d = {static_cast<std::uint8_t>(2 + 2 * text.size()), 0x03};
  for (char c : text) put16(d, static_cast<std::uint8_t>(c));
  return d;
}

}  // namespace

bool running_under_umockdev() {
  // umockdev_in_mock_environment() is only true once a testbed exists; before that, the
  // wrapper is recognised by the library it preloads.
  const char* preload = std::getenv("LD_PRELOAD");
  return preload != nullptr && std::strstr(preload, "libumockdev-preload") != nullptr;
}

UsbTestbed::UsbTestbed() : testbed_(umockdev_testbed_new()) {
  add_device(testbed_, device_record("/sys/devices/usb1", 1, 480, root_hub_descriptors()));
}

UsbTestbed::~UsbTestbed() {
  g_object_unref(testbed_);
}

EmulatedUsbPrinter::EmulatedUsbPrinter(UsbTestbed& testbed, Identity identity)
    : testbed_(testbed), identity_(std::move(identity)), handler_(umockdev_ioctl_base_new()) {
  g_signal_connect(handler_, "handle-ioctl", G_CALLBACK(&EmulatedUsbPrinter::on_ioctl), this);
  g_signal_connect(handler_, "client-connected",
                   G_CALLBACK(&EmulatedUsbPrinter::on_client_connected), this);
}

EmulatedUsbPrinter::~EmulatedUsbPrinter() {
  g_signal_handlers_disconnect_by_data(handler_, this);
  {
    const std::lock_guard lock(mutex_);
    drop_all_urbs();
  }
  g_object_unref(handler_);
}

std::string EmulatedUsbPrinter::sys_path() const {
  return "/sys/devices/usb1/1-" + std::to_string(identity_.port);
}

std::string EmulatedUsbPrinter::device_node() const {
  const std::lock_guard lock(mutex_);
  char node[32];
  std::snprintf(node, sizeof node, "/dev/bus/usb/001/%03d", device_number_);
  return node;
}

void EmulatedUsbPrinter::plug_in() {
  std::string node;
  {
    const std::lock_guard lock(mutex_);
    drop_all_urbs();
    ++device_number_;
    plugged_ = true;
    driver_bound_ = true;  // usblp grabs a printer the moment it appears
    claimed_ = false;
    to_host_.clear();
    dle_eot_tail_.clear();
  }
  node = device_node();
  // The ioctl handler first, so the node answers as soon as the "add" uevent is out.
  GError* error = nullptr;
  if (!umockdev_testbed_attach_ioctl(testbed_.get(), node.c_str(), handler_, &error)) {
    std::fprintf(stderr, "umockdev: attach_ioctl %s failed: %s\n", node.c_str(),
                 error != nullptr ? error->message : "?");
    if (error != nullptr) g_error_free(error);
  }
  int number = 0;
  {
    const std::lock_guard lock(mutex_);
    number = device_number_;
  }
  add_device(testbed_.get(),
             device_record(sys_path(), number, 12,
                           printer_descriptors(identity_.vendor, identity_.product)));
}

void EmulatedUsbPrinter::unplug() {
  cut_cable_silently();
  umockdev_testbed_uevent(testbed_.get(), sys_path().c_str(), "remove");
  umockdev_testbed_remove_device(testbed_.get(), sys_path().c_str());
}

void EmulatedUsbPrinter::cut_cable_silently() {
  {
    const std::lock_guard lock(mutex_);
    plugged_ = false;
    driver_bound_ = false;
    claimed_ = false;
    // The kernel ends whatever was in flight; libusb reaps it as "no device".
    while (!waiting_.empty()) {
      Urb urb = waiting_.front();
      waiting_.pop_front();
      finish(urb, -ESHUTDOWN, 0);
    }
  }
}

void EmulatedUsbPrinter::announce_again() {
  umockdev_testbed_uevent(testbed_.get(), sys_path().c_str(), "add");
}

void EmulatedUsbPrinter::answer_status_with(std::uint8_t status) {
  const std::lock_guard lock(mutex_);
  status_reply_ = status;
}

void EmulatedUsbPrinter::never_answer() {
  const std::lock_guard lock(mutex_);
  status_reply_.reset();
}

void EmulatedUsbPrinter::accept_at_most(std::size_t bytes_per_transfer) {
  const std::lock_guard lock(mutex_);
  accept_limit_ = bytes_per_transfer;
}

void EmulatedUsbPrinter::stop_taking_data() {
  const std::lock_guard lock(mutex_);
  taking_data_ = false;
}

void EmulatedUsbPrinter::set_port_status(std::uint8_t status) {
  const std::lock_guard lock(mutex_);
  port_status_ = status;
}

void EmulatedUsbPrinter::queue_reply(std::vector<std::uint8_t> bytes) {
  const std::lock_guard lock(mutex_);
  to_host_.insert(to_host_.end(), bytes.begin(), bytes.end());
}

std::vector<std::uint8_t> EmulatedUsbPrinter::received(std::uint8_t endpoint) const {
  const std::lock_guard lock(mutex_);
  const auto found = received_.find(endpoint);
  return found == received_.end() ? std::vector<std::uint8_t>{} : found->second;
}

std::size_t EmulatedUsbPrinter::out_transfers(std::uint8_t endpoint) const {
  const std::lock_guard lock(mutex_);
  const auto found = out_transfers_.find(endpoint);
  return found == out_transfers_.end() ? 0 : found->second;
}

int EmulatedUsbPrinter::opens() const {
  const std::lock_guard lock(mutex_);
  return opens_;
}
int EmulatedUsbPrinter::claims() const {
  const std::lock_guard lock(mutex_);
  return claims_;
}
int EmulatedUsbPrinter::driver_detaches() const {
  const std::lock_guard lock(mutex_);
  return detaches_;
}
int EmulatedUsbPrinter::driver_attaches() const {
  const std::lock_guard lock(mutex_);
  return attaches_;
}
bool EmulatedUsbPrinter::driver_bound() const {
  const std::lock_guard lock(mutex_);
  return driver_bound_;
}
bool EmulatedUsbPrinter::claimed() const {
  const std::lock_guard lock(mutex_);
  return claimed_;
}

void EmulatedUsbPrinter::on_client_connected(UMockdevIoctlBase*, UMockdevIoctlClient*, void* self) {
  auto* printer = static_cast<EmulatedUsbPrinter*>(self);
  const std::lock_guard lock(printer->mutex_);
  ++printer->opens_;
}

int EmulatedUsbPrinter::on_ioctl(UMockdevIoctlBase*, UMockdevIoctlClient* client, void* self) {
  return static_cast<EmulatedUsbPrinter*>(self)->handle_ioctl(client) ? TRUE : FALSE;
}

bool EmulatedUsbPrinter::handle_ioctl(UMockdevIoctlClient* client) {
  const unsigned long request = umockdev_ioctl_client_get_request(client);
  UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
  const std::string node = umockdev_ioctl_client_get_devnode(client);
  const std::string current = device_node();
  const std::lock_guard lock(mutex_);

  if (!plugged_ || node != current) {
    // A pulled cable: reap what the kernel ended, then nothing but ENODEV.
    if ((request == USBDEVFS_REAPURB || request == USBDEVFS_REAPURBNDELAY) && !finished_.empty()) {
      reap(client);
    } else {
      umockdev_ioctl_client_complete(client, -1, ENODEV);
    }
    return true;
  }

  switch (request) {
    case USBDEVFS_GET_CAPABILITIES: {
      UMockdevIoctlData* caps = resolve(arg, 0, sizeof(__u32));
      const __u32 value = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_BULK_CONTINUATION |
                          USBDEVFS_CAP_NO_PACKET_SIZE_LIM | USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
      update(caps, 0, &value, sizeof value);
      umockdev_ioctl_data_unref(caps);
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_CLAIMINTERFACE:
    case USBDEVFS_RELEASEINTERFACE: {
      UMockdevIoctlData* number = resolve(arg, 0, sizeof(unsigned int));
      const unsigned int interface = *reinterpret_cast<unsigned int*>(number->data);
      umockdev_ioctl_data_unref(number);
      if (static_cast<int>(interface) == kPrinterInterface) {
        if (request == USBDEVFS_RELEASEINTERFACE) {
          claimed_ = false;
        } else if (driver_bound_) {
          umockdev_ioctl_client_complete(client, -1, EBUSY);  // usblp still has it
          return true;
        } else {
          claimed_ = true;
          ++claims_;
        }
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_DISCONNECT_CLAIM: {
      UMockdevIoctlData* data = resolve(arg, 0, sizeof(usbdevfs_disconnect_claim));
      const auto* claim = reinterpret_cast<const usbdevfs_disconnect_claim*>(data->data);
      const bool printer = static_cast<int>(claim->interface) == kPrinterInterface;
      const bool names_usblp = std::strcmp(claim->driver, "usblp") == 0;
      const bool detach =
          ((claim->flags & USBDEVFS_DISCONNECT_CLAIM_EXCEPT_DRIVER) != 0)
              ? !names_usblp
              : ((claim->flags & USBDEVFS_DISCONNECT_CLAIM_IF_DRIVER) != 0 ? names_usblp : true);
      umockdev_ioctl_data_unref(data);
      if (printer) {
        if (driver_bound_ && detach) {
          driver_bound_ = false;
          ++detaches_;
        }
        if (driver_bound_) {
          umockdev_ioctl_client_complete(client, -1, EBUSY);
          return true;
        }
        claimed_ = true;
        ++claims_;
      }
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    }
    case USBDEVFS_GETDRIVER: {
      UMockdevIoctlData* data = resolve(arg, 0, sizeof(usbdevfs_getdriver));
      const auto* get = reinterpret_cast<const usbdevfs_getdriver*>(data->data);
      if (static_cast<int>(get->interface) == kPrinterInterface && driver_bound_) {
        const char name[] = "usblp";
        update(data, offsetof(usbdevfs_getdriver, driver), name, sizeof name);
        umockdev_ioctl_client_complete(client, 0, 0);
      } else {
        umockdev_ioctl_client_complete(client, -1, ENODATA);
      }
      umockdev_ioctl_data_unref(data);
      return true;
    }
    case USBDEVFS_IOCTL: {
      UMockdevIoctlData* data = resolve(arg, 0, sizeof(usbdevfs_ioctl));
      const auto* command = reinterpret_cast<const usbdevfs_ioctl*>(data->data);
      const bool printer = command->ifno == kPrinterInterface;
      const auto code = static_cast<unsigned long>(command->ioctl_code);
      umockdev_ioctl_data_unref(data);
      if (code == USBDEVFS_DISCONNECT) {
        if (printer && driver_bound_) {
          driver_bound_ = false;
          ++detaches_;
          umockdev_ioctl_client_complete(client, 0, 0);
        } else {
          umockdev_ioctl_client_complete(client, -1, ENODATA);
        }
      } else if (code == USBDEVFS_CONNECT) {
        if (printer && claimed_) {
          umockdev_ioctl_client_complete(client, -1, EBUSY);
        } else {
          if (printer && !driver_bound_) {
            driver_bound_ = true;
            ++attaches_;
          }
          umockdev_ioctl_client_complete(client, 0, 0);
        }
      } else {
        umockdev_ioctl_client_complete(client, -1, ENOTTY);
      }
      return true;
    }
    case USBDEVFS_SETINTERFACE:
    case USBDEVFS_CLEAR_HALT:
    case USBDEVFS_RESETEP:
    case USBDEVFS_RESET:
      umockdev_ioctl_client_complete(client, 0, 0);
      return true;
    case USBDEVFS_SUBMITURB:
      submit(client);
      return true;
    case USBDEVFS_REAPURB:
    case USBDEVFS_REAPURBNDELAY:
      answer_in_transfers();
      reap(client);
      return true;
    case USBDEVFS_DISCARDURB:
      discard(client);
      return true;
    default:
      std::fprintf(stderr, "emulated printer: unhandled ioctl 0x%lx\n", request);
      return false;  // umockdev answers ENOTTY
  }
}

void EmulatedUsbPrinter::submit(UMockdevIoctlClient* client) {
  UMockdevIoctlData* arg = umockdev_ioctl_client_get_arg(client);
  Urb urb;
  urb.urb = resolve(arg, 0, sizeof(usbdevfs_urb));
  const auto* request = reinterpret_cast<const usbdevfs_urb*>(urb.urb->data);
  urb.endpoint = request->endpoint;
  urb.length = request->buffer_length;
  const unsigned char type = request->type;
  if (urb.length > 0) {
    urb.buffer =
        resolve(urb.urb, offsetof(usbdevfs_urb, buffer), static_cast<std::size_t>(urb.length));
  }
  std::uint8_t* bytes = urb.buffer != nullptr ? urb.buffer->data : nullptr;

  if (type == USBDEVFS_URB_TYPE_CONTROL && bytes != nullptr && urb.length >= 8) {
    control(urb, bytes);
  } else if (type == USBDEVFS_URB_TYPE_BULK && (urb.endpoint & 0x80) != 0) {
    waiting_.push_back(urb);
  } else if (type == USBDEVFS_URB_TYPE_BULK) {
    if (taking_data_) {
      take_out_bytes(urb, bytes);
    } else {
      waiting_.push_back(urb);
    }
  } else {
    if (urb.buffer != nullptr) umockdev_ioctl_data_unref(urb.buffer);
    umockdev_ioctl_data_unref(urb.urb);
    umockdev_ioctl_client_complete(client, -1, EINVAL);
    return;
  }
  umockdev_ioctl_client_complete(client, 0, 0);
}

void EmulatedUsbPrinter::take_out_bytes(Urb& urb, const std::uint8_t* buffer) {
  int taken = urb.length;
  if (accept_limit_ != 0) taken = std::min(taken, static_cast<int>(accept_limit_));
  std::vector<std::uint8_t>& log = received_[urb.endpoint];
  if (buffer != nullptr) log.insert(log.end(), buffer, buffer + taken);
  ++out_transfers_[urb.endpoint];

  if (urb.endpoint == kPrinterOut && buffer != nullptr) {
    // DLE EOT n, even when split over two transfers.
    std::vector<std::uint8_t> window = dle_eot_tail_;
    window.insert(window.end(), buffer, buffer + taken);
    for (std::size_t i = 0; i + 2 < window.size(); ++i) {
      if (window[i] == 0x10 && window[i + 1] == 0x04 && window[i + 2] >= 1 && window[i + 2] <= 4 &&
          status_reply_) {
        to_host_.push_back(*status_reply_);
      }
    }
    const std::size_t keep = std::min<std::size_t>(2, window.size());
    dle_eot_tail_.assign(window.end() - static_cast<long>(keep), window.end());
  }
  finish(urb, 0, taken);
}

void EmulatedUsbPrinter::control(Urb& urb, std::uint8_t* buffer) {
  const std::uint8_t request_type = buffer[0];
  const std::uint8_t request = buffer[1];
  const std::uint16_t value = static_cast<std::uint16_t>(buffer[2] | (buffer[3] << 8));
  const std::uint16_t length = static_cast<std::uint16_t>(buffer[6] | (buffer[7] << 8));
  std::vector<std::uint8_t> answer;
  bool stall = false;
  if (request_type == 0x80 && request == 6 && (value >> 8) == 3) {  // GET_DESCRIPTOR string
    switch (value & 0xff) {
      case 0:
        answer = {0x04, 0x03, 0x09, 0x04};  // English (US)
        break;
      case 1:
        answer = string_descriptor("Civic Test");
        break;
      case 2:
        answer = string_descriptor("Receipt Printer");
        break;
      case 3:
        answer = string_descriptor(identity_.serial);
        break;
      default:
        stall = true;
    }
  } else if (request_type == 0xA1 && request == 1) {  // printer class GET_PORT_STATUS
    answer = {port_status_};
  } else {
    stall = true;
  }
  if (stall) {
    finish(urb, -EPIPE, 0);
    return;
  }
  const std::size_t room = std::min<std::size_t>(length, static_cast<std::size_t>(urb.length - 8));
  const std::size_t count = std::min(answer.size(), room);
  update(urb.buffer, 8, answer.data(), count);
  finish(urb, 0, static_cast<int>(count));
}

void EmulatedUsbPrinter::answer_in_transfers() {
  for (auto it = waiting_.begin(); it != waiting_.end() && !to_host_.empty();) {
    if ((it->endpoint & 0x80) == 0) {
      ++it;
      continue;
    }
    const std::size_t count = std::min(to_host_.size(), static_cast<std::size_t>(it->length));
    const std::vector<std::uint8_t> bytes(to_host_.begin(),
                                          to_host_.begin() + static_cast<long>(count));
    to_host_.erase(to_host_.begin(), to_host_.begin() + static_cast<long>(count));
    update(it->buffer, 0, bytes.data(), bytes.size());
    const Urb done = *it;
    it = waiting_.erase(it);
    finish(done, 0, static_cast<int>(count));
  }
}

void EmulatedUsbPrinter::finish(Urb urb, int status, int actual_length) {
  update(urb.urb, offsetof(usbdevfs_urb, status), &status, sizeof status);
  update(urb.urb, offsetof(usbdevfs_urb, actual_length), &actual_length, sizeof actual_length);
  finished_.push_back(urb);
}

void EmulatedUsbPrinter::reap(UMockdevIoctlClient* client) {
  if (finished_.empty()) {
    umockdev_ioctl_client_complete(client, -1, EAGAIN);
    return;
  }
  const Urb urb = finished_.front();
  finished_.pop_front();
  UMockdevIoctlData* pointer = resolve(umockdev_ioctl_client_get_arg(client), 0, sizeof(void*));
  umockdev_ioctl_data_set_ptr(pointer, 0, urb.urb);
  umockdev_ioctl_data_unref(pointer);
  if (urb.buffer != nullptr) umockdev_ioctl_data_unref(urb.buffer);
  umockdev_ioctl_data_unref(urb.urb);
  umockdev_ioctl_client_complete(client, 0, 0);
}

void EmulatedUsbPrinter::discard(UMockdevIoctlClient* client) {
  // The argument is the client's urb pointer itself.
  const auto address =
      *reinterpret_cast<const unsigned long*>(umockdev_ioctl_client_get_arg(client)->data);
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (it->urb->client_addr == address) {
      const Urb urb = *it;
      waiting_.erase(it);
      finish(urb, -ENOENT, 0);
      umockdev_ioctl_client_complete(client, 0, 0);
      return;
    }
  }
  umockdev_ioctl_client_complete(client, -1, EINVAL);
}

void EmulatedUsbPrinter::drop_all_urbs() {
  for (std::deque<Urb>* queue : {&waiting_, &finished_}) {
    for (const Urb& urb : *queue) {
      if (urb.buffer != nullptr) umockdev_ioctl_data_unref(urb.buffer);
      umockdev_ioctl_data_unref(urb.urb);
    }
    queue->clear();
  }
}

}  // namespace civicbox::testing
