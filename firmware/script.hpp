// Script mode: drives the agent from lines of text (a test, or a person at a terminal) and
// answers exactly one line per action on `out`, flushed, in key=value form; values carry no
// spaces except message="...", which is quoted. Blank lines and # comments are skipped.
//
// clang-format off
//   file <kind> [contact=<text>]  -> filed tracking=.. registration=..|- provisional=..
//                                    compartment=.. receipt=..|- [no_receipt=".."]
//   collect <code>                -> collected parcel=.. compartment=..
//   scan [seconds]                -> as collect, for the code the scanner reads; or
//                                    "scanned nothing"
//   load <parcel_id>              -> loaded parcel=.. compartment=..
//   empty                         -> emptied compartments=<n,n|-> submissions=<count>
//   sync                          -> synced applied_through=.. pending=.. assignments=..
//   clock +<seconds>              -> clock offset_s=<total>
//   status                        -> status device=.. pending=.. applied_through=..
//                                    assignments=.. free_dropoff=.. free_pickup=.. faulty=..
//   self-test [provisioning]      -> self_test passed=yes|no checks=<n>
//                                    failed=<part[:compartment],..|-> report=sent|queued|refused|not_saved
//                                    (each check is logged; the QR is read from the scanner)
// clang-format on
// Refusals: refused reason=<word> [tries_left=<n>] [retry_in_s=<n>] message="..."; failures:
// sync_failed pending=<n> message="..." or error message="...".
#pragma once

#include <filesystem>
#include <functional>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "firmware/agent.hpp"

namespace civicbox::firmware {

// What to say about the receipt of a tracking code (canonical form) that was printed: its file
// (a text printer) or "printed" (a real printer: the paper is the proof).
using ReceiptPath = std::function<std::string(const std::string& tracking_code)>;

// One script line -> one output line (without newline); empty for a blank or comment line.
std::string run_script_line(Agent& agent, std::string_view line, const ReceiptPath& receipt_path);

// Sees each line first and answers the lines it knows (the touchscreen's tap and view); nullopt
// leaves the line to the agent.
using ScriptHook = std::function<std::optional<std::string>(std::string_view line)>;

// Runs every line of `in`; returns when the input ends.
void run_script(Agent& agent, std::istream& in, std::ostream& out, const ReceiptPath& receipt_path,
                const ScriptHook& hook = {});
// The same for a box that may not be set up yet (firmware/setup.hpp): `agent` is asked for each
// line the hook leaves, and may wait until the agent runs; nullptr answers the line with
// run_script_line_without_agent().
using AgentSource = std::function<Agent*()>;
void run_script(const AgentSource& agent, std::istream& in, std::ostream& out,
                const ReceiptPath& receipt_path, const ScriptHook& hook = {});
// "error message=\"the box's agent is not running...\"" (nothing for a blank or comment line).
std::string run_script_line_without_agent(std::string_view line);

// A pickup's outcome as a script would answer it ("collected parcel=.. compartment=..",
// "refused reason=.. message=..", "error message=..").
std::string describe_flow(const FlowResult& result);

// A self-test's outcome on one line, as the script answers it.
std::string describe_self_test(const SelfTestResult& result);

// message="..." with the text kept on one line and without double quotes inside.
std::string quoted_message(std::string_view text);

}  // namespace civicbox::firmware
