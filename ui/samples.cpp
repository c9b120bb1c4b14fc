#include "ui/samples.hpp"

namespace civicbox::ui {

std::vector<Sample> sample_views(std::string_view language, bool high_contrast, bool large_text) {
  View base;
  base.language = std::string(language);
  base.high_contrast = high_contrast;
  base.large_text = large_text;
  base.args = {{"phone", "0264 596 030"},
               {"hours", "Mon-Fri 8:00-16:00"},
               {"compartment", "16"},
               {"box", "box-0001"}};
  std::vector<Sample> out;
  auto add = [&](std::string name, ScreenId screen, auto&& edit) {
    View v = base;
    v.screen = screen;
    edit(v);
    out.push_back(Sample{std::move(name), std::move(v)});
  };
  auto none = [](View&) {};
  add("home", ScreenId::home, none);
  add("home-filing-off", ScreenId::home, [](View& v) {
    v.can_file = false;
    v.arg_keys["file_why"] = "why.no_dropoff";
  });
  add("file-kind", ScreenId::file_kind, [](View& v) {
    for (const char* kind :
         {"request", "complaint", "form", "certificate_request", "tax_declaration", "other"}) {
      v.choices.push_back(
          Choice{std::string("kind:") + kind, Text{std::string("kind.") + kind, kind}});
    }
  });
  // More kinds than a screen holds: pages, on the second of them.
  add("file-kind-pages", ScreenId::file_kind, [](View& v) {
    for (int i = 1; i <= 23; ++i) {
      const std::string kind = "kind_" + std::to_string(i);
      v.choices.push_back(Choice{"kind:" + kind, Text{"", "Cerere de tipul " + kind}});
    }
    v.page = 1;
  });
  add("file-contact", ScreenId::file_contact,
      [](View& v) { v.typed = "maria.popescu-ionescu@primaria-cluj.ro"; });
  add("file-contact-invalid", ScreenId::file_contact, [](View& v) {
    v.typed = "0722 12";
    v.body_key = "contact.invalid";
  });
  add("file-consent", ScreenId::file_consent, none);
  add("door-file", ScreenId::door_open, [](View& v) { v.body_key = "door.file"; });
  add("door-collect", ScreenId::door_open, [](View& v) { v.body_key = "door.collect"; });
  add("receipt", ScreenId::receipt, [](View& v) {
    v.args["tracking_code"] = "7K3M-Q9XR-2D4P";
    v.args["number"] = "P-box-0001-000123";
    v.args["url"] = "https://registratura.primaria-municipiului-exemplu.ro/urmarire/7K3MQ9XR2D4P";
  });
  add("receipt-registered", ScreenId::receipt, [](View& v) {
    v.args["tracking_code"] = "7K3M-Q9XR-2D4P";
    v.args["number"] = "P-box-0001-000123";
    v.args["registration"] = "2026/000123";
  });
  add("receipt-no-paper", ScreenId::receipt, [](View& v) {
    v.args["tracking_code"] = "7K3M-Q9XR-2D4P";
    v.args["number"] = "P-box-0001-000123";
    v.body_key = "receipt.no_receipt";
    v.arg_keys["why"] = "why.printer";
  });
  add("collect-scan", ScreenId::collect_scan, none);
  add("collect-keypad", ScreenId::collect_keypad, [](View& v) { v.typed = "4F7-KQ2-9XW"; });
  add("notice-wrong-code", ScreenId::notice, [](View& v) {
    v.tone = Tone::failure;
    v.title_key = "refused.title";
    v.body_key = "refused.wrong_code";
    v.detail_key = "refused.tries_left";
    v.args["tries"] = "9";
  });
  add("notice-locked-out", ScreenId::notice, [](View& v) {
    v.tone = Tone::failure;
    v.title_key = "refused.locked_title";
    v.body_key = "refused.locked";
    v.args["until"] = "14:45";
  });
  add("notice-thanks", ScreenId::notice, [](View& v) {
    v.tone = Tone::success;
    v.title_key = "thanks.title";
    v.body_key = "thanks.collected";
  });
  add("working", ScreenId::working, none);
  add("staff-pin", ScreenId::staff_pin, [](View& v) {
    v.args["badge"] = "CLERK-0042";
    v.typed = "••••";
    v.body_key = "staff.wrong_pin";
    v.args["tries"] = "3";
  });
  add("clerk-menu", ScreenId::clerk_menu, [](View& v) {
    v.args["name"] = "Ana-Maria Constantinescu";
    v.args["dropoff"] = "4";
    v.args["pickup"] = "11";
    v.body_key = "clerk.emptied";
    v.tone = Tone::success;
    v.args["count"] = "3";
    v.args["compartments"] = "2";
  });
  add("clerk-load", ScreenId::clerk_load, [](View& v) {
    v.body_key = "clerk.loaded";
    v.tone = Tone::success;
    v.args["parcel"] = "9QX4-M2KD-7TPA";
  });
  add("clerk-faulty", ScreenId::clerk_faulty, [](View& v) {
    v.rows.push_back(Row{Text{"", "3"}, Text{"why.board", ""}, false});
    v.rows.push_back(Row{Text{"", "12"}, Text{"", "door held open"}, false});
  });
  add("technician", ScreenId::technician, [](View& v) {
    v.rows.push_back(Row{Text{"technician.boards", ""}, Text{"", "2/2"}, true});
    v.rows.push_back(Row{Text{"technician.doors", ""}, Text{"", "15/16"}, false});
    v.rows.push_back(Row{Text{"technician.printer", ""}, Text{"", "USB 0519:2013"}, true});
    v.rows.push_back(Row{Text{"technician.paper", ""}, Text{"why.printer", ""}, false});
    v.rows.push_back(Row{Text{"technician.camera", ""}, Text{"", "/dev/civicbox/camera"}, true});
    v.rows.push_back(Row{Text{"technician.identity", ""}, Text{"", "box-0001"}, std::nullopt});
    v.rows.push_back(
        Row{Text{"technician.controller", ""}, Text{"", "https://controller.primaria.ro"}, true});
    v.rows.push_back(Row{Text{"technician.last_sync", ""}, Text{"", "14:32"}, std::nullopt});
  });
  // The self-test under way: a door being tested, the lines so far, cancel.
  auto identity_rows = [](View& v) {
    v.rows.push_back(Row{Text{"technician.identity", ""}, Text{"", "box-0001"}, std::nullopt});
    v.rows.push_back(
        Row{Text{"technician.controller", ""}, Text{"", "https://controller.primaria.ro"}, true});
    v.rows.push_back(Row{Text{"technician.last_sync", ""}, Text{"", "14:32"}, std::nullopt});
  };
  add("technician-self-test-door", ScreenId::technician, [&](View& v) {
    v.running = true;
    v.body_key = "self_test.step_compartment";
    v.args["compartment"] = "14";
    v.args["index"] = "14";
    v.args["of"] = "16";
    v.rows.push_back(Row{Text{"technician.boards", ""}, Text{"self_test.boards_ok", ""}, true});
    v.rows.push_back(Row{Text{"self_test.journal", ""}, Text{"self_test.journal_ok", ""}, true});
    v.rows.push_back(Row{Text{"self_test.compartments_all", ""},
                         Text{"self_test.opened_closed", ""},
                         true,
                         {{"passed", "11"}, {"of", "13"}}});
    v.rows.push_back(Row{Text{"self_test.compartments", ""},
                         Text{"self_test.holds_document", ""},
                         std::nullopt,
                         {{"list", "3, 7"}}});
    identity_rows(v);
  });
  add("technician-self-test-scan", ScreenId::technician, [&](View& v) {
    v.running = true;
    v.body_key = "self_test.step_scanner";
    v.args["seconds"] = "60";
    v.rows.push_back(Row{Text{"technician.boards", ""}, Text{"self_test.boards_ok", ""}, true});
    v.rows.push_back(Row{Text{"self_test.journal", ""}, Text{"self_test.journal_ok", ""}, true});
    v.rows.push_back(Row{Text{"self_test.compartments_all", ""},
                         Text{"self_test.opened_closed", ""},
                         true,
                         {{"passed", "16"}, {"of", "16"}}});
    v.rows.push_back(Row{Text{"technician.printer", ""}, Text{"self_test.paper_low", ""}, true});
    identity_rows(v);
  });
  // The longest result: every kind of fault at once on a 16-door cabinet.
  add("technician-self-test-failed", ScreenId::technician, [&](View& v) {
    v.body_key = "self_test.failed";
    v.tone = Tone::failure;
    v.rows.push_back(
        Row{Text{"technician.boards", ""}, Text{"self_test.boards_silent", ""}, false});
    v.rows.push_back(Row{Text{"self_test.journal", ""}, Text{"self_test.journal_ok", ""}, true});
    v.rows.push_back(Row{Text{"self_test.compartments_all", ""},
                         Text{"self_test.opened_closed", ""},
                         false,
                         {{"passed", "6"}, {"of", "16"}}});
    v.rows.push_back(Row{Text{"self_test.compartments", ""},
                         Text{"self_test.holds_document", ""},
                         std::nullopt,
                         {{"list", "1, 2, 5–7"}}});
    v.rows.push_back(Row{Text{"self_test.compartment", ""},
                         Text{"self_test.not_opened", ""},
                         false,
                         {{"compartment", "8"}}});
    v.rows.push_back(Row{Text{"self_test.compartment", ""},
                         Text{"self_test.not_closed", ""},
                         false,
                         {{"compartment", "9"}}});
    v.rows.push_back(Row{Text{"self_test.compartments", ""},
                         Text{"self_test.no_answer", ""},
                         false,
                         {{"list", "13–16"}}});
    v.rows.push_back(Row{Text{"technician.printer", ""}, Text{"self_test.paper_out", ""}, false});
    v.rows.push_back(
        Row{Text{"self_test.scanner", ""}, Text{"self_test.no_test_receipt", ""}, false});
    v.rows.push_back(
        Row{Text{"self_test.report", ""}, Text{"self_test.report_queued", ""}, std::nullopt});
    identity_rows(v);
  });
  add("technician-self-test-passed", ScreenId::technician, [&](View& v) {
    v.body_key = "self_test.passed";
    v.tone = Tone::success;
    v.rows.push_back(Row{Text{"technician.boards", ""}, Text{"self_test.boards_ok", ""}, true});
    v.rows.push_back(Row{Text{"self_test.journal", ""}, Text{"self_test.journal_ok", ""}, true});
    v.rows.push_back(Row{Text{"self_test.compartments_all", ""},
                         Text{"self_test.opened_closed", ""},
                         true,
                         {{"passed", "14"}, {"of", "16"}}});
    v.rows.push_back(Row{Text{"self_test.compartments", ""},
                         Text{"self_test.holds_document", ""},
                         std::nullopt,
                         {{"list", "3, 7"}}});
    v.rows.push_back(Row{Text{"technician.printer", ""}, Text{"self_test.printed", ""}, true});
    v.rows.push_back(Row{Text{"self_test.scanner", ""}, Text{"self_test.qr_read", ""}, true});
    v.rows.push_back(Row{Text{"self_test.report", ""}, Text{"self_test.report_sent", ""}, true});
    identity_rows(v);
  });
  // Enrolled again from the technician screen (a revoked box): under way, refused, done.
  auto device_rows = [](View& v) {
    v.rows.push_back(Row{Text{"technician.doors", ""}, Text{"", "16/16"}, true});
    v.rows.push_back(Row{Text{"technician.printer", ""}, Text{"", "ready"}, true});
    v.rows.push_back(Row{Text{"technician.camera", ""}, Text{"", "/dev/civicbox/camera"}, true});
  };
  auto technician_rows = [&](View& v) {
    device_rows(v);
    identity_rows(v);
  };
  add("technician-enrolling", ScreenId::technician, [&](View& v) {
    technician_rows(v);
    v.running = true;
    v.body_key = "setup.enrolling";
  });
  add("technician-enrol-refused", ScreenId::technician, [&](View& v) {
    technician_rows(v);
    v.body_key = "setup.already_enrolled";
    v.detail_key = "setup.new_token";
    v.tone = Tone::failure;
  });
  add("technician-enrolled-again", ScreenId::technician, [&](View& v) {
    technician_rows(v);
    v.body_key = "technician.enrolled_again";
    v.tone = Tone::success;
    v.args["site"] = "cluj-napoca-centru";
  });
  add("out-of-order", ScreenId::out_of_order, [](View& v) { v.arg_keys["why"] = "why.board"; });
  // Not set up yet: the devices and the controller asked, waiting for the enrolment QR; then
  // asking, the longest refusal, and enrolled.
  auto setup_rows = [&](View& v) {
    device_rows(v);
    v.rows.push_back(Row{Text{"setup.controller", ""},
                         Text{"", "https://inrolare.primaria-municipiului-exemplu.ro:8444"},
                         std::nullopt});
  };
  add("setup", ScreenId::setup, setup_rows);
  add("setup-enrolling", ScreenId::setup, [&](View& v) {
    setup_rows(v);
    v.running = true;
    v.body_key = "setup.enrolling";
  });
  add("setup-refused", ScreenId::setup, [&](View& v) {
    setup_rows(v);
    v.body_key = "setup.failed";
    v.tone = Tone::failure;
  });
  add("setup-token-expired", ScreenId::setup, [&](View& v) {
    setup_rows(v);
    v.body_key = "setup.token_expired";
    v.detail_key = "setup.new_token";
    v.tone = Tone::failure;
  });
  add("setup-done", ScreenId::setup, [&](View& v) {
    setup_rows(v);
    v.body_key = "setup.done";
    v.tone = Tone::success;
    v.args["box"] = "box-0001";
    v.args["site"] = "cluj-napoca-centru";
  });
  add("idle", ScreenId::file_contact, [](View& v) {
    v.typed = "0722 123 456";
    v.idle_countdown_s = 12;
  });
  return out;
}

}  // namespace civicbox::ui
