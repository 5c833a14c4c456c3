#include "core/error.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

using hotref::ingest::FileReport;
using hotref::ingest::Ingester;
using hotref::ingest::IngestOptions;
using hotref::store::Statement;
using hotref::store::Store;
namespace t = hotref::test;

namespace {

bool ingester_is_export(const IngestOptions& o) {
    return o.mapping.has_value();
}

FileReport ingest_one(Store& store, const std::string& path, IngestOptions options = {}) {
    const bool is_export = ingester_is_export(options);
    Ingester ingester{store, std::move(options)};
    const auto plan = hotref::ingest::plan_inputs({path}, is_export);
    REQUIRE(plan.files.size() == 1);
    return ingester.ingest(plan.files.front());
}

// One line per stored source row (expanded by n), sorted: the store's content
// as an analyst would read it, independent of ids and storage order.
std::vector<std::string> dump(Store& store) {
    Statement st{connection(store), "SELECT month, source, force, falls_within, category, coalesce(outcome, ''), "
                                    "coalesce(crime_id, ''), coalesce(occurred_at, ''), coalesce(nsir, ''), "
                                    "coalesce(reference, ''), coalesce(street, ''), coalesce(lsoa_code, ''), "
                                    "lon, lat, easting, northing, n FROM incident_v"};
    std::vector<std::string> out;
    while (st.step()) {
        std::string line;
        for (int c = 0; c < 12; ++c) {
            line += st.column_text(c) + "|";
        }
        char where[96];
        std::snprintf(where, sizeof where, "%.6f %.6f %.1f %.1f|", st.column_double(12), st.column_double(13),
                      st.column_double(14), st.column_double(15));
        line += where;
        for (std::int64_t k = 0; k < st.column_int(16); ++k) {
            out.push_back(line);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::int64_t count(Store& store, const std::string& sql) {
    return connection(store).query_int(sql);
}

} // namespace

TEST_CASE("ingest: a data.police.uk street CSV keeps every field, one location per snap point") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    const auto r = ingest_one(store, t::data("policeuk/2025-01-small-street.csv"));
    CHECK(r.status == "stored");
    CHECK(r.rows_read == 5);
    CHECK(r.rows_stored == 5);
    CHECK(r.rows_rejected == 0);
    CHECK(r.sha256.size() == 64);
    CHECK(r.partitions == std::vector<std::string>{"police.uk | Derbyshire Constabulary | 2025-01"});
    CHECK(count(store, "SELECT sum(n) FROM incident") == 5);
    // The two identical ASB rows at Prospect Street are one record with n = 2.
    CHECK(count(store, "SELECT count(*) FROM incident") == 4);
    CHECK(count(store, "SELECT n FROM incident_v WHERE street = 'On or near Prospect Street'") == 2);
    CHECK(count(store, "SELECT count(*) FROM location") == 4);
    // Crime ID, outcome, LSOA and the quoted location with a comma and doubled quotes.
    Statement st{connection(store), "SELECT crime_id, outcome, street, lsoa_code, lsoa_name FROM incident_v "
                                    "WHERE crime_id LIKE 'bd1b%'"};
    REQUIRE(st.step());
    CHECK(st.column_text(0) == "bd1b7c3f31f2372f2e76aa3ce16c43368d1065ec730f27ed251defebbf81699f");
    CHECK(st.column_text(1) == "Investigation complete; no suspect identified");
    CHECK(st.column_text(2) == "On or near Mansfield Road, \"The Cross\"");
    CHECK(st.column_text(3) == "E01019400");
    CHECK(st.column_text(4) == "Amber Valley 001A");
    // Geometry in British National Grid (Ripley, Amber Valley: about E 441700, N 355600).
    CHECK(count(store, "SELECT count(*) FROM location WHERE ST_SRID(geom) = 27700 AND "
                       "ST_X(geom) BETWEEN 440000 AND 443000 AND ST_Y(geom) BETWEEN 354000 AND 357500") == 4);
    CHECK(count(store, "SELECT count(*) FROM feed WHERE status = 'stored' AND rows_stored = 5") == 1);
}

TEST_CASE("ingest: a BOM and CRLF line ends give the same store content") {
    t::TempDir tmp;
    Store a{tmp.file("a.sqlite"), true};
    Store b{tmp.file("b.sqlite"), true};
    ingest_one(a, t::data("policeuk/2025-01-small-street.csv"));
    const auto r = ingest_one(b, t::data("policeuk/2025-01-bom-crlf-street.csv"));
    CHECK(r.rows_stored == 5);
    CHECK(dump(a) == dump(b));
}

TEST_CASE("ingest: re-ingesting an identical file changes nothing") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    ingest_one(store, t::data("policeuk/2025-01-small-street.csv"));
    const auto before = dump(store);
    const auto feeds = count(store, "SELECT count(*) FROM feed");
    // What was written since: SQLite's data_version; on PostgreSQL, the newest row version
    // (xmin) and the row count of every table an ingest writes.
    const auto version = [&] {
        if (!connection(store).postgres()) {
            return std::to_string(count(store, "PRAGMA data_version"));
        }
        std::string v;
        for (const char* table : {"feed", "feed_partition", "incident", "location", "reject"}) {
            v += std::to_string(count(store, std::string{"SELECT coalesce(max(xmin::text::bigint), 0) * 1000000 + "
                                                         "count(*) FROM "} + table)) + " ";
        }
        return v;
    };
    const auto changes = version();
    const auto r = ingest_one(store, t::data("policeuk/2025-01-small-street.csv"));
    CHECK(r.status == "unchanged");
    CHECK(r.rows_stored == 0);
    CHECK(dump(store) == before);
    CHECK(count(store, "SELECT count(*) FROM feed") == feeds);
    CHECK(count(store, "SELECT max(id) FROM feed") == feeds);
    CHECK(version() == changes);
}

TEST_CASE("ingest: a new version of a (force, month) replaces that partition only") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    ingest_one(store, t::data("policeuk/2025-01-small-street.csv"));
    ingest_one(store, t::data("policeuk/2025-02-small-street.csv"));
    CHECK(count(store, "SELECT sum(n) FROM incident_v WHERE month = '2025-01'") == 5);
    const auto r = ingest_one(store, t::data("policeuk/2025-01-small-v2-street.csv"));
    CHECK(r.status == "stored");
    CHECK(r.partitions_replaced == 1);
    CHECK(count(store, "SELECT sum(n) FROM incident_v WHERE month = '2025-01'") == 3);
    CHECK(count(store, "SELECT sum(n) FROM incident_v WHERE month = '2025-02'") == 2);
    CHECK(count(store, "SELECT count(*) FROM incident_v WHERE month = '2025-01' AND outcome = 'Local resolution'") ==
          1);
    CHECK(count(store, "SELECT count(*) FROM feed_partition") == 2);
    CHECK(count(store, "SELECT rows FROM feed_partition WHERE month = '2025-01'") == 3);
    // The old version again is a new version too: it takes the partition back.
    const auto back = ingest_one(store, t::data("policeuk/2025-01-small-street.csv"));
    CHECK(back.status == "stored");
    CHECK(count(store, "SELECT sum(n) FROM incident_v WHERE month = '2025-01'") == 5);
}

TEST_CASE("ingest: malformed rows are rejected with line and reason, the rest is stored") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    const auto r = ingest_one(store, t::data("policeuk/2025-03-malformed-street.csv"));
    CHECK(r.status == "stored");
    CHECK(r.rows_read == 8);
    CHECK(r.rows_stored == 2);
    CHECK(r.rows_rejected == 6);
    Statement st{connection(store), "SELECT line, coalesce(field, ''), code, reason FROM reject ORDER BY line"};
    std::vector<std::string> got;
    while (st.step()) {
        got.push_back(std::to_string(st.column_int(0)) + " " + st.column_text(1) + " " + st.column_text(2) + " " +
                      st.column_text(3));
    }
    const std::vector<std::string> expected{
        "3 Longitude bad_number Longitude '-1.37x978' is not a number",
        "4  column_count expected 12 columns, found 11",
        "5 Month bad_month bad month '2025-13' (expected YYYY-MM)",
        "6 Longitude no_coordinates no coordinates (Longitude or Latitude is empty)",
        "7 Longitude,Latitude zero_coordinates coordinates are (0, 0): a placeholder, not a place",
        "8 Longitude,Latitude outside_area outside England and Wales (easting 719174, northing -106801)",
    };
    CHECK(got == expected);
    CHECK(r.rejects_by_code.at("outside_area") == 1);
}

TEST_CASE("ingest: a wrong header stores nothing and names the missing columns") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    const auto r = ingest_one(store, t::data("policeuk/bad-header-street.csv"));
    CHECK(r.status == "failed");
    CHECK(r.message == t::data("policeuk/bad-header-street.csv") +
                           ": line 1: not a data.police.uk street-level CSV header; missing column(s) 'Longitude', "
                           "'Latitude', 'Crime type' (expected: Crime ID,Month,Reported by,Falls within,Longitude,"
                           "Latitude,Location,LSOA code,LSOA name,Crime type,Last outcome category,Context)");
    CHECK(count(store, "SELECT count(*) FROM incident") == 0);
    CHECK(count(store, "SELECT count(*) FROM feed_partition") == 0);
    CHECK(count(store, "SELECT count(*) FROM location") == 0);
    CHECK(count(store, "SELECT count(*) FROM feed WHERE status = 'failed'") == 1);
}

TEST_CASE("ingest: the area option rejects points outside a boundary layer") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    const auto area = hotref::geo::StudyArea::from_file(t::geodata("derbyshire_force_area.gpkg"), "force_area");
    IngestOptions options;
    options.area = &area;
    const auto r = ingest_one(store, t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz"),
                              std::move(options));
    CHECK(r.rows_read == 7793);
    // Independently counted (geodata/README.md): rows whose point lies outside the force area polygon.
    CHECK(r.rows_rejected == r.rejects_by_code.at("outside_area"));
    CHECK(r.rows_rejected > 0);
    CHECK(count(store, "SELECT sum(n) FROM incident") == 7793 - r.rows_rejected);

    // The same file again without the area: identical content, so nothing changes, and the
    // report does not claim the locations it would have added outside the area.
    const auto locations = count(store, "SELECT count(*) FROM location");
    const auto again = ingest_one(store, t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz"));
    CHECK(again.status == "unchanged");
    CHECK(again.locations_added == 0);
    CHECK(count(store, "SELECT count(*) FROM location") == locations);
}

TEST_CASE("ingest: police.uk API JSON") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    IngestOptions options;
    options.api_force = "Derbyshire Constabulary";
    const auto r = ingest_one(store, t::data("api/crimes-street-2025-01.json"), std::move(options));
    CHECK(r.status == "stored");
    CHECK(r.kind == "policeuk-api-json");
    CHECK(r.rows_stored == 2);
    CHECK(r.rows_rejected == 2);
    CHECK(r.partitions == std::vector<std::string>{"police.uk-api | Derbyshire Constabulary | 2025-01"});
    CHECK(count(store, "SELECT count(*) FROM incident_v WHERE category = 'Violence and sexual offences' AND "
                       "outcome = 'Unable to prosecute suspect' AND crime_id LIKE 'f30cc30e%'") == 1);
    CHECK(count(store, "SELECT count(*) FROM incident_v WHERE category = 'Anti-social behaviour' AND "
                       "street = 'On or near Prospect Street' AND crime_id IS NULL") == 1);
    Statement st{connection(store),
                 "SELECT line || ' ' || field || ' ' || code || ' ' || reason FROM reject ORDER BY line"};
    REQUIRE(st.step());
    CHECK(st.column_text(0) == "3 location.latitude bad_number latitude 'not-a-number' is not a number");
    REQUIRE(st.step());
    CHECK(st.column_text(0) == "4 month bad_month bad month 'January' (expected YYYY-MM)");
}

TEST_CASE("ingest: a JSON document that is not a crimes array fails clearly") {
    t::TempDir tmp;
    const auto path = tmp.file("x.json");
    t::write_file(path, "{\"error\": \"rate limited\"}");
    Store store{tmp.store(), true};
    const auto r = ingest_one(store, path);
    CHECK(r.status == "failed");
    CHECK(r.message == path + ": expected a JSON array of crimes (a police.uk API crimes-street or "
                              "crimes-at-location response), found a object");
}

TEST_CASE("ingest: a force export with a column mapping keeps times, NSIR qualifiers and references") {
    t::TempDir tmp;
    Store store{tmp.store(), true};
    IngestOptions options;
    options.mapping = hotref::ingest::ExportMapping::from_file(t::data("export/mapping.json"));
    const auto r = ingest_one(store, t::data("export/incidents-2025.csv"), std::move(options));
    CHECK(r.status == "stored");
    CHECK(r.rows_read == 7);
    CHECK(r.rows_stored == 4);
    CHECK(r.rows_rejected == 3);
    CHECK(r.partitions == std::vector<std::string>{"force-export | Derbyshire Constabulary | 2025-01",
                                                   "force-export | Derbyshire Constabulary | 2025-02"});
    Statement st{connection(store), "SELECT reference, occurred_at, category, coalesce(nsir, ''), street, "
                                    "easting, northing FROM incident_v ORDER BY reference"};
    std::vector<std::string> rows;
    while (st.step()) {
        rows.push_back(st.column_text(0) + " " + st.column_text(1) + " " + st.column_text(2) + " " +
                       st.column_text(3) + " " + st.column_text(4) + " " +
                       std::to_string(std::lround(st.column_double(5))) + " " +
                       std::to_string(std::lround(st.column_double(6))));
    }
    const std::vector<std::string> expected{
        "DC-2025-000101 2025-01-03T21:15:00 Anti-social behaviour nuisance Albert Street 435170 335720",
        "DC-2025-000102 2025-01-04T23:40:00 Anti-social behaviour personal Albert Street 435190 335700",
        "DC-2025-000103 2025-01-05T02:05:00 Criminal damage and arson  Corn Market 435600 336100",
        "DC-2025-000107 2025-02-15 Anti-social behaviour environmental Victoria Street 435300 335800",
    };
    CHECK(rows == expected);
    Statement rj{connection(store),
                 "SELECT line || ' ' || field || ' ' || code || ' ' || reason FROM reject ORDER BY line"};
    std::vector<std::string> rejects;
    while (rj.step()) {
        rejects.push_back(rj.column_text(0));
    }
    const std::vector<std::string> expected_rejects{
        "5 Date Reported bad_datetime bad date-time '31/02/2025 10:00' (expected format %d/%m/%Y %H:%M)",
        "6 NSIR Qualifier bad_value NSIR qualifier 'Rowdy' is not personal, nuisance or environmental",
        "7 Easting bad_number easting '43517O' is not a number",
    };
    CHECK(rejects == expected_rejects);
    // Exact points are marked as such (internal detail, never published as-is).
    CHECK(count(store, "SELECT count(*) FROM location WHERE exact = 1") == 4);
}

TEST_CASE("ingest: mapping files are validated with the key at fault") {
    using hotref::ingest::ExportMapping;
    CHECK_THROWS_WITH_AS(ExportMapping::from_json("{\"columns\": {}}", "m.json"), "m.json: missing \"force\"",
                         hotref::InputError);
    CHECK_THROWS_WITH_AS(ExportMapping::from_json("{\"force\": \"F\", \"columns\": {\"datetime\": \"D\", "
                                                  "\"category\": \"C\"}}",
                                                  "m.json"),
                         "m.json: columns: give either \"easting\" and \"northing\" or \"longitude\" and \"latitude\"",
                         hotref::InputError);
    CHECK_THROWS_WITH_AS(ExportMapping::from_json("{\"force\": 3}", "m.json"), "m.json: \"force\" must be a string",
                         hotref::InputError);
    CHECK_THROWS_WITH_AS(ExportMapping::from_json("{oops", "m.json"), doctest::Contains("m.json: mapping is not valid JSON"),
                         hotref::InputError);
}

TEST_CASE("ingest: an export whose header lacks a mapped column fails with the column named") {
    t::TempDir tmp;
    const auto path = tmp.file("export.csv");
    t::write_file(path, "Incident Ref,When,Incident Type,NSIR Qualifier,Easting,Northing,Street\n");
    Store store{tmp.store(), true};
    IngestOptions options;
    options.mapping = hotref::ingest::ExportMapping::from_file(t::data("export/mapping.json"));
    const auto r = ingest_one(store, path, std::move(options));
    CHECK(r.status == "failed");
    CHECK(r.message == path + ": line 1: the header lacks mapped column(s) 'Date Reported'; check the export or the "
                              "mapping's \"columns\"");
}

TEST_CASE("inputs: folder trees, the archive zip and gzip files") {
    const auto plan = hotref::ingest::plan_inputs({t::data("policeuk/archive-2025.zip")}, false);
    REQUIRE(plan.files.size() == 2);
    CHECK(plan.files[0].display == t::data("policeuk/archive-2025.zip") + "/2025-01/2025-01-derbyshire-street.csv");
    CHECK(plan.files[0].vsi.rfind("/vsizip/", 0) == 0);
    REQUIRE(plan.skipped.size() == 1);
    CHECK(t::contains(plan.skipped[0], "2025-01-derbyshire-outcomes.csv: not a street-level crime file"));

    const auto tree = hotref::ingest::plan_inputs({t::geodata("police-uk")}, false);
    CHECK(tree.files.size() == 12);
    CHECK(tree.files[0].vsi.rfind("/vsigzip/", 0) == 0);

    CHECK_THROWS_WITH_AS(hotref::ingest::plan_inputs({"/no/such/path"}, false), "/no/such/path: no such file or folder",
                         hotref::InputError);
}

TEST_CASE("ingest: a zip member and a gzip file read like plain files") {
    t::TempDir tmp;
    Store zipped{tmp.file("z.sqlite"), true};
    Store plain{tmp.file("p.sqlite"), true};
    Ingester ingester{zipped, {}};
    for (const auto& f : hotref::ingest::plan_inputs({t::data("policeuk/archive-2025.zip")}, false).files) {
        CHECK(ingester.ingest(f).status == "stored");
    }
    ingest_one(plain, t::data("policeuk/2025-01-small-street.csv"));
    ingest_one(plain, t::data("policeuk/2025-02-small-street.csv.gz"));
    CHECK(dump(zipped) == dump(plain));
    CHECK(dump(plain).size() == 7);
}

TEST_CASE("store: readers keep working while an ingest transaction is open (WAL)") {
    t::TempDir tmp;
    const auto path = tmp.store();
    Store writer{path, true};
    ingest_one(writer, t::data("policeuk/2025-01-small-street.csv"));
    Store reader{path, false};
    hotref::store::Transaction tx{connection(writer)};
    connection(writer).exec("DELETE FROM incident");
    // The reader is not blocked and sees the last committed state.
    CHECK(connection(reader).query_int("SELECT sum(n) FROM incident") == 5);
}
