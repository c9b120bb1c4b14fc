#include "controller/metrics.hpp"

#include <fmt/format.h>

namespace civicbox::controller {

namespace {

const char* name_of(Listener listener) {
  return listener == Listener::device ? "device" : "public";
}

}  // namespace

std::string route_template(Listener listener, std::string_view path) {
  if (path == "/healthz" || path == "/readyz") return std::string(path);
  if (listener == Listener::device) {
    for (std::string_view known :
         {"/v1/device/events", "/v1/device/sync", "/v1/device/renew", "/v1/device/selftest"}) {
      if (path == known) return std::string(known);
    }
    return "other";
  }
  if (path == "/metrics" || path == "/v1/enrol") return std::string(path);
  if (path.starts_with("/v1/track/")) return "/v1/track/{code}";
  if (path.starts_with("/track/")) return "/track/{code}";
  for (std::string_view known : {"/dashboard", "/dashboard/", "/dashboard/index.html",
                                 "/dashboard/dashboard.css", "/dashboard/dashboard.js"}) {
    if (path == known) return std::string(known);
  }
  constexpr std::string_view kBackoffice = "/v1/backoffice/";
  if (path.starts_with(kBackoffice)) {
    std::string_view rest = path.substr(kBackoffice.size());
    const auto slash = rest.find('/');
    const std::string_view collection = rest.substr(0, slash);
    for (std::string_view known : {"parcels", "submissions", "tokens", "certificates", "boxes"}) {
      if (collection != known) continue;
      std::string out = std::string(kBackoffice) + std::string(known);
      if (slash == std::string_view::npos) return out;
      // A member and perhaps an action: /boxes/{id}/revoke, /submissions/{code}.
      rest = rest.substr(slash + 1);
      const auto next = rest.find('/');
      out += "/{id}";
      if (next == std::string_view::npos) return out;
      const std::string_view action = rest.substr(next + 1);
      for (std::string_view known_action : {"revoke", "selftests", "state"}) {
        if (action == known_action) return out + "/" + std::string(known_action);
      }
      return out + "/other";
    }
  }
  return "other";
}

void Metrics::webhook_delivery(std::string_view outcome) {
  std::lock_guard lock(mutex_);
  ++webhook_deliveries_[std::string(outcome)];
}

void Metrics::request(Listener listener, std::string_view route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{listener, std::string(route), status}];
  Histogram& h = latency_[listener];
  ++h.count;
  h.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      ++h.buckets[i];
      break;
    }
  }
}

std::string Metrics::render() const {
  std::string out;
  out +=
      "# HELP civicbox_http_requests_total Requests answered, by listener, route and status.\n"
      "# TYPE civicbox_http_requests_total counter\n";
  std::lock_guard lock(mutex_);
  for (const auto& [key, count] : requests_) {
    const auto& [listener, route, status] = key;
    out += fmt::format(
        "civicbox_http_requests_total{{listener=\"{}\",route=\"{}\",status=\"{}\"}} {}\n",
        name_of(listener), route, status, count);
  }
  out +=
      "# HELP civicbox_http_request_seconds Time from a request read to its answer written.\n"
      "# TYPE civicbox_http_request_seconds histogram\n";
  for (const auto& [listener, h] : latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      out += fmt::format("civicbox_http_request_seconds_bucket{{listener=\"{}\",le=\"{}\"}} {}\n",
                         name_of(listener), kBuckets[i], cumulative);
    }
    out += fmt::format("civicbox_http_request_seconds_bucket{{listener=\"{}\",le=\"+Inf\"}} {}\n",
                       name_of(listener), h.count);
    out += fmt::format("civicbox_http_request_seconds_sum{{listener=\"{}\"}} {}\n",
                       name_of(listener), h.sum);
    out += fmt::format("civicbox_http_request_seconds_count{{listener=\"{}\"}} {}\n",
                       name_of(listener), h.count);
  }
  out += fmt::format(
      "# HELP civicbox_events_applied_total Box events applied (a batch sent again counts once).\n"
      "# TYPE civicbox_events_applied_total counter\n"
      "civicbox_events_applied_total {}\n"
      "# HELP civicbox_registrations_total Filings given a registration number.\n"
      "# TYPE civicbox_registrations_total counter\n"
      "civicbox_registrations_total {}\n"
      "# HELP civicbox_enrolments_total Box certificates issued by enrolment.\n"
      "# TYPE civicbox_enrolments_total counter\n"
      "civicbox_enrolments_total {}\n"
      "# HELP civicbox_start_time_seconds When this controller instance started (Unix time).\n"
      "# TYPE civicbox_start_time_seconds gauge\n"
      "civicbox_start_time_seconds {}\n",
      events_applied_.load(), registrations_.load(), enrolments_.load(),
      static_cast<double>(start_unix_ms_) / 1000.0);
  out +=
      "# HELP civicbox_webhook_deliveries_total Webhook attempts by outcome (delivered, failed "
      "and retried later, dead).\n"
      "# TYPE civicbox_webhook_deliveries_total counter\n";
  {  // mutex_ is held since the first map
    for (const auto& [outcome, count] : webhook_deliveries_) {
      out +=
          fmt::format("civicbox_webhook_deliveries_total{{outcome=\"{}\"}} {}\n", outcome, count);
    }
  }
  return out;
}

}  // namespace civicbox::controller
