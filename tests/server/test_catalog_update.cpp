// A referral update republishes only what the referrals change (update_referrals), and
// what it publishes is what a full build of the same store publishes: every collection,
// feature, tile, note, the bulletin and the /v1/hotspots message. Checked against
// build_snapshot on the real Derbyshire run, with referrals added in two batches.

#include "hotref/v1/api.pb.h"
#include "hotspot/pipeline.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "server/catalog.hpp"
#include "store/store.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <algorithm>
#include <map>
#include <vector>
#include <set>
#include <thread>

namespace t = hotref::test;
namespace srv = hotref::server;
using json = nlohmann::json;

namespace {

// What two renderings of one bulletin differ in: "Generated <time>", and the numbers cairo
// gives its SVG surfaces (a counter over the process).
std::string without_generated(const std::string& html) {
    static const std::regex generated{"Generated [0-9TZ:.-]+"};
    static const std::regex surface{"surface[0-9]+"};
    return std::regex_replace(std::regex_replace(html, generated, "Generated <time>"), surface, "surface");
}

void check_same_collection(const srv::Collection& a, const srv::Collection& b) {
    CAPTURE(a.id);
    CHECK(a.id == b.id);
    CHECK(a.title == b.title);
    CHECK(a.description == b.description);
    CHECK(a.access == b.access);
    CHECK(a.classification == b.classification);
    CHECK(a.geometry == b.geometry);
    CHECK(a.fields == b.fields);
    CHECK(a.qml == b.qml);
    CHECK(a.extent.has_value() == b.extent.has_value());
    CHECK(a.interval.has_value() == b.interval.has_value());
    REQUIRE(a.features.size() == b.features.size());
    std::size_t differ = 0;
    for (std::size_t i = 0; i < a.features.size(); ++i) {
        differ += a.features[i].id != b.features[i].id || a.features[i].json != b.features[i].json;
    }
    CHECK(differ == 0);
    CHECK(a.by_id == b.by_id);
    REQUIRE((a.tiles == nullptr) == (b.tiles == nullptr));
    if (a.tiles) {
        CHECK(a.tiles->layer == b.tiles->layer);
        CHECK(a.tiles->fields == b.tiles->fields);
        CHECK(a.tiles->tiles == b.tiles->tiles);
    }
}

// `update` (update_referrals) against `full` (build_snapshot of the same store).
void check_same_snapshot(const srv::Snapshot& update, const srv::Snapshot& full) {
    CHECK(update.referrals_only);
    CHECK_FALSE(full.referrals_only);
    CHECK(update.key == full.key);
    CHECK(update.run_id == full.run_id);
    REQUIRE(update.collections.size() == full.collections.size());
    for (std::size_t i = 0; i < update.collections.size(); ++i) {
        check_same_collection(*update.collections[i], *full.collections[i]);
    }
    CHECK(update.notes == full.notes);
    CHECK(update.bulletin_period == full.bulletin_period);
    CHECK(!update.bulletin_pdf.empty());
    CHECK(!full.bulletin_pdf.empty());
    CHECK(update.bulletin_html != "");
    CHECK(without_generated(update.bulletin_html) == without_generated(full.bulletin_html));
    REQUIRE(update.hotspot_list);
    REQUIRE(full.hotspot_list);
    CHECK(update.hotspot_list->SerializeAsString() == full.hotspot_list->SerializeAsString());
}

// The published hotspots' referral counts by code, as /collections/hotspots/items shows them.
std::map<std::string, json> referral_counts(const srv::Snapshot& snap) {
    std::map<std::string, json> out;
    const auto* c = snap.find("hotspots");
    REQUIRE(c != nullptr);
    for (const auto& f : c->features) {
        const auto j = json::parse(f.json);
        out[j["properties"]["code"].get<std::string>()] = j["properties"]["ij_referrals"];
    }
    return out;
}

// Writes the lines [from, to) of the referral CSV `all` (after its header) to `path`.
void csv_part(const std::string& all, const std::string& path, std::size_t from, std::size_t to) {
    std::ifstream in{all};
    std::ofstream out{path};
    std::string line;
    std::getline(in, line);
    out << line << '\n';
    for (std::size_t i = 0; std::getline(in, line); ++i) {
        if (i >= from && i < to) {
            out << line << '\n';
        }
    }
}

void import_and_link(const std::string& store_path, const std::string& csv, std::int64_t run_id) {
    hotref::store::Store store{store_path, false};
    hotref::referral::RegistryOptions ro;
    ro.secret = "a-test-secret-of-at-least-32-characters-long";
    REQUIRE(hotref::referral::import_csv(store, csv, ro, false).committed);
    hotref::referral::link_referrals(store, run_id, 250);
}

// A store of the Derbyshire 2025 files with one Gi* run over [from, to]; returns its id.
std::int64_t derbyshire_run(const std::string& path, double cell, const std::string& from, const std::string& to) {
    hotref::store::Store store{path, true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(cell);
    hs.from = from;
    hs.to = to;
    return hotref::hotspot::run_hotspots(store, hs).run_id;
}

// `count` synthetic referrals (tools/gen/gen_referrals.py) in `tmp`'s referrals.csv.
std::string referrals_csv(const t::TempDir& tmp, int count, int seed) {
    const std::string out = tmp.file("referrals.csv");
    const std::string gen = "/usr/bin/python3 '" + std::string{HOTREF_SOURCE_DIR} + "/tools/gen/gen_referrals.py' --count " +
                            std::to_string(count) + " --seed " + std::to_string(seed) +
                            " --as-of 2025-12-31 --out '" + out + "' 2>/dev/null";
    REQUIRE(std::system(gen.c_str()) == 0);
    return out;
}

} // namespace

TEST_CASE("catalog: a referral update publishes what a full build publishes, sharing everything else") {
    t::TempDir tmp;
    const std::string path = tmp.store();
    const std::int64_t run_id = derbyshire_run(path, 500, "2025-01", "2025-06");
    const std::string all = referrals_csv(tmp, 720, 7);
    csv_part(all, tmp.file("a.csv"), 0, 300);
    csv_part(all, tmp.file("b.csv"), 300, 720);

    srv::CatalogOptions co;
    co.store_path = path;
    co.method = "gistar";
    co.quiet = true;
    co.tiles_max_zoom = 10;
    const auto before = srv::build_snapshot(co);
    REQUIRE(before->parts);
    CHECK(before->find("kpis") == nullptr);
    CHECK(srv::referrals_only_change(*before, srv::store_key(path)) == false); // nothing changed

    // The first referrals: the KPIs appear.
    import_and_link(path, tmp.file("a.csv"), run_id);
    REQUIRE(srv::referrals_only_change(*before, srv::store_key(path)));
    const auto first = srv::update_referrals(*before, co);
    check_same_snapshot(*first, *srv::build_snapshot(co));
    CHECK(first->find("kpis") != nullptr);
    // Everything the referrals do not change is the same object, not a copy.
    for (const char* id : {"cells", "cells-internal", "incidents", "incidents-internal", "districts"}) {
        CAPTURE(id);
        REQUIRE(before->find(id) != nullptr);
        CHECK(first->find(id) == before->find(id));
    }
    CHECK(first->find("hotspots") != before->find("hotspots"));

    // More referrals: some hotspots' figures change, and the update still matches a full build.
    import_and_link(path, tmp.file("b.csv"), run_id);
    REQUIRE(srv::referrals_only_change(*first, srv::store_key(path)));
    const auto second = srv::update_referrals(*first, co);
    check_same_snapshot(*second, *srv::build_snapshot(co));
    const auto n1 = referral_counts(*first);
    const auto n2 = referral_counts(*second);
    int changed = 0, published = 0;
    for (const auto& [code, n] : n2) {
        changed += n != n1.at(code);
        published += n.is_number() && n.get<double>() >= 10;
    }
    CHECK(changed > 0);
    CHECK(published > 0);  // not only withheld figures: the published ones match too

    // An update of one referral (the same count, a new audit row): at most its hotspot's
    // internal victim satisfaction changes, and the update still matches a full build.
    {
        std::ifstream in{tmp.file("a.csv")};
        std::string header, row;
        std::getline(in, header);
        std::getline(in, row);
        REQUIRE(row.find('"') == std::string::npos);
        auto split = [](const std::string& line) {
            std::vector<std::string> out{""};
            for (const char c : line) {
                if (c == ',') {
                    out.emplace_back();
                } else {
                    out.back() += c;
                }
            }
            return out;
        };
        const auto names = split(header);
        auto values = split(row);
        const auto at = std::find(names.begin(), names.end(), "victim_satisfied") - names.begin();
        REQUIRE(static_cast<std::size_t>(at) < values.size());
        REQUIRE(values[static_cast<std::size_t>(at)] == "yes");
        values[static_cast<std::size_t>(at)] = "no";
        std::ofstream out{tmp.file("c.csv")};
        out << header << '\n';
        for (std::size_t i = 0; i < values.size(); ++i) {
            out << (i ? "," : "") << values[i];
        }
        out << '\n';
    }
    import_and_link(path, tmp.file("c.csv"), run_id);
    REQUIRE(srv::referrals_only_change(*second, srv::store_key(path)));
    const auto third = srv::update_referrals(*second, co);
    check_same_snapshot(*third, *srv::build_snapshot(co));
    const auto* internal2 = second->find("hotspots-internal");
    const auto* internal3 = third->find("hotspots-internal");
    REQUIRE(internal2 != nullptr);
    REQUIRE(internal3 != nullptr);
    int features_changed = 0;
    for (std::size_t i = 0; i < internal2->features.size(); ++i) {
        features_changed += internal2->features[i].json != internal3->features[i].json;
    }
    CHECK(features_changed <= 1);
    CHECK(third->key != second->key);

    // A new run is not a referral update: a full build.
    {
        hotref::store::Store store{path, false};
        auto hs = t::force_area_gistar(1000);
        hs.from = "2025-01";
        hs.to = "2025-06";
        hotref::hotspot::run_hotspots(store, hs);
    }
    CHECK_FALSE(srv::referrals_only_change(*third, srv::store_key(path)));
}

TEST_CASE("catalog: the service republishes a referral update at once, and a new run in full") {
    t::TempDir tmp;
    const std::string path = tmp.store();
    const std::int64_t run_id = derbyshire_run(path, 1000, "2025-01", "2025-03");
    const std::string all = referrals_csv(tmp, 200, 5);

    srv::CatalogOptions co;
    co.store_path = path;
    co.method = "gistar";
    co.quiet = true;
    co.tiles_max_zoom = 9;
    co.min_interval_ms = 60000; // a full build waits a minute after the last; a referral update does not
    srv::Catalog catalog{co, 100};
    catalog.start();
    auto wait_for = [&](const auto& done) {
        for (int i = 0; i < 600 && !done(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return done();
    };
    REQUIRE_MESSAGE(wait_for([&] { return catalog.current() != nullptr; }), catalog.last_error());
    const auto first = catalog.current();
    CHECK(catalog.builds() == 1);

    import_and_link(path, all, run_id);
    catalog.poke();
    REQUIRE_MESSAGE(wait_for([&] { return catalog.current() != first; }), catalog.last_error());
    const auto updated = catalog.current();
    CHECK(updated->referrals_only);
    CHECK(updated->find("kpis") != nullptr);
    CHECK(updated->find("cells") == first->find("cells"));

    // A new run within the minute is not published yet: only a referral update jumps the queue.
    {
        hotref::store::Store store{path, false};
        auto hs = t::force_area_gistar(1000);
        hs.from = "2025-04";
        hs.to = "2025-06";
        hotref::hotspot::run_hotspots(store, hs);
    }
    catalog.poke();
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    CHECK(catalog.current() == updated);
    CHECK(catalog.builds() == 2);
    catalog.stop();
}
