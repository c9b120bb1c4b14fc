// The US keyboard layout, both ways, for keyboard-wedge scanners. A wedge scanner "types" what
// it reads as USB key codes of a US keyboard, whatever layout the system is set to, so the box
// translates key codes itself instead of trusting the system's keymap (on a Spanish or Hungarian
// layout the kernel's keymap would turn the ':' of "CBX-BADGE:" into something else).
//
// Only printable ASCII is mapped. Keypad keys give their NumLock-on character (scanners that
// "type" digits on the keypad assume NumLock). Everything else (function keys, arrows, Tab,
// Backspace, the extra ISO key) has no character: a scan containing one is not trusted.
#pragma once

#include <linux/input.h>

#include <optional>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace civicbox::scanner {

// The character a key gives on a US keyboard, with or without Shift; nullopt for keys with none.
std::optional<char> us_character(unsigned key_code, bool shift);

// One key press as a scanner sends it: the key, and whether Shift is held.
struct UsKeystroke {
  unsigned key_code = 0;
  bool shift = false;
};

// How to type `c` on a US keyboard (main block, never the keypad); nullopt if it cannot be.
std::optional<UsKeystroke> us_keystroke(char c);

// The input events a wedge scanner sends for `text` followed by Enter: Shift pressed around
// each shifted key, every key pressed and released, a SYN_REPORT after each. Times are zero.
// Errors: invalid_argument (a character no US key types).
Expected<std::vector<input_event>> keystrokes_for(std::string_view text);

}  // namespace civicbox::scanner
