// The kiosk's words: every language says everything English says, with the same facts filled in,
// in correctly spelled letters; a broken catalogue file is refused with the key to fix; and a
// screen is never blank even when a text is missing.
#include "ui/catalog.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/scanned.hpp"

namespace civicbox::ui {
namespace {

namespace fs = std::filesystem;

const fs::path kLangDir = CIVICBOX_UI_LANG_DIR;

Catalog load_catalog(std::string_view code) {
  auto catalog = Catalog::load(kLangDir / (std::string(code) + ".toml"), std::string(code));
  if (!catalog) {
    ADD_FAILURE() << code << ": " << catalog.error().describe();
    return {};
  }
  return std::move(catalog).value();
}

std::set<std::string> placeholder_set(std::string_view text) {
  auto names = placeholders(text);
  if (!names) return {"<" + names.error().message + ">"};
  return {names->begin(), names->end()};
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

// The keys whose text holds any of `needles`.
std::vector<std::string> keys_containing(const Catalog& catalog,
                                         std::initializer_list<std::string_view> needles) {
  std::vector<std::string> keys;
  for (const auto& [key, text] : catalog.entries()) {
    for (std::string_view needle : needles) {
      if (text.find(needle) != std::string::npos) {
        keys.push_back(key);
        break;
      }
    }
  }
  return keys;
}

bool any_text_contains(const Catalog& catalog, std::string_view needle) {
  return !keys_containing(catalog, {needle}).empty();
}

// --- The shipped catalogues -------------------------------------------------------------------

TEST(CatalogFiles, TheLanguagesAreTheSixTheBoxSpeaksInTheBarsOrder) {
  std::vector<std::string> codes;
  for (const Language& language : languages()) codes.emplace_back(language.code);
  EXPECT_EQ(codes, (std::vector<std::string>{"ro", "hu", "en", "ca", "es", "pt"}));
  EXPECT_EQ(languages().front().code, kDefaultLanguage);
  EXPECT_EQ(languages()[0].name, "Română");
  EXPECT_EQ(languages()[1].name, "Magyar");
  EXPECT_EQ(languages()[3].name, "Català");
  EXPECT_EQ(languages()[4].name, "Español");
  EXPECT_EQ(languages()[5].name, "Português");
}

TEST(CatalogFiles, EveryCatalogueParsesAndIsValidUtf8) {
  for (const Language& language : languages()) {
    auto catalog = Catalog::load(kLangDir / (std::string(language.code) + ".toml"),
                                 std::string(language.code));
    ASSERT_TRUE(catalog.has_value()) << catalog.error().describe();
    EXPECT_EQ(catalog->language(), language.code);
    EXPECT_FALSE(catalog->entries().empty()) << language.code;
    for (const auto& [key, text] : catalog->entries()) {
      EXPECT_TRUE(is_printable_text(text)) << language.code << " " << key;
      EXPECT_FALSE(text.empty()) << language.code << " " << key;
    }
  }
  auto all = Catalogs::load(kLangDir);
  ASSERT_TRUE(all.has_value()) << all.error().describe();
  for (const Language& language : languages()) {
    EXPECT_NE(all->find(language.code), nullptr) << language.code;
  }
}

TEST(CatalogFiles, EveryLanguageHasEveryKeyEnglishHasAndNoKeyEnglishLacks) {
  const Catalog english = load_catalog("en");
  ASSERT_FALSE(english.entries().empty());
  for (const Language& language : languages()) {
    const Catalog catalog = load_catalog(language.code);
    std::vector<std::string> missing;
    std::vector<std::string> extra;
    for (const auto& [key, text] : english.entries()) {
      if (!catalog.has(key)) missing.push_back(key);
    }
    for (const auto& [key, text] : catalog.entries()) {
      if (!english.has(key)) extra.push_back(key);
    }
    EXPECT_TRUE(missing.empty()) << language.code << " lacks: " << join(missing);
    EXPECT_TRUE(extra.empty()) << language.code << " has keys English lacks: " << join(extra);
  }
}

TEST(CatalogFiles, EveryTextHasTheSamePlaceholdersAsEnglish) {
  const Catalog english = load_catalog("en");
  for (const Language& language : languages()) {
    const Catalog catalog = load_catalog(language.code);
    for (const auto& [key, text] : catalog.entries()) {
      if (!english.has(key)) continue;  // reported by the test above
      const auto want = placeholder_set(english.entries().find(key)->second);
      const auto got = placeholder_set(text);
      EXPECT_EQ(got, want) << language.code << " " << key << ": \"" << text << "\"";
    }
  }
}

TEST(CatalogFiles, RomanianUsesCommaBelowNeverCedilla) {
  const Catalog ro = load_catalog("ro");
  // ş ţ Ş Ţ (U+015F U+0163 U+015E U+0162) look alike but are Turkish letters; screen readers and
  // searches treat them as different words.
  const auto wrong = keys_containing(ro, {"\u015F", "\u0163", "\u015E", "\u0162"});
  EXPECT_TRUE(wrong.empty()) << "cedilla instead of comma-below in: " << join(wrong);
  EXPECT_TRUE(any_text_contains(ro, "\u0219"));  // ș
  EXPECT_TRUE(any_text_contains(ro, "\u021B"));  // ț
}

TEST(CatalogFiles, HungarianUsesDoubleAcuteNeverTildeOrCircumflex) {
  const Catalog hu = load_catalog("hu");
  // õ û Õ Û (U+00F5 U+00FB U+00D5 U+00DB): what a Latin-1 keyboard gives for ő ű.
  const auto wrong = keys_containing(hu, {"\u00F5", "\u00FB", "\u00D5", "\u00DB"});
  EXPECT_TRUE(wrong.empty()) << "õ/û instead of ő/ű in: " << join(wrong);
  EXPECT_TRUE(any_text_contains(hu, "\u0151"));  // ő
  EXPECT_TRUE(any_text_contains(hu, "\u0171"));  // ű
}

TEST(CatalogFiles, CatalanWritesLlWithTheMiddleDot) {
  const Catalog ca = load_catalog("ca");
  // l.l, l•l, l∙l, l⋅l and the precomposed ŀ are the usual wrong ways of writing l·l (U+00B7).
  const auto wrong = keys_containing(ca, {"l.l", "l\u2022l", "l\u2219l", "l\u22C5l", "\u0140"});
  EXPECT_TRUE(wrong.empty()) << "l·l written wrongly in: " << join(wrong);
  EXPECT_TRUE(any_text_contains(ca, "l\u00B7l"));
}

TEST(CatalogFiles, TheDiacriticLettersEachLanguageNeedsAppearInItsCatalogue) {
  // A sanity check that the texts are translations, not English copies or letters lost to a
  // wrong encoding. Each group is "any of".
  struct Need {
    std::string_view language;
    std::vector<std::vector<std::string_view>> groups;
  };
  const std::vector<Need> needs = {
      {"ro", {{"ș"}, {"ț"}, {"ă"}, {"â"}, {"î"}}},
      {"hu", {{"ő"}, {"ű"}, {"á"}, {"é"}}},
      {"ca", {{"l·l", "ç", "à"}}},
      {"es", {{"ñ"}, {"á"}}},
      {"pt", {{"ã"}, {"ç"}, {"õ", "ê"}}},
  };
  for (const Need& need : needs) {
    const Catalog catalog = load_catalog(need.language);
    for (const auto& group : need.groups) {
      bool found = false;
      for (std::string_view letter : group) found = found || any_text_contains(catalog, letter);
      std::vector<std::string> letters(group.begin(), group.end());
      EXPECT_TRUE(found) << need.language << " has none of: " << join(letters);
    }
  }
}

TEST(CatalogFiles, ATranslationIsNotTheEnglishTextLeftAsIs) {
  // Words that are the same in every language ("OK", "PIN", "Email") are fine; a whole sentence
  // left in English is not.
  const Catalog english = load_catalog("en");
  for (const Language& language : languages()) {
    if (language.code == "en") continue;
    const Catalog catalog = load_catalog(language.code);
    std::vector<std::string> same;
    for (const auto& [key, text] : catalog.entries()) {
      const auto it = english.entries().find(key);
      if (it != english.entries().end() && it->second == text &&
          text.find(' ') != std::string::npos)
        same.push_back(key);
    }
    EXPECT_TRUE(same.empty()) << language.code << " left in English: " << join(same);
  }
}

// --- Looking texts up ------------------------------------------------------------------------

// Writes a set of catalogue files to a fresh folder and removes it afterwards.
class CatalogsFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("catalogs-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(std::string_view code, std::string_view text) {
    std::ofstream(dir_ / (std::string(code) + ".toml"), std::ios::binary) << text;
  }
  void write_all(std::string_view text) {
    for (const Language& language : languages()) write(language.code, text);
  }
  fs::path dir_;
};

TEST_F(CatalogsFolder, AMissingKeyFallsBackToEnglishThenToTheKey) {
  write_all("[home]\ntitle = \"Cutie\"\n");
  write("en", "[home]\ntitle = \"Document box\"\nfile = \"File {what}\"\n");
  auto catalogs = Catalogs::load(dir_);
  ASSERT_TRUE(catalogs.has_value()) << catalogs.error().describe();

  EXPECT_EQ(catalogs->text("ro", "home.title"), "Cutie");
  EXPECT_EQ(catalogs->text("ro", "home.file", {{"what", "a form"}}), "File a form");
  EXPECT_EQ(catalogs->text("ro", "home.nothing"), "home.nothing");
  EXPECT_EQ(catalogs->text("xx", "home.title"), "Document box");  // a language the box lacks
}

TEST_F(CatalogsFolder, TheBoxDoesNotStartWithALanguageFileMissing) {
  write_all("[home]\ntitle = \"x\"\n");
  fs::remove(dir_ / "hu.toml");
  auto catalogs = Catalogs::load(dir_);
  ASSERT_FALSE(catalogs.has_value());
  EXPECT_EQ(catalogs.error().code, ErrorCode::not_found);
  EXPECT_NE(catalogs.error().message.find("hu.toml"), std::string::npos)
      << catalogs.error().message;
}

TEST_F(CatalogsFolder, ABrokenLanguageFileIsNamedWithTheKey) {
  write_all("[home]\ntitle = \"x\"\n");
  write("ca", "[home]\ntitle = \"Obre {\"\n");
  auto catalogs = Catalogs::load(dir_);
  ASSERT_FALSE(catalogs.has_value());
  EXPECT_EQ(catalogs.error().code, ErrorCode::parse);
  EXPECT_NE(catalogs.error().message.find("ca.toml"), std::string::npos);
  EXPECT_NE(catalogs.error().message.find("'home.title' (line 2)"), std::string::npos)
      << catalogs.error().message;
}

TEST(CatalogText, PlaceholdersAreFilledAndAnUnknownOneStaysAsWritten) {
  auto catalog = Catalog::parse(
      "[door]\ntitle = \"Door {compartment} is open: {compartment}, {who}\"\n", "en");
  ASSERT_TRUE(catalog.has_value()) << catalog.error().describe();
  EXPECT_EQ(catalog->text("door.title", {{"compartment", "7"}}), "Door 7 is open: 7, {who}");
  EXPECT_EQ(catalog->text("door.title"), "Door {compartment} is open: {compartment}, {who}");
}

TEST(CatalogText, AValueIsPutInAsGivenNeverReadForPlaceholders) {
  auto catalog = Catalog::parse("a = \"{x} and {y}\"\n", "en");
  ASSERT_TRUE(catalog.has_value()) << catalog.error().describe();
  EXPECT_EQ(catalog->text("a", {{"x", "{y}"}, {"y", "Y"}}), "{y} and Y");
  EXPECT_EQ(catalog->text("a", {{"x", "{"}, {"y", "}"}}), "{ and }");
}

TEST(CatalogText, TheShippedDoorTitleShowsTheCompartmentInEveryLanguage) {
  auto catalogs = Catalogs::load(kLangDir);
  ASSERT_TRUE(catalogs.has_value()) << catalogs.error().describe();
  for (const Language& language : languages()) {
    const std::string title = catalogs->text(language.code, "door.title", {{"compartment", "12"}});
    EXPECT_NE(title.find("12"), std::string::npos) << language.code << ": " << title;
    EXPECT_EQ(title.find('{'), std::string::npos) << language.code << ": " << title;
  }
}

TEST(CatalogText, TablesNestIntoDottedKeys) {
  auto catalog = Catalog::parse(
      "\xEF\xBB\xBF# a comment\ntop = \"T\"\n[home]  # the first screen\nfile = \"F\" # a button\n"
      "[home.deep]\nx = 'X'\n\n[staff]\npin . title = \"P\"\r\n",
      "en");
  ASSERT_TRUE(catalog.has_value()) << catalog.error().describe();
  std::vector<std::string> keys;
  for (const auto& [key, text] : catalog->entries()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"home.deep.x", "home.file", "staff.pin.title", "top"}));
  EXPECT_TRUE(catalog->has("home.file"));
  EXPECT_FALSE(catalog->has("home"));
  EXPECT_EQ(catalog->text("home.file"), "F");
  EXPECT_EQ(catalog->text("home.nothing"), "home.nothing");
}

TEST(CatalogText, PlaceholderNamesComeInOrder) {
  auto names = placeholders("{a} {b_c} {a}");
  ASSERT_TRUE(names.has_value()) << names.error().describe();
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b_c", "a"}));
  auto none = placeholders("no placeholders, 100%");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->empty());
}

// --- Broken catalogue files --------------------------------------------------------------------

struct BadCatalog {
  const char* name;
  std::string toml;
  ErrorCode code;
  const char* where;  // what the message must name: the key and its line
};

class CatalogParse : public ::testing::TestWithParam<BadCatalog> {};

TEST_P(CatalogParse, IsATypedErrorNamingTheKeyAndLine) {
  const BadCatalog& bad = GetParam();
  auto catalog = Catalog::parse(bad.toml, "ro");
  ASSERT_FALSE(catalog.has_value()) << "accepted: " << bad.toml;
  EXPECT_EQ(catalog.error().code, bad.code) << catalog.error().describe();
  EXPECT_NE(catalog.error().message.find(bad.where), std::string::npos)
      << "wanted " << bad.where << " in: " << catalog.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    CatalogParse, CatalogParse,
    ::testing::Values(
        BadCatalog{"lone_open", "[home]\nok = \"x\"\nfile = \"Open {\"\n", ErrorCode::parse,
                   "'home.file' (line 3)"},
        BadCatalog{"unclosed_name", "[home]\nfile = \"Open {door now\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"empty_placeholder", "[home]\nfile = \"Open {}\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"space_in_name", "[home]\nfile = \"Open {a b}\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"upper_case_name", "[home]\nfile = \"Open {Door}\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"nested_open", "[home]\nfile = \"Open {a{b}}\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"lone_close", "[home]\nfile = \"Open }\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"number", "[home]\n\nfile = 3\n", ErrorCode::wrong_type, "'home.file' (line 3)"},
        BadCatalog{"boolean", "[home]\nfile = true\n", ErrorCode::wrong_type,
                   "'home.file' (line 2)"},
        BadCatalog{"array", "[home]\nfile = [\"a\", \"b\"]\n", ErrorCode::wrong_type,
                   "'home.file' (line 2)"},
        BadCatalog{"array_of_tables", "[[home]]\nfile = \"a\"\n", ErrorCode::parse, "line 1"},
        // These three reach faults of toml++ 3.3 (an assert, __builtin_unreachable) unless refused
        // before it reads them.
        BadCatalog{"sign_then_text", "[home]\nfile = +\"ș\"\n", ErrorCode::wrong_type,
                   "'home.file' (line 2)"},
        BadCatalog{"number_then_letter", "[home]\nfile = 1§\n", ErrorCode::wrong_type,
                   "'home.file' (line 2)"},
        BadCatalog{"line_ending_backslash", "[home]\nfile = \"\"\"\\\n§\"\"\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"inline_table", "[home]\nfile = { a = \"x\" }\n", ErrorCode::wrong_type,
                   "'home.file' (line 2)"},
        BadCatalog{"bare_word", "[home]\nfile = Open\n", ErrorCode::wrong_type,
                   "'home.file' (line 2)"},
        BadCatalog{"no_value", "[home]\nfile =\n", ErrorCode::wrong_type, "'home.file' (line 2)"},
        BadCatalog{"no_equals", "[home]\nfile \"x\"\n", ErrorCode::parse, "line 2"},
        BadCatalog{"two_texts", "[home]\nfile = \"x\" \"y\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"bad_utf8", "[home]\nok = \"x\"\nfile = \"caf\xC3(\"\n", ErrorCode::parse,
                   "'home.file' (line 3)"},
        BadCatalog{"latin1", "[home]\nfile = \"Ä\xE9\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"raw_control", "[home]\nfile = \"a\x07z\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"escaped_bell", "[home]\nfile = \"a\\u0007z\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"escaped_newline", "[home]\nfile = \"line one\\nline two\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"escaped_tab", "[home]\nfile = \"a\\tb\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"multi_line", "[home]\nfile = \"\"\"\none\ntwo\"\"\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"c1_control", "[home]\nfile = \"a\xC2\x85z\"\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"empty_text", "[home]\nfile = \"\"\n", ErrorCode::parse, "'home.file' (line 2)"},
        BadCatalog{"upper_case_key", "[home]\nFile = \"x\"\n", ErrorCode::parse,
                   "'home.File' (line 2)"},
        BadCatalog{"upper_case_table", "[Home]\nfile = \"x\"\n", ErrorCode::parse, "'Home'"},
        BadCatalog{"hyphen_key", "[home]\nfile-now = \"x\"\n", ErrorCode::parse,
                   "'home.file-now' (line 2)"},
        BadCatalog{"quoted_key_with_space", "[home]\n\"file now\" = \"x\"\n", ErrorCode::parse,
                   "'home.\"file now\"' (line 2)"},
        BadCatalog{"empty_key", "[home]\n\"\" = \"x\"\n", ErrorCode::parse, "'home.\"\"' (line 2)"},
        BadCatalog{"bad_table_name", "[home]\nfile = \"x\"\n[$why]\n", ErrorCode::parse, "line 3"},
        BadCatalog{"lone_bracket", "[home]\nfile = \"x\"\n[", ErrorCode::parse, "line 3"},
        BadCatalog{"letter_after_text", "[home]\nfile = \"x\" ș\n", ErrorCode::parse,
                   "'home.file' (line 2)"},
        BadCatalog{"letter_in_key", "[home]\nfișier = \"x\"\n", ErrorCode::parse,
                   "'home.fișier' (line 2)"},
        BadCatalog{"quoted_dotted_key", "home.\"file\" = \"x\"\n", ErrorCode::parse,
                   "'home.\"file\"' (line 1)"},
        BadCatalog{"bad_toml", "[home]\nfile = \"x\n", ErrorCode::parse, "'home.file' (line 2)"},
        BadCatalog{"duplicate_key", "[home]\nfile = \"x\"\nfile = \"y\"\n", ErrorCode::parse,
                   "'home.file' (line 3)"}),
    [](const ::testing::TestParamInfo<BadCatalog>& info) { return std::string(info.param.name); });

TEST(CatalogParseFile, AMissingFileIsNotFoundAndNamesTheFile) {
  auto catalog = Catalog::load(kLangDir / "xx.toml", "xx");
  ASSERT_FALSE(catalog.has_value());
  EXPECT_EQ(catalog.error().code, ErrorCode::not_found);
  EXPECT_NE(catalog.error().message.find("xx.toml"), std::string::npos);
}

TEST(CatalogParseFile, PlaceholderErrorsSayWhatIsWrong) {
  EXPECT_EQ(placeholders("{").error().code, ErrorCode::parse);
  EXPECT_NE(placeholders("a {").error().message.find("not closed"), std::string::npos);
  EXPECT_NE(placeholders("a }").error().message.find("without its '{'"), std::string::npos);
  EXPECT_NE(placeholders("{}").error().message.find("empty"), std::string::npos);
  EXPECT_NE(placeholders("{a b}").error().message.find("'{a b}'"), std::string::npos);
}

}  // namespace
}  // namespace civicbox::ui
