#include "common/error.hpp"

namespace civicbox {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid argument";
    case ErrorCode::parse:
      return "malformed input";
    case ErrorCode::missing_field:
      return "missing field";
    case ErrorCode::wrong_type:
      return "wrong type";
    case ErrorCode::too_large:
      return "too large";
    case ErrorCode::unknown_field:
      return "unknown field";
    case ErrorCode::bad_check:
      return "bad check character";
    case ErrorCode::not_found:
      return "not found";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::unauthenticated:
      return "unauthenticated";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::io:
      return "i/o error";
    case ErrorCode::crypto:
      return "crypto error";
    case ErrorCode::state:
      return "not allowed now";
    case ErrorCode::locked_out:
      return "locked out";
    case ErrorCode::revoked:
      return "revoked";
    case ErrorCode::internal:
      return "internal error";
  }
  return "unknown error";
}

}  // namespace civicbox
