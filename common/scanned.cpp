#include "common/scanned.hpp"

#include <cstdint>
#include <type_traits>

namespace civicbox {

namespace {

constexpr std::string_view kBadgePrefix = "CBX-BADGE:";
constexpr std::string_view kParcelPrefix = "CBX-PARCEL:";
constexpr std::string_view kEnrolPrefix = "CBX-ENROL:";
constexpr std::string_view kTestPrefix = kSelfTestPrefix;
constexpr std::string_view kOurPrefix = "CBX-";

constexpr std::string_view kNotOurs = "this QR code is not a civicbox pickup code";
constexpr std::size_t kMaxHost = 253;  // the longest DNS name

Error not_ours(std::string_view why = {}) {
  std::string message(kNotOurs);
  if (!why.empty()) message += " (" + std::string(why) + ")";
  return make_error(ErrorCode::parse, std::move(message));
}

Error tracking_code_scanned() {
  return make_error(ErrorCode::wrong_type,
                    "this is the tracking code of a filing receipt, not a pickup code: its "
                    "status is shown on the town hall's website, not at the box");
}

bool is_ascii_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_upper_alnum(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() &&
         equals_ignoring_case(text.substr(0, prefix.size()), prefix);
}

// The shape of a printed code: `length` letters and digits, either run together or in the
// display form with a hyphen after every `group` characters ("4F7-KQ2-9XW"). Spaces, other
// separators and hyphens elsewhere are refused: a QR holds what the system printed, nothing a
// person re-typed. Which letters are valid (and the check character) is CheckedCode's job.
bool has_code_shape(std::string_view text, std::size_t length, std::size_t group) {
  if (text.size() == length) {
    for (char c : text) {
      if (!is_ascii_alnum(c)) return false;
    }
    return true;
  }
  const std::size_t grouped = length + (length - 1) / group;
  if (text.size() != grouped) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const bool hyphen_here = (i + 1) % (group + 1) == 0;
    if (hyphen_here ? text[i] != '-' : !is_ascii_alnum(text[i])) return false;
  }
  return true;
}

bool has_pickup_shape(std::string_view text) {
  return has_code_shape(text, PickupCode::kLength, 3);
}

bool has_tracking_shape(std::string_view text) {
  return has_code_shape(text, TrackingCode::kLength, 4);
}

Expected<Scanned> pickup_from(std::string_view text) {
  auto code = PickupCode::parse(text);
  if (code) return Scanned{std::move(*code)};
  if (code.error().code == ErrorCode::bad_check) {
    return make_error(ErrorCode::bad_check,
                      "this pickup code is damaged or was copied wrong: its check character "
                      "does not match");
  }
  return not_ours("it uses letters a pickup code never has");
}

// A host name as it appears in a URL: letters, digits, dots and hyphens, and an optional port.
bool is_host(std::string_view host) {
  if (host.empty() || host.size() > kMaxHost + 6) return false;
  const auto colon = host.find(':');
  std::string_view name = host.substr(0, colon);
  if (name.empty() || name.size() > kMaxHost || name.front() == '.' || name.front() == '-') {
    return false;
  }
  for (char c : name) {
    if (!is_ascii_alnum(c) && c != '.' && c != '-') return false;
  }
  if (colon == std::string_view::npos) return true;
  std::string_view port = host.substr(colon + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A URL: the town hall's pickup QR (https://<host>/p/<code>), a receipt's tracking QR (any URL
// whose path ends in /track/<tracking code>), or a link somewhere else. Scheme, host and the
// fixed path are compared without case: QR generators upper-case whole URLs to fit the denser
// alphanumeric mode.
Expected<Scanned> parse_url(std::string_view text) {
  const auto scheme_end = text.find("://");
  const std::string_view scheme = text.substr(0, scheme_end);
  const std::string_view rest = text.substr(scheme_end + 3);
  const auto path_start = rest.find('/');
  if (path_start == std::string_view::npos) return not_ours("it is a link to another website");
  const std::string_view host = rest.substr(0, path_start);
  const std::string_view path = rest.substr(path_start);

  constexpr std::string_view kTrack = "/track/";
  if (path.size() >= kTrack.size() + TrackingCode::kLength) {
    const std::size_t code_at = path.size() - TrackingCode::kLength;
    const std::string_view code = path.substr(code_at);
    if (equals_ignoring_case(path.substr(code_at - kTrack.size(), kTrack.size()), kTrack) &&
        has_tracking_shape(code) && TrackingCode::parse(code)) {
      return tracking_code_scanned();
    }
  }

  constexpr std::string_view kPickupPath = "/p/";
  if (!equals_ignoring_case(scheme, "https") || !is_host(host) ||
      !starts_with_ignoring_case(path, kPickupPath)) {
    return not_ours("it is a link to another website");
  }
  const std::string_view code = path.substr(kPickupPath.size());
  if (!has_pickup_shape(code)) return not_ours("the link does not end in a pickup code");
  return pickup_from(code);
}

Expected<Scanned> parse_badge(std::string_view id) {
  const auto refuse = [] {
    return make_error(ErrorCode::parse,
                      "this is not a valid civicbox clerk badge: its id must be 4 to 32 capital "
                      "letters, digits or hyphens");
  };
  if (id.size() < kBadgeIdMin || id.size() > kBadgeIdMax) return refuse();
  for (char c : id) {
    if (!is_upper_alnum(c) && c != '-') return refuse();
  }
  return Scanned{ClerkBadge{std::string(id)}};
}

Expected<Scanned> parse_parcel(std::string_view code) {
  if (!has_tracking_shape(code)) {
    return make_error(ErrorCode::parse,
                      "this is not a valid civicbox parcel label: it must end in a 12-character "
                      "parcel code");
  }
  auto parcel = TrackingCode::parse(code);
  if (parcel) return Scanned{ParcelLabel{std::move(*parcel)}};
  if (parcel.error().code == ErrorCode::bad_check) {
    return make_error(ErrorCode::bad_check,
                      "this parcel label is damaged: its code's check character does not match");
  }
  return make_error(ErrorCode::parse,
                    "this is not a valid civicbox parcel label: its code uses letters a parcel "
                    "code never has");
}

Expected<Scanned> parse_enrolment(std::string_view token) {
  bool ok = token.size() >= kEnrolmentTokenMin && token.size() <= kEnrolmentTokenMax;
  for (char c : token) {
    if (!is_ascii_alnum(c) && c != '-' && c != '_') ok = false;
  }
  if (!ok) {
    return make_error(ErrorCode::parse,
                      "this is not a valid civicbox enrolment code: the token must be 22 to 128 "
                      "letters, digits, hyphens or underscores");
  }
  return Scanned{EnrolmentToken{std::string(token)}};
}

Expected<Scanned> parse_self_test(std::string_view token) {
  bool ok = token.size() >= kSelfTestTokenMin && token.size() <= kSelfTestTokenMax;
  for (char c : token) {
    if (!is_upper_alnum(c)) ok = false;
  }
  if (!ok) {
    return make_error(ErrorCode::parse,
                      "this is not a valid civicbox self-test code: the token must be 8 to 32 "
                      "capital letters or digits");
  }
  return Scanned{SelfTestCode{std::string(token)}};
}

// Length of the UTF-8 sequence starting at text[i] if it is valid and not a control character
// (C1 controls are U+0080..U+009F, encoded C2 80..C2 9F), else 0.
std::size_t printable_sequence(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t b0 = byte(i);
  if (b0 < 0x20 || b0 == 0x7F) return 0;
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    cp = b0 & 0x1FU;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    cp = b0 & 0x0FU;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    cp = b0 & 0x07U;
  } else {
    return 0;  // a continuation byte, an over-long lead (C0, C1) or beyond U+10FFFF (F5..FF)
  }
  if (i + n > text.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const std::uint8_t b = byte(i + k);
    if ((b & 0xC0U) != 0x80U) return 0;
    cp = (cp << 6) | (b & 0x3FU);
  }
  const std::uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < smallest[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  if (cp >= 0x80 && cp <= 0x9F) return 0;
  return n;
}

}  // namespace

bool is_printable_text(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = printable_sequence(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

Expected<Scanned> parse_scanned(std::string_view text) {
  if (text.empty()) return not_ours("nothing was read");
  if (text.size() > kMaxScannedLength) {
    return make_error(ErrorCode::too_large, std::string(kNotOurs) + " (it is far too long)");
  }
  if (!is_printable_text(text)) return not_ours("it holds characters that are not text");
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return not_ours();  // our formats are ASCII
  }

  if (text.starts_with(kOurPrefix)) {
    if (text.starts_with(kBadgePrefix)) return parse_badge(text.substr(kBadgePrefix.size()));
    if (text.starts_with(kParcelPrefix)) return parse_parcel(text.substr(kParcelPrefix.size()));
    if (text.starts_with(kEnrolPrefix)) {
      return parse_enrolment(text.substr(kEnrolPrefix.size()));
    }
    if (text.starts_with(kTestPrefix)) return parse_self_test(text.substr(kTestPrefix.size()));
    return make_error(ErrorCode::parse,
                      "this civicbox code is of a kind this box does not know: please ask at "
                      "the counter");
  }

  const auto scheme_end = text.find("://");
  if (scheme_end != std::string_view::npos) return parse_url(text);

  if (has_pickup_shape(text)) return pickup_from(text);
  if (has_tracking_shape(text) && TrackingCode::parse(text)) return tracking_code_scanned();
  return not_ours();
}

std::string format_scanned(const Scanned& scanned) {
  return std::visit(
      [](const auto& s) -> std::string {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, PickupCode>) {
          return s.str();
        } else if constexpr (std::is_same_v<T, ClerkBadge>) {
          return std::string(kBadgePrefix) + s.id;
        } else if constexpr (std::is_same_v<T, ParcelLabel>) {
          return std::string(kParcelPrefix) + s.parcel.str();
        } else if constexpr (std::is_same_v<T, EnrolmentToken>) {
          return std::string(kEnrolPrefix) + s.token;
        } else {
          static_assert(std::is_same_v<T, SelfTestCode>);
          return std::string(kTestPrefix) + s.token;
        }
      },
      scanned);
}

}  // namespace civicbox
