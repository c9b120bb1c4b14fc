#include "provisioning/identity_store.hpp"

#include <fcntl.h>
#include <mbedtls/platform_util.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include "common/atomic_file.hpp"
#include "provisioning/certificate_check.hpp"
#include "provisioning/keys.hpp"

namespace civicbox::provisioning {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kKeyFile = "box.key";
constexpr std::string_view kCsrFile = "box.csr";
constexpr std::string_view kCertFile = "box.crt";
constexpr std::string_view kCaFile = "ca.crt";
constexpr std::string_view kRecordFile = "box.json";
constexpr std::string_view kCurrent = "current";
constexpr std::string_view kCurrentTmp = "current.tmp";
constexpr std::string_view kPending = "pending";
constexpr std::string_view kLockFile = "lock";
constexpr std::string_view kGenPrefix = "gen-";
constexpr mode_t kKeyMode = 0600;
constexpr mode_t kPublicMode = 0644;

Error io_error(std::string what, const fs::path& path, int err) {
  return make_error(ErrorCode::io, what + " " + path.string() + ": " +
                                       std::error_code(err, std::generic_category()).message());
}

Error io_error(std::string what, const fs::path& path, const std::error_code& ec) {
  return make_error(ErrorCode::io, what + " " + path.string() + ": " + ec.message());
}

std::string generation_name(int n) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "gen-%06d", n);
  return text.data();
}

std::optional<int> parse_generation_name(std::string_view name) {
  if (!name.starts_with(kGenPrefix) || name.size() != kGenPrefix.size() + 6) return std::nullopt;
  int n = 0;
  for (char c : name.substr(kGenPrefix.size())) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  if (n == 0) return std::nullopt;
  return n;
}

Expected<void> sync_directory(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("opening folder", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return io_error("flushing folder", dir, err);
  return {};
}

bool exists_no_follow(const fs::path& path) {
  struct stat info {};
  return ::lstat(path.c_str(), &info) == 0;
}

Expected<void> remove_tree(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return io_error("removing", path, ec);
  return {};
}

Expected<void> make_private_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return io_error("creating folder", dir, errno);
  }
  if (::chmod(dir.c_str(), 0700) != 0) return io_error("setting the mode of", dir, errno);
  return {};
}

// The generations in `dir`, ascending.
Expected<std::vector<int>> list_generations(const fs::path& dir) {
  std::vector<int> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (auto n = parse_generation_name(it->path().filename().string())) out.push_back(*n);
  }
  if (ec) return io_error("listing", dir, ec);
  std::sort(out.begin(), out.end());
  return out;
}

// The generation `current` names: nullopt when there is no link. A link that names anything
// but a generation is an error naming it (whether its folder exists is checked by the caller).
Expected<std::optional<int>> current_generation(const fs::path& dir) {
  fs::path link = dir / kCurrent;
  if (!exists_no_follow(link)) return std::optional<int>{};
  std::error_code ec;
  fs::path target = fs::read_symlink(link, ec);
  if (ec) return io_error("reading the link", link, ec);
  auto n = parse_generation_name(target.string());
  if (!n) {
    return make_error(ErrorCode::parse,
                      link.string() + " points to '" + target.string() + "', not to a gen-NNNNNN");
  }
  return std::optional<int>{*n};
}

// Loads and checks one generation (or pending/ with a complete answer).
Expected<Identity> load_identity(const fs::path& dir, int generation) {
  Identity id;
  id.dir = dir;
  id.key = dir / kKeyFile;
  id.cert = dir / kCertFile;
  id.ca = dir / kCaFile;
  id.generation = generation;
  fs::path record_file = dir / kRecordFile;

  CIVICBOX_TRY(std::string record_text, read_text_file(record_file));
  auto record = parse_identity_record(record_text);
  if (!record) return record.error().context(record_file.string());
  id.record = std::move(*record);

  CIVICBOX_TRY(std::string cert_pem, read_text_file(id.cert));
  auto facts = read_certificate_facts(cert_pem);
  if (!facts) return facts.error().context(id.cert.string());
  CIVICBOX_TRY(std::string ca_pem, read_text_file(id.ca));
  if (auto ca = read_certificate_facts(ca_pem); !ca) return ca.error().context(id.ca.string());
  if (!exists_no_follow(id.key)) {
    return make_error(ErrorCode::not_found, "no file " + id.key.string());
  }
  CIVICBOX_CHECK(check_key_file_matches(id.key, cert_pem));
  if (auto chained = check_chains_to(cert_pem, ca_pem); !chained) {
    return chained.error().context(id.cert.string() + " against " + id.ca.string());
  }
  if (facts->common_name != id.record.config.device_id) {
    return make_error(ErrorCode::crypto, id.cert.string() + " names CN=" + facts->common_name +
                                             " but " + record_file.string() + " device " +
                                             id.record.config.device_id);
  }
  return id;
}

Expected<std::optional<Identity>> load_generation(const fs::path& dir, int generation) {
  fs::path gen_dir = dir / generation_name(generation);
  if (!fs::is_directory(gen_dir)) {
    return make_error(ErrorCode::not_found, (dir / kCurrent).string() + " points to " +
                                                generation_name(generation) +
                                                ", which does not exist");
  }
  CIVICBOX_TRY(Identity id, load_identity(gen_dir, generation));
  return std::optional<Identity>(std::move(id));
}

// Points `current` at generation n: current.tmp made and renamed over `current`.
Expected<void> swap_current(const fs::path& dir, int n) {
  fs::path tmp = dir / kCurrentTmp;
  fs::path link = dir / kCurrent;
  if (exists_no_follow(tmp) && ::unlink(tmp.c_str()) != 0) return io_error("removing", tmp, errno);
  if (::symlink(generation_name(n).c_str(), tmp.c_str()) != 0) {
    return io_error("creating the link", tmp, errno);
  }
  CIVICBOX_CHECK(sync_directory(dir));
  if (::rename(tmp.c_str(), link.c_str()) != 0) return io_error("renaming over", link, errno);
  return sync_directory(dir);
}

bool has_answer_file(const fs::path& pending) {
  return exists_no_follow(pending / kCertFile) || exists_no_follow(pending / kCaFile) ||
         exists_no_follow(pending / kRecordFile);
}

bool has_whole_answer(const fs::path& pending) {
  return exists_no_follow(pending / kCertFile) && exists_no_follow(pending / kCaFile) &&
         exists_no_follow(pending / kRecordFile);
}

Expected<void> remove_answer(const fs::path& pending) {
  for (auto name : {kRecordFile, kCaFile, kCertFile}) {
    fs::path file = pending / name;
    if (exists_no_follow(file) && ::unlink(file.c_str()) != 0) {
      return io_error("removing", file, errno);
    }
  }
  return sync_directory(pending);
}

// Makes a CSR for the key in `key_file`; the key's text is wiped once used.
Expected<std::string> csr_for_key_file(const fs::path& key_file, std::string_view common_name) {
  CIVICBOX_TRY(std::string key_pem, read_text_file(key_file));
  auto csr = common_name.empty() ? make_unnamed_csr(key_pem) : make_csr(key_pem, common_name);
  mbedtls_platform_zeroize(key_pem.data(), key_pem.size());
  return csr;
}

}  // namespace

Expected<std::optional<Identity>> read_current_identity(const fs::path& dir) {
  CIVICBOX_TRY(auto generation, current_generation(dir));
  if (!generation) return std::optional<Identity>{};
  return load_generation(dir, *generation);
}

Expected<IdentityStore> IdentityStore::open(const fs::path& dir, StepHook hook) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) return io_error("creating folder", dir, ec);
  }
  if (::chmod(dir.c_str(), 0700) != 0) return io_error("setting the mode of", dir, errno);
  fs::path lock = dir / kLockFile;
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return io_error("opening", lock, errno);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return make_error(ErrorCode::state,
                        "another process (the agent or civicbox-provision) is "
                        "changing the identity in " +
                            dir.string() + "; try again when it is done");
    }
    return io_error("locking", lock, err);
  }
  IdentityStore store(dir, fd, std::move(hook));
  if (auto repaired = store.repair(); !repaired) {
    return repaired.error().context("repairing the identity in " + dir.string());
  }
  return store;
}

IdentityStore::IdentityStore(IdentityStore&& other) noexcept
    : dir_(std::move(other.dir_)),
      lock_fd_(std::exchange(other.lock_fd_, -1)),
      hook_(std::move(other.hook_)),
      repairs_(std::move(other.repairs_)) {}

IdentityStore& IdentityStore::operator=(IdentityStore&& other) noexcept {
  if (this != &other) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    dir_ = std::move(other.dir_);
    lock_fd_ = std::exchange(other.lock_fd_, -1);
    hook_ = std::move(other.hook_);
    repairs_ = std::move(other.repairs_);
  }
  return *this;
}

IdentityStore::~IdentityStore() {
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

void IdentityStore::step(std::string_view name) const {
  if (hook_) hook_(name);
}

Expected<void> IdentityStore::repair() {
  fs::path tmp = dir_ / kCurrentTmp;
  if (exists_no_follow(tmp)) {
    if (::unlink(tmp.c_str()) != 0) return io_error("removing", tmp, errno);
    CIVICBOX_CHECK(sync_directory(dir_));
    repairs_.push_back("removed " + tmp.string() + " (a switch that did not happen)");
  }

  fs::path pending = dir_ / kPending;
  if (exists_no_follow(pending)) {
    bool keep = fs::is_directory(pending);
    if (keep) {
      // Temporary files of interrupted atomic writes.
      std::error_code ec;
      std::vector<fs::path> temporaries;
      for (fs::directory_iterator it(pending, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->path().filename().string().starts_with(".")) temporaries.push_back(it->path());
      }
      for (const auto& t : temporaries) fs::remove(t, ec);
      auto csr = read_text_file(pending / kCsrFile);
      keep = csr && check_key_file_matches_csr(pending / kKeyFile, *csr).has_value();
    }
    if (!keep) {
      CIVICBOX_CHECK(remove_tree(pending));
      CIVICBOX_CHECK(sync_directory(dir_));
      repairs_.push_back("removed " + pending.string() + " (no whole key and CSR yet)");
    } else if (has_answer_file(pending) &&
               (!has_whole_answer(pending) || !load_identity(pending, 0).has_value())) {
      CIVICBOX_CHECK(remove_answer(pending));
      repairs_.push_back("removed the unfinished answer in " + pending.string() +
                         " (its key and CSR are kept)");
    } else {
      repairs_.push_back("kept " + pending.string() + ": an enrolment or renewal under way");
    }
  }

  auto current = current_generation(dir_);
  if (!current) return {};  // a damaged link: current() reports it, nothing to guess here
  if (*current && !fs::is_directory(dir_ / generation_name(**current))) return {};
  CIVICBOX_TRY(auto generations, list_generations(dir_));
  int in_use = current->value_or(0);
  bool switched = false;
  for (auto it = generations.rbegin(); it != generations.rend() && *it > in_use; ++it) {
    fs::path gen_dir = dir_ / generation_name(*it);
    if (!switched && load_identity(gen_dir, *it).has_value()) {
      CIVICBOX_CHECK(swap_current(dir_, *it));
      repairs_.push_back("switched " + (dir_ / kCurrent).string() + " to " + generation_name(*it) +
                         " (a switch that was interrupted)");
      in_use = *it;
      switched = true;
      continue;
    }
    CIVICBOX_CHECK(remove_tree(gen_dir));
    CIVICBOX_CHECK(sync_directory(dir_));
    repairs_.push_back("removed " + gen_dir.string() + " (newer than the one in use, damaged)");
  }
  if (in_use > 0) CIVICBOX_CHECK(remove_old_generations(in_use, true));
  return {};
}

Expected<void> IdentityStore::remove_old_generations(int current_generation, bool note) {
  CIVICBOX_TRY(auto generations, list_generations(dir_));
  std::vector<int> older;
  for (int n : generations) {
    if (n < current_generation) older.push_back(n);
  }
  if (older.size() <= 1) return {};
  older.pop_back();  // the previous generation is kept
  for (int n : older) {
    fs::path gen_dir = dir_ / generation_name(n);
    CIVICBOX_CHECK(remove_tree(gen_dir));
    if (note) repairs_.push_back("removed " + gen_dir.string() + " (older than the previous one)");
  }
  return sync_directory(dir_);
}

Expected<std::optional<Identity>> IdentityStore::current() const {
  return read_current_identity(dir_);
}

Expected<std::optional<Identity>> IdentityStore::previous() const {
  CIVICBOX_TRY(auto current, current_generation(dir_));
  if (!current) return std::optional<Identity>{};
  CIVICBOX_TRY(auto generations, list_generations(dir_));
  std::optional<int> before;
  for (int n : generations) {
    if (n < *current) before = n;
  }
  if (!before) return std::optional<Identity>{};
  CIVICBOX_TRY(Identity id, load_identity(dir_ / generation_name(*before), *before));
  return std::optional<Identity>(std::move(id));
}

Expected<PendingRequest> IdentityStore::pending_key(std::string_view common_name) {
  fs::path pending = dir_ / kPending;
  PendingRequest request;
  request.key = pending / kKeyFile;
  request.common_name = std::string(common_name);
  if (fs::is_directory(pending) && exists_no_follow(pending / kKeyFile) &&
      exists_no_follow(pending / kCsrFile)) {
    CIVICBOX_TRY(request.csr_pem, read_text_file(pending / kCsrFile));
    auto asked = csr_requested_name(request.csr_pem);
    if (!asked) return asked.error().context((pending / kCsrFile).string());
    if (*asked != common_name) {
      // Same key, another name: remake the CSR; an answer for the old name is worthless.
      CIVICBOX_CHECK(remove_answer(pending));
      CIVICBOX_TRY(request.csr_pem, csr_for_key_file(request.key, common_name));
      CIVICBOX_CHECK(write_file_atomically(pending / kCsrFile, request.csr_pem, kPublicMode));
      step("csr_written");
    }
    request.resumed = true;
    return request;
  }

  // Nothing whole under way (open() removed any half): start afresh.
  if (exists_no_follow(pending)) CIVICBOX_CHECK(remove_tree(pending));
  CIVICBOX_CHECK(make_private_dir(pending));
  CIVICBOX_CHECK(sync_directory(dir_));
  CIVICBOX_TRY(std::string key_pem, generate_private_key());
  auto csr = common_name.empty() ? make_unnamed_csr(key_pem) : make_csr(key_pem, common_name);
  auto written = write_file_atomically(request.key, key_pem, kKeyMode);
  mbedtls_platform_zeroize(key_pem.data(), key_pem.size());
  CIVICBOX_CHECK(written);
  step("key_written");
  if (!csr) return csr.error();
  request.csr_pem = std::move(*csr);
  CIVICBOX_CHECK(write_file_atomically(pending / kCsrFile, request.csr_pem, kPublicMode));
  step("csr_written");
  return request;
}

bool IdentityStore::has_pending() const {
  fs::path pending = dir_ / kPending;
  return exists_no_follow(pending / kKeyFile) && exists_no_follow(pending / kCsrFile);
}

Expected<std::optional<PendingRequest>> IdentityStore::pending_request() const {
  if (!has_pending()) return std::optional<PendingRequest>{};
  fs::path pending = dir_ / kPending;
  PendingRequest request;
  request.key = pending / kKeyFile;
  request.resumed = true;
  CIVICBOX_TRY(request.csr_pem, read_text_file(pending / kCsrFile));
  auto name = csr_requested_name(request.csr_pem);
  if (!name) return name.error().context((pending / kCsrFile).string());
  request.common_name = std::move(*name);
  return std::optional<PendingRequest>(std::move(request));
}

Expected<std::optional<Identity>> IdentityStore::pending_identity() const {
  fs::path pending = dir_ / kPending;
  if (!fs::is_directory(pending) || !has_whole_answer(pending)) {
    return std::optional<Identity>{};
  }
  CIVICBOX_TRY(Identity id, load_identity(pending, 0));
  return std::optional<Identity>(std::move(id));
}

Expected<Identity> IdentityStore::store_pending_certificate(std::string_view cert_pem,
                                                            std::string_view ca_pem,
                                                            const IdentityRecord& record) {
  fs::path pending = dir_ / kPending;
  if (!exists_no_follow(pending / kKeyFile) || !exists_no_follow(pending / kCsrFile)) {
    return make_error(ErrorCode::state, "no key is pending in " + pending.string());
  }
  // Checked before anything is written: pending/ never holds an answer that is not for its key.
  CIVICBOX_CHECK(check_key_file_matches(pending / kKeyFile, cert_pem));
  CIVICBOX_CHECK(check_chains_to(cert_pem, ca_pem));
  CIVICBOX_TRY(auto facts, read_certificate_facts(cert_pem));
  if (facts.common_name != record.config.device_id) {
    return make_error(ErrorCode::crypto, "the certificate names CN=" + facts.common_name +
                                             ", not device " + record.config.device_id);
  }
  CIVICBOX_CHECK(write_file_atomically(pending / kCertFile, cert_pem, kPublicMode));
  step("cert_written");
  CIVICBOX_CHECK(write_file_atomically(pending / kCaFile, ca_pem, kPublicMode));
  step("ca_written");
  CIVICBOX_CHECK(write_file_atomically(pending / kRecordFile, to_json(record), kPublicMode));
  step("config_written");
  return load_identity(pending, 0);
}

Expected<Identity> IdentityStore::commit() {
  CIVICBOX_TRY(auto whole, pending_identity());
  if (!whole) {
    return make_error(ErrorCode::state,
                      "nothing complete to switch to in " + (dir_ / kPending).string());
  }
  CIVICBOX_TRY(auto generations, list_generations(dir_));
  int next = generations.empty() ? 1 : generations.back() + 1;
  fs::path gen_dir = dir_ / generation_name(next);
  fs::path pending = dir_ / kPending;
  if (::rename(pending.c_str(), gen_dir.c_str()) != 0) {
    return io_error("renaming " + pending.string() + " to", gen_dir, errno);
  }
  CIVICBOX_CHECK(sync_directory(dir_));
  step("renamed");
  CIVICBOX_CHECK(swap_current(dir_, next));
  step("current_swapped");
  CIVICBOX_CHECK(remove_old_generations(next, false));
  return load_identity(gen_dir, next);
}

Expected<void> IdentityStore::discard_pending() {
  fs::path pending = dir_ / kPending;
  if (!exists_no_follow(pending)) return {};
  CIVICBOX_CHECK(remove_tree(pending));
  return sync_directory(dir_);
}

}  // namespace civicbox::provisioning
