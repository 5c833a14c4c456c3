#include "core/error.hpp"
#include "geo/area.hpp"
#include "geo/vector.hpp"
#include "hotspot/pipeline.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "publish/disclosure.hpp"
#include "publish/layers.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>

namespace t = hotref::test;
using hotref::publish::Profile;

namespace {


std::map<std::string, hotref::geo::LayerInfo> layers_of(const std::string& path) {
    std::map<std::string, hotref::geo::LayerInfo> out;
    for (auto& l : hotref::geo::inspect_vector(path)) {
        out.emplace(l.name, std::move(l));
    }
    return out;
}

} // namespace

TEST_CASE("disclosure: profiles and their classification") {
    CHECK(hotref::publish::classification(Profile::published) == std::string{"OFFICIAL"});
    CHECK(hotref::publish::classification(Profile::internal) == std::string{"OFFICIAL-SENSITIVE"});
    CHECK(hotref::publish::profile_from_name("internal") == Profile::internal);
    CHECK_THROWS_AS(hotref::publish::profile_from_name("open"), hotref::UsageError);
}

TEST_CASE("layers: the real Derbyshire Gi* run as a styled GeoPackage, GeoJSON, FlatGeobuf, CSV and tiles") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    hs.trends = true;
    const auto run = hotref::hotspot::run_hotspots(store, hs);

    hotref::publish::LayersOptions opt;
    opt.out_dir = tmp.file("layers");
    opt.tiles_max_zoom = 11;
    const auto r = hotref::publish::write_layers(store, opt);
    CHECK(r.run_id == run.run_id);

    // GDAL: every layer opens in EPSG:27700 with its features, fields and metadata.
    const auto layers = layers_of(r.gpkg);
    for (const char* name : {"hotspots", "hotspot_cells", "incidents", "study_area"}) {
        CAPTURE(name);
        REQUIRE(layers.count(name) == 1);
        const auto& l = layers.at(name);
        CHECK(l.epsg == 27700);
        CHECK(l.features == r.features.at(name));
        CHECK(l.metadata.at("CLASSIFICATION") == "OFFICIAL");
        CHECK(l.metadata.at("PROFILE") == "published");
        CHECK(l.metadata.at("LICENCE") == "Open Government Licence v3.0");
        CHECK(l.metadata.at("PERIOD") == "2025-01 to 2025-12");
        CHECK(!l.metadata.at("PARAMETERS").empty());
    }
    // Hotspots of fewer than 5 locations or incidents are not published (issue 13).
    CHECK(layers.at("hotspots").features + r.hotspots_withheld == static_cast<std::int64_t>(run.hotspots.size()));
    CHECK(r.hotspots_withheld < static_cast<std::int64_t>(run.hotspots.size()) / 3);
    CHECK(layers.at("hotspot_cells").features == run.study_cells);
    CHECK(layers.at("hotspots").geometry == "Multi Polygon");
    for (const char* field : {"code", "rank", "name", "incidents", "pai", "mean_z", "confidence", "trend"}) {
        CAPTURE(field);
        const auto& f = layers.at("hotspots").fields;
        CHECK(std::find(f.begin(), f.end(), field) != f.end());
    }

    // What QGIS needs: spatial indexes, layer_styles registered and matching its lookup.
    hotref::store::Database gpkg{r.gpkg, false};
    for (const char* name : {"hotspots", "hotspot_cells", "incidents", "study_area"}) {
        CAPTURE(name);
        CHECK(gpkg.query_int(std::string{"SELECT count(*) FROM sqlite_master WHERE name = 'rtree_"} + name + "_geom'") == 1);
        CHECK(gpkg.query_int(std::string{"SELECT count(*) FROM layer_styles WHERE f_table_schema = '' AND f_table_name = '"} +
                             name + "' AND f_geometry_column = 'geom' AND useAsDefault = 1") == 1);
    }
    CHECK(gpkg.query_int("SELECT count(*) FROM gpkg_contents WHERE table_name = 'layer_styles'") == 1);
    CHECK(gpkg.query_int("SELECT count(*) FROM layer_styles WHERE styleQML LIKE '%categorizedSymbol%attr=\"bin\"%'") == 1);

    // Disclosure: nothing from 1 to 4 reaches the published layers.
    CHECK(gpkg.query_int("SELECT count(*) FROM incidents WHERE total < 5") == 0);
    CHECK(gpkg.query_int("SELECT count(*) FROM hotspot_cells WHERE count > 0 AND count < 5") == 0);
    CHECK(gpkg.query_int("SELECT count(*) FROM hotspots WHERE incidents > 0 AND incidents < 5") == 0);
    std::string any_small = "SELECT count(*) FROM incidents WHERE 0";
    for (int m = 1; m <= 12; ++m) {
        char col[16];
        std::snprintf(col, sizeof col, "m_2025_%02d", m);
        any_small += std::string{" OR ("} + col + " > 0 AND " + col + " < 5)";
    }
    CHECK(gpkg.query_int(any_small) == 0);
    CHECK(r.locations_withheld > 0);
    CHECK(r.suppressed_primary > 0);

    // GeoJSON is RFC 7946: WGS84 longitude/latitude, no "crs" member.
    const auto gj = t::read_file(tmp.file("layers/geojson/hotspots.geojson"));
    CHECK(gj.find("\"type\": \"FeatureCollection\"") != std::string::npos);
    CHECK(gj.find("\"crs\"") == std::string::npos);
    const auto wgs = layers_of(tmp.file("layers/geojson/hotspots.geojson"));
    CHECK(wgs.begin()->second.epsg == 4326);
    CHECK(wgs.begin()->second.features == layers.at("hotspots").features);
    // FlatGeobuf and CSV.
    CHECK(layers_of(tmp.file("layers/flatgeobuf/incidents.fgb")).begin()->second.features ==
          layers.at("incidents").features);
    CHECK(t::read_file(tmp.file("layers/hotspots.csv")).rfind("code,rank,name", 0) == 0);
    // Vector tiles: a TileJSON-like metadata.json and z/x/y.pbf tiles that decode (GDAL's MVT reader).
    CHECK(std::filesystem::exists(tmp.file("layers/tiles/metadata.json")));
    std::string a_tile;
    int n_tiles = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(tmp.file("layers/tiles"))) {
        if (e.path().extension() == ".pbf") {
            ++n_tiles;
            if (a_tile.empty() || e.path().string().find("/11/") != std::string::npos) {
                a_tile = e.path().string();
            }
        }
    }
    REQUIRE(n_tiles > 0);
    const auto tile = layers_of(a_tile);
    CHECK((tile.count("hotspots") == 1 || tile.count("hotspot_cells") == 1));

    // An existing output is refused unless told to overwrite; an unknown run is an error.
    CHECK_THROWS_WITH_AS(hotref::publish::write_layers(store, opt), doctest::Contains("give --overwrite"), hotref::Error);
    opt.overwrite = true;
    opt.run_id = 999;
    CHECK_THROWS_WITH_AS(hotref::publish::write_layers(store, opt), doctest::Contains("no run 999"), hotref::Error);

    // The internal profile keeps small counts and says so.
    opt.run_id = 0;
    opt.profile = Profile::internal;
    opt.vector_tiles = false;
    const auto internal = hotref::publish::write_layers(store, opt);
    hotref::store::Database in{internal.gpkg, false};
    CHECK(in.query_int("SELECT count(*) FROM incidents WHERE total < 5") > 0);
    CHECK(layers_of(internal.gpkg).at("incidents").metadata.at("CLASSIFICATION") == "OFFICIAL-SENSITIVE");
}

TEST_CASE("layers: a run over several categories has counts by category, suppressed too") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(500);
    hs.categories = "ij";
    hotref::hotspot::run_hotspots(store, hs);
    hotref::publish::LayersOptions opt;
    opt.out_dir = tmp.file("layers");
    opt.vector_tiles = false;
    const auto r = hotref::publish::write_layers(store, opt);
    const auto fields = layers_of(r.gpkg).at("incidents").fields;
    for (const char* c : {"c_anti_social_behaviour", "c_public_order", "c_shoplifting", "c_drugs",
                          "c_criminal_damage_arson"}) {
        CAPTURE(c);
        CHECK(std::find(fields.begin(), fields.end(), c) != fields.end());
    }
    hotref::store::Database gpkg{r.gpkg, false};
    CHECK(gpkg.query_int("SELECT count(*) FROM incidents WHERE (c_public_order > 0 AND c_public_order < 5) OR "
                         "(c_shoplifting > 0 AND c_shoplifting < 5) OR (c_drugs > 0 AND c_drugs < 5) OR "
                         "(c_anti_social_behaviour > 0 AND c_anti_social_behaviour < 5) OR "
                         "(c_criminal_damage_arson > 0 AND c_criminal_damage_arson < 5)") == 0);
    // Where categories are shown, they add up to the total within the cell-key noise (each of
    // the published figures, 12 months and 5 categories, is within 2 of the truth), or some are withheld.
    const std::string all_shown = "c_public_order IS NOT NULL AND c_shoplifting IS NOT NULL AND c_drugs IS NOT NULL "
                                  "AND c_anti_social_behaviour IS NOT NULL AND c_criminal_damage_arson IS NOT NULL";
    const std::string sum = "(c_public_order + c_shoplifting + c_drugs + c_anti_social_behaviour + "
                            "c_criminal_damage_arson)";
    CHECK(gpkg.query_int("SELECT count(*) FROM incidents WHERE " + all_shown + " AND abs(" + sum + " - total) > 34") == 0);
    CHECK(gpkg.query_int("SELECT count(*) FROM incidents WHERE " + all_shown + " AND " + sum + " != total") > 0);
    // The internal profile adds up exactly.
    opt.profile = hotref::publish::Profile::internal;
    opt.out_dir = tmp.file("internal");
    const auto in = hotref::publish::write_layers(store, opt);
    hotref::store::Database igpkg{in.gpkg, false};
    CHECK(igpkg.query_int("SELECT count(*) FROM incidents WHERE " + sum + " != total") == 0);
}
