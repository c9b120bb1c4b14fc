// Ten boxes filing at the same time: the town hall's registration numbers stay unique and
// gap-free, 1..200, and every document filed is there once.
#include <map>
#include <set>

#include "tests/e2e/fleet.hpp"

namespace civicbox::e2e {
namespace {

class e2e_many_boxes : public E2eTest {};

std::string canonical(std::string code) {
  std::erase(code, '-');
  return code;
}

TEST_F(e2e_many_boxes, TwoHundredFilingsFromTenBoxesAtOnceGetNumbersOneToTwoHundredWithoutGaps) {
  constexpr int kBoxes = 10;
  constexpr int kFilings = 20;
  auto controller = start_controller();

  std::vector<std::filesystem::path> configs;
  for (int b = 1; b <= kBoxes; ++b) {
    AgentOptions options = box("box-" + std::to_string(100 + b), controller->device_url());
    options.dropoff.clear();
    for (int c = 1; c <= kFilings; ++c) options.dropoff.push_back(c);
    options.pickup = {kFilings + 1};
    options.timeout_ms = 15000;
    configs.push_back(write_agent_config(options));
  }
  // All ten start at once, each with its whole script.
  std::vector<std::unique_ptr<AgentSession>> agents;
  for (const auto& config : configs) {
    agents.push_back(std::make_unique<AgentSession>(config));
    std::string script;
    for (int i = 0; i < kFilings; ++i) script += "file request\n";
    script += "sync\nstatus\n";
    agents.back()->process().write(script);
  }

  std::set<std::string> filed_codes;
  for (auto& agent : agents) {
    auto lines = agent->finish(60s);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(kFilings + 2))
        << agent->process().stdout_text() << agent->process().stderr_text();
    for (int i = 0; i < kFilings; ++i) {
      ASSERT_EQ(lines[i].rfind("filed ", 0), 0u) << lines[i];
      filed_codes.insert(canonical(field(lines[i], "tracking")));
    }
    EXPECT_EQ(lines[kFilings].rfind("synced ", 0), 0u) << lines[kFilings];
    EXPECT_EQ(field(lines[kFilings], "pending"), "0") << lines[kFilings];
    EXPECT_EQ(field(lines[kFilings + 1], "pending"), "0") << lines[kFilings + 1];
  }
  ASSERT_EQ(filed_codes.size(), static_cast<std::size_t>(kBoxes * kFilings));

  auto submissions = controller->submissions();
  ASSERT_EQ(submissions.size(), static_cast<std::size_t>(kBoxes * kFilings));
  std::set<std::string> numbers;
  std::set<std::string> codes;
  std::map<std::string, int> per_box;
  for (std::size_t i = 0; i < submissions.size(); ++i) {
    const auto& s = submissions[i];
    EXPECT_EQ(s.at("registration_number"), registration_number(static_cast<int>(i) + 1));
    numbers.insert(s.at("registration_number").get<std::string>());
    codes.insert(canonical(s.at("tracking_code")));
    per_box[s.at("box")] += 1;
  }
  EXPECT_EQ(numbers.size(), static_cast<std::size_t>(kBoxes * kFilings));
  EXPECT_EQ(codes, filed_codes);
  EXPECT_EQ(per_box.size(), static_cast<std::size_t>(kBoxes));
  for (const auto& [id, count] : per_box) EXPECT_EQ(count, kFilings) << id;
}

}  // namespace
}  // namespace civicbox::e2e
