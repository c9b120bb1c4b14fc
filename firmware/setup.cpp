#include "firmware/setup.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/scanned.hpp"
#include "firmware/self_test.hpp"
#include "provisioning/controller_link.hpp"
#include "provisioning/enrolment.hpp"
#include "provisioning/identity_store.hpp"

namespace civicbox::firmware {

EnrolFinished enrol_outcome(const Expected<provisioning::EnrolResult>& result,
                            const provisioning::Refusal& refusal) {
  EnrolFinished out;
  if (result) {
    out.ok = true;
    out.already_done = result->already_done;
    out.box_id = result->identity.device_id();
    out.site = result->identity.config().site;
    return out;
  }
  const std::string& word = refusal.word;
  if (word == "token_unknown" || word == "token_used" || word == "token_expired" ||
      word == "wrong_site") {
    out.reason_key = "setup." + word;
    out.advice_key = "setup.new_token";
    return out;
  }
  if (word == "rate_limited") {
    out.reason_key = "setup.rate_limited";
    out.args["wait_s"] = std::to_string(
        refusal.retry_after ? std::max<long long>(1, refusal.retry_after->count()) : 60);
    return out;
  }
  switch (result.error().code) {
    case ErrorCode::forbidden:
      out.reason_key = "setup.refused";
      out.advice_key = "setup.new_token";
      break;
    case ErrorCode::unavailable:
      out.reason_key = "setup.unreachable";
      break;
    case ErrorCode::crypto:
      out.reason_key = "setup.mismatch";
      break;
    case ErrorCode::state:
      // enrol_box's words: an identity that still works is not replaced from a screen (only with
      // civicbox-provision --force), nor a damaged one; otherwise another process holds the
      // identity folder.
      if (result.error().message.find("already enrolled") != std::string::npos) {
        out.reason_key = "setup.already_enrolled";
      } else if (result.error().message.find("damaged") != std::string::npos) {
        out.reason_key = "setup.failed";
      } else {
        out.reason_key = "setup.busy";
      }
      break;
    default:
      out.reason_key = "setup.failed";
      break;
  }
  return out;
}

EnrolFinished enrol_from_screen(const AgentConfig& config, const std::string& token,
                                std::int64_t now_ms) {
  provisioning::EnrolOptions options;
  options.controller_url = config.enrol_url;
  options.fleet_ca = config.enrol_ca;
  options.token = token;
  if (!config.box_id.empty()) options.box_id = config.box_id;
  options.now_ms = now_ms;
  provisioning::Refusal refusal;
  // Due before the identity is switched to, so that a power cut right after the switch still
  // runs the self-test; taken back when nothing was enrolled.
  const bool was_due = provisioning_self_test_due(config.data_dir);
  if (auto marked = mark_provisioning_self_test_due(config.data_dir); !marked) {
    // The self-test still runs now; only a power cut before it would skip it.
    spdlog::warn("noting the provisioning self-test as due: {}", marked.error().describe());
  }
  auto take_back = [&] {
    if (!was_due) clear_provisioning_self_test_due(config.data_dir);
  };
  Expected<provisioning::EnrolResult> result = [&]() -> Expected<provisioning::EnrolResult> {
    CIVICBOX_TRY(auto store, provisioning::IdentityStore::open(config.identity_dir));
    for (const auto& line : store.repairs()) spdlog::info("identity: {}", line);
    provisioning::ClientOptions client;
    client.connect_timeout_ms = std::min<long>(config.timeout_ms, 10'000);
    client.timeout_ms = std::max<long>(config.timeout_ms, 15'000);
    provisioning::HttpsControllerLink link(client);
    return provisioning::enrol_box(store, link, options, &refusal);
  }();
  if (!result) {
    take_back();
    spdlog::warn("enrolment from the screen failed: {}; {}", result.error().describe(),
                 provisioning::enrolment_advice(result.error(), refusal));
    return enrol_outcome(result, refusal);
  }
  if (result->already_done) {
    take_back();
    spdlog::info("enrolment from the screen: box {} was enrolled with this token already",
                 result->identity.device_id());
    return enrol_outcome(result, refusal);
  }
  for (const auto& note : result->notes) spdlog::info("enrolment: {}", note);
  spdlog::info("enrolled from the screen as box {} at site {} (certificate {}, until {})",
               result->identity.device_id(), result->identity.config().site,
               result->identity.record.serial_hex, result->identity.record.not_after_ms);
  return enrol_outcome(result, refusal);
}

bool identity_in_place(const AgentConfig& config) {
  auto current = provisioning::read_current_identity(config.identity_dir);
  if (!current || !*current) return false;
  spdlog::info("box {} was enrolled from a terminal while the setup screen waited",
               (*current)->device_id());
  if (auto marked = mark_provisioning_self_test_due(config.data_dir); !marked) {
    spdlog::warn("noting the provisioning self-test as due: {}", marked.error().describe());
  }
  return true;
}

std::vector<ui::Row> setup_rows(const AgentConfig& config, bool scanner_ok) {
  std::vector<ui::Row> rows;
  const int doors = static_cast<int>(config.dropoff.size() + config.pickup.size());
  rows.push_back({{"technician.doors", ""}, {"", std::to_string(doors)}, std::nullopt});
  if (config.cabinet.printer) {
    rows.push_back(
        {{"technician.printer", ""}, {"", config.cabinet.printer->address}, std::nullopt});
  }
  if (config.cabinet.scanner) {
    rows.push_back({{"technician.camera", ""}, {"", config.cabinet.scanner->device}, scanner_ok});
  }
  rows.push_back({{"setup.controller", ""}, {"", config.enrol_url}, std::nullopt});
  return rows;
}

SetupSession::SetupSession(std::string default_language, BoxFacts facts)
    : facts_(std::move(facts)) {
  view_.language = std::move(default_language);
  show("", ui::Tone::info);
}

void SetupSession::show(std::string body_key, ui::Tone tone) {
  ui::View v;
  v.screen = ui::ScreenId::setup;
  v.language = view_.language;
  v.high_contrast = view_.high_contrast;
  v.large_text = view_.large_text;
  v.has_camera = facts_.has_scanner && facts_.scanner_ok;
  v.title_key = "setup.title";
  v.rows = facts_.devices;
  v.body_key = std::move(body_key);
  v.tone = tone;
  if (v.body_key.empty() && !v.has_camera) {
    // Nothing can be scanned: say how else, rather than wait for a code that cannot come.
    v.body_key = "setup.no_camera";
    v.tone = ui::Tone::failure;
  }
  view_ = std::move(v);
}

std::vector<Command> SetupSession::handle(const SessionInput& input, std::int64_t /*now_ms*/) {
  if (const auto* touched = std::get_if<Touched>(&input)) {
    const std::string& action = touched->action;
    if (action.rfind("lang:", 0) == 0 && is_screen_language(action.substr(5))) {
      view_.language = action.substr(5);
    } else if (action == "contrast") {
      view_.high_contrast = !view_.high_contrast;
    } else if (action == "larger") {
      view_.large_text = !view_.large_text;
    }
    return {};
  }
  if (const auto* facts = std::get_if<FactsChanged>(&input)) {
    const bool had_camera = view_.has_camera;
    facts_ = facts->facts;
    view_.rows = facts_.devices;
    view_.has_camera = facts_.has_scanner && facts_.scanner_ok;
    if (!enrolling_ && !enrolled_ && had_camera != view_.has_camera &&
        (view_.body_key.empty() || view_.body_key == "setup.no_camera")) {
      show("", ui::Tone::info);
    }
    return {};
  }
  if (const auto* scanned = std::get_if<ScannedText>(&input)) {
    if (enrolling_ || enrolled_) return {};
    auto parsed = parse_scanned(scanned->text);
    if (!parsed || !std::holds_alternative<EnrolmentToken>(*parsed)) {
      show("setup.not_a_token", ui::Tone::failure);
      return {PlaySound{ui::Cue::failure}};
    }
    enrolling_ = true;
    show("setup.enrolling", ui::Tone::info);
    view_.running = true;
    return {PlaySound{ui::Cue::tap}, StartEnrol{std::get<EnrolmentToken>(*parsed).token}};
  }
  if (const auto* finished = std::get_if<EnrolFinished>(&input)) {
    if (!enrolling_) return {};
    enrolling_ = false;
    if (finished->ok) {
      enrolled_ = true;
      show("setup.done", ui::Tone::success);
      view_.args["box"] = finished->box_id;
      view_.args["site"] = finished->site;
      return {PlaySound{ui::Cue::success}};
    }
    show(finished->reason_key, ui::Tone::failure);
    view_.detail_key = finished->advice_key;
    for (const auto& [key, value] : finished->args) view_.args[key] = value;
    return {PlaySound{ui::Cue::failure}};
  }
  return {};
}

}  // namespace civicbox::firmware
