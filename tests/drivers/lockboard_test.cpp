// The lock-board driver against the simulated boards on a pseudo-terminal, for both families:
// what a person at the cabinet would notice (a door that opens, a jammed lock, a dead board)
// and what must never happen (an unlock sent twice, a broken reply answering the next query).
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "drivers/lockers/serial/lock_board_bus.hpp"
#include "hardware/sim/lockboard/lock_board_sim.hpp"

namespace civicbox::lockers {
namespace {

using namespace std::chrono_literals;
using drivers::DoorState;
using Clock = std::chrono::steady_clock;

constexpr auto kTimeout = 200ms;
constexpr auto kDoorCloses = 400ms;

class LockBoardTest : public ::testing::TestWithParam<BoardFamily> {
 protected:
  void SetUp() override { start(SetBitMeans::open); }

  void start(SetBitMeans polarity) {
    bus_.reset();
    sim_.reset();
    sim::LockBoardSimOptions so;
    so.family = GetParam();
    so.boards = {1, 2};
    so.locks_per_board = 16;
    so.door_closes_after = kDoorCloses;
    so.unlock_reply_delay = 50ms;
    auto s = sim::LockBoardSim::start(so);
    ASSERT_TRUE(s) << s.error().describe();
    sim_ = std::move(*s);
    LockBoardBusOptions bo;
    bo.family = GetParam();
    bo.set_lock_bit = polarity;
    bo.reply_timeout = kTimeout;
    auto b = LockBoardBus::open(sim_->port(), bo);
    ASSERT_TRUE(b) << b.error().describe();
    bus_ = std::move(*b);
  }

  DoorState door(int board, int lock) {
    auto status = bus_->query(board);
    EXPECT_TRUE(status) << status.error().describe();
    if (!status) return DoorState::unknown;
    return status->doors.at(static_cast<std::size_t>(lock - 1));
  }

  bool kerong() const { return GetParam() == BoardFamily::kerong; }

  std::unique_ptr<sim::LockBoardSim> sim_;
  std::unique_ptr<LockBoardBus> bus_;
};

TEST_P(LockBoardTest, AFreshCabinetReportsEveryDoorClosed) {
  for (int board : {1, 2}) {
    auto status = bus_->query(board);
    ASSERT_TRUE(status) << status.error().describe();
    EXPECT_EQ(status->board, board);
    ASSERT_EQ(status->doors.size(), 16u);
    for (DoorState d : status->doors) EXPECT_EQ(d, DoorState::closed);
    EXPECT_EQ(status->item_present.size(), kerong() ? 16u : 0u);
  }
}

TEST_P(LockBoardTest, AnUnlockedDoorIsSeenOpenAndClosedAgainAfterThePersonShutsIt) {
  const auto sent = Clock::now();
  auto unlocked = bus_->unlock(1, 3);
  ASSERT_TRUE(unlocked) << unlocked.error().describe();
  EXPECT_EQ(door(1, 3), DoorState::open);
  EXPECT_EQ(door(1, 4), DoorState::closed);
  while (door(1, 3) == DoorState::open && Clock::now() - sent < 3s)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(door(1, 3), DoorState::closed);
  EXPECT_GE(Clock::now() - sent, kDoorCloses - 50ms);
}

TEST_P(LockBoardTest, ADoorClosedByHandIsSeenClosed) {
  ASSERT_TRUE(bus_->unlock(2, 7));
  EXPECT_EQ(door(2, 7), DoorState::open);
  sim_->close_door(2, 7);
  EXPECT_EQ(door(2, 7), DoorState::closed);
}

TEST_P(LockBoardTest, AJammedLockStaysClosed) {
  sim_->set_jammed(1, 5, true);
  auto unlocked = bus_->unlock(1, 5);
  ASSERT_TRUE(unlocked) << unlocked.error().describe();  // sent is not the same as opened
  EXPECT_EQ(door(1, 5), DoorState::closed);
  EXPECT_EQ(sim_->unlocks_received(1, 5), 1);
}

TEST_P(LockBoardTest, ASilentBoardIsUnavailableAfterAboutTheTimeout) {
  sim_->set_faults(2, {.silent = true});
  const auto t0 = Clock::now();
  auto status = bus_->query(2);
  const auto took = Clock::now() - t0;
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::unavailable);
  EXPECT_NE(status.error().message.find("board 2 did not answer in 200 ms"), std::string::npos)
      << status.error().message;
  EXPECT_GE(took, kTimeout);
  EXPECT_LT(took, kTimeout + 400ms);
}

TEST_P(LockBoardTest, ASlowBoardWithinTheTimeoutIsAnswered) {
  sim_->set_faults(1, {.answer_delay = 100ms});
  EXPECT_EQ(door(1, 1), DoorState::closed);
}

TEST_P(LockBoardTest, ALateReplyDoesNotAnswerTheNextQuery) {
  sim_->set_faults(1, {.answer_delay = kTimeout + 100ms});
  ASSERT_FALSE(bus_->query(1));
  sim_->set_faults(1, {});
  std::this_thread::sleep_for(150ms);  // the stale "all closed" reply arrives meanwhile
  auto unlocked = bus_->unlock(1, 2);
  ASSERT_TRUE(unlocked) << unlocked.error().describe();
  EXPECT_EQ(door(1, 2), DoorState::open);
}

TEST_P(LockBoardTest, ABadChecksumIsATypedErrorAndTheNextQuerySucceeds) {
  sim_->set_faults(1, {.bad_checksum = true});
  auto status = bus_->query(1);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::bad_check) << status.error().describe();
  EXPECT_NE(status.error().message.find("board 1"), std::string::npos);
  sim_->set_faults(1, {});
  EXPECT_EQ(door(1, 1), DoorState::closed);
}

TEST_P(LockBoardTest, LineNoiseBeforeAReplyIsATypedErrorAndTheNextQuerySucceeds) {
  sim_->set_faults(1, {.garbage_before_reply = 3});
  auto status = bus_->query(1);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, ErrorCode::parse) << status.error().describe();
  sim_->set_faults(1, {});
  EXPECT_EQ(door(1, 1), DoorState::closed);
}

TEST_P(LockBoardTest, BoardsOnOneBusAnswerIndependently) {
  ASSERT_TRUE(bus_->unlock(1, 3));
  ASSERT_TRUE(bus_->unlock(2, 9));
  auto one = bus_->query(1);
  auto two = bus_->query(2);
  ASSERT_TRUE(one && two);
  for (int lock = 1; lock <= 16; ++lock) {
    const auto i = static_cast<std::size_t>(lock - 1);
    EXPECT_EQ(one->doors[i], lock == 3 ? DoorState::open : DoorState::closed) << lock;
    EXPECT_EQ(two->doors[i], lock == 9 ? DoorState::open : DoorState::closed) << lock;
  }
  sim_->set_faults(2, {.silent = true});
  EXPECT_FALSE(bus_->query(2));
  auto still = bus_->query(1);  // a dead neighbour does not silence board 1
  EXPECT_TRUE(still) << still.error().describe();
}

TEST_P(LockBoardTest, AnUnlockIsSentExactlyOnceEvenWhenTheReplyIsLost) {
  sim_->set_faults(1, {.silent = true});
  auto unlocked = bus_->unlock(1, 4);
  if (kerong()) {
    EXPECT_TRUE(unlocked);  // Kerong boards never answer an unlock
  } else {
    ASSERT_FALSE(unlocked);
    EXPECT_EQ(unlocked.error().code, ErrorCode::unavailable);
    EXPECT_NE(unlocked.error().message.find("board 1 did not confirm"), std::string::npos);
  }
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(sim_->unlocks_received(1, 4), 1);
  EXPECT_TRUE(sim_->door_open(1, 4));  // the lock did open: the caller must watch the door
}

TEST_P(LockBoardTest, TheLockBitPolarityIsASetting) {
  start(SetBitMeans::closed);
  EXPECT_EQ(door(1, 1), DoorState::open);  // the simulator's boards set the bit when open
  ASSERT_TRUE(bus_->unlock(1, 1));
  EXPECT_EQ(door(1, 1), DoorState::closed);
}

TEST_P(LockBoardTest, ABoardOrLockTheFamilyCannotHaveIsRefusedBeforeAnyByteIsSent) {
  EXPECT_EQ(bus_->query(40).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(bus_->unlock(1, 0).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(bus_->unlock(1, 33).error().code, ErrorCode::invalid_argument);
  EXPECT_EQ(sim_->queries_received(1), 0);
}

TEST_P(LockBoardTest, ADoorAPersonHoldsStaysOpenUntilLetGo) {
  sim_->set_held(1, 5, true);
  ASSERT_TRUE(bus_->unlock(1, 5));
  std::this_thread::sleep_for(kDoorCloses + 200ms);
  EXPECT_EQ(door(1, 5), DoorState::open) << "the door is left open";
  sim_->set_held(1, 5, false);
  const auto let_go = Clock::now();
  while (door(1, 5) == DoorState::open && Clock::now() - let_go < 3s)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(door(1, 5), DoorState::closed);
}

TEST_P(LockBoardTest, AStuckSensorReportsTheSameWhateverTheDoorDoes) {
  sim_->set_sensor_stuck(2, 1, true);
  EXPECT_EQ(door(2, 1), DoorState::open) << "stuck reading open while the door is shut";
  sim_->set_sensor_stuck(2, 2, false);
  ASSERT_TRUE(bus_->unlock(2, 2));
  for (auto until = Clock::now() + 2s; !sim_->door_open(2, 2) && Clock::now() < until;)
    std::this_thread::sleep_for(10ms);  // a Kerong unlock has no reply to wait for
  EXPECT_TRUE(sim_->door_open(2, 2));
  EXPECT_EQ(door(2, 2), DoorState::closed) << "stuck reading closed while the door is open";
  sim_->set_sensor_stuck(2, 1, std::nullopt);
  EXPECT_EQ(door(2, 1), DoorState::closed);
}

TEST(LockBoardUnplug, AnUnpluggedAdapterIsUnavailableAndComesBackThroughItsStableName) {
  const auto link =
      std::filesystem::temp_directory_path() / ("civicbox-ttyUSB-" + std::to_string(::getpid()));
  sim::LockBoardSimOptions so;
  so.boards = {0};
  so.link = link.string();
  auto sim = sim::LockBoardSim::start(so);
  ASSERT_TRUE(sim) << sim.error().describe();
  LockBoardBusOptions bo;
  bo.reply_timeout = kTimeout;
  auto bus = LockBoardBus::open(link.string(), bo);
  ASSERT_TRUE(bus) << bus.error().describe();
  ASSERT_TRUE((*bus)->query(0));

  (*sim)->unplug();
  auto gone = (*bus)->query(0);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, ErrorCode::unavailable);
  auto still = (*bus)->query(0);
  ASSERT_FALSE(still);
  EXPECT_NE(still.error().message.find("unplugged"), std::string::npos) << still.error().message;

  ASSERT_TRUE((*sim)->replug());
  Expected<BoardStatus> back = make_error(ErrorCode::unavailable, "not yet");
  for (auto until = Clock::now() + 5s; !back && Clock::now() < until;) {
    std::this_thread::sleep_for(100ms);
    back = (*bus)->query(0);
  }
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->doors.at(0), DoorState::closed);
  EXPECT_EQ((*sim)->unlocks_received(0, 1), 0) << "nothing was unlocked on the way";
}

INSTANTIATE_TEST_SUITE_P(drivers_lockboard, LockBoardTest,
                         ::testing::Values(BoardFamily::kerong, BoardFamily::xor8a),
                         [](const auto& info) {
                           return std::string(info.param == BoardFamily::kerong ? "kerong"
                                                                                : "xor8a");
                         });

}  // namespace
}  // namespace civicbox::lockers
