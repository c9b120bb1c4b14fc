#include "controller/webhook_events.hpp"

#include "controller/service.hpp"

namespace civicbox::controller::webhooks {

Routes routes_of(const Config& config) {
  Routes routes;
  for (const auto& s : config.webhook_subscribers) routes.push_back({s.name, s.events});
  return routes;
}

nlohmann::json registered_payload(const wire::SubmissionFiled& filed,
                                  const std::string& registration_number, const std::string& box,
                                  std::int64_t filed_at_ms) {
  nlohmann::json payload = {{"tracking_code", filed.tracking_code.display()},
                            {"registration_number", registration_number},
                            {"kind", filed.kind},
                            {"box", box},
                            {"filed_at", rfc3339(filed_at_ms)}};
  if (filed.contact) payload["contact"] = *filed.contact;
  return payload;
}

nlohmann::json status_changed_payload(const SubmissionRecord& record, const TrackingCode& code,
                                      SubmissionState to, std::int64_t at_ms) {
  nlohmann::json payload = {{"tracking_code", code.display()},
                            {"registration_number", record.registration_number},
                            {"from", std::string(to_string(record.state))},
                            {"to", std::string(to_string(to))},
                            {"at", rfc3339(at_ms)}};
  if (record.contact) payload["contact"] = *record.contact;
  return payload;
}

nlohmann::json parcel_ready_payload(const NewParcel& parcel) {
  nlohmann::json payload = {{"parcel_id", parcel.parcel_id},
                            {"reference", parcel.reference},
                            {"box", parcel.device_id},
                            {"expires_at", rfc3339(parcel.expires_at_ms)}};
  if (!parcel.pickup_code_for_notice.empty()) {
    payload["pickup_code"] = parcel.pickup_code_for_notice;
  }
  return payload;
}

}  // namespace civicbox::controller::webhooks
