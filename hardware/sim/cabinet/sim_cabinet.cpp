#include "hardware/sim/cabinet/sim_cabinet.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "common/atomic_file.hpp"
#include "hardware/sim/camera/camera_sim.hpp"
#include "hardware/sim/camera/image_sequence_writer.hpp"

namespace civicbox::sim {

namespace {

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::istringstream in{std::string(line)};
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::optional<int> number(const std::string& text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string error(const std::string& why) {
  return "error " + why;
}

}  // namespace

lockers::CabinetProfile simple_profile(const std::vector<int>& dropoff,
                                       const std::vector<int>& pickup,
                                       lockers::BoardFamily family) {
  lockers::CabinetProfile profile;
  lockers::BusProfile bus;
  bus.device = "/dev/ttyUSB0";
  bus.family = family;
  bus.reply_timeout = std::chrono::milliseconds(1000);  // a loaded test machine is slow
  profile.buses.push_back(bus);
  std::vector<std::pair<int, lockers::CompartmentRole>> numbers;
  for (int n : dropoff) numbers.emplace_back(n, lockers::CompartmentRole::dropoff);
  for (int n : pickup) numbers.emplace_back(n, lockers::CompartmentRole::pickup);
  std::sort(numbers.begin(), numbers.end());
  // Sixteen locks a board, boards one after another (Kerong from id 0, 0x8A from id 1).
  const int first_board = family == lockers::BoardFamily::kerong ? 0 : 1;
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    lockers::CompartmentProfile c;
    c.number = numbers[i].first;
    c.role = numbers[i].second;
    c.board = first_board + static_cast<int>(i / 16);
    c.lock = static_cast<int>(i % 16) + 1;
    c.row = c.board - first_board + 1;
    c.column = c.lock;
    profile.compartments.push_back(c);
  }
  // A printer whose text can be read back (code page, not raster) and a serial scanner.
  profile.printer =
      lockers::PrinterProfile{lockers::PrinterLink::tcp, "127.0.0.1:9100", 80, true, false};
  profile.scanner = lockers::ScannerProfile{lockers::ScannerKind::serial, "/dev/ttyACM0", 9600};
  return profile;
}

Expected<std::unique_ptr<SimCabinet>> SimCabinet::start(const lockers::CabinetProfile& profile,
                                                        SimCabinetOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec)
    return make_error(ErrorCode::io, "creating " + options.dir.string() + ": " + ec.message());
  std::unique_ptr<SimCabinet> cabinet(new SimCabinet());
  cabinet->profile_ = profile;
  for (std::size_t i = 0; i < profile.buses.size(); ++i) {
    const auto& bus = profile.buses[i];
    LockBoardSimOptions o;
    o.family = bus.family;
    o.set_bit_open = bus.set_lock_bit == lockers::SetBitMeans::open;
    o.door_closes_after = options.door_closes_after;
    o.unlock_reply_delay = options.unlock_reply_delay;
    o.link = (std::filesystem::absolute(options.dir) / ("bus" + std::to_string(i))).string();
    std::set<int> boards;
    int highest_lock = 8;
    for (const auto& c : profile.compartments) {
      if (c.bus != static_cast<int>(i)) continue;
      boards.insert(c.board);
      highest_lock = std::max(highest_lock, c.lock);
    }
    if (boards.empty()) boards.insert(bus.family == lockers::BoardFamily::kerong ? 0 : 1);
    o.boards.assign(boards.begin(), boards.end());
    o.locks_per_board =
        bus.family == lockers::BoardFamily::kerong ? 16 : (highest_lock + 7) / 8 * 8;
    auto sim = LockBoardSim::start(o);
    if (!sim) return sim.error().context("simulating bus " + std::to_string(i));
    cabinet->profile_.buses[i].device = o.link;
    cabinet->buses_.push_back(std::move(*sim));
  }
  if (options.hold_doors) {
    for (const auto& c : profile.compartments) {
      cabinet->buses_[static_cast<std::size_t>(c.bus)]->set_held(c.board, c.lock, true);
    }
  }
  const auto dir = std::filesystem::absolute(options.dir);
  if (profile.printer) {
    PrinterSimOptions po;
    po.dots_across = profile.printer->paper_mm == 58 ? 384 : 576;
    po.output_dir = dir / "receipts";
    po.fonts_dir = options.fonts_dir.empty() ? std::filesystem::path(CIVICBOX_ASSETS_DIR) / "fonts"
                                             : options.fonts_dir;
    std::filesystem::create_directories(po.output_dir, ec);
    CIVICBOX_TRY(cabinet->printer_, PrinterSim::create(po));
    CIVICBOX_TRY(cabinet->printer_front_, PrinterSimTcp::start(*cabinet->printer_));
    auto& p = *cabinet->profile_.printer;
    p.link = lockers::PrinterLink::tcp;
    p.address = "127.0.0.1:" + std::to_string(cabinet->printer_front_->port());
  }
  if (profile.scanner) {
    auto& sc = *cabinet->profile_.scanner;
    if (sc.kind == lockers::ScannerKind::camera) {
      cabinet->camera_dir_ = dir / "camera";
      std::filesystem::create_directories(cabinet->camera_dir_, ec);
      sc.device = frame_pattern(cabinet->camera_dir_);
    } else {
      SerialScannerSimOptions so;
      so.link = (dir / "scanner").string();
      CIVICBOX_TRY(cabinet->serial_scanner_, SerialScannerSim::start(so));
      sc.kind = lockers::ScannerKind::serial;
      sc.device = so.link;
    }
  }
  cabinet->profile_path_ = dir / "cabinet.toml";
  CIVICBOX_CHECK(write_file_atomically(cabinet->profile_path_, to_toml(cabinet->profile_)));
  return cabinet;
}

SimCabinet::~SimCabinet() {
  for (auto& bus : buses_) bus->stop();
}

const lockers::CompartmentProfile* SimCabinet::find(int compartment) const {
  for (const auto& c : profile_.compartments) {
    if (c.number == compartment) return &c;
  }
  return nullptr;
}

bool SimCabinet::door_open(int compartment) const {
  const auto* c = find(compartment);
  return c != nullptr && buses_[static_cast<std::size_t>(c->bus)]->door_open(c->board, c->lock);
}

int SimCabinet::unlocks_received(int compartment) const {
  const auto* c = find(compartment);
  return c == nullptr
             ? 0
             : buses_[static_cast<std::size_t>(c->bus)]->unlocks_received(c->board, c->lock);
}

std::string SimCabinet::command(std::string_view line) {
  const auto w = words(line);
  if (w.empty()) return error("empty command");
  const std::string& verb = w[0];

  if (verb == "paper" || verb == "cover" || verb == "printer" || verb == "receipts") {
    return printer_command(w);
  }
  if (verb == "scan" && w.size() >= 2) {
    const auto at = line.find("scan") + 4;
    std::string text(line.substr(at));
    while (!text.empty() && text.front() == ' ') text.erase(text.begin());
    return scan(text);
  }
  if (verb == "state" && w.size() == 1) {
    std::string out = "ok";
    for (const auto& c : profile_.compartments) {
      out += " " + std::to_string(c.number) + "=" + (door_open(c.number) ? "open" : "closed");
    }
    return out;
  }
  if ((verb == "unplug" || verb == "replug") && w.size() == 2) {
    auto b = number(w[1]);
    if (!b || *b < 0 || *b >= static_cast<int>(buses_.size())) return error("no bus " + w[1]);
    auto& bus = *buses_[static_cast<std::size_t>(*b)];
    if (verb == "unplug") {
      bus.unplug();
      return "ok bus " + w[1] + " unplugged";
    }
    auto back = bus.replug();
    return back ? "ok bus " + w[1] + " plugged in at " + bus.port() : error(back.error().message);
  }
  if (verb == "hold" && w.size() == 3 && w[1] == "all" && (w[2] == "on" || w[2] == "off")) {
    for (const auto& c : profile_.compartments) {
      buses_[static_cast<std::size_t>(c.bus)]->set_held(c.board, c.lock, w[2] == "on");
    }
    return "ok";
  }

  if (w.size() < 2) return error("unknown command: " + std::string(line));
  auto n = number(w[1]);
  const auto* c = n ? find(*n) : nullptr;
  if (c == nullptr) return error("no compartment " + w[1]);
  auto& bus = *buses_[static_cast<std::size_t>(c->bus)];
  const bool on = w.size() == 3 && w[2] == "on";
  const bool off = w.size() == 3 && w[2] == "off";

  if (verb == "open" && w.size() == 2) {
    bus.open_door(c->board, c->lock);
  } else if (verb == "close" && w.size() == 2) {
    bus.close_door(c->board, c->lock);
  } else if (verb == "hold" && (on || off)) {
    bus.set_held(c->board, c->lock, on);
  } else if (verb == "jam" && (on || off)) {
    bus.set_jammed(c->board, c->lock, on);
  } else if (verb == "stuck" && w.size() == 3 &&
             (w[2] == "open" || w[2] == "closed" || w[2] == "off")) {
    bus.set_sensor_stuck(c->board, c->lock,
                         w[2] == "off" ? std::nullopt : std::optional<bool>(w[2] == "open"));
  } else if (verb == "unlocks" && w.size() == 2) {
    return "ok " + std::to_string(unlocks_received(c->number));
  } else if (verb == "board" && w.size() >= 3) {
    BoardFaults faults;
    if (w[2] == "silent" && w.size() == 3) {
      faults.silent = true;
    } else if (w[2] == "badsum" && w.size() == 3) {
      faults.bad_checksum = true;
    } else if (w[2] == "slow" && w.size() == 4 && number(w[3])) {
      faults.answer_delay = std::chrono::milliseconds(*number(w[3]));
    } else if (w[2] == "garbage" && w.size() == 4 && number(w[3]) && *number(w[3]) >= 0) {
      faults.garbage_before_reply = static_cast<std::size_t>(*number(w[3]));
    } else if (!(w[2] == "ok" && w.size() == 3)) {
      return error("usage: board C ok|silent|badsum|slow MS|garbage N");
    }
    bus.set_faults(c->board, faults);
  } else {
    return error("unknown command: " + std::string(line));
  }
  return "ok";
}

std::string SimCabinet::printer_command(const std::vector<std::string>& w) {
  if (!printer_) return error("this cabinet has no printer");
  if (w[0] == "receipts" && w.size() == 1) return "ok " + std::to_string(printer_->receipt_count());
  if (w.size() != 2) return error("usage: paper out|low|ok, cover open|closed, printer ...");
  PrinterFaults f = printer_->faults();
  const std::string& v = w[1];
  if (w[0] == "paper" && (v == "out" || v == "low" || v == "ok")) {
    f.paper_out = v == "out";
    f.paper_near_end = v == "low";
  } else if (w[0] == "cover" && (v == "open" || v == "closed")) {
    f.cover_open = v == "open";
  } else if (w[0] == "printer" && (v == "unplug" || v == "replug" || v == "silent" || v == "ok")) {
    if (v == "unplug") f.unplugged = true;
    if (v == "replug") f.unplugged = false;
    if (v == "silent") f.silent = true;
    if (v == "ok") f = PrinterFaults{};
  } else {
    return error("usage: paper out|low|ok, cover open|closed, printer unplug|replug|silent|ok");
  }
  printer_->set_faults(f);
  return "ok";
}

std::string SimCabinet::scan(const std::string& text) {
  if (serial_scanner_) {
    serial_scanner_->scan(text);
    return serial_scanner_->wait_until_sent(std::chrono::seconds(5)) ? "ok" : error("not sent");
  }
  if (camera_dir_.empty()) return error("this cabinet has no scanner");
  // A person holds the code up: a few frames of it, then of the empty counter. The old film is
  // taken away first (the camera sees it as unplugged for a moment) and the new one written.
  CameraSim camera(static_cast<std::uint64_t>(++shots_));
  ShotConditions conditions;
  conditions.frame_size = {640, 480};
  std::vector<cv::Mat> frames;
  if (text != "-") {
    auto shot = camera.shoot(text, conditions);
    if (!shot) return error(shot.error().message);
    frames = {shot->image, shot->image, shot->image};
  }
  frames.push_back(camera.shoot_empty(conditions).image);
  std::error_code ec;
  bool had_film = false;
  for (const auto& entry : std::filesystem::directory_iterator(camera_dir_, ec)) {
    had_film = std::filesystem::remove(entry.path(), ec) || had_film;
  }
  // Long enough for the camera to notice the old film is gone (it then reopens for the new one).
  if (had_film) std::this_thread::sleep_for(std::chrono::milliseconds(600));
  auto written = write_image_sequence(camera_dir_, frames);
  return written ? "ok" : error(written.error().message);
}

}  // namespace civicbox::sim
