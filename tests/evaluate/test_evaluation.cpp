#include "core/error.hpp"
#include "evaluate/evaluation.hpp"
#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>

namespace t = hotref::test;

TEST_CASE("evaluate: the real data, January-June hotspots against July-December") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    hs.from = "2025-01";
    hs.to = "2025-06";
    const auto run = hotref::hotspot::run_hotspots(store, hs);

    hotref::evaluate::EvaluateOptions opt;
    opt.date = "2025-07";
    opt.months = 6;
    opt.csv = tmp.file("evaluation.csv");
    const auto e = hotref::evaluate::evaluate_run(store, opt);
    CHECK(e.before_from == "2025-01");
    CHECK(e.after_to == "2025-12");
    REQUIRE(e.areas.size() == run.hotspots.size() + 1);
    // The hotspots were found on the "before" months: the regression-to-the-mean warning.
    REQUIRE(e.warnings.size() == 1);
    CHECK(e.warnings.front().find("regression to the mean") == 0);
    // The scheme adds up its hotspots, and the target's before count is the run's own hotspot incidents.
    double before = 0;
    double after = 0;
    for (std::size_t i = 1; i < e.areas.size(); ++i) {
        before += e.areas[i].target.before;
        after += e.areas[i].target.after;
    }
    CHECK(e.areas.front().target.before == doctest::Approx(before));
    CHECK(e.areas.front().target.after == doctest::Approx(after));
    double run_incidents = 0;
    for (const auto& h : run.hotspots) {
        run_incidents += h.incidents;
    }
    CHECK(before == doctest::Approx(run_incidents));
    // Target, buffers and control never hold more than all the ASB incidents of the year in the area.
    const auto& s = e.areas.front();
    CHECK(s.target.before + s.target.after + s.buffer.before + s.buffer.after + s.control.before + s.control.after <=
          store.db().query_int("SELECT sum(n) FROM incident_v WHERE category = 'Anti-social behaviour'"));
    CHECK(s.monthly_target.size() == 12);
    // Stored and written.
    CHECK(store.db().query_int("SELECT count(*) FROM evaluation_area WHERE evaluation_id = " +
                               std::to_string(e.evaluation_id)) == static_cast<std::int64_t>(e.areas.size()));
    CHECK(t::read_file(opt.csv).rfind("code,name,target_before", 0) == 0);
    CHECK(e.pai_after > 1);

    // Charts: PNGs of the series and of the rate ratios.
    opt.charts = tmp.file("charts");
    opt.chart_hotspots = 2;
    const auto charted = hotref::evaluate::evaluate_run(store, opt);
    CHECK(charted.charts.size() == 4); // scheme, two hotspots, rate ratios
    for (const auto& c : charted.charts) {
        const auto png = t::read_file(c);
        CHECK(png.size() > 5000);
        CHECK(png.substr(1, 3) == "PNG");
    }
    opt.charts.clear();
    // A styled GeoPackage of the areas; refused when it exists.
    opt.gpkg = tmp.file("evaluation.gpkg");
    hotref::evaluate::evaluate_run(store, opt);
    hotref::store::Database g{opt.gpkg, false};
    CHECK(g.query_int("SELECT count(*) FROM evaluation_hotspots") == static_cast<std::int64_t>(run.hotspots.size()));
    CHECK(g.query_int("SELECT count(*) FROM evaluation_buffers") == static_cast<std::int64_t>(run.hotspots.size()));
    CHECK(g.query_int("SELECT count(*) FROM evaluation_control") == 1);
    CHECK(g.query_int("SELECT count(*) FROM evaluation_hotspots WHERE (before > 0 AND before < 5) OR "
                      "(after > 0 AND after < 5)") == 0);
    CHECK(g.query_int("SELECT count(*) FROM layer_styles WHERE f_table_schema = '' AND f_geometry_column = 'geom'") == 3);
    CHECK_THROWS_WITH_AS(hotref::evaluate::evaluate_run(store, opt), doctest::Contains("exists"), hotref::Error);
    opt.gpkg.clear();
    opt.date = "2025-11";
    CHECK_THROWS_WITH_AS(hotref::evaluate::evaluate_run(store, opt), doctest::Contains("does not hold"), hotref::Error);
    opt.date = "July";
    CHECK_THROWS_AS(hotref::evaluate::evaluate_run(store, opt), hotref::UsageError);
}

TEST_CASE("evaluate: each hotspot from the month it was first targeted (its first referral)") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    hotref::referral::RegistryOptions ro;
    ro.secret = "a-test-secret-of-enough-length";
    REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), ro, false).committed);
    hotref::referral::link_referrals(store, run.run_id, 0);

    hotref::evaluate::EvaluateOptions opt;
    opt.months = 2; // referrals from March 2025: January-February against March-April
    const auto e = hotref::evaluate::evaluate_run(store, opt);
    REQUIRE(e.areas.size() == 2); // the scheme and the one hotspot with referrals
    CHECK(e.areas[1].code == run.hotspots.front().code);
    CHECK(e.before_from == "2025-01");
    CHECK(e.after_to == "2025-04");
    CHECK(e.areas[1].monthly_target.size() == 4);
    CHECK(std::any_of(e.warnings.begin(), e.warnings.end(),
                      [](const std::string& w) { return w.find("no referral linked to them") != std::string::npos; }));
    // Without any referral the evaluation says what to do.
    store.db().exec("DELETE FROM referral_link");
    CHECK_THROWS_WITH_AS(hotref::evaluate::evaluate_run(store, opt), doctest::Contains("link referrals first"),
                         hotref::Error);
}
