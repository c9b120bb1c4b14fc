// The back office moves a filed document through its states; only the documented moves are
// allowed, and the registration number has the town hall's format.
#include "common/submission_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <utility>

namespace civicbox {
namespace {

using S = SubmissionState;
constexpr std::array kAllStates = {S::received, S::registered, S::in_progress, S::resolved,
                                   S::rejected};

TEST(common_submission_state, EveryStateParsesBackFromItsName) {
  for (S state : kAllStates) {
    auto parsed = parse_submission_state(to_string(state));
    ASSERT_TRUE(parsed) << to_string(state);
    EXPECT_EQ(*parsed, state);
  }
  EXPECT_EQ(to_string(S::in_progress), "in_progress");
}

TEST(common_submission_state, UnknownNamesAreAParseError) {
  for (const char* text : {"", "Received", "in-progress", "done", "resolved ", "rejected\n"}) {
    auto parsed = parse_submission_state(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().code, ErrorCode::parse);
  }
}

TEST(common_submission_state, TheBackOfficeMayMakeOnlyTheDocumentedMoves) {
  const std::array allowed = {
      std::pair{S::registered, S::in_progress}, std::pair{S::registered, S::resolved},
      std::pair{S::registered, S::rejected}, std::pair{S::in_progress, S::resolved},
      std::pair{S::in_progress, S::rejected}};
  for (S from : kAllStates) {
    for (S to : kAllStates) {
      bool expected =
          std::find(allowed.begin(), allowed.end(), std::pair{from, to}) != allowed.end();
      EXPECT_EQ(back_office_may_move(from, to), expected)
          << to_string(from) << " -> " << to_string(to);
    }
  }
}

TEST(common_submission_state, OnlyTheControllerRegistersASubmission) {
  EXPECT_FALSE(back_office_may_move(S::received, S::registered));
}

TEST(common_submission_state, FinishedSubmissionsStayFinished) {
  for (S to : kAllStates) {
    EXPECT_FALSE(back_office_may_move(S::resolved, to)) << to_string(to);
    EXPECT_FALSE(back_office_may_move(S::rejected, to)) << to_string(to);
  }
}

TEST(common_submission_state, RegistrationNumberIsYearSlashSixDigits) {
  EXPECT_EQ(format_registration_number(2026, 123), "2026/000123");
  EXPECT_EQ(format_registration_number(2026, 1), "2026/000001");
  EXPECT_EQ(format_registration_number(2027, 999999), "2027/999999");
  // Past a million the number grows rather than wrapping.
  EXPECT_EQ(format_registration_number(2027, 1234567), "2027/1234567");
}

}  // namespace
}  // namespace civicbox
