// What a QR code read at the box means. Every scanner (camera, keyboard wedge, serial) yields
// plain text; this is the one place that decides what that text is, and it is strict: anything
// that is not exactly one of the box's own formats is refused with a message a citizen or a
// clerk can be shown. The formats and the reasons behind them are in docs/scanned-codes.md.
//
//   pickup code      4F7KQ29XW, 4F7-KQ2-9XW, or https://<host>/p/<code>   (the town hall's QR)
//   clerk badge      CBX-BADGE:<id>          id: 4-32 of A-Z 0-9 -
//   parcel label     CBX-PARCEL:<tracking code>
//   enrolment token  CBX-ENROL:<token>       token: 22-128 of A-Z a-z 0-9 _ - (base32/64url)
//   self-test code   CBX-TEST:<token>        token: 8-32 of A-Z 0-9 (the self-test's receipt)
//
// Errors, by what the kiosk tells the person (the message says it in English; the code lets the
// kiosk pick its own translation):
//   parse      not a civicbox code at all (a foreign URL, random text, control characters,
//              bytes that are not UTF-8), or a civicbox prefix with a malformed payload
//   wrong_type a receipt's tracking code (bare or the tracking URL): that is for the website
//   bad_check  the right shape, but the check character does not match (a damaged or hand-made
//              code)
//   too_large  longer than any civicbox code (kMaxScannedLength)
//
// A pickup code is a secret: callers must never log the text or the parsed code.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "common/codes.hpp"
#include "common/error.hpp"

namespace civicbox {

// Longer than any valid scan (the longest is a pickup URL with a 253-character host); longer
// input is refused before it is looked at. Scanner drivers drop lines beyond their own limit.
inline constexpr std::size_t kMaxScannedLength = 512;

// A clerk's staff badge: the id says which clerk; whether that clerk may do anything is decided
// elsewhere (the badge is not a credential on its own).
struct ClerkBadge {
  std::string id;  // 4..32 of [A-Z0-9-], as printed
  friend bool operator==(const ClerkBadge&, const ClerkBadge&) = default;
};

// The label stuck on a parcel the back office issued: its tracking code is the parcel id.
struct ParcelLabel {
  TrackingCode parcel;
  friend bool operator==(const ParcelLabel&, const ParcelLabel&) = default;
};

// A one-time token shown by the provisioning tool to enrol a new box. Only its shape is checked
// here; whether it is genuine is for the enrolment to find out.
struct EnrolmentToken {
  std::string token;  // 22..128 of [A-Za-z0-9_-], case kept
  friend bool operator==(const EnrolmentToken&, const EnrolmentToken&) = default;
};

// The one-time code on the receipt a self-test prints: the scanner must read it back. It opens
// nothing and means nothing outside the self-test that printed it.
struct SelfTestCode {
  std::string token;  // 8..32 of [A-Z0-9], as printed
  friend bool operator==(const SelfTestCode&, const SelfTestCode&) = default;
};

using Scanned = std::variant<PickupCode, ClerkBadge, ParcelLabel, EnrolmentToken, SelfTestCode>;

inline constexpr std::size_t kBadgeIdMin = 4;
inline constexpr std::size_t kBadgeIdMax = 32;
inline constexpr std::size_t kEnrolmentTokenMin = 22;  // 128 bits in base64url
inline constexpr std::size_t kEnrolmentTokenMax = 128;
inline constexpr std::size_t kSelfTestTokenMin = 8;
inline constexpr std::size_t kSelfTestTokenMax = 32;
inline constexpr std::string_view kSelfTestPrefix = "CBX-TEST:";

// Parses the text of one scan. Errors as listed above; never throws.
Expected<Scanned> parse_scanned(std::string_view text);

// The canonical text of a scan: parse_scanned(format_scanned(s)) == s. A pickup code is given
// bare and ungrouped (the URL's host is not kept).
std::string format_scanned(const Scanned& scanned);

// True when `text` is valid UTF-8 with no control characters (C0, DEL, C1): what a scanner
// driver may pass on as a scan at all. parse_scanned() checks this too.
bool is_printable_text(std::string_view text);

}  // namespace civicbox
