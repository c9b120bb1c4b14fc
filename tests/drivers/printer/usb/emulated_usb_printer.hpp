// A USB receipt printer inside the test process, for testing the libusb transport without
// hardware or root. umockdev builds a private sysfs and /dev tree (UsbTestbed); the test binary
// runs under umockdev-wrapper, whose preloaded library sends libusb there and hands the usbfs
// ioctls on the printer's device node to EmulatedUsbPrinter, which answers them the way the
// kernel and a printer would:
// - bulk OUT bytes are recorded per endpoint, as they arrived;
// - DLE EOT n (10 04 n) is answered on bulk IN with the status byte the test chose (or never);
// - the kernel's usblp driver is bound to the printer interface until libusb detaches it;
// - unplug() makes every ioctl fail with ENODEV and sends the "remove" uevent; plug_in() adds
//   the device again with the next device number, as a real replug does.
// The ioctl handler runs on umockdev's worker thread; everything here is guarded by a mutex.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

typedef struct _UMockdevTestbed UMockdevTestbed;
typedef struct _UMockdevIoctlBase UMockdevIoctlBase;
typedef struct _UMockdevIoctlClient UMockdevIoctlClient;
typedef struct _UMockdevIoctlData UMockdevIoctlData;

namespace civicbox::testing {

// True when umockdev's preload library is active (the binary runs under umockdev-wrapper).
bool running_under_umockdev();

// An empty USB world with one root hub (bus 1). Create it before any libusb context and
// destroy it after the last one: libusb reads this tree only while it exists.
class UsbTestbed {
 public:
  UsbTestbed();
  ~UsbTestbed();
  UsbTestbed(const UsbTestbed&) = delete;
  UsbTestbed& operator=(const UsbTestbed&) = delete;
  [[nodiscard]] UMockdevTestbed* get() const { return testbed_; }

 private:
  UMockdevTestbed* testbed_;
};

class EmulatedUsbPrinter {
 public:
  struct Identity {
    std::uint16_t vendor = 0x0416;
    std::uint16_t product = 0x5011;
    std::string serial = "ABC";
    int port = 3;  // on the root hub of bus 1
  };
  // The descriptors: interface 0 is a vendor-class interface with its own bulk OUT endpoint
  // 0x01 (a decoy), interface 1 the printer (class 7, bidirectional) with bulk OUT 0x03 and
  // bulk IN 0x82. Nothing is plugged in until plug_in().
  static constexpr std::uint8_t kDecoyOut = 0x01;
  static constexpr std::uint8_t kPrinterOut = 0x03;
  static constexpr std::uint8_t kPrinterIn = 0x82;
  static constexpr int kPrinterInterface = 1;

  EmulatedUsbPrinter(UsbTestbed& testbed, Identity identity);
  explicit EmulatedUsbPrinter(UsbTestbed& testbed) : EmulatedUsbPrinter(testbed, Identity{}) {}
  ~EmulatedUsbPrinter();
  EmulatedUsbPrinter(const EmulatedUsbPrinter&) = delete;
  EmulatedUsbPrinter& operator=(const EmulatedUsbPrinter&) = delete;

  // Plugs the printer in (again): a new device number, usblp bound, an "add" uevent.
  void plug_in();
  // Pulls the cable: pending transfers end, every ioctl fails with ENODEV, "remove" uevent.
  void unplug();
  // The cable is gone but no uevent has reached libusb yet (the usual race on a real unplug):
  // the device just answers ENODEV.
  void cut_cable_silently();
  // A second "add" uevent for the device that is plugged in (udev sometimes repeats one).
  void announce_again();

  // How the printer behaves.
  void answer_status_with(std::uint8_t status);  // the reply to every DLE EOT n
  void never_answer();                           // a clone that ignores DLE EOT
  void accept_at_most(std::size_t bytes_per_transfer);
  void stop_taking_data();  // bulk OUT transfers stay pending (paper out)
  void set_port_status(std::uint8_t status);
  void queue_reply(std::vector<std::uint8_t> bytes);  // sent on bulk IN when asked

  // What it saw.
  [[nodiscard]] std::vector<std::uint8_t> received(std::uint8_t endpoint) const;
  [[nodiscard]] std::size_t out_transfers(std::uint8_t endpoint) const;
  [[nodiscard]] int opens() const;            // device node opened (libusb_open)
  [[nodiscard]] int claims() const;           // printer interface claimed
  [[nodiscard]] int driver_detaches() const;  // usblp detached from the printer interface
  [[nodiscard]] int driver_attaches() const;  // usblp re-attached
  [[nodiscard]] bool driver_bound() const;
  [[nodiscard]] bool claimed() const;
  [[nodiscard]] std::string device_node() const;  // "/dev/bus/usb/001/004"

 private:
  struct Urb {
    UMockdevIoctlData* urb = nullptr;     // our reference to the client's usbdevfs_urb
    UMockdevIoctlData* buffer = nullptr;  // and to its data buffer
    std::uint8_t endpoint = 0;
    int length = 0;
  };

  static int on_ioctl(UMockdevIoctlBase* handler, UMockdevIoctlClient* client, void* self);
  static void on_client_connected(UMockdevIoctlBase* handler, UMockdevIoctlClient* client,
                                  void* self);
  bool handle_ioctl(UMockdevIoctlClient* client);
  void submit(UMockdevIoctlClient* client);
  void reap(UMockdevIoctlClient* client);
  void discard(UMockdevIoctlClient* client);
  void control(Urb& urb, std::uint8_t* buffer);
  void take_out_bytes(Urb& urb, const std::uint8_t* buffer);
  void answer_in_transfers();
  void finish(Urb urb, int status, int actual_length);
  void drop_all_urbs();
  [[nodiscard]] std::string sys_path() const;

  UsbTestbed& testbed_;
  Identity identity_;
  UMockdevIoctlBase* handler_;

  mutable std::mutex mutex_;
  int device_number_ = 1;  // the root hub is 1; each plug-in takes the next
  bool plugged_ = false;
  std::optional<std::uint8_t> status_reply_{0x12};
  std::size_t accept_limit_ = 0;  // 0: everything
  bool taking_data_ = true;
  std::uint8_t port_status_ = 0x18;  // not-error, selected
  std::deque<std::uint8_t> to_host_;
  std::vector<std::uint8_t> dle_eot_tail_;  // the last bytes seen, for a split DLE EOT
  std::map<std::uint8_t, std::vector<std::uint8_t>> received_;
  std::map<std::uint8_t, std::size_t> out_transfers_;
  std::deque<Urb> waiting_;   // submitted, not finished (IN without data, OUT while paused)
  std::deque<Urb> finished_;  // waiting to be reaped
  int opens_ = 0;
  int claims_ = 0;
  int detaches_ = 0;
  int attaches_ = 0;
  bool driver_bound_ = false;
  bool claimed_ = false;
};

}  // namespace civicbox::testing
