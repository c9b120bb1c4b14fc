#include "tests/e2e/fleet.hpp"
#include "tests/support/ports.hpp"

#include "drivers/lockers/cabinet_profile.hpp"
#include "hardware/sim/cabinet/control_socket.hpp"
#include "hardware/sim/cabinet/sim_cabinet.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace civicbox::e2e {

namespace {

[[noreturn]] void give_up(const std::string& why) {
  ADD_FAILURE() << why;
  throw std::runtime_error(why);
}

std::string toml_path(const std::filesystem::path& p) {
  return "\"" + p.string() + "\"";
}

// Runs a program to its end; fails the test when it does not exit with 0.
void run_to_end(std::vector<std::string> argv) {
  testing::Process p(testing::ProcessOptions{std::move(argv), {}, {}, false});
  auto status = p.wait(30s);
  if (!status || !status->ok()) {
    give_up("civicbox-pki failed (" + (status ? status->describe() : "timed out") +
            "): " + p.stderr_text());
  }
}

}  // namespace

std::string field(const std::string& line, const std::string& key) {
  const std::string needle = key + "=";
  std::size_t at = 0;
  for (;;) {
    at = line.find(needle, at);
    if (at == std::string::npos) return "";
    if (at == 0 || line[at - 1] == ' ') break;
    at += needle.size();
  }
  auto start = at + needle.size();
  auto end = line.find(' ', start);
  return line.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string this_year() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  return std::to_string(utc.tm_year + 1900);
}

std::string registration_number(int n) {
  std::ostringstream s;
  s << this_year() << '/' << std::setw(6) << std::setfill('0') << n;
  return s.str();
}

int free_port() {
  return testing::unused_loopback_port();
}

std::string read_text(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---- DevPki ---------------------------------------------------------------------------------

DevPki::DevPki(std::filesystem::path dir) : dir_(std::move(dir)) {
  run_to_end({CIVICBOX_PKI_BIN, "init", dir_.string()});
}

testing::TlsFiles DevPki::box(const std::string& id, bool expired) {
  if (issued_.insert(id).second) {
    std::vector<std::string> argv{CIVICBOX_PKI_BIN, "device", dir_.string(), id};
    if (expired) argv.emplace_back("--expired");
    run_to_end(std::move(argv));
  }
  auto devices = dir_ / "devices";
  return {ca(), devices / (id + ".crt"), devices / (id + ".key")};
}

// ---- ControllerProcess ----------------------------------------------------------------------

ControllerProcess::ControllerProcess(ControllerOptions options)
    : options_(std::move(options)), config_(options_.dir / "controller.toml") {
  std::filesystem::create_directories(options_.dir);
  const DevPki& pki = *options_.pki;
  std::ofstream(config_) << "[server]\nthreads = 2\nidle_timeout_s = 5\n"
                         << "[tls]\ncert = " << toml_path(pki.dir() / "controller.crt")
                         << "\nkey = " << toml_path(pki.dir() / "controller.key")
                         << "\nfleet_ca = " << toml_path(pki.ca()) << "\n"
                         << "[storage]\ndata_dir = " << toml_path(options_.dir / "data") << "\n"
                         << (options_.postgres.empty()
                                 ? std::string()
                                 : "postgres = \"" + options_.postgres + "\"\n")
                         << "[institution]\nid = \"e2e-town\"\nname = \"E2E Town Hall\"\n"
                         << "track_url = \"https://127.0.0.1/v1/track/\"\n"
                         << "document_kinds = [\"request\", \"complaint\", \"other\"]\n"
                         << "[backoffice]\ntoken = \"" << kBackofficeToken << "\"\n"
                         << "[pickup]\nhold_days = " << options_.hold_days << "\n"
                         << "[ca]\ndir = " << toml_path(pki.dir()) << "\n"
                         << options_.extra_toml;
  device_port_ = options_.device_port;
  start();
}

void ControllerProcess::start() {
  testing::ProcessOptions p;
  p.argv = {CIVICBOX_CONTROLLER_BIN,
            "--config",
            config_.string(),
            "--device-listen",
            "127.0.0.1:" + std::to_string(device_port_),
            "--public-listen",
            "127.0.0.1:0",
            "--log-level",
            "debug"};
  process_ = std::make_unique<testing::Process>(std::move(p));
  auto line = process_->read_line(20s);
  // listening device=127.0.0.1:PORT public=127.0.0.1:PORT
  if (!line || line->rfind("listening ", 0) != 0) {
    give_up("the controller did not start: " + line.value_or("(no line)") + "\n" +
            process_->stderr_text());
  }
  auto port_of = [](const std::string& endpoint) {
    return std::stoi(endpoint.substr(endpoint.rfind(':') + 1));
  };
  device_port_ = port_of(field(*line, "device"));
  public_port_ = port_of(field(*line, "public"));
}

void ControllerProcess::kill() {
  process_->kill();
}

void ControllerProcess::stop() {
  process_->signal(SIGTERM);
  auto status = process_->wait(20s);
  EXPECT_TRUE(status && status->ok()) << "the controller did not stop cleanly on SIGTERM: "
                                      << (status ? status->describe() : "still running") << "\n"
                                      << process_->stderr_text();
}

void ControllerProcess::restart() {
  if (process_->running()) stop();
  process_.reset();
  start();
}

std::string ControllerProcess::device_url() const {
  return "https://127.0.0.1:" + std::to_string(device_port_);
}

testing::Reply ControllerProcess::track(const std::string& code) const {
  return testing::https("GET",
                        "https://127.0.0.1:" + std::to_string(public_port_) + "/v1/track/" + code,
                        options_.pki->public_client());
}

testing::Reply ControllerProcess::backoffice(const std::string& method, const std::string& path,
                                             const std::string& body) const {
  return testing::https(method, "https://127.0.0.1:" + std::to_string(public_port_) + path,
                        options_.pki->public_client(), body, "application/json",
                        {std::string("Authorization: Bearer ") + kBackofficeToken});
}

Json ControllerProcess::issue_parcel(const std::string& box, const std::string& reference,
                                     std::optional<int> hold_days) const {
  Json body{{"box", box}, {"reference", reference}};
  if (hold_days) body["hold_days"] = *hold_days;
  auto reply = backoffice("POST", "/v1/backoffice/parcels", body.dump());
  if (!reply.ok || reply.status != 201) {
    give_up("issuing a parcel for " + box + ": " + std::to_string(reply.status) + " " + reply.body +
            reply.error);
  }
  return Json::parse(reply.body);
}

Json ControllerProcess::submissions(const std::string& query) const {
  auto reply = backoffice("GET", "/v1/backoffice/submissions?limit=1000" + query);
  if (!reply.ok || reply.status != 200) {
    give_up("listing submissions: " + std::to_string(reply.status) + " " + reply.body +
            reply.error);
  }
  return Json::parse(reply.body).at("submissions");
}

Json ControllerProcess::parcels(const std::string& box) const {
  auto reply = backoffice("GET", "/v1/backoffice/parcels?box=" + box);
  if (!reply.ok || reply.status != 200) {
    give_up("listing parcels: " + std::to_string(reply.status) + " " + reply.body + reply.error);
  }
  return Json::parse(reply.body).at("parcels");
}

Json ControllerProcess::parcel(const std::string& box, const std::string& parcel_id) const {
  for (const auto& p : parcels(box)) {
    if (p.at("parcel_id") == parcel_id) return p;
  }
  return nullptr;
}

// ---- agent ----------------------------------------------------------------------------------

namespace {
std::map<std::filesystem::path, std::unique_ptr<CabinetProcess>>& cabinets() {
  static std::map<std::filesystem::path, std::unique_ptr<CabinetProcess>> running;
  return running;
}
}  // namespace

CabinetProcess::CabinetProcess(const std::filesystem::path& dir, const std::vector<int>& dropoff,
                               const std::vector<int>& pickup)
    : dir_(dir) {
  std::filesystem::create_directories(dir);
  auto source = dir / "profile.toml";
  std::ofstream(source) << lockers::to_toml(sim::simple_profile(dropoff, pickup));
  testing::ProcessOptions p;
  p.argv = {CIVICBOX_SIM_CABINET_BIN, "run",   "--profile",
            source.string(),          "--dir", (dir / "sim").string(),
            "--door-closes-ms",       "100"};
  p.env["CIVICBOX_LOG"] = std::nullopt;
  process_ = std::make_unique<testing::Process>(std::move(p));
  auto ready = process_->read_line(20s);
  if (!ready || ready->rfind("ready ", 0) != 0) {
    give_up("civicbox-sim-cabinet did not start: " + process_->stderr_text());
  }
  std::istringstream words(ready->substr(6));
  std::string profile, socket;
  words >> profile >> socket;
  profile_ = profile;
  socket_ = socket;
}

std::string CabinetProcess::last_receipt() const {
  std::filesystem::path newest;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "sim" / "receipts", ec)) {
    if (e.path().extension() == ".txt" && e.path() > newest) newest = e.path();
  }
  return newest.empty() ? "" : read_text(newest);
}

std::string CabinetProcess::send(const std::string& command) {
  auto answer = sim::send_control_command(socket_, command);
  return answer ? *answer : "error " + answer.error().message;
}

CabinetProcess& cabinet_of(const std::filesystem::path& dir) {
  auto it = cabinets().find(dir);
  if (it == cabinets().end()) give_up("no simulated cabinet for " + dir.string());
  return *it->second;
}

std::filesystem::path write_agent_config(const AgentOptions& o) {
  std::filesystem::create_directories(o.dir);
  auto& cabinet = cabinets()[o.dir];
  if (!cabinet) cabinet = std::make_unique<CabinetProcess>(o.dir / "cabinet", o.dropoff, o.pickup);
  auto file = o.dir / "agent.toml";
  std::ofstream out(file);
  if (o.identity_dir.empty()) {
    out << "[box]\nid = \"" << o.box_id << "\"\ndata_dir = \"data\"\n"
        << "[controller]\nurl = \"" << o.controller_url << "\"\n"
        << "ca = " << toml_path(o.tls.ca) << "\ncert = " << toml_path(o.tls.cert)
        << "\nkey = " << toml_path(o.tls.key) << "\n";
  } else {
    out << "[box]\nidentity = " << toml_path(o.identity_dir) << "\ndata_dir = \"data\"\n"
        << "[controller]\n";
  }
  out << "timeout_ms = " << o.timeout_ms << "\n"
      << "[sync]\ninterval_s = 3600\nbatch = " << o.batch << "\n"
      << "[cabinet]\nprofile = " << toml_path(cabinet->profile()) << "\nsweep_ms = 200\n";
  return file;
}

AgentSession::AgentSession(const std::filesystem::path& config, bool hold_doors,
                           std::vector<std::string> extra_args) {
  testing::ProcessOptions p;
  p.argv = {CIVICBOX_AGENT_BIN, "--config", config.string(), "--script", "-",
            "--log-level",      "info"};
  p.argv.insert(p.argv.end(), extra_args.begin(), extra_args.end());
  auto held = cabinet_of(config.parent_path()).send(hold_doors ? "hold all on" : "hold all off");
  if (held != "ok") give_up("holding the doors: " + held);
  p.env["CIVICBOX_LOG"] = std::nullopt;
  p.stdin_pipe = true;
  process_ = std::make_unique<testing::Process>(std::move(p));
}

std::string AgentSession::act(const std::string& action, std::chrono::milliseconds timeout) {
  send(action);
  auto line = process_->read_line(timeout);
  if (!line) {
    ADD_FAILURE() << "no answer to '" << action << "' in " << timeout.count() << " ms\nstderr:\n"
                  << process_->stderr_text();
    return "";
  }
  return *line;
}

void AgentSession::send(const std::string& action) {
  process_->write(action + "\n");
}

int AgentSession::wait_door_opened(std::chrono::milliseconds timeout, std::size_t from,
                                   std::size_t* index) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  static const std::regex door("door ([0-9]+) opened");
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return 0;
    std::size_t at = 0;
    auto line = process_->wait_for_stderr(" opened", left, from, &at);
    if (!line) return 0;
    std::smatch m;
    if (std::regex_search(*line, m, door)) {
      if (index != nullptr) *index = at;
      return std::stoi(m[1].str());
    }
    from = at + 1;
  }
}

std::vector<std::string> AgentSession::finish(std::chrono::milliseconds timeout) {
  process_->close_stdin();
  auto lines = process_->read_remaining_lines(timeout);
  auto status = process_->wait(timeout);
  EXPECT_TRUE(status && status->ok())
      << "the agent did not end cleanly: " << (status ? status->describe() : "still running")
      << "\n"
      << process_->stderr_text();
  return lines;
}

// ---- E2eTest --------------------------------------------------------------------------------

testing::TempDir* E2eTest::suite_dir_ = nullptr;
DevPki* E2eTest::pki_ = nullptr;

void E2eTest::SetUpTestSuite() {
  suite_dir_ = new testing::TempDir();
  pki_ = new DevPki(suite_dir_->path() / "pki");
}

void E2eTest::TearDown() {
  cabinets().clear();  // each cabinet process is SIGKILLed with its Process
}

void E2eTest::TearDownTestSuite() {
  delete pki_;
  pki_ = nullptr;
  delete suite_dir_;
  suite_dir_ = nullptr;
}

void expect_registry_one_to(const ControllerProcess& controller, int n) {
  auto submissions = controller.submissions();
  ASSERT_EQ(submissions.size(), static_cast<std::size_t>(n)) << submissions.dump(1);
  std::set<std::string> codes;
  for (std::size_t i = 0; i < submissions.size(); ++i) {
    EXPECT_EQ(submissions[i].at("registration_number"),
              registration_number(static_cast<int>(i) + 1))
        << "position " << i;
    codes.insert(submissions[i].at("tracking_code").get<std::string>());
  }
  EXPECT_EQ(codes.size(), static_cast<std::size_t>(n)) << "a tracking code twice";
}

std::unique_ptr<ControllerProcess> E2eTest::start_controller(int device_port, int hold_days) {
  return std::make_unique<ControllerProcess>(
      ControllerOptions{dir_.path() / "controller", pki_, device_port, hold_days, ""});
}

AgentOptions E2eTest::box(const std::string& id, const std::string& controller_url) {
  AgentOptions o;
  o.box_id = id;
  o.dir = dir_.path() / id;
  o.controller_url = controller_url;
  o.tls = pki_->box(id);
  return o;
}

}  // namespace civicbox::e2e
