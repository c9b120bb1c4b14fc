// The box's identity on disk: its private key, its certificate, the fleet CA and what the
// controller told it at enrolment, safe against a power cut at every step. A new identity
// (enrolment) or a new certificate (renewal) is built beside the one in use and switched to in
// one atomic step, so the box always has a whole identity or none, never half of one.
//
//   DIR/                     0700
//     lock                   flock()ed by the one IdentityStore that may change DIR
//     current -> gen-000003  symlink, replaced atomically (current.tmp made, DIR fsynced,
//                            renamed over, DIR fsynced)
//     gen-000002/            the previous generation, kept one step: an agent may still hold its
//                            paths. (To roll back by hand, point `current` at it AND remove the
//                            newer one, or open() finishes the switch to the newer one.)
//     gen-000003/            box.key (0600, ECDSA P-256 PEM), box.crt, ca.crt (fleet CA chain),
//                            box.json (identity_record.hpp), box.csr (the request it answers);
//                            never changed once named gen-*
//     pending/               an enrolment or renewal under way: box.key (0600) + box.csr first,
//                            later box.crt, ca.crt, box.json; when complete it is renamed to the
//                            next gen-* and `current` is swapped to it
//
// Every file goes through write_file_atomically (temporary file, fsync, rename, fsync of the
// folder); every mkdir, rename or removal of a folder or the link is followed by an fsync of DIR.
//
// IdentityStore::open() repairs what a crash at any step leaves behind:
//   current.tmp                          removed: the swap did not happen
//   pending/ without a whole key + CSR   removed: nothing was sent with that key
//   pending/ with a whole key + CSR      kept, so the next attempt sends the SAME key (the
//                                        controller replays an enrolment token's certificate
//                                        only for the key it first saw)
//   pending/ with part of an answer      the answer's files removed, key + CSR kept
//   a whole gen-N newer than current     the commit that stopped after its rename is finished:
//                                        `current` is swapped to it
//   a damaged gen-N newer than current   removed
//   gen-N older than the previous one    removed
//   temporary files of atomic writes     removed
// What it cannot repair (a damaged current generation, a dangling `current`) is reported by
// current() as an error naming the file, for the technician; re-enrolment replaces it.
//
// The private key never leaves the box: nothing here returns it, only its path (for curl).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "common/identity_wire.hpp"
#include "provisioning/identity_record.hpp"

namespace civicbox::provisioning {

// Called right after each durable step, with its name. The steps of the store are:
//   key_written, csr_written, cert_written, ca_written, config_written, renamed,
//   current_swapped
// (the enrolment and renewal flows add their own; see enrolment.hpp and renewal.hpp). Tests
// kill the process in it to prove every step is safe.
using StepHook = std::function<void(std::string_view step)>;

// One generation of the box's identity. The paths are those of the generation's own folder
// (DIR/gen-000003/box.key, not DIR/current/box.key): a swap of `current` can never give curl
// a certificate and a key of two different generations.
struct Identity {
  std::filesystem::path dir;
  std::filesystem::path key;   // box.key: give to CURLOPT_SSLKEY, never read elsewhere
  std::filesystem::path cert;  // box.crt: CURLOPT_SSLCERT
  std::filesystem::path ca;    // ca.crt: CURLOPT_CAINFO (the fleet CA chain)
  IdentityRecord record;       // config, serial, validity, origin
  int generation = 0;          // N of gen-N; 0 for pending/

  [[nodiscard]] const wire::ProvisionedConfig& config() const { return record.config; }
  [[nodiscard]] const std::string& device_id() const { return record.config.device_id; }
};

// A key and CSR under way in pending/.
struct PendingRequest {
  std::filesystem::path key;  // pending/box.key
  std::string csr_pem;
  std::string common_name;  // what the CSR asks for; empty for an unnamed CSR
  bool resumed = false;     // the key is the one an earlier, interrupted attempt made
};

// Reads DIR's current identity without changing anything and without the lock, for an agent
// that only needs its paths: nullopt when the box was never enrolled, an error naming the file
// when the identity is damaged.
Expected<std::optional<Identity>> read_current_identity(const std::filesystem::path& dir);

class IdentityStore {
 public:
  // Opens DIR (created 0700 if missing), takes its lock (ErrorCode::state when another process
  // holds it) and repairs what a crash left (see above). Errors: io.
  static Expected<IdentityStore> open(const std::filesystem::path& dir, StepHook hook = {});

  IdentityStore(IdentityStore&& other) noexcept;
  IdentityStore& operator=(IdentityStore&& other) noexcept;
  IdentityStore(const IdentityStore&) = delete;
  IdentityStore& operator=(const IdentityStore&) = delete;
  ~IdentityStore();

  [[nodiscard]] const std::filesystem::path& dir() const { return dir_; }
  // What open() repaired, one line each, for the log.
  [[nodiscard]] const std::vector<std::string>& repairs() const { return repairs_; }
  void set_step_hook(StepHook hook) { hook_ = std::move(hook); }
  [[nodiscard]] const StepHook& step_hook() const { return hook_; }

  // The identity in use: nullopt when the box was never enrolled. A generation whose key does
  // not match its certificate, whose certificate does not chain to its ca.crt or names another
  // device, or with a file that is missing or unreadable, is an error naming the file.
  [[nodiscard]] Expected<std::optional<Identity>> current() const;
  // The generation before it, when kept.
  [[nodiscard]] Expected<std::optional<Identity>> previous() const;

  // The key and CSR for an enrolment or a renewal: the ones in pending/ when there are (the same
  // key; the CSR is remade with that key when it asks for another name), otherwise a new ECDSA
  // P-256 key (0600) and a CSR for `common_name` (an unnamed CSR when it is empty). A pending
  // answer made for another name is dropped.
  Expected<PendingRequest> pending_key(std::string_view common_name);
  // Whether an enrolment or renewal is under way (pending/ holds at least a key and a CSR).
  [[nodiscard]] bool has_pending() const;
  // The key and CSR under way, without making any: nullopt when there are none.
  [[nodiscard]] Expected<std::optional<PendingRequest>> pending_request() const;
  // The complete answer in pending/ (certificate, CA chain and record, checked against the
  // pending key), or nullopt when pending/ has none yet.
  [[nodiscard]] Expected<std::optional<Identity>> pending_identity() const;
  // Stores the checked certificate and CA chain (check_issued_certificate) and the record for
  // the pending key. ErrorCode::state without a pending key; ErrorCode::crypto when the
  // certificate is not for the pending key.
  Expected<Identity> store_pending_certificate(std::string_view cert_pem, std::string_view ca_pem,
                                               const IdentityRecord& record);
  // Makes the complete pending identity the current one: renames pending/ to the next gen-N,
  // swaps `current` to it and removes generations older than the previous one.
  // ErrorCode::state when pending/ holds no complete answer.
  Expected<Identity> commit();
  // Throws away the enrolment or renewal under way.
  Expected<void> discard_pending();

 private:
  IdentityStore(std::filesystem::path dir, int lock_fd, StepHook hook)
      : dir_(std::move(dir)), lock_fd_(lock_fd), hook_(std::move(hook)) {}
  Expected<void> repair();
  Expected<void> remove_old_generations(int current_generation, bool note);
  void step(std::string_view name) const;

  std::filesystem::path dir_;
  int lock_fd_ = -1;
  StepHook hook_;
  std::vector<std::string> repairs_;
};

}  // namespace civicbox::provisioning
