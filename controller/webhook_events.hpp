// What each webhook notification says (the JSON payloads the README documents), and who gets
// which, from the configuration. Times are RFC 3339 UTC like the rest of the public API;
// tracking codes in their display form, as printed on the receipt.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/codes.hpp"
#include "common/submission_state.hpp"
#include "common/wire.hpp"
#include "controller/config.hpp"
#include "controller/storage.hpp"
#include "controller/webhook_outbox.hpp"

namespace civicbox::controller::webhooks {

Routes routes_of(const Config& config);

nlohmann::json registered_payload(const wire::SubmissionFiled& filed,
                                  const std::string& registration_number, const std::string& box,
                                  std::int64_t filed_at_ms);
// `record` as it was before the move.
nlohmann::json status_changed_payload(const SubmissionRecord& record, const TrackingCode& code,
                                      SubmissionState to, std::int64_t at_ms);
// Without box and compartment until the parcel is loaded (release_parcel_ready).
nlohmann::json parcel_ready_payload(const NewParcel& parcel);

}  // namespace civicbox::controller::webhooks
