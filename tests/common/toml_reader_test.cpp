// The TOML a technician types: a mistake toml++ 3.3 cannot report by itself (a letter beyond
// ASCII in a key, a table header without a name) is a parse error naming its line, never
// undefined behaviour; everything the shipped configurations write still reads.
#include "common/toml_reader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

namespace civicbox::config {
namespace {

// Fails the test unless `text` is refused by the scan before toml++ reads it, with a parse
// error whose message starts with `start` (which names the line).
void expect_refused(const std::string& text, const std::string& start) {
  SCOPED_TRACE(text);
  auto parsed = parse_document(text);
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::parse);
  EXPECT_EQ(parsed.error().message.substr(0, start.size()), start) << parsed.error().message;
}

constexpr const char* kHeader = "# a technician's file\n[box]\n";

TEST(common_toml_reader, ALetterBeyondAsciiOutsideQuotesIsAParseErrorNamingItsLine) {
  const std::string outside = "outside quotes: keys and bare values are ASCII; put text in quotes";
  expect_refused(std::string(kHeader) + "fișier = \"x\"\n", "line 3: 'ș' (U+0219) " + outside);
  expect_refused(std::string(kHeader) + "a = 1§\n", "line 3: '§' (U+00A7) " + outside);
  // toml++ reads "+\"ș\"" as one bare value: the quote there opens no string.
  expect_refused(std::string(kHeader) + "a = +\"ș\"\n", "line 3: 'ș' (U+0219) " + outside);
  expect_refused(std::string(kHeader) + "a = 1.\"ș\"\n", "line 3: 'ș' (U+0219) " + outside);
  expect_refused(std::string(kHeader) + "a = 1979-05-27 0\"ș\"\n",
                 "line 3: 'ș' (U+0219) " + outside);
  expect_refused(std::string(kHeader) + "a = \"x\"ș\n", "line 3: 'ș' (U+0219) " + outside);
  expect_refused(std::string(kHeader) + "a = [1, ă]\n", "line 3: 'ă' (U+0103) " + outside);
  expect_refused(std::string(kHeader) + "[tabel.ș]\n", "line 3: 'ș' (U+0219) " + outside);
  // A no-break space looks like a space and is not one.
  expect_refused(std::string(kHeader) + "a =\u00A01\n", "line 3: '\u00A0' (U+00A0) " + outside);
}

TEST(common_toml_reader, ATableHeaderThatStartsNoNameIsAParseErrorNamingItsLine) {
  const std::string header = "a table header is [name] or [[name]]";
  expect_refused(std::string(kHeader) + "[$a]\n", "line 3: " + header);
  expect_refused(std::string(kHeader) + "[[[1]]]\n", "line 3: " + header);
  expect_refused(std::string(kHeader) + "[\n", "line 3: " + header);
  expect_refused(std::string(kHeader) + "[", "line 3: " + header);
  expect_refused(std::string(kHeader) + "  [[ ]]\n", "line 3: " + header);
  expect_refused(std::string(kHeader) + "[ # a comment\n", "line 3: " + header);
}

TEST(common_toml_reader, AValueThatIsNoNumberDateOrTruthValueIsAParseErrorNamingItsLine) {
  const std::string not_a_value =
      "' is not a value: a value is a number, a date or a time, true or false, a [list], a { "
      "table } or a text in quotes";
  expect_refused(std::string(kHeader) + "mode = open\n", "line 3: 'open" + not_a_value);
  expect_refused(std::string(kHeader) + "a = 01\n", "line 3: '01" + not_a_value);
  expect_refused(std::string(kHeader) + "a = [1 2]\n", "line 3: '1 2" + not_a_value);
  // toml++ 3.3 asserts on these two instead of reporting them.
  expect_refused(std::string(kHeader) + "a = 1979-05-27 0\n",
                 "line 3: '1979-05-27 0" + not_a_value);
  expect_refused(std::string(kHeader) + "a = 1979-05-27T`7:\n",
                 "line 3: '1979-05-27T`7:" + not_a_value);
  expect_refused(std::string(kHeader) + "a = [\n  1,\n  }\n",
                 "line 5: a '}' where a value should be");
}

TEST(common_toml_reader, ABackslashBeforeALetterBeyondAsciiInATextIsAParseErrorNamingItsLine) {
  expect_refused(std::string(kHeader) + "a = \"\\ș\"\n", "line 3: '\\ș' is not an escape");
  expect_refused(std::string(kHeader) + "a = \"\"\"\\ș\"\"\"\n", "line 3: '\\ș' is not an escape");
  expect_refused(std::string(kHeader) + "a = \"\"\"\\  ș\"\"\"\n",
                 "line 3: 'ș' (U+0219) after a backslash and spaces");
  // After a line-ending backslash toml++ 3.3 skips spaces with a check that is undefined for
  // most letters beyond ASCII: the first one after it is refused, with the escape to write.
  auto parsed = parse_document(std::string(kHeader) + "a = \"\"\"Școala \\\n   ă\"\"\"\n");
  ASSERT_FALSE(parsed);
  EXPECT_EQ(parsed.error().code, ErrorCode::parse);
  EXPECT_EQ(parsed.error().message,
            "line 4: 'ă' (U+0103) first after a line-ending backslash: the box's TOML reader "
            "cannot read it there; write it \\u0103 or drop the backslash");
  auto emoji = parse_document("a = \"\"\"\\\n😀\"\"\"\n");
  ASSERT_FALSE(emoji);
  EXPECT_NE(emoji.error().message.find("write it \\U0001F600"), std::string::npos)
      << emoji.error().message;
}

TEST(common_toml_reader, BytesThatAreNotUtf8AreAParseErrorNamingTheirLine) {
  const std::string not_utf8 = "is not UTF-8 text; save the file as UTF-8";
  expect_refused(std::string(kHeader) + "a = \"\xFF\"\n", "line 3: the byte 0xFF " + not_utf8);
  expect_refused(std::string(kHeader) + "# Prim\xE3ria\n", "line 3: the byte 0xE3 " + not_utf8);
  expect_refused(std::string(kHeader) + "a\xC8 = 1\n", "line 3: the byte 0xC8 " + not_utf8);
  // An overlong '/' and a UTF-16 surrogate are not UTF-8 either.
  expect_refused(std::string(kHeader) + "a = '\xC0\xAF'\n", "line 3: the byte 0xC0 " + not_utf8);
  expect_refused(std::string(kHeader) + "a = '\xED\xA0\x80'\n",
                 "line 3: the byte 0xED " + not_utf8);
}

TEST(common_toml_reader, TheLineNamedCountsTheLinesInsideMultiLineTexts) {
  expect_refused("a = \"\"\"\n[$not a header]\n\"\"\"\nb = '''\n\n'''\nfișier = 1\n",
                 "line 7: 'ș' (U+0219) outside quotes");
  expect_refused("a = [\n  1,\n  # ș\n  \"ș\",\n]\n[$a]\n", "line 6: a table header");
}

TEST(common_toml_reader, TextBeyondAsciiInStringsQuotedKeysAndCommentsReadsAsWritten) {
  auto parsed = parse_document(
      "\xEF\xBB\xBF# Primăria — setări\n"
      "name = \"Primăria Cluj-Napoca\"   # ș și ț\n"
      "\"fișier\" = 'ț'\n"
      "escaped = \"\\u0219\\\"\\\\\"\n"
      "multi = \"\"\"\nȘcoala \\\n   nr. 1 ă\"\"\"\n"
      "literal = '''\nă\\'''\n"
      "list = [\"ă\", 'î', \"\"\"â\"\"\"]\n"
      "inline = { \"ș\" = \"ț\" }\n"
      "[tabel.\"ș\"]\n"
      "x = \"ă\"\n");
  ASSERT_TRUE(parsed) << parsed.error().describe();
  const toml::table& root = *parsed;
  EXPECT_EQ(root["name"].value_or(std::string()), "Primăria Cluj-Napoca");
  EXPECT_EQ(root["fișier"].value_or(std::string()), "ț");
  EXPECT_EQ(root["escaped"].value_or(std::string()), "ș\"\\");
  EXPECT_EQ(root["multi"].value_or(std::string()), "Școala nr. 1 ă");
  EXPECT_EQ(root["literal"].value_or(std::string()), "ă\\");
  EXPECT_EQ(root["list"][2].value_or(std::string()), "â");
  EXPECT_EQ(root["inline"]["ș"].value_or(std::string()), "ț");
  EXPECT_EQ(root["tabel"]["ș"]["x"].value_or(std::string()), "ă");
}

TEST(common_toml_reader, EveryKindOfValueTheConfigurationsWriteStillReads) {
  auto parsed = parse_document(
      "top = 1\r\n"
      "[numbers]\n"
      "whole = -1_000\n"
      "plus = +7\n"
      "hex = 0xFF\n"
      "real = 6.5e-1\n"
      "not_a_number = nan\n"
      "minus_infinity = -inf\n"
      "octal = 0o17\n"
      "binary = 0b1010\n"
      "exponent = 1e+05\n"
      "zero = -0.0\n"
      "offset = 1979-05-27T00:32:00.999999-07:00\n"
      "lower_case = 1979-05-27t07:32:00z\n"
      "time = 07:32:00\n"
      "on = true\n"
      "when = 1979-05-27 07:32:00Z\n"
      "day = 1979-05-27\n"
      "[lists]\n"
      "ports = [ 1, 2 , 3, ]\n"
      "nested = [\n"
      "  [1, 2],\n"
      "  [ { a = 1 } ],  # a comment\n"
      "  [[3]],\n"
      "]\n"
      "empty = []\n"
      "[ dotted . \"quoted key\" ]\n"
      "a.b = { c = [1, { d = \"\" }], e = {} }\n"
      "'literal key' = '''one\n\"\"two\"\"'''\n"
      "text = \"\"\"\nline \\\n  joined \"\"\"\n"
      "[[compartment]]\n"
      "number = 1\n"
      "  [[ compartment ]]   # spaces around the name\n"
      "number = 2\n");
  ASSERT_TRUE(parsed) << parsed.error().describe();
  const toml::table& root = *parsed;
  EXPECT_EQ(root["numbers"]["whole"].value_or(0), -1000);
  EXPECT_EQ(root["numbers"]["hex"].value_or(0), 255);
  EXPECT_EQ(root["numbers"]["octal"].value_or(0), 15);
  EXPECT_EQ(root["numbers"]["binary"].value_or(0), 10);
  EXPECT_TRUE(root["numbers"]["when"].is_date_time());
  EXPECT_TRUE(root["numbers"]["offset"].is_date_time());
  EXPECT_TRUE(root["numbers"]["time"].is_time());
  EXPECT_EQ(root["lists"]["nested"][1][0]["a"].value_or(0), 1);
  EXPECT_EQ(root["lists"]["nested"][2][0][0].value_or(0), 3);
  EXPECT_EQ(root["dotted"]["quoted key"]["a"]["b"]["c"][1]["d"].value_or(std::string("x")), "");
  EXPECT_EQ(root["dotted"]["quoted key"]["literal key"].value_or(std::string()),
            "one\n\"\"two\"\"");
  EXPECT_EQ(root["dotted"]["quoted key"]["text"].value_or(std::string()), "line joined ");
  EXPECT_EQ(root["compartment"][1]["number"].value_or(0), 2);
}

TEST(common_toml_reader, EveryShippedConfigurationReadsThroughTheScan) {
  const std::filesystem::path source(CIVICBOX_SOURCE_DIR);
  std::vector<std::filesystem::path> files = {source / "firmware/agent.example.toml",
                                              source / "docs/controller.example.toml"};
  std::size_t cabinets = 0;
  for (const auto& entry : std::filesystem::directory_iterator(source / "hardware/cabinets")) {
    if (entry.path().extension() == ".toml") {
      files.push_back(entry.path());
      ++cabinets;
    }
  }
  EXPECT_GE(cabinets, 2u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    auto text = read_file(file);
    ASSERT_TRUE(text) << text.error().describe();
    auto checked = check_toml_pitfalls(*text);
    EXPECT_TRUE(checked) << checked.error().describe();
    auto parsed = parse_document(*text);
    EXPECT_TRUE(parsed) << parsed.error().describe();
  }
}

}  // namespace
}  // namespace civicbox::config
