// Attacks on the published profile with derived values (issue 13): an adversary
// holding the published GeoPackage tries to get withheld counts back from PAI,
// the expected rate and Gi* z. Each attack must find nothing to work with.

#include "geo/area.hpp"
#include "hotspot/pipeline.hpp"
#include "publish/layers.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "fixtures.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace t = hotref::test;

namespace {

// One month of Derbyshire ASB: many hotspots and cells hold 1-4 incidents.
void one_month(hotref::store::Store& store, const std::string& method) {
    t::ingest_geodata(store);
    hotref::hotspot::HotspotOptions hs;
    hs.method = method;
    hs.area_path = t::geodata("derbyshire_force_area.gpkg");
    hs.from = hs.to = "2025-12";
    if (method == "gistar") {
        hs.cell_size = 100;
    } else {
        hs.count = 60; // reaches down to hotspots of 1-4 incidents
    }
    hotref::hotspot::run_hotspots(store, hs);
}

} // namespace

TEST_CASE("privacy: PAI, the expected rate and z do not give a withheld hotspot count back") {
    for (const char* method : {"patrol", "gistar"}) {
        CAPTURE(method);
        t::TempDir tmp;
        hotref::store::Store store{tmp.file("s.sqlite"), true};
        one_month(store, method);
        hotref::publish::LayersOptions opt;
        opt.out_dir = tmp.file("layers");
        opt.vector_tiles = false;
        const auto r = hotref::publish::write_layers(store, opt);
        hotref::store::Database gpkg{r.gpkg, false};
        // The attack: incidents = PAI x area x N / study area, with N and the study area from
        // any visible hotspot (share = incidents / N).
        const auto withheld = gpkg.query_int("SELECT count(*) FROM hotspots WHERE incidents IS NULL");
        REQUIRE(withheld > 0); // the fixture must hold small hotspots, or the test proves nothing
        CHECK(gpkg.query_int("SELECT count(*) FROM hotspots WHERE incidents IS NULL AND (pai IS NOT NULL OR share IS "
                             "NOT NULL OR density_km2 IS NOT NULL OR expected IS NOT NULL)") == 0);
        // z is linear in the local sum: none published, the confidence bin is.
        CHECK(gpkg.query_int("SELECT count(*) FROM hotspots WHERE mean_z IS NOT NULL OR max_z IS NOT NULL") == 0);
        if (std::string{method} == "gistar") {
            CHECK(gpkg.query_int("SELECT count(*) FROM hotspots WHERE confidence IS NOT NULL") ==
                  gpkg.query_int("SELECT count(*) FROM hotspots"));
            CHECK(gpkg.query_int("SELECT count(*) FROM hotspot_cells WHERE z IS NOT NULL OR p IS NOT NULL OR q IS NOT "
                                 "NULL") == 0);
            CHECK(gpkg.query_int("SELECT count(*) FROM hotspot_cells WHERE bin IS NOT NULL") ==
                  gpkg.query_int("SELECT count(*) FROM hotspot_cells"));
        }
        // The analysts' internal profile keeps everything.
        opt.profile = hotref::publish::Profile::internal;
        opt.out_dir = tmp.file("internal");
        const auto in = hotref::publish::write_layers(store, opt);
        hotref::store::Database igpkg{in.gpkg, false};
        CHECK(igpkg.query_int("SELECT count(*) FROM hotspots WHERE incidents IS NULL OR pai IS NULL") == 0);
        CHECK(igpkg.query_int("SELECT count(*) FROM hotspots WHERE max_z IS NOT NULL") > 0);
    }
}
