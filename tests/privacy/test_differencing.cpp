// Differencing attacks on the published profile (issue 13). Each test plays an
// adversary who holds the published files and knows the rules (docs/disclosure.md:
// a published count p means a true count in [max(5, p - 2), p + 2], a blank means
// withheld) and forms the sums the outputs imply: a hotspot's total against its
// cells, a location's total against its months, a run against a run over fewer
// months, the scheme against its groups. The bounds are worked out here with plain
// interval arithmetic, apart from the gate's own audit: every withheld count must
// keep a feasible interval at least 5 wide.

#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "ingest/force_export.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "publish/layers.hpp"
#include "publish/model.hpp"
#include "store/runs.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace t = hotref::test;

namespace {

constexpr double k = 5;      // the published threshold
constexpr double noise = 2;  // the published bound of the cell-key noise
constexpr double inf = std::numeric_limits<double>::infinity();

struct Bounds {
    double lo = 0, hi = inf;
};

// What a published figure tells the attacker; nullopt when withheld (blank).
std::optional<Bounds> known(const std::optional<double>& p) {
    if (!p) {
        return std::nullopt;
    }
    if (*p == 0) {
        return Bounds{0, 0};
    }
    return Bounds{std::max(k, *p - noise), *p + noise};
}

// One margin total = sum of parts, all as published: the interval of each withheld part.
// Other withheld parts are only known to be >= 0.
std::vector<Bounds> withheld_parts(const std::optional<double>& total, const std::vector<std::optional<double>>& parts) {
    std::vector<Bounds> out;
    const auto t = known(total);
    if (!t) {
        return out;  // the total is withheld too: nothing to subtract from
    }
    double vis_lo = 0, vis_hi = 0;
    int hidden = 0;
    for (const auto& p : parts) {
        if (const auto b = known(p)) {
            vis_lo += b->lo;
            vis_hi += b->hi;
        } else {
            ++hidden;
        }
    }
    for (int i = 0; i < hidden; ++i) {
        Bounds b;
        b.hi = std::max(0.0, t->hi - vis_lo);
        b.lo = hidden > 1 ? 0.0 : std::max(0.0, t->lo - vis_hi);
        out.push_back(b);
    }
    return out;
}

std::optional<double> opt_col(hotref::store::Statement& st, int col) {
    return st.column_is_null(col) ? std::nullopt : std::optional<double>{st.column_double(col)};
}

void one_year(hotref::store::Store& store) {
    t::ingest_geodata(store);
}

hotref::hotspot::HotspotOptions gistar_month(const std::string& from, const std::string& to) {
    auto hs = t::force_area_gistar(100);
    hs.from = from;
    hs.to = to;
    return hs;
}

std::string write(hotref::store::Store& store, const t::TempDir& tmp, const std::string& name, std::int64_t run,
                  hotref::publish::Profile profile = hotref::publish::Profile::published) {
    hotref::publish::LayersOptions opt;
    opt.run_id = run;
    opt.out_dir = tmp.file(name);
    opt.vector_tiles = false;
    opt.profile = profile;
    return hotref::publish::write_layers(store, opt).gpkg;
}

} // namespace

TEST_CASE("privacy: a hotspot's total against its visible cells and locations pins no withheld count") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    one_year(store);
    const auto run = hotref::hotspot::run_hotspots(store, gistar_month("2025-12", "2025-12"));
    const auto gpkg = write(store, tmp, "published", run.run_id);
    hotref::store::Database db{gpkg, false};
    // Hotspot totals against their cells.
    std::map<std::string, std::optional<double>> totals;
    {
        hotref::store::Statement st{db, "SELECT code, incidents FROM hotspots"};
        while (st.step()) {
            totals[st.column_text(0)] = opt_col(st, 1);
        }
    }
    REQUIRE(totals.size() > 5);
    std::map<std::string, std::vector<std::optional<double>>> cells;
    {
        hotref::store::Statement st{db, "SELECT hotspot, count FROM hotspot_cells WHERE hotspot IS NOT NULL"};
        while (st.step()) {
            cells[st.column_text(0)].push_back(opt_col(st, 1));
        }
    }
    int attacked = 0;
    for (const auto& [code, total] : totals) {
        const auto& hotspot_code = code; // clang 14: no structured binding in CAPTURE's lambda
        CAPTURE(hotspot_code);
        for (const auto& b : withheld_parts(total, cells[code])) {
            ++attacked;
            CHECK(b.hi - b.lo >= k);
        }
    }
    CHECK(attacked > 0);  // the run must hold hotspots with small cells, or this proves nothing
    // Locations: each total against its month (one month: equal) is withheld together.
    hotref::store::Statement st{db, "SELECT count(*) FROM incidents WHERE (total IS NULL) != (m_2025_12 IS NULL)"};
    REQUIRE(st.step());
    CHECK(st.column_int(0) == 0);
}

TEST_CASE("privacy: a location's total against its months, and a second run over fewer months, pin nothing") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    one_year(store);
    const auto a = hotref::hotspot::run_hotspots(store, gistar_month("2025-07", "2025-12"));
    const auto b = hotref::hotspot::run_hotspots(store, gistar_month("2025-07", "2025-11"));
    const auto ga = write(store, tmp, "a", a.run_id);
    const auto gb = write(store, tmp, "b", b.run_id);
    hotref::store::Database db{ga, false};
    db.exec("ATTACH DATABASE '" + gb + "' AS b");
    const std::vector<std::string> months{"m_2025_07", "m_2025_08", "m_2025_09", "m_2025_10", "m_2025_11", "m_2025_12"};
    // Rows: total against the months.
    {
        std::string sql = "SELECT total";
        for (const auto& m : months) {
            sql += ", " + m;
        }
        hotref::store::Statement st{db, sql + " FROM incidents"};
        int rows_with_withheld = 0;
        while (st.step()) {
            std::vector<std::optional<double>> parts;
            for (int i = 0; i < 6; ++i) {
                parts.push_back(opt_col(st, 1 + i));
            }
            const bool any_withheld = std::any_of(parts.begin(), parts.end(), [](const auto& p) { return !p; });
            rows_with_withheld += any_withheld ? 1 : 0;
            // A total beside a withheld month would give it back: then there is none.
            CHECK(withheld_parts(opt_col(st, 0), parts).empty());
            CHECK(any_withheld == st.column_is_null(0));
        }
        CHECK(rows_with_withheld > 100);
    }
    // The same place in both runs: the months both publish are the same figures (the same
    // records, the same noise). A total is shown only as the sum of the months shown, so
    // total(a) - total(b) never reaches a withheld December.
    hotref::store::Statement st{db, "SELECT a.total, b.total, a.m_2025_12, a.m_2025_07, b.m_2025_07, "
                                    "a.m_2025_07 + a.m_2025_08 + a.m_2025_09 + a.m_2025_10 + a.m_2025_11 + "
                                    "a.m_2025_12 FROM incidents a JOIN b.incidents b ON a.geom = b.geom"};
    int places = 0, same = 0, december_withheld = 0;
    while (st.step()) {
        ++places;
        if (!st.column_is_null(3) && !st.column_is_null(4)) {
            CHECK(st.column_double(3) == st.column_double(4));
            ++same;
        }
        if (st.column_is_null(2)) {
            ++december_withheld;
            CHECK(st.column_is_null(0));
        }
        if (!st.column_is_null(0)) {
            CHECK(st.column_double(0) == st.column_double(5));
        }
    }
    CHECK(places > 100);
    CHECK(same > 50);
    CHECK(december_withheld > 10);
}

TEST_CASE("privacy: the scheme's KPIs against its groups, and two --as-of dates, pin no referral") {
    // True KPIs of a scheme with three hotspot groups and the rest, 27 referrals in all.
    auto group = [](const std::string& name, double n, double completed, double closed) {
        hotref::referral::Kpis g;
        g.group = name;
        g.referrals = n;
        g.completed = {completed, closed};
        g.not_reoffended = {n - 1, n};
        g.first_time_entrants = {n, n};
        g.youth = {0, n};
        g.median_days_to_completion = 14;
        return g;
    };
    std::vector<hotref::referral::Kpis> kpis{group("scheme", 27, 18, 22), group("H-1", 12, 9, 10),
                                             group("H-2", 9, 6, 8), group("H-3", 4, 2, 3),
                                             group("outside hotspots", 2, 1, 1)};
    const std::string secret(64, 'a');
    hotref::publish::DisclosureRules rules;
    const auto pub = hotref::publish::disclose_kpis(kpis, hotref::publish::Profile::published, rules, secret);
    REQUIRE(pub.size() == kpis.size());
    auto value = [](double v) { return std::isnan(v) ? std::optional<double>{} : std::optional<double>{v}; };
    // Referral threshold 10: published figures within 2 of the truth, at least 10.
    auto known10 = [](std::optional<double> p) -> std::optional<Bounds> {
        if (!p) {
            return std::nullopt;
        }
        return *p == 0 ? Bounds{0, 0} : Bounds{std::max(10.0, *p - 2), *p + 2};
    };
    std::vector<std::optional<double>> parts;
    for (std::size_t g = 1; g < pub.size(); ++g) {
        parts.push_back(value(pub[g].referrals));
    }
    // scheme - visible groups: every withheld group's referrals at least 10 wide.
    const auto t0 = known10(value(pub[0].referrals));
    REQUIRE(t0);
    double vis_lo = 0, vis_hi = 0;
    int hidden = 0;
    for (const auto& p : parts) {
        if (const auto b = known10(p)) {
            vis_lo += b->lo;
            vis_hi += b->hi;
        } else {
            ++hidden;
        }
    }
    REQUIRE(hidden >= 1);
    const double hi = t0->hi - vis_lo;
    const double lo = hidden > 1 ? 0 : std::max(0.0, t0->lo - vis_hi);
    CHECK(hi - lo >= 10);
    // Small groups: no ratio, no median.
    for (const auto& g : pub) {
        if (std::isnan(g.referrals)) {
            CHECK(g.completed.suppressed);
            CHECK(g.median_days_to_completion < 0);
        }
    }
    // --as-of one day later: one more H-1 referral has reoffended. The published figures
    // must leave both "it did" and "it did not" possible.
    auto later = kpis;
    later[0].not_reoffended.numerator -= 1;
    later[1].not_reoffended.numerator -= 1;
    const auto pub2 = hotref::publish::disclose_kpis(later, hotref::publish::Profile::published, rules, secret);
    for (std::size_t g : {std::size_t{0}, std::size_t{1}}) {
        const auto a = pub[g].not_reoffended, b = pub2[g].not_reoffended;
        if (a.suppressed || b.suppressed) {
            continue;
        }
        const double change_lo = (b.numerator - 2) - (a.numerator + 2);
        const double change_hi = (b.numerator + 2) - (a.numerator - 2);
        CHECK(change_lo <= -1);
        CHECK(change_hi >= 0);
    }
    // The same true figures give the same published ones (no averaging over repeated runs).
    const auto again = hotref::publish::disclose_kpis(kpis, hotref::publish::Profile::published, rules, secret);
    CHECK(again[0].referrals == pub[0].referrals);
}

TEST_CASE("privacy: the evaluation's measures come from its published counts only") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    one_year(store);
    hotref::hotspot::run_hotspots(store, gistar_month("2025-01", "2025-06"));
    hotref::evaluate::EvaluateOptions eo;
    eo.date = "2025-07";
    eo.months = 3;
    const auto e = hotref::evaluate::evaluate_run(store, eo);
    const auto p = hotref::publish::disclose_evaluation(e, hotref::publish::Profile::published, {},
                                                        hotref::store::disclosure_secret(store));
    REQUIRE(p.areas.size() == e.areas.size());
    int withheld = 0, noisy = 0;
    for (std::size_t i = 0; i < p.areas.size(); ++i) {
        const auto& a = p.areas[i];
        CAPTURE(a.code);
        const double counts[] = {a.target.before, a.target.after, a.buffer.before,
                                 a.buffer.after,  a.control.before, a.control.after};
        bool all = true;
        for (const double c : counts) {
            all = all && std::isfinite(c);
            CHECK((!std::isfinite(c) || c == 0 || c >= k));
        }
        if (!all) {
            ++withheld;
            // Nothing made from the counts: they cannot be solved back from the measures.
            for (const double m : {a.target_ratio.ratio.estimate, a.irr.estimate, a.tne, a.wdd.wdd, a.wdd.z, a.wdq.wdq}) {
                CHECK_FALSE(std::isfinite(m));
            }
            continue;
        }
        // The rate ratio and WDD are the published counts' own (so they add nothing to them).
        CHECK(a.target_ratio.ratio.estimate == doctest::Approx(a.target.after / a.target.before));
        CHECK(a.wdd.wdd == doctest::Approx(
                               (a.target.after - a.target.before) -
                               (a.control.after - a.control.before) * a.target.before / a.control.before +
                               (a.buffer.after - a.buffer.before) -
                               (a.control.after - a.control.before) * a.buffer.before / a.control.before)
                               .epsilon(1e-6));
        noisy += a.target.before != e.areas[i].target.before ? 1 : 0;
        // Each window against its months.
        std::vector<std::optional<double>> before(a.monthly_target.begin(), a.monthly_target.begin() + 3);
        for (auto& v : before) {
            if (v && std::isnan(*v)) {
                v.reset();
            }
        }
        for (const auto& w : withheld_parts(a.target.before, before)) {
            CHECK(w.hi - w.lo >= k);
        }
    }
    CHECK(noisy > 0);
    MESSAGE("evaluation areas withheld: " << withheld << " of " << p.areas.size());
    // The internal profile is the truth.
    const auto in = hotref::publish::disclose_evaluation(e, hotref::publish::Profile::internal, {}, "");
    CHECK(in.areas.front().target.before == e.areas.front().target.before);
}

namespace {

// A force export: one house (14 Quiet Close) with 12 incidents, three of them at 02:00 on
// Saturdays, and 400 incidents spread over a 6 km square around it (the study area).
void ingest_address_fixture(hotref::store::Store& store, const t::TempDir& tmp) {
    std::string csv = "Incident Ref,Date Reported,Incident Type,NSIR Qualifier,Easting,Northing,Street\n";
    int ref = 0;
    auto add = [&](int day, int month, int hour, double e, double n, const char* street) {
        char line[200];
        std::snprintf(line, sizeof line, "DC-%05d,%02d/%02d/2025 %02d:00,ASB,Nuisance,%.0f,%.0f,%s\n", ref++, day,
                      month, hour, e, n, street);
        csv += line;
    };
    for (int i = 0; i < 12; ++i) {
        add(1 + i * 2, 3, i < 3 ? 2 : 14, 435537, 336461, "14 Quiet Close");
    }
    for (int i = 0; i < 400; ++i) {
        add(1 + i % 28, 3, 12, 432150 + (i % 20) * 300, 333150 + (i / 20) * 300, "Side Road");
    }
    t::write_file(tmp.file("export.csv"), csv);
    hotref::ingest::IngestOptions io;
    io.mapping = hotref::ingest::ExportMapping::from_file(t::data("export/mapping.json"));
    hotref::ingest::Ingester ingester{store, std::move(io)};
    for (const auto& f : hotref::ingest::plan_inputs({tmp.file("export.csv")}, true).files) {
        REQUIRE(ingester.ingest(f).rows_stored == 412);
    }
    t::write_file(tmp.file("area.geojson"),
                  R"({"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:27700"}},
                      "features": [{"type": "Feature", "properties": {"name": "Quiet Close area"},
                      "geometry": {"type": "Polygon", "coordinates": [[[432000, 333000], [438000, 333000],
                      [438000, 339000], [432000, 339000], [432000, 333000]]]}}]})");
}

} // namespace

TEST_CASE("privacy: a force export does not pinpoint an address in any published layer") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    ingest_address_fixture(store, tmp);
    struct Case {
        const char* method;
        double cell;
    };
    std::int64_t found = 0;
    for (const Case c : {Case{"gistar", 10}, Case{"dbscan", 0}, Case{"kde", 10}, Case{"patrol", 0}}) {
        const std::string method = c.method;
        CAPTURE(method);
        hotref::hotspot::HotspotOptions hs;
        hs.area_path = tmp.file("area.geojson");
        hs.cell_size = c.cell;
        hs.method = c.method;
        hs.eps = 30;
        hs.min_pts = 3;
        hs.count = 10;
        const auto run = hotref::hotspot::run_hotspots(store, hs);
        // The analysts' profile finds the house...
        const auto internal = write(store, tmp, std::string{c.method} + "-internal", run.run_id,
                                    hotref::publish::Profile::internal);
        hotref::store::Database idb{internal, false};
        found += idb.query_int("SELECT count(*) FROM hotspots WHERE incidents >= 10");
        // ... the published profile draws nothing finer than 100 m, and no hotspot of one address.
        const auto gpkg = write(store, tmp, c.method, run.run_id);
        hotref::store::Database db{gpkg, false};
        CHECK(db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'hotspot_cells'") ==
              (c.cell >= 100 ? 1 : 0));
        hotref::store::Statement rt{db, "SELECT minx, maxx, miny, maxy FROM rtree_hotspots_geom"};
        while (rt.step()) {
            // Outlines on the 100 m grid (GeoPackage's rtree holds float bounds).
            for (int i = 0; i < 4; ++i) {
                if (std::string{c.method} != "patrol") {
                    const double v = rt.column_double(i);
                    CHECK(std::abs(v / 100 - std::round(v / 100)) < 1e-3);
                }
            }
            CHECK(rt.column_double(1) - rt.column_double(0) >= 99.9);
        }
        // The house's own point is folded into its 100 m square; its free text is nowhere.
        CHECK(db.query_int("SELECT count(*) FROM incidents WHERE street LIKE '%Quiet Close%'") == 0);
        CHECK(db.query_int("SELECT count(*) FROM hotspots WHERE name LIKE '%Quiet Close%'") == 0);
        hotref::store::Statement pt{db, "SELECT minx FROM rtree_incidents_geom"};
        while (pt.step()) {
            CHECK(std::abs(std::fmod(pt.column_double(0), 100.0) - 50) < 1e-2);
        }
        // Every published hotspot holds at least 5 distinct locations: here none can.
        CHECK(db.query_int("SELECT count(*) FROM hotspots WHERE incidents >= 10") == 0);
    }
    CHECK(found >= 2);  // the methods do find the house in the internal profile
}

namespace {

// A run's published Gi* cells on the national lattice (grid origins are multiples of the
// cell size, so two runs with one cell size share their cells): (column, row) from the
// lattice's origin -> the published count (nullopt: withheld); and each hotspot's cells.
struct LatticeCells {
    std::map<std::pair<long, long>, std::optional<double>> count;
    std::map<std::string, std::vector<std::pair<long, long>>> of_hotspot;
    std::map<std::string, std::optional<double>> hotspot_total;
};

std::optional<double> published_real(const hotref::geo::FieldValue& v) {
    if (const auto* d = std::get_if<double>(&v)) {
        return *d;
    }
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        return static_cast<double>(*i);
    }
    return std::nullopt;
}

LatticeCells lattice_cells(hotref::store::Store& store, std::int64_t run_id) {
    const auto run = hotref::store::read_run(store, run_id);
    REQUIRE(run);
    hotref::publish::LoadOptions load;
    load.run_id = run_id;
    const auto model =
        hotref::publish::build_model(store, load, hotref::publish::Profile::published, hotref::publish::DisclosureRules{});
    LatticeCells out;
    const auto* cells = model.find("hotspot_cells");
    const auto* hotspots = model.find("hotspots");
    REQUIRE(cells != nullptr);
    REQUIRE(hotspots != nullptr);
    const long col0 = std::lround(run->origin_x / run->cell_size);
    const long row0 = std::lround(run->origin_y / run->cell_size);
    const int col = cells->field("col"), row = cells->field("row"), count = cells->field("count"),
              hotspot = cells->field("hotspot");
    for (const auto& f : cells->features) {
        const std::pair<long, long> key{col0 + std::get<std::int64_t>(f.values[static_cast<std::size_t>(col)]),
                                        row0 + std::get<std::int64_t>(f.values[static_cast<std::size_t>(row)])};
        out.count[key] = published_real(f.values[static_cast<std::size_t>(count)]);
        if (const auto* code = std::get_if<std::string>(&f.values[static_cast<std::size_t>(hotspot)])) {
            out.of_hotspot[*code].push_back(key);
        }
    }
    const int code = hotspots->field("code"), incidents = hotspots->field("incidents");
    for (const auto& f : hotspots->features) {
        out.hotspot_total[std::get<std::string>(f.values[static_cast<std::size_t>(code)])] =
            published_real(f.values[static_cast<std::size_t>(incidents)]);
    }
    return out;
}

} // namespace

TEST_CASE("privacy: a national run against a force's own run pins no withheld count") {
    // Two forces in their own boxes (hotref-gen --area 0 and 1, 3 km apart): a cell of the
    // force's run holds the same incidents in the national run. The attacker holds both
    // runs' published cells and hotspots: a cell withheld in one run but published in the
    // other is known, and each hotspot's total against its cells, so known, must still
    // leave every withheld cell an interval at least k wide.
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const std::vector<std::string> forces{"Derbyshire Constabulary", "Nottinghamshire Police"};
    for (std::size_t a = 0; a < forces.size(); ++a) {
        const std::string csv = tmp.file("area" + std::to_string(a) + ".csv");
        const std::string cmd = "'" + std::string{HOTREF_GEN} + "' --rows 60000 --points 3000 --months " +
                                "2025-07:2025-12 --area " + std::to_string(a) + " --area-out '" +
                                tmp.file("area" + std::to_string(a) + ".geojson") + "' --seed " +
                                std::to_string(11 + a) + " --force '" + forces[a] + "' --out '" + csv +
                                "' 2>/dev/null";
        REQUIRE(std::system(cmd.c_str()) == 0);
        hotref::ingest::Ingester ingester{store, hotref::ingest::IngestOptions{}};
        for (const auto& f : hotref::ingest::plan_inputs({csv}, false).files) {
            REQUIRE(ingester.ingest(f).status == "stored");
        }
    }
    hotref::hotspot::HotspotOptions own;
    own.force = "Derbyshire";
    own.area_path = tmp.file("area0.geojson");
    own.cell_size = 500;
    // The national run's area: one box around both (so that it leaves no incident out, and a
    // cell of the force's box holds the same records in both runs).
    double w = 180, s = 90, e = -180, n = -90;
    for (int a = 0; a < 2; ++a) {
        std::ifstream in{tmp.file("area" + std::to_string(a) + ".geojson")};
        const auto box = nlohmann::json::parse(in);
        for (const auto& c : box["features"][0]["geometry"]["coordinates"][0]) {
            w = std::min(w, c[0].get<double>());
            e = std::max(e, c[0].get<double>());
            s = std::min(s, c[1].get<double>());
            n = std::max(n, c[1].get<double>());
        }
    }
    {
        std::ofstream out{tmp.file("both.geojson")};
        out << R"({"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":)"
            << R"({"type":"Polygon","coordinates":[[[)" << w << "," << s << "],[" << e << "," << s << "],[" << e << ","
            << n << "],[" << w << "," << n << "],[" << w << "," << s << "]]]}}]}";
    }
    auto national = own;
    national.force = "all";
    national.area_path = tmp.file("both.geojson");
    const auto force_cells = lattice_cells(store, hotref::hotspot::run_hotspots(store, own).run_id);
    const auto national_cells = lattice_cells(store, hotref::hotspot::run_hotspots(store, national).run_id);

    int both = 0, filled = 0, attacked = 0;
    // Where both runs publish a cell, it is the same figure: the same records, the same noise
    // (two noisy copies of one count could be averaged).
    for (const auto& [key, value] : force_cells.count) {
        const auto other = national_cells.count.find(key);
        if (other != national_cells.count.end() && value && other->second) {
            ++both;
            CHECK(*value == *other->second);
        }
    }
    auto attack = [&](const LatticeCells& run, const LatticeCells& with) {
        for (const auto& [code, keys] : run.of_hotspot) {
            const auto total = run.hotspot_total.find(code);
            if (total == run.hotspot_total.end()) {
                continue;  // a hotspot withheld as a whole
            }
            std::vector<std::optional<double>> parts;
            for (const auto& key : keys) {
                auto v = run.count.at(key);
                if (!v) {
                    const auto o = with.count.find(key);
                    if (o != with.count.end() && o->second) {
                        v = o->second;
                        ++filled;
                    }
                }
                parts.push_back(v);
            }
            const auto& hotspot_code = code; // clang 14: no structured binding in CAPTURE's lambda
            CAPTURE(hotspot_code);
            for (const auto& b : withheld_parts(total->second, parts)) {
                ++attacked;
                CHECK(b.hi - b.lo >= k);
            }
        }
    };
    attack(force_cells, national_cells);
    attack(national_cells, force_cells);
    MESSAGE("cells published by both runs: " << both << "; withheld in one and published in the other, inside a "
            "hotspot: " << filled << "; withheld cells attacked: " << attacked);
    CHECK(both > 100);
    CHECK(attacked > 0);  // hotspots with withheld cells, or this proves nothing
}
