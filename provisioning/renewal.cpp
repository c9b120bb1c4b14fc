#include "provisioning/renewal.hpp"

#include "common/atomic_file.hpp"
#include "provisioning/certificate_check.hpp"

namespace civicbox::provisioning {

namespace {

// Reports the store's steps as "renew_<step>" while a renewal runs; restores the hook after.
class RenewalSteps {
 public:
  explicit RenewalSteps(IdentityStore& store) : store_(store), outer_(store.step_hook()) {
    if (outer_) {
      store_.set_step_hook(
          [outer = outer_](std::string_view step) { outer("renew_" + std::string(step)); });
    }
  }
  ~RenewalSteps() { store_.set_step_hook(outer_); }
  RenewalSteps(const RenewalSteps&) = delete;
  RenewalSteps& operator=(const RenewalSteps&) = delete;
  void step(std::string_view name) const {
    if (outer_) outer_("renew_" + std::string(name));
  }

 private:
  IdentityStore& store_;
  StepHook outer_;
};

// The answer a renewal left in pending/ when it was cut short, if it is still worth probing.
Expected<std::optional<Identity>> resumable_answer(IdentityStore& store, const Identity& current,
                                                   std::int64_t now_ms) {
  auto pending = store.pending_identity();
  if (!pending || !*pending) {
    if (!pending) CIVICBOX_CHECK(store.discard_pending());  // damaged: start again
    return std::optional<Identity>{};
  }
  const Identity& answer = **pending;
  if (answer.record.origin == IdentityOrigin::enrolment) {
    return make_error(
        ErrorCode::state,
        "an enrolment is under way in " + answer.dir.string() +
            ": finish it with civicbox-provision --token (the renewal left it alone)");
  }
  if (answer.device_id() != current.device_id() || answer.record.not_after_ms <= now_ms) {
    CIVICBOX_CHECK(store.discard_pending());
    return std::optional<Identity>{};
  }
  return pending;
}

}  // namespace

std::int64_t renewal_due_at(const Identity& identity, double fraction) {
  const auto& r = identity.record;
  auto span = static_cast<double>(r.not_after_ms - r.not_before_ms);
  return r.not_before_ms + static_cast<std::int64_t>(span * fraction);
}

bool renewal_due(const Identity& identity, std::int64_t now_ms, double fraction) {
  return now_ms >= renewal_due_at(identity, fraction);
}

Expected<RenewalResult> renew_identity(IdentityStore& store, ControllerLink& link,
                                       std::int64_t now_ms, const RenewalOptions& options,
                                       Refusal* refusal) {
  if (!(options.fraction > 0.0 && options.fraction < 1.0)) {
    return make_error(ErrorCode::invalid_argument, "the renewal fraction must be between 0 and 1");
  }
  auto loaded = store.current();
  if (!loaded) return loaded.error().context("the identity in use");
  if (!*loaded) {
    return make_error(ErrorCode::state, "this box is not enrolled (no identity in " +
                                            store.dir().string() + "): enrol it first");
  }
  const Identity current = std::move(**loaded);
  RenewalSteps steps(store);

  CIVICBOX_TRY(auto candidate, resumable_answer(store, current, now_ms));
  if (!candidate) {
    // A renewal's CSR names the device; an unnamed one is an enrolment's, not under way here.
    CIVICBOX_TRY(auto pending, store.pending_request());
    bool under_way = pending && pending->common_name == current.device_id();
    if (!under_way && !options.force && !renewal_due(current, now_ms, options.fraction)) {
      return RenewalResult{RenewalOutcome::not_due, current};
    }
    CIVICBOX_TRY(PendingRequest request, store.pending_key(current.device_id()));
    CIVICBOX_TRY(std::string current_cert, read_text_file(current.cert));
    CIVICBOX_TRY(std::string old_key, certificate_public_key(current_cert));
    CIVICBOX_TRY(std::string new_key, csr_public_key(request.csr_pem));
    if (old_key == new_key) {  // cannot happen; a renewal with the same key would be refused
      CIVICBOX_CHECK(store.discard_pending());
      return make_error(ErrorCode::internal, "the pending key is the current key");
    }

    auto issued = link.renew(current, wire::RenewRequest{request.csr_pem}, refusal);
    if (!issued) return issued.error();
    steps.step("answered");
    CIVICBOX_TRY(std::string trusted, read_text_file(current.ca));
    auto kept = check_issued_certificate(*issued, request.csr_pem, current.device_id(), trusted);
    if (!kept) return kept.error().context("checking the renewed certificate");

    CIVICBOX_TRY(auto facts, read_certificate_facts(issued->certificate_pem));
    IdentityRecord record;
    record.config = current.config();
    record.serial_hex = facts.serial_hex;
    record.not_before_ms = issued->not_before_ms;
    record.not_after_ms = issued->not_after_ms;
    record.origin = IdentityOrigin::renewal;
    CIVICBOX_TRY(Identity stored,
                 store.store_pending_certificate(issued->certificate_pem, *kept, record));
    candidate = std::move(stored);
  }

  if (auto probed = link.probe(*candidate, refusal); !probed) {
    return probed.error().context(
        "the renewed certificate does not work with the controller "
        "yet (the current one stays in use)");
  }
  steps.step("probed");
  CIVICBOX_TRY(Identity renewed, store.commit());
  return RenewalResult{RenewalOutcome::renewed, std::move(renewed)};
}

}  // namespace civicbox::provisioning
