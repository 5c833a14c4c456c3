// Many new locations at once: the bulk location path (store::LocationBatch) indexes every
// point, a bounding-box search through the index finds exactly the points a plain
// coordinate filter finds, and the store equals the one SpatiaLite's own row-by-row
// triggers (or PostgreSQL's row inserts) build from the same file.
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <string>

namespace t = hotref::test;

namespace {

// 100,000 generated rows over three months drawn from 200,000 map points (about 52,000 distinct locations), a third of them new in
// the second or third month, as one file.
std::string generated_file(const t::TempDir& tmp) {
    const std::string out = tmp.file("g100k.csv");
    const std::string cmd = "'" + std::string{HOTREF_GEN} +
                            "' --rows 100000 --points 200000 --growth 0.3 --months 2025-01:2025-03 --out '" + out +
                            "' 2>/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return out;
}

hotref::ingest::FileReport ingest(hotref::store::Store& store, const std::string& path, bool bulk) {
    hotref::ingest::IngestOptions options;
    options.bulk_locations = bulk;
    hotref::ingest::Ingester ingester{store, std::move(options)};
    const auto plan = hotref::ingest::plan_inputs({path}, false);
    REQUIRE(plan.files.size() == 1);
    return ingester.ingest(plan.files.front());
}

// Locations in the box: {found through the spatial index, then kept if inside the box;
// inside the box by their stored coordinates}. The index's boxes are single precision and
// rounded outwards, so it is a filter that may give a point just outside too, never miss one.
std::pair<std::int64_t, std::int64_t> in_box(hotref::store::Store& store, double x0, double y0, double x1,
                                             double y1) {
    auto& db = hotref::store::connection(store);
    const auto n = [](double v) { return std::to_string(v); };
    const std::string box = n(x0) + ", " + n(y0) + ", " + n(x1) + ", " + n(y1);
    const std::string inside =
        "easting BETWEEN " + n(x0) + " AND " + n(x1) + " AND northing BETWEEN " + n(y0) + " AND " + n(y1);
    const std::string by_index =
        db.postgres() ? "SELECT count(*) FROM location WHERE geom && ST_MakeEnvelope(" + box + ", 27700) AND " + inside
                      : "SELECT count(*) FROM location WHERE ROWID IN (SELECT ROWID FROM SpatialIndex WHERE "
                        "f_table_name = 'location' AND f_geometry_column = 'geom' AND search_frame = BuildMbr(" +
                            box + ", 27700)) AND " + inside;
    return {db.query_int(by_index), db.query_int("SELECT count(*) FROM location WHERE " + inside)};
}

} // namespace

TEST_CASE("bulk locations: 100k rows at 50k locations, every point in the spatial index, the same store as row by row") {
    t::TempDir data;
    const std::string file = generated_file(data);

    t::TempDir bulk_dir;
    hotref::store::Store bulk{bulk_dir.store(), true};
    const auto report = ingest(bulk, file, true);
    REQUIRE(report.status == "stored");
    CHECK(report.rows_stored == 100000);
    auto& db = hotref::store::connection(bulk);
    const auto locations = db.query_int("SELECT count(*) FROM location");
    CHECK(report.locations_added == locations);
    CHECK(locations > 50000); // the busiest points take most rows (Zipf), about 52k distinct
    if (!db.postgres()) {
        CHECK(db.query_int("SELECT count(*) FROM idx_location_geom") == locations);
    }
    CHECK(hotref::store::location_index_consistent(bulk));

    // Whole extent, and boxes around parts of it, including one with nothing in it.
    const double x0 = static_cast<double>(db.query_int("SELECT CAST(min(easting) AS INTEGER) FROM location")) - 1;
    const double y0 = static_cast<double>(db.query_int("SELECT CAST(min(northing) AS INTEGER) FROM location")) - 1;
    const double x1 = static_cast<double>(db.query_int("SELECT CAST(max(easting) AS INTEGER) FROM location")) + 1;
    const double y1 = static_cast<double>(db.query_int("SELECT CAST(max(northing) AS INTEGER) FROM location")) + 1;
    const auto all = in_box(bulk, x0, y0, x1, y1);
    CHECK(all.first == locations);
    CHECK(all.second == locations);
    const double w = (x1 - x0) / 7;
    const double h = (y1 - y0) / 5;
    std::int64_t found = 0;
    for (int i = 0; i < 7; ++i) {
        for (int j = 0; j < 5; ++j) {
            const auto part = in_box(bulk, x0 + i * w + 0.25, y0 + j * h + 0.25, x0 + (i + 1) * w - 0.25,
                                     y0 + (j + 1) * h - 0.25);
            CHECK(part.first == part.second);
            found += part.first;
        }
    }
    CHECK(found > locations * 9 / 10); // the boxes leave thin gaps between them
    const auto empty = in_box(bulk, x1 + 10, y1 + 10, x1 + 1000, y1 + 1000);
    CHECK(empty.first == 0);

    t::TempDir row_dir;
    hotref::store::Store rows{row_dir.store(), true};
    const auto row_report = ingest(rows, file, false);
    REQUIRE(row_report.status == "stored");
    CHECK(row_report.locations_added == report.locations_added);
    CHECK(hotref::store::location_index_consistent(rows));
    const std::vector<std::string> tables = {"force", "category", "outcome", "location", "feed_partition", "incident", "reject"};
    t::check_same(t::fingerprint(bulk, tables), t::fingerprint(rows, tables));
    if (!db.postgres()) {
        CHECK(hotref::store::connection(rows).query_int("SELECT count(*) FROM idx_location_geom") == locations);
    }
}
