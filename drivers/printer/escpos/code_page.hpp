// The single-byte code pages our languages need on a printer that prints text itself
// (HARDWARE.md): CP858 and WPC1252 for ca/es/pt/en, CP852 and WPC1250 for hu and, with cedillas,
// ro. Each value is the printer's ESC t table number. UTF-8 goes in and out; a character the page
// lacks becomes '?', except Romanian ș ț Ș Ț, which become the cedilla forms ş ţ Ş Ţ where the
// page has them (no ESC/POS page has the comma-below letters).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "drivers/printer/escpos/commands.hpp"

namespace civicbox::escpos {

enum class CodePage : std::uint8_t { cp858 = 19, wpc1252 = 16, cp852 = 18, wpc1250 = 45 };

// The page for ESC t n, if we know it.
std::optional<CodePage> code_page_of_table(std::uint8_t table);
// The page a receipt in this language is printed with in code-page mode.
CodePage code_page_for_language(std::string_view language);

// UTF-8 → the page's bytes. Malformed UTF-8 becomes '?' too: text from outside never fails here.
Bytes encode_text(std::string_view utf8, CodePage page);
// The page's bytes → UTF-8 (bytes below 0x20 are dropped; unassigned ones become U+FFFD).
std::string decode_text(std::span<const std::uint8_t> bytes, CodePage page);

// Small UTF-8 helpers shared by the layout and the simulator.
std::u32string utf8_to_code_points(std::string_view utf8);  // malformed → U+FFFD
std::string code_points_to_utf8(std::u32string_view code_points);

}  // namespace civicbox::escpos
