// Every device fault in every flow that opens a door, one row each: the citizen (or clerk) gets a
// clear message, the flow ends in a known state, nothing is lost, and the journal says what
// happened. The agent in-process, its real lock-board driver against the simulated cabinet,
// offline.
//
// Faults: a jammed lock (the door never opens), a sensor stuck reading closed (the door opens but
// the box never sees it), a board that stopped answering before the flow (two sweeps put its
// compartments out of service), and a door held open for a while then let go.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "common/codes.hpp"
#include "common/pickup_hash.hpp"
#include "common/wire.hpp"
#include "firmware/agent.hpp"
#include "hardware/sim/log_screen.hpp"
#include "hardware/sim/receipt_file.hpp"
#include "tests/support/flow_events.hpp"
#include "tests/support/seeded_random.hpp"
#include "tests/support/sim_lockers.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::firmware {
namespace {

using namespace std::chrono_literals;

enum class Fault { jammed_lock, sensor_stuck_closed, board_silent, door_held_open };

std::string fault_name(Fault fault) {
  switch (fault) {
    case Fault::jammed_lock:
      return "JammedLock";
    case Fault::sensor_stuck_closed:
      return "SensorStuckClosed";
    case Fault::board_silent:
      return "BoardSilentBeforeTheFlow";
    case Fault::door_held_open:
      return "DoorHeldOpenThenReleased";
  }
  return "Unknown";
}

struct Row {
  Fault fault;
  Flow flow;
};

// Readable in ctest's names (gtest prints the parameter there).
void PrintTo(const Row& row, std::ostream* os) {
  *os << fault_name(row.fault) << " in the " << to_string(row.flow);
}

std::string row_name(const ::testing::TestParamInfo<Row>& info) {
  std::string flow(to_string(info.param.flow));
  flow[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(flow[0])));
  return fault_name(info.param.fault) + "_" + flow;
}

// A parcel the controller assigned, with the code the citizen holds.
struct Assigned {
  std::string parcel_id;
  PickupCode code;
};

class AgentFaults : public ::testing::TestWithParam<Row> {
 protected:
  AgentFaults() : printer_(dir_.path() / "receipts") {
    config_.box_id = "box-0001";
    config_.data_dir = dir_.path() / "data";
    config_.controller_url = "https://127.0.0.1:1";  // nothing listens: offline
    config_.timeout_ms = 300;
    if (GetParam().fault == Fault::board_silent) {
      // Sixteen locks a board: compartments 1 to 16 on the first board, 17 and 18 on the second,
      // so that a silent first board leaves one drop-off and one pickup compartment in service.
      std::vector<int> pickup;
      for (int c = 2; c <= 16; ++c) pickup.push_back(c);
      pickup.push_back(18);
      target_dropoff_ = 1;
      other_dropoff_ = 17;
      target_pickup_ = 2;
      other_pickup_ = 18;
      cabinet_ = testing::SimLockers::start(dir_.path() / "cabinet", {1, 17}, pickup, 20ms);
    } else {
      // The person shuts a door 20 ms after it was seen open (unless it is held).
      cabinet_ = testing::SimLockers::start(dir_.path() / "cabinet", {1, 2}, {5, 6}, 20ms);
    }
    apply_cabinet_profile(config_, cabinet_.profile());
  }

  std::unique_ptr<Agent> open_agent() {
    auto agent = Agent::open(config_, Devices{*cabinet_.lockers, printer_, screen_}, random_);
    EXPECT_TRUE(agent.has_value()) << agent.error().describe();
    (*agent)->door_open_wait = 1s;  // a door that does not open costs this much
    return std::move(*agent);
  }

  static std::vector<wire::EventBody> events(Agent& agent) {
    std::vector<wire::EventBody> out;
    auto all = agent.journal().events_after(0, 1000);
    EXPECT_TRUE(all.has_value());
    if (!all) return out;
    for (const auto& e : *all) out.push_back(e.body);
    return out;
  }

  static std::vector<wire::Alarm> alarms(const std::vector<wire::EventBody>& bodies,
                                         const std::string& what) {
    std::vector<wire::Alarm> out;
    for (const auto& b : bodies) {
      if (const auto* a = std::get_if<wire::Alarm>(&b); a && a->what == what) out.push_back(*a);
    }
    return out;
  }

  int unlocks(int compartment) const { return cabinet_.cabinet->unlocks_received(compartment); }

  // Two parcels assigned the way a pull from the controller does it.
  std::vector<Assigned> assign_parcels(Agent& agent) {
    std::vector<Assigned> out;
    wire::PullResponse pull;
    pull.cursor = 1;
    pull.config = {"Mairie de Test", {"request", "complaint"}, "https://mairie.example.org/t/"};
    const std::int64_t expires = agent.now_ms() + 14LL * 24 * 3600 * 1000;
    for (int i = 0; i < 2; ++i) {
      Assigned a{TrackingCode::generate(random_).str(), PickupCode::generate(random_)};
      const PickupHash hash = hash_pickup_code(a.code, random_, 1);  // cheap: not under test
      pull.assignments.push_back(
          wire::Assignment{a.parcel_id, hash.salt_hex, hash.iterations, hash.hash_hex, expires});
      out.push_back(std::move(a));
    }
    auto applied = agent.journal().apply_pull(pull);
    EXPECT_TRUE(applied.has_value()) << applied.error().describe();
    return out;
  }

  std::optional<Parcel> parcel(Agent& agent, const std::string& parcel_id) {
    auto state = agent.journal().box_state();
    EXPECT_TRUE(state.has_value());
    for (const auto& p : state->parcels) {
      if (p.parcel_id == parcel_id) return p;
    }
    return std::nullopt;
  }

  std::vector<Submission> submissions(Agent& agent) {
    auto state = agent.journal().box_state();
    EXPECT_TRUE(state.has_value());
    return state ? state->submissions : std::vector<Submission>{};
  }

  // What the flow under test needs before the fault: parcels assigned (and one loaded, for a
  // pickup), documents filed (for an emptying). Returns the compartment the flow will use first.
  int prepare(Agent& agent, Flow flow) {
    switch (flow) {
      case Flow::filing:
        return target_dropoff_;
      case Flow::load:
        parcels_ = assign_parcels(agent);
        return target_pickup_;
      case Flow::pickup: {
        parcels_ = assign_parcels(agent);
        auto loaded = agent.load(parcels_[0].parcel_id);
        EXPECT_FALSE(loaded.refused.has_value()) << loaded.refused->message;
        EXPECT_EQ(parcel(agent, parcels_[0].parcel_id)->compartment, target_pickup_);
        return target_pickup_;
      }
      case Flow::empty: {
        for (int expected : {target_dropoff_, other_dropoff_}) {
          auto filed = agent.file("request", std::nullopt);
          EXPECT_FALSE(filed.refused.has_value()) << filed.refused->message;
          EXPECT_FALSE(filed.events.empty());
          if (filed.events.empty()) continue;
          EXPECT_EQ(testing::first_of<wire::SubmissionFiled>(filed.events).compartment, expected);
        }
        EXPECT_EQ(submissions(agent).size(), 2u);
        return target_dropoff_;
      }
    }
    return 0;
  }

  FlowResult run_flow(Agent& agent, Flow flow) {
    switch (flow) {
      case Flow::filing:
        return agent.file("request", std::nullopt);
      case Flow::pickup:
        return agent.collect(parcels_[0].code.str());
      case Flow::load:
        return agent.load(parcels_[0].parcel_id);
      case Flow::empty:
        return agent.empty();
    }
    return {};
  }

  std::string tracking_code_in(Agent& agent, int compartment) {
    for (const auto& s : submissions(agent)) {
      if (s.compartment == compartment) return s.tracking_code;
    }
    return "";
  }

  testing::TempDir dir_;
  testing::SeededRandom random_{21};
  AgentConfig config_;
  testing::SimLockers cabinet_;
  sim::ReceiptFilePrinter printer_;
  sim::LogScreen screen_;
  int target_dropoff_ = 1;
  int other_dropoff_ = 2;
  int target_pickup_ = 5;
  int other_pickup_ = 6;
  std::vector<Assigned> parcels_;
};

// ---- the door did not open (as far as the box can tell) -------------------------------------

TEST_P(AgentFaults, TheCitizenIsToldTheFlowEndsKnownNothingIsLostAndTheJournalSaysWhatHappened) {
  const Row row = GetParam();
  auto agent = open_agent();
  const int target = prepare(*agent, row.flow);
  ASSERT_FALSE(HasFailure()) << "preparing the " << to_string(row.flow);
  const int unlocks_before = unlocks(target);
  const std::string target_code = tracking_code_in(*agent, target);
  const std::string other_code = tracking_code_in(*agent, other_dropoff_);

  switch (row.fault) {
    case Fault::jammed_lock:
    case Fault::sensor_stuck_closed: {
      cabinet_.command(row.fault == Fault::jammed_lock
                           ? "jam " + std::to_string(target) + " on"
                           : "stuck " + std::to_string(target) + " closed");
      auto r = run_flow(*agent, row.flow);
      EXPECT_FALSE(r.error.has_value()) << r.error->describe();

      // Told: the door did not open, which one, and where to go.
      ASSERT_TRUE(r.refused.has_value());
      EXPECT_EQ(r.refused->reason, RefuseReason::door_not_opened);
      EXPECT_NE(r.refused->message.find("Compartment " + std::to_string(target)), std::string::npos)
          << r.refused->message;
      // One unlock sent, never a second.
      EXPECT_EQ(unlocks(target), unlocks_before + 1);

      // The journal: an alarm naming the compartment, in the flow's events and on disk.
      auto in_result = alarms(r.events, "door_not_opened");
      ASSERT_EQ(in_result.size(), 1u);
      EXPECT_EQ(in_result[0].compartment, target);
      auto journaled = alarms(events(*agent), "door_not_opened");
      ASSERT_EQ(journaled.size(), 1u);
      EXPECT_EQ(journaled[0].compartment, target);
      EXPECT_NE(journaled[0].detail.find(std::string(to_string(row.flow))), std::string::npos)
          << journaled[0].detail;

      // Known state: the intent is left unfinished (the lock may have released), so the
      // compartment is out of service until the door moves or a technician checks it.
      auto unfinished = agent->journal().unfinished_intents();
      ASSERT_TRUE(unfinished.has_value());
      ASSERT_EQ(unfinished->size(), 1u);
      const Intent& stuck = (*unfinished)[0];
      EXPECT_EQ(stuck.compartment, target);
      EXPECT_EQ(stuck.flow, row.flow);
      EXPECT_EQ(stuck.stage, IntentStage::unlock_requested);

      switch (row.flow) {
        case Flow::filing: {
          // Nothing lost: the intent holds the tracking code and provisional number, for the
          // late door (the watch finishes it as interrupted) or the technician.
          EXPECT_TRUE(TrackingCode::parse(stuck.subject).has_value()) << stuck.subject;
          EXPECT_FALSE(stuck.provisional_number.empty());
          EXPECT_FALSE(r.receipt_for.has_value());  // no receipt for a filing that did not happen
          EXPECT_TRUE(submissions(*agent).empty());
          EXPECT_EQ(agent->status()->free_dropoff, 1);
          auto next = agent->file("request", std::nullopt);
          ASSERT_FALSE(next.refused.has_value()) << next.refused->message;
          ASSERT_FALSE(next.events.empty());
          EXPECT_EQ(testing::first_of<wire::SubmissionFiled>(next.events).compartment,
                    other_dropoff_);
          break;
        }
        case Flow::load: {
          // The parcel is not taken for loaded, and cannot be loaded twice while unsure.
          EXPECT_FALSE(parcel(*agent, parcels_[0].parcel_id)->compartment.has_value());
          EXPECT_EQ(stuck.subject, parcels_[0].parcel_id);
          EXPECT_EQ(agent->status()->free_pickup, 1);
          auto again = agent->load(parcels_[0].parcel_id);
          ASSERT_TRUE(again.refused.has_value());
          EXPECT_EQ(again.refused->reason, RefuseReason::already_loaded);
          EXPECT_FALSE(again.refused->message.empty());
          auto next = agent->load(parcels_[1].parcel_id);
          ASSERT_FALSE(next.refused.has_value()) << next.refused->message;
          ASSERT_FALSE(next.events.empty());
          EXPECT_EQ(testing::first_of<wire::ParcelLoaded>(next.events).compartment, other_pickup_);
          break;
        }
        case Flow::pickup: {
          // The parcel stays where it is, not collected; the code is not spent.
          auto p = parcel(*agent, parcels_[0].parcel_id);
          EXPECT_FALSE(p->collected);
          EXPECT_EQ(p->compartment, target);
          auto again = agent->collect(parcels_[0].code.str());
          ASSERT_TRUE(again.refused.has_value());
          EXPECT_EQ(again.refused->reason, RefuseReason::door_not_opened);
          EXPECT_NE(again.refused->message.find("out of service"), std::string::npos)
              << again.refused->message;
          EXPECT_TRUE(again.events.empty());
          break;
        }
        case Flow::empty: {
          // The clerk goes on with the other compartment; the documents in this one are kept.
          const wire::DropoffEmptied* emptied = nullptr;
          for (const auto& e : r.events) {
            if (const auto* d = std::get_if<wire::DropoffEmptied>(&e)) emptied = d;
          }
          ASSERT_NE(emptied, nullptr);
          EXPECT_EQ(emptied->compartment, other_dropoff_);
          EXPECT_EQ(emptied->tracking_codes, std::vector<std::string>{other_code});
          auto left = submissions(*agent);
          ASSERT_EQ(left.size(), 1u);
          EXPECT_EQ(left[0].compartment, target);
          EXPECT_EQ(left[0].tracking_code, target_code);
          EXPECT_EQ(stuck.tracking_codes, std::vector<std::string>{target_code});
          EXPECT_EQ(agent->status()->free_dropoff, 1);
          // A second emptying leaves the out-of-service compartment alone.
          auto again = agent->empty();
          EXPECT_FALSE(again.refused.has_value());
          EXPECT_TRUE(again.events.empty());
          EXPECT_EQ(submissions(*agent).size(), 1u);
          break;
        }
      }
      // Whatever came next never unlocked the compartment again.
      EXPECT_EQ(unlocks(target), unlocks_before + 1);
      EXPECT_EQ(agent->journal().unfinished_intents()->size(), 1u);
      break;
    }

    case Fault::board_silent: {
      cabinet_.command("board " + std::to_string(target) + " silent");
      ASSERT_TRUE(agent->sweep().has_value());
      auto swept = agent->sweep();
      ASSERT_TRUE(swept.has_value());
      // The journal: one board_fault alarm naming the board's compartments.
      auto faults = alarms(events(*agent), "board_fault");
      ASSERT_EQ(faults.size(), 1u);
      EXPECT_NE(faults[0].detail.find(std::to_string(target)), std::string::npos)
          << faults[0].detail;
      auto status = agent->status();
      ASSERT_TRUE(status.has_value());
      EXPECT_TRUE(std::ranges::find(status->faulty, target) != status->faulty.end());

      auto r = run_flow(*agent, row.flow);
      EXPECT_FALSE(r.error.has_value()) << r.error->describe();
      switch (row.flow) {
        case Flow::filing: {
          ASSERT_FALSE(r.refused.has_value()) << r.refused->message;
          ASSERT_FALSE(r.events.empty());
          EXPECT_EQ(testing::first_of<wire::SubmissionFiled>(r.events).compartment, other_dropoff_);
          EXPECT_EQ(r.receipt_for.has_value(), true);
          break;
        }
        case Flow::load: {
          ASSERT_FALSE(r.refused.has_value()) << r.refused->message;
          ASSERT_FALSE(r.events.empty());
          EXPECT_EQ(testing::first_of<wire::ParcelLoaded>(r.events).compartment, other_pickup_);
          break;
        }
        case Flow::pickup: {
          // The parcel is behind a dead board: told to ask at the counter, nothing moves.
          ASSERT_TRUE(r.refused.has_value());
          EXPECT_EQ(r.refused->reason, RefuseReason::door_not_opened);
          EXPECT_NE(r.refused->message.find("Compartment " + std::to_string(target)),
                    std::string::npos)
              << r.refused->message;
          EXPECT_TRUE(r.events.empty());
          auto p = parcel(*agent, parcels_[0].parcel_id);
          EXPECT_FALSE(p->collected);
          EXPECT_EQ(p->compartment, target);
          break;
        }
        case Flow::empty: {
          EXPECT_FALSE(r.refused.has_value());
          // Only the compartment behind a working board was opened (and journaled so).
          ASSERT_EQ(testing::count_of<wire::DropoffEmptied>(r.events), 1u);
          ASSERT_EQ(testing::count_of<wire::DoorOpened>(r.events), 1u);
          EXPECT_EQ(testing::first_of<wire::DoorOpened>(r.events).compartment, other_dropoff_);
          const auto& emptied = testing::first_of<wire::DropoffEmptied>(r.events);
          EXPECT_EQ(emptied.compartment, other_dropoff_);
          EXPECT_EQ(emptied.tracking_codes, std::vector<std::string>{other_code});
          auto left = submissions(*agent);
          ASSERT_EQ(left.size(), 1u);
          EXPECT_EQ(left[0].tracking_code, target_code);
          break;
        }
      }
      // The faulty compartment was never unlocked, and no flow is left half done.
      EXPECT_EQ(unlocks(target), unlocks_before);
      EXPECT_TRUE(agent->journal().unfinished_intents()->empty());
      EXPECT_TRUE(alarms(events(*agent), "door_not_opened").empty());
      break;
    }

    case Fault::door_held_open: {
      cabinet_.command("hold " + std::to_string(target) + " on");
      std::optional<Expected<std::vector<wire::Alarm>>> swept_while_open;
      std::jthread person([&] {
        // A sweep while the door is open in the flow must not take it for tampering.
        std::this_thread::sleep_for(1s);
        swept_while_open = agent->sweep();
        std::this_thread::sleep_for(500ms);
        cabinet_.command("hold " + std::to_string(target) + " off");
      });
      const auto started = std::chrono::steady_clock::now();
      auto r = run_flow(*agent, row.flow);
      const auto took = std::chrono::steady_clock::now() - started;
      person.join();
      EXPECT_TRUE(took >= 1400ms) << "the flow did not wait for the door to be shut";
      EXPECT_FALSE(r.error.has_value()) << r.error->describe();
      EXPECT_FALSE(r.refused.has_value()) << r.refused->message;
      ASSERT_TRUE(swept_while_open.has_value());
      ASSERT_TRUE(swept_while_open->has_value());
      EXPECT_TRUE((*swept_while_open)->empty())
          << (*swept_while_open)->front().what << ": " << (*swept_while_open)->front().detail;
      EXPECT_EQ(unlocks(target), unlocks_before + 1);
      EXPECT_TRUE(agent->journal().unfinished_intents()->empty());
      EXPECT_TRUE(agent->faulty_compartments().empty());
      auto recorded = events(*agent);
      EXPECT_TRUE(alarms(recorded, "door_not_opened").empty());
      EXPECT_TRUE(alarms(recorded, "tamper").empty());
      switch (row.flow) {
        case Flow::filing: {
          ASSERT_FALSE(r.events.empty());
          const auto& filed = testing::first_of<wire::SubmissionFiled>(r.events);
          EXPECT_EQ(filed.compartment, target);
          EXPECT_FALSE(filed.interrupted);
          EXPECT_EQ(r.receipt_for, filed.tracking_code.str());
          EXPECT_EQ(submissions(*agent).size(), 1u);
          EXPECT_EQ(agent->status()->free_dropoff, 1);
          break;
        }
        case Flow::load: {
          ASSERT_FALSE(r.events.empty());
          EXPECT_EQ(testing::first_of<wire::ParcelLoaded>(r.events).compartment, target);
          EXPECT_EQ(parcel(*agent, parcels_[0].parcel_id)->compartment, target);
          EXPECT_EQ(agent->status()->free_pickup, 1);
          break;
        }
        case Flow::pickup: {
          ASSERT_FALSE(r.events.empty());
          const auto& collected = testing::first_of<wire::ParcelCollected>(r.events);
          EXPECT_EQ(collected.compartment, target);
          EXPECT_FALSE(collected.interrupted);
          EXPECT_TRUE(parcel(*agent, parcels_[0].parcel_id)->collected);
          EXPECT_EQ(agent->status()->free_pickup, 2);
          break;
        }
        case Flow::empty: {
          std::vector<int> emptied;
          for (const auto& e : r.events) {
            if (const auto* d = std::get_if<wire::DropoffEmptied>(&e)) {
              emptied.push_back(d->compartment);
            }
          }
          EXPECT_EQ(emptied, (std::vector<int>{target, other_dropoff_}));
          EXPECT_TRUE(submissions(*agent).empty());
          EXPECT_EQ(agent->status()->free_dropoff, 2);
          break;
        }
      }
      break;
    }
  }
}

std::vector<Row> all_rows() {
  std::vector<Row> rows;
  for (Fault fault : {Fault::jammed_lock, Fault::sensor_stuck_closed, Fault::board_silent,
                      Fault::door_held_open}) {
    for (Flow flow : {Flow::filing, Flow::pickup, Flow::load, Flow::empty}) {
      rows.push_back({fault, flow});
    }
  }
  return rows;
}

INSTANTIATE_TEST_SUITE_P(EveryFaultInEveryFlow, AgentFaults, ::testing::ValuesIn(all_rows()),
                         row_name);

}  // namespace
}  // namespace civicbox::firmware
