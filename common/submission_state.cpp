#include "common/submission_state.hpp"

#include <cstdio>

namespace civicbox {

std::string_view to_string(SubmissionState state) {
  switch (state) {
    case SubmissionState::received:
      return "received";
    case SubmissionState::registered:
      return "registered";
    case SubmissionState::in_progress:
      return "in_progress";
    case SubmissionState::resolved:
      return "resolved";
    case SubmissionState::rejected:
      return "rejected";
  }
  return "received";
}

Expected<SubmissionState> parse_submission_state(std::string_view text) {
  for (auto s :
       {SubmissionState::received, SubmissionState::registered, SubmissionState::in_progress,
        SubmissionState::resolved, SubmissionState::rejected}) {
    if (to_string(s) == text) return s;
  }
  return make_error(ErrorCode::parse, "unknown state '" + std::string(text.substr(0, 40)) +
                                          "'; one of received, registered, in_progress, "
                                          "resolved, rejected");
}

bool back_office_may_move(SubmissionState from, SubmissionState to) {
  using S = SubmissionState;
  switch (from) {
    case S::registered:
      return to == S::in_progress || to == S::resolved || to == S::rejected;
    case S::in_progress:
      return to == S::resolved || to == S::rejected;
    case S::received:
    case S::resolved:
    case S::rejected:
      return false;
  }
  return false;
}

std::string format_registration_number(int year, std::int64_t number) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d/%06lld", year, static_cast<long long>(number));
  return buf;
}

}  // namespace civicbox
