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
        hotref::store::Store store{tmp.store(), true};
        one_month(store, method);
        hotref::publish::LayersOptions opt;
        opt.out_dir = tmp.file("layers");
        opt.vector_tiles = false;
        const auto r = hotref::publish::write_layers(store, opt);
        hotref::store::Database gpkg{r.gpkg, false};
        hotref::publish::LayersOptions iopt = opt;
        iopt.profile = hotref::publish::Profile::internal;
        iopt.out_dir = tmp.file("internal");
        const auto in = hotref::publish::write_layers(store, iopt);
        hotref::store::Database igpkg{in.gpkg, false};
        // The fixture holds small hotspots, or the test proves nothing; none is published.
        REQUIRE(igpkg.query_int("SELECT count(*) FROM hotspots WHERE incidents < 5") > 0);
        gpkg.exec("ATTACH DATABASE '" + in.gpkg + "' AS internal");
        CHECK(gpkg.query_int("SELECT count(*) FROM hotspots p JOIN internal.hotspots i USING (code) "
                             "WHERE i.incidents < 5") == 0);
        CHECK(r.hotspots_withheld > 0);
        // The attack: incidents = PAI x area x N / study area, with N = incidents / share from any
        // visible hotspot. It gives back the published (perturbed) count, never anything finer.
        hotref::store::Statement st{gpkg, "SELECT incidents, share, pai, area_km2, density_km2 FROM hotspots"};
        double study_km2 = 0;
        {
            hotref::store::Statement a{gpkg, "SELECT area_km2 FROM study_area"};
            REQUIRE(a.step());
            study_km2 = a.column_double(0);
        }
        int published = 0, noisy = 0;
        while (st.step()) {
            const double n = st.column_double(0);
            const double total = n / st.column_double(1);
            const double from_pai = st.column_double(2) * st.column_double(3) * total / study_km2;
            CHECK(from_pai == doctest::Approx(n).epsilon(1e-6));
            CHECK(st.column_double(4) * st.column_double(3) == doctest::Approx(n).epsilon(1e-6));
            ++published;
        }
        hotref::store::Statement both{gpkg, "SELECT p.incidents, i.incidents FROM hotspots p JOIN internal.hotspots i "
                                            "USING (code)"};
        while (both.step()) {
            CHECK(std::abs(both.column_double(0) - both.column_double(1)) <= 2);
            noisy += both.column_double(0) != both.column_double(1) ? 1 : 0;
        }
        CHECK(published > 0);
        CHECK(noisy > 0);  // the published counts carry the cell-key noise
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
        CHECK(igpkg.query_int("SELECT count(*) FROM hotspots WHERE incidents IS NULL OR pai IS NULL") == 0);
        CHECK(igpkg.query_int("SELECT count(*) FROM hotspots WHERE max_z IS NOT NULL") > 0);
    }
}
