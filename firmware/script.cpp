#include "firmware/script.hpp"

#include <charconv>
#include <chrono>
#include <sstream>
#include <thread>
#include <vector>

namespace civicbox::firmware {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Splits off the first word.
std::string_view next_word(std::string_view& rest) {
  rest = trim(rest);
  auto end = rest.find_first_of(" \t");
  auto word = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : trim(rest.substr(end));
  return word;
}

std::string error_line(std::string_view message) {
  return "error " + quoted_message(message);
}

std::string refused_line(const Refuse& r) {
  std::string line = "refused reason=" + std::string(to_string(r.reason));
  if (r.tries_left) line += " tries_left=" + std::to_string(*r.tries_left);
  if (r.retry_in_s) line += " retry_in_s=" + std::to_string(*r.retry_in_s);
  return line + " " + quoted_message(r.message);
}

// The common ending of a flow: a refusal or an error, if any.
std::optional<std::string> failure_line(const FlowResult& r) {
  if (r.error) return error_line(r.error->describe());
  if (r.refused) return refused_line(*r.refused);
  return std::nullopt;
}

template <typename T>
const T* first_event(const FlowResult& r) {
  for (const auto& e : r.events) {
    if (const auto* t = std::get_if<T>(&e)) return t;
  }
  return nullptr;
}

std::string file_line(Agent& agent, std::string_view rest, const ReceiptPath& receipt_path) {
  std::string kind(next_word(rest));
  if (kind.empty()) return error_line("usage: file <kind> [contact=<text>]");
  std::optional<std::string> contact;
  if (!rest.empty()) {
    if (rest.rfind("contact=", 0) != 0) return error_line("usage: file <kind> [contact=<text>]");
    contact = std::string(trim(rest.substr(8)));
  }
  auto result = agent.file(kind, contact);
  const auto* filed = first_event<wire::SubmissionFiled>(result);
  if (filed == nullptr) {
    if (auto failure = failure_line(result)) return *failure;
    return error_line("the filing did not complete");
  }
  auto number = agent.journal().registration_number(filed->tracking_code.str());
  std::string registration = number && *number ? **number : "-";
  std::string receipt = result.receipt_for ? receipt_path(filed->tracking_code.str()) : "-";
  std::string line = "filed tracking=" + filed->tracking_code.display() +
                     " registration=" + registration + " provisional=" + filed->provisional_number +
                     " compartment=" + std::to_string(filed->compartment) + " receipt=" + receipt;
  if (result.no_receipt) line += " no_receipt=\"" + quoted_message(*result.no_receipt).substr(9);
  return line;
}

std::string collected_line(const FlowResult& result) {
  if (const auto* p = first_event<wire::ParcelCollected>(result)) {
    return "collected parcel=" + p->parcel_id + " compartment=" + std::to_string(p->compartment);
  }
  if (auto failure = failure_line(result)) return *failure;
  return error_line("the pickup did not complete");
}

std::string collect_line(Agent& agent, std::string_view rest) {
  if (rest.empty()) return error_line("usage: collect <code>");
  return collected_line(agent.collect(std::string(rest)));
}

// scan [seconds]: the next code the QR scanner reads, acted on.
std::string scan_line(Agent& agent, std::string_view rest) {
  int seconds = 10;
  if (!rest.empty()) {
    auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), seconds);
    if (ec != std::errc{} || end != rest.data() + rest.size() || seconds < 1 || seconds > 600) {
      return error_line("usage: scan [seconds 1-600]");
    }
  }
  // A scanner that is briefly away (a camera replugged) is waited for until the deadline.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "scanned nothing";
    auto result = agent.scan(left);
    if (!result) return "scanned nothing";
    if (result->error && result->error->code == ErrorCode::unavailable &&
        std::chrono::steady_clock::now() + std::chrono::milliseconds(200) < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      continue;
    }
    return collected_line(*result);
  }
}

std::string load_line(Agent& agent, std::string_view rest) {
  std::string parcel(next_word(rest));
  if (parcel.empty() || !rest.empty()) return error_line("usage: load <parcel_id>");
  auto result = agent.load(parcel);
  if (const auto* p = first_event<wire::ParcelLoaded>(result)) {
    return "loaded parcel=" + p->parcel_id + " compartment=" + std::to_string(p->compartment);
  }
  if (auto failure = failure_line(result)) return *failure;
  return error_line("the loading did not complete");
}

std::string empty_line(Agent& agent) {
  auto result = agent.empty();
  std::string compartments;
  std::size_t submissions = 0;
  for (const auto& e : result.events) {
    if (const auto* d = std::get_if<wire::DropoffEmptied>(&e)) {
      compartments += (compartments.empty() ? "" : ",") + std::to_string(d->compartment);
      submissions += d->tracking_codes.size();
    }
  }
  if (result.error) return error_line(result.error->describe());
  return "emptied compartments=" + (compartments.empty() ? std::string("-") : compartments) +
         " submissions=" + std::to_string(submissions);
}

std::string sync_line(Agent& agent) {
  auto report = agent.sync_now();
  if (report) {
    return "synced applied_through=" + std::to_string(report->applied_through) +
           " pending=" + std::to_string(report->pending) +
           " assignments=" + std::to_string(report->assignments);
  }
  auto state = agent.journal().sync_state();
  return "sync_failed pending=" + std::to_string(state ? state->pending() : 0) + " " +
         quoted_message(report.error().describe());
}

std::string clock_line(Agent& agent, std::string_view rest) {
  if (rest.size() < 2 || rest.front() != '+') return error_line("usage: clock +<seconds>");
  std::int64_t seconds = 0;
  auto digits = rest.substr(1);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seconds);
  if (ec != std::errc{} || ptr != digits.data() + digits.size() || seconds < 0) {
    return error_line("usage: clock +<seconds>");
  }
  agent.advance_clock(std::chrono::seconds(seconds));
  return "clock offset_s=" + std::to_string(agent.clock_offset_s());
}

// "-" or "5,6,7".
std::string faulty_text(const std::vector<int>& compartments) {
  if (compartments.empty()) return "-";
  std::string out;
  for (int c : compartments) out += (out.empty() ? "" : ",") + std::to_string(c);
  return out;
}

std::string status_line(Agent& agent) {
  auto s = agent.status();
  if (!s) return error_line(s.error().describe());
  return "status device=" + s->device + " pending=" + std::to_string(s->sync.pending()) +
         " applied_through=" + std::to_string(s->sync.acked_through) +
         " assignments=" + std::to_string(s->assignments) +
         " free_dropoff=" + std::to_string(s->free_dropoff) +
         " free_pickup=" + std::to_string(s->free_pickup) + " faulty=" + faulty_text(s->faulty) +
         " revoked=" + (s->revoked ? "yes" : "no");
}

// renew [now]: the certificate renewal the background thread does, at once.
std::string renew_line(Agent& agent, std::string_view rest) {
  if (!rest.empty() && rest != "now") return error_line("usage: renew [now]");
  auto renewed = agent.renew_certificate(rest == "now");
  if (!renewed) return "renew_failed " + quoted_message(renewed.error().describe());
  return *renewed ? "renewed" : "renew not_due";
}

// self-test [provisioning|on_demand]: the agent's own scanner reads the test QR.
std::string self_test_line(Agent& agent, std::string_view rest) {
  SelfTestRun run;
  if (!rest.empty()) run.reason = std::string(rest);
  if (run.reason != "provisioning" && run.reason != "on_demand") {
    return error_line("usage: self-test [provisioning|on_demand]");
  }
  run.scanner = agent.scanner();
  return describe_self_test(agent.self_test(run));
}

}  // namespace

std::string describe_self_test(const SelfTestResult& result) {
  std::string failed;
  for (const auto& l : result.lines) {
    if (l.check.ok) continue;
    failed += (failed.empty() ? "" : ",") + l.check.part;
    if (l.check.compartment) failed += ":" + std::to_string(*l.check.compartment);
  }
  return "self_test passed=" + std::string(result.passed() ? "yes" : "no") +
         " checks=" + std::to_string(result.lines.size()) +
         " failed=" + (failed.empty() ? std::string("-") : failed) +
         " report=" + std::string(to_string(result.delivery));
}

std::string quoted_message(std::string_view text) {
  std::string out = "message=\"";
  for (char c : text) {
    if (c == '"') {
      out += '\'';
    } else if (c == '\n' || c == '\r' || c == '\t') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string describe_flow(const FlowResult& result) {
  return collected_line(result);
}

std::string run_script_line(Agent& agent, std::string_view line, const ReceiptPath& receipt_path) {
  std::string_view rest = trim(line);
  if (rest.empty() || rest.front() == '#') return {};
  std::string_view action = next_word(rest);
  if (action == "file") return file_line(agent, rest, receipt_path);
  if (action == "collect") return collect_line(agent, rest);
  if (action == "scan") return scan_line(agent, rest);
  if (action == "load") return load_line(agent, rest);
  if (action == "empty" && rest.empty()) return empty_line(agent);
  if (action == "sync" && rest.empty()) return sync_line(agent);
  if (action == "clock") return clock_line(agent, rest);
  if (action == "status" && rest.empty()) return status_line(agent);
  if (action == "self-test") return self_test_line(agent, rest);
  if (action == "renew") return renew_line(agent, rest);
  return error_line("unknown action '" + std::string(trim(line)) +
                    "'; actions are file, collect, scan, load, empty, sync, clock, status, "
                    "self-test, renew");
}

void run_script(const AgentSource& agent, std::istream& in, std::ostream& out,
                const ReceiptPath& receipt_path, const ScriptHook& hook) {
  std::string line;
  while (std::getline(in, line)) {
    std::optional<std::string> hooked;
    if (hook) hooked = hook(line);
    std::string answer;
    if (hooked) {
      answer = *hooked;
    } else if (Agent* a = agent(); a != nullptr) {
      answer = run_script_line(*a, line, receipt_path);
    } else {
      answer = run_script_line_without_agent(line);
    }
    if (answer.empty()) continue;
    out << answer << std::endl;  // one line per action, flushed
  }
}

void run_script(Agent& agent, std::istream& in, std::ostream& out, const ReceiptPath& receipt_path,
                const ScriptHook& hook) {
  run_script([&agent] { return &agent; }, in, out, receipt_path, hook);
}

std::string run_script_line_without_agent(std::string_view line) {
  const auto first = line.find_first_not_of(" \t");
  if (first == std::string_view::npos || line[first] == '#') return "";
  return "error " + quoted_message(
                        "the box's agent is not running (not enrolled yet, or it could not "
                        "start: see the log)");
}

}  // namespace civicbox::firmware
