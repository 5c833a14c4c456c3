#include "store/store.hpp"
#include "core/error.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <chrono>

using hotref::store::Statement;
using hotref::store::Store;

TEST_CASE("store: a new store has the schema, spatial metadata and police.uk categories") {
    hotref::test::TempDir tmp;
    Store store{tmp.store(), true};
    auto& db = connection(store);
    CHECK(db.query_int("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'schema_version'") ==
          hotref::store::schema_version);
    for (const char* table : {"force", "category", "outcome", "location", "feed", "feed_partition", "incident",
                              "reject", "incident_v"}) {
        CAPTURE(table);
        Statement st{db, db.postgres() ? "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND "
                                         "table_schema = current_schema()"
                                       : "SELECT count(*) FROM sqlite_master WHERE name = ?"};
        st.bind(1, table);
        REQUIRE(st.step());
        CHECK(st.column_int(0) == 1);
    }
    // Geometry registered with SpatiaLite in British National Grid, with a spatial index.
    CHECK(db.query_int("SELECT srid FROM geometry_columns WHERE f_table_name = 'location'") == 27700);
    if (db.postgres()) { // PostGIS: a GiST index on the geometry
        CHECK(db.query_int("SELECT count(*) FROM pg_indexes WHERE tablename = 'location' AND indexdef LIKE "
                           "'%USING gist (geom)%'") == 1);
    } else {
        CHECK(db.query_int("SELECT spatial_index_enabled FROM geometry_columns WHERE f_table_name = 'location'") ==
              1);
    }
    CHECK(db.query_int("SELECT count(*) FROM category") == 14);
    CHECK(db.query_int("SELECT is_asb FROM category WHERE slug = 'anti-social-behaviour'") == 1);
    CHECK(db.query_int("SELECT count(*) FROM category WHERE is_asb = 1") == 1);
    CHECK(store.category_id_by_slug("violent-crime") == store.category_id("Violence and sexual offences"));
    // WAL, so readers work while an ingest writes (PostgreSQL's readers never wait for writers).
    if (db.postgres()) {
        return;
    }
    Statement mode{db, "PRAGMA journal_mode"};
    REQUIRE(mode.step());
    CHECK(mode.column_text(0) == "wal");
}

TEST_CASE("store: reopening keeps data and a newer schema is refused") {
    hotref::test::TempDir tmp;
    const auto path = tmp.store();
    {
        Store store{path, true};
        store.force_id("Derbyshire Constabulary");
    }
    {
        Store store{path, false};
        CHECK(connection(store).query_int("SELECT count(*) FROM force") == 1);
        connection(store).exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'");
    }
    CHECK_THROWS_WITH_AS(Store(path, false), doctest::Contains("newer than this hotref understands"),
                         hotref::StoreError);
}

TEST_CASE("store: opening a missing store without create says what to do") {
    hotref::test::TempDir tmp;
    CHECK_THROWS_WITH_AS(Store(tmp.file("none.sqlite"), false), doctest::Contains("run 'hotref ingest' first"),
                         hotref::StoreError);
}

TEST_CASE("store: an SQLite file that is not a hotref store is refused, untouched") {
    hotref::test::TempDir tmp;
    const auto path = tmp.file("other.sqlite");
    {
        hotref::store::Database db{path, true};
        db.exec("CREATE TABLE t (x)");
    }
    CHECK_THROWS_WITH_AS(Store(path, true), doctest::Contains("not a hotref store"), hotref::StoreError);
    hotref::store::Database db{path, false};
    CHECK(db.query_int("SELECT count(*) FROM sqlite_master") == 1);
}

TEST_CASE("store: slugs") {
    CHECK(hotref::store::slug_of("Anti-social behaviour") == "anti-social-behaviour");
    CHECK(hotref::store::slug_of("  Criminal Damage & Arson ") == "criminal-damage-arson");
}

TEST_CASE("store: an interrupt stops a long statement, rolls its transaction back and leaves the connection usable") {
    hotref::test::TempDir tmp;
    Store store{tmp.store(), true}; // PostgreSQL in the pg_store suite
    auto& db = connection(store);
    // A statement that runs for many seconds on either engine.
    const std::string slow = db.postgres() ? "SELECT count(*) FROM generate_series(1, 3000000000)"
                                           : "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                                             "WHERE x < 3000000000) SELECT count(*) FROM c";
    for (int round = 0; round < 2; ++round) { // twice: the second on the connection the first left
        CAPTURE(round);
        const auto start = std::chrono::steady_clock::now();
        const auto elapsed = [&start] {
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        };
        db.set_interrupt([&elapsed] { return elapsed() > 0.3; });
        {
            hotref::store::Transaction tx{db};
            db.exec("INSERT INTO meta (key, value) VALUES ('interrupt-test', 'x')");
            CHECK_THROWS_AS((void)db.query_int(slow), hotref::StoreError);
            CHECK(elapsed() < 5.0);
        }
        db.set_interrupt({});
        CHECK(db.query_int("SELECT count(*) FROM meta WHERE key = 'interrupt-test'") == 0);
    }
    // Cleared: a statement runs to its end however long the old condition says.
    CHECK(db.query_int("SELECT count(*) FROM meta") > 0);
}
