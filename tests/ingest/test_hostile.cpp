// Corrupt and hostile input (issue 14): a file is read whole or not stored at all,
// a stored month survives a damaged copy of itself, and nothing crashes.

#include "core/error.hpp"
#include "ingest/force_export.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <string>

namespace t = hotref::test;

namespace {

hotref::ingest::FileReport ingest_path(hotref::store::Store& store, const std::string& path) {
    hotref::ingest::Ingester ingester{store, {}};
    const auto plan = hotref::ingest::plan_inputs({path}, false);
    REQUIRE(plan.files.size() >= 1);
    hotref::ingest::FileReport last;
    for (const auto& f : plan.files) {
        last = ingester.ingest(f);
        if (last.status == "failed") {
            break;
        }
    }
    return last;
}

std::int64_t stored_rows(hotref::store::Store& store) {
    return store.db().query_int("SELECT coalesce(sum(n), 0) FROM incident");
}

} // namespace

TEST_CASE("hostile: a cut or damaged .gz fails whole and leaves the stored month as it was") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    const std::string good = t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz");
    REQUIRE(ingest_path(store, good).status == "stored");
    const auto before = stored_rows(store);
    const auto feeds = store.db().query_int("SELECT count(*) FROM feed_partition");
    REQUIRE(before > 5000);
    const std::string bytes = t::read_file(good);
    // The first 200 kB only: zlib stops short ("unexpected end of file").
    const std::string cut = tmp.file("2025-01-derbyshire-street.csv.gz");
    t::write_file(cut, bytes.substr(0, 200000));
    auto r = ingest_path(store, cut);
    CHECK(r.status == "failed");
    CHECK(r.message.find("cut short or damaged") != std::string::npos);
    CHECK(r.message.find(cut) != std::string::npos);
    CHECK(stored_rows(store) == before);
    // Three flipped bits: zlib's data check or the gzip CRC fails.
    std::string flipped = bytes;
    for (const std::size_t at : {std::size_t{5000}, std::size_t{90000}, std::size_t{150000}}) {
        flipped[at] = static_cast<char>(flipped[at] ^ 0x10);
    }
    t::write_file(cut, flipped);
    r = ingest_path(store, cut);
    CHECK(r.status == "failed");
    CHECK(stored_rows(store) == before);
    CHECK(store.db().query_int("SELECT count(*) FROM feed_partition") == feeds);
    CHECK(store.db().query_int("PRAGMA integrity_check = 1") == 0);  // "ok" reads as 0
}

TEST_CASE("hostile: a zip whose member is damaged stores nothing from it") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    std::string zip = t::read_file(t::data("policeuk/archive-2025.zip"));
    // Damage the first member's compressed data (just after its 30-byte local header and name).
    const std::string name = "2025-01/2025-01-derbyshire-street.csv";
    const auto at = zip.find(name);
    REQUIRE(at != std::string::npos);
    for (std::size_t i = at + name.size() + 20; i < at + name.size() + 60; i += 7) {
        zip[i] = static_cast<char>(zip[i] ^ 0x24);
    }
    const std::string path = tmp.file("archive-2025.zip");
    t::write_file(path, zip);
    const auto r = ingest_path(store, path);
    CHECK(r.status == "failed");
    CHECK(store.db().query_int("SELECT count(*) FROM feed_partition WHERE month = '2025-01'") == 0);
}

TEST_CASE("hostile: deeply nested or out-of-range police.uk JSON is refused with the file named, no crash") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.file("s.sqlite"), true};
    const std::string deep = tmp.file("deep.json");
    t::write_file(deep, std::string(100000, '[') + std::string(100000, ']'));
    auto r = ingest_path(store, deep);
    CHECK(r.status == "failed");
    CHECK(r.message.find("deep.json: JSON nested deeper than 32 levels") != std::string::npos);
    const std::string big = tmp.file("big.json");
    t::write_file(big, R"([{"category": "anti-social-behaviour", "month": "2025-01", "id": 1e999,
                          "location": {"latitude": "52.9", "longitude": "-1.47", "street": {"name": "On or near X"}}}])");
    r = ingest_path(store, big);
    CHECK(r.status == "failed");
    CHECK(r.message.find("big.json: JSON cannot be read") != std::string::npos);
    CHECK(stored_rows(store) == 0);
}

TEST_CASE("hostile: a mapping with 1e999 or an unknown CRS names the file and the field") {
    t::TempDir tmp;
    const std::string path = tmp.file("mapping.json");
    t::write_file(path, R"({"force": "X", "columns": {"datetime": "d", "easting": "e", "northing": "n",
                         "category": "c"}, "crs": "EPSG:99999", "categories": {"ASB": "Anti-social behaviour"}})");
    CHECK_THROWS_WITH_AS(hotref::ingest::ExportMapping::from_file(path),
                         doctest::Contains("mapping.json: \"crs\" 'EPSG:99999'"), hotref::InputError);
    t::write_file(path, R"({"force": "X", "delimiter": 1e999})");
    CHECK_THROWS_WITH_AS(hotref::ingest::ExportMapping::from_file(path), doctest::Contains("mapping.json: mapping cannot be read"),
                         hotref::InputError);
}
