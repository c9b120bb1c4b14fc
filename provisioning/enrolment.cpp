#include "provisioning/enrolment.hpp"

#include "common/atomic_file.hpp"
#include "common/scanned.hpp"
#include "provisioning/certificate_check.hpp"

namespace civicbox::provisioning {

namespace {

void step(const IdentityStore& store, std::string_view name) {
  if (store.step_hook()) store.step_hook()(name);
}

// Whether an enrolled box may be enrolled again without --force: only when its identity can no
// longer serve (expired, or revoked by the controller).
Expected<void> check_replaceable(ControllerLink& link, const Identity& current,
                                 const EnrolOptions& options, std::vector<std::string>& notes) {
  if (current.record.not_after_ms <= options.now_ms) {
    notes.push_back("the certificate of " + current.device_id() + " had expired: enrolling again");
    return {};
  }
  Refusal said;
  auto probed = link.probe(current, &said);
  if (!probed && said.word == "revoked") {
    notes.push_back("the controller revoked " + current.device_id() + ": enrolling again");
    return {};
  }
  return make_error(ErrorCode::state, "this box is already enrolled as " + current.device_id() +
                                          " at " + current.config().site + " (" +
                                          current.cert.string() +
                                          "); to replace its identity, enrol again with --force");
}

}  // namespace

Expected<EnrolResult> enrol_box(IdentityStore& store, ControllerLink& link,
                                const EnrolOptions& options, Refusal* refusal) {
  if (auto shape = parse_scanned("CBX-ENROL:" + options.token);
      !shape || !std::holds_alternative<EnrolmentToken>(*shape)) {
    return make_error(ErrorCode::invalid_argument,
                      "this is not an enrolment token (22 to 128 of A-Z a-z 0-9 _ -)");
  }
  const std::string fingerprint = token_fingerprint(options.token);
  EnrolResult result;

  auto current = store.current();
  if (!current && !options.force) {
    return make_error(ErrorCode::state, "the identity in use is damaged (" +
                                            current.error().message +
                                            "); to replace it, enrol again with --force");
  }
  if (current && *current) {
    const Identity& in_use = **current;
    if (in_use.record.origin == IdentityOrigin::enrolment && in_use.record.token_sha256 &&
        *in_use.record.token_sha256 == fingerprint) {
      // Run again (after a power cut, or twice): done already, unless the controller has revoked
      // what this token made since; then the token is spent and a new one is needed. A controller
      // that does not answer leaves it done: running it again must stay safe offline.
      Refusal said;
      if (auto probed = link.probe(in_use, &said); !probed && said.word == "revoked") {
        if (refusal != nullptr) {
          *refusal = said;
          refusal->word = "token_used";
        }
        return make_error(ErrorCode::forbidden,
                          "this token enrolled the identity in use, which the controller has "
                          "revoked since: a new token is needed");
      }
      result.identity = in_use;
      result.already_done = true;
      return result;
    }
    if (!options.force) CIVICBOX_CHECK(check_replaceable(link, in_use, options, result.notes));
  }

  // An answer an interrupted run left in pending/: finish it if it is this token's.
  if (auto answer = store.pending_identity(); !answer || *answer) {
    if (answer && (*answer)->record.origin == IdentityOrigin::enrolment &&
        (*answer)->record.token_sha256 == fingerprint) {
      CIVICBOX_TRY(result.identity, store.commit());
      result.notes.push_back("finished an enrolment that had been interrupted");
      return result;
    }
    CIVICBOX_CHECK(store.discard_pending());
  }

  CIVICBOX_TRY(PendingRequest request, store.pending_key(options.box_id.value_or("")));
  if (request.resumed) result.notes.push_back("resumed with the key made by an earlier attempt");
  wire::EnrolRequest enrol{options.token, request.csr_pem, options.site};
  auto answered = link.enrol(options.controller_url, options.fleet_ca, enrol, refusal);
  if (!answered) {
    // A refusal is final for this key: the next attempt (a new token) starts afresh. Anything
    // else (no answer, a broken one) keeps the key, so a retry can be replayed.
    ErrorCode code = answered.error().code;
    if (code == ErrorCode::forbidden || code == ErrorCode::invalid_argument ||
        code == ErrorCode::conflict) {
      if (auto discarded = store.discard_pending(); !discarded) return discarded.error();
    }
    return answered.error();
  }
  wire::EnrolResponse response = std::move(*answered);
  step(store, "enrol_answered");

  const wire::ProvisionedConfig& config = response.config;
  if (options.box_id && *options.box_id != config.device_id) {
    return make_error(ErrorCode::crypto, "the controller enrolled this box as " + config.device_id +
                                             ", not " + *options.box_id);
  }
  if (options.site && *options.site != config.site) {
    return make_error(ErrorCode::forbidden, "the token is for site " + config.site + ", not " +
                                                *options.site + ": ask for a token for this site");
  }
  CIVICBOX_TRY(std::string trusted, read_text_file(options.fleet_ca));
  auto kept =
      check_issued_certificate(response.certificate, request.csr_pem, config.device_id, trusted);
  if (!kept) return kept.error().context("checking the enrolment's certificate");

  CIVICBOX_TRY(auto facts, read_certificate_facts(response.certificate.certificate_pem));
  IdentityRecord record;
  record.config = config;
  record.serial_hex = facts.serial_hex;
  record.not_before_ms = response.certificate.not_before_ms;
  record.not_after_ms = response.certificate.not_after_ms;
  record.origin = IdentityOrigin::enrolment;
  record.token_sha256 = fingerprint;
  CIVICBOX_TRY(auto stored, store.store_pending_certificate(response.certificate.certificate_pem,
                                                            *kept, record));
  (void)stored;
  CIVICBOX_TRY(result.identity, store.commit());
  return result;
}

std::string enrolment_advice(const Error& error, const Refusal& refusal) {
  const std::string new_token = "Ask the town hall's IT for a new enrolment token for this box.";
  if (refusal.word == "token_unknown") {
    return "The controller does not know this token: check it was typed right, or scan it. " +
           new_token;
  }
  if (refusal.word == "token_used")
    return "This token was already used by another box. " + new_token;
  if (refusal.word == "token_expired") return "This token has expired. " + new_token;
  if (refusal.word == "wrong_site") {
    return "This token is for another site. Check --site, or ask the town hall's IT for a "
           "token for this site.";
  }
  if (refusal.word == "rate_limited") {
    std::string wait = refusal.retry_after
                           ? "Wait " + std::to_string(refusal.retry_after->count()) + " s"
                           : "Wait a minute";
    return "The controller is busy with too many requests. " + wait + " and run this again.";
  }
  switch (error.code) {
    case ErrorCode::forbidden:
      return "The controller refused. " + new_token;
    case ErrorCode::unavailable:
      return "Check the box's network (cable, Wi-Fi, proxy) and the controller address, then run "
             "this again: retrying is safe, the same key is sent again.";
    case ErrorCode::crypto:
      return "Check that the fleet CA file is the town hall's and the controller address is "
             "right. Do not use this box until this is resolved; tell the town hall's IT.";
    case ErrorCode::state:
      return "Nothing was changed.";
    case ErrorCode::invalid_argument:
    case ErrorCode::conflict:
    case ErrorCode::parse:
      return "The controller and this box do not agree; tell the town hall's IT (this is a bug "
             "or an attack, not something to retry).";
    default:
      return "Nothing was switched: the box keeps the identity it had. Run this again; if it "
             "fails the same way, tell the town hall's IT.";
  }
}

}  // namespace civicbox::provisioning
