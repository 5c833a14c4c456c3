// The service's answers, in process (no network): OGC API - Features against
// the real Derbyshire run, tiles, tokens and roles, the /v1 API in JSON and
// protobuf, bad input. Expected values come from the store by SQL, from
// GDAL reading what was served, or are worked out here independently.

#include "core/error.hpp"
#include "evaluate/evaluation.hpp"
#include "geo/area.hpp"
#include "geo/vector.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "hotref/v1/api.pb.h"
#include "hotref/v1/store.pb.h"
#include "hotspot/pipeline.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/html.hpp"
#include "server/service.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <set>
#include <atomic>
#include <thread>

namespace t = hotref::test;
namespace srv = hotref::server;
namespace http = boost::beast::http;
using json = nlohmann::json;

namespace {

constexpr const char* secret = "a-test-secret-of-at-least-32-characters-long";

// One store with the real Derbyshire data, a Gi* run, referrals and an evaluation, served once for this file.
struct Served {
    t::TempDir tmp;
    std::string store_path = tmp.store();
    std::int64_t run_id = 0;
    std::string admin, planner, caseworker, analyst, manager;
    std::unique_ptr<srv::Catalog> catalog;
    srv::Metrics metrics;
    std::unique_ptr<srv::Service> service;

    Served() {
        hotref::store::Store store{store_path, true};
        t::ingest_geodata(store);
        auto hs = t::force_area_gistar(500);
        hs.from = "2025-01";
        hs.to = "2025-06";
        run_id = hotref::hotspot::run_hotspots(store, hs).run_id;
        hotref::referral::RegistryOptions ro;
        ro.secret = secret;
        const auto imported = hotref::referral::import_csv(store, t::data("referrals/good.csv"), ro, false);
        REQUIRE(imported.committed);
        hotref::referral::link_referrals(store, run_id, 250);
        hotref::evaluate::EvaluateOptions eo;
        eo.run_id = run_id;
        eo.date = "2025-07";
        eo.months = 6;
        hotref::evaluate::evaluate_run(store, eo);
        admin = srv::create_token(store, "Admin", srv::Role::admin);
        planner = srv::create_token(store, "Planner", srv::Role::patrol_planner);
        caseworker = srv::create_token(store, "Casey Worker", srv::Role::caseworker);
        analyst = srv::create_token(store, "Ana Lyst", srv::Role::analyst);
        manager = srv::create_token(store, "Hotspot desk", srv::Role::hotspot_manager);

        srv::CatalogOptions co;
        co.store_path = store_path;
        co.tiles_max_zoom = 12;
        co.quiet = true;
        catalog = std::make_unique<srv::Catalog>(co, 200);
        catalog->start();
        for (int i = 0; i < 600 && !catalog->current(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        REQUIRE_MESSAGE(catalog->current(), catalog->last_error());
        srv::ServiceOptions so;
        so.store_path = store_path;
        so.referral_secret = secret;
        so.default_limit = 10;
        so.max_limit = 500;
        service = std::make_unique<srv::Service>(so, *catalog, metrics);
    }
};

Served& served() {
    static Served s;
    return s;
}

srv::Request request(http::verb verb, const std::string& target, const std::string& token = "",
                     const std::string& body = "", const std::string& type = "", const std::string& accept = "") {
    srv::Request r{verb, target, 11};
    r.set(http::field::host, "hotref.test");
    if (!token.empty()) {
        r.set(http::field::authorization, "Bearer " + token);
    }
    if (!type.empty()) {
        r.set(http::field::content_type, type);
    }
    if (!accept.empty()) {
        r.set(http::field::accept, accept);
    }
    r.body() = body;
    r.prepare_payload();
    return r;
}

srv::Response get(const std::string& target, const std::string& token) {
    return served().service->handle(request(http::verb::get, target, token)).response;
}

json get_json(const std::string& target, const std::string& token, int status = 200) {
    const auto r = get(target, token);
    CAPTURE(target);
    CAPTURE(r.body().substr(0, 400));
    CHECK(r.result_int() == status);
    return json::parse(r.body());
}

std::string without_base(const std::string& href) {
    const std::string base = "http://hotref.test";
    REQUIRE(href.rfind(base, 0) == 0);
    return href.substr(base.size());
}

void walk(const json& c, double& minx, double& miny, double& maxx, double& maxy) {
    if (c.is_array() && !c.empty() && c[0].is_number()) {
        minx = std::min(minx, c[0].get<double>());
        maxx = std::max(maxx, c[0].get<double>());
        miny = std::min(miny, c[1].get<double>());
        maxy = std::max(maxy, c[1].get<double>());
        return;
    }
    for (const auto& child : c) {
        walk(child, minx, miny, maxx, maxy);
    }
}

std::int64_t sql_int(const std::string& sql) {
    hotref::store::Database db{served().store_path, false};
    return db.query_int(sql);
}

} // namespace

void check_1() { // the OGC API landing page, conformance and OpenAPI document
    auto& s = served();
    const auto landing = get_json("/", s.planner);
    std::set<std::string> rels;
    for (const auto& l : landing["links"]) {
        rels.insert(l["rel"].get<std::string>());
    }
    for (const char* rel : {"self", "service-desc", "conformance", "data"}) {
        CHECK(rels.count(rel) == 1);
    }
    const auto conf = get_json("/conformance", s.planner);
    const auto classes = conf["conformsTo"].dump();
    CHECK(classes.find("ogcapi-features-1/1.0/conf/core") != std::string::npos);
    CHECK(classes.find("ogcapi-features-1/1.0/conf/geojson") != std::string::npos);
    CHECK(classes.find("ogcapi-features-1/1.0/conf/oas30") != std::string::npos);
    const auto api = get("/api", s.planner);
    CHECK(api[http::field::content_type] == "application/vnd.oai.openapi+json;version=3.0");
    const auto doc = json::parse(api.body());
    CHECK(doc["openapi"] == "3.0.3");
    bool found = false;
    for (const auto& p : doc["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]) {
        if (p["name"] == "limit") {
            CHECK(p["schema"]["default"] == 10);
            CHECK(p["schema"]["maximum"] == 500);
            found = true;
        }
    }
    CHECK(found);
}

void check_2() { // tokens and roles decide what is seen
    auto& s = served();
    const auto none = get("/collections", "");
    CHECK(none.result_int() == 401);
    CHECK(none[http::field::www_authenticate].starts_with("Bearer"));
    CHECK(json::parse(none.body())["code"] == "unauthorized");
    CHECK(get("/collections", "hr_not-a-real-token").result_int() == 401);
    CHECK(get("/healthz", "").result_int() == 200); // no data in it: no token needed
    // QGIS's built-in "ESRI token" authentication method sends the token in X-Esri-Authorization.
    auto esri = request(http::verb::get, "/collections");
    esri.set("X-Esri-Authorization", "Bearer " + s.planner);
    CHECK(s.service->handle(esri).response.result_int() == 200);

    auto ids = [&](const std::string& token) {
        std::set<std::string> out;
        const auto doc = get_json("/collections", token);
        for (const auto& c : doc["collections"]) {
            out.insert(c["id"].get<std::string>());
        }
        return out;
    };
    const auto planner = ids(s.planner);
    CHECK(planner.count("hotspots") == 1);
    CHECK(planner.count("cells") == 1);
    CHECK(planner.count("kpis") == 1);
    CHECK(planner.count("evaluation") == 1);
    CHECK(planner.count("hotspots-internal") == 0);
    CHECK(planner.count("referrals") == 0);
    CHECK(get("/collections/hotspots-internal/items", s.planner).result_int() == 403);
    CHECK(get("/collections/referrals/items", s.planner).result_int() == 403);
    CHECK(get("/collections/referrals/items", s.manager).result_int() == 403);
    CHECK(get("/collections/hotspots-internal/items", s.manager).result_int() == 200);
    CHECK(get("/collections/referrals/items", s.caseworker).result_int() == 200);
    CHECK(get("/v1/referrals", s.planner).result_int() == 403);
    CHECK(get("/v1/referrals", s.analyst).result_int() == 403);
    CHECK(ids(s.admin).count("referrals") == 1);

    // A revoked token stops working (after the one-second cache).
    std::string token;
    {
        hotref::store::Store store{s.store_path, false};
        token = srv::create_token(store, "Temp", srv::Role::patrol_planner);
    }
    CHECK(get("/collections", token).result_int() == 200);
    {
        hotref::store::Store store{s.store_path, false};
        CHECK(srv::revoke_token(store, "Temp"));
        CHECK_FALSE(srv::revoke_token(store, "Temp"));
        CHECK_THROWS_AS(srv::create_token(store, "Temp", srv::Role::admin), hotref::UsageError);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    CHECK(get("/collections", token).result_int() == 401);
}

void check_3() { // items page through every hotspot, as the store holds them (the internal collection)
    auto& s = served();
    const auto expected = sql_int("SELECT count(*) FROM hotspot WHERE run_id = " + std::to_string(s.run_id));
    REQUIRE(expected > 10);
    std::set<std::string> seen;
    std::string next = "/collections/hotspots-internal/items?limit=7";
    int pages = 0;
    while (!next.empty()) {
        const auto page = get_json(next, s.manager);
        CHECK(page["type"] == "FeatureCollection");
        CHECK(page["numberMatched"] == expected);
        CHECK(page["numberReturned"] == page["features"].size());
        for (const auto& f : page["features"]) {
            CHECK(seen.insert(f["id"].get<std::string>()).second);
        }
        next.clear();
        for (const auto& l : page["links"]) {
            if (l["rel"] == "next") {
                next = without_base(l["href"].get<std::string>());
            }
        }
        ++pages;
    }
    CHECK(static_cast<std::int64_t>(seen.size()) == expected);
    CHECK(pages == (expected + 6) / 7);
    // The rank-1 hotspot, by id, with links.
    const auto code = [&] {
        hotref::store::Database db{s.store_path, false};
        hotref::store::Statement st{db, "SELECT code, incidents FROM hotspot WHERE run_id = ? AND rank = 1"};
        st.bind(1, s.run_id);
        REQUIRE(st.step());
        return std::make_pair(st.column_text(0), st.column_double(1));
    }();
    const auto one = get_json("/collections/hotspots-internal/items/" + code.first, s.manager);
    CHECK(one["properties"]["rank"] == 1);
    CHECK(one["properties"]["incidents"].get<double>() == doctest::Approx(code.second));
    // The published one is the same place with its count within the cell-key noise.
    const auto pub = get_json("/collections/hotspots/items/" + code.first, s.planner);
    CHECK(std::abs(pub["properties"]["incidents"].get<double>() - code.second) <= 2);
    // Published: the hotspots of at least 5 locations and 5 incidents, no more.
    const auto published = get_json("/collections/hotspots/items?limit=1", s.planner)["numberMatched"].get<std::int64_t>();
    CHECK(published <= expected);
    CHECK(published > expected / 2);
    CHECK(one["links"].size() == 2);
    CHECK(get("/collections/hotspots/items/H-9999", s.planner).result_int() == 404);
    CHECK(get("/collections/nowhere/items", s.planner).result_int() == 404);
    // A limit over the maximum is taken as the maximum (OGC API - Features 7.15.3).
    CHECK(get_json("/collections/cells/items?limit=100000", s.planner)["numberReturned"] == 500);
}

void check_4() { // bbox and datetime filters agree with an independent reading of every feature
    auto& s = served();
    const auto all = get_json("/collections/hotspots/items?limit=500", s.planner);
    // Derby's centre: a box around the Council House.
    const double bx0 = -1.50, by0 = 52.90, bx1 = -1.45, by1 = 52.94;
    std::set<std::string> inside;
    for (const auto& f : all["features"]) {
        double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
        walk(f["geometry"]["coordinates"], x0, y0, x1, y1);
        if (x0 <= bx1 && bx0 <= x1 && y0 <= by1 && by0 <= y1) {
            inside.insert(f["id"].get<std::string>());
        }
    }
    REQUIRE_FALSE(inside.empty());
    CHECK(inside.size() < all["features"].size());
    const auto filtered = get_json("/collections/hotspots/items?limit=500&bbox=-1.50,52.90,-1.45,52.94", s.planner);
    CHECK(filtered["numberMatched"] == inside.size());
    std::set<std::string> got;
    for (const auto& f : filtered["features"]) {
        got.insert(f["id"].get<std::string>());
    }
    CHECK(got == inside);
    // The run covers January to June 2025.
    CHECK(get_json("/collections/hotspots/items?datetime=2025-03-14", s.planner)["numberMatched"] == all["numberMatched"]);
    CHECK(get_json("/collections/hotspots/items?datetime=2025-07-01/..", s.planner)["numberMatched"] == 0);
    CHECK(get_json("/collections/hotspots/items?datetime=../2024-12-31T23:59:59Z", s.planner)["numberMatched"] == 0);
    // The collection says so.
    const auto c = get_json("/collections/hotspots", s.planner);
    CHECK(c["extent"]["temporal"]["interval"][0][0] == "2025-01-01T00:00:00Z");
    CHECK(c["extent"]["temporal"]["interval"][0][1] == "2025-06-30T23:59:59Z");
}

void check_5() { // published collections withhold small counts; internal ones do not
    auto& s = served();
    auto small_counts = [&](const std::string& collection) {
        int small = 0;
        int total = 0;
        std::string next = "/collections/" + collection + "/items?limit=500";
        while (!next.empty()) {
            const auto page = get_json(next, s.admin);
            for (const auto& f : page["features"]) {
                const auto& v = f["properties"]["count"];
                ++total;
                if (v.is_number() && v.get<double>() > 0 && v.get<double>() < 5) {
                    ++small;
                }
            }
            next.clear();
            for (const auto& l : page["links"]) {
                if (l["rel"] == "next") {
                    next = without_base(l["href"].get<std::string>());
                }
            }
        }
        return std::make_pair(small, total);
    };
    const auto published = small_counts("cells");
    const auto internal = small_counts("cells-internal");
    CHECK(published.first == 0);
    CHECK(internal.first > 0);
    CHECK(published.second == internal.second);
    const auto c = get_json("/collections/cells", s.planner);
    CHECK(c["classification"] == "OFFICIAL");
    CHECK(get_json("/collections/cells-internal", s.admin)["classification"] == "OFFICIAL-SENSITIVE");
}

void check_6() { // vector tiles of the hotspots, read back by GDAL's MVT driver
    auto& s = served();
    const auto tj = get_json("/tiles/hotspots.json", s.planner);
    CHECK(tj["tilejson"] == "3.0.0");
    CHECK(tj["tiles"][0] == "http://hotref.test/tiles/hotspots/{z}/{x}/{y}.pbf");
    CHECK(tj["vector_layers"][0]["id"] == "hotspots");
    // The tile at zoom 12 holding the top hotspot's first vertex (slippy-map tile formula).
    const auto top = get_json("/collections/hotspots/items?limit=1", s.planner)["features"][0];
    double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
    walk(top["geometry"]["coordinates"], x0, y0, x1, y1);
    const double lon = (x0 + x1) / 2, lat = (y0 + y1) / 2;
    const int z = 12;
    const double n = std::pow(2.0, z);
    const int x = static_cast<int>((lon + 180.0) / 360.0 * n);
    const double lat_r = lat * M_PI / 180.0;
    const int y = static_cast<int>((1.0 - std::asinh(std::tan(lat_r)) / M_PI) / 2.0 * n);
    const auto tile = get("/tiles/hotspots/12/" + std::to_string(x) + "/" + std::to_string(y) + ".pbf", s.planner);
    REQUIRE(tile.result_int() == 200);
    CHECK(tile[http::field::content_type] == "application/vnd.mapbox-vector-tile");
    const auto dir = s.tmp.path() / "tile" / "12" / std::to_string(x);
    std::filesystem::create_directories(dir);
    const auto file = (dir / (std::to_string(y) + ".pbf")).string();
    t::write_file(file, tile.body());
    const auto layers = hotref::geo::inspect_vector(file);
    REQUIRE(layers.size() == 1);
    CHECK(layers[0].name == "hotspots");
    CHECK(layers[0].features >= 1);
    // Out of range, malformed and empty.
    CHECK(get("/tiles/hotspots/13/0/0.pbf", s.planner).result_int() == 404);   // beyond maxzoom 12
    CHECK(get("/tiles/hotspots/12/0/0.pbf", s.planner).result_int() == 204);   // the Pacific
    CHECK(get("/tiles/hotspots/12/4096/0.pbf", s.planner).result_int() == 400);
    CHECK(get("/tiles/hotspots/12/x/0.pbf", s.planner).result_int() == 400);
    CHECK(get("/tiles/incidents.json", s.planner).result_int() == 404);
    CHECK(get("/tiles/hotspots/12/0/0.pbf", "").result_int() == 401);
}

void check_7() { // bad requests get a 4xx with a structured message
    auto& s = served();
    auto check = [&](const std::string& target, int status) {
        CAPTURE(target);
        const auto r = get(target, s.planner);
        CHECK(r.result_int() == status);
        const auto body = json::parse(r.body());
        CHECK(body["status"] == status);
        CHECK_FALSE(body["message"].get<std::string>().empty());
    };
    check("/collections/hotspots/items?limit=abc", 400);
    check("/collections/hotspots/items?limit=0", 400);
    check("/collections/hotspots/items?offset=-3", 400);
    check("/collections/hotspots/items?bbox=1,2,3", 400);
    check("/collections/hotspots/items?bbox=400000,300000,450000,350000", 400);
    check("/collections/hotspots/items?datetime=last-week", 400);
    check("/collections/hotspots/items?colour=red", 400);
    check("/collections/hotspots/items?f=kml", 406); // f=html is served (check_11)
    check("/collections/hot%zzspots/items", 400);
    check("/no/such/thing", 404);
    const auto post = s.service->handle(request(http::verb::post, "/collections/hotspots/items", s.planner, "{}",
                                                "application/json"));
    CHECK(post.response.result_int() == 405);
    CHECK(post.response[http::field::allow] == "GET, HEAD");
    // Errors come in protobuf when that is what the client takes.
    const auto pb = s.service->handle(request(http::verb::get, "/v1/evaluations/abc", s.planner, "", "",
                                              "application/x-protobuf"));
    CHECK(pb.response.result_int() == 400);
    hotref::v1::Error error;
    REQUIRE(error.ParseFromString(pb.response.body()));
    CHECK(error.status() == 400);
    CHECK(error.code() == "bad_request");
}

void check_8() { // referrals through their lifecycle over the API, audited with the token's name
    auto& s = served();
    auto call = [&](http::verb v, const std::string& target, const std::string& body, const std::string& token) {
        return s.service->handle(request(v, target, token, body, "application/json")).response;
    };
    const std::string create = R"({"reference":"API-0001","created_at":"2025-05-01T18:00","incident_refs":["DC-API-1"],
        "offence":"asb","asb_qualifier":"nuisance","easting":435170,"northing":335720,
        "disposal":"community-resolution","age_band":"adult","first_time_entrant":true,"provider":"IJ Provider",
        "person_id":"PNC-API-1"})";
    auto r = call(http::verb::post, "/v1/referrals", create, s.caseworker);
    REQUIRE_MESSAGE(r.result_int() == 201, r.body());
    auto j = json::parse(r.body());
    CHECK(j["state"] == "referred");
    CHECK(j["result"] == "created");
    CHECK(j.contains("person_id") == false);
    CHECK(r.body().find("PNC-API-1") == std::string::npos);
    CHECK(call(http::verb::post, "/v1/referrals", create, s.caseworker).result_int() == 409);
    CHECK(call(http::verb::post, "/v1/referrals", create, s.planner).result_int() == 403);

    // Contact 40 hours later: within 48 hours.
    r = call(http::verb::patch, "/v1/referrals/API-0001", R"({"contacted_at":"2025-05-03T10:00"})", s.caseworker);
    REQUIRE_MESSAGE(r.result_int() == 200, r.body());
    j = json::parse(r.body());
    CHECK(j["state"] == "contacted");
    CHECK(j["contact_within_48h"] == true);
    // A workshop attended before it was booked breaks the rules: 422, nothing changed.
    r = call(http::verb::patch, "/v1/referrals/API-0001", R"({"workshop_attended_at":"2025-05-04T10:00"})",
             s.caseworker);
    CHECK(r.result_int() == 422);
    j = json::parse(r.body());
    CHECK(j["code"] == "unprocessable");
    CHECK(j["details"].dump().find("workshop_booked_at") != std::string::npos);
    CHECK(call(http::verb::patch, "/v1/referrals/NOPE", R"({"contacted_at":"2025-05-03T10:00"})", s.caseworker)
              .result_int() == 404);
    CHECK(call(http::verb::patch, "/v1/referrals/API-0001", R"({"reference":"OTHER"})", s.caseworker).result_int() ==
          400);
    CHECK(call(http::verb::patch, "/v1/referrals/API-0001", R"({"colour":"red"})", s.caseworker).result_int() == 400);
    CHECK(call(http::verb::patch, "/v1/referrals/API-0001", R"({"contacted_at":)", s.caseworker).result_int() == 400);
    CHECK(s.service->handle(request(http::verb::post, "/v1/referrals", s.caseworker, "x", "text/csv"))
              .response.result_int() == 415);

    // The same in protobuf: refuse, then read back with the audit trail.
    hotref::v1::ReferralInput in;
    in.set_outcome("refused");
    in.set_outcome_at("2025-05-05T12:00");
    in.set_escalation("charge or summons (police decision)");
    std::string bytes;
    in.SerializeToString(&bytes);
    const auto pr = s.service->handle(request(http::verb::patch, "/v1/referrals/API-0001", s.caseworker, bytes,
                                              "application/x-protobuf", "application/x-protobuf"));
    REQUIRE(pr.response.result_int() == 200);
    CHECK(pr.response[http::field::content_type] == "application/x-protobuf");
    hotref::v1::Referral out;
    REQUIRE(out.ParseFromString(pr.response.body()));
    CHECK(out.state() == "refused");
    CHECK(s.service->handle(request(http::verb::patch, "/v1/referrals/API-0001", s.caseworker, "\xff\xff\x01",
                                    "application/x-protobuf"))
              .response.result_int() == 400);
    const auto read = get_json("/v1/referrals/API-0001", s.caseworker);
    std::set<std::string> actors;
    for (const auto& a : read["audit"]) {
        actors.insert(a["actor"].get<std::string>());
    }
    CHECK(actors == std::set<std::string>{"Casey Worker"});
    CHECK(sql_int("SELECT count(*) FROM api_audit WHERE token_name = 'Casey Worker' AND target = "
                  "'/v1/referrals/API-0001' AND status = 422") == 1);
    CHECK(sql_int("SELECT count(*) FROM api_audit WHERE token_name = 'Casey Worker' AND status IN (200, 201)") == 3);
    // Listed with the imported ones; the raw identifier is nowhere in the store.
    const auto list = get_json("/v1/referrals?state=refused", s.caseworker);
    CHECK(list["count"].get<std::string>() != "0");
    CHECK(t::read_file(s.store_path).find("PNC-API-1") == std::string::npos);
}

void check_9() { // feeds are submitted by analysts and ingested as by the command line
    auto& s = served();
    const auto csv = t::read_file(t::data("policeuk/2025-01-small-street.csv"));
    auto post = [&](const std::string& target, const std::string& body, const std::string& type,
                    const std::string& token) {
        return s.service->handle(request(http::verb::post, target, token, body, type)).response;
    };
    CHECK(post("/v1/feeds?name=2030-01-small-street.csv", csv, "text/csv", s.caseworker).result_int() == 403);
    // A feed batch in protobuf; the month in the data decides the partition.
    hotref::v1::FeedBatch batch;
    auto* f = batch.add_files();
    f->set_name("2025-01-small-street.csv");
    f->set_content(csv);
    std::string bytes;
    batch.SerializeToString(&bytes);
    auto r = post("/v1/feeds", bytes, "application/x-protobuf", s.analyst);
    REQUIRE_MESSAGE(r.result_int() == 200, r.body());
    const auto report = json::parse(r.body());
    CHECK(report["files"][0]["status"] == "stored");
    CHECK(report["files"][0]["name"] == "2025-01-small-street.csv");
    CHECK(std::stoll(report["rows_read"].get<std::string>()) > 0);
    CHECK(sql_int("SELECT count(*) FROM api_audit WHERE token_name = 'Ana Lyst' AND target = '/v1/feeds'") == 1);
    // The same content again changes nothing.
    r = post("/v1/feeds?name=2025-01-small-street.csv", csv, "text/csv", s.analyst);
    CHECK(json::parse(r.body())["files"][0]["status"] == "unchanged");
    // Not a feed, a bad name, nothing at all.
    CHECK(post("/v1/feeds?name=notes.csv", "hello,world\n1,2\n", "text/csv", s.analyst).result_int() == 422);
    CHECK(post("/v1/feeds?name=..%2Fetc%2Fpasswd", "x", "text/csv", s.analyst).result_int() == 400);
    CHECK(post("/v1/feeds", "{}", "application/json", s.analyst).result_int() == 400);
    CHECK(post("/v1/feeds", "{\"files\": 3}", "application/json", s.analyst).result_int() == 400);
}

void check_10() { // hotspots, evaluations and metrics from the API
    auto& s = served();
    const auto list = get_json("/v1/hotspots", s.planner);
    CHECK(std::stoll(list["run_id"].get<std::string>()) == s.run_id);
    CHECK(static_cast<std::int64_t>(list["hotspots"].size()) ==
          get_json("/collections/hotspots/items?limit=1", s.planner)["numberMatched"].get<std::int64_t>());
    CHECK(list["hotspots"][0]["rank"] == 1);
    CHECK(list["classification"] == "OFFICIAL");
    // Protobuf gives the same.
    const auto pb = s.service->handle(request(http::verb::get, "/v1/hotspots", s.planner, "", "", "application/x-protobuf"));
    hotref::v1::HotspotList hl;
    REQUIRE(hl.ParseFromString(pb.response.body()));
    CHECK(hl.hotspots_size() == static_cast<int>(list["hotspots"].size()));
    CHECK(hl.hotspots(0).code() == list["hotspots"][0]["code"]);

    const auto evs = get_json("/v1/evaluations", s.planner);
    REQUIRE(evs["evaluations"].size() == 1);
    const auto id = evs["evaluations"][0]["id"].get<std::string>();
    const auto ev = get_json("/v1/evaluations/" + id, s.planner);
    CHECK(ev["params"]["date"] == "2025-07");
    CHECK(static_cast<std::int64_t>(ev["areas"].size()) ==
          sql_int("SELECT count(*) FROM evaluation_area WHERE evaluation_id = " + id));
    // Published: no area shows a count from 1 to 4.
    for (const auto& a : ev["areas"]) {
        for (const char* k : {"target_before", "target_after", "buffer_before", "buffer_after"}) {
            if (a["measures"].contains(k) && a["measures"][k].is_number()) {
                const double v = a["measures"][k].get<double>();
                CHECK_FALSE((v > 0 && v < 5));
            }
        }
    }
    CHECK(get("/v1/evaluations/999", s.planner).result_int() == 404);

    const auto metrics = get("/metrics", "");
    CHECK(metrics.result_int() == 200);
    CHECK(metrics[http::field::content_type].starts_with("text/plain; version=0.0.4"));
    CHECK(metrics.body().find("hotref_snapshot_run " + std::to_string(s.run_id) + "\n") != std::string::npos);
    const auto ready = get_json("/readyz", "");
    CHECK(ready["status"] == "ready");
}

void check_reads_during_ingest() { // reads keep working while an ingest writes
    auto& s = served();
    std::atomic<bool> done{false};
    std::thread writer([&] {
        hotref::store::Store store{s.store_path, false};
        const auto area = hotref::geo::StudyArea::from_file(t::geodata("derbyshire_force_area.gpkg"), "force_area");
        hotref::ingest::IngestOptions options;
        options.area = &area;
        options.reingest = true; // the same twelve files stored again: twelve write transactions
        hotref::ingest::Ingester ingester{store, std::move(options)};
        for (const auto& f : hotref::ingest::plan_inputs({t::geodata("police-uk/derbyshire-2025")}, false).files) {
            ingester.ingest(f);
        }
        done = true;
    });
    int total = 0;
    int ok = 0;
    while (!done) {
        for (const char* target : {"/collections/hotspots/items?limit=50", "/v1/evaluations", "/v1/referrals?limit=5"}) {
            const auto r = get(target, s.admin);
            ++total;
            ok += r.result_int() == 200 ? 1 : 0;
        }
    }
    writer.join();
    CHECK(total > 3);
    CHECK(ok == total);
}

void check_bulletin() { // the current run's patrol bulletin, as PDF, HTML and the Bulletin message
    auto& s = served();
    const auto pdf = s.service->handle(request(http::verb::get, "/v1/bulletins/latest", s.planner, "", "",
                                               "application/pdf")).response;
    REQUIRE_MESSAGE(pdf.result_int() == 200, pdf.body().substr(0, 300));
    CHECK(pdf[http::field::content_type] == "application/pdf");
    CHECK(pdf.body().rfind("%PDF-", 0) == 0);
    const auto html = get("/v1/bulletins/latest?f=html", s.planner);
    CHECK(html[http::field::content_type] == "text/html; charset=utf-8");
    CHECK(html.body().find("<svg") != std::string::npos);
    CHECK(html.body().find("OFFICIAL") != std::string::npos);
    const auto pb = s.service->handle(request(http::verb::get, "/v1/bulletins/latest", s.planner, "", "",
                                              "application/x-protobuf")).response;
    hotref::v1::Bulletin b;
    REQUIRE(b.ParseFromString(pb.body()));
    CHECK(b.run_id() == s.run_id);
    CHECK(b.pdf() == pdf.body());
    CHECK(b.html() == html.body());
    CHECK(get("/v1/bulletins/latest?f=doc", s.planner).result_int() == 400);
    CHECK(get("/v1/bulletins/latest", "").result_int() == 401);
}

// Every feature of a collection, through the pages of the API.
json all_features(const std::string& collection, const std::string& token) {
    json out = json::array();
    std::string next = "/collections/" + collection + "/items?limit=500";
    while (!next.empty()) {
        const auto page = get_json(next, token);
        for (const auto& f : page["features"]) {
            out.push_back(f);
        }
        next.clear();
        for (const auto& l : page["links"]) {
            if (l["rel"] == "next") {
                next = without_base(l["href"].get<std::string>());
            }
        }
    }
    return out;
}

void check_11() { // the web map's files, f=html, styles, significant cells and districts
    auto& s = served();
    // The page and MapLibre answer without a token (no data in them), from the build's web/ folder.
    const auto page = get("/map", "");
    REQUIRE_MESSAGE(page.result_int() == 200, page.body().substr(0, 300));
    CHECK(page[http::field::content_type] == "text/html; charset=utf-8");
    CHECK(page.body().find("map/maplibre-gl.js") != std::string::npos);
    CHECK(std::string{page["Content-Security-Policy"]}.find("default-src 'self'") != std::string::npos);
    const auto lib = get("/map/maplibre-gl.js", "");
    CHECK(lib.result_int() == 200);
    CHECK(lib.body().size() > 100000);
    CHECK(get("/map/", "").result_int() == 308);
    CHECK(get("/map/secret.txt", "").result_int() == 404);
    CHECK(get("/map/map.html", "").result_int() == 404);
    CHECK(get("/map/%2e%2e%2fCMakeCache.txt", "").result_int() >= 400);
    {
        // Without MapLibre (tools/setup.sh not run): 503 naming the fix.
        const t::TempDir empty;
        ::setenv("HOTREF_WEB", empty.path().c_str(), 1);
        const auto missing = get("/map/maplibre-gl.js", "");
        ::unsetenv("HOTREF_WEB");
        CHECK(missing.result_int() == 503);
        CHECK(missing.body().find("tools/setup.sh") != std::string::npos);
    }

    // f=html, and a browser's Accept: text/html; every text escaped.
    CHECK(hotref::server::html_escape("<b a=\"x\">Tom & Jerry's</b>") ==
          "&lt;b a=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/b&gt;");
    CHECK(hotref::server::with_format("http://h/c/items?limit=5&f=json&offset=5", "html") ==
          "http://h/c/items?limit=5&f=html&offset=5");
    CHECK(hotref::server::with_format("http://h/c", "html") == "http://h/c?f=html");
    const auto landing = get("/?f=html", s.planner);
    CHECK(landing[http::field::content_type] == "text/html; charset=utf-8");
    CHECK(landing.body().find("<a href=\"map\">Web map</a>") != std::string::npos);
    CHECK(std::string{landing["Content-Security-Policy"]}.find("default-src 'none'") != std::string::npos);
    const auto browser = s.service->handle(request(http::verb::get, "/collections", s.planner, "", "",
                                                   "text/html,application/xhtml+xml,*/*;q=0.8")).response;
    CHECK(browser.body().find("href=\"http://hotref.test/collections/hotspots?f=html\">Hotspots</a>") !=
          std::string::npos);
    CHECK(get("/collections", s.planner)[http::field::content_type] == "application/json");
    const auto h1 = get_json("/collections/hotspots/items/H-0001", s.planner);
    const auto items = get("/collections/hotspots/items?f=html&limit=3", s.planner).body();
    CHECK(items.find("<td>" + hotref::server::html_escape(h1["properties"]["name"].get<std::string>()) + "</td>") !=
          std::string::npos);
    CHECK(items.find("offset=3&amp;f=html\">next</a>") != std::string::npos);
    CHECK(get("/collections/hotspots/items/H-0001?f=html", s.planner).body().find("<th>incidents</th>") !=
          std::string::npos);
    CHECK(get("/collections/hotspots/items?f=xml", s.planner).result_int() == 406);
    CHECK(get("/collections/hotspots-internal?f=html", s.planner).result_int() == 403);

    // Styles: the QML each collection links, as the GeoPackage stores it.
    std::string qml_href;
    const auto cells = get_json("/collections/cells", s.planner);
    for (const auto& l : cells["links"]) {
        if (l["type"] == "application/vnd.qgis.qml") {
            qml_href = l["href"].get<std::string>();
        }
    }
    REQUIRE(!qml_href.empty());
    const auto qml = get(without_base(qml_href), s.planner);
    CHECK(qml.result_int() == 200);
    CHECK(qml.body().find("attr=\"bin\"") != std::string::npos);
    CHECK(qml.body().find("214,47,39,255") != std::string::npos);
    CHECK(get_json("/collections/hotspots/styles", s.planner)["styles"][0]["id"] == "default");
    CHECK(get("/collections/hotspots/styles/other", s.planner).result_int() == 404);
    CHECK(get("/collections/hotspots-internal/styles/default", s.planner).result_int() == 403);

    // The significant cells are exactly the published cells with a bin other than 0, as published.
    std::map<std::string, std::string> significant;
    for (const auto& f : all_features("cells", s.planner)) {
        if (f["properties"]["bin"].get<int>() != 0) {
            significant[f["id"].get<std::string>()] = f["properties"].dump();
        }
    }
    const auto only = all_features("cells-significant", s.planner);
    CHECK(!significant.empty());
    CHECK(only.size() == significant.size());
    for (const auto& f : only) {
        CHECK(significant[f["id"].get<std::string>()] == f["properties"].dump());
    }
    CHECK(sql_int("SELECT count(*) FROM run_cell WHERE run_id = " + std::to_string(s.run_id) + " AND bin != 0") ==
          static_cast<std::int64_t>(only.size()));

    // Districts under the map: the nine of the Derbyshire force, no neighbour's (selected by the
    // force area, not its bounding box).
    std::set<std::string> derbyshire;
    for (const auto& f : all_features("districts", s.planner)) {
        CHECK(f["properties"]["force"] == "Derbyshire Constabulary");
        derbyshire.insert(f["properties"]["name"].get<std::string>());
    }
    CHECK(derbyshire.size() == 9);
    CHECK(derbyshire.count("Derby") == 1);
    CHECK(derbyshire.count("High Peak") == 1);

    // Patrol windows on the bulletin's top five (police.uk has no times: none, said so).
    int with_windows = 0;
    for (const auto& f : all_features("hotspots", s.planner)) {
        if (f["properties"].contains("patrol_windows")) {
            ++with_windows;
            CHECK(f["properties"]["rank"].get<int>() <= 5);
            CHECK(f["properties"]["patrol_windows"] == "none: the source has no times of day");
        }
    }
    CHECK(with_windows == std::min<int>(5, static_cast<int>(get_json("/collections/hotspots/items?limit=1",
                                                                      s.planner)["numberMatched"].get<int>())));
}

// One test case, so that the served store (ingest, Gi*, referrals, evaluation, layers) is built once.
TEST_CASE("serve: the service over the real Derbyshire run") {
    SUBCASE("the current run's patrol bulletin") {
        check_bulletin();
    }
    SUBCASE("reads keep working while an ingest writes") {
        check_reads_during_ingest();
    }
    SUBCASE("the OGC API landing page, conformance and OpenAPI document") {
        check_1();
    }
    SUBCASE("tokens and roles decide what is seen") {
        check_2();
    }
    SUBCASE("items page through every hotspot, as the store holds them") {
        check_3();
    }
    SUBCASE("bbox and datetime filters agree with an independent reading of every feature") {
        check_4();
    }
    SUBCASE("published collections withhold small counts; internal ones do not") {
        check_5();
    }
    SUBCASE("vector tiles of the hotspots, read back by GDAL's MVT driver") {
        check_6();
    }
    SUBCASE("bad requests get a 4xx with a structured message") {
        check_7();
    }
    SUBCASE("referrals through their lifecycle over the API, audited with the token's name") {
        check_8();
    }
    SUBCASE("feeds are submitted by analysts and ingested as by the command line") {
        check_9();
    }
    SUBCASE("hotspots, evaluations and metrics from the API") {
        check_10();
    }
    SUBCASE("the web map's files, f=html pages, styles, significant cells and districts") {
        check_11();
    }
}
