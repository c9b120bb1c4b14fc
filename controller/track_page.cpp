#include "controller/track_page.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "common/codes.hpp"

namespace civicbox::controller {
namespace {

// Mobile first: one column, large type, high contrast, targets of at least 44 px; wider screens
// only get a centred column. Everything a phone needs, nothing to download.
constexpr std::string_view kStyle =
    "*{box-sizing:border-box}"
    "html{-webkit-text-size-adjust:100%;text-size-adjust:100%}"
    "body{margin:0;background:#f3f3ef;color:#111;"
    "font:18px/1.5 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif}"
    "header{background:#12355b;color:#fff;padding:8px 16px 18px}"
    ".wrap{max-width:36rem;margin:0 auto}"
    "nav ul{display:flex;flex-wrap:wrap;gap:0 4px;margin:0 0 6px -10px;padding:0;list-style:none}"
    "nav a{display:block;min-height:44px;padding:10px;color:#fff;font-size:16px;line-height:24px}"
    "nav a:focus,nav a:hover{background:#fff;color:#12355b}"
    ".inst{margin:0;font-size:17px}"
    "h1{margin:2px 0 0;font-size:27px;line-height:1.2}"
    "main{padding:16px}"
    ".card{background:#fff;border:1px solid #ccc;border-left:10px solid #1d6b35;"
    "border-radius:8px;padding:12px 16px;margin:0 0 16px}"
    ".card.rejected,.card.problem{border-left-color:#a4262c}"
    ".problem .state{font-size:24px}"
    ".card.received{border-left-color:#8a5a00}"
    ".label{margin:0;font-size:16px;color:#444}"
    ".state{margin:0;font-size:30px;font-weight:700;line-height:1.2}"
    ".card p{margin:6px 0 0}"
    "dl{margin:0 0 20px}"
    "dl div{padding:8px 0;border-bottom:1px solid #ccc}"
    "dt{font-size:16px;color:#444}"
    "dd{margin:0;font-size:22px;font-weight:700;overflow-wrap:anywhere}"
    "dd.pending{font-size:18px;font-weight:400}"
    ".code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;letter-spacing:.04em}"
    "h2{font-size:21px;margin:0 0 10px}"
    // The steps: a line through dots, green up to the document's state, grey after it.
    "ol{list-style:none;margin:0 0 12px 10px;padding:0}"
    "ol li{position:relative;padding:0 0 16px 24px;border-left:3px solid #1d6b35}"
    "ol li.now,ol li.next{border-left-color:#8a8a8a}"
    "ol li:last-child{border-left-color:transparent;padding-bottom:4px}"
    "ol li::before{content:'';position:absolute;left:-13px;top:0;width:23px;height:23px;"
    "border-radius:50%;background:#1d6b35;border:3px solid #f3f3ef}"
    "ol li.next{color:#555}"
    "ol li.next::before{background:#f3f3ef;border-color:#8a8a8a}"
    "ol li.now .step{font-weight:700}"
    ".step{display:block}"
    "time{display:block;color:#333;font-size:17px}"
    ".note{font-size:16px;color:#444;margin:0}"
    "footer{padding:0 16px 24px;font-size:16px;color:#333}"
    "footer p{margin:0 0 6px}";

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

const TrackWords& words_or_default(std::string_view language) {
  if (const auto* words = track_words(language)) return *words;
  return *track_words("ro");
}

const ProblemWords& problem_words(const TrackWords& w, TrackProblem problem) {
  switch (problem) {
    case TrackProblem::mistyped_code:
      return w.mistyped_code;
    case TrackProblem::malformed_code:
      return w.malformed_code;
    case TrackProblem::unknown_code:
      return w.unknown_code;
    case TrackProblem::unavailable:
      return w.unavailable;
  }
  return w.malformed_code;
}

// A configured kind in the page's language when the kiosk knows its name, else as configured;
// a kind the town hall did not configure is "other" (it is free text from a box).
std::string kind_text(const TrackWords& w, const std::string& kind,
                      const std::vector<std::string>& configured) {
  if (std::find(configured.begin(), configured.end(), kind) == configured.end()) {
    return std::string(w.kind_other);
  }
  const std::array<std::pair<std::string_view, std::string_view>, 6> known{{
      {"request", w.kind_request},
      {"complaint", w.kind_complaint},
      {"form", w.kind_form},
      {"certificate_request", w.kind_certificate_request},
      {"tax_declaration", w.kind_tax_declaration},
      {"other", w.kind_other},
  }};
  for (const auto& [key, text] : known) {
    if (key == kind) return std::string(text);
  }
  return kind;
}

struct When {
  std::string machine;  // RFC 3339, for <time datetime>
  std::string shown;    // in the language's date order, 24-hour clock
};

When when(std::int64_t unix_ms, const TrackPageSettings& settings, DateOrder order) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  char machine[40];
  if (settings.timezone.empty()) {
    ::gmtime_r(&seconds, &tm);
    std::strftime(machine, sizeof machine, "%Y-%m-%dT%H:%M:%SZ", &tm);
  } else {
    ::localtime_r(&seconds, &tm);
    char offset[8];
    std::strftime(offset, sizeof offset, "%z", &tm);  // +0200
    std::string with_colon(offset);
    if (with_colon.size() == 5) with_colon.insert(3, ":");
    std::strftime(machine, sizeof machine, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = std::string(machine) + with_colon;
    std::snprintf(machine, sizeof machine, "%s", out.c_str());
  }
  char shown[40];
  const int y = tm.tm_year + 1900;
  const int m = tm.tm_mon + 1;
  switch (order) {
    case DateOrder::day_month_year_dots:
      std::snprintf(shown, sizeof shown, "%02d.%02d.%04d, %02d:%02d", tm.tm_mday, m, y, tm.tm_hour,
                    tm.tm_min);
      break;
    case DateOrder::day_month_year_slashes:
      std::snprintf(shown, sizeof shown, "%02d/%02d/%04d, %02d:%02d", tm.tm_mday, m, y, tm.tm_hour,
                    tm.tm_min);
      break;
    case DateOrder::year_month_day:
      std::snprintf(shown, sizeof shown, "%04d. %02d. %02d. %02d:%02d", y, m, tm.tm_mday,
                    tm.tm_hour, tm.tm_min);
      break;
  }
  return {machine, shown};
}

std::vector<std::string> linked_languages(const TrackPageSettings& settings) {
  std::vector<std::string> out;
  for (const auto& language : settings.languages) {
    if (track_words(language) && std::find(out.begin(), out.end(), language) == out.end()) {
      out.push_back(language);
    }
  }
  if (out.empty()) {
    for (const auto& words : track_catalog()) out.emplace_back(words.language);
  }
  return out;
}

// The head, the header with the language links and the title; the caller adds <main>.
void open_page(std::string& html, const TrackWords& w, const TrackPageSettings& settings) {
  html += "<!doctype html>\n<html lang=\"";
  html += w.language;
  html +=
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"robots\" content=\"noindex\">\n"
      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>";
  html += html_escape(w.title);
  if (!settings.institution_name.empty()) html += " – " + html_escape(settings.institution_name);
  html += "</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<header><div class=\"wrap\">\n<nav aria-label=\"";
  html += html_escape(w.languages);
  html += "\"><ul>";
  for (const auto& language : linked_languages(settings)) {
    if (language == w.language) continue;
    const TrackWords& other = *track_words(language);
    html += "<li><a href=\"?lang=" + language + "\" hreflang=\"" + language + "\" lang=\"" +
            language + "\">" + html_escape(other.name) + "</a></li>";
  }
  html += "</ul></nav>\n";
  if (!settings.institution_name.empty()) {
    html += "<p class=\"inst\">" + html_escape(settings.institution_name) + "</p>\n";
  }
  html += "<h1>" + html_escape(w.title) + "</h1>\n</div></header>\n<main class=\"wrap\">\n";
}

void close_page(std::string& html, const TrackWords& w) {
  html += "</main>\n<footer class=\"wrap\">\n<p>" + html_escape(w.ask_counter) + "</p>\n<p>" +
          html_escape(w.no_personal_data) + "</p>\n</footer>\n</body>\n</html>\n";
}

// The usual path of a document; the steps still ahead of it are shown, greyed, after its own.
constexpr std::array<SubmissionState, 4> kUsualPath{
    SubmissionState::received, SubmissionState::registered, SubmissionState::in_progress,
    SubmissionState::resolved};

}  // namespace

const StateWords& state_words(const TrackWords& w, SubmissionState state) {
  switch (state) {
    case SubmissionState::received:
      return w.received;
    case SubmissionState::registered:
      return w.registered;
    case SubmissionState::in_progress:
      return w.in_progress;
    case SubmissionState::resolved:
      return w.resolved;
    case SubmissionState::rejected:
      return w.rejected;
  }
  return w.received;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string choose_track_language(std::string_view query, std::string_view receipt,
                                  std::string_view accept_language, std::string_view fallback) {
  if (track_words(query)) return std::string(query);
  if (track_words(receipt)) return std::string(receipt);
  // "hu-HU,hu;q=0.9,en;q=0.8": the known language with the highest q, the first among equals.
  std::string best;
  double best_q = 0;
  std::string_view rest = accept_language;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    double q = 1;
    if (const auto semi = item.find(';'); semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      item = item.substr(0, semi);
      if (const auto at = params.find("q="); at != std::string_view::npos) {
        q = std::atof(std::string(params.substr(at + 2)).c_str());
      }
    }
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    std::string primary;
    for (char c : item.substr(0, item.find('-'))) {
      if (c == ' ' || c == '\t') break;
      primary += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (q > best_q && track_words(primary)) {
      best = primary;
      best_q = q;
    }
  }
  if (!best.empty()) return best;
  if (track_words(fallback)) return std::string(fallback);
  return "ro";
}

std::string_view to_string(TrackProblem problem) {
  switch (problem) {
    case TrackProblem::mistyped_code:
      return "mistyped_code";
    case TrackProblem::malformed_code:
      return "malformed_code";
    case TrackProblem::unknown_code:
      return "unknown_code";
    case TrackProblem::unavailable:
      return "unavailable";
  }
  return "malformed_code";
}

std::string render_track_page(const SubmissionRecord& record, const TrackPageSettings& settings,
                              std::string_view language) {
  const TrackWords& w = words_or_default(language);
  std::string html;
  html.reserve(8192);
  open_page(html, w, settings);

  const StateWords& now = state_words(w, record.state);
  html += "<section class=\"card " + std::string(to_string(record.state)) +
          "\">\n<p class=\"label\">" + html_escape(w.status) + "</p>\n<p class=\"state\">" +
          html_escape(now.name) + "</p>\n<p>" + html_escape(now.meaning) + "</p>\n</section>\n";

  html += "<dl>\n<div><dt>" + html_escape(w.registration_number) + "</dt>";
  if (record.registration_number.empty()) {
    html += "<dd class=\"pending\">" + html_escape(w.number_pending) + "</dd>";
  } else {
    html += "<dd class=\"number\">" + html_escape(record.registration_number) + "</dd>";
  }
  auto code = TrackingCode::parse(record.tracking_code);
  html += "</div>\n<div><dt>" + html_escape(w.tracking_code) + "</dt><dd class=\"code\">" +
          html_escape(code ? code->display() : record.tracking_code) + "</dd></div>\n";
  html += "<div><dt>" + html_escape(w.kind) + "</dt><dd>" +
          html_escape(kind_text(w, record.kind, settings.document_kinds)) + "</dd></div>\n</dl>\n";

  html += "<h2>" + html_escape(w.steps) + "</h2>\n<ol>\n";
  for (std::size_t i = 0; i < record.history.size(); ++i) {
    const auto& step = record.history[i];
    const When at = when(step.at_ms, settings, w.date_order);
    const bool last = i + 1 == record.history.size();
    html += last ? "<li class=\"now\">" : "<li>";
    html += "<span class=\"step\">" + html_escape(state_words(w, step.state).name) +
            "</span><time datetime=\"" + at.machine + "\">" + html_escape(at.shown) +
            "</time></li>\n";
  }
  const auto here = std::find(kUsualPath.begin(), kUsualPath.end(), record.state);
  if (here != kUsualPath.end()) {
    for (auto next = here + 1; next != kUsualPath.end(); ++next) {
      html += "<li class=\"next\"><span class=\"step\">" + html_escape(state_words(w, *next).name) +
              "</span></li>\n";
    }
  }
  // The zone, and its offset from UTC as of the latest step (summer time moves it).
  std::string zone = "UTC";
  if (!settings.timezone.empty()) {
    const std::int64_t latest =
        record.history.empty() ? record.filed_at_ms : record.history.back().at_ms;
    const std::string machine = when(latest, settings, w.date_order).machine;
    zone = settings.timezone + " (UTC" + machine.substr(machine.size() - 6) + ")";
  }
  html += "</ol>\n<p class=\"note\">";
  html += html_escape(replace_all(std::string(w.times_in), "{zone}", zone));
  html += "</p>\n";
  close_page(html, w);
  return html;
}

std::string render_track_problem(TrackProblem problem, std::string_view typed,
                                 const TrackPageSettings& settings, std::string_view language) {
  const TrackWords& w = words_or_default(language);
  const ProblemWords& p = problem_words(w, problem);
  std::string html;
  html.reserve(6144);
  open_page(html, w, settings);
  html += "<section class=\"card problem\">\n<p class=\"state\">" + html_escape(p.title) +
          "</p>\n<p>" + html_escape(p.help) + "</p>\n";
  if (!typed.empty()) {
    constexpr std::size_t kShown = 40;
    std::string shown(typed.substr(0, kShown));
    // Not cut in the middle of a UTF-8 character.
    while (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xC0) == 0x80) {
      shown.pop_back();
    }
    if (!shown.empty() && static_cast<unsigned char>(shown.back()) >= 0xC0) shown.pop_back();
    if (typed.size() > kShown) shown += "…";
    html += "<p>" + html_escape(w.you_typed) + ": <span class=\"code\">" + html_escape(shown) +
            "</span></p>\n";
  }
  html += "</section>\n";
  close_page(html, w);
  return html;
}

}  // namespace civicbox::controller
