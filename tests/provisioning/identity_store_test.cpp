// The identity store keeps the box's identity whole through any crash: what a crash leaves is
// repaired on open, a damaged identity is reported naming the file (never a crash), and the key
// is only ever known by its path.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/identity_wire.hpp"
#include "provisioning/identity_record.hpp"
#include "provisioning/identity_store.hpp"
#include "provisioning/keys.hpp"
#include "tests/provisioning/identity_fixtures.hpp"

namespace civicbox::testing {
namespace {

using provisioning::Identity;
using provisioning::IdentityOrigin;
using provisioning::IdentityStore;

mode_t mode_of(const fs::path& path) {
  struct stat info {};
  ::lstat(path.c_str(), &info);
  return info.st_mode & 07777;
}

std::string public_key_of_csr(const std::string& csr) {
  auto key = provisioning::csr_public_key(csr);
  EXPECT_TRUE(key);
  return key ? *key : std::string{};
}

class provisioning_identity_store : public ::testing::Test {
 protected:
  FleetCa fleet;
  TempDir temp;
  fs::path dir = temp.path() / "identity";

  IdentityStore open_store(provisioning::StepHook hook = {}) {
    auto store = IdentityStore::open(dir, std::move(hook));
    EXPECT_TRUE(store) << store.error().describe();
    return std::move(*store);
  }
};

TEST_F(provisioning_identity_store, AnEnrolledBoxHasOneWholeGenerationThatCurrentNames) {
  auto store = open_store();
  Identity id = commit_offline(store, fleet.ca, "box-0001");

  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(fs::read_symlink(dir / "current"), "gen-000001");
  EXPECT_EQ(id.dir, dir / "gen-000001");
  EXPECT_EQ(id.key, dir / "gen-000001" / "box.key");
  EXPECT_EQ(mode_of(id.key), 0600u);
  for (auto name : {"box.crt", "ca.crt", "box.json", "box.csr"}) {
    EXPECT_TRUE(fs::exists(id.dir / name)) << name;
  }
  EXPECT_FALSE(fs::exists(dir / "pending"));
  EXPECT_EQ(id.device_id(), "box-0001");
  EXPECT_EQ(id.config().cabinet, "kerong-12");
  EXPECT_GT(id.record.not_after_ms, id.record.not_before_ms);

  auto again = provisioning::read_current_identity(dir);
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->record.serial_hex, id.record.serial_hex);
  expect_working_identity(dir, fleet.ca_file());
}

TEST_F(provisioning_identity_store, ABoxNeverEnrolledHasNoIdentity) {
  auto missing = provisioning::read_current_identity(dir);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(missing->has_value());
  auto store = open_store();
  auto current = store.current();
  ASSERT_TRUE(current);
  EXPECT_FALSE(current->has_value());
}

TEST_F(provisioning_identity_store, AnInterruptedRequestResumesWithTheSameKey) {
  std::string first;
  {
    auto store = open_store();
    auto request = store.pending_key("");
    ASSERT_TRUE(request);
    EXPECT_FALSE(request->resumed);
    EXPECT_EQ(mode_of(request->key), 0600u);
    first = public_key_of_csr(request->csr_pem);
  }
  auto store = open_store();
  EXPECT_TRUE(store.has_pending());
  auto request = store.pending_key("");
  ASSERT_TRUE(request);
  EXPECT_TRUE(request->resumed);
  EXPECT_EQ(public_key_of_csr(request->csr_pem), first);
}

TEST_F(provisioning_identity_store, ARequestForAnotherNameKeepsTheKeyAndRemakesTheCsr) {
  auto store = open_store();
  auto unnamed = store.pending_key("");
  ASSERT_TRUE(unnamed);
  EXPECT_EQ(*provisioning::csr_requested_name(unnamed->csr_pem), "");
  auto named = store.pending_key("box-0007");
  ASSERT_TRUE(named);
  EXPECT_TRUE(named->resumed);
  EXPECT_EQ(*provisioning::csr_requested_name(named->csr_pem), "box-0007");
  EXPECT_EQ(public_key_of_csr(named->csr_pem), public_key_of_csr(unnamed->csr_pem));
}

TEST_F(provisioning_identity_store, AKeyWithoutItsCsrIsThrownAwayOnOpen) {
  {
    auto store = open_store(crash_at("key_written"));
    EXPECT_THROW((void)store.pending_key(""), Crash);
  }
  ASSERT_TRUE(fs::exists(dir / "pending" / "box.key"));
  auto store = open_store();
  EXPECT_FALSE(fs::exists(dir / "pending"));
  ASSERT_FALSE(store.repairs().empty());
  EXPECT_NE(store.repairs()[0].find("pending"), std::string::npos);
}

TEST_F(provisioning_identity_store, APartialAnswerIsDroppedAndTheKeyKept) {
  std::string key_before;
  {
    auto store = open_store(crash_at("ca_written"));
    EXPECT_THROW(store_answer_offline(store, fleet.ca, "box-0001", IdentityOrigin::enrolment),
                 Crash);
    key_before = read_file(dir / "pending" / "box.key");
  }
  ASSERT_TRUE(fs::exists(dir / "pending" / "box.crt"));
  auto store = open_store();
  EXPECT_FALSE(fs::exists(dir / "pending" / "box.crt"));
  EXPECT_FALSE(fs::exists(dir / "pending" / "ca.crt"));
  EXPECT_EQ(read_file(dir / "pending" / "box.key"), key_before);
  auto request = store.pending_key("");
  ASSERT_TRUE(request);
  EXPECT_TRUE(request->resumed);
}

TEST_F(provisioning_identity_store, ALeftoverCurrentTmpIsRemovedAndCurrentKept) {
  {
    auto store = open_store();
    commit_offline(store, fleet.ca, "box-0001");
  }
  ASSERT_EQ(::symlink("gen-000009", (dir / "current.tmp").c_str()), 0);
  auto store = open_store();
  EXPECT_FALSE(fs::is_symlink(dir / "current.tmp"));
  expect_working_identity(dir, fleet.ca_file());
}

TEST_F(provisioning_identity_store, ASwitchCutShortAfterTheRenameIsFinishedOnOpen) {
  std::string renewed_serial;
  {
    auto store = open_store();
    commit_offline(store, fleet.ca, "box-0001");
    store.set_step_hook(crash_at("renamed"));
    Identity pending = store_answer_offline(store, fleet.ca, "box-0001", IdentityOrigin::renewal);
    renewed_serial = pending.record.serial_hex;
    EXPECT_THROW((void)store.commit(), Crash);
  }
  EXPECT_EQ(fs::read_symlink(dir / "current"), "gen-000001");
  ASSERT_TRUE(fs::is_directory(dir / "gen-000002"));
  auto store = open_store();
  EXPECT_EQ(fs::read_symlink(dir / "current"), "gen-000002");
  auto current = store.current();
  ASSERT_TRUE(current && *current);
  EXPECT_EQ((*current)->record.serial_hex, renewed_serial);
  auto previous = store.previous();
  ASSERT_TRUE(previous && *previous);
  EXPECT_EQ((*previous)->generation, 1);
}

TEST_F(provisioning_identity_store, ADamagedGenerationNewerThanCurrentIsRemoved) {
  {
    auto store = open_store();
    commit_offline(store, fleet.ca, "box-0001");
  }
  fs::create_directory(dir / "gen-000002");
  write_file(dir / "gen-000002" / "box.crt", "garbage");
  auto store = open_store();
  EXPECT_FALSE(fs::exists(dir / "gen-000002"));
  EXPECT_EQ(fs::read_symlink(dir / "current"), "gen-000001");
}

TEST_F(provisioning_identity_store, OnlyThePreviousGenerationIsKept) {
  auto store = open_store();
  for (int i = 0; i < 4; ++i) commit_offline(store, fleet.ca, "box-0001");
  EXPECT_FALSE(fs::exists(dir / "gen-000001"));
  EXPECT_FALSE(fs::exists(dir / "gen-000002"));
  EXPECT_TRUE(fs::exists(dir / "gen-000003"));
  EXPECT_EQ(fs::read_symlink(dir / "current"), "gen-000004");
  auto previous = store.previous();
  ASSERT_TRUE(previous && *previous);
  EXPECT_EQ((*previous)->generation, 3);
}

TEST_F(provisioning_identity_store, OldGenerationsLeftByAnInterruptedCleanupAreRemovedOnOpen) {
  {
    auto store = open_store();
    for (int i = 0; i < 3; ++i) commit_offline(store, fleet.ca, "box-0001");
  }
  fs::create_directory(dir / "gen-000001");
  write_file(dir / "gen-000001" / "box.json", "{");
  auto store = open_store();
  EXPECT_FALSE(fs::exists(dir / "gen-000001"));
  EXPECT_TRUE(fs::exists(dir / "gen-000002"));
  EXPECT_TRUE(fs::exists(dir / "gen-000003"));
}

TEST_F(provisioning_identity_store, OnlyOneProcessMayChangeTheIdentityAtATime) {
  auto first = open_store();
  auto second = IdentityStore::open(dir);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::state);
  // Reading needs no lock.
  EXPECT_TRUE(provisioning::read_current_identity(dir));
}

TEST_F(provisioning_identity_store, ACertificateForAnotherKeyIsNeverStored) {
  auto store = open_store();
  ASSERT_TRUE(store.pending_key(""));
  auto other_key = provisioning::generate_private_key();
  auto other_csr = provisioning::make_unnamed_csr(*other_key);
  std::string cert = FakeController::sign(fleet.ca, *other_csr, "box-0001", 24h);
  auto facts = provisioning::read_certificate_facts(cert);
  provisioning::IdentityRecord record{test_config("box-0001"),   facts->serial_hex,
                                      facts->not_before_ms,      facts->not_after_ms,
                                      IdentityOrigin::enrolment, std::nullopt};
  auto stored = store.store_pending_certificate(cert, fleet.ca.cert_pem, record);
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().code, ErrorCode::crypto);
  EXPECT_FALSE(fs::exists(dir / "pending" / "box.crt"));
  auto commit = store.commit();
  ASSERT_FALSE(commit);
  EXPECT_EQ(commit.error().code, ErrorCode::state);
}

// --- a damaged identity folder ------------------------------------------------------------

struct Damage {
  const char* name;
  const char* file_named;  // the error must name this file
  void (*apply)(const fs::path& gen, const fs::path& dir);
};

const Damage kDamages[] = {
    {"certificate replaced by garbage", "box.crt",
     [](const fs::path& gen, const fs::path&) { write_file(gen / "box.crt", "garbage\n"); }},
    {"key missing", "box.key",
     [](const fs::path& gen, const fs::path&) { fs::remove(gen / "box.key"); }},
    {"key of another box", "box.key",
     [](const fs::path& gen, const fs::path&) {
       write_file(gen / "box.key", *provisioning::generate_private_key());
     }},
    {"key replaced by garbage", "box.key",
     [](const fs::path& gen, const fs::path&) {
       write_file(gen / "box.key", "-----BEGIN nothing");
     }},
    {"box.json unreadable", "box.json",
     [](const fs::path& gen, const fs::path&) { write_file(gen / "box.json", "{\"config\":"); }},
    {"box.json names another device", "box.json",
     [](const fs::path& gen, const fs::path&) {
       auto record = provisioning::parse_identity_record(read_file(gen / "box.json"));
       record->config.device_id = "box-9999";
       write_file(gen / "box.json", provisioning::to_json(*record));
     }},
    {"ca.crt missing", "ca.crt",
     [](const fs::path& gen, const fs::path&) { fs::remove(gen / "ca.crt"); }},
    {"ca.crt of another CA", "ca.crt",
     [](const fs::path& gen, const fs::path&) {
       FleetCa other;
       write_file(gen / "ca.crt", other.ca.cert_pem);
     }},
    {"current dangling", "current",
     [](const fs::path& gen, const fs::path&) { fs::remove_all(gen); }},
    {"current names something else", "current",
     [](const fs::path&, const fs::path& dir) {
       fs::remove(dir / "current");
       fs::create_symlink("/etc", dir / "current");
     }},
};

TEST_F(provisioning_identity_store, ADamagedIdentityIsAnErrorNamingTheFileNeverACrash) {
  for (const auto& damage : kDamages) {
    SCOPED_TRACE(damage.name);
    fs::remove_all(dir);
    {
      auto store = open_store();
      commit_offline(store, fleet.ca, "box-0001");
    }
    damage.apply(dir / "gen-000001", dir);
    auto store = IdentityStore::open(dir);
    ASSERT_TRUE(store) << store.error().describe();
    auto current = store->current();
    ASSERT_FALSE(current) << "a damaged identity was accepted";
    EXPECT_NE(current.error().message.find(damage.file_named), std::string::npos)
        << current.error().message;
    auto read = provisioning::read_current_identity(dir);
    EXPECT_FALSE(read);
  }
}

// --- box.json ---------------------------------------------------------------------------------

TEST_F(provisioning_identity_store, BoxJsonReadsBackWhatWasWritten) {
  provisioning::IdentityRecord record{test_config("box-0001"),
                                      "1a2b",
                                      1000,
                                      2000,
                                      IdentityOrigin::enrolment,
                                      provisioning::token_fingerprint("tok")};
  auto back = provisioning::parse_identity_record(provisioning::to_json(record));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(back->config.institution, "Primăria Cluj-Napoca");
  EXPECT_EQ(back->config.languages, record.config.languages);
  EXPECT_EQ(back->serial_hex, "1a2b");
  EXPECT_EQ(back->token_sha256, record.token_sha256);
  EXPECT_EQ(provisioning::to_json(*back), provisioning::to_json(record));
  // The token itself is never kept.
  EXPECT_EQ(provisioning::to_json(record).find("tok\""), std::string::npos);
}

TEST_F(provisioning_identity_store, BoxJsonIsParsedStrictly) {
  provisioning::IdentityRecord record{test_config("box-0001"), "1a2b",      1000, 2000,
                                      IdentityOrigin::renewal, std::nullopt};
  std::string good = provisioning::to_json(record);
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = good;
    auto at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return text.replace(at, from.size(), to);
  };
  EXPECT_FALSE(provisioning::parse_identity_record(with("\"origin\"", "\"origin2\"")));
  EXPECT_FALSE(provisioning::parse_identity_record(with("\"renewal\"", "\"magic\"")));
  EXPECT_FALSE(provisioning::parse_identity_record(with("\"1a2b\"", "\"1A2B\"")));
  EXPECT_FALSE(
      provisioning::parse_identity_record(with("\"not_after_ms\":2000", "\"not_after_ms\":5")));
  EXPECT_FALSE(provisioning::parse_identity_record(with("\"cabinet\"", "\"cabinet_x\"")));
  EXPECT_FALSE(provisioning::parse_identity_record(""));
}

TEST_F(provisioning_identity_store, TheWireConfigReadsBackWhatWasWritten) {
  auto config = test_config("box-0001", "https://controller.example:8443");
  auto back = wire::parse_provisioned_config(wire::to_json(config));
  ASSERT_TRUE(back) << back.error().describe();
  EXPECT_EQ(wire::to_json(*back), wire::to_json(config));
  EXPECT_FALSE(wire::parse_provisioned_config(R"({"device_id":"x"})"));
}

}  // namespace
}  // namespace civicbox::testing
