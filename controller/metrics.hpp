// What the controller counts, for Prometheus: GET /metrics on the public listener, with the
// back-office bearer token, in the text exposition format (version 0.0.4).
//
//   civicbox_http_requests_total{listener,route,status}   requests answered
//   civicbox_http_request_seconds{listener}               how long answering took (histogram)
//   civicbox_events_applied_total                         box events applied (not resent ones)
//   civicbox_registrations_total                          filings given a registration number
//   civicbox_enrolments_total                             certificates issued by enrolment
//   civicbox_start_time_seconds                           when this instance started (Unix)
//   civicbox_webhook_deliveries_total{outcome}            webhook attempts: delivered, failed
//                                                         (to be retried), dead, unrouted
//
// `route` is the route's template ("/v1/track/{code}", "/v1/backoffice/boxes/{id}/revoke"),
// never the path itself, so that the number of series stays small whatever clients send; a
// path the API does not know counts as "other". Every method is thread-safe and cheap.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

namespace civicbox::controller {

enum class Listener { device, public_ };

// The template of a path on a listener (see above).
std::string route_template(Listener listener, std::string_view path);

class Metrics {
 public:
  explicit Metrics(std::int64_t start_unix_ms = 0) : start_unix_ms_(start_unix_ms) {}

  void request(Listener listener, std::string_view route, int status, double seconds);
  void events_applied(std::uint64_t count) { events_applied_ += count; }
  void registrations(std::uint64_t count) { registrations_ += count; }
  void enrolment() { ++enrolments_; }
  void webhook_delivery(std::string_view outcome);

  // The exposition text.
  [[nodiscard]] std::string render() const;

  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 10> kBuckets{0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,  0.1,    0.25,  1.0,  5.0};

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};  // cumulative at render time
    std::uint64_t count = 0;
    double sum = 0;
  };

  std::int64_t start_unix_ms_;
  mutable std::mutex mutex_;  // guards the maps
  std::map<std::tuple<Listener, std::string, int>, std::uint64_t> requests_;
  std::map<Listener, Histogram> latency_;
  std::map<std::string, std::uint64_t, std::less<>> webhook_deliveries_;
  std::atomic<std::uint64_t> events_applied_{0};
  std::atomic<std::uint64_t> registrations_{0};
  std::atomic<std::uint64_t> enrolments_{0};
};

}  // namespace civicbox::controller
