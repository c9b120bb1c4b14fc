#include "drivers/lockers/cabinet_profile.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "common/toml_reader.hpp"

namespace civicbox::lockers {
namespace {

using config::error_at;
using config::TableReader;

// The key must be present in `table`; the error points at the table's header line.
Expected<void> required(const toml::table& table, const TableReader& reader,
                        std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (reader.node(key) == nullptr) {
      return error_at(ErrorCode::missing_field, reader.name(key), table, "is required");
    }
  }
  return {};
}

// Reads a string key that must be one of `choices`; returns the index of the choice.
Expected<std::size_t> choice(TableReader& reader, const char* key,
                             std::initializer_list<const char*> choices) {
  std::string text;
  CIVICBOX_CHECK(reader.string(key, text));
  std::size_t index = 0;
  std::string list;
  for (const char* c : choices) {
    if (text == c) return index;
    ++index;
    list += std::string(list.empty() ? "" : ", ") + "\"" + c + "\"";
  }
  return error_at(ErrorCode::invalid_argument, reader.name(key), *reader.node(key),
                  "must be one of " + list);
}

// The top-level key `name` as a list of tables (absent: empty list).
Expected<const toml::array*> tables(const toml::table& root, const char* name) {
  const toml::node* node = root.get(name);
  if (node == nullptr) return static_cast<const toml::array*>(nullptr);
  const toml::array* array = node->as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return error_at(ErrorCode::wrong_type, name, *node,
                    std::string("must be a list of tables, written [[") + name + "]]");
  }
  return array;
}

Expected<BusProfile> read_bus(const toml::table& table, std::string prefix) {
  TableReader reader(table, std::move(prefix));
  CIVICBOX_CHECK(required(table, reader, {"device", "family", "set_lock_bit"}));
  BusProfile bus;
  CIVICBOX_CHECK(reader.string("device", bus.device));
  if (bus.device.empty()) {
    return error_at(ErrorCode::invalid_argument, reader.name("device"), *reader.node("device"),
                    "must not be empty");
  }
  CIVICBOX_TRY(auto family, choice(reader, "family", {"kerong", "xor8a"}));
  bus.family = family == 0 ? BoardFamily::kerong : BoardFamily::xor8a;
  CIVICBOX_TRY(auto bit, choice(reader, "set_lock_bit", {"open", "closed"}));
  bus.set_lock_bit = bit == 0 ? SetBitMeans::open : SetBitMeans::closed;
  std::int64_t timeout = bus.reply_timeout.count();
  CIVICBOX_CHECK(reader.integer("reply_timeout_ms", 50, 10000, timeout));
  bus.reply_timeout = std::chrono::milliseconds(timeout);
  CIVICBOX_CHECK(reader.finish());
  return bus;
}

Expected<CompartmentProfile> read_compartment(const toml::table& table, std::string prefix,
                                              const std::vector<BusProfile>& buses) {
  TableReader reader(table, std::move(prefix));
  CIVICBOX_CHECK(
      required(table, reader, {"number", "bus", "board", "lock", "size", "row", "column", "role"}));
  CompartmentProfile c;
  CIVICBOX_CHECK(reader.integer("number", 1, 9999, c.number));
  std::int64_t bus = 0;
  CIVICBOX_CHECK(reader.integer("bus", 0, 1000, bus));
  if (bus >= static_cast<std::int64_t>(buses.size())) {
    return error_at(ErrorCode::invalid_argument, reader.name("bus"), *reader.node("bus"),
                    "there is no bus " + std::to_string(bus) + " (the profile has " +
                        std::to_string(buses.size()) + " [[bus]], numbered from 0)");
  }
  c.bus = static_cast<int>(bus);
  const bool kerong = buses[static_cast<std::size_t>(bus)].family == BoardFamily::kerong;
  CIVICBOX_CHECK(reader.integer("board", kerong ? 0 : 1, kerong ? 9 : 31, c.board));
  CIVICBOX_CHECK(reader.integer("lock", 1, kerong ? 16 : 32, c.lock));
  CIVICBOX_TRY(auto size, choice(reader, "size", {"S", "M", "L"}));
  c.size = static_cast<CompartmentSize>(size);
  CIVICBOX_CHECK(reader.integer("row", 1, 64, c.row));
  CIVICBOX_CHECK(reader.integer("column", 1, 64, c.column));
  CIVICBOX_TRY(auto role, choice(reader, "role", {"dropoff", "pickup"}));
  c.role = role == 0 ? CompartmentRole::dropoff : CompartmentRole::pickup;
  CIVICBOX_CHECK(reader.finish());
  return c;
}

Expected<PrinterProfile> read_printer(const toml::table& table) {
  TableReader reader(table, "printer");
  CIVICBOX_CHECK(required(table, reader, {"transport"}));
  PrinterProfile printer;
  CIVICBOX_TRY(auto link, choice(reader, "transport", {"usb", "file", "tcp"}));
  printer.link = static_cast<PrinterLink>(link);
  CIVICBOX_CHECK(reader.string("address", printer.address));
  if (printer.link != PrinterLink::usb && printer.address.empty()) {
    const toml::node* at = reader.node("address");
    return at != nullptr ? error_at(ErrorCode::invalid_argument, "printer.address", *at,
                                    "must name the device file or host:port")
                         : error_at(ErrorCode::missing_field, "printer.address", table,
                                    "is required for this transport");
  }
  std::int64_t paper = printer.paper_mm;
  CIVICBOX_CHECK(reader.integer("paper_mm", 58, 80, paper));
  if (paper != 58 && paper != 80) {
    return error_at(ErrorCode::invalid_argument, "printer.paper_mm", *reader.node("paper_mm"),
                    "must be 58 or 80");
  }
  printer.paper_mm = static_cast<int>(paper);
  CIVICBOX_CHECK(reader.boolean("native_qr", printer.native_qr));
  if (reader.node("text") != nullptr) {
    CIVICBOX_TRY(auto text, choice(reader, "text", {"raster", "code_page"}));
    printer.raster_text = text == 0;
  }
  CIVICBOX_CHECK(reader.finish());
  return printer;
}

Expected<ScannerProfile> read_scanner(const toml::table& table) {
  TableReader reader(table, "scanner");
  CIVICBOX_CHECK(required(table, reader, {"kind", "device"}));
  ScannerProfile scanner;
  CIVICBOX_TRY(auto kind, choice(reader, "kind", {"camera", "wedge", "serial"}));
  scanner.kind = static_cast<ScannerKind>(kind);
  CIVICBOX_CHECK(reader.string("device", scanner.device));
  if (scanner.device.empty()) {
    return error_at(ErrorCode::invalid_argument, "scanner.device", *reader.node("device"),
                    "must not be empty");
  }
  std::int64_t baud = scanner.baud;
  CIVICBOX_CHECK(reader.integer("baud", 1200, 115200, baud));
  if (baud != 9600 && baud != 19200 && baud != 38400 && baud != 57600 && baud != 115200) {
    return error_at(ErrorCode::invalid_argument, "scanner.baud", *reader.node("baud"),
                    "must be 9600, 19200, 38400, 57600 or 115200");
  }
  scanner.baud = static_cast<int>(baud);
  CIVICBOX_CHECK(reader.finish());
  return scanner;
}

}  // namespace

Expected<CabinetProfile> parse_cabinet_profile(std::string_view text) {
  CIVICBOX_TRY(auto root, config::parse_document(text));
  for (const auto& [key, node] : root) {
    const auto k = key.str();
    if (k != "bus" && k != "compartment" && k != "printer" && k != "scanner") {
      return error_at(ErrorCode::unknown_field, std::string(k), node,
                      "unknown key; a profile has [[bus]], [[compartment]], [printer] and "
                      "[scanner]");
    }
    if ((k == "printer" || k == "scanner") && !node.is_table()) {
      return error_at(ErrorCode::wrong_type, std::string(k), node,
                      "must be a table, written [" + std::string(k) + "]");
    }
  }
  CIVICBOX_TRY(const toml::array* bus_tables, tables(root, "bus"));
  CIVICBOX_TRY(const toml::array* compartment_tables, tables(root, "compartment"));
  if (bus_tables == nullptr || bus_tables->empty()) {
    return make_error(ErrorCode::missing_field, "the profile has no [[bus]]");
  }
  if (compartment_tables == nullptr || compartment_tables->empty()) {
    return make_error(ErrorCode::missing_field, "the profile has no [[compartment]]");
  }

  CabinetProfile profile;
  if (const auto* printer = root.get_as<toml::table>("printer")) {
    CIVICBOX_TRY(profile.printer, read_printer(*printer));
  }
  if (const auto* scanner = root.get_as<toml::table>("scanner")) {
    CIVICBOX_TRY(profile.scanner, read_scanner(*scanner));
  }
  std::map<std::string, std::size_t> devices;
  for (std::size_t i = 0; i < bus_tables->size(); ++i) {
    const toml::table& table = *(*bus_tables)[i].as_table();
    const std::string prefix = "bus[" + std::to_string(i) + "]";
    CIVICBOX_TRY(auto bus, read_bus(table, prefix));
    auto [at, fresh] = devices.emplace(bus.device, i);
    if (!fresh) {
      return error_at(ErrorCode::conflict, prefix + ".device", *table.get("device"),
                      "'" + bus.device + "' is already bus " + std::to_string(at->second));
    }
    profile.buses.push_back(std::move(bus));
  }

  std::map<int, std::size_t> numbers;
  std::map<std::tuple<int, int, int>, int> locks;
  std::map<std::pair<int, int>, int> places;
  for (std::size_t i = 0; i < compartment_tables->size(); ++i) {
    const toml::table& table = *(*compartment_tables)[i].as_table();
    const std::string prefix = "compartment[" + std::to_string(i) + "]";
    CIVICBOX_TRY(auto c, read_compartment(table, prefix, profile.buses));
    if (!numbers.emplace(c.number, i).second) {
      return error_at(ErrorCode::conflict, prefix + ".number", *table.get("number"),
                      "compartment " + std::to_string(c.number) + " is defined twice");
    }
    auto [lock_at, lock_fresh] = locks.emplace(std::tuple{c.bus, c.board, c.lock}, c.number);
    if (!lock_fresh) {
      return error_at(ErrorCode::conflict, prefix + ".lock", *table.get("lock"),
                      "bus " + std::to_string(c.bus) + " board " + std::to_string(c.board) +
                          " lock " + std::to_string(c.lock) + " already opens compartment " +
                          std::to_string(lock_at->second));
    }
    auto [place_at, place_fresh] = places.emplace(std::pair{c.row, c.column}, c.number);
    if (!place_fresh) {
      return error_at(ErrorCode::conflict, prefix + ".column", *table.get("column"),
                      "row " + std::to_string(c.row) + " column " + std::to_string(c.column) +
                          " is already compartment " + std::to_string(place_at->second));
    }
    profile.compartments.push_back(c);
  }
  std::sort(profile.compartments.begin(), profile.compartments.end(),
            [](const auto& a, const auto& b) { return a.number < b.number; });
  return profile;
}

Expected<CabinetProfile> load_cabinet_profile(const std::filesystem::path& file) {
  CIVICBOX_TRY(auto text, config::read_file(file));
  auto profile = parse_cabinet_profile(text);
  if (!profile) return profile.error().context(file.string());
  return profile;
}

namespace {
// A TOML basic string.
std::string toml_string(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (u < 0x20 || u == 0x7F) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}
}  // namespace

std::string to_toml(const CabinetProfile& profile) {
  std::string out;
  for (const BusProfile& bus : profile.buses) {
    out += "[[bus]]\ndevice = " + toml_string(bus.device) + "\nfamily = \"" +
           (bus.family == BoardFamily::kerong ? "kerong" : "xor8a") + "\"\nset_lock_bit = \"" +
           (bus.set_lock_bit == SetBitMeans::open ? "open" : "closed") +
           "\"\nreply_timeout_ms = " + std::to_string(bus.reply_timeout.count()) + "\n\n";
  }
  for (const CompartmentProfile& c : profile.compartments) {
    out += "[[compartment]]\nnumber = " + std::to_string(c.number) +
           "\nbus = " + std::to_string(c.bus) + "\nboard = " + std::to_string(c.board) +
           "\nlock = " + std::to_string(c.lock) + "\nsize = \"" + std::string(to_string(c.size)) +
           "\"\nrow = " + std::to_string(c.row) + "\ncolumn = " + std::to_string(c.column) +
           "\nrole = \"" + std::string(to_string(c.role)) + "\"\n\n";
  }
  if (profile.printer) {
    const auto& p = *profile.printer;
    static constexpr const char* kLinks[] = {"usb", "file", "tcp"};
    out += "[printer]\ntransport = \"" + std::string(kLinks[static_cast<int>(p.link)]) +
           "\"\naddress = " + toml_string(p.address) +
           "\npaper_mm = " + std::to_string(p.paper_mm) +
           "\nnative_qr = " + (p.native_qr ? "true" : "false") + "\ntext = \"" +
           (p.raster_text ? "raster" : "code_page") + "\"\n\n";
  }
  if (profile.scanner) {
    static constexpr const char* kKinds[] = {"camera", "wedge", "serial"};
    out += "[scanner]\nkind = \"" + std::string(kKinds[static_cast<int>(profile.scanner->kind)]) +
           "\"\ndevice = " + toml_string(profile.scanner->device) +
           "\nbaud = " + std::to_string(profile.scanner->baud) + "\n";
  }
  return out;
}

std::string_view to_string(CompartmentSize size) {
  switch (size) {
    case CompartmentSize::S:
      return "S";
    case CompartmentSize::M:
      return "M";
    case CompartmentSize::L:
      break;
  }
  return "L";
}

std::string_view to_string(CompartmentRole role) {
  return role == CompartmentRole::dropoff ? "dropoff" : "pickup";
}

}  // namespace civicbox::lockers
