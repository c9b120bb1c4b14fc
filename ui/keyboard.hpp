// The keys of the on-screen keyboards, per language: what a citizen can type for a phone number
// or an e-mail address (with the language's own letters, so a name in an address can be typed as
// it is written), the pickup-code keypad (the code alphabet only: a key that cannot be part of a
// code is not offered) and the PIN pad.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace civicbox::ui {

// Rows of keys; each key is one UTF-8 character (its action is "key:<character>").
using KeyRows = std::vector<std::vector<std::string>>;

// Digits, Latin letters, the signs of an e-mail address and a phone number, and a last row of the
// language's own letters (ro: ă â î ș ț; hu: á é í ó ö ő ú ü ű; ...), none for English.
KeyRows contact_keys(std::string_view language);
// The letters of the language's row alone (for tests: each must have a glyph and a key).
std::vector<std::string> language_letters(std::string_view language);
// The pickup-code alphabet (Crockford base32: 0-9 and A-Z without I L O U), 8 to a row.
KeyRows code_keys();
// 1-9, then 0.
KeyRows pin_keys();

// Splits UTF-8 text into its characters (code points, as strings); invalid bytes come out one by
// one, so a caller never loops forever.
std::vector<std::string> utf8_characters(std::string_view text);

}  // namespace civicbox::ui
