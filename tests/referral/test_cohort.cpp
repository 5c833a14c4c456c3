// The comparison cohort (issue 18): its import (checked per row, all or nothing, again without
// change), retention, and the comparison of routes: counts against a fixture worked by hand,
// and as published (disclosure control across the strata).

#include "core/error.hpp"
#include "publish/comparison.hpp"
#include "publish/costs_files.hpp"
#include "referral/cohort.hpp"
#include "referral/registry.hpp"
#include "store/cohort.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "util/sha256.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace t = hotref::test;
namespace rf = hotref::referral;
using t::contains;

namespace {

const std::string secret = "a-test-secret-of-enough-length";

rf::RegistryOptions options() {
    rf::RegistryOptions o;
    o.actor = "test";
    o.secret = secret;
    return o;
}

void referral(hotref::store::Store& store, const std::string& ref, const std::string& created, const std::string& offence,
              const std::string& age, const std::string& fte, const std::string& person, const std::string& reoffence) {
    rf::Registry reg{store, options()};
    hotref::store::Transaction tx{store};
    std::map<std::string, std::string> f{{"reference", ref},  {"created_at", created}, {"offence", offence},
                                         {"disposal", "community-resolution"}, {"age_band", age},
                                         {"first_time_entrant", fte}, {"person_id", person}};
    if (!reoffence.empty()) {
        f["reoffence_date"] = reoffence;
    }
    try {
        reg.upsert(f);
    } catch (const rf::Rejected& r) {
        FAIL(r.errors().front().field << ": " << r.errors().front().reason);
    }
    tx.commit();
}

// The hand-worked fixture: four referrals, and tests/data/cohort/good.csv.
void fixture(hotref::store::Store& store) {
    referral(store, "IJ-1", "2025-01-10T10:00", "asb", "adult", "yes", "P-R1", "2025-04-10");  // reoffended at day 90
    referral(store, "IJ-2", "2025-02-01T10:00", "asb", "adult", "yes", "P-R2", "");
    referral(store, "IJ-3", "2025-03-01T10:00", "shop-theft", "10-17", "no", "P-R3", "2026-06-01"); // after 12 months
    referral(store, "IJ-4", "2026-06-01T10:00", "asb", "adult", "yes", "P-R4", "");              // not followed 12 months
    REQUIRE(rf::import_cohort_csv(store, t::data("cohort/good.csv"), secret).committed);
}

} // namespace

TEST_CASE("cohort: the template imports, a second import changes nothing, the person is only a keyed hash") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::write_file(tmp.file("template.csv"), rf::cohort_template());
    const auto first = rf::import_cohort_csv(store, tmp.file("template.csv"), secret);
    CHECK(first.committed);
    CHECK(first.created == 2);
    const auto again = rf::import_cohort_csv(store, tmp.file("template.csv"), secret);
    CHECK(again.unchanged == 2);
    CHECK(again.created == 0);
    const auto rows = hotref::store::read_cohort(store);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].route == "caution");
    CHECK(rows[0].person_key == hotref::hmac_sha256_hex(secret, "FORCE-PERSON-ID-456"));
    CHECK(rows[1].disposal_date == "2025-03-12"); // 12/03/2025, day first
    CHECK(rows[1].reoffence_date == "2025-09-30");
    CHECK(hotref::store::connection(store).query_int("SELECT count(*) FROM comparison_cohort WHERE person_key LIKE '%PERSON-ID%'") == 0);
    // A changed outcome of a known row updates it.
    t::write_file(tmp.file("update.csv"), "route,person_id,offence,disposal_date,age_band,first_time_entrant,reoffence_date\n"
                                          "caution,FORCE-PERSON-ID-456,shop-theft,2025-03-04,adult,yes,2025-05-01\n");
    const auto upd = rf::import_cohort_csv(store, tmp.file("update.csv"), secret);
    CHECK(upd.updated == 1);
    CHECK(hotref::store::read_cohort(store)[0].reoffence_date == "2025-05-01");
}

TEST_CASE("cohort: a bad file stores nothing and names line, column and reason of every problem") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const auto r = rf::import_cohort_csv(store, t::data("cohort/bad.csv"), secret);
    CHECK_FALSE(r.committed);
    CHECK(r.rows == 5);
    CHECK(r.rows_rejected() == 4);
    CHECK(hotref::store::connection(store).query_int("SELECT count(*) FROM comparison_cohort") == 0);
    auto has = [&](std::int64_t line, const std::string& field, int column, const std::string& reason) {
        for (const auto& e : r.errors) {
            if (e.line == line && e.field == field && e.column == column && contains(e.reason, reason)) {
                return true;
            }
        }
        return false;
    };
    CHECK(has(3, "route", 1, "'prison' is not one of charge-summons, caution or nfa"));
    CHECK(has(4, "person_id", 2, "is empty"));
    CHECK(has(4, "offence", 3, "'graffiti' is not one of asb"));
    CHECK(has(4, "disposal_date", 4, "April 2025 has 30 days"));
    CHECK(has(4, "age_band", 5, "'teen' is not 10-17 or adult"));
    CHECK(has(4, "first_time_entrant", 6, "'maybe' is not yes or no"));
    CHECK(has(5, "person_id", 2, "the same person, route, offence and disposal date as line 2"));
    CHECK(has(6, "reoffence_date", 7, "is before the disposal date 2025-03-03"));
    // Not the template: refused before any row.
    t::write_file(tmp.file("other.csv"), "route,person,offence\ncaution,x,asb\n");
    try {
        rf::import_cohort_csv(store, tmp.file("other.csv"), secret);
        FAIL("not the template, accepted");
    } catch (const hotref::InputError& e) {
        CHECK(contains(e.what(), "line 1: not the cohort template: unknown column(s) 'person'"));
        CHECK(contains(e.what(), "missing column(s) 'person_id', 'disposal_date'"));
    }
}

TEST_CASE("cohort: retention removes the person keys of old rows, and an import does not bring them back") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    REQUIRE(rf::import_cohort_csv(store, t::data("cohort/good.csv"), secret).committed);
    // 24 months before 2027-04-30: rows disposed of before 2025-04-30 (three of the five).
    CHECK(rf::purge_cohort(store, 24, "2027-04-30") == 3);
    CHECK(rf::purge_cohort(store, 24, "2027-04-30") == 0);
    CHECK(hotref::store::connection(store).query_int("SELECT count(*) FROM comparison_cohort WHERE person_key LIKE 'purged:%'") == 3);
    CHECK(hotref::store::connection(store).query_int("SELECT count(*) FROM comparison_cohort WHERE reoffence_date IS NOT NULL") == 3);
    const auto again = rf::import_cohort_csv(store, t::data("cohort/good.csv"), secret);
    CHECK_FALSE(again.committed);
    CHECK(again.rows_rejected() == 3);
    CHECK(contains(again.errors.front().reason, "is before 2025-04-30, the cohort's retention cutoff"));
}

TEST_CASE("cohort: compare counts the fixture as worked by hand") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    fixture(store);
    rf::CompareOptions o;
    o.months = 12;
    o.as_of = "2026-12-31";
    const auto c = rf::compare_routes(store, o);
    REQUIRE(c.routes.size() == 4);
    const auto& ij = c.routes[0];
    CHECK(ij.route == "immediate-justice");
    CHECK(ij.people == 4);
    CHECK(ij.fte == 3);
    CHECK(ij.followed == 3);   // IJ-4 has 213 days of follow-up, not 365
    CHECK(ij.reoffended == 1); // IJ-3's reoffence came after 12 months
    const auto& caution = c.routes[2];
    CHECK(caution.route == "caution");
    CHECK(caution.people == 4);
    CHECK(caution.followed == 3);
    CHECK(caution.reoffended == 2);
    CHECK(c.routes[3].reoffended == 1);
    CHECK(c.routes[1].people == 0);
    CHECK(c.overlap == 1); // P-R1 was referred and also in the nfa rows
    REQUIRE(c.strata.size() == 2);
    CHECK(c.strata[0].key() == "asb|adult|fte");
    CHECK(c.strata[0].by_route.at("immediate-justice") == std::array<double, 2>{2, 1});
    CHECK(c.strata[1].by_route.at("caution") == std::array<double, 2>{1, 1});
    const auto r = hotref::publish::disclose_comparison(c, hotref::publish::Profile::internal, {}, "k");
    // By hand: strata asb (IJ 1/2, caution 1/2; weight 2*2/4 = 1, difference 0) and shop-theft
    // (IJ 0/1, caution 1/1; weight 1*1/2 = 0.5, difference -1): RD_MH = (0 - 0.5) / 1.5 = -1/3.
    CHECK(r.routes[2].mh.estimate == doctest::Approx(-1.0 / 3));
    CHECK(r.routes[2].mh.strata_used == 2);
    CHECK(r.routes[2].crude.estimate == doctest::Approx(1.0 / 3 - 2.0 / 3));
    CHECK(std::isnan(r.routes[1].mh.estimate)); // nobody charged
    // Kaplan-Meier of IJ: 90 (event), 213, 365, 365 (censored): S = 3/4 from day 90.
    REQUIRE(r.routes[0].km.size() == 4); // days 91, 183, 274, 365
    CHECK(r.routes[0].km[0].time == 91);
    CHECK(r.routes[0].km[0].survival == doctest::Approx(0.75));
    CHECK(r.routes[0].km[0].at_risk == 3);
    CHECK(r.routes[0].km[3].at_risk == 2);
    CHECK(r.routes[0].reoffended.estimate == doctest::Approx(1.0 / 3));
    CHECK(contains(r.warnings.front(), "SELECTION BIAS: the routes are not randomised"));
    // Completed referrals only: none here.
    o.completed_only = true;
    CHECK(rf::compare_routes(store, o).routes[0].people == 0);
    // The period: referrals and disposals from 2025-02-01 on.
    o.completed_only = false;
    o.from = "2025-02-01";
    CHECK(rf::compare_routes(store, o).routes[0].people == 3);
}

TEST_CASE("cohort: published, a withheld stratum cannot be recovered from its route's total and the strata shown") {
    rf::ComparisonCounts c;
    c.options.months = 12;
    c.as_of = "2026-12-31";
    for (const char* r : {"immediate-justice", "charge-summons", "caution", "nfa"}) {
        rf::RouteCounts rc;
        rc.route = r;
        c.routes.push_back(rc);
    }
    // Three strata; the third is small for every route.
    const double followed[3][4] = {{120, 60, 80, 40}, {90, 45, 70, 30}, {4, 3, 6, 2}};
    const double reoff[3][4] = {{25, 20, 22, 12}, {18, 15, 20, 9}, {1, 2, 3, 1}};
    const char* offence[3] = {"asb", "shop-theft", "harassment"};
    for (int s = 0; s < 3; ++s) {
        rf::StratumCounts st{offence[s], "adult", true, {}};
        for (int r = 0; r < 4; ++r) {
            st.by_route[c.routes[r].route] = {followed[s][r], reoff[s][r]};
            c.routes[r].followed += followed[s][r];
            c.routes[r].reoffended += reoff[s][r];
            c.routes[r].people += followed[s][r] + 10;
            c.routes[r].fte += followed[s][r];
        }
        c.strata.push_back(st);
    }
    const auto p = hotref::publish::disclose_comparison(c, hotref::publish::Profile::published, {}, "0123456789abcdef0123456789abcdef");
    for (std::size_t r = 0; r < 4; ++r) {
        CAPTURE(c.routes[r].route);
        int withheld = 0;
        for (const auto& s : p.strata) {
            withheld += std::isnan(s.by_route.at(c.routes[r].route)[1]) ? 1 : 0;
        }
        CHECK(withheld >= 1); // the small stratum's reoffences (1 to 3) are withheld
        // Its route total is withheld too, or a second stratum is: never total minus one unknown.
        CHECK((withheld >= 2 || std::isnan(p.routes[r].reoffended.events)));
        // Published counts are within the noise of the truth.
        if (std::isfinite(p.routes[r].reoffended.n)) {
            CHECK(std::fabs(p.routes[r].reoffended.n - c.routes[r].followed) <= 2);
        }
    }
    CHECK(contains(p.profile_note, "published profile"));
    // The stratified difference is never made from true strata that are withheld: with a
    // stratum withheld it is withheld too (the internal profile still has it).
    CHECK(p.routes[2].strata_dropped >= 1);
    CHECK(std::isnan(p.routes[2].mh.estimate));
    CHECK(std::isnan(p.routes[2].mh.lower));
    const auto truth = hotref::publish::disclose_comparison(c, hotref::publish::Profile::internal, {}, "k");
    CHECK(std::isfinite(truth.routes[2].mh.estimate));
    // Nor is a curve shown for a route with a withheld count: 1 - S(N) times the followed up
    // would give its true reoffended count back.
    for (std::size_t r = 0; r < 4; ++r) {
        for (const auto& pt : p.routes[r].km) {
            CHECK(std::isnan(pt.survival));
        }
    }
    // The cost account then counts reoffences avoided from the crude difference, and says so.
    const auto o = hotref::publish::cost_outcomes(p, c.routes[2].route);
    CHECK(o.rd_basis == "crude");
    CHECK(o.rd == doctest::Approx(p.routes[2].crude.estimate));
    CHECK(hotref::publish::cost_outcomes(truth, c.routes[2].route).rd_basis == "stratified");
}

TEST_CASE("compare: the published stratified difference comes from the published strata when none is withheld") {
    // Three strata, every count of IJ and the caution route well above the threshold.
    rf::ComparisonCounts c;
    c.options.months = 12;
    for (const char* route : {rf::ij_route, "caution"}) {
        rf::RouteCounts r;
        r.route = route;
        c.routes.push_back(r);
    }
    const double followed[3][2] = {{300, 200}, {250, 180}, {220, 160}};
    const double reoff[3][2] = {{60, 70}, {45, 50}, {40, 44}};
    const char* offence[3] = {"asb", "shop-theft", "harassment"};
    for (int s = 0; s < 3; ++s) {
        rf::StratumCounts st{offence[s], "adult", true, {}};
        for (int r = 0; r < 2; ++r) {
            st.by_route[c.routes[r].route] = {followed[s][r], reoff[s][r]};
            c.routes[r].followed += followed[s][r];
            c.routes[r].reoffended += reoff[s][r];
            c.routes[r].people += followed[s][r] + 20;
            c.routes[r].fte += followed[s][r] / 2;
            c.routes[r].completed += followed[s][r];
        }
        c.strata.push_back(st);
    }
    const auto p = hotref::publish::disclose_comparison(c, hotref::publish::Profile::published, {}, "0123456789abcdef0123456789abcdef");
    REQUIRE(p.routes.size() == 2);
    CHECK(p.routes[1].strata_dropped == 0);
    REQUIRE(std::isfinite(p.routes[1].mh.estimate));
    // The same Mantel-Haenszel formula applied by hand to the published (noisy) strata.
    double num = 0, weight = 0;
    for (const auto& s : p.strata) {
        const auto a = s.by_route.at(rf::ij_route), b = s.by_route.at("caution");
        const double n = a[0] + b[0];
        num += (a[1] * b[0] - b[1] * a[0]) / n;
        weight += a[0] * b[0] / n;
    }
    CHECK(p.routes[1].mh.estimate == doctest::Approx(num / weight).epsilon(1e-12));
    // And it is within the noise of the true figure (-0.116 by the same formula on the truth).
    const auto truth = hotref::publish::disclose_comparison(c, hotref::publish::Profile::internal, {}, "k");
    CHECK(std::fabs(p.routes[1].mh.estimate - truth.routes[1].mh.estimate) < 0.02);
    // With no count withheld the curves are shown (the fixture's routes carry no subjects, so
    // each point is the start of the curve: S = 1).
    for (const auto& r : p.routes) {
        REQUIRE_FALSE(r.km.empty());
        for (const auto& pt : r.km) {
            CHECK(pt.survival == 1.0);
        }
    }
}
