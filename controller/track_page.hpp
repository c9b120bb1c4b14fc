// The citizen's tracking page, GET /track/{code}: what the QR on a filing receipt opens on a
// phone. Server-rendered HTML with its CSS inline and no script, no image, no external resource
// (the route sends a Content-Security-Policy that forbids them), readable on a small screen and
// without JavaScript. It shows only what the receipt already shows and the document's steps:
// the tracking code, the registration number, the kind when it is one the town hall configured,
// the state and when each step happened. Never the contact, the box or the compartment.
//
// The words are in a catalog in track_words.cpp, one entry per language the kiosk speaks
// (ui/lang/*.toml); tests/controller/track_page_test.cpp checks that every language has every
// phrase. Pure: no I/O and no clock; the page is a function of its inputs.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/submission_state.hpp"
#include "controller/storage.hpp"

namespace civicbox::controller {

// How a date is written in a language: 24.11.2026, 24/11/2026 or 2026. 11. 24.
enum class DateOrder { day_month_year_dots, day_month_year_slashes, year_month_day };

struct StateWords {
  std::string_view name;     // "In progress"
  std::string_view meaning;  // one or two plain sentences: what it means, what happens next
};

struct ProblemWords {
  std::string_view title;  // "This code has a typing mistake"
  std::string_view help;   // what to do
};

// Every phrase of the page in one language. A phrase added here must be added to phrases_of()
// and to every language in track_words.cpp (the catalog test finds an empty one).
struct TrackWords {
  std::string_view language;  // ISO 639-1, "ro"
  std::string_view name;      // the language's own name, "Română"
  DateOrder date_order = DateOrder::day_month_year_dots;
  std::string_view title;  // "Where is my document?"
  std::string_view tracking_code;
  std::string_view registration_number;
  std::string_view number_pending;  // in place of the number before it is given
  std::string_view kind;
  std::string_view status;
  std::string_view steps;
  std::string_view times_in;  // "Times are in {zone}." ({zone}: "UTC" or the town hall's zone)
  std::string_view languages;
  std::string_view no_personal_data;
  std::string_view you_typed;
  std::string_view ask_counter;  // the last resort, on every page
  StateWords received;
  StateWords registered;
  StateWords in_progress;
  StateWords resolved;
  StateWords rejected;
  ProblemWords mistyped_code;
  ProblemWords malformed_code;
  ProblemWords unknown_code;
  ProblemWords unavailable;  // the controller cannot answer now (its database)
  // The kiosk's document kinds (ui/lang [kind]); another configured kind is shown as it is.
  std::string_view kind_request;
  std::string_view kind_complaint;
  std::string_view kind_form;
  std::string_view kind_certificate_request;
  std::string_view kind_tax_declaration;
  std::string_view kind_other;
};

// The catalog: one entry per language, in the kiosk's order (ro, hu, en, ca, es, pt).
std::span<const TrackWords> track_catalog();
// The entry for `language`, nullptr when the page does not speak it.
const TrackWords* track_words(std::string_view language);
// The words of one state in a catalog entry.
const StateWords& state_words(const TrackWords& words, SubmissionState state);
// Every phrase of an entry with its key ("state.received.name", ...), for the catalog test.
std::vector<std::pair<std::string_view, std::string_view>> phrases_of(const TrackWords& words);

// The page's language: `query` (?lang=) if the page speaks it, else the receipt's language,
// else the first language of Accept-Language (by q-value, primary subtag: "hu-HU" is "hu")
// the page speaks, else `fallback` if spoken, else "ro".
std::string choose_track_language(std::string_view query, std::string_view receipt,
                                  std::string_view accept_language, std::string_view fallback);

struct TrackPageSettings {
  std::string institution_name{};
  std::vector<std::string> document_kinds{};  // published kinds; any other shows as "other"
  // The languages linked from the page, in this order (the configured box languages the page
  // speaks; empty: all of the catalog).
  std::vector<std::string> languages{};
  // Empty: times in UTC. Else the town hall's IANA zone name, shown as the label; the times are
  // then the process's local time, which main() sets from the same [institution] timezone.
  std::string timezone{};
};

// One page in `language` (which the catalog should hold; else "ro" is used). The language links
// are relative ("?lang=hu"): they keep the page's own path, whatever the citizen typed.
std::string render_track_page(const SubmissionRecord& record, const TrackPageSettings& settings,
                              std::string_view language);

// The three ways a code is not found, the same as GET /v1/track/{code}'s error words, and the
// controller failing to look (a 5xx).
enum class TrackProblem { mistyped_code, malformed_code, unknown_code, unavailable };
std::string_view to_string(TrackProblem problem);

// The friendly page for a problem: what went wrong and what to do. `typed` (what the citizen
// typed, shown back escaped and shortened) may be empty.
std::string render_track_problem(TrackProblem problem, std::string_view typed,
                                 const TrackPageSettings& settings, std::string_view language);

// Text made safe for HTML content and attribute values (& < > " ').
std::string html_escape(std::string_view text);

}  // namespace civicbox::controller
