// hotref store copy: a store moved between engines keeps every row of every table.
#include "core/error.hpp"
#include "hotspot/pipeline.hpp"
#include "server/auth.hpp"
#include "store/copy.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "util/sha256.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

namespace t = hotref::test;
using t::check_same;
using t::fingerprint;
using hotref::store::Statement;
using hotref::store::ValueKind;


TEST_CASE("store copy: every table, row for row, into a new store and back, and never into a used one") {
    t::TempDir tmp;
    const auto from = tmp.store(); // PostgreSQL in the pg_store suite
    {
        hotref::store::Store store{from, true};
        t::ingest_geodata(store);
        (void)hotref::hotspot::run_hotspots(store, t::force_area_gistar(500));
        (void)hotref::server::create_token(store, "Jo (analyst)", hotref::server::Role::analyst);
    }
    const std::string file = tmp.file("copy.sqlite");
    const auto report = hotref::store::copy_store(from, file);
    CHECK(report.tables.size() == hotref::store::store_tables().size());
    CHECK(report.rows > 100000);
    hotref::store::Store source{from, hotref::store::OpenMode::read_only};
    hotref::store::Store copy{file, hotref::store::OpenMode::read_only};
    const auto original = fingerprint(source);
    CHECK(original.at("hotspot").size() > 5);
    CHECK(original.at("incident").size() > 90000);
    CHECK(original.at("api_token").size() == 1);
    check_same(original, fingerprint(copy));
    CHECK(hotref::store::location_index_consistent(copy));
    // The disclosure key came along, so publications from the copy are the source's.
    CHECK(hotref::store::disclosure_secret(copy) == hotref::store::disclosure_secret(source));
    auto& copy_db = connection(copy);

    // Into a store that holds data: refused, and that store untouched.
    const auto before = copy_db.query_int("SELECT count(*) FROM incident");
    try {
        (void)hotref::store::copy_store(from, file);
        FAIL("copied into a store that holds data");
    } catch (const hotref::StoreError& e) {
        CHECK(std::string{e.what()}.find("is not empty") != std::string::npos);
    }
    CHECK(copy_db.query_int("SELECT count(*) FROM incident") == before);

    // From a store that does not exist: nothing is created.
    const std::string never = tmp.file("never.sqlite");
    CHECK_THROWS_AS(hotref::store::copy_store(tmp.file("missing.sqlite"), never), hotref::StoreError);
    CHECK_FALSE(std::filesystem::exists(never));

    // And on to the other engine (PostgreSQL from the SpatiaLite copy), where one runs here.
    if (t::on_postgres()) {
        t::TempDir second;
        const auto back = second.store();
        (void)hotref::store::copy_store(file, back);
        hotref::store::Store pg{back, hotref::store::OpenMode::read_only};
        check_same(original, fingerprint(pg));
        CHECK(hotref::store::location_index_consistent(pg));
    } else {
        // SpatiaLite to SpatiaLite once more: a copy of the copy is the original.
        const std::string again = tmp.file("again.sqlite");
        (void)hotref::store::copy_store(file, again);
        hotref::store::Store third{again, hotref::store::OpenMode::read_only};
        check_same(original, fingerprint(third));
    }
}

TEST_CASE("store copy: the table list covers every table of a new store") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    auto& db = connection(store);
    std::vector<std::string> tables;
    Statement st{db, db.postgres() ? "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                     "current_schema() AND table_type = 'BASE TABLE' AND table_name <> "
                                     "'spatial_ref_sys'"
                                   : "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE "
                                     "'CREATE VIRTUAL%' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'idx_%' AND name "
                                     "NOT LIKE '%geometry_columns%' AND name NOT LIKE 'spatial_ref_sys%' AND name "
                                     "NOT IN ('spatialite_history', 'sql_statements_log', 'data_licenses', "
                                     "'SpatialIndex', 'ElementaryGeometries', 'KNN', 'KNN2')"};
    while (st.step()) {
        tables.push_back(st.column_text(0));
    }
    auto listed = hotref::store::store_tables();
    std::sort(tables.begin(), tables.end());
    std::sort(listed.begin(), listed.end());
    std::string missing;
    for (const auto& name : tables) {
        if (std::find(listed.begin(), listed.end(), name) == listed.end()) {
            missing += name + " ";
        }
    }
    CHECK_MESSAGE(missing.empty(), "tables hotref store copy does not know: " << missing);
    CHECK(tables == listed);
}

TEST_CASE("store: hotspot runs written by COPY on PostgreSQL equal SpatiaLite's row-by-row inserts") {
    if (!t::on_postgres()) {
        MESSAGE("skipped: compares a PostgreSQL store with a SpatiaLite one (runs in the pg_store suite)");
        return;
    }
    t::TempDir tmp;
    hotref::store::Store pg{tmp.store(), true};
    hotref::store::Store lite{tmp.file("s.sqlite"), true};
    // Every kind of row a run writes: cells with trends (Gi*), lineage (a second run of the
    // series), a raster (KDE), locations with noise (DBSCAN), and patrol hotspots.
    std::vector<hotref::hotspot::HotspotOptions> runs;
    auto gistar = t::force_area_gistar(1000);
    gistar.trends = true;
    gistar.to = "2025-09";
    runs.push_back(gistar);
    gistar.to = "2025-12";
    runs.push_back(gistar);
    auto kde = t::force_area_gistar(500);
    kde.method = "kde";
    runs.push_back(kde);
    auto dbscan = t::force_area_gistar(0);
    dbscan.method = "dbscan";
    runs.push_back(dbscan);
    hotref::hotspot::HotspotOptions patrol;
    patrol.method = "patrol";
    runs.push_back(patrol);
    for (auto* store : {&pg, &lite}) {
        t::ingest_geodata(*store);
        for (const auto& options : runs) {
            (void)hotref::hotspot::run_hotspots(*store, options);
        }
    }
    const std::vector<std::string> tables{"run", "hotspot", "run_cell", "run_location", "hotspot_lineage",
                                          "run_raster"};
    const auto a = fingerprint(pg, tables, {"created_at", "seconds"});
    CHECK(a.at("run").size() == runs.size());
    CHECK(a.at("run_cell").size() > 5000);
    CHECK(a.at("run_location").size() > 1000);
    CHECK(a.at("hotspot_lineage").size() > 0);
    CHECK(!a.at("run_raster").empty());
    check_same(a, fingerprint(lite, tables, {"created_at", "seconds"}));
}
