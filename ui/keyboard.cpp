#include "ui/keyboard.hpp"

namespace civicbox::ui {

std::vector<std::string> utf8_characters(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    if (lead >= 0xF0 && lead < 0xF8) {
      len = 4;
    } else if (lead >= 0xE0) {
      len = lead < 0xF0 ? 3 : 1;
    } else if (lead >= 0xC0) {
      len = 2;
    }
    if (i + len > text.size()) len = 1;
    for (std::size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) {
        len = 1;
        break;
      }
    }
    out.emplace_back(text.substr(i, len));
    i += len;
  }
  return out;
}

std::vector<std::string> language_letters(std::string_view language) {
  if (language == "ro") return utf8_characters("ăâîșț");
  if (language == "hu") return utf8_characters("áéíóöőúüű");
  if (language == "ca") return utf8_characters("àçèéíïòóúü·");
  if (language == "es") return utf8_characters("áéíñóúü");
  if (language == "pt") return utf8_characters("áâãàçéêíóôõú");
  return {};
}

KeyRows contact_keys(std::string_view language) {
  KeyRows rows{utf8_characters("1234567890"),
               utf8_characters("qwertyuiop"),
               utf8_characters("asdfghjkl@"),
               utf8_characters("zxcvbnm.-_"),
               {"+"}};
  // The language's letters fill the last row after "+" and run on in rows of ten.
  for (auto& letter : language_letters(language)) {
    if (rows.back().size() == 10) rows.emplace_back();
    rows.back().push_back(letter);
  }
  return rows;
}

KeyRows code_keys() {
  const std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  KeyRows rows;
  for (std::size_t i = 0; i < alphabet.size(); ++i) {
    if (i % 8 == 0) rows.emplace_back();
    rows.back().emplace_back(1, alphabet[i]);
  }
  return rows;
}

KeyRows pin_keys() {
  return {{"1", "2", "3"}, {"4", "5", "6"}, {"7", "8", "9"}, {"0"}};
}

}  // namespace civicbox::ui
