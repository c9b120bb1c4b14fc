// CabinetHealth: what a sweep of the cabinet's sensors tells the technician, and which
// compartments the flows must stop offering.
#include "firmware/cabinet_health.hpp"

#include <gtest/gtest.h>

namespace civicbox::firmware {
namespace {

using drivers::CompartmentReading;
using drivers::DoorState;

const std::string kBoard2 = "board 2 on /dev/ttyUSB0: board 2 did not answer in 1500 ms";

std::vector<CompartmentReading> sweep(DoorState d1, DoorState d2, bool board2_silent = false) {
  std::vector<CompartmentReading> out{{1, d1, ""}, {2, d2, ""}};
  for (int c : {7, 8}) {
    out.push_back(board2_silent ? CompartmentReading{c, DoorState::unknown, kBoard2}
                                : CompartmentReading{c, DoorState::closed, ""});
  }
  return out;
}

TEST(CabinetHealth, AQuietCabinetRaisesNothing) {
  CabinetHealth health;
  for (int i = 0; i < 5; ++i)
    EXPECT_TRUE(health.observe(sweep(DoorState::closed, DoorState::closed), {}).empty());
  EXPECT_TRUE(health.out_of_service().empty());
}

TEST(CabinetHealth, ASilentBoardIsOneAlarmAfterTwoSweepsAndItsCompartmentsLeaveService) {
  CabinetHealth health;
  EXPECT_TRUE(health.observe(sweep(DoorState::closed, DoorState::closed, true), {}).empty())
      << "one lost reply is noise";
  auto alarms = health.observe(sweep(DoorState::closed, DoorState::closed, true), {});
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].what, "board_fault");
  EXPECT_EQ(alarms[0].detail, kBoard2 + "; compartments 7, 8 out of service");
  EXPECT_EQ(health.out_of_service(), (std::set<int>{7, 8}));
  EXPECT_EQ(health.fault_of(7), kBoard2);
  EXPECT_TRUE(health.observe(sweep(DoorState::closed, DoorState::closed, true), {}).empty())
      << "raised once, not every sweep";

  alarms = health.observe(sweep(DoorState::closed, DoorState::closed), {});
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].what, "board_back");
  EXPECT_NE(alarms[0].detail.find("compartments 7, 8 back in service"), std::string::npos);
  EXPECT_TRUE(health.out_of_service().empty());
}

TEST(CabinetHealth, ADoorOpenedWithNoUnlockIsTamperUntilShut) {
  CabinetHealth health;
  ASSERT_TRUE(health.observe(sweep(DoorState::closed, DoorState::closed), {}).empty());
  auto alarms = health.observe(sweep(DoorState::open, DoorState::closed), {});
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].what, "tamper");
  EXPECT_EQ(alarms[0].compartment, 1);
  EXPECT_EQ(health.out_of_service(), (std::set<int>{1}));
  EXPECT_TRUE(health.observe(sweep(DoorState::open, DoorState::closed), {}).empty());
  alarms = health.observe(sweep(DoorState::closed, DoorState::closed), {});
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].what, "tamper_ended");
  EXPECT_TRUE(health.out_of_service().empty());
}

TEST(CabinetHealth, ADoorOpenAfterItsUnlockIsNotTamper) {
  CabinetHealth health;
  ASSERT_TRUE(health.observe(sweep(DoorState::closed, DoorState::closed), {}).empty());
  EXPECT_TRUE(health.observe(sweep(DoorState::closed, DoorState::open), {2}).empty());
  EXPECT_TRUE(health.observe(sweep(DoorState::closed, DoorState::closed), {}).empty());
  EXPECT_TRUE(health.out_of_service().empty());
}

TEST(CabinetHealth, ADoorOpenAtStartIsSaidSoAndOutOfService) {
  CabinetHealth health;
  auto alarms = health.observe(sweep(DoorState::closed, DoorState::open), {});
  ASSERT_EQ(alarms.size(), 1u);
  EXPECT_EQ(alarms[0].what, "door_open_at_start");
  EXPECT_EQ(health.out_of_service(), (std::set<int>{2}));
}

TEST(CabinetHealth, AnUnknownDoorOnASilentBoardIsNeverTamper) {
  CabinetHealth health;
  health.observe(sweep(DoorState::closed, DoorState::closed), {});
  for (int i = 0; i < 3; ++i) {
    for (const auto& a : health.observe(sweep(DoorState::closed, DoorState::closed, true), {})) {
      EXPECT_NE(a.what, "tamper");
    }
  }
}

}  // namespace
}  // namespace civicbox::firmware
