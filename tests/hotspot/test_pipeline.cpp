#include "core/error.hpp"
#include "geo/area.hpp"
#include "hotspot/pipeline.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "store/sqlite.hpp"
#include "store/runs.hpp"
#include "store/store.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>

namespace t = hotref::test;
using hotref::hotspot::HotspotOptions;
using hotref::hotspot::run_hotspots;

TEST_CASE("hotspots: Gi* on the real Derbyshire 2025 ASB data, stored and consistent") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    HotspotOptions opt;
    opt.area_path = t::geodata("derbyshire_force_area.gpkg");
    opt.cell_size = 250;
    const auto s = run_hotspots(store, opt);
    auto& db = connection(store);
    // Every ASB incident stored in the force area is counted once.
    CHECK(s.incidents == db.query_int("SELECT sum(n) FROM incident_v WHERE category = 'Anti-social behaviour'"));
    CHECK(s.period_from == "2025-01");
    CHECK(s.period_to == "2025-12");
    CHECK(s.band == doctest::Approx(250 * std::sqrt(2.0)));
    CHECK(s.neighbours == 9);
    REQUIRE(!s.hotspots.empty());
    // Stored: the run, one row per study cell, the hotspots with valid polygons in BNG.
    CHECK(db.query_int("SELECT count(*) FROM run") == 1);
    CHECK(db.query_int("SELECT count(*) FROM run_cell WHERE run_id = " + std::to_string(s.run_id)) == s.study_cells);
    CHECK(db.query_int("SELECT sum(count) FROM run_cell") == static_cast<std::int64_t>(s.incidents));
    CHECK(db.query_int("SELECT count(*) FROM hotspot") == static_cast<std::int64_t>(s.hotspots.size()));
    CHECK(db.query_int("SELECT count(*) FROM hotspot WHERE ST_IsValid(geom) AND ST_SRID(geom) = 27700") ==
          static_cast<std::int64_t>(s.hotspots.size()));
    // Hotspot figures agree with their cells and with each other.
    const double study_area_m2 = hotref::geo::StudyArea::from_file(opt.area_path).area_m2();
    for (const auto& h : s.hotspots) {
        CAPTURE(h.code);
        const auto cells = db.query_int("SELECT count(*) FROM run_cell c JOIN hotspot h ON h.id = c.hotspot_id "
                                        "WHERE h.code = '" + h.code + "'");
        CHECK(cells == h.cells);
        CHECK(h.area_m2 == doctest::Approx(static_cast<double>(cells) * 250 * 250));
        CHECK(h.share == doctest::Approx(h.incidents / s.incidents));
        CHECK(h.pai == doctest::Approx(h.share / (h.area_m2 / study_area_m2)));
        CHECK(h.confidence >= 95);
        CHECK(h.mean_z > 1.96);
        CHECK(!h.name.empty());
    }
    for (std::size_t i = 1; i < s.hotspots.size(); ++i) {
        CHECK(s.hotspots[i - 1].incidents >= s.hotspots[i].incidents);
        CHECK(s.hotspots[i].rank == static_cast<int>(i + 1));
    }
    // The top hotspot is in Derby city centre (St Peter's Street: E 435,300 N 336,100).
    CHECK(db.query_int("SELECT ST_Contains(geom, MakePoint(435300, 336100, 27700)) FROM hotspot WHERE rank = 1") == 1);
    CHECK(s.hotspots[0].name.find("Derby") != std::string::npos);

    // Asked again with nothing changed: the stored run is the answer.
    const auto same = run_hotspots(store, opt);
    CHECK(same.unchanged);
    CHECK(same.run_id == s.run_id);
    CHECK(db.query_int("SELECT count(*) FROM run") == 1);
    REQUIRE(same.hotspots.size() == s.hotspots.size());
    CHECK(same.hotspots[0].code == s.hotspots[0].code);
    CHECK(same.hotspots[0].incidents == s.hotspots[0].incidents);
    CHECK(same.hot_cells[3] == s.hot_cells[3]);

    // Computed again on purpose: every hotspot keeps its code.
    opt.rerun = true;
    const auto again = run_hotspots(store, opt);
    CHECK_FALSE(again.unchanged);
    REQUIRE(again.hotspots.size() == s.hotspots.size());
    for (std::size_t i = 0; i < s.hotspots.size(); ++i) {
        CHECK(again.hotspots[i].code == s.hotspots[i].code);
    }
    CHECK(again.previous_run == s.run_id);
    CHECK(again.lineage_counts.at("continues") == static_cast<int>(s.hotspots.size()));
    CHECK(again.lineage_counts.count("new") == 0);
}

TEST_CASE("hotspots: parameters are checked against each other and the data") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    HotspotOptions opt;
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("run 'hotref ingest' first"), hotref::Error);
    t::ingest_geodata(store);
    opt.cell_size = 500;
    opt.band = 300;
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("is smaller than a cell"), hotref::UsageError);
    opt.band = 0;
    opt.from = "2026-01";
    opt.to = "2026-03";
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("no months stored between 2026-01 and 2026-03"),
                         hotref::Error);
    opt.from = "2025-03";
    opt.to = "2025-01";
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("ends (2025-01) before it starts"),
                         hotref::UsageError);
    opt.from = "2025-01-01";
    opt.to = "2025-01-31";
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("dates need incident times"), hotref::UsageError);
    opt.from = "2025-02-30";
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("bad period bound '2025-02-30'"),
                         hotref::UsageError);
    opt.from = opt.to = "";
    opt.categories = "Bicycle theft";
    opt.area_path = t::geodata("derbyshire_force_area.gpkg");
    opt.cell_size = 20000;
    opt.categories = "Nonsense";
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("unknown category 'Nonsense'"),
                         hotref::UsageError);
    opt.categories = "asb";
    opt.from = opt.to = "2025-01";
    opt.cell_size = 0;
    opt.source = "force-export";
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("no incidents from source 'force-export'"),
                         hotref::UsageError);
}

TEST_CASE("hotspots: too few incidents is said, not analysed") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    hotref::ingest::Ingester ingester{store, {}};
    for (const auto& f : hotref::ingest::plan_inputs({t::data("policeuk/2025-01-small-street.csv")}, false).files) {
        ingester.ingest(f);
    }
    CHECK_THROWS_WITH_AS(run_hotspots(store, HotspotOptions{}), doctest::Contains("too few incidents for Gi*"),
                         hotref::Error);
}

TEST_CASE("hotspots: KDE and DBSCAN on the real data") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto& db = connection(store);

    HotspotOptions kde;
    kde.method = "kde";
    kde.area_path = t::geodata("derbyshire_force_area.gpkg");
    kde.cell_size = 100;
    kde.bandwidth = 400;
    kde.geotiff = tmp.file("kde.tif");
    const auto k = run_hotspots(store, kde);
    REQUIRE(!k.hotspots.empty());
    CHECK(k.kernel == "quartic");
    CHECK(k.threshold_density > 0);
    for (const auto& h : k.hotspots) {
        CHECK(h.peak_density >= k.threshold_density);
        CHECK(std::isnan(h.mean_z));
    }
    // The stored surface integrates to the incidents inside the area, less what spills over its edge.
    const auto raster = hotref::store::read_raster(store, k.run_id, "density_km2");
    REQUIRE(raster);
    double integral = 0;
    for (const float v : raster->values) {
        integral += std::isnan(v) ? 0.0 : static_cast<double>(v) * 0.01; // per km2 x 0.01 km2 per 100 m cell
    }
    CHECK(integral <= k.incidents * 1.0001);
    CHECK(integral >= k.incidents * 0.97);
    // The raw surface is the scaled one without the kernel constant 3 / (pi h^2), per m2.
    const auto raw = hotref::store::read_raster(store, k.run_id, "raw");
    REQUIRE(raw);
    const double scale_km2 = 3.0 / (3.14159265358979 * 400 * 400) * 1e6;
    for (std::size_t i = 0; i < raw->values.size(); i += 997) {
        if (!std::isnan(raw->values[i])) {
            REQUIRE(raster->values[i] == doctest::Approx(raw->values[i] * scale_km2).epsilon(1e-5));
        }
    }
    // Cells are stored where hot only, each at or above the threshold.
    CHECK(db.query_int("SELECT count(*) FROM run_cell WHERE run_id = " + std::to_string(k.run_id) +
                       " AND (bin != 1 OR density < " + std::to_string(k.threshold_density * 0.999) + ")") == 0);
    CHECK(t::read_file(kde.geotiff).substr(0, 2) == "II"); // a little-endian TIFF
    CHECK(db.query_int("SELECT count(*) FROM hotspot WHERE run_id = " + std::to_string(k.run_id) +
                       " AND ST_IsValid(geom)") == static_cast<std::int64_t>(k.hotspots.size()));

    HotspotOptions db_opt;
    db_opt.method = "dbscan";
    db_opt.area_path = t::geodata("derbyshire_force_area.gpkg");
    db_opt.eps = 100;
    db_opt.min_pts = 15;
    const auto d = run_hotspots(store, db_opt);
    CHECK(d.clusters == static_cast<int>(d.hotspots.size()));
    double clustered = 0;
    for (const auto& h : d.hotspots) {
        clustered += h.incidents;
    }
    // Every cluster has a core location (border locations join the nearest core's cluster,
    // so a cluster may hold fewer than minPts incidents itself).
    CHECK(db.query_int("SELECT count(*) FROM hotspot h WHERE h.run_id = " + std::to_string(d.run_id) +
                       " AND NOT EXISTS (SELECT 1 FROM run_location rl WHERE rl.hotspot_id = h.id AND rl.core = 1)") ==
          0);
    CHECK(clustered + d.noise == doctest::Approx(d.incidents));
    CHECK(db.query_int("SELECT count(*) FROM run_location WHERE run_id = " + std::to_string(d.run_id)) == d.locations);
    CHECK(db.query_int("SELECT CAST(sum(incidents) AS INTEGER) FROM run_location WHERE hotspot_id IS NOT NULL AND "
                       "run_id = " + std::to_string(d.run_id)) == static_cast<std::int64_t>(clustered));
    // Each cluster's polygon holds all its locations.
    CHECK(db.query_int("SELECT count(*) FROM run_location rl JOIN hotspot h ON h.id = rl.hotspot_id "
                       "JOIN location l ON l.id = rl.location_id WHERE rl.run_id = " + std::to_string(d.run_id) +
                       " AND NOT ST_Covers(h.geom, l.geom)") == 0);
    // Series are separate: DBSCAN's codes start at H-0001 too.
    CHECK(d.hotspots.front().code == "H-0001");

    db_opt.min_pts = 0;
    CHECK_THROWS_AS(run_hotspots(store, db_opt), hotref::UsageError);
    kde.bandwidth = 50;
    CHECK_THROWS_WITH_AS(run_hotspots(store, kde), doctest::Contains("is smaller than a cell"), hotref::UsageError);
}

TEST_CASE("hotspots: monthly trends on the real data") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    HotspotOptions opt;
    opt.area_path = t::geodata("derbyshire_force_area.gpkg");
    opt.cell_size = 250;
    opt.trends = true;
    const auto s = run_hotspots(store, opt);
    CHECK(s.trend_months == 12);
    auto& db = connection(store);
    CHECK(db.query_int("SELECT count(*) FROM run_cell WHERE trend IS NULL OR trend_class IS NULL") == 0);
    CHECK(db.query_int("SELECT count(*) FROM run_cell WHERE mk_p < 0 OR mk_p > 1") == 0);
    for (const auto& h : s.hotspots) {
        CHECK(!h.trend.empty());
        CHECK(!h.trend_class.empty());
    }
    // Derby city centre is hot in every month of 2025.
    CHECK(s.hotspots.front().trend == "persistent hot spot");
    CHECK(s.hotspots.front().trend_class == "persistent hotspot");
    opt.method = "kde";
    CHECK_THROWS_AS(run_hotspots(store, opt), hotref::UsageError);
    opt.method = "gistar";
    opt.from = "2025-01";
    opt.to = "2025-02";
    CHECK_THROWS_WITH_AS(run_hotspots(store, opt), doctest::Contains("trends need at least 3 months"),
                         hotref::UsageError);
}

TEST_CASE("hotspots: a period in dates where the source has times (force export)") {
    t::TempDir tmp;
    // 300 ASB incidents over March 2025, one every 2.4 hours, around two town centres.
    std::string csv = "Incident Ref,Date Reported,Incident Type,NSIR Qualifier,Easting,Northing,Street\n";
    int in_first_half = 0;
    for (int i = 0; i < 300; ++i) {
        const int day = 1 + (i * 24 / 10) / 24;
        const int hour = (i * 24 / 10) % 24;
        const bool derby = i % 3 != 0;
        const double e = (derby ? 435200 : 438500) + (i % 7) * 15.0;
        const double n = (derby ? 336200 : 371000) + (i % 5) * 15.0;
        char line[160];
        std::snprintf(line, sizeof line, "DC-%05d,%02d/03/2025 %02d:00,ASB,Nuisance,%.0f,%.0f,%s\n", i, day, hour, e, n,
                      derby ? "Albert Street" : "Knifesmithgate");
        csv += line;
        in_first_half += day <= 15 ? 1 : 0;
    }
    // Background: quieter streets around.
    for (int i = 0; i < 200; ++i) {
        char line[160];
        std::snprintf(line, sizeof line, "BG-%05d,%02d/03/2025 12:00,ASB,Personal,%d,%d,Side Road\n", i, 1 + i % 28,
                      420000 + (i * 7919) % 30000, 330000 + (i * 104729) % 45000);
        csv += line;
        in_first_half += (1 + i % 28) <= 15 ? 1 : 0;
    }
    t::write_file(tmp.file("export.csv"), csv);
    hotref::store::Store store{tmp.store(), true};
    hotref::ingest::IngestOptions io;
    io.mapping = hotref::ingest::ExportMapping::from_file(t::data("export/mapping.json"));
    hotref::ingest::Ingester ingester{store, std::move(io)};
    for (const auto& f : hotref::ingest::plan_inputs({tmp.file("export.csv")}, true).files) {
        REQUIRE(ingester.ingest(f).rows_stored == 500);
    }
    HotspotOptions opt;
    opt.cell_size = 250;
    opt.from = "2025-03-01";
    opt.to = "2025-03-15";
    const auto s = run_hotspots(store, opt);
    CHECK(s.source == "force-export");
    // Every incident of the days is read: inside the derived force area, or counted outside it.
    CHECK(s.incidents + s.incidents_outside == in_first_half);
    REQUIRE(!s.hotspots.empty());
    CHECK(s.hotspots.front().name.find("Albert Street") == 0);
    // Months work too, and dates are refused where the source has none.
    opt.from = opt.to = "2025-03";
    const auto month = run_hotspots(store, opt);
    CHECK(month.incidents + month.incidents_outside == 500);
}

TEST_CASE("hotspots: a run without hotspots does not retire the codes; category order does not matter") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    HotspotOptions opt;
    opt.area_path = t::geodata("derbyshire_force_area.gpkg");
    opt.cell_size = 250;
    opt.categories = "Anti-social behaviour,Public order";
    const auto first = run_hotspots(store, opt);
    REQUIRE(!first.hotspots.empty());
    // Too strict to find anything (permutation p cannot pass FDR with 9 permutations).
    opt.permutations = 9;
    const auto none = run_hotspots(store, opt);
    CHECK(none.hotspots.empty());
    // The next run carries the codes over from the last run that had hotspots, whatever the order of categories.
    opt.permutations = 0;
    opt.rerun = true;
    opt.categories = "public-order, anti-social-behaviour";
    const auto again = run_hotspots(store, opt);
    CHECK(again.previous_run == first.run_id);
    CHECK(again.hotspots.front().code == first.hotspots.front().code);
    CHECK(again.lineage_counts.count("new") == 0);

    HotspotOptions bad;
    bad.geotiff = tmp.file("x.tif");
    CHECK_THROWS_WITH_AS(run_hotspots(store, bad), doctest::Contains("use it with --method kde"), hotref::UsageError);
    bad.geotiff.clear();
    bad.from = "2026-01";
    CHECK_THROWS_WITH_AS(run_hotspots(store, bad), doctest::Contains("nothing stored from 2026-01 on"), hotref::Error);
}

TEST_CASE("hotspots: patrol on the real Derbyshire data: K hotspots within the cap, counted, coded from run to run") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    HotspotOptions opt;
    opt.method = "patrol";
    opt.area_path = t::geodata("derbyshire_force_area.gpkg");
    opt.from = "2025-01";
    opt.to = "2025-09";
    const auto s = run_hotspots(store, opt);
    auto& db = connection(store);
    REQUIRE(s.hotspots.size() == 20);
    const auto rid = std::to_string(s.run_id);
    CHECK(db.query_int("SELECT count(*) FROM hotspot WHERE run_id = " + rid + " AND ST_IsValid(geom) AND "
                       "ST_SRID(geom) = 27700 AND ST_Area(geom) <= 250000.001") == 20);
    // No two hotspots overlap.
    CHECK(db.query_int("SELECT count(*) FROM hotspot a JOIN hotspot b ON a.run_id = b.run_id AND a.id < b.id WHERE "
                       "a.run_id = " + rid + " AND ST_Area(ST_Intersection(a.geom, b.geom)) > 0") == 0);
    double previous = 1e300;
    for (const auto& h : s.hotspots) {
        CAPTURE(h.code);
        CHECK(h.area_m2 <= 250000);
        CHECK(h.expected <= previous);
        previous = h.expected;
        // The incidents inside, counted independently by SpatiaLite (half-open 50 m cells:
        // a point on the boundary counts in one cell only, so count the points strictly inside
        // a polygon shrunk by 1 mm and those on the boundary apart).
        const auto inside = db.query_int(
            "SELECT coalesce(sum(i.n), 0) FROM incident_v i, hotspot h WHERE h.run_id = " + rid + " AND h.code = '" +
            h.code + "' AND i.category = 'Anti-social behaviour' AND i.month BETWEEN '2025-01' AND '2025-09' AND "
            "i.source = 'police.uk' AND ST_Covers(h.geom, MakePoint(i.easting, i.northing, 27700))");
        CHECK(static_cast<double>(inside) >= h.incidents);
        CHECK(static_cast<double>(inside) <= h.incidents + 5); // only points exactly on a shared cell edge differ
        CHECK(h.share == doctest::Approx(h.incidents / s.incidents));
        CHECK(!h.name.empty());
        CHECK((h.confidence == 0 || h.confidence >= 90));
    }
    // The top hotspot's expected rate is the recency-weighted monthly mean of its locations, by hand.
    {
        const auto& top = s.hotspots.front();
        hotref::store::Statement st{db, "SELECT i.month, sum(i.n) FROM incident_v i, hotspot h WHERE h.run_id = " +
                                            rid + " AND h.code = '" + top.code +
                                            "' AND i.category = 'Anti-social behaviour' AND i.month BETWEEN '2025-01' "
                                            "AND '2025-09' AND ST_Covers(h.geom, MakePoint(i.easting, i.northing, "
                                            "27700)) GROUP BY i.month"};
        double num = 0, den = 0;
        std::map<std::string, double> by_month;
        while (st.step()) {
            by_month[st.column_text(0)] = st.column_double(1);
        }
        for (int m = 1; m <= 9; ++m) {
            const double w = std::exp2(-(9.0 - m) / 6.0);
            char key[8];
            std::snprintf(key, sizeof key, "2025-%02d", m);
            num += w * by_month[key];
            den += w;
        }
        CHECK(top.expected == doctest::Approx(num / den).epsilon(0.02));
    }
    // The same request again is the same stored run, not a new computation.
    const auto again = run_hotspots(store, opt);
    CHECK(again.unchanged);
    CHECK(again.run_id == s.run_id);
    // One month more: most codes carry over, and the codes name the same places.
    opt.to = "2025-10";
    const auto next = run_hotspots(store, opt);
    REQUIRE(next.hotspots.size() == 20);
    int kept = 0;
    for (const auto& h : next.hotspots) {
        for (const auto& p : s.hotspots) {
            kept += h.code == p.code ? 1 : 0;
        }
    }
    CHECK(kept >= 15);
    CHECK(next.lineage_counts.count("continues") == 1);
    // Downstream commands use the current patrol run.
    CHECK(hotref::store::default_run_id(store) == next.run_id);
    // Bad patrol options are usage errors that name the option.
    HotspotOptions bad = opt;
    bad.count = 0;
    CHECK_THROWS_WITH_AS(run_hotspots(store, bad), doctest::Contains("--count"), hotref::UsageError);
    bad = opt;
    bad.cell_size = 250;
    CHECK_THROWS_WITH_AS(run_hotspots(store, bad), doctest::Contains("--cell-size"), hotref::UsageError);
}

TEST_CASE("hotspots: Gi* hotspots larger than the cap are reported, and --max-area splits them") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto opt = t::force_area_gistar(250);
    const auto whole = run_hotspots(store, opt);
    REQUIRE(whole.oversized > 0);
    double largest = 0;
    for (const auto& h : whole.hotspots) {
        largest = std::max(largest, h.area_m2);
    }
    CHECK(whole.largest_km2 == doctest::Approx(largest / 1e6));
    opt.max_area_km2 = 0.25;
    const auto split = run_hotspots(store, opt);
    CHECK(split.oversized == 0);
    REQUIRE(split.hotspots.size() > whole.hotspots.size());
    double total_split = 0, total_whole = 0;
    for (const auto& h : split.hotspots) {
        CHECK(h.area_m2 <= 250000 + 1e-3);
        total_split += h.incidents;
    }
    for (const auto& h : whole.hotspots) {
        total_whole += h.incidents;
    }
    // The pieces hold the incidents of the hotspots they came from, no more.
    CHECK(total_split <= total_whole + 1e-9);
    CHECK(total_split > 0.8 * total_whole);
    CHECK(connection(store).query_int("SELECT count(*) FROM hotspot WHERE run_id = " + std::to_string(split.run_id) +
                                      " AND ST_IsValid(geom)") == static_cast<std::int64_t>(split.hotspots.size()));
}

TEST_CASE("hotspots: without --area the study area is the force's districts, and stray points far away change nothing") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    {
        // Everything stored, strays included (no area at ingest), as a new user would.
        hotref::ingest::Ingester ingester{store, hotref::ingest::IngestOptions{}};
        for (const auto& f : hotref::ingest::plan_inputs({t::geodata("police-uk/derbyshire-2025")}, false).files) {
            REQUIRE(ingester.ingest(f).status == "stored");
        }
        // Ten ASB rows in December 2024 in Margate and Truro, 200-300 km away.
        for (const auto& f : hotref::ingest::plan_inputs({t::data("policeuk/2024-12-strays-street.csv")}, false).files) {
            REQUIRE(ingester.ingest(f).status == "stored");
        }
    }
    HotspotOptions opt;
    opt.method = "gistar";
    opt.cell_size = 250;
    opt.from = "2025-01";
    const auto clean = run_hotspots(store, opt);
    opt.from = "2024-12";
    const auto strays = run_hotspots(store, opt);
    // The same grid: the nine Derbyshire districts, not a box reaching Cornwall and Kent.
    CHECK(strays.columns == clean.columns);
    CHECK(strays.rows == clean.rows);
    CHECK(strays.study_cells == clean.study_cells);
    CHECK(clean.area.find("Derbyshire") != std::string::npos);
    const double force_km2 = hotref::geo::StudyArea::from_file(t::geodata("derbyshire_force_area.gpkg")).area_m2() / 1e6;
    CHECK(static_cast<double>(clean.study_cells) * 0.0625 == doctest::Approx(force_km2).epsilon(0.05));
    // The strays are reported: two more locations, the farthest over 200 km away, ten more incidents left out.
    CHECK(strays.stray_points == clean.stray_points + 2);
    CHECK(strays.stray_km > 200);
    CHECK(strays.incidents_outside == doctest::Approx(clean.incidents_outside + 10));
    bool said = false;
    for (const auto& n : strays.notes) {
        said = said || n.find("lie outside the study area") != std::string::npos;
    }
    CHECK(said);
    // Patrol runs use the same area.
    HotspotOptions patrol;
    patrol.from = "2024-12";
    patrol.method = "patrol";
    const auto p = run_hotspots(store, patrol);
    CHECK(p.area == strays.area);
    CHECK(p.hotspots.size() == 20);
}
