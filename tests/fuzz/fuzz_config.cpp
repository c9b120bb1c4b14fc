// Fuzz target: the configuration files a technician edits by hand (the controller's and the
// box's TOML). Whatever the bytes, the parsers answer a value or an error that says something.
#include <cstddef>
#include <cstdint>

#include "controller/config.hpp"
#include "firmware/config.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox;
  auto input = fuzz::as_text(data, size);
  auto controller = controller::parse_config(input, "/nonexistent");
  if (!controller)
    fuzz::require(!controller.error().message.empty(), "empty controller error", input);
  auto agent = firmware::parse_agent_config(input, "/nonexistent");
  if (!agent) fuzz::require(!agent.error().message.empty(), "empty agent error", input);
  return 0;
}
