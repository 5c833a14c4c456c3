// Corrupt and hostile input (issue 14): a file is read whole or not stored at all,
// a stored month survives a damaged copy of itself, and nothing crashes.

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/text.hpp"
#include "geo/gdal.hpp"
#include "ingest/background.hpp"
#include "ingest/force_export.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "hotspot/pipeline.hpp"
#include "publish/model.hpp"
#include "fixtures.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <cpl_vsi.h>
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/stat.h>

namespace t = hotref::test;

namespace {

hotref::ingest::FileReport ingest_path(hotref::store::Store& store, const std::string& path,
                                       hotref::ingest::IngestOptions options = {}) {
    hotref::ingest::Ingester ingester{store, std::move(options)};
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
    return connection(store).query_int("SELECT coalesce(sum(n), 0) FROM incident");
}

// A real Derbyshire month as plain text (through GDAL's gzip reader).
std::string real_month_text(const std::string& month = "2025-01") {
    hotref::geo::VsiFile f{"/vsigzip/" + t::geodata("police-uk/derbyshire-2025/" + month + "-derbyshire-street.csv.gz")};
    std::string text;
    char buf[1 << 16];
    while (const std::size_t n = f.read(buf, sizeof buf)) {
        text.append(buf, n);
    }
    return text;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

} // namespace

TEST_CASE("hostile: a cut or damaged .gz fails whole and leaves the stored month as it was") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const std::string good = t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz");
    REQUIRE(ingest_path(store, good).status == "stored");
    const auto before = stored_rows(store);
    const auto feeds = connection(store).query_int("SELECT count(*) FROM feed_partition");
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
    CHECK(connection(store).query_int("SELECT count(*) FROM feed_partition") == feeds);
    if (!connection(store).postgres()) {
        CHECK(connection(store).query_int("PRAGMA integrity_check = 1") == 0); // "ok" reads as 0
    }
}

TEST_CASE("hostile: a zip whose member is damaged stores nothing from it") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
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
    CHECK(connection(store).query_int("SELECT count(*) FROM feed_partition WHERE month = '2025-01'") == 0);
}

TEST_CASE("hostile: deeply nested or out-of-range police.uk JSON is refused with the file named, no crash") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
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

TEST_CASE("hostile: CR-only line ends are read as lines, not stored as zero rows") {
    t::TempDir tmp;
    const std::string lf = real_month_text();
    const std::string lf_path = tmp.file("lf/2025-01-derbyshire-street.csv");
    const std::string cr_path = tmp.file("cr/2025-01-derbyshire-street.csv");
    std::filesystem::create_directories(tmp.file("lf"));
    std::filesystem::create_directories(tmp.file("cr"));
    t::write_file(lf_path, lf);
    const std::string cr = replace_all(replace_all(lf, "\r\n", "\n"), "\n", "\r");
    REQUIRE(cr.find('\n') == std::string::npos);
    t::write_file(cr_path, cr);
    hotref::store::Store a{tmp.file("a.sqlite"), true};
    hotref::store::Store b{tmp.file("b.sqlite"), true};
    const auto ra = ingest_path(a, lf_path);
    const auto rb = ingest_path(b, cr_path);
    REQUIRE(ra.status == "stored");
    CHECK(rb.status == "stored");
    CHECK(rb.rows_stored > 5000);
    CHECK(rb.rows_stored == ra.rows_stored);
    CHECK(rb.rows_rejected == ra.rows_rejected);
    CHECK(stored_rows(b) == stored_rows(a));
}

TEST_CASE("hostile: a header naming a column twice is refused, naming the column and both positions") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    std::string text = t::read_file(t::data("policeuk/2025-01-small-street.csv"));
    const auto eol = text.find('\n');
    text.insert(eol, ",Crime type");
    const std::string path = tmp.file("2025-01-dup-street.csv");
    t::write_file(path, text);
    const auto r = ingest_path(store, path);
    CHECK(r.status == "failed");
    CHECK(r.message.find("2025-01-dup-street.csv: line 1: column 'Crime type' appears twice (columns 10 and 13)") !=
          std::string::npos);
    CHECK(stored_rows(store) == 0);
}

TEST_CASE("hostile: Windows-1252 text is refused with line and byte, or read as such with --encoding") {
    t::TempDir tmp;
    std::string text = t::read_file(t::data("policeuk/2025-01-small-street.csv"));
    // The street of the third data line becomes "On or near Caf\xE9 Street" in Windows-1252.
    std::size_t line_start = 0;
    for (int i = 0; i < 3; ++i) {
        line_start = text.find('\n', line_start) + 1;
    }
    const auto on_or_near = text.find("On or near ", line_start);
    REQUIRE(on_or_near != std::string::npos);
    const auto comma = text.find(',', on_or_near);
    text.replace(on_or_near, comma - on_or_near, "On or near Caf\xE9 Street");
    const std::string path = tmp.file("2025-01-cafe-street.csv");
    t::write_file(path, text);

    hotref::store::Store store{tmp.store(), true};
    auto r = ingest_path(store, path);
    CHECK(r.status == "failed");
    const auto byte = on_or_near - line_start + std::string{"On or near Caf"}.size() + 1;
    CHECK(r.message.find("2025-01-cafe-street.csv: line 4: byte " + std::to_string(byte) + " of the line (0xE9") !=
          std::string::npos);
    CHECK(r.message.find("--encoding windows-1252") != std::string::npos);
    CHECK(stored_rows(store) == 0);

    hotref::ingest::IngestOptions options;
    options.encoding = hotref::ingest::Encoding::windows1252;
    r = ingest_path(store, path, options);
    REQUIRE(r.status == "stored");
    CHECK(connection(store).query_int("SELECT count(*) FROM location WHERE street = 'On or near Caf\xC3\xA9 Street'") ==
          1);
    CHECK(connection(store).query_int("SELECT count(*) FROM location WHERE street LIKE '%Caf_ Street' AND "
                                      "street <> 'On or near Caf\xC3\xA9 Street'") == 0);
}

TEST_CASE("hostile: every byte of Windows-1252 becomes well-formed UTF-8, and the validator is exact") {
    std::string all;
    for (int c = 1; c < 256; ++c) {
        all += static_cast<char>(c);
    }
    const std::string utf8 = hotref::windows1252_to_utf8(all);
    CHECK_FALSE(hotref::utf8_error_at(utf8).has_value());
    CHECK(utf8.find("\xE2\x82\xAC") != std::string::npos); // 0x80 is the euro sign
    CHECK(hotref::windows1252_to_utf8("\xE9") == "\xC3\xA9");
    // Overlong, surrogate, above U+10FFFF, cut sequence, lone continuation byte.
    CHECK(hotref::utf8_error_at("ab\xC0\xAF") == std::optional<std::size_t>{2});
    CHECK(hotref::utf8_error_at("\xED\xA0\x80") == std::optional<std::size_t>{0});
    CHECK(hotref::utf8_error_at("\xF4\x90\x80\x80") == std::optional<std::size_t>{0});
    CHECK(hotref::utf8_error_at("abcdefgh\xE2\x82") == std::optional<std::size_t>{8});
    CHECK(hotref::utf8_error_at("\x80") == std::optional<std::size_t>{0});
    CHECK_FALSE(hotref::utf8_error_at("St Mary\xE2\x80\x99s \xF0\x9F\x98\x80").has_value());
}

TEST_CASE("hostile: a plain month whose last line is cut fails whole and keeps the stored month") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const std::string text = real_month_text();
    const std::string path = tmp.file("2025-01-derbyshire-street.csv");
    t::write_file(path, text);
    REQUIRE(ingest_path(store, path).status == "stored");
    const auto before = stored_rows(store);
    // Cut in the middle of the last line: no line end, too few columns.
    const auto last = text.rfind('\n', text.size() - 2);
    t::write_file(path, text.substr(0, last + 40));
    const auto r = ingest_path(store, path);
    CHECK(r.status == "failed");
    CHECK(r.message.find("the last line is cut short") != std::string::npos);
    CHECK(r.message.find("2025-01-derbyshire-street.csv: line ") != std::string::npos);
    CHECK(stored_rows(store) == before);
    // A complete file without a final newline is fine.
    t::write_file(path, text.substr(0, text.find_last_not_of("\r\n") + 1));
    CHECK(ingest_path(store, path).status != "failed");
}

TEST_CASE("hostile: limits refuse a file with the limit and the option named, and store nothing") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const std::string gz = t::geodata("police-uk/derbyshire-2025/2025-01-derbyshire-street.csv.gz");
    auto limited = [](auto set) {
        hotref::ingest::IngestOptions o;
        set(o.limits);
        return o;
    };
    auto r = ingest_path(store, gz, limited([](auto& l) { l.max_file_bytes = 1 << 20; }));
    CHECK(r.status == "failed");
    CHECK(r.message.find("expands to more than 1 MiB (--max-file-size)") != std::string::npos);
    r = ingest_path(store, gz, limited([](auto& l) { l.max_rows = 1000; }));
    CHECK(r.status == "failed");
    CHECK(r.message.find("more than 1,000 rows (--max-rows)") != std::string::npos);
    r = ingest_path(store, gz, limited([](auto& l) { l.max_line_bytes = 100; }));
    CHECK(r.status == "failed");
    CHECK(r.message.find("a record longer than 100 bytes") != std::string::npos);
    CHECK(r.message.find("--max-line-length") != std::string::npos);
    r = ingest_path(store, gz, limited([](auto& l) { l.max_field_bytes = 8; }));
    CHECK(r.status == "failed");
    CHECK(r.message.find("is longer than 8 bytes; raise the limit with --max-field-length") != std::string::npos);
    CHECK(stored_rows(store) == 0);
    // The defaults take the real file.
    CHECK(ingest_path(store, gz).status == "stored");
}

TEST_CASE("hostile: a zip of JSON that expands past the JSON limit is refused before it is parsed") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const std::string zip = tmp.file("bomb.zip");
    {
        // 40 MiB of blanks inside a JSON array compress to a few dozen kB.
        VSILFILE* f = VSIFOpenL(("/vsizip/" + zip + "/crimes.json").c_str(), "wb");
        REQUIRE(f != nullptr);
        const std::string blanks(1 << 20, ' ');
        VSIFWriteL("[", 1, 1, f);
        for (int i = 0; i < 40; ++i) {
            VSIFWriteL(blanks.data(), 1, blanks.size(), f);
        }
        VSIFWriteL("]", 1, 1, f);
        VSIFCloseL(f);
    }
    CHECK(std::filesystem::file_size(zip) < 1'000'000);
    const auto r = ingest_path(store, zip);
    CHECK(r.status == "failed");
    CHECK(r.message.find("crimes.json: JSON larger than 32 MiB (--max-json-size)") != std::string::npos);
}

TEST_CASE("hostile: a file that changes while it is read fails and stores nothing") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    const std::string text = real_month_text();
    // The feed arrives through a FIFO, so the test decides when the reader has read half of it;
    // the file on disk it names (os_path) changes in between.
    const std::string fifo = tmp.file("feed.fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    const std::string on_disk = tmp.file("2025-01-derbyshire-street.csv");
    t::write_file(on_disk, text);
    std::thread writer([&] {
        std::ofstream out{fifo, std::ios::binary};
        out.write(text.data(), static_cast<std::streamsize>(text.size() / 2));
        out.flush();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::ofstream{on_disk, std::ios::app} << "appended by someone else\n";
        out.write(text.data() + text.size() / 2, static_cast<std::streamsize>(text.size() - text.size() / 2));
    });
    hotref::ingest::Ingester ingester{store, {}};
    hotref::ingest::InputFile file{on_disk, fifo, hotref::ingest::FeedKind::policeuk_csv, 0, on_disk};
    const auto r = ingester.ingest(file);
    writer.join();
    CHECK(r.status == "failed");
    CHECK(r.message.find("the file changed while it was read") != std::string::npos);
    CHECK(stored_rows(store) == 0);
}

TEST_CASE("hostile: a file of nothing but bad rows is handed over a batch at a time, never held whole") {
    std::atomic<std::int64_t> produced{0};
    std::int64_t most_ahead = 0;
    struct Counting final : hotref::ingest::RowSink {
        std::atomic<std::int64_t>& produced;
        std::int64_t& most_ahead;
        std::int64_t consumed = 0;
        Counting(std::atomic<std::int64_t>& p, std::int64_t& m) : produced(p), most_ahead(m) {}
        void row(const hotref::ingest::SourceRow&) override {}
        void reject(hotref::store::RejectRow) override {
            ++consumed;
            most_ahead = std::max(most_ahead, produced.load() - consumed);
            if (consumed % 4096 == 0) {
                std::this_thread::sleep_for(std::chrono::milliseconds(1)); // a slow store
            }
        }
        void progress(std::uint64_t) override {}
    } sink{produced, most_ahead};
    constexpr std::int64_t total = 200'000;
    hotref::ingest::read_in_background(
        [&](hotref::ingest::RowSink& s) {
            for (std::int64_t i = 0; i < total; ++i) {
                ++produced;
                s.reject(hotref::store::RejectRow{i + 2, "Month", "bad_month", "bad month 'x'", std::string(100, 'x')});
            }
        },
        sink);
    CHECK(sink.consumed == total);
    // At most the queue (4 batches) plus the batch being filled and the one being replayed.
    CHECK(most_ahead <= 6 * 4096);
}

TEST_CASE("hostile: a stray quote costs its own line at most, never the lines after it") {
    t::TempDir tmp;
    const std::string text = real_month_text();
    const std::string clean_path = tmp.file("clean/2025-01-derbyshire-street.csv");
    std::filesystem::create_directories(tmp.file("clean"));
    t::write_file(clean_path, text);
    hotref::store::Store clean{tmp.file("clean.sqlite"), true};
    const auto base = ingest_path(clean, clean_path);
    REQUIRE(base.status == "stored");

    // Line 100: a quote opening the Location field that is never closed. Line 200: a quote
    // inside a street name (O"Brien), which RFC 4180 reads as an ordinary character.
    std::vector<std::string> lines;
    for (std::size_t at = 0, next; at < text.size(); at = next + 1) {
        next = text.find('\n', at);
        if (next == std::string::npos) {
            next = text.size();
        }
        lines.push_back(text.substr(at, next - at));
    }
    auto street_at = [&](std::size_t i) { return lines[i].find(",On or near ") + 1; };
    lines[99].insert(street_at(99), "\"");
    lines[199].insert(street_at(199) + std::string{"On or near "}.size() + 1, "\"");
    std::string damaged;
    for (const auto& l : lines) {
        damaged += l + "\n";
    }
    const std::string path = tmp.file("2025-01-derbyshire-street.csv");
    t::write_file(path, damaged);
    hotref::store::Store store{tmp.store(), true};
    const auto r = ingest_path(store, path);
    REQUIRE(r.status == "stored");
    CHECK(r.rows_stored == base.rows_stored - 1);
    CHECK(r.rows_rejected == base.rows_rejected + 1);
    CHECK(r.rejects_by_code.at("unbalanced_quote") == 1);
    CHECK(connection(store).query_int("SELECT count(*) FROM reject WHERE code = 'unbalanced_quote' AND line = 100") ==
          1);
    CHECK(connection(store).query_int("SELECT count(*) FROM location WHERE street LIKE 'On or near _\"%'") == 1);
}

TEST_CASE("hostile: in a force export (fields may hold line breaks) a quote inside a field is literal") {
    hotref::MemorySource src{"a,b,c\n1,O\"Brien,3\n4,\"multi\nline\",6\n7,8,9\n"};
    hotref::CsvReader csv{src};
    REQUIRE(csv.next());
    REQUIRE(csv.next());
    CHECK(csv[1] == "O\"Brien");
    REQUIRE(csv.next());
    CHECK(csv[1] == "multi\nline");
    CHECK(csv.line() == 3);
    REQUIRE(csv.next());
    CHECK(csv[0] == "7");
    CHECK(csv.line() == 5);
    CHECK_FALSE(csv.next());
}

TEST_CASE("hostile: text that reached the store before encodings were checked is published as valid UTF-8") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    // As an older hotref stored a Windows-1252 export: a raw 0xE9 byte in every street.
    connection(store).exec("UPDATE location SET street = 'On or near Caf' || CAST(X'E9' AS TEXT) || ' Street'");
    auto hs = t::force_area_gistar(250);
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    REQUIRE_FALSE(run.hotspots.empty());
    for (const auto profile : {hotref::publish::Profile::internal, hotref::publish::Profile::published}) {
        const auto model = hotref::publish::build_model(store, {run.run_id, "gistar", ""}, profile, {});
        std::size_t texts = 0;
        for (const auto& layer : model.layers) {
            for (const auto& f : layer.features) {
                for (const auto& v : f.values) {
                    if (const auto* s = std::get_if<std::string>(&v)) {
                        ++texts;
                        CHECK_FALSE(hotref::utf8_error_at(*s).has_value());
                    }
                }
            }
        }
        CHECK(texts > 0);
    }
}

TEST_CASE("ingest: new locations are indexed in bulk; index and triggers are whole after a stored and a failed file") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    auto& db = connection(store);
    // SpatiaLite keeps its R*Tree by triggers that the bulk load drops and restores; PostGIS's
    // GiST index needs none, so there only the counts and the index's consistency are checked.
    const bool pg = db.postgres();
    const auto indexed = [&] {
        return pg ? db.query_int("SELECT count(*) FROM location WHERE geom && "
                                 "ST_MakeEnvelope(-1000000, -1000000, 2000000, 2000000, 27700)")
                  : db.query_int("SELECT count(*) FROM idx_location_geom");
    };
    const auto trigger_sql = [&] {
        if (pg) {
            return std::vector<std::string>{"none", "needed", "by GiST"};
        }
        hotref::store::Statement st{db, "SELECT name || ':' || sql FROM sqlite_master WHERE type = 'trigger' AND "
                                        "tbl_name = 'location' ORDER BY name"};
        std::vector<std::string> out;
        while (st.step()) {
            out.push_back(st.column_text(0));
        }
        return out;
    };
    const auto fresh = trigger_sql();
    REQUIRE(fresh.size() >= 3); // SpatiaLite's constraint, timestamp and index triggers
    const std::string jan = tmp.file("2025-01-derbyshire-street.csv");
    t::write_file(jan, real_month_text("2025-01"));
    REQUIRE(ingest_path(store, jan).status == "stored");
    const auto after_jan = db.query_int("SELECT count(*) FROM location");
    CHECK(after_jan > 1000);
    CHECK(hotref::store::location_index_consistent(store));
    CHECK(indexed() == after_jan);
    CHECK(trigger_sql() == fresh);

    // February cut short: its new locations were inserted, then the file failed; all of it rolls back.
    const std::string feb_text = real_month_text("2025-02");
    const std::string feb = tmp.file("2025-02-derbyshire-street.csv");
    t::write_file(feb, feb_text.substr(0, feb_text.rfind('\n', feb_text.size() - 2) + 40));
    REQUIRE(ingest_path(store, feb).status == "failed");
    CHECK(db.query_int("SELECT count(*) FROM location") == after_jan);
    CHECK(indexed() == after_jan);
    CHECK(trigger_sql() == fresh);

    t::write_file(feb, feb_text);
    REQUIRE(ingest_path(store, feb).status == "stored");
    const auto after_feb = db.query_int("SELECT count(*) FROM location");
    CHECK(after_feb > after_jan);
    CHECK(hotref::store::location_index_consistent(store));
    CHECK(trigger_sql() == fresh);
    if (pg) {
        CHECK(indexed() == after_feb);
        // The ids were handed out by the ingest and sent by COPY: the identity sequence was
        // moved past them, so a row inserted without an id takes the next one.
        db.exec("INSERT INTO location (lon, lat, easting, northing, geom) VALUES (-1.5, 53.0, 435000, 355000, "
                "ST_SetSRID(ST_MakePoint(435000, 355000), 27700))");
        CHECK(db.query_int("SELECT max(id) FROM location") == db.query_int("SELECT max(id) FROM location WHERE "
                                                                           "easting = 435000 AND street IS NULL"));
        CHECK(db.query_int("SELECT count(*) FROM location") == after_feb + 1);
        return;
    }
    // Every location is found through the R*Tree at its own coordinates.
    CHECK(db.query_int("SELECT count(*) FROM location l WHERE l.id IN (SELECT pkid FROM idx_location_geom r "
                       "WHERE r.xmin <= l.easting + 0.01 AND r.xmax >= l.easting - 0.01 AND "
                       "r.ymin <= l.northing + 0.01 AND r.ymax >= l.northing - 0.01)") == after_feb);
    // The restored triggers work: a point inserted by hand is indexed by SpatiaLite itself.
    db.exec("INSERT INTO location (lon, lat, easting, northing, geom) VALUES (-1.5, 53.0, 435000, 355000, "
            "MakePoint(435000, 355000, 27700))");
    CHECK(db.query_int("SELECT count(*) FROM idx_location_geom") == after_feb + 1);
    CHECK(hotref::store::location_index_consistent(store));
}

namespace {

// Every location and incident of a store as text, doubles in full (%.17g), ids included.
std::vector<std::string> store_rows(hotref::store::Store& store) {
    auto& db = connection(store);
    std::vector<std::string> out;
    char buf[256];
    hotref::store::Statement loc{db, "SELECT id, lon, lat, easting, northing, coalesce(street, '~'), "
                                     "coalesce(lsoa_code, '~'), coalesce(lsoa_name, '~'), exact, ST_X(geom), "
                                     "ST_Y(geom) FROM location ORDER BY id"};
    while (loc.step()) {
        std::snprintf(buf, sizeof buf, "L%lld %.17g %.17g %.17g %.17g %.17g %.17g %lld ",
                      static_cast<long long>(loc.column_int(0)), loc.column_double(1), loc.column_double(2),
                      loc.column_double(3), loc.column_double(4), loc.column_double(9), loc.column_double(10),
                      static_cast<long long>(loc.column_int(8)));
        out.push_back(buf + loc.column_text(5) + "|" + loc.column_text(6) + "|" + loc.column_text(7));
    }
    // SpatiaLite keeps a police.uk Crime ID as its 32 bytes, PostgreSQL as its hex text.
    const std::string crime_id = db.postgres() ? "crime_id"
                                               : "CASE WHEN typeof(crime_id) = 'blob' THEN lower(hex(crime_id)) "
                                                 "ELSE crime_id END";
    hotref::store::Statement inc{db, "SELECT id, location_id, category_id, coalesce(outcome_id, 0), n, coalesce(" +
                                         crime_id + ", '~') FROM incident ORDER BY id"};
    while (inc.step()) {
        std::snprintf(buf, sizeof buf, "I%lld %lld %lld %lld %lld ", static_cast<long long>(inc.column_int(0)),
                      static_cast<long long>(inc.column_int(1)), static_cast<long long>(inc.column_int(2)),
                      static_cast<long long>(inc.column_int(3)), static_cast<long long>(inc.column_int(4)));
        out.push_back(buf + inc.column_text(5));
    }
    return out;
}

} // namespace

TEST_CASE("ingest: PostgreSQL's batched locations give the store SpatiaLite's row-by-row path gives") {
    if (!t::on_postgres()) {
        MESSAGE("skipped: compares a PostgreSQL store with a SpatiaLite one (runs in the pg_ingest suite)");
        return;
    }
    t::TempDir tmp;
    hotref::store::Store pg{tmp.store(), true};
    hotref::store::Store lite{tmp.file("s.sqlite"), true};
    // Three months, the second with LSOA fields blanked on every other row, so locations are
    // first stored without an LSOA and given one later in the same file and in a later file.
    std::vector<std::string> files;
    for (const char* month : {"2025-03", "2025-01", "2025-02"}) {
        std::string text = real_month_text(month);
        if (std::string{month} == "2025-01") {
            std::string blanked;
            std::size_t at = 0;
            for (int line = 0; at < text.size(); ++line) {
                const auto end = text.find('\n', at);
                std::string row = text.substr(at, end == std::string::npos ? std::string::npos : end - at + 1);
                at = end == std::string::npos ? text.size() : end + 1;
                if (line > 0 && line % 2 == 0) {
                    // Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,...
                    std::vector<std::size_t> commas;
                    bool quoted = false;
                    for (std::size_t i = 0; i < row.size(); ++i) {
                        quoted = row[i] == '"' ? !quoted : quoted;
                        if (!quoted && row[i] == ',') {
                            commas.push_back(i);
                        }
                    }
                    if (commas.size() >= 9) {
                        row = row.substr(0, commas[6] + 1) + "," + row.substr(commas[8]);
                    }
                }
                blanked += row;
            }
            text = blanked;
        }
        files.push_back(tmp.file(std::string{month} + "-derbyshire-street.csv"));
        t::write_file(files.back(), text);
    }
    for (const auto& f : files) {
        REQUIRE(ingest_path(pg, f).status == "stored");
        REQUIRE(ingest_path(lite, f).status == "stored");
    }
    const auto a = store_rows(pg);
    const auto b = store_rows(lite);
    REQUIRE(a.size() == b.size());
    CHECK(a.size() > 20000);
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i] && differ++ < 5) {
            CHECK(a[i] == b[i]);
        }
    }
    CHECK(differ == 0);
    CHECK(connection(pg).query_int("SELECT count(*) FROM location WHERE lsoa_code IS NULL") <
          connection(pg).query_int("SELECT count(*) FROM location") / 10);
}
