// Fuzz target: a printer's answer to DLE EOT. The first byte picks the query (1, 2 or 4), the
// rest is the reply. A reply that parses is one byte, and the state it says rebuilds to a byte
// that parses to the same state.
#include <cstddef>
#include <cstdint>
#include <span>

#include "drivers/printer/escpos/status.hpp"
#include "tests/fuzz/round_trip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace civicbox::escpos;
  using civicbox::fuzz::require;
  if (size == 0) return 0;
  static constexpr StatusQuery kQueries[] = {StatusQuery::printer, StatusQuery::offline_cause,
                                             StatusQuery::paper};
  const StatusQuery query = kQueries[data[0] % 3];
  const std::span<const std::uint8_t> reply(data + 1, size - 1);
  const auto text = civicbox::fuzz::as_text(data, size);
  auto state = parse_status_reply(query, reply);
  if (!state) return 0;
  require(reply.size() == 1, "a status reply that parsed is not one byte", text);
  const std::uint8_t again[] = {status_reply_byte(query, *state)};
  auto back = parse_status_reply(query, again);
  require(back.has_value() && *back == *state, "a status reply does not rebuild", text);
  (void)summarize(*state);
  return 0;
}
