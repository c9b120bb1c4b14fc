// Keyboard-wedge scanners: what the decoder makes of key events (Shift, repeats, keys without a
// character, lost events, timeouts) and what the driver does with a device that delivers them.
//
// The driver is tested through a FIFO carrying raw input_event structs, with the grab explicitly
// allowed to fail (a FIFO is no evdev device; these machines have no uinput), plus tests that
// the grab is attempted and its failure refuses the scanner by default. That the kernel keeps a
// grabbed device's keys from every other reader is EVIOCGRAB's contract, not tested here.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "common/scanned.hpp"
#include "drivers/scanner/wedge/keystroke_decoder.hpp"
#include "drivers/scanner/wedge/us_key_map.hpp"
#include "drivers/scanner/wedge/wedge_scanner.hpp"
#include "tests/support/checked_code.hpp"

namespace civicbox::scanner {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using testing::with_check;

const std::string kPickup = with_check("4F7KQ29X");

input_event key(unsigned code, int value) {
  input_event e{};
  e.type = EV_KEY;
  e.code = static_cast<unsigned short>(code);
  e.value = value;
  return e;
}

std::vector<input_event> typed(std::string_view text) {
  auto events = keystrokes_for(text);
  EXPECT_TRUE(events) << events.error().describe();
  return events ? *events : std::vector<input_event>{};
}

// Everything the decoder gives for these events, fed 1 ms apart.
std::vector<KeystrokeResult> decode(const std::vector<input_event>& events,
                                    KeystrokeDecoderOptions options = {}) {
  KeystrokeDecoder decoder(options);
  auto now = Clock::time_point{} + 1h;
  for (const auto& e : events) decoder.feed(e, now += 1ms);
  std::vector<KeystrokeResult> out;
  while (auto r = decoder.take()) out.push_back(std::move(*r));
  return out;
}

std::vector<std::string> scans_of(const std::vector<KeystrokeResult>& results) {
  std::vector<std::string> out;
  for (const auto& r : results) {
    if (const auto* s = std::get_if<TypedScan>(&r)) out.push_back(s->text);
  }
  return out;
}

// ---- the decoder ----

TEST(KeystrokeDecoder, ShiftGivesCapitalsAndTheSymbolsOfEveryCivicboxCode) {
  const std::string badge = "CBX-BADGE:CLERK-0042";
  const std::string url = "https://civicbox.example.org/p/" + kPickup;
  const std::string all = "aZ09`~!@#$%^&*()-_=+[{]}\\|;:'\",<.>/? ";
  for (const std::string& text : {badge, url, all}) {
    EXPECT_EQ(scans_of(decode(typed(text))), std::vector<std::string>{text});
  }
}

TEST(KeystrokeDecoder, EitherShiftKeyCountsAndReleasingOneOfTwoKeepsShift) {
  const std::vector<input_event> events{
      key(KEY_RIGHTSHIFT, 1), key(KEY_SEMICOLON, 1), key(KEY_SEMICOLON, 0), key(KEY_LEFTSHIFT, 1),
      key(KEY_RIGHTSHIFT, 0), key(KEY_MINUS, 1),     key(KEY_LEFTSHIFT, 0), key(KEY_MINUS, 1),
      key(KEY_SLASH, 1),      key(KEY_ENTER, 1)};
  EXPECT_EQ(scans_of(decode(events)), std::vector<std::string>{":_-/"});
}

TEST(KeystrokeDecoder, KeyRepeatsAndCapsLockChangeNothing) {
  const std::vector<input_event> events{key(KEY_A, 1), key(KEY_A, 2),        key(KEY_A, 2),
                                        key(KEY_A, 0), key(KEY_CAPSLOCK, 1), key(KEY_CAPSLOCK, 0),
                                        key(KEY_B, 1), key(KEY_ENTER, 1),    key(KEY_ENTER, 2)};
  EXPECT_EQ(scans_of(decode(events)), std::vector<std::string>{"ab"});
}

TEST(KeystrokeDecoder, KeypadDigitsAndKeypadEnterWork) {
  const std::vector<input_event> events{key(KEY_KP4, 1), key(KEY_KPMINUS, 1), key(KEY_KP2, 1),
                                        key(KEY_KPENTER, 1)};
  EXPECT_EQ(scans_of(decode(events)), std::vector<std::string>{"4-2"});
}

TEST(KeystrokeDecoder, EachScanArrivesOnceAndEnterAloneGivesNothing) {
  auto events = typed(kPickup);
  auto second = typed("CBX-BADGE:ABCD");
  events.insert(events.end(), second.begin(), second.end());
  events.push_back(key(KEY_ENTER, 1));
  EXPECT_EQ(scans_of(decode(events)), (std::vector<std::string>{kPickup, "CBX-BADGE:ABCD"}));
}

TEST(KeystrokeDecoder, AKeyWithoutACharacterOrAChordDropsTheWholeScan) {
  for (const auto& intruder :
       {std::vector<input_event>{key(KEY_TAB, 1)}, std::vector<input_event>{key(KEY_F1, 1)},
        std::vector<input_event>{key(KEY_BACKSPACE, 1)},
        std::vector<input_event>{key(KEY_LEFTCTRL, 1), key(KEY_V, 1)}}) {
    auto events = typed(kPickup.substr(0, 4));
    events.pop_back();  // no Enter yet
    events.pop_back();
    events.pop_back();
    events.pop_back();
    events.insert(events.end(), intruder.begin(), intruder.end());
    auto rest = typed(kPickup.substr(4));
    events.insert(events.end(), rest.begin(), rest.end());
    const auto results = decode(events);
    ASSERT_EQ(results.size(), 1u);
    ASSERT_TRUE(std::holds_alternative<DroppedInput>(results[0]));
    EXPECT_EQ(std::get<DroppedInput>(results[0]).reason, WedgeDrop::unknown_key);
  }
}

TEST(KeystrokeDecoder, LostEventsDropTheScanTheyHappenedIn) {
  auto events = typed(kPickup);
  input_event dropped{};
  dropped.type = EV_SYN;
  dropped.code = SYN_DROPPED;
  events.insert(events.begin() + 6, dropped);
  const auto results = decode(events);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(std::get<DroppedInput>(results[0]).reason, WedgeDrop::events_lost);
}

TEST(KeystrokeDecoder, OverLongInputIsDroppedWhole) {
  KeystrokeDecoderOptions options;
  options.max_length = 16;
  const auto results = decode(typed(std::string(17, 'A')), options);
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(std::get<DroppedInput>(results[0]).reason, WedgeDrop::too_long);
  EXPECT_EQ(std::get<DroppedInput>(results[0]).length, 17u);
  EXPECT_EQ(scans_of(decode(typed(std::string(16, 'A')), options)).size(), 1u);
}

TEST(KeystrokeDecoder, APartialScanWithoutEnterIsDroppedAndNeverPrefixesTheNext) {
  KeystrokeDecoder decoder({kMaxScannedLength, 500ms});
  auto now = Clock::time_point{} + 1h;
  auto partial = typed("4F7K");
  partial.resize(partial.size() - 4);                  // no Enter
  for (const auto& e : partial) decoder.feed(e, now);  // typed within one instant
  ASSERT_TRUE(decoder.expires_at());
  EXPECT_EQ(*decoder.expires_at(), now + 500ms);
  decoder.expire(now + 499ms);
  EXPECT_FALSE(decoder.take());
  now += 2s;
  for (const auto& e : typed(kPickup)) decoder.feed(e, now += 1ms);
  auto first = decoder.take();
  ASSERT_TRUE(first);
  EXPECT_EQ(std::get<DroppedInput>(*first).reason, WedgeDrop::no_enter);
  EXPECT_EQ(std::get<DroppedInput>(*first).length, 4u);
  auto second = decoder.take();
  ASSERT_TRUE(second);
  EXPECT_EQ(std::get<TypedScan>(*second).text, kPickup);
  EXPECT_FALSE(decoder.expires_at());
}

TEST(UsKeyMap, EveryPrintableAsciiCharacterIsTypedAndReadBack) {
  for (char c = 0x20; c < 0x7F; ++c) {
    const auto stroke = us_keystroke(c);
    ASSERT_TRUE(stroke) << c;
    EXPECT_EQ(us_character(stroke->key_code, stroke->shift), c);
  }
  EXPECT_FALSE(us_keystroke('\t'));
  EXPECT_FALSE(keystrokes_for("caf\xc3\xa9"));
}

// ---- the driver, over a FIFO ----

class WedgeScannerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("civicbox-wedge-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "usb-Scanner-event-kbd").string();
    plug();
  }
  void TearDown() override {
    if (writer_ >= 0) ::close(writer_);
    std::filesystem::remove_all(dir_);
  }

  void plug() {
    ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    writer_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);  // never blocks on Linux
    ASSERT_GE(writer_, 0);
  }
  void unplug() {
    ::close(writer_);
    writer_ = -1;
    std::filesystem::remove(path_);
  }

  void send(const std::vector<input_event>& events) {
    for (const auto& e : events) {
      ASSERT_EQ(::write(writer_, &e, sizeof e), static_cast<ssize_t>(sizeof e));
    }
  }

  std::unique_ptr<WedgeScanner> open_scanner() {
    WedgeScannerOptions o;
    o.device = path_;
    o.allow_ungrabbed = true;
    o.partial_timeout = 200ms;
    o.reopen_interval = 20ms;
    auto s = WedgeScanner::open(o);
    EXPECT_TRUE(s) << s.error().describe();
    return s ? std::move(*s) : nullptr;
  }

  std::filesystem::path dir_;
  std::string path_;
  int writer_ = -1;
};

TEST_F(WedgeScannerTest, AScannedPickupCodeArrivesOnceExactly) {
  auto scanner = open_scanner();
  ASSERT_TRUE(scanner);
  EXPECT_FALSE(scanner->grabbed());
  send(typed(kPickup));
  auto scan = scanner->next_scan(5s);
  ASSERT_TRUE(scan) << scan.error().describe();
  ASSERT_TRUE(*scan);
  EXPECT_EQ(**scan, kPickup);
  auto parsed = parse_scanned(**scan);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(std::holds_alternative<PickupCode>(*parsed));
  auto nothing = scanner->next_scan(300ms);
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing);
}

TEST_F(WedgeScannerTest, AnEventSplitAcrossWritesStillArrivesWhole) {
  auto scanner = open_scanner();
  ASSERT_TRUE(scanner);
  const auto events = typed("CBX-BADGE:AB12");
  const auto* bytes = reinterpret_cast<const char*>(events.data());
  const std::size_t size = events.size() * sizeof(input_event);
  ASSERT_EQ(::write(writer_, bytes, 5), 5);
  ASSERT_EQ(::write(writer_, bytes + 5, size - 5), static_cast<ssize_t>(size - 5));
  auto scan = scanner->next_scan(5s);
  ASSERT_TRUE(scan && *scan);
  EXPECT_EQ(**scan, "CBX-BADGE:AB12");
}

TEST_F(WedgeScannerTest, GarbageAndPartialCodesNeverProduceAScan) {
  auto scanner = open_scanner();
  ASSERT_TRUE(scanner);
  auto partial = typed(kPickup);
  partial.resize(partial.size() - 4);  // Enter lost
  send(partial);
  auto nothing = scanner->next_scan(1s);
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing);

  send({key(KEY_F5, 1), key(KEY_A, 1), key(KEY_ENTER, 1)});  // a key without a character
  nothing = scanner->next_scan(500ms);
  ASSERT_TRUE(nothing);
  EXPECT_FALSE(*nothing);

  send(typed(kPickup));
  auto scan = scanner->next_scan(5s);
  ASSERT_TRUE(scan && *scan);
  EXPECT_EQ(**scan, kPickup);  // nothing of the partial code in front of it
}

TEST_F(WedgeScannerTest, UnpluggedIsUnavailableAndAfterReplugItScansAgain) {
  auto scanner = open_scanner();
  ASSERT_TRUE(scanner);
  unplug();
  auto gone = scanner->next_scan(5s);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::unavailable);
  auto still_gone = scanner->next_scan(100ms);
  ASSERT_FALSE(still_gone);
  EXPECT_EQ(still_gone.error().code, ErrorCode::unavailable);

  plug();
  send(typed(kPickup));
  auto scan = scanner->next_scan(5s);
  ASSERT_TRUE(scan) << scan.error().describe();
  ASSERT_TRUE(*scan);
  EXPECT_EQ(**scan, kPickup);
}

TEST_F(WedgeScannerTest, TheGrabIsAttemptedAndAScannerThatCannotBeGrabbedIsRefused) {
  WedgeScannerOptions o;
  o.device = path_;  // a FIFO: EVIOCGRAB fails
  auto refused = WedgeScanner::open(o);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::invalid_argument);
  EXPECT_NE(refused.error().message.find("EVIOCGRAB"), std::string::npos);
  EXPECT_NE(refused.error().message.find("for the box alone"), std::string::npos);

  o.device = "/dev/null";
  refused = WedgeScanner::open(o);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("not an input event device"), std::string::npos);
}

TEST_F(WedgeScannerTest, AMissingDeviceIsUnavailable) {
  WedgeScannerOptions o;
  o.device = (dir_ / "no-such-event-kbd").string();
  auto missing = WedgeScanner::open(o);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::unavailable);
}

}  // namespace
}  // namespace civicbox::scanner
