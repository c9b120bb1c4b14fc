// The citizen's tracking page as HTML, without the network: every state in every language, the
// words of the receipt, nothing personal, nothing a stranger could inject.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>

#include "common/random.hpp"
#include "controller/track_page.hpp"

namespace civicbox::controller {
namespace {

constexpr std::int64_t kFiled = 1'790'000'000'000;  // 2026-09-21 14:13:20 UTC

bool contains(const std::string& html, std::string_view text) {
  return html.find(text) != std::string::npos;
}

const TrackingCode& the_code() {
  static SystemRandom random;
  static const TrackingCode code = TrackingCode::generate(random);
  return code;
}

SubmissionRecord record(SubmissionState state) {
  SubmissionRecord r;
  r.tracking_code = the_code().str();
  r.device_id = "box-lobby-secret";
  r.kind = "request";
  r.compartment = 9876;
  r.provisional_number = "P-box-lobby-secret-000007";
  r.contact = "+40 722 555 444";
  r.state = state;
  r.filed_at_ms = kFiled;
  r.history.push_back({SubmissionState::received, kFiled});
  if (state != SubmissionState::received) {
    r.registration_number = "2026/000123";
    r.history.push_back({SubmissionState::registered, kFiled + 1000});
  }
  if (state == SubmissionState::in_progress || state == SubmissionState::resolved) {
    r.history.push_back({SubmissionState::in_progress, kFiled + 86'400'000});
  }
  if (state == SubmissionState::resolved || state == SubmissionState::rejected) {
    r.history.push_back({state, kFiled + 2 * 86'400'000});
  }
  return r;
}

TrackPageSettings settings() {
  return {"Primăria Cluj", {"request", "complaint", "building_permit"}, {}, {}};
}

constexpr SubmissionState kStates[] = {SubmissionState::received, SubmissionState::registered,
                                       SubmissionState::in_progress, SubmissionState::resolved,
                                       SubmissionState::rejected};

TEST(TrackCatalog, EveryLanguageOfTheKioskHasEveryPhraseOfThePage) {
  std::set<std::string> languages;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(CIVICBOX_SOURCE_DIR) / "ui" / "lang")) {
    if (entry.path().extension() == ".toml") languages.insert(entry.path().stem().string());
  }
  ASSERT_EQ(languages.size(), 6u);
  for (const auto& language : languages) {
    EXPECT_NE(track_words(language), nullptr) << "the page does not speak " << language;
  }
  EXPECT_EQ(track_catalog().size(), languages.size());

  const auto reference = phrases_of(*track_words("en"));
  std::set<std::string_view> names;
  for (const auto& words : track_catalog()) {
    const auto phrases = phrases_of(words);
    ASSERT_EQ(phrases.size(), reference.size());
    for (std::size_t i = 0; i < phrases.size(); ++i) {
      EXPECT_EQ(phrases[i].first, reference[i].first);
      EXPECT_FALSE(phrases[i].second.empty())
          << words.language << ": " << phrases[i].first << " is missing";
    }
    EXPECT_TRUE(contains(std::string(words.times_in), "{zone}")) << words.language;
    names.insert(words.name);
  }
  EXPECT_EQ(names.size(), track_catalog().size()) << "each language has its own name";
}

TEST(TrackPage, EveryStateIsNamedAndExplainedInEveryLanguage) {
  for (const auto& w : track_catalog()) {
    for (SubmissionState state : kStates) {
      const std::string html = render_track_page(record(state), settings(), w.language);
      SCOPED_TRACE(std::string(w.language) + " " + std::string(to_string(state)));
      EXPECT_TRUE(contains(html, "<html lang=\"" + std::string(w.language) + "\">"));
      EXPECT_TRUE(contains(html, html_escape(state_words(w, state).name)));
      EXPECT_TRUE(contains(html, html_escape(state_words(w, state).meaning)));
      EXPECT_TRUE(contains(html, html_escape(w.title)));
      EXPECT_TRUE(contains(html, the_code().display()));
      EXPECT_TRUE(contains(html, html_escape(w.kind_request)));
      EXPECT_TRUE(contains(html, "Primăria Cluj"));
      EXPECT_TRUE(contains(
          html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
      if (state == SubmissionState::received) {
        EXPECT_TRUE(contains(html, html_escape(w.number_pending)));
      } else {
        EXPECT_TRUE(contains(html, "2026/000123"));
      }
    }
  }
}

TEST(TrackPage, EachStepHasItsTimeInUtcClearlyMarked) {
  const std::string html = render_track_page(record(SubmissionState::resolved), settings(), "ro");
  EXPECT_TRUE(contains(html, "<time datetime=\"2026-09-21T14:13:20Z\">21.09.2026, 14:13</time>"));
  EXPECT_TRUE(contains(html, "<time datetime=\"2026-09-22T14:13:20Z\">22.09.2026, 14:13</time>"));
  EXPECT_TRUE(contains(html, "Orele sunt în UTC."));
  const std::string hu = render_track_page(record(SubmissionState::resolved), settings(), "hu");
  EXPECT_TRUE(contains(hu, "2026. 09. 21. 14:13"));
  const std::string en = render_track_page(record(SubmissionState::resolved), settings(), "en");
  EXPECT_TRUE(contains(en, "21/09/2026, 14:13"));
  EXPECT_TRUE(contains(en, "Times are in UTC."));
}

// main() sets TZ from [institution] timezone; the page then shows the town hall's own time.
TEST(TrackPage, WithATimeZoneTheStepsAreInTheTownHallsTimeAndTheZoneIsNamed) {
  const char* before = std::getenv("TZ");
  const std::string saved = before ? before : "";
  ::setenv("TZ", "Europe/Bucharest", 1);
  ::tzset();
  auto s = settings();
  s.timezone = "Europe/Bucharest";
  const std::string html = render_track_page(record(SubmissionState::resolved), s, "en");
  if (before) {
    ::setenv("TZ", saved.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  // 14:13 UTC in September is 17:13 in Bucharest (summer time, UTC+3).
  EXPECT_TRUE(
      contains(html, "<time datetime=\"2026-09-21T17:13:20+03:00\">21/09/2026, 17:13</time>"))
      << html;
  EXPECT_TRUE(contains(html, "Times are in Europe/Bucharest (UTC+03:00)."));
}

TEST(TrackPage, TheStepsStillAheadAreShownAfterTheDoneOnes) {
  const std::string html = render_track_page(record(SubmissionState::registered), settings(), "en");
  const auto registered = html.find("<span class=\"step\">Registered</span><time");
  const auto in_progress = html.find("<li class=\"next\"><span class=\"step\">In progress");
  const auto resolved = html.find("<li class=\"next\"><span class=\"step\">Resolved");
  ASSERT_NE(registered, std::string::npos);
  ASSERT_NE(in_progress, std::string::npos);
  ASSERT_NE(resolved, std::string::npos);
  EXPECT_LT(registered, in_progress);
  EXPECT_LT(in_progress, resolved);
  const std::string rejected =
      render_track_page(record(SubmissionState::rejected), settings(), "en");
  EXPECT_FALSE(contains(rejected, "class=\"next\"")) << "nothing comes after a rejection";
}

TEST(TrackPage, NoPersonalDataReachesThePage) {
  for (const auto& w : track_catalog()) {
    for (SubmissionState state : kStates) {
      const std::string html = render_track_page(record(state), settings(), w.language);
      EXPECT_FALSE(contains(html, "722")) << "the contact";
      EXPECT_FALSE(contains(html, "555 444")) << "the contact";
      EXPECT_FALSE(contains(html, "lobby-secret")) << "the box (or the provisional number)";
      EXPECT_FALSE(contains(html, "9876")) << "the compartment";
    }
  }
}

TEST(TrackPage, OnlyAConfiguredKindIsPublishedAndACustomOneAsConfigured) {
  auto r = record(SubmissionState::registered);
  r.kind = "my neighbour's divorce";
  EXPECT_FALSE(contains(render_track_page(r, settings(), "en"), "divorce"));
  EXPECT_TRUE(contains(render_track_page(r, settings(), "en"), "Other document"));
  r.kind = "building_permit";
  EXPECT_TRUE(contains(render_track_page(r, settings(), "en"), "<dd>building_permit</dd>"));
  r.kind = "complaint";
  EXPECT_TRUE(contains(render_track_page(r, settings(), "hu"), "Panasz vagy beadvány"));
}

TEST(TrackPage, EveryValueIsEscaped) {
  auto r = record(SubmissionState::registered);
  r.kind = "<script>alert('kind')</script>";
  r.registration_number = "2026/<script>alert(\"n\")</script>";
  auto s = settings();
  s.document_kinds.push_back(r.kind);
  s.institution_name = "Town <b>hall</b> & \"co\"";
  const std::string html = render_track_page(r, s, "en");
  EXPECT_FALSE(contains(html, "<script")) << html;
  EXPECT_FALSE(contains(html, "<b>hall"));
  EXPECT_TRUE(contains(html, "&lt;script&gt;alert(&#39;kind&#39;)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "2026/&lt;script&gt;alert(&quot;n&quot;)&lt;/script&gt;"));
  EXPECT_TRUE(contains(html, "Town &lt;b&gt;hall&lt;/b&gt; &amp; &quot;co&quot;"));

  const std::string problem = render_track_problem(TrackProblem::malformed_code,
                                                   "<script>alert(1)</script>", settings(), "en");
  EXPECT_FALSE(contains(problem, "<script"));
  EXPECT_TRUE(contains(problem, "&lt;script&gt;alert(1)&lt;/script&gt;"));
}

TEST(TrackPage, TheOtherLanguagesAreOneLinkAwayEachInItsOwnName) {
  const std::string html = render_track_page(record(SubmissionState::registered), settings(), "ro");
  for (const auto& w : track_catalog()) {
    const std::string link = "<a href=\"?lang=" + std::string(w.language) + "\"";
    if (w.language == "ro") {
      EXPECT_FALSE(contains(html, link)) << "no link to the language shown";
    } else {
      EXPECT_TRUE(contains(html, link + " hreflang=\"" + std::string(w.language) + "\" lang=\"" +
                                     std::string(w.language) + "\">" + std::string(w.name) +
                                     "</a>"))
          << w.language;
    }
  }
  auto only_some = settings();
  only_some.languages = {"hu", "ro", "xx"};
  const std::string some = render_track_page(record(SubmissionState::registered), only_some, "ro");
  EXPECT_TRUE(contains(some, "?lang=hu"));
  EXPECT_FALSE(contains(some, "?lang=en")) << "only the languages the town hall offers";
}

TEST(TrackPage, TheProblemPagesSayWhatWentWrongAndWhatToDo) {
  struct Case {
    TrackProblem problem;
    const ProblemWords& (*words)(const TrackWords&);
  };
  const Case cases[] = {
      {TrackProblem::mistyped_code,
       [](const TrackWords& w) -> const ProblemWords& { return w.mistyped_code; }},
      {TrackProblem::malformed_code,
       [](const TrackWords& w) -> const ProblemWords& { return w.malformed_code; }},
      {TrackProblem::unknown_code,
       [](const TrackWords& w) -> const ProblemWords& { return w.unknown_code; }},
      {TrackProblem::unavailable,
       [](const TrackWords& w) -> const ProblemWords& { return w.unavailable; }},
  };
  for (const auto& w : track_catalog()) {
    for (const auto& c : cases) {
      const std::string html =
          render_track_problem(c.problem, "7K3M-Q9XR-2D4Q", settings(), w.language);
      SCOPED_TRACE(std::string(w.language) + " " + std::string(to_string(c.problem)));
      EXPECT_TRUE(contains(html, "<html lang=\"" + std::string(w.language) + "\">"));
      EXPECT_TRUE(contains(html, html_escape(c.words(w).title)));
      EXPECT_TRUE(contains(html, html_escape(c.words(w).help)));
      EXPECT_TRUE(contains(html, html_escape(w.ask_counter)));
      EXPECT_TRUE(contains(html, "7K3M-Q9XR-2D4Q")) << "what was typed, to compare";
    }
  }
  const std::string long_one(500, 'A');
  const std::string shown =
      render_track_problem(TrackProblem::malformed_code, long_one, settings(), "en");
  EXPECT_FALSE(contains(shown, std::string(41, 'A'))) << "a long text is shortened";
}

TEST(TrackPage, TheLanguageIsTheAskedOneThenTheReceiptsThenTheBrowsersThenTheTownHalls) {
  EXPECT_EQ(choose_track_language("hu", "es", "pt", "ro"), "hu");
  EXPECT_EQ(choose_track_language("xx", "es", "pt", "ro"), "es");
  EXPECT_EQ(choose_track_language("", "", "pt-BR,pt;q=0.9,en;q=0.8", "ro"), "pt");
  EXPECT_EQ(choose_track_language("", "", "de-DE,de;q=0.9,ca;q=0.5,en;q=0.7", "ro"), "en");
  EXPECT_EQ(choose_track_language("", "", "ca;q=0.5, HU-hu", "ro"), "hu");
  EXPECT_EQ(choose_track_language("", "", "en;q=0", "ro"), "ro") << "q=0 means not this one";
  EXPECT_EQ(choose_track_language("", "", "de, fr", "hu"), "hu");
  EXPECT_EQ(choose_track_language("", "", "*", "xx"), "ro");
  EXPECT_EQ(choose_track_language("", "", ";;,,q=,", "en"), "en");
}

}  // namespace
}  // namespace civicbox::controller
