#include "drivers/scanner/wedge/us_key_map.hpp"

#include <array>
#include <string>

namespace civicbox::scanner {

namespace {

struct KeyCharacters {
  unsigned code;
  char plain;
  char shifted;
};

// The main block of a US keyboard, row by row.
constexpr std::array<KeyCharacters, 48> kMainBlock{{
    {KEY_GRAVE, '`', '~'},       {KEY_1, '1', '!'},          {KEY_2, '2', '@'},
    {KEY_3, '3', '#'},           {KEY_4, '4', '$'},          {KEY_5, '5', '%'},
    {KEY_6, '6', '^'},           {KEY_7, '7', '&'},          {KEY_8, '8', '*'},
    {KEY_9, '9', '('},           {KEY_0, '0', ')'},          {KEY_MINUS, '-', '_'},
    {KEY_EQUAL, '=', '+'},       {KEY_Q, 'q', 'Q'},          {KEY_W, 'w', 'W'},
    {KEY_E, 'e', 'E'},           {KEY_R, 'r', 'R'},          {KEY_T, 't', 'T'},
    {KEY_Y, 'y', 'Y'},           {KEY_U, 'u', 'U'},          {KEY_I, 'i', 'I'},
    {KEY_O, 'o', 'O'},           {KEY_P, 'p', 'P'},          {KEY_LEFTBRACE, '[', '{'},
    {KEY_RIGHTBRACE, ']', '}'},  {KEY_BACKSLASH, '\\', '|'}, {KEY_A, 'a', 'A'},
    {KEY_S, 's', 'S'},           {KEY_D, 'd', 'D'},          {KEY_F, 'f', 'F'},
    {KEY_G, 'g', 'G'},           {KEY_H, 'h', 'H'},          {KEY_J, 'j', 'J'},
    {KEY_K, 'k', 'K'},           {KEY_L, 'l', 'L'},          {KEY_SEMICOLON, ';', ':'},
    {KEY_APOSTROPHE, '\'', '"'}, {KEY_Z, 'z', 'Z'},          {KEY_X, 'x', 'X'},
    {KEY_C, 'c', 'C'},           {KEY_V, 'v', 'V'},          {KEY_B, 'b', 'B'},
    {KEY_N, 'n', 'N'},           {KEY_M, 'm', 'M'},          {KEY_COMMA, ',', '<'},
    {KEY_DOT, '.', '>'},         {KEY_SLASH, '/', '?'},      {KEY_SPACE, ' ', ' '},
}};

// The keypad with NumLock on: the same character with or without Shift.
constexpr std::array<KeyCharacters, 15> kKeypad{{
    {KEY_KP0, '0', '0'},
    {KEY_KP1, '1', '1'},
    {KEY_KP2, '2', '2'},
    {KEY_KP3, '3', '3'},
    {KEY_KP4, '4', '4'},
    {KEY_KP5, '5', '5'},
    {KEY_KP6, '6', '6'},
    {KEY_KP7, '7', '7'},
    {KEY_KP8, '8', '8'},
    {KEY_KP9, '9', '9'},
    {KEY_KPASTERISK, '*', '*'},
    {KEY_KPMINUS, '-', '-'},
    {KEY_KPPLUS, '+', '+'},
    {KEY_KPDOT, '.', '.'},
    {KEY_KPSLASH, '/', '/'},
}};

input_event event(unsigned short type, unsigned short code, int value) {
  input_event e{};
  e.type = type;
  e.code = code;
  e.value = value;
  return e;
}

void press_and_release(std::vector<input_event>& out, unsigned code) {
  const auto key = static_cast<unsigned short>(code);
  out.push_back(event(EV_KEY, key, 1));
  out.push_back(event(EV_SYN, SYN_REPORT, 0));
  out.push_back(event(EV_KEY, key, 0));
  out.push_back(event(EV_SYN, SYN_REPORT, 0));
}

}  // namespace

std::optional<char> us_character(unsigned key_code, bool shift) {
  for (const auto& k : kMainBlock) {
    if (k.code == key_code) return shift ? k.shifted : k.plain;
  }
  for (const auto& k : kKeypad) {
    if (k.code == key_code) return k.plain;
  }
  return std::nullopt;
}

std::optional<UsKeystroke> us_keystroke(char c) {
  for (const auto& k : kMainBlock) {
    if (k.plain == c) return UsKeystroke{k.code, false};
    if (k.shifted == c) return UsKeystroke{k.code, true};
  }
  return std::nullopt;
}

Expected<std::vector<input_event>> keystrokes_for(std::string_view text) {
  std::vector<input_event> out;
  for (char c : text) {
    const auto key = us_keystroke(c);
    if (!key) {
      return make_error(ErrorCode::invalid_argument,
                        "no key of a US keyboard types the character " +
                            std::to_string(static_cast<unsigned char>(c)));
    }
    if (key->shift) {
      out.push_back(event(EV_KEY, KEY_LEFTSHIFT, 1));
      out.push_back(event(EV_SYN, SYN_REPORT, 0));
    }
    press_and_release(out, key->key_code);
    if (key->shift) {
      out.push_back(event(EV_KEY, KEY_LEFTSHIFT, 0));
      out.push_back(event(EV_SYN, SYN_REPORT, 0));
    }
  }
  press_and_release(out, KEY_ENTER);
  return out;
}

}  // namespace civicbox::scanner
