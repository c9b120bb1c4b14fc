// The kiosk's rules, as table tests: what a citizen or clerk does, and what the box does about it.
#include "firmware/kiosk.hpp"

#include <gtest/gtest.h>

#include <cctype>

#include "common/pickup_hash.hpp"
#include "tests/support/seeded_random.hpp"

namespace civicbox::firmware {
namespace {

using testing::SeededRandom;

constexpr std::int64_t kNow = 1'790'000'000'000;  // Nov 2026
constexpr std::int64_t kDay = 24 * 3600 * 1000;

template <typename T>
int count(const std::vector<Action>& actions) {
  int n = 0;
  for (const auto& a : actions) n += std::holds_alternative<T>(a) ? 1 : 0;
  return n;
}

template <typename T>
int index_of(const std::vector<Action>& actions) {
  for (std::size_t i = 0; i < actions.size(); ++i) {
    if (std::holds_alternative<T>(actions[i])) return static_cast<int>(i);
  }
  return -1;
}

template <typename T>
const T* find(const std::vector<Action>& actions) {
  for (const auto& a : actions) {
    if (const auto* t = std::get_if<T>(&a)) return t;
  }
  return nullptr;
}

// A box with two drop-off and two pickup compartments, and parcels assigned to it.
class KioskTest : public ::testing::Test {
 protected:
  KioskTest() : kiosk_(Layout{"box-0001", {1, 2}, {5, 6}}) {
    state_.config = default_box_config();
    kiosk_.refresh(state_);
  }

  PickupCode assign(const std::string& parcel_id, std::optional<int> compartment,
                    std::int64_t expires_at = kNow + 7 * kDay) {
    auto code = PickupCode::generate(random_);
    Parcel p;
    p.parcel_id = parcel_id;
    p.hash = hash_pickup_code(code, random_, 10);
    p.expires_at_ms = expires_at;
    p.compartment = compartment;
    state_.parcels.push_back(p);
    kiosk_.refresh(state_);
    return code;
  }

  // Runs a flow's door to the end: opened, then closed.
  std::vector<Action> open_and_close(int compartment, std::int64_t now = kNow) {
    auto opened = kiosk_.handle(DoorOpened{compartment}, now, random_);
    EXPECT_EQ(count<MarkDoorOpened>(opened), 1);
    return kiosk_.handle(DoorClosed{compartment}, now, random_);
  }

  SeededRandom random_{42};
  BoxState state_;
  Kiosk kiosk_;
};

// Every flow that opens a door writes its intent first.
void expect_intent_before_unlock(const std::vector<Action>& actions) {
  int intent = index_of<RecordIntent>(actions);
  int unlock = index_of<Unlock>(actions);
  ASSERT_GE(unlock, 0);
  ASSERT_GE(intent, 0) << "an unlock without an intent";
  EXPECT_LT(intent, unlock) << "the intent must be in the journal before the door opens";
  EXPECT_EQ(std::get<RecordIntent>(actions[intent]).intent.compartment,
            std::get<Unlock>(actions[unlock]).compartment);
}

TEST_F(KioskTest, FilingOpensAFreeDropoffCompartmentAndRecordsTheSubmissionAfterTheDoorCloses) {
  state_.config = default_box_config();
  kiosk_.refresh(state_);
  auto start = kiosk_.handle(FileDocument{"request", "me@example.org"}, kNow, random_);
  expect_intent_before_unlock(start);
  const auto& intent = find<RecordIntent>(start)->intent;
  EXPECT_EQ(intent.flow, Flow::filing);
  EXPECT_EQ(intent.compartment, 1);
  EXPECT_EQ(intent.provisional_number, "P-box-0001-000001");
  EXPECT_TRUE(TrackingCode::parse(intent.subject).has_value());
  EXPECT_TRUE(kiosk_.busy());

  auto end = open_and_close(1);
  const auto* recorded = find<RecordEvents>(end);
  ASSERT_NE(recorded, nullptr);
  EXPECT_EQ(recorded->finishes_intent, intent.id);
  const auto& filed = std::get<wire::SubmissionFiled>(recorded->events.at(0));
  EXPECT_EQ(filed.tracking_code.str(), intent.subject);
  EXPECT_EQ(filed.kind, "request");
  EXPECT_EQ(filed.contact, "me@example.org");
  EXPECT_FALSE(filed.interrupted);
  ASSERT_NE(find<PrintReceipt>(end), nullptr);
  EXPECT_LT(index_of<RecordEvents>(end), index_of<PrintReceipt>(end));
  EXPECT_FALSE(kiosk_.busy());
  EXPECT_EQ(kiosk_.free_dropoff(), 1);

  // The next filing gets the other compartment and the next provisional number.
  auto second = kiosk_.handle(FileDocument{"other", std::nullopt}, kNow, random_);
  EXPECT_EQ(find<RecordIntent>(second)->intent.compartment, 2);
  EXPECT_EQ(find<RecordIntent>(second)->intent.provisional_number, "P-box-0001-000002");
  open_and_close(2);
  auto full = kiosk_.handle(FileDocument{"other", std::nullopt}, kNow, random_);
  EXPECT_EQ(count<Unlock>(full), 0);
  EXPECT_EQ(find<Refuse>(full)->reason, RefuseReason::no_free_compartment);
}

// The door.opened journaled for the (only) unlock in `actions`: after the intent, before the
// unlock, for the same compartment.
wire::DoorOpened opening_of(const std::vector<Action>& actions) {
  int intent = index_of<RecordIntent>(actions);
  int unlock = index_of<Unlock>(actions);
  EXPECT_GE(unlock, 0);
  for (int i = 0; i < static_cast<int>(actions.size()); ++i) {
    const auto* recorded = std::get_if<RecordEvents>(&actions[static_cast<std::size_t>(i)]);
    if (recorded == nullptr || recorded->events.empty()) continue;
    const auto* opened = std::get_if<wire::DoorOpened>(&recorded->events[0]);
    if (opened == nullptr) continue;
    EXPECT_LT(intent, i) << "the intent first";
    EXPECT_LT(i, unlock) << "door.opened must be in the journal before the unlock";
    EXPECT_FALSE(recorded->finishes_intent.has_value());
    EXPECT_EQ(opened->compartment,
              std::get<Unlock>(actions[static_cast<std::size_t>(unlock)]).compartment);
    return *opened;
  }
  ADD_FAILURE() << "no door.opened before the unlock";
  return {};
}

TEST_F(KioskTest, EveryDoorAFlowOpensIsJournaledWithWhoAndWhyBeforeItsUnlock) {
  auto filing =
      kiosk_.handle(FileDocument{"request", std::nullopt, std::string("hu")}, kNow, random_);
  auto filed = opening_of(filing);
  EXPECT_EQ(filed.by, "citizen");
  EXPECT_EQ(filed.why, "filing");
  EXPECT_EQ(filed.ref, find<RecordIntent>(filing)->intent.subject);
  EXPECT_FALSE(filed.badge.has_value());
  EXPECT_FALSE(filed.command.has_value());
  // The receipt's language goes with the submission.
  auto end = open_and_close(1);
  EXPECT_EQ(std::get<wire::SubmissionFiled>(find<RecordEvents>(end)->events.at(0)).language, "hu");

  auto code = assign("parcel-1", 6);
  auto pickup = kiosk_.handle(CollectParcel{code.str()}, kNow, random_);
  auto picked = opening_of(pickup);
  EXPECT_EQ(picked.by, "citizen");
  EXPECT_EQ(picked.why, "pickup");
  EXPECT_EQ(picked.ref, "parcel-1");
  EXPECT_EQ(picked.compartment, 6);
  open_and_close(6);

  assign("parcel-2", std::nullopt);
  auto load = kiosk_.handle(LoadParcel{"parcel-2", std::string("CLERK-7")}, kNow, random_);
  auto loaded = opening_of(load);
  EXPECT_EQ(loaded.by, "clerk");
  EXPECT_EQ(loaded.badge, "CLERK-7");
  EXPECT_EQ(loaded.why, "loading");
  EXPECT_EQ(loaded.ref, "parcel-2");
  open_and_close(loaded.compartment);

  // Emptying: one door.opened per compartment, each before its own unlock.
  state_.submissions = {Submission{"code-1", "P-1", std::nullopt, 1},
                        Submission{"code-2", "P-2", std::nullopt, 2}};
  kiosk_.refresh(state_);
  auto empty = kiosk_.handle(EmptyDropoff{std::string("CLERK-7")}, kNow, random_);
  auto first = opening_of(empty);
  EXPECT_EQ(first.by, "clerk");
  EXPECT_EQ(first.badge, "CLERK-7");
  EXPECT_EQ(first.why, "emptying");
  EXPECT_EQ(first.compartment, 1);
  kiosk_.handle(DoorOpened{1}, kNow, random_);
  auto next = kiosk_.handle(DoorClosed{1}, kNow, random_);
  auto second = opening_of(next);
  EXPECT_EQ(second.compartment, 2);
  EXPECT_EQ(second.why, "emptying");
  EXPECT_EQ(second.badge, "CLERK-7");

  // A refused flow opens nothing and journals no opening.
  auto refused = kiosk_.handle(CollectParcel{PickupCode::generate(random_).str()}, kNow, random_);
  EXPECT_EQ(count<Unlock>(refused), 0);
  for (const auto& a : refused) {
    if (const auto* r = std::get_if<RecordEvents>(&a)) {
      for (const auto& e : r->events) EXPECT_FALSE(std::holds_alternative<wire::DoorOpened>(e));
    }
  }
}

TEST_F(KioskTest, ALanguageThatIsNotACodeIsLeftOffTheSubmission) {
  auto start =
      kiosk_.handle(FileDocument{"request", std::nullopt, std::string("Hu!")}, kNow, random_);
  EXPECT_FALSE(find<RecordIntent>(start)->intent.language.has_value());
  auto end = open_and_close(1);
  EXPECT_FALSE(
      std::get<wire::SubmissionFiled>(find<RecordEvents>(end)->events.at(0)).language.has_value());
}

TEST_F(KioskTest, FilingRefusesAKindTheBoxDoesNotTake) {
  auto actions = kiosk_.handle(FileDocument{"pizza", std::nullopt}, kNow, random_);
  EXPECT_EQ(count<Unlock>(actions), 0);
  EXPECT_EQ(find<Refuse>(actions)->reason, RefuseReason::unknown_kind);
}

TEST_F(KioskTest, AContactTheControllerWouldRefuseIsRefusedAtTheBox) {
  auto actions = kiosk_.handle(FileDocument{"request", std::string(201, 'x')}, kNow, random_);
  EXPECT_EQ(count<Unlock>(actions), 0);
  EXPECT_EQ(find<Refuse>(actions)->reason, RefuseReason::bad_contact);
  auto empty = kiosk_.handle(FileDocument{"request", std::string()}, kNow, random_);
  EXPECT_FALSE(find<RecordIntent>(empty)->intent.contact.has_value());
}

TEST_F(KioskTest, ProvisionalNumbersHaveTheBoxAndSixDigits) {
  EXPECT_EQ(Kiosk::provisional_number("box-0001", 7), "P-box-0001-000007");
  EXPECT_EQ(Kiosk::provisional_number("b-9", 1234567), "P-b-9-1234567");
}

TEST_F(KioskTest, ARightPickupCodeOpensItsParcelsCompartment) {
  auto code = assign("parcel-1", 6);
  auto start = kiosk_.handle(CollectParcel{code.display()}, kNow, random_);
  expect_intent_before_unlock(start);
  EXPECT_EQ(find<Unlock>(start)->compartment, 6);
  EXPECT_EQ(find<RecordIntent>(start)->intent.subject, "parcel-1");
  auto end = open_and_close(6);
  const auto& collected = std::get<wire::ParcelCollected>(find<RecordEvents>(end)->events.at(0));
  EXPECT_EQ(collected.parcel_id, "parcel-1");
  EXPECT_EQ(collected.compartment, 6);
  // Lowercase, without hyphens: what a person types means what they saw.
  auto code2 = assign("parcel-2", 5);
  std::string typed = code2.str();
  for (char& c : typed) c = static_cast<char>(std::tolower(c));
  EXPECT_EQ(count<Unlock>(kiosk_.handle(CollectParcel{typed}, kNow, random_)), 1);
}

TEST_F(KioskTest, AWrongExpiredUsedOrForeignCodeNeverOpensADoor) {
  auto live = assign("live", 5);
  auto expired = assign("expired", 6, kNow - 1);
  auto long_expired = assign("long-expired", std::nullopt, kNow - kDay - 1);
  auto used = assign("used", 6);
  state_.parcels.back().collected = true;
  state_.parcels.back().collected_at_ms = kNow - kDay;
  auto withdrawn = assign("withdrawn", std::nullopt);
  state_.parcels.back().active = false;
  kiosk_.refresh(state_);
  auto foreign = PickupCode::generate(random_);  // another box's parcel: no assignment here
  std::string typo = live.str();
  typo[2] = typo[2] == 'A' ? 'B' : 'A';

  struct Case {
    std::string typed;
    RefuseReason reason;
  };
  std::vector<Case> cases{
      {typo, RefuseReason::mistyped},
      {"", RefuseReason::mistyped},
      {"not a code at all", RefuseReason::mistyped},
      {foreign.str(), RefuseReason::wrong_code},
      {expired.str(), RefuseReason::expired},
      // Over and done: not even hashed any more, so just not valid here.
      {long_expired.str(), RefuseReason::wrong_code},
      // Collected here a day ago: the citizen is told so, and no door opens.
      {used.str(), RefuseReason::used},
      {withdrawn.str(), RefuseReason::wrong_code},
  };
  for (const auto& c : cases) {
    auto actions = kiosk_.handle(CollectParcel{c.typed}, kNow, random_);
    EXPECT_EQ(count<Unlock>(actions), 0) << c.typed;
    EXPECT_EQ(count<RecordIntent>(actions), 0) << c.typed;
    ASSERT_NE(find<Refuse>(actions), nullptr) << c.typed;
    EXPECT_EQ(find<Refuse>(actions)->reason, c.reason) << c.typed;
    EXPECT_FALSE(kiosk_.busy());
  }
}

TEST_F(KioskTest, ACodeTypedAgainAfterItsCollectionIsToldUsedAndCountsAsAFailedTry) {
  auto code = assign("parcel-1", 5);
  auto first = kiosk_.handle(CollectParcel{code.str()}, kNow, random_);
  ASSERT_EQ(count<Unlock>(first), 1);
  kiosk_.handle(DoorOpened{5}, kNow, random_);
  kiosk_.handle(DoorClosed{5}, kNow, random_);
  auto again = kiosk_.handle(CollectParcel{code.str()}, kNow + 1000, random_);
  EXPECT_EQ(count<Unlock>(again), 0);
  ASSERT_NE(find<Refuse>(again), nullptr);
  EXPECT_EQ(find<Refuse>(again)->reason, RefuseReason::used);
  EXPECT_EQ(find<Refuse>(again)->message, "This document has already been collected.");
  EXPECT_EQ(find<Refuse>(again)->tries_left, kMaxFailedCodes - 1);
  EXPECT_EQ(find<SaveKeypad>(again)->keypad.failed_in_row, 1);
}

TEST_F(KioskTest, ACodeCollectedOverSevenDaysAgoOrBeyondTheTwentyLatestIsJustWrong) {
  auto old = assign("old", 5);
  state_.parcels.back().collected = true;
  state_.parcels.back().collected_at_ms = kNow - 7 * kDay;
  auto crowded_out = assign("crowded-out", 6);
  state_.parcels.back().collected = true;
  state_.parcels.back().collected_at_ms = kNow - kDay;
  for (int i = 0; i < static_cast<int>(kUsedCodeMemoryParcels); ++i) {
    assign("later-" + std::to_string(i), 6);
    state_.parcels.back().collected = true;
    state_.parcels.back().collected_at_ms = kNow - kDay + 1 + i;
  }
  kiosk_.refresh(state_);
  for (const auto& code : {old, crowded_out}) {
    auto actions = kiosk_.handle(CollectParcel{code.str()}, kNow, random_);
    EXPECT_EQ(count<Unlock>(actions), 0);
    EXPECT_EQ(find<Refuse>(actions)->reason, RefuseReason::wrong_code) << code.str();
  }
}

TEST_F(KioskTest, ARightCodeForAParcelNotLoadedYetOpensNothing) {
  auto code = assign("later", std::nullopt);
  auto actions = kiosk_.handle(CollectParcel{code.str()}, kNow, random_);
  EXPECT_EQ(count<Unlock>(actions), 0);
  EXPECT_EQ(find<Refuse>(actions)->reason, RefuseReason::not_loaded);
}

TEST_F(KioskTest, TenWrongCodesLockTheKeypadForFifteenMinutes) {
  auto code = assign("parcel-1", 5);
  for (int i = 1; i <= 9; ++i) {
    auto actions = kiosk_.handle(CollectParcel{PickupCode::generate(random_).str()}, kNow, random_);
    EXPECT_EQ(find<Refuse>(actions)->tries_left, 10 - i);
    EXPECT_EQ(count<RecordEvents>(actions), 0);
  }
  auto tenth = kiosk_.handle(CollectParcel{"wrong"}, kNow, random_);
  EXPECT_EQ(find<Refuse>(tenth)->tries_left, 0);
  ASSERT_NE(find<RecordEvents>(tenth), nullptr);
  const auto& alarm = std::get<wire::Alarm>(find<RecordEvents>(tenth)->events.at(0));
  EXPECT_EQ(alarm.what, "keypad_locked");
  EXPECT_EQ(find<SaveKeypad>(tenth)->keypad.locked_until_ms, kNow + 15 * 60 * 1000);

  // Even the right code is refused while locked, with the time left.
  auto locked = kiosk_.handle(CollectParcel{code.str()}, kNow + 60'000, random_);
  EXPECT_EQ(count<Unlock>(locked), 0);
  EXPECT_EQ(find<Refuse>(locked)->reason, RefuseReason::locked_out);
  EXPECT_EQ(find<Refuse>(locked)->retry_in_s, 14 * 60);
  auto still = kiosk_.handle(CollectParcel{code.str()}, kNow + 15 * 60 * 1000 - 1, random_);
  EXPECT_EQ(find<Refuse>(still)->reason, RefuseReason::locked_out);
  EXPECT_EQ(find<Refuse>(still)->retry_in_s, 1);

  // Fifteen minutes later the right code works again.
  auto later = kiosk_.handle(CollectParcel{code.str()}, kNow + 15 * 60 * 1000, random_);
  expect_intent_before_unlock(later);
  EXPECT_EQ(find<SaveKeypad>(later)->keypad, Keypad{});
}

TEST_F(KioskTest, OnlyACompletedPickupResetsTheWrongCodeCount) {
  auto code = assign("parcel-1", 5);
  for (int i = 0; i < 9; ++i) kiosk_.handle(CollectParcel{"wrong"}, kNow, random_);
  auto right = kiosk_.handle(CollectParcel{code.str()}, kNow, random_);
  EXPECT_EQ(count<Unlock>(right), 1);
  EXPECT_EQ(find<SaveKeypad>(right), nullptr) << "reset before the parcel was taken";
  auto done = open_and_close(5);
  ASSERT_NE(find<SaveKeypad>(done), nullptr);
  EXPECT_EQ(find<SaveKeypad>(done)->keypad, Keypad{});
  for (int i = 0; i < 9; ++i) {
    auto actions = kiosk_.handle(CollectParcel{"wrong"}, kNow, random_);
    EXPECT_NE(find<Refuse>(actions)->reason, RefuseReason::locked_out);
  }
}

TEST_F(KioskTest, AClerkLoadsAnAssignedParcelIntoAFreePickupCompartment) {
  assign("parcel-1", std::nullopt);
  assign("parcel-2", std::nullopt);
  assign("parcel-3", std::nullopt);
  auto start = kiosk_.handle(LoadParcel{"parcel-1"}, kNow, random_);
  expect_intent_before_unlock(start);
  EXPECT_EQ(find<Unlock>(start)->compartment, 5);
  auto end = open_and_close(5);
  const auto& loaded = std::get<wire::ParcelLoaded>(find<RecordEvents>(end)->events.at(0));
  EXPECT_EQ(loaded.parcel_id, "parcel-1");
  EXPECT_EQ(loaded.compartment, 5);

  struct Case {
    std::string parcel;
    RefuseReason reason;
  };
  auto again = kiosk_.handle(LoadParcel{"parcel-1"}, kNow, random_);
  EXPECT_EQ(find<Refuse>(again)->reason, RefuseReason::already_loaded);
  auto unknown = kiosk_.handle(LoadParcel{"nope"}, kNow, random_);
  EXPECT_EQ(find<Refuse>(unknown)->reason, RefuseReason::unknown_parcel);
  kiosk_.handle(LoadParcel{"parcel-2"}, kNow, random_);
  open_and_close(6);
  auto full = kiosk_.handle(LoadParcel{"parcel-3"}, kNow, random_);
  EXPECT_EQ(find<Refuse>(full)->reason, RefuseReason::no_free_compartment);
  EXPECT_EQ(count<Unlock>(full) + count<Unlock>(unknown) + count<Unlock>(again), 0);
}

TEST_F(KioskTest, EmptyingOpensEachDropoffCompartmentHoldingSubmissionsInTurn) {
  state_.submissions = {{"AAAAAAAAAAAA", "P-box-0001-000001", std::nullopt, 1},
                        {"BBBBBBBBBBBB", "P-box-0001-000002", std::nullopt, 2}};
  kiosk_.refresh(state_);
  auto first = kiosk_.handle(EmptyDropoff{}, kNow, random_);
  expect_intent_before_unlock(first);
  EXPECT_EQ(find<Unlock>(first)->compartment, 1);
  auto after_first = open_and_close(1);
  const auto& d1 = std::get<wire::DropoffEmptied>(find<RecordEvents>(after_first)->events.at(0));
  EXPECT_EQ(d1.compartment, 1);
  EXPECT_EQ(d1.tracking_codes, std::vector<std::string>{"AAAAAAAAAAAA"});
  // The next compartment opens, again intent first.
  expect_intent_before_unlock(after_first);
  EXPECT_EQ(find<Unlock>(after_first)->compartment, 2);
  auto after_second = open_and_close(2);
  const auto& d2 = std::get<wire::DropoffEmptied>(find<RecordEvents>(after_second)->events.at(0));
  EXPECT_EQ(d2.compartment, 2);
  EXPECT_EQ(count<Unlock>(after_second), 0);
  EXPECT_FALSE(kiosk_.busy());
  EXPECT_EQ(kiosk_.free_dropoff(), 2);
  EXPECT_EQ(count<Unlock>(kiosk_.handle(EmptyDropoff{}, kNow, random_)), 0);
}

TEST_F(KioskTest, OneFlowAtATime) {
  auto code = assign("parcel-1", 5);
  kiosk_.handle(FileDocument{"request", std::nullopt}, kNow, random_);
  for (const Input& in :
       std::vector<Input>{FileDocument{"request", std::nullopt}, CollectParcel{code.str()},
                          LoadParcel{"parcel-1"}, EmptyDropoff{}}) {
    auto actions = kiosk_.handle(in, kNow, random_);
    EXPECT_EQ(count<Unlock>(actions), 0);
    ASSERT_NE(find<Refuse>(actions), nullptr);
    EXPECT_EQ(find<Refuse>(actions)->reason, RefuseReason::busy);
  }
  // A door event for another compartment changes nothing.
  EXPECT_TRUE(kiosk_.handle(DoorClosed{2}, kNow, random_).empty());
}

TEST_F(KioskTest, AKnownCodeForAParcelNotLoadedYetDoesNotLiftTheLockout) {
  auto later = assign("later", std::nullopt);
  for (int i = 0; i < 9; ++i) kiosk_.handle(CollectParcel{"wrong"}, kNow, random_);
  auto known = kiosk_.handle(CollectParcel{later.str()}, kNow, random_);
  EXPECT_EQ(find<Refuse>(known)->reason, RefuseReason::not_loaded);
  EXPECT_EQ(find<Refuse>(known)->tries_left, 1);
  EXPECT_EQ(find<SaveKeypad>(known), nullptr);
  auto tenth = kiosk_.handle(CollectParcel{"wrong"}, kNow, random_);
  EXPECT_EQ(find<SaveKeypad>(tenth)->keypad.locked_until_ms, kNow + kKeypadLockMs);
}

TEST_F(KioskTest, ACollectedParcelsCodeIsNotCheckedAgain) {
  // The same code hash on a collected parcel and a live one (a re-issued document): the old one
  // is skipped, so it neither costs a PBKDF2 run nor stands in the way.
  auto code = assign("reissued", 6);
  Parcel old = state_.parcels.back();
  old.parcel_id = "a-collected";
  old.collected = true;
  state_.parcels.insert(state_.parcels.begin(), old);
  kiosk_.refresh(state_);
  auto actions = kiosk_.handle(CollectParcel{code.str()}, kNow, random_);
  ASSERT_EQ(count<Unlock>(actions), 1);
  EXPECT_EQ(find<RecordIntent>(actions)->intent.subject, "reissued");
}

TEST_F(KioskTest, AContactOrKindThatIsNotUtf8IsRefusedAtTheBox) {
  auto contact =
      kiosk_.handle(FileDocument{"request", std::string("me\xff\xfe@x.org")}, kNow, random_);
  EXPECT_EQ(count<Unlock>(contact), 0);
  EXPECT_EQ(find<Refuse>(contact)->reason, RefuseReason::bad_contact);
  auto overlong = kiosk_.handle(FileDocument{"request", std::string("\xc0\xaf")}, kNow, random_);
  EXPECT_EQ(find<Refuse>(overlong)->reason, RefuseReason::bad_contact);
  state_.config.document_kinds.push_back("bad\xff");
  kiosk_.refresh(state_);
  auto kind = kiosk_.handle(FileDocument{"bad\xff", std::nullopt}, kNow, random_);
  EXPECT_EQ(count<Unlock>(kind), 0);
  EXPECT_EQ(find<Refuse>(kind)->reason, RefuseReason::unknown_kind);
  // Accents and other scripts are fine.
  auto ok =
      kiosk_.handle(FileDocument{"request", std::string("ioana.pop\xc4\x83@x.ro")}, kNow, random_);
  EXPECT_EQ(count<Unlock>(ok), 1);
  EXPECT_TRUE(valid_utf8("\xf0\x9f\x93\x84 \xc8\x99"));
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));  // a surrogate
}

TEST_F(KioskTest, ADoorThatDidNotOpenStaysOutOfServiceWithAnAlarm) {
  auto start = kiosk_.handle(FileDocument{"request", std::nullopt}, kNow, random_);
  auto id = find<RecordIntent>(start)->intent.id;
  auto actions = kiosk_.handle(DoorNotOpened{1, "nobody opened the door in time"}, kNow, random_);
  // Not cancelled: the person may still pull the door.
  EXPECT_EQ(count<CancelIntent>(actions), 0);
  ASSERT_NE(find<RecordEvents>(actions), nullptr);
  EXPECT_FALSE(find<RecordEvents>(actions)->finishes_intent.has_value());
  const auto& alarm = std::get<wire::Alarm>(find<RecordEvents>(actions)->events.at(0));
  EXPECT_EQ(alarm.what, "door_not_opened");
  EXPECT_EQ(alarm.compartment, 1);
  EXPECT_EQ(find<Refuse>(actions)->reason, RefuseReason::door_not_opened);
  EXPECT_FALSE(kiosk_.busy());

  // The journal now lists the intent as unfinished: compartment 1 is not free.
  Intent stuck = find<RecordIntent>(start)->intent;
  ASSERT_EQ(stuck.id, id);
  state_.unfinished = {stuck};
  kiosk_.refresh(state_);
  EXPECT_EQ(kiosk_.free_dropoff(), 1);
  auto next = kiosk_.handle(FileDocument{"request", std::nullopt}, kNow, random_);
  EXPECT_EQ(find<Unlock>(next)->compartment, 2);
  open_and_close(2);

  // A pickup compartment that did not open: its parcel is not offered again, nor is it loaded
  // twice, until the agent finished the flow.
  auto code = assign("parcel-1", 5);
  Intent pickup = stuck;
  pickup.flow = Flow::pickup;
  pickup.compartment = 5;
  pickup.subject = "parcel-1";
  state_.unfinished.push_back(pickup);
  kiosk_.refresh(state_);
  auto again = kiosk_.handle(CollectParcel{code.str()}, kNow, random_);
  EXPECT_EQ(count<Unlock>(again), 0);
  EXPECT_EQ(find<Refuse>(again)->reason, RefuseReason::door_not_opened);
  EXPECT_EQ(kiosk_.free_pickup(), 1);
}

}  // namespace
}  // namespace civicbox::firmware
