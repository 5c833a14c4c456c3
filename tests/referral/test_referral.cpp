#include "core/error.hpp"
#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "publish/model.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "util/sha256.hpp"

#include <doctest/doctest.h>

#include <cmath>

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
    hotref::store::Store store{tmp.store(), true};
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
    const auto bytes = t::read_file(tmp.store()) + t::read_file(tmp.file("s.sqlite-wal"));
    CHECK(bytes.find("PNC-0001") == std::string::npos);
    CHECK(connection(store).query_int("SELECT contact_within_48h FROM referral WHERE reference = 'IJ-2025-0002'") == 0);
    // Importing the same file again changes nothing.
    const auto again = hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false);
    CHECK(again.unchanged == 4);
}

TEST_CASE("referral: one incident named twice in a row is one incident, not a store error (fuzz finding)") {
    CHECK(hotref::referral::split_incident_refs("DC-1;DC-1, DC-2;;") == std::vector<std::string>{"DC-1", "DC-2"});
    t::TempDir tmp;
    std::string text = t::read_file(t::data("referrals/good.csv"));
    const auto at = text.find("DC-2025-000101");
    REQUIRE(at != std::string::npos);
    text.replace(at, 14, "DC-2025-000101;DC-2025-000101");
    const std::string path = tmp.file("dup.csv");
    t::write_file(path, text);
    hotref::store::Store store{tmp.store(), true};
    const auto r = hotref::referral::import_csv(store, path, options(), false);
    CHECK(messages(r).empty());
    CHECK(r.committed);
    CHECK(connection(store).query_int("SELECT count(*) FROM referral_incident WHERE incident_ref = 'DC-2025-000101'") ==
          1);
}

TEST_CASE("referral: every bad row is named with line, field and reason; nothing stored unless asked") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const auto r = hotref::referral::import_csv(store, t::data("referrals/bad.csv"), options(), false);
    CHECK_FALSE(r.committed);
    CHECK(connection(store).query_int("SELECT count(*) FROM referral") == 0);
    const auto m = messages(r);
    CHECK(has(m, "3 offence: 'burglary' is not one of asb, harassment, public-order"));
    CHECK(has(m, "4 contacted_at: is before created_at"));
    CHECK(has(m, "5 assessed_at: is set but contacted_at is not: milestones come in order"));
    CHECK(has(m, "6 incident_refs: incident DC-2025-000201 already has referral IJ-2025-0101"));
    CHECK(has(m, "7 outcome: completed needs the workshop attended"));
    CHECK(has(m, "8 victim_satisfied: needs victim_consulted = yes"));
    CHECK(has(m, "9 created_at: '31/04/2025' is impossible: April 2025 has 30 days"));
    CHECK_FALSE(has(m, "9 created_at: '31/04/2025' is not a date-time"));  // one problem per field
    CHECK(has(m, "9 age_band: 'teen' is not 10-17 or adult"));
    CHECK(has(m, "9 first_time_entrant: 'maybe' is not yes or no"));
    CHECK(has(m, "9 person_id: is empty"));
    // Rows, not problems: 7 of the 8 rows are bad; row 9 alone has four problems.
    CHECK(r.rows == 8);
    CHECK(r.rows_rejected() == 7);
    CHECK(r.errors.size() > 7);
    CHECK(std::count_if(r.errors.begin(), r.errors.end(), [](const auto& e) { return e.line == 9; }) == 4);
    // Each problem names its column as the spreadsheet shows it (created_at is column B).
    const auto created = std::find_if(r.errors.begin(), r.errors.end(),
                                      [](const auto& e) { return e.line == 9 && e.field == "created_at"; });
    REQUIRE(created != r.errors.end());
    CHECK(hotref::referral::spreadsheet_column(created->column) == "B");
    CHECK(hotref::referral::spreadsheet_column(27) == "AA");
    // With --skip-bad-rows the good row is stored.
    const auto skip = hotref::referral::import_csv(store, t::data("referrals/bad.csv"), options(), true);
    CHECK(skip.committed);
    CHECK(skip.created == 1);
    CHECK(connection(store).query_int("SELECT count(*) FROM referral") == 1);
}

TEST_CASE("referral: lifecycle rules, refusals and the audit trail") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false).committed);
    Registry reg{store, options()};
    auto set = [&](std::map<std::string, std::string> fields) {
        hotref::store::Transaction tx{connection(store)};
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

TEST_CASE("referral: linked to the hotspot containing them; KPIs with numerators and denominators") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false).committed);
    {
        hotref::store::Transaction tx{connection(store)};
        Registry{store, options()}.upsert({{"reference", "IJ-2025-0001"}, {"reoffence_date", "2025-09-14"}});
        tx.commit();
    }
    const auto links = hotref::referral::link_referrals(store, 0, 250);
    CHECK(links.run_id == run.run_id);
    CHECK(links.inside == 3); // three referrals in Derby city centre, inside H-0001
    CHECK(links.no_location == 1);
    CHECK(connection(store).query_int("SELECT count(*) FROM referral_link WHERE hotspot_code = '" +
                                      run.hotspots.front().code + "'") == 3);

    hotref::referral::KpiOptions ko;
    ko.as_of = "2026-06-30";
    const auto k = hotref::referral::referral_kpis(store, ko);
    REQUIRE(k.size() == 3); // scheme, H-0001, outside
    const auto& scheme = k.front();
    CHECK(scheme.referrals == 4);
    // By hand from tests/data/referrals/good.csv: contacts within 48 h: 0001 (15.5 h), 0003 (20 h) of 3 contacted;
    // closed: 0001 completed, 0003 refused; 0001 reoffended 6.5 months later; 1 victim consulted and satisfied;
    // first-time entrants 0001, 0003, 0004; completion in 21 days.
    CHECK(scheme.contacted_48h.numerator == 2);
    CHECK(scheme.contacted_48h.denominator == 3);
    CHECK(scheme.completed.numerator == 1);
    CHECK(scheme.completed.denominator == 2);
    CHECK(scheme.refused.numerator == 1);
    CHECK(scheme.not_reoffended.numerator == 3);
    CHECK(scheme.not_reoffended.denominator == 4);
    CHECK(scheme.victim_satisfied.numerator == 1);
    CHECK(scheme.victim_satisfied.denominator == 1);
    CHECK(scheme.first_time_entrants.numerator == 3);
    CHECK(scheme.youth.numerator == 2);
    CHECK(scheme.median_days_to_completion == 21);
    CHECK(scheme.reparation_hours == 8);
    CHECK(k[1].group == run.hotspots.front().code);
    CHECK(k[1].referrals == 3);
    // Per month of referral: all four were made in March 2025.
    ko.by_month = true;
    const auto months = hotref::referral::referral_kpis(store, ko);
    REQUIRE(months.size() == 2);
    CHECK(months[1].group == "2025-03");
    CHECK(months[1].referrals == 4);
    ko.by_month = false;
    // Follow-up not yet long enough: no denominator.
    ko.as_of = "2025-12-31";
    CHECK(hotref::referral::referral_kpis(store, ko).front().not_reoffended.denominator == 0);
    // Published: every figure from fewer than 10 referrals is withheld.
    const auto published = hotref::publish::disclose_kpis(hotref::referral::referral_kpis(store, ko),
                                                          hotref::publish::Profile::published, {},
                                                          hotref::store::disclosure_secret(store));
    for (const auto& group : published) {
        CHECK(std::isnan(group.referrals));
        INFO(group.group, " completed ", group.completed.numerator, "/", group.completed.denominator, " contacted ", group.contacted_48h.numerator, "/", group.contacted_48h.denominator);
        CHECK(group.completed.suppressed);
        CHECK(group.contacted_48h.suppressed);
        CHECK(group.median_days_to_completion < 0);
    }
}

TEST_CASE("referral: retention removes personal data from old referrals, keeps the KPI fields, audits it") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false).committed);
    // 12 months before 2026-03-04: referrals created before 2025-03-04 (0001 and 0002).
    CHECK(hotref::referral::purge_personal_data(store, 12, "2026-03-04", "records officer") == 2);
    auto& db = connection(store);
    CHECK(db.query_int("SELECT count(*) FROM referral WHERE person_key = 'purged' AND easting IS NULL") == 2);
    CHECK(db.query_int("SELECT count(*) FROM referral WHERE reference = 'IJ-2025-0001' AND state = 'completed'") == 1);
    CHECK(db.query_int("SELECT count(*) FROM referral_audit WHERE action = 'purge' AND actor = 'records officer'") == 2);
    CHECK(hotref::referral::purge_personal_data(store, 12, "2026-03-04", "records officer") == 0);
}

TEST_CASE("referral: UK dates, day first, become ISO; ambiguous and impossible ones are named") {
    using hotref::referral::uk_date;
    CHECK(uk_date("02/08/2025 22:00").iso == std::optional<std::string>{"2025-08-02T22:00"});
    CHECK(uk_date("2/8/2025").iso == std::optional<std::string>{"2025-08-02"});
    CHECK(uk_date("29/02/2024 07:05:09").iso == std::optional<std::string>{"2024-02-29T07:05:09"});
    CHECK(uk_date("2025-08-02T22:00").iso == std::nullopt);  // ISO: left to the usual checks
    CHECK(uk_date("2025-08-02T22:00").problem.empty());
    CHECK(uk_date("29/02/2025").problem == "'29/02/2025' is impossible: February 2025 has 28 days");
    CHECK(uk_date("08/25/2025").problem.find("month 25 does not exist (it looks month first") != std::string::npos);
    CHECK(uk_date("02/08/25").problem == "'02/08/25' is ambiguous: give the year in full (DD/MM/YYYY)");
    CHECK(uk_date("02-08-2025").problem.find("is ambiguous (day or month first?)") != std::string::npos);
    CHECK(uk_date("02/08/2025 24:00").problem.find("not a time of day") != std::string::npos);
    CHECK(uk_date("02/08/2025 22h").problem.find("is not a date: write DD/MM/YYYY HH:MM") != std::string::npos);
}

TEST_CASE("referral: import takes UK dates and WGS84 latitude/longitude; errors name file, line and column") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    // 53.2350, -1.4210 (Chesterfield) in British National Grid, from GDAL's gdaltransform
    // (-s_srs EPSG:4326 -t_srs EPSG:27700) when the test was written: 438,743.9 E, 371,041.5 N.
    const std::string csv =
        "reference,created_at,incident_refs,incident_at,offence,disposal,age_band,person_id,latitude,longitude,"
        "contacted_at\n"
        "IJ-2025-0201,02/08/2025 22:00,DC-2025-000301,02/08/2025 21:15,asb,community-resolution,adult,PNC-0201,"
        "53.2350,-1.4210,04/08/2025\n";
    t::write_file(tmp.file("uk.csv"), csv);
    const auto r = hotref::referral::import_csv(store, tmp.file("uk.csv"), options(), false);
    CHECK(messages(r).empty());
    REQUIRE(r.committed);
    Registry reg{store, options()};
    const auto one = reg.find("IJ-2025-0201");
    REQUIRE(one);
    CHECK(one->r.created_at == "2025-08-02T22:00");
    CHECK(one->r.incident_at == "2025-08-02T21:15");
    CHECK(one->r.contacted_at == "2025-08-04");
    REQUIRE(one->r.easting);
    CHECK(std::abs(*one->r.easting - 438743.9) <= 1);
    CHECK(std::abs(*one->r.northing - 371041.5) <= 1);

    // Both kinds of position, swapped coordinates, a US date: each a problem of its row.
    const std::string bad =
        "reference,created_at,offence,disposal,age_band,person_id,easting,northing,latitude,longitude\n"
        "IJ-2025-0202,08/25/2025,asb,community-resolution,adult,PNC-0202,,,-1.42,53.23\n"
        "IJ-2025-0203,2025-08-02,asb,community-resolution,adult,PNC-0203,438443,370983,53.23,-1.42\n";
    t::write_file(tmp.file("bad.csv"), bad);
    const auto b = hotref::referral::import_csv(store, tmp.file("bad.csv"), options(), false);
    CHECK_FALSE(b.committed);
    CHECK(b.rows_rejected() == 2);
    const auto m = messages(b);
    CHECK(has(m, "2 created_at: '08/25/2025' is impossible: month 25 does not exist"));
    CHECK(has(m, "2 latitude: latitude and longitude look swapped"));
    CHECK(has(m, "3 latitude: give easting and northing or latitude and longitude, not both"));
    const auto lat = std::find_if(b.errors.begin(), b.errors.end(), [](const auto& e) { return e.line == 3; });
    REQUIRE(lat != b.errors.end());
    CHECK(lat->column == 9);  // latitude is the ninth column of this file
}
