#include "core/error.hpp"
#include "referral/registry.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "util/sha256.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace t = hotref::test;
using hotref::referral::Registry;
using hotref::referral::RegistryOptions;

namespace {
RegistryOptions options() {
    RegistryOptions o;
    o.actor = "test caseworker";
    o.secret = "a-test-secret-of-enough-length";
    return o;
}

std::vector<std::string> messages(const hotref::referral::ImportReport& r) {
    std::vector<std::string> out;
    for (const auto& e : r.errors) {
        out.push_back(std::to_string(e.line) + " " + e.field + ": " + e.reason);
    }
    return out;
}

bool has(const std::vector<std::string>& v, const std::string& needle) {
    return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}
} // namespace

TEST_CASE("referral: the person key is HMAC-SHA-256 (RFC 4231 test case 2)") {
    CHECK(hotref::hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("referral: import a caseworker's CSV; the identifier never reaches the store") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    const auto r = hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false);
    CHECK(messages(r).empty());
    CHECK(r.committed);
    CHECK(r.created == 4);
    Registry reg{store, options()};
    const auto one = reg.find("IJ-2025-0001");
    REQUIRE(one);
    CHECK(hotref::referral::state_name(one->r.state()) == std::string{"completed"});
    CHECK(one->r.contact_within_48h() == true);
    CHECK(one->r.person_key == hotref::hmac_sha256_hex("a-test-secret-of-enough-length", "PNC-0001"));
    const auto two = reg.find("IJ-2025-0002");
    CHECK(two->r.contact_within_48h() == false); // 2 days 12 hours after the referral
    CHECK(hotref::referral::state_name(two->r.state()) == std::string{"contacted"});
    CHECK(hotref::referral::state_name(reg.find("IJ-2025-0003")->r.state()) == std::string{"refused"});
    CHECK(reg.find("IJ-2025-0003")->r.incident_refs.size() == 2);
    // No raw identifier anywhere in the store file.
    const auto bytes = t::read_file(tmp.file("s.sqlite")) + t::read_file(tmp.file("s.sqlite-wal"));
    CHECK(bytes.find("PNC-0001") == std::string::npos);
    CHECK(store.db().query_int("SELECT contact_within_48h FROM referral WHERE reference = 'IJ-2025-0002'") == 0);
    // Importing the same file again changes nothing.
    const auto again = hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false);
    CHECK(again.unchanged == 4);
}

TEST_CASE("referral: every bad row is named with line, field and reason; nothing stored unless asked") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    const auto r = hotref::referral::import_csv(store, t::data("referrals/bad.csv"), options(), false);
    CHECK_FALSE(r.committed);
    CHECK(store.db().query_int("SELECT count(*) FROM referral") == 0);
    const auto m = messages(r);
    CHECK(has(m, "3 offence: 'burglary' is not one of asb, harassment, public-order"));
    CHECK(has(m, "4 contacted_at: is before created_at"));
    CHECK(has(m, "5 assessed_at: is set but contacted_at is not: milestones come in order"));
    CHECK(has(m, "6 incident_refs: incident DC-2025-000201 already has referral IJ-2025-0101"));
    CHECK(has(m, "7 outcome: completed needs the workshop attended"));
    CHECK(has(m, "8 victim_satisfied: needs victim_consulted = yes"));
    CHECK(has(m, "9 created_at: '01/04/2025' is not a date-time"));
    CHECK(has(m, "9 age_band: 'teen' is not 10-17 or adult"));
    CHECK(has(m, "9 first_time_entrant: 'maybe' is not yes or no"));
    CHECK(has(m, "9 person_id: is empty"));
    // With --skip-bad-rows the good row is stored.
    const auto skip = hotref::referral::import_csv(store, t::data("referrals/bad.csv"), options(), true);
    CHECK(skip.committed);
    CHECK(skip.created == 1);
    CHECK(store.db().query_int("SELECT count(*) FROM referral") == 1);
}

TEST_CASE("referral: lifecycle rules, refusals and the audit trail") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false).committed);
    Registry reg{store, options()};
    auto set = [&](std::map<std::string, std::string> fields) {
        hotref::store::Transaction tx{store.db()};
        const auto what = reg.upsert(fields);
        tx.commit();
        return what;
    };
    auto rejected = [&](std::map<std::string, std::string> fields) {
        try {
            set(std::move(fields));
        } catch (const hotref::referral::Rejected& r) {
            std::string all;
            for (const auto& e : r.errors()) {
                all += e.field + ": " + e.reason + "\n";
            }
            return all;
        }
        return std::string{};
    };
    // Forward: contacted -> assessed.
    CHECK(set({{"reference", "IJ-2025-0002"}, {"assessed_at", "2025-03-07T10:00"}}) == "updated");
    CHECK(hotref::referral::state_name(reg.find("IJ-2025-0002")->r.state()) == std::string{"assessed"});
    // Closed stays closed, but follow-up is recorded.
    CHECK(t::contains(rejected({{"reference", "IJ-2025-0001"}, {"outcome", "withdrawn"}, {"outcome_at", "2025-03-23T10:00"}}),
                      "the referral is closed (completed)"));
    CHECK(set({{"reference", "IJ-2025-0001"}, {"reoffence_date", "2025-09-14"}}) == "updated");
    // A person who refused cannot be referred again.
    const auto refused = rejected({{"reference", "IJ-2025-0050"}, {"created_at", "2025-05-01T12:00"},
                                   {"incident_refs", "DC-2025-000300"}, {"offence", "asb"},
                                   {"disposal", "community-resolution"}, {"age_band", "adult"},
                                   {"person_id", "PNC-0003"}});
    CHECK(t::contains(refused, "refused Immediate Justice on referral IJ-2025-0003"));
    CHECK(t::contains(refused, "no second chance; escalate: charge or summons"));
    // Unknown columns are named.
    CHECK(t::contains(rejected({{"reference", "IJ-2025-0004"}, {"name", "John"}}), "name: is not a referral column"));
    // The audit trail: who, when, what.
    const auto audit = reg.audit(reg.find("IJ-2025-0002")->id);
    REQUIRE(audit.size() == 2);
    CHECK(audit[0][1] == "test caseworker");
    CHECK(audit[0][2] == "create");
    CHECK(audit[1][2] == "update");
    CHECK(audit[1][3] == "assessed_at");
    CHECK(audit[1][5] == "2025-03-07T10:00");
}

TEST_CASE("referral: the secret must be given, and long enough") {
    CHECK_THROWS_WITH_AS(hotref::referral::referral_secret("/nonexistent/secret"),
                         doctest::Contains("cannot read the referral secret"), hotref::UsageError);
}
