// The life of a filed document, as the town hall's back office moves it, and the official
// registration number. Pure logic, shared by the controller and (for display) the box.
//
//   received ──(controller assigns the number)──> registered ──> in_progress ──> resolved
//                                                     │               │
//                                                     └──> rejected <─┘   (also registered ->
//                                                     resolved)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace civicbox {

enum class SubmissionState { received, registered, in_progress, resolved, rejected };

std::string_view to_string(SubmissionState state);
Expected<SubmissionState> parse_submission_state(std::string_view text);

// Whether the back office may move a submission from `from` to `to`. `received -> registered`
// is the controller's own step and is not allowed through the back office.
bool back_office_may_move(SubmissionState from, SubmissionState to);

// "2026/000123": the year and the gap-free sequence number within the institution and year.
std::string format_registration_number(int year, std::int64_t number);

}  // namespace civicbox
