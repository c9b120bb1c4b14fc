#include "common/identity_wire.hpp"

#include "common/json_strict.hpp"
#include "common/wire.hpp"

namespace civicbox::wire {

using civicbox::json::ObjectReader;
using nlohmann::json;

namespace {

constexpr std::int64_t kMaxTimeMs = 253402300799999;  // year 9999
constexpr std::size_t kMaxSelfTestChecks = 2 * 1024;

Expected<std::vector<std::string>> read_strings(ObjectReader& r, std::string_view key,
                                                std::size_t max_items, std::size_t max_bytes) {
  CIVICBOX_TRY(const json* items, r.array(key, max_items));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto path = r.path_of(key) + "[" + std::to_string(i) + "]";
    CIVICBOX_TRY(auto text, civicbox::json::string_item((*items)[i], path, max_bytes));
    out.push_back(std::move(text));
  }
  return out;
}

Expected<std::string> read_pem(ObjectReader& r, std::string_view key) {
  CIVICBOX_TRY(auto pem, r.string(key, kMaxPemBytes));
  if (pem.find("-----BEGIN ") == std::string::npos) {
    return make_error(ErrorCode::parse, "'" + r.path_of(key) + "' is not PEM");
  }
  return pem;
}

Expected<ObjectReader> open_root(const json& root) {
  return ObjectReader::open(root, "");
}

Expected<CertificateIssued> read_certificate(ObjectReader& r) {
  CertificateIssued c;
  CIVICBOX_TRY(c.certificate_pem, read_pem(r, "certificate"));
  CIVICBOX_TRY(c.ca_chain_pem, read_pem(r, "ca_chain"));
  CIVICBOX_TRY(c.serial_hex, r.string("serial", 64));
  CIVICBOX_TRY(c.not_before_ms, r.integer("not_before_ms", 0, kMaxTimeMs));
  CIVICBOX_TRY(c.not_after_ms, r.integer("not_after_ms", 0, kMaxTimeMs));
  if (c.not_after_ms <= c.not_before_ms) {
    return make_error(ErrorCode::parse, "the certificate ends before it begins");
  }
  return c;
}

Expected<ProvisionedConfig> read_config(const json& value, std::string path) {
  CIVICBOX_TRY(auto c, ObjectReader::open(value, std::move(path)));
  ProvisionedConfig p;
  CIVICBOX_TRY(p.device_id, c.string("device_id", 64));
  CIVICBOX_TRY(p.site, c.string("site", kMaxTextBytes));
  CIVICBOX_TRY(p.cabinet, c.string("cabinet", kMaxTextBytes));
  CIVICBOX_TRY(p.controller_url, c.string("controller_url", 2048));
  CIVICBOX_TRY(p.institution, c.string("institution", kMaxTextBytes));
  CIVICBOX_TRY(p.languages, read_strings(c, "languages", 32, 8));
  CIVICBOX_TRY(p.default_language, c.string("default_language", 8));
  CIVICBOX_TRY(p.document_kinds, read_strings(c, "document_kinds", kMaxListItems, kMaxTextBytes));
  CIVICBOX_CHECK(c.finish());
  return p;
}

json config_json(const ProvisionedConfig& p) {
  return json{{"device_id", p.device_id},
              {"site", p.site},
              {"cabinet", p.cabinet},
              {"controller_url", p.controller_url},
              {"institution", p.institution},
              {"languages", p.languages},
              {"default_language", p.default_language},
              {"document_kinds", p.document_kinds}};
}

json certificate_json(const CertificateIssued& c) {
  return json{{"certificate", c.certificate_pem},
              {"ca_chain", c.ca_chain_pem},
              {"serial", c.serial_hex},
              {"not_before_ms", c.not_before_ms},
              {"not_after_ms", c.not_after_ms}};
}

}  // namespace

Expected<EnrolRequest> parse_enrol_request(std::string_view text) {
  CIVICBOX_TRY(auto root, civicbox::json::parse(text, 64 * 1024));
  CIVICBOX_TRY(auto r, open_root(root));
  EnrolRequest e;
  CIVICBOX_TRY(e.token, r.string("token", kMaxTokenBytes));
  CIVICBOX_TRY(e.csr_pem, read_pem(r, "csr"));
  CIVICBOX_TRY(e.site, r.optional_string("site", kMaxTextBytes));
  CIVICBOX_CHECK(r.finish());
  if (e.token.empty()) return make_error(ErrorCode::parse, "'token' is empty");
  return e;
}

std::string to_json(const EnrolRequest& value) {
  json j{{"token", value.token}, {"csr", value.csr_pem}};
  if (value.site) j["site"] = *value.site;
  return civicbox::json::dump(j);
}

Expected<EnrolResponse> parse_enrol_response(std::string_view text) {
  CIVICBOX_TRY(auto root, civicbox::json::parse(text, kMaxBodyBytes));
  CIVICBOX_TRY(auto r, open_root(root));
  EnrolResponse e;
  CIVICBOX_TRY(e.certificate, read_certificate(r));
  CIVICBOX_TRY(const json* config, r.object("config"));
  CIVICBOX_CHECK(r.finish());
  CIVICBOX_TRY(e.config, read_config(*config, "config"));
  return e;
}

std::string to_json(const EnrolResponse& value) {
  json j = certificate_json(value.certificate);
  j["config"] = config_json(value.config);
  return civicbox::json::dump(j);
}

Expected<ProvisionedConfig> parse_provisioned_config(std::string_view text) {
  CIVICBOX_TRY(auto root, civicbox::json::parse(text, kMaxBodyBytes));
  return read_config(root, "");
}

std::string to_json(const ProvisionedConfig& value) {
  return civicbox::json::dump(config_json(value));
}

Expected<RenewRequest> parse_renew_request(std::string_view text) {
  CIVICBOX_TRY(auto root, civicbox::json::parse(text, 64 * 1024));
  CIVICBOX_TRY(auto r, open_root(root));
  RenewRequest e;
  CIVICBOX_TRY(e.csr_pem, read_pem(r, "csr"));
  CIVICBOX_CHECK(r.finish());
  return e;
}

std::string to_json(const RenewRequest& value) {
  return civicbox::json::dump(json{{"csr", value.csr_pem}});
}

Expected<CertificateIssued> parse_certificate_issued(std::string_view text) {
  CIVICBOX_TRY(auto root, civicbox::json::parse(text, kMaxBodyBytes));
  CIVICBOX_TRY(auto r, open_root(root));
  CIVICBOX_TRY(auto c, read_certificate(r));
  CIVICBOX_CHECK(r.finish());
  return c;
}

std::string to_json(const CertificateIssued& value) {
  return civicbox::json::dump(certificate_json(value));
}

Expected<SelfTestReport> parse_self_test_report(std::string_view text) {
  CIVICBOX_TRY(auto root, civicbox::json::parse(text, kMaxBodyBytes));
  CIVICBOX_TRY(auto r, open_root(root));
  SelfTestReport s;
  CIVICBOX_TRY(s.started_ms, r.integer("started_ms", 0, kMaxTimeMs));
  CIVICBOX_TRY(s.finished_ms, r.integer("finished_ms", 0, kMaxTimeMs));
  CIVICBOX_TRY(s.reason, r.string("reason", 32));
  if (s.reason != "provisioning" && s.reason != "on_demand") {
    return make_error(ErrorCode::parse, "'reason' is neither provisioning nor on_demand");
  }
  if (s.finished_ms < s.started_ms) {
    return make_error(ErrorCode::parse, "the self-test finished before it started");
  }
  CIVICBOX_TRY(const json* checks, r.array("checks", kMaxSelfTestChecks));
  for (std::size_t i = 0; i < checks->size(); ++i) {
    CIVICBOX_TRY(auto c, ObjectReader::open((*checks)[i], "checks[" + std::to_string(i) + "]"));
    SelfTestCheck check;
    CIVICBOX_TRY(check.part, c.string("part", 32));
    CIVICBOX_TRY(auto compartment, c.optional_integer("compartment", 1, kMaxCompartment));
    if (compartment) check.compartment = static_cast<int>(*compartment);
    CIVICBOX_TRY(check.ok, c.boolean("ok"));
    CIVICBOX_TRY(check.detail, c.string("detail", kMaxTextBytes * 4));
    CIVICBOX_CHECK(c.finish());
    if (check.part.empty()) return make_error(ErrorCode::parse, c.path_of("part") + " is empty");
    if ((check.part == "compartment") != check.compartment.has_value()) {
      return make_error(ErrorCode::parse,
                        c.path_of("compartment") + " is given exactly for part \"compartment\"");
    }
    s.checks.push_back(std::move(check));
  }
  CIVICBOX_CHECK(r.finish());
  return s;
}

std::string to_json(const SelfTestReport& value) {
  json checks = json::array();
  for (const auto& c : value.checks) {
    json item{{"part", c.part}, {"ok", c.ok}, {"detail", c.detail}};
    if (c.compartment) item["compartment"] = *c.compartment;
    checks.push_back(std::move(item));
  }
  return civicbox::json::dump(json{{"started_ms", value.started_ms},
                                   {"finished_ms", value.finished_ms},
                                   {"reason", value.reason},
                                   {"checks", std::move(checks)}});
}

}  // namespace civicbox::wire
