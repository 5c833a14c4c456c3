#include "core/error.hpp"
#include "core/month.hpp"
#include "draw/chart.hpp"
#include "evaluate/evaluation.hpp"
#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "publish/evaluation_files.hpp"
#include "publish/model.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <gdal.h>
#include <ogr_api.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>

namespace t = hotref::test;

TEST_CASE("evaluate: the real data, January-June hotspots against July-December") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    hs.from = "2025-01";
    hs.to = "2025-06";
    const auto run = hotref::hotspot::run_hotspots(store, hs);

    hotref::evaluate::EvaluateOptions opt;
    opt.date = "2025-07";
    opt.months = 6;
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
          connection(store).query_int("SELECT sum(n) FROM incident_v WHERE category = 'Anti-social behaviour'"));
    CHECK(s.monthly_target.size() == 12);
    // Stored and written.
    CHECK(connection(store).query_int("SELECT count(*) FROM evaluation_area WHERE evaluation_id = " +
                                      std::to_string(e.evaluation_id)) == static_cast<std::int64_t>(e.areas.size()));
    CHECK(e.pai_after > 1);
    // The files are written from what disclosure control publishes.
    const auto published = hotref::publish::disclose_evaluation(e, hotref::publish::Profile::published, {},
                                                                hotref::store::disclosure_secret(store));
    hotref::publish::EvaluationFiles files;
    files.csv = tmp.file("evaluation.csv");
    hotref::publish::write_evaluation(published, files, hotref::publish::Profile::published);
    CHECK(t::read_file(files.csv).rfind("code,name,target_before", 0) == 0);
    CHECK(t::read_file(files.csv).find(",OFFICIAL\n") != std::string::npos);

    // Charts: PNGs of the series and of the rate ratios.
    files = {};
    files.charts = tmp.file("charts");
    files.chart_hotspots = 2;
    const auto charted = hotref::publish::write_evaluation(published, files, hotref::publish::Profile::published);
    // Scheme, two hotspots, rate ratios, and capture against area over the top hotspots down
    // to the first with a withheld count.
    CHECK(charted.size() == 5);
    std::size_t prefix = 0;
    while (prefix + 1 < e.areas.size() && e.areas[prefix + 1].target.before >= 5 && e.areas[prefix + 1].target.after >= 5) {
        ++prefix;
    }
    CHECK(published.concentration.codes.size() == prefix);
    for (const auto& c : charted) {
        const auto png = t::read_file(c);
        CHECK(png.size() > 5000);
        CHECK(png.substr(1, 3) == "PNG");
    }
    // A styled GeoPackage of the areas; refused when it exists.
    files = {};
    files.gpkg = tmp.file("evaluation.gpkg");
    hotref::publish::write_evaluation(published, files, hotref::publish::Profile::published);
    hotref::store::Database g{files.gpkg, false};
    CHECK(g.query_int("SELECT count(*) FROM evaluation_hotspots") == static_cast<std::int64_t>(run.hotspots.size()));
    CHECK(g.query_int("SELECT count(*) FROM evaluation_buffers") == static_cast<std::int64_t>(run.hotspots.size()));
    CHECK(g.query_int("SELECT count(*) FROM evaluation_control") == 1);
    CHECK(g.query_int("SELECT count(*) FROM evaluation_hotspots WHERE (before > 0 AND before < 5) OR "
                      "(after > 0 AND after < 5)") == 0);
    CHECK(g.query_int("SELECT count(*) FROM layer_styles WHERE f_table_schema = '' AND f_geometry_column = 'geom'") == 3);
    CHECK_THROWS_WITH_AS(hotref::publish::write_evaluation(published, files, hotref::publish::Profile::published),
                         doctest::Contains("exists"), hotref::Error);
    opt.date = "2025-11";
    CHECK_THROWS_WITH_AS(hotref::evaluate::evaluate_run(store, opt), doctest::Contains("does not hold"), hotref::Error);
    opt.date = "July";
    CHECK_THROWS_AS(hotref::evaluate::evaluate_run(store, opt), hotref::UsageError);
}

TEST_CASE("evaluate: each hotspot from the month it was first targeted (its first referral)") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
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
    connection(store).exec("DELETE FROM referral_link");
    CHECK_THROWS_WITH_AS(hotref::evaluate::evaluate_run(store, opt), doctest::Contains("link referrals first"),
                         hotref::Error);
}

namespace {

// Independent readers for the checks below: OGR's C API (and GEOS beneath it) on the
// published GeoPackage and on the store's WKB, plain SQL on the store's incidents;
// nothing of hotref's own geometry code.
struct OgrGeometryDeleter {
    void operator()(void* g) const noexcept { OGR_G_DestroyGeometry(static_cast<OGRGeometryH>(g)); }
};
using OgrGeometry = std::unique_ptr<void, OgrGeometryDeleter>;

struct OgrArea {
    std::string code;
    OgrGeometry geom;
    OGREnvelope box{};
    [[nodiscard]] bool holds(OGRGeometryH point, double x, double y) const {
        return x >= box.MinX && x <= box.MaxX && y >= box.MinY && y <= box.MaxY && OGR_G_Intersects(geom.get(), point);
    }
    [[nodiscard]] bool holds_inside(OGRGeometryH point, double x, double y) const {
        return x >= box.MinX && x <= box.MaxX && y >= box.MinY && y <= box.MaxY && OGR_G_Contains(geom.get(), point);
    }
};

OgrArea ogr_area(std::string code, OGRGeometryH g) {
    OgrArea a{std::move(code), OgrGeometry{g}, {}};
    REQUIRE(a.geom != nullptr);
    OGR_G_GetEnvelope(g, &a.box);
    return a;
}

std::vector<OgrArea> read_gpkg_layer(const std::string& path, const std::string& layer) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    REQUIRE(ds != nullptr);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer.c_str());
    REQUIRE(l != nullptr);
    std::vector<OgrArea> out;
    OGR_L_ResetReading(l);
    while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
        const int code = OGR_F_GetFieldIndex(f, "code");
        out.push_back(ogr_area(code >= 0 ? OGR_F_GetFieldAsString(f, code) : "", OGR_F_StealGeometry(f)));
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return out;
}

OgrArea ogr_from_wkb(std::string code, const std::string& wkb) {
    OGRGeometryH g = nullptr;
    REQUIRE(OGR_G_CreateFromWkb(wkb.data(), nullptr, &g, static_cast<int>(wkb.size())) == OGRERR_NONE);
    return ogr_area(std::move(code), g);
}

// ASB incidents per location and month, straight from the store.
struct LocationMonth {
    double x = 0, y = 0;
    std::string month;
    double n = 0;
};
std::vector<LocationMonth> asb_by_location_month(hotref::store::Store& store, const std::string& from,
                                                 const std::string& to) {
    hotref::store::Statement st{connection(store), "SELECT easting, northing, month, sum(n) FROM incident_v "
                                                   "WHERE category = 'Anti-social behaviour' AND month BETWEEN ? AND ? "
                                                   "GROUP BY location_id, easting, northing, month"};
    st.bind(1, from).bind(2, to);
    std::vector<LocationMonth> out;
    while (st.step()) {
        out.push_back({st.column_double(0), st.column_double(1), st.column_text(2), st.column_double(3)});
    }
    return out;
}

int month_step(const std::string& month, const std::string& first) {
    const auto m = *hotref::Month::parse(month);
    const auto f = *hotref::Month::parse(first);
    return m.index() - f.index();
}

} // namespace

TEST_CASE("evaluate: overlapping buffer rings counted as published (an OGR recount of the GeoPackage)") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    // Small cells give small, close hotspots whose 250 m rings overlap.
    auto hs = t::force_area_gistar(100);
    hs.from = "2025-01";
    hs.to = "2025-06";
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    REQUIRE(run.hotspots.size() > 10);

    hotref::evaluate::EvaluateOptions opt;
    opt.date = "2025-07";
    opt.months = 6;
    const auto e = hotref::evaluate::evaluate_run(store, opt);
    REQUIRE(e.areas.size() == run.hotspots.size() + 1);
    // The internal profile's GeoPackage: the true counts to recount against.
    hotref::publish::EvaluationFiles files;
    files.gpkg = tmp.file("evaluation.gpkg");
    hotref::publish::write_evaluation(
        hotref::publish::disclose_evaluation(e, hotref::publish::Profile::internal, {}, ""), files,
        hotref::publish::Profile::internal);

    const auto rings = read_gpkg_layer(files.gpkg, "evaluation_buffers");
    const auto hotspots = read_gpkg_layer(files.gpkg, "evaluation_hotspots");
    const auto control = read_gpkg_layer(files.gpkg, "evaluation_control");
    REQUIRE(rings.size() == run.hotspots.size());
    REQUIRE(hotspots.size() == run.hotspots.size());
    REQUIRE(control.size() == 1);
    // Recount: every location in every published ring that holds it, unless inside a hotspot.
    std::map<std::string, std::vector<double>> ring_month, target_month;
    for (const auto& r : rings) {
        ring_month[r.code].assign(12, 0.0);
        target_month[r.code].assign(12, 0.0);
    }
    std::vector<double> union_month(12, 0.0), control_month(12, 0.0);
    std::size_t in_two_rings = 0;
    std::size_t on_an_edge = 0;
    OgrGeometry point{OGR_G_CreateGeometry(wkbPoint)};
    for (const auto& c : asb_by_location_month(store, "2025-01", "2025-12")) {
        OGR_G_SetPoint_2D(point.get(), 0, c.x, c.y);
        const auto s = static_cast<std::size_t>(month_step(c.month, "2025-01"));
        std::vector<const OgrArea*> holding;
        const OgrArea* target = nullptr;
        for (const auto& h : hotspots) {
            if (h.holds(point.get(), c.x, c.y)) {
                target = &h;
                on_an_edge += h.holds_inside(point.get(), c.x, c.y) ? 0 : 1;
            }
        }
        for (const auto& r : rings) {
            if (r.holds(point.get(), c.x, c.y)) {
                holding.push_back(&r);
                on_an_edge += r.holds_inside(point.get(), c.x, c.y) ? 0 : 1;
            }
        }
        if (target != nullptr) {
            // The rings are drawn outside every hotspot: a hotspot's location is no ring's.
            CHECK(holding.empty());
            target_month[target->code][s] += c.n;
            continue;
        }
        for (const auto* r : holding) {
            ring_month[r->code][s] += c.n;
        }
        in_two_rings += holding.size() > 1 ? 1 : 0;
        if (!holding.empty()) {
            union_month[s] += c.n;
        } else if (control.front().holds(point.get(), c.x, c.y)) {
            control_month[s] += c.n;
        }
    }
    // No location sits on an edge (where "inside" could be read two ways), and rings overlap.
    CHECK(on_an_edge == 0);
    REQUIRE(in_two_rings > 0);
    double ring_sum = 0;
    for (std::size_t k = 1; k < e.areas.size(); ++k) {
        const auto& a = e.areas[k];
        CAPTURE(a.code);
        REQUIRE(ring_month.count(a.code) == 1);
        CHECK(a.monthly_buffer == ring_month[a.code]);
        CHECK(a.monthly_target == target_month[a.code]);
        ring_sum += a.buffer.before + a.buffer.after;
    }
    // The scheme's buffer is the union of the rings, each location once.
    const auto& scheme = e.areas.front();
    CHECK(scheme.monthly_buffer == union_month);
    CHECK(scheme.monthly_control == control_month);
    CHECK(scheme.buffer.before + scheme.buffer.after < ring_sum);
    // And the stored measures are the recounted ones.
    const auto& top = e.areas[1];
    hotref::store::Statement st{connection(store), "SELECT json_extract(measures, '$.buffer_before'), "
                                                   "json_extract(measures, '$.buffer_after') FROM evaluation_area "
                                                   "WHERE evaluation_id = ? AND code = ?"};
    st.bind(1, e.evaluation_id).bind(2, top.code);
    REQUIRE(st.step());
    const auto& top_ring = ring_month[top.code];
    CHECK(st.column_double(0) == doctest::Approx(std::accumulate(top_ring.begin(), top_ring.begin() + 6, 0.0)));
    CHECK(st.column_double(1) == doctest::Approx(std::accumulate(top_ring.begin() + 6, top_ring.end(), 0.0)));
}

TEST_CASE("evaluate: capture against area, charted, equals a recount from the store") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    hs.from = "2025-01";
    hs.to = "2025-06";
    const auto run = hotref::hotspot::run_hotspots(store, hs);

    hotref::evaluate::EvaluateOptions opt;
    opt.date = "2025-07";
    opt.months = 6;
    const auto e = hotref::evaluate::evaluate_run(store, opt);
    hotref::publish::EvaluationFiles files;
    files.charts = tmp.file("charts");
    files.chart_hotspots = 0;
    const auto charts = hotref::publish::write_evaluation(
        hotref::publish::disclose_evaluation(e, hotref::publish::Profile::internal, {}, ""), files,
        hotref::publish::Profile::internal);
    const auto file = (tmp.path() / "charts" / "concentration.png").string();
    CHECK(std::find(charts.begin(), charts.end(), file) != charts.end());
    const auto png = t::read_file(file);
    CHECK(png.size() > 5000);
    CHECK(png.substr(1, 3) == "PNG");

    // The recount: the run's hotspots by rank and its study area from the store's WKB (OGR),
    // the incidents in them from SQL.
    std::vector<OgrArea> hotspots;
    {
        hotref::store::Statement st{connection(store),
                                    "SELECT code, AsBinary(geom) FROM hotspot WHERE run_id = ? ORDER BY rank"};
        st.bind(1, run.run_id);
        while (st.step()) {
            hotspots.push_back(ogr_from_wkb(st.column_text(0), st.column_blob(1)));
        }
    }
    hotref::store::Statement st{connection(store), "SELECT AsBinary(area_geom) FROM run WHERE id = ?"};
    st.bind(1, run.run_id);
    REQUIRE(st.step());
    const auto study = ogr_from_wkb("study area", st.column_blob(0));
    std::vector<double> before(hotspots.size(), 0.0), after(hotspots.size(), 0.0);
    double before_total = 0;
    double after_total = 0;
    OgrGeometry point{OGR_G_CreateGeometry(wkbPoint)};
    for (const auto& c : asb_by_location_month(store, "2025-01", "2025-12")) {
        OGR_G_SetPoint_2D(point.get(), 0, c.x, c.y);
        const bool is_after = c.month >= "2025-07";
        std::size_t holder = hotspots.size();
        for (std::size_t i = 0; i < hotspots.size() && holder == hotspots.size(); ++i) {
            holder = hotspots[i].holds(point.get(), c.x, c.y) ? i : holder;
        }
        if (holder == hotspots.size() && !study.holds(point.get(), c.x, c.y)) {
            continue;
        }
        (is_after ? after_total : before_total) += c.n;
        if (holder < hotspots.size()) {
            (is_after ? after : before)[holder] += c.n;
        }
    }
    const auto& k = e.concentration;
    REQUIRE(k.codes.size() == hotspots.size());
    REQUIRE(k.area_share.size() == hotspots.size() + 1);
    REQUIRE(k.after_share.size() == hotspots.size() + 1);
    REQUIRE(k.before_share.size() == hotspots.size() + 1);
    CHECK(k.area_share.front() == 0);
    CHECK(k.after_share.front() == 0);
    CHECK(k.after_total == doctest::Approx(after_total));
    CHECK(k.before_total == doctest::Approx(before_total));
    const double study_area = OGR_G_Area(study.geom.get());
    double area = 0, b = 0, a = 0;
    for (std::size_t i = 0; i < hotspots.size(); ++i) {
        CAPTURE(i);
        CHECK(k.codes[i] == hotspots[i].code);
        area += OGR_G_Area(hotspots[i].geom.get());
        b += before[i];
        a += after[i];
        CHECK(k.area_share[i + 1] == doctest::Approx(area / study_area));
        CHECK(k.before_share[i + 1] == doctest::Approx(b / before_total));
        CHECK(k.after_share[i + 1] == doctest::Approx(a / after_total));
    }
    // The label: the whole set's PAI, which is the evaluation's.
    CHECK(k.pai_after == doctest::Approx((a / after_total) / (area / study_area)));
    CHECK(k.pai_before == doctest::Approx((b / before_total) / (area / study_area)));
    CHECK(e.pai_after == doctest::Approx(k.pai_after));
    // The hotspots were found on the "before" months: they held more of them.
    CHECK(k.pai_before > k.pai_after);
    CHECK(k.pai_after > 1);
}

TEST_CASE("evaluate: without --run, the latest patrol run, else the latest Gi* run") {
    t::TempDir tmp;
    {
        hotref::store::Store empty{tmp.file("empty.sqlite"), true};
        CHECK_THROWS_WITH_AS(hotref::evaluate::evaluate_run(empty, {}), doctest::Contains("no patrol or Gi* run"),
                             hotref::Error);
    }
    const auto path = tmp.store();
    hotref::store::Store store{path, true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    hs.from = "2025-01";
    hs.to = "2025-06";
    const auto gistar = hotref::hotspot::run_hotspots(store, hs).run_id;
    hotref::evaluate::EvaluateOptions opt;
    opt.date = "2025-07";
    const auto e = hotref::evaluate::evaluate_run(store, opt);
    CHECK(e.run_id == gistar);
    CHECK(e.run_method == "gistar");
    CHECK(e.run_chosen == "the latest Gi* run (no patrol run stored)");

    // A stand-in patrol run (the Gi* run's rows under method 'patrol'), then a newer Gi* run:
    // the patrol run is still the one evaluated.
    auto copy_run = [&](const std::string& method) {
        auto& db = connection(store);
        hotref::store::Statement run{db, "INSERT INTO run (method, params, period_from, period_to, categories, source, "
                                         "area, incidents, incidents_outside, locations, hotspots, fingerprint, "
                                         "software, created_at, seconds, area_geom) SELECT ?, params, period_from, "
                                         "period_to, categories, source, area, incidents, incidents_outside, "
                                         "locations, hotspots, fingerprint, software, created_at, seconds, area_geom "
                                         "FROM run WHERE id = ?"};
        run.bind(1, method).bind(2, gistar).run();
        const auto id = db.last_insert_rowid();
        hotref::store::Statement spots{db, "INSERT INTO hotspot (run_id, code, rank, name, area_m2, incidents, "
                                           "density_km2, share, pai, geom) SELECT ?, code, rank, name, area_m2, "
                                           "incidents, density_km2, share, pai, geom FROM hotspot WHERE run_id = ?"};
        spots.bind(1, id).bind(2, gistar).run();
        return id;
    };
    const auto patrol = copy_run("patrol");
    const auto newer_gistar = copy_run("gistar");
    REQUIRE(newer_gistar > patrol);
    const auto p = hotref::evaluate::evaluate_run(store, opt);
    CHECK(p.run_id == patrol);
    CHECK(p.run_method == "patrol");
    CHECK(p.run_chosen == "the latest patrol run");
    // The same hotspots: the same counts.
    CHECK(p.areas.front().target.after == e.areas.front().target.after);
    // --run still wins, and the command names the run it chose.
    opt.run_id = newer_gistar;
    CHECK(hotref::evaluate::evaluate_run(store, opt).run_id == newer_gistar);
    const auto r = t::run_hotref("evaluate --store '" + path + "' --date 2025-07 --months 6");
    CHECK(r.code == 0);
    CHECK(t::contains(r.out, "Evaluating run " + std::to_string(patrol) + " (patrol), the latest patrol run"));
}

namespace {
// The grey level (0..255, band 1) of every pixel of a PNG, read with GDAL (not hotref's drawing code).
std::vector<std::vector<int>> png_pixels(const std::string& path) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    const int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    std::vector<std::vector<int>> rows(static_cast<std::size_t>(h), std::vector<int>(static_cast<std::size_t>(w)));
    GDALRasterBandH band = GDALGetRasterBand(ds, 1);
    for (int y = 0; y < h; ++y) {
        REQUIRE(GDALRasterIO(band, GF_Read, 0, y, w, 1, rows[static_cast<std::size_t>(y)].data(), w, 1, GDT_Int32, 0,
                             0) == CE_None);
    }
    GDALClose(ds);
    return rows;
}
} // namespace

TEST_CASE("charts: a long hotspot name is drawn whole, inside the chart (issue 16: \"Mansfi\")") {
    t::TempDir tmp;
    const auto file = tmp.file("ratios.png");
    const std::string name = "H-0003  Chesterfield Road North and Sutton Road, Mansfield Woodhouse, Mansfield";
    hotref::draw::ratio_chart(file, "After / before, per hotspot", "2025-07 to 2025-12 against 2025-01 to 2025-06",
                              {{"all hotspots", 0.8, 0.6, 1.1}, {name, 1.2, 0.9, 1.6}});
    const auto px = png_pixels(file);
    REQUIRE(!px.empty());
    // The second label's baseline is at 80 + 24 * 1.5 + 4 = 120: its glyphs lie in rows 108..124.
    int first_dark = -1;
    for (int x = 0; x < static_cast<int>(px[0].size()) && first_dark < 0; ++x) {
        for (int y = 108; y <= 124; ++y) {
            if (px[static_cast<std::size_t>(y)][static_cast<std::size_t>(x)] < 128) {
                first_dark = x;
                break;
            }
        }
    }
    // Drawn (there is ink in its row) and not cut at the left edge: a margin of white before it.
    CHECK(first_dark >= 8);
    CHECK(first_dark < 40);
    // The same label in the old 260-pixel column began far left of the canvas.
    auto scratch = hotref::draw::Canvas::in_memory_svg(10, 10);
    CHECK(scratch.text_width(name, 12) > 260);
}
