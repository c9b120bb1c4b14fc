// The controller's store, on both of its databases: a real SQLite file and a real PostgreSQL
// server the test starts itself (tests/support/postgres_server.hpp). Every test runs on both;
// the PostgreSQL-only tests at the end run two controller instances on one database.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "common/pickup_hash.hpp"
#include "controller/storage.hpp"
#include "tests/controller/events.hpp"
#include "tests/support/postgres_server.hpp"
#include "tests/support/temp_dir.hpp"

namespace civicbox::controller {
namespace {

using testing::body_event;
using testing::device;
using testing::filed_event;

constexpr std::int64_t kNow = 1'790'000'000'000;  // 2026-09-21

// `boxes` boxes at once, each filing `per_box` documents one batch at a time, each batch through
// the storage `through(box, seq)` names: the registration numbers they were given.
std::vector<std::string> file_at_once(int boxes, int per_box,
                                      const std::function<Storage&(int, std::uint64_t)>& through) {
  std::vector<std::thread> threads;
  std::mutex mutex;
  std::vector<std::string> numbers;
  for (int b = 0; b < boxes; ++b) {
    threads.emplace_back([&, b] {
      SystemRandom random;
      auto id = device("box-" + std::to_string(b));
      for (std::uint64_t seq = 1; seq <= static_cast<std::uint64_t>(per_box); ++seq) {
        auto result = through(b, seq).apply_events(id, {filed_event(seq, random)}, kNow);
        ASSERT_TRUE(result) << result.error().describe();
        std::lock_guard lock(mutex);
        for (auto& r : result->registrations) numbers.push_back(r.registration_number);
      }
    });
  }
  for (auto& t : threads) t.join();
  return numbers;
}

// The numbers are 2026/000001 .. 2026/<n>, each once.
void expect_one_to(int n, std::vector<std::string> numbers) {
  std::sort(numbers.begin(), numbers.end());
  ASSERT_EQ(numbers.size(), static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    char expected[16];
    std::snprintf(expected, sizeof expected, "2026/%06d", i + 1);
    EXPECT_EQ(numbers[static_cast<std::size_t>(i)], expected);
  }
}

enum class Backend { sqlite, postgres };

// One server for the whole test program; each test takes a database of its own.
testing::PostgresServer& postgres() {
  static testing::PostgresServer server;
  return server;
}

std::string fresh_postgres_database() {
  static int count = 0;
  return postgres().new_database("storage_" + std::to_string(++count));
}

class StorageTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() == Backend::postgres) conninfo_ = fresh_postgres_database();
    reopen();
  }
  // A controller restart: the storage is opened again on the same database.
  void reopen() {
    storage_.reset();
    auto opened = GetParam() == Backend::sqlite
                      ? open_sqlite_storage(dir_.path(), {"town-hall", true})
                      : open_postgres_storage(conninfo_, {"town-hall", true});
    ASSERT_TRUE(opened) << opened.error().describe();
    storage_ = std::move(*opened);
  }
  testing::TempDir dir_;
  std::string conninfo_;
  const Actor kOperator_{"test", "operator"};
  SystemRandom random_;
  std::unique_ptr<Storage> storage_;
};

TEST_P(StorageTest, AFiledSubmissionGetsTheFirstRegistrationNumberOfTheYear) {
  auto e = filed_event(1, random_);
  auto result = storage_->apply_events(device("box-a"), {e}, kNow);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->applied_through, 1u);
  ASSERT_EQ(result->registrations.size(), 1u);
  EXPECT_EQ(result->registrations[0].registration_number, "2026/000001");
  auto found = storage_->find_submission(std::get<wire::SubmissionFiled>(e.body).tracking_code);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->state, SubmissionState::registered);
  ASSERT_EQ((*found)->history.size(), 2u);
  EXPECT_EQ((*found)->history[0].state, SubmissionState::received);
}

TEST_P(StorageTest, TheSameBatchSentTwiceIsAppliedOnceAndAnsweredTheSame) {
  std::vector<wire::Event> batch;
  for (std::uint64_t seq = 1; seq <= 5; ++seq) batch.push_back(filed_event(seq, random_));
  auto first = storage_->apply_events(device("box-a"), batch, kNow);
  auto second = storage_->apply_events(device("box-a"), batch, kNow + 1000);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->applied_through, 5u);
  ASSERT_EQ(second->registrations.size(), 5u);
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(first->registrations[i].registration_number,
              second->registrations[i].registration_number);
  }
  auto all = storage_->list_submissions({});
  ASSERT_TRUE(all) << all.error().describe();
  EXPECT_EQ(all->size(), 5u);
}

TEST_P(StorageTest, AGapStopsTheBatchAndTheMissingEventsAreAppliedWhenTheyCome) {
  auto e1 = filed_event(1, random_);
  auto e2 = filed_event(2, random_);
  auto e3 = filed_event(3, random_);
  auto result = storage_->apply_events(device("box-a"), {e1, e3}, kNow);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->applied_through, 1u);
  result = storage_->apply_events(device("box-a"), {e2, e3}, kNow);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->applied_through, 3u);
  EXPECT_EQ(result->registrations.back().registration_number, "2026/000003");
}

TEST_P(StorageTest, ASequenceNumberReusedForAnotherEventIsAConflict) {
  ASSERT_TRUE(storage_->apply_events(device("box-a"), {filed_event(1, random_)}, kNow));
  auto result = storage_->apply_events(device("box-a"), {filed_event(1, random_)}, kNow);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::conflict);
}

TEST_P(StorageTest, SequenceNumbersBelongToOneDevice) {
  ASSERT_TRUE(storage_->apply_events(device("box-a"), {filed_event(1, random_)}, kNow));
  auto other = storage_->apply_events(device("box-b"), {filed_event(1, random_)}, kNow);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->applied_through, 1u);
  EXPECT_EQ(other->registrations[0].registration_number, "2026/000002");
  EXPECT_EQ(*storage_->applied_through(device("box-a")), 1u);
}

TEST_P(StorageTest, NumbersContinueAfterARestartAndStartAgainInANewYear) {
  ASSERT_TRUE(storage_->apply_events(device("box-a"), {filed_event(1, random_)}, kNow));
  reopen();
  auto result = storage_->apply_events(device("box-a"), {filed_event(2, random_)}, kNow);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->registrations[0].registration_number, "2026/000002");
  const std::int64_t next_year = 1'800'000'000'000;  // 2027-01-15
  result = storage_->apply_events(device("box-a"), {filed_event(3, random_)}, next_year);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->registrations[0].registration_number, "2027/000001");
}

TEST_P(StorageTest, TheRegistryYearTurnsAtTheTownHallsMidnightNotAtUtcMidnight) {
  const char* saved = std::getenv("TZ");
  const std::string previous = saved != nullptr ? saved : "";
  ::setenv("TZ", "Europe/Bucharest", 1);
  ::tzset();
  // 2026-12-31T22:30Z is 00:30 on 1 January 2027 in Bucharest.
  const std::int64_t new_year_in_bucharest = 1'798'756'200'000;
  auto result =
      storage_->apply_events(device("box-a"), {filed_event(1, random_)}, new_year_in_bucharest);
  if (saved != nullptr) {
    ::setenv("TZ", previous.c_str(), 1);
  } else {
    ::unsetenv("TZ");
  }
  ::tzset();
  ASSERT_TRUE(result);
  EXPECT_EQ(result->registrations[0].registration_number, "2027/000001");
}

TEST_P(StorageTest, TwoHundredSubmissionsFromTenBoxesAtOnceGetUniqueGapFreeNumbers) {
  expect_one_to(200,
                file_at_once(10, 20, [&](int, std::uint64_t) -> Storage& { return *storage_; }));
}

TEST_P(StorageTest, ATrackingCodeFiledByTwoBoxesIsRegisteredOnlyOnce) {
  auto e = filed_event(1, random_);
  ASSERT_TRUE(storage_->apply_events(device("box-a"), {e}, kNow));
  auto copy = e;
  copy.id = EventId::generate(kNow, random_);
  auto result = storage_->apply_events(device("box-b"), {copy}, kNow);
  ASSERT_TRUE(result);
  EXPECT_EQ(result->applied_through, 1u);      // the event is kept as a fact...
  EXPECT_TRUE(result->registrations.empty());  // ...but box B gets no number for A's document
  EXPECT_EQ(storage_->list_submissions({})->size(), 1u);
}

TEST_P(StorageTest, ParcelsFlowFromIssuedToLoadedToCollectedAndBoxesSeeOnlyTheirOwn) {
  ASSERT_TRUE(storage_->assignments_since(device("box-a"), 0, kNow));
  PickupCode code = PickupCode::generate(random_);
  NewParcel parcel{"PARCEL1", "box-a", "ref-1", hash_pickup_code(code, random_, 10),
                   kNow + 86'400'000};
  ASSERT_TRUE(storage_->add_parcel(parcel, kNow, kOperator_));
  EXPECT_FALSE(storage_->add_parcel(parcel, kNow, kOperator_));  // an id is never reused

  auto pulled = storage_->assignments_since(device("box-a"), 0, kNow);
  ASSERT_TRUE(pulled);
  ASSERT_EQ(pulled->assignments.size(), 1u);
  EXPECT_TRUE(pulled->assignments[0].active);
  EXPECT_TRUE(*pickup_code_matches(
      code, {pulled->assignments[0].salt_hex, pulled->assignments[0].iterations,
             pulled->assignments[0].hash_hex}));
  EXPECT_TRUE(storage_->assignments_since(device("box-b"), 0, kNow)->assignments.empty());
  const std::uint64_t cursor = pulled->cursor;
  EXPECT_TRUE(storage_->assignments_since(device("box-a"), cursor, kNow)->assignments.empty());

  // Box B cannot collect box A's parcel.
  ASSERT_TRUE(storage_->apply_events(
      device("box-b"), {body_event(1, random_, wire::ParcelCollected{"PARCEL1", 5, false})}, kNow));
  EXPECT_EQ(storage_->list_parcels(std::nullopt)->at(0).state, "issued");

  ASSERT_TRUE(storage_->apply_events(
      device("box-a"), {body_event(1, random_, wire::ParcelLoaded{"PARCEL1", 5})}, kNow));
  ASSERT_TRUE(storage_->apply_events(
      device("box-a"), {body_event(2, random_, wire::ParcelCollected{"PARCEL1", 5, false})}, kNow));
  auto parcels = storage_->list_parcels(std::string("box-a"));
  ASSERT_TRUE(parcels);
  EXPECT_EQ(parcels->at(0).state, "collected");
  EXPECT_EQ(parcels->at(0).compartment, 5);
  auto changed = storage_->assignments_since(device("box-a"), cursor, kNow);
  ASSERT_EQ(changed->assignments.size(), 1u);
  EXPECT_FALSE(changed->assignments[0].active);  // withdrawn: it cannot be collected twice
}

TEST_P(StorageTest, TheBackOfficeMovesSubmissionsOnlyAlongTheAllowedPath) {
  auto e = filed_event(1, random_);
  const auto code = std::get<wire::SubmissionFiled>(e.body).tracking_code;
  ASSERT_TRUE(storage_->apply_events(device("box-a"), {e}, kNow));
  auto moved = storage_->move_submission(code, SubmissionState::in_progress, kNow + 1, kOperator_);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->history.size(), 3u);
  auto back = storage_->move_submission(code, SubmissionState::registered, kNow + 2, kOperator_);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, ErrorCode::conflict);
  ASSERT_TRUE(storage_->move_submission(code, SubmissionState::resolved, kNow + 3, kOperator_));
  auto unknown = storage_->move_submission(TrackingCode::generate(random_),
                                           SubmissionState::resolved, kNow, kOperator_);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::not_found);
  SubmissionFilter resolved;
  resolved.state = SubmissionState::resolved;
  EXPECT_EQ(storage_->list_submissions(resolved)->size(), 1u);
}

CertificateRecord certificate_of(const std::string& serial, const std::string& box,
                                 std::int64_t issued_ms) {
  return {serial,
          box,
          "enrol",
          issued_ms - 300'000,
          issued_ms + 86'400'000,
          issued_ms,
          "-----BEGIN CERTIFICATE-----\n",
          "key-" + serial,
          std::nullopt,
          std::nullopt};
}

TEST_P(StorageTest, ATokenEnrolsOnceTheLoserOfARaceChangesNothing) {
  ASSERT_TRUE(storage_->add_enrolment_token({"hash-1", "box-a", "site", "kerong-12", kNow + 1000},
                                            kNow, kOperator_));
  EXPECT_EQ(
      storage_->add_enrolment_token({"hash-1", "box-b", "s", "c", kNow + 1000}, kNow, kOperator_)
          .error()
          .code,
      ErrorCode::conflict);
  ASSERT_TRUE(storage_->complete_enrolment("hash-1", certificate_of("aa", "box-a", kNow), kNow));
  auto second = storage_->complete_enrolment("hash-1", certificate_of("bb", "box-a", kNow), kNow);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::conflict);
  auto token = *storage_->find_enrolment_token("hash-1");
  EXPECT_EQ(token->serial_hex, "aa");
  EXPECT_EQ(token->key_sha256_hex, "key-aa");
  EXPECT_EQ(storage_->list_certificates(std::nullopt)->size(), 1u);
  EXPECT_FALSE(*storage_->find_certificate("bb"));
}

TEST_P(StorageTest, AnExpiredTokenOrOneForAnotherBoxNeverCompletes) {
  ASSERT_TRUE(storage_->add_enrolment_token({"hash-2", "box-a", "site", "k", kNow + 1000}, kNow,
                                            kOperator_));
  EXPECT_FALSE(
      storage_->complete_enrolment("hash-2", certificate_of("cc", "box-a", kNow), kNow + 1000));
  EXPECT_FALSE(storage_->complete_enrolment("hash-2", certificate_of("cc", "box-b", kNow), kNow));
  EXPECT_FALSE((*storage_->find_enrolment_token("hash-2"))->used_at_ms);
  EXPECT_TRUE(storage_->list_certificates(std::nullopt)->empty());
}

TEST_P(StorageTest, RevocationsSurviveARestartAndMoveTheVersion) {
  ASSERT_TRUE(
      storage_->add_enrolment_token({"h", "box-a", "s", "k", kNow + 1000}, kNow, kOperator_));
  ASSERT_TRUE(storage_->complete_enrolment("h", certificate_of("aa", "box-a", kNow), kNow));
  ASSERT_TRUE(storage_->record_certificate(certificate_of("ab", "box-a", kNow + 1)));
  const std::int64_t v0 = *storage_->revocation_version();
  EXPECT_EQ(*storage_->revoke_device(device("box-a"), "stolen", kNow + 10, kOperator_), 2);
  EXPECT_EQ(*storage_->revoke_device(device("box-a"), "again", kNow + 20, kOperator_), 0)
      << "revoked already: the first reason stays";
  reopen();
  const std::int64_t v1 = *storage_->revocation_version();
  EXPECT_GT(v1, v0);
  auto list = *storage_->revocations();
  EXPECT_EQ(list.version, v1);
  EXPECT_EQ(list.revoked_serials.at("aa"), "stolen");
  EXPECT_EQ(list.boxes.at("box-a").revoked_at_ms, kNow + 20);
  EXPECT_TRUE(list.boxes.at("box-a").issued_since.empty());

  // Re-enrolment lifts the box's revocation and its new certificate is the only one it holds.
  ASSERT_TRUE(
      storage_->add_enrolment_token({"h2", "box-a", "s", "k", kNow + 9000}, kNow, kOperator_));
  ASSERT_TRUE(storage_->complete_enrolment("h2", certificate_of("ac", "box-a", kNow + 30), kNow));
  EXPECT_GT(*storage_->revocation_version(), v1);
  list = *storage_->revocations();
  EXPECT_EQ(list.boxes.at("box-a").issued_since, (std::unordered_set<std::string>{"ac"}));
  EXPECT_EQ(storage_->list_certificates("box-a")->front().serial_hex, "ac") << "newest first";
}

TEST_P(StorageTest, ARevokedBoxGetsNoRenewedCertificateUntilItIsEnrolledAgain) {
  ASSERT_TRUE(
      storage_->add_enrolment_token({"h", "box-a", "s", "k", kNow + 1000}, kNow, kOperator_));
  ASSERT_TRUE(storage_->complete_enrolment("h", certificate_of("aa", "box-a", kNow), kNow));
  ASSERT_TRUE(storage_->revoke_device(device("box-a"), "stolen", kNow + 10, kOperator_));
  // A renewal signed before the revocation but recorded after it (a race): refused, nothing kept.
  auto renewed = storage_->record_certificate(certificate_of("ab", "box-a", kNow + 20));
  ASSERT_FALSE(renewed);
  EXPECT_EQ(renewed.error().code, ErrorCode::revoked);
  EXPECT_FALSE(*storage_->find_certificate("ab"));
  EXPECT_TRUE(storage_->revocations()->boxes.at("box-a").issued_since.empty());
  // A new enrolment lifts the revocation; renewals work again.
  ASSERT_TRUE(
      storage_->add_enrolment_token({"h2", "box-a", "s", "k", kNow + 9000}, kNow, kOperator_));
  ASSERT_TRUE(storage_->complete_enrolment("h2", certificate_of("ac", "box-a", kNow + 30), kNow));
  EXPECT_TRUE(storage_->record_certificate(certificate_of("ad", "box-a", kNow + 40)));
}

TEST_P(StorageTest, SelfTestsAreListedNewestFirstUpToTheLimit) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(storage_->add_self_test({"box-a", kNow + i, kNow, kNow + 1, "on_demand", i % 2 == 0,
                                         "{\"n\":" + std::to_string(i) + "}"}));
  }
  auto tests = *storage_->list_self_tests(device("box-a"), 20);
  ASSERT_EQ(tests.size(), 20u);
  EXPECT_EQ(tests.front().received_at_ms, kNow + 24);
  EXPECT_TRUE(storage_->list_self_tests(device("box-b"), 20)->empty());
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest,
                         ::testing::Values(Backend::sqlite, Backend::postgres),
                         [](const ::testing::TestParamInfo<Backend>& info) {
                           return info.param == Backend::sqlite ? "sqlite" : "postgres";
                         });

// Several controller instances on one PostgreSQL: each is a Storage of its own (its own
// connections), as two civicbox-controller processes would be.
class SharedPostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = fresh_postgres_database();
    for (int i = 0; i < 2; ++i) {
      auto opened = open_postgres_storage(conninfo_, {"town-hall", true}, 4);
      ASSERT_TRUE(opened) << opened.error().describe();
      instances_.push_back(std::move(*opened));
    }
  }
  std::string conninfo_;
  std::vector<std::unique_ptr<Storage>> instances_;
};

TEST_F(SharedPostgres, FilingsFromManyBoxesThroughTwoInstancesGetUniqueGapFreeNumbers) {
  // 20 boxes, each sending 10 single-event batches, alternately to instance 0 and 1: a box may
  // talk to any instance, one after another.
  expect_one_to(200, file_at_once(20, 10, [&](int box, std::uint64_t seq) -> Storage& {
                  return *instances_[(seq + static_cast<std::uint64_t>(box)) % 2];
                }));
}

TEST_F(SharedPostgres, TheSameBatchSentToBothInstancesAtOnceIsAppliedOnce) {
  // A box that timed out on one instance and sent its batch again to the other, while the
  // first was still applying it.
  for (int round = 0; round < 20; ++round) {
    SystemRandom random;
    auto id = device("box-r" + std::to_string(round));
    std::vector<wire::Event> batch;
    for (std::uint64_t seq = 1; seq <= 20; ++seq) batch.push_back(filed_event(seq, random));
    Expected<ApplyResult> results[2] = {make_error(ErrorCode::internal, "not run"),
                                        make_error(ErrorCode::internal, "not run")};
    std::thread a([&] { results[0] = instances_[0]->apply_events(id, batch, kNow); });
    std::thread b([&] { results[1] = instances_[1]->apply_events(id, batch, kNow); });
    a.join();
    b.join();
    for (auto& r : results) {
      ASSERT_TRUE(r) << r.error().describe();
      EXPECT_EQ(r->applied_through, 20u);
      ASSERT_EQ(r->registrations.size(), 20u);
    }
    for (std::size_t i = 0; i < 20; ++i) {
      EXPECT_EQ(results[0]->registrations[i].registration_number,
                results[1]->registrations[i].registration_number)
          << "both answers name the same numbers";
    }
  }
  auto all = instances_[0]->list_submissions(SubmissionFilter{.limit = 1000});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 400u) << "20 rounds x 20 filings, none twice";
}

// With durable commits (the shared test server runs without fsync, for speed), what a batch's
// answer acknowledged survives the database server crashing; the instances connect again.
TEST(DurablePostgres, AnAcknowledgedBatchSurvivesTheServerCrashingAndTheInstancesCarryOn) {
  testing::PostgresServer server({.durable = true});
  const std::string conninfo = server.new_database("durable");
  std::vector<std::unique_ptr<Storage>> instances;
  for (int i = 0; i < 2; ++i) {
    auto opened = open_postgres_storage(conninfo, {"town-hall", true}, 2);
    ASSERT_TRUE(opened) << opened.error().describe();
    instances.push_back(std::move(*opened));
  }
  SystemRandom random;
  auto applied = instances[0]->apply_events(device("box-a"), {filed_event(1, random)}, kNow);
  ASSERT_TRUE(applied);
  server.crash_and_restart();
  // Every pooled connection broke; each instance notices, connects again and carries on.
  auto through = instances[1]->applied_through(device("box-a"));
  ASSERT_TRUE(through) << through.error().describe();
  EXPECT_EQ(*through, 1u);
  auto next = instances[0]->apply_events(device("box-a"), {filed_event(2, random)}, kNow);
  ASSERT_TRUE(next) << next.error().describe();
  EXPECT_EQ(next->registrations[0].registration_number, "2026/000002");
}

}  // namespace
}  // namespace civicbox::controller
