// Cabinet profiles and BoardLockers: a profile read strictly (a typo is an error naming the key
// and its line), and compartments that open the right lock on the right simulated board.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "drivers/lockers/board_lockers.hpp"
#include "drivers/lockers/cabinet_profile.hpp"
#include "hardware/sim/lockboard/lock_board_sim.hpp"

namespace civicbox::lockers {
namespace {

using namespace std::chrono_literals;
using drivers::DoorState;

std::string bus(const std::string& device, const std::string& family = "kerong") {
  return "[[bus]]\ndevice = \"" + device + "\"\nfamily = \"" + family +
         "\"\nset_lock_bit = \"open\"\nreply_timeout_ms = 200\n\n";
}

std::string compartment(int number, int board, int lock, int row, int column, int bus_index = 0) {
  return "[[compartment]]\nnumber = " + std::to_string(number) +
         "\nbus = " + std::to_string(bus_index) + "\nboard = " + std::to_string(board) +
         "\nlock = " + std::to_string(lock) + "\nsize = \"M\"\nrow = " + std::to_string(row) +
         "\ncolumn = " + std::to_string(column) + "\nrole = \"pickup\"\n\n";
}

// Two Kerong boards (ids 1 and 2), compartments 1-4 on board 1 locks 1-4 and 5-8 on board 2
// locks 1-4: compartment 7 is board 2, lock 3.
std::string two_board_profile(const std::string& device) {
  std::string text = bus(device);
  for (int n = 1; n <= 8; ++n) text += compartment(n, n <= 4 ? 1 : 2, (n - 1) % 4 + 1, n, 1);
  return text;
}

Error parse_error(const std::string& text) {
  auto profile = parse_cabinet_profile(text);
  EXPECT_FALSE(profile) << "parsed: " << text;
  return profile ? Error{ErrorCode::internal, ""} : profile.error();
}

class BoardLockersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim::LockBoardSimOptions so;
    so.family = BoardFamily::kerong;
    so.boards = {1, 2};
    so.door_closes_after = 0ms;  // open until the test closes it
    auto s = sim::LockBoardSim::start(so);
    ASSERT_TRUE(s) << s.error().describe();
    sim_ = std::move(*s);
    auto profile = parse_cabinet_profile(two_board_profile(sim_->port()));
    ASSERT_TRUE(profile) << profile.error().describe();
    auto l = BoardLockers::open(*profile);
    ASSERT_TRUE(l) << l.error().describe();
    lockers_ = std::move(*l);
  }

  std::unique_ptr<sim::LockBoardSim> sim_;
  std::unique_ptr<BoardLockers> lockers_;
};

TEST_F(BoardLockersTest, ListsEveryCompartmentInOrder) {
  EXPECT_EQ(lockers_->compartments(), (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(BoardLockersTest, UnlockingCompartment7OpensBoard2Lock3Once) {
  auto unlocked = lockers_->unlock(7);
  ASSERT_TRUE(unlocked) << unlocked.error().describe();
  // Kerong boards do not answer an unlock: wait for the board to have acted on it.
  for (int i = 0; i < 100 && !sim_->door_open(2, 3); ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(sim_->unlocks_received(2, 3), 1);
  for (int board : {1, 2}) {
    for (int lock = 1; lock <= 16; ++lock) {
      if (board == 2 && lock == 3) continue;
      EXPECT_EQ(sim_->unlocks_received(board, lock), 0) << board << "/" << lock;
    }
  }
  EXPECT_TRUE(sim_->door_open(2, 3));
  EXPECT_FALSE(sim_->door_open(1, 3));
}

TEST_F(BoardLockersTest, DoorFollowsTheBoard) {
  EXPECT_EQ(*lockers_->door(7), DoorState::closed);
  ASSERT_TRUE(lockers_->unlock(7));
  auto open = lockers_->door(7);
  ASSERT_TRUE(open) << open.error().describe();
  EXPECT_EQ(*open, DoorState::open);
  EXPECT_EQ(*lockers_->door(3), DoorState::closed);  // board 1, lock 3: another door
  sim_->close_door(2, 3);
  EXPECT_EQ(*lockers_->door(7), DoorState::closed);
  sim_->open_door(1, 2);  // forced
  EXPECT_EQ(*lockers_->door(2), DoorState::open);
  EXPECT_EQ(sim_->unlocks_received(1, 2), 0);
}

TEST_F(BoardLockersTest, ASilentBoardIsUnknownNotAnError) {
  sim_->set_faults(2, sim::BoardFaults{.silent = true});
  auto door = lockers_->door(7);
  ASSERT_TRUE(door) << door.error().describe();
  EXPECT_EQ(*door, DoorState::unknown);
  // The other board on the same bus still answers.
  auto other = lockers_->door(1);
  ASSERT_TRUE(other) << other.error().describe();
  EXPECT_EQ(*other, DoorState::closed);
  sim_->set_faults(2, sim::BoardFaults{});
  EXPECT_EQ(*lockers_->door(7), DoorState::closed);
}

TEST_F(BoardLockersTest, ASurveyAsksEachBoardOnceAndNamesASilentBoard) {
  sim_->open_door(2, 3);  // compartment 7
  sim_->set_faults(1, sim::BoardFaults{.silent = true});
  auto readings = lockers_->survey();
  ASSERT_EQ(readings.size(), 8u);
  EXPECT_EQ(sim_->queries_received(1), 1);
  EXPECT_EQ(sim_->queries_received(2), 1);
  for (const auto& r : readings) {
    if (r.compartment <= 4) {
      EXPECT_EQ(r.door, DoorState::unknown);
      EXPECT_NE(r.fault.find("board 1 on /dev/pts/"), std::string::npos) << r.fault;
      EXPECT_NE(r.fault.find("did not answer"), std::string::npos) << r.fault;
    } else {
      EXPECT_EQ(r.fault, "");
      EXPECT_EQ(r.door, r.compartment == 7 ? DoorState::open : DoorState::closed);
    }
  }
}

TEST_F(BoardLockersTest, AnUnknownCompartmentSendsNothing) {
  auto unlocked = lockers_->unlock(9);
  ASSERT_FALSE(unlocked);
  EXPECT_EQ(unlocked.error().code, ErrorCode::invalid_argument);
  auto door = lockers_->door(0);
  ASSERT_FALSE(door);
  EXPECT_EQ(door.error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(sim_->queries_received(1) + sim_->queries_received(2), 0);
}

TEST(BoardLockersOpen, AMissingDeviceNamesTheBus) {
  auto profile = parse_cabinet_profile(bus("/nonexistent/ttyUSB9") + compartment(1, 0, 1, 1, 1));
  ASSERT_TRUE(profile) << profile.error().describe();
  auto lockers = BoardLockers::open(*profile);
  ASSERT_FALSE(lockers);
  EXPECT_NE(lockers.error().message.find("bus 0 (/nonexistent/ttyUSB9)"), std::string::npos)
      << lockers.error().message;
}

TEST(CabinetProfile, ReadsThePrinterAndTheScanner) {
  const std::string base = bus("/dev/ttyUSB0") + compartment(1, 0, 1, 1, 1);
  auto profile = parse_cabinet_profile(
      base +
      "[printer]\ntransport = \"tcp\"\naddress = \"127.0.0.1:9100\"\npaper_mm = 58\n"
      "native_qr = false\ntext = \"code_page\"\n"
      "[scanner]\nkind = \"serial\"\ndevice = \"/dev/ttyACM0\"\nbaud = 115200\n");
  ASSERT_TRUE(profile) << profile.error().describe();
  ASSERT_TRUE(profile->printer.has_value());
  EXPECT_EQ(profile->printer->link, PrinterLink::tcp);
  EXPECT_EQ(profile->printer->address, "127.0.0.1:9100");
  EXPECT_EQ(profile->printer->paper_mm, 58);
  EXPECT_FALSE(profile->printer->native_qr);
  EXPECT_FALSE(profile->printer->raster_text);
  ASSERT_TRUE(profile->scanner.has_value());
  EXPECT_EQ(profile->scanner->kind, ScannerKind::serial);
  EXPECT_EQ(profile->scanner->baud, 115200);
  // Written out and read back, the same.
  auto again = parse_cabinet_profile(to_toml(*profile));
  ASSERT_TRUE(again) << again.error().describe();
  EXPECT_EQ(to_toml(*again), to_toml(*profile));
  ASSERT_TRUE(again->printer.has_value() && again->scanner.has_value());
  EXPECT_EQ(again->printer->address, "127.0.0.1:9100");
  EXPECT_EQ(again->scanner->device, "/dev/ttyACM0");

  for (auto [text, expect] : std::vector<std::pair<std::string, std::string>>{
           {"[printer]\ntransport = \"serial\"\n", "printer.transport"},
           {"[printer]\ntransport = \"tcp\"\n", "printer.address"},
           {"[printer]\ntransport = \"usb\"\npaper_mm = 60\n", "printer.paper_mm"},
           {"[printer]\ntransport = \"usb\"\nnative_qr = \"yes\"\n", "printer.native_qr"},
           {"[printer]\ntransport = \"usb\"\npaper = 80\n", "printer.paper"},
           {"[scanner]\nkind = \"laser\"\ndevice = \"/dev/x\"\n", "scanner.kind"},
           {"[scanner]\nkind = \"camera\"\n", "scanner.device"},
           {"printer = 3\n", "printer"}}) {
    auto error = parse_error(text + base);
    EXPECT_NE(error.message.find(expect), std::string::npos) << text << " -> " << error.message;
  }
}

TEST(CabinetProfile, ReadsBusesAndCompartments) {
  auto profile =
      parse_cabinet_profile(bus("/dev/ttyUSB0") + bus("/dev/ttyUSB1", "xor8a") +
                            compartment(2, 31, 32, 1, 2, 1) + compartment(1, 0, 16, 1, 1));
  ASSERT_TRUE(profile) << profile.error().describe();
  ASSERT_EQ(profile->buses.size(), 2u);
  EXPECT_EQ(profile->buses[1].family, BoardFamily::xor8a);
  EXPECT_EQ(profile->buses[1].reply_timeout, 200ms);
  ASSERT_EQ(profile->compartments.size(), 2u);
  EXPECT_EQ(profile->compartments[0].number, 1);  // sorted
  EXPECT_EQ(profile->compartments[1].bus, 1);
  EXPECT_EQ(profile->compartments[1].board, 31);
  EXPECT_EQ(profile->compartments[1].lock, 32);
  EXPECT_EQ(profile->compartments[1].size, CompartmentSize::M);
  EXPECT_EQ(profile->compartments[1].role, CompartmentRole::pickup);
}

TEST(CabinetProfile, TheExampleProfilesParse) {
  for (const char* name : {"kerong-12.toml", "xor8a-16.toml"}) {
    auto profile = load_cabinet_profile(std::string(CIVICBOX_CABINETS_DIR) + "/" + name);
    ASSERT_TRUE(profile) << profile.error().describe();
    EXPECT_EQ(profile->compartments.size(), name[0] == 'k' ? 12u : 16u);
  }
}

TEST(CabinetProfile, ATypoNamesTheKeyAndItsLine) {
  std::string text = bus("/dev/ttyUSB0") + compartment(1, 0, 1, 1, 1);
  text.replace(text.find("lock = 1"), 8, "lokc = 1");
  auto error = parse_error(text);
  // The required check runs first: 'lock' is missing.
  EXPECT_EQ(error.code, ErrorCode::missing_field);
  EXPECT_NE(error.message.find("compartment[0].lock"), std::string::npos) << error.message;

  text = bus("/dev/ttyUSB0") + compartment(1, 0, 1, 1, 1) + "lokc = 2\n";  // an extra key
  error = parse_error(text);
  EXPECT_EQ(error.code, ErrorCode::unknown_field);
  EXPECT_NE(error.message.find("'compartment[0].lokc' (line 17)"), std::string::npos)
      << error.message;

  text = bus("/dev/ttyUSB0") + compartment(1, 0, 1, 1, 1);
  text.replace(text.find("reply_timeout_ms"), 16, "reply_timout_ms");
  error = parse_error(text);
  EXPECT_EQ(error.code, ErrorCode::unknown_field);
  EXPECT_NE(error.message.find("'bus[0].reply_timout_ms' (line 5)"), std::string::npos)
      << error.message;
}

TEST(CabinetProfile, ADuplicateNumberIsAnError) {
  auto error =
      parse_error(bus("/dev/ttyUSB0") + compartment(4, 0, 1, 1, 1) + compartment(4, 0, 2, 1, 2));
  EXPECT_EQ(error.code, ErrorCode::conflict);
  EXPECT_NE(error.message.find("'compartment[1].number' (line 18)"), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("compartment 4 is defined twice"), std::string::npos);
}

TEST(CabinetProfile, AMissingBusIsAnError) {
  auto error = parse_error(bus("/dev/ttyUSB0") + compartment(1, 0, 1, 1, 1, 1));
  EXPECT_EQ(error.code, ErrorCode::invalid_argument);
  EXPECT_NE(error.message.find("'compartment[0].bus' (line 9)"), std::string::npos)
      << error.message;
  EXPECT_NE(error.message.find("there is no bus 1"), std::string::npos) << error.message;

  error = parse_error(compartment(1, 0, 1, 1, 1));
  EXPECT_EQ(error.code, ErrorCode::missing_field);
}

TEST(CabinetProfile, TwoCompartmentsOnOneLockIsAnError) {
  auto error =
      parse_error(bus("/dev/ttyUSB0") + compartment(1, 2, 5, 1, 1) + compartment(2, 2, 5, 1, 2));
  EXPECT_EQ(error.code, ErrorCode::conflict);
  EXPECT_NE(error.message.find("'compartment[1].lock'"), std::string::npos) << error.message;
  EXPECT_NE(error.message.find("already opens compartment 1"), std::string::npos);
  // The same board and lock on another bus is another lock.
  EXPECT_TRUE(parse_cabinet_profile(bus("/dev/ttyUSB0") + bus("/dev/ttyUSB1") +
                                    compartment(1, 2, 5, 1, 1) + compartment(2, 2, 5, 1, 2, 1)));
}

TEST(CabinetProfile, BadValuesAreErrors) {
  const std::string ok = bus("/dev/ttyUSB0") + compartment(1, 0, 1, 1, 1);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = ok;
    text.replace(text.find(from), from.size(), to);
    return parse_error(text);
  };
  EXPECT_EQ(with("\"kerong\"", "\"kerrong\"").code, ErrorCode::invalid_argument);
  EXPECT_EQ(with("\"open\"", "\"unlocked\"").code, ErrorCode::invalid_argument);
  EXPECT_EQ(with("\"M\"", "\"XL\"").code, ErrorCode::invalid_argument);
  EXPECT_EQ(with("\"pickup\"", "\"return\"").code, ErrorCode::invalid_argument);
  EXPECT_EQ(with("board = 0", "board = 10").code, ErrorCode::invalid_argument);  // Kerong 0..9
  EXPECT_EQ(with("lock = 1", "lock = 17").code, ErrorCode::invalid_argument);
  EXPECT_EQ(with("number = 1", "number = \"1\"").code, ErrorCode::wrong_type);
  EXPECT_EQ(with("reply_timeout_ms = 200", "reply_timeout_ms = 0").code,
            ErrorCode::invalid_argument);
  EXPECT_EQ(with("[[bus]]", "[bus]").code, ErrorCode::wrong_type);
  EXPECT_EQ(parse_error(ok + "[extra]\n").code, ErrorCode::unknown_field);
  EXPECT_EQ(parse_error(ok + "[[compartment]]\nnumber = ").code, ErrorCode::parse);
  EXPECT_EQ(parse_error(ok + bus("/dev/ttyUSB0")).code, ErrorCode::conflict);         // one device
  EXPECT_EQ(parse_error(ok + compartment(2, 0, 2, 1, 1)).code, ErrorCode::conflict);  // place
  EXPECT_EQ(parse_error(bus("/dev/ttyUSB0")).code, ErrorCode::missing_field);
}

}  // namespace
}  // namespace civicbox::lockers
