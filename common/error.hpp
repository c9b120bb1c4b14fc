// Errors are values: every function that can fail because of something outside the program
// (a file, the network, a device, a person typing) returns Expected<T>. An Error carries a
// category a caller can branch on and a message a technician can act on; `context()` prefixes
// where the error crossed a boundary ("syncing with the controller: connect timed out").
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace civicbox {

enum class ErrorCode {
  invalid_argument,  // caller passed something that can never work
  parse,             // bytes from outside were malformed (JSON, TOML, a code, a frame)
  missing_field,     // a required field is absent
  wrong_type,        // a field has the wrong JSON/TOML type
  too_large,         // a value, list or body is over its limit
  unknown_field,     // an unexpected field (often a typo)
  bad_check,         // a code's check character does not match: a typo
  not_found,         // the thing asked for does not exist
  conflict,          // the request contradicts what is stored
  forbidden,         // authenticated, but not allowed
  unauthenticated,   // no or bad credentials
  unavailable,       // a peer or device did not answer; retrying may help
  io,                // a file or database operation failed
  crypto,            // a key, certificate or signature operation failed
  state,             // the operation is not allowed in the current state
  locked_out,        // too many failed attempts
  revoked,           // the box's certificate was revoked: out of service until re-enrolled
  internal,          // a bug: should never happen
};

std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string message;

  // Returns the same error with "what: " put in front of the message.
  [[nodiscard]] Error context(std::string_view what) const {
    return Error{code, std::string(what) + ": " + message};
  }
  [[nodiscard]] std::string describe() const {
    return std::string(to_string(code)) + ": " + message;
  }
};

inline Error make_error(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

// A small stand-in for C++23 std::expected<T, Error>.
template <typename T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const Error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  [[nodiscard]] bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_{ErrorCode::internal, {}};
  bool ok_ = true;
};

}  // namespace civicbox

// Unwraps an Expected or returns its error from the enclosing function:
//   CIVICBOX_TRY(auto body, parse(text));
#define CIVICBOX_CONCAT_INNER(a, b) a##b
#define CIVICBOX_CONCAT(a, b) CIVICBOX_CONCAT_INNER(a, b)
#define CIVICBOX_TRY(decl, expr)                             \
  auto CIVICBOX_CONCAT(civicbox_try_, __LINE__) = (expr);    \
  if (!CIVICBOX_CONCAT(civicbox_try_, __LINE__))             \
    return CIVICBOX_CONCAT(civicbox_try_, __LINE__).error(); \
  decl = std::move(*CIVICBOX_CONCAT(civicbox_try_, __LINE__))
// Same for Expected<void>.
#define CIVICBOX_CHECK(expr)                              \
  do {                                                    \
    auto civicbox_check_ = (expr);                        \
    if (!civicbox_check_) return civicbox_check_.error(); \
  } while (false)
