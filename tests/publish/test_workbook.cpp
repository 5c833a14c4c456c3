// hotref layers --xlsx read back by an independent reader (GDAL's XLSX driver), and the
// bulletin's district table against an independent count (OGR point-in-polygon on the
// bundled district boundaries, incidents straight from the store's SQL view).

#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "publish/bulletin.hpp"
#include "publish/layers.hpp"
#include "publish/model.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>

#include <cmath>
#include <map>
#include <optional>
#include <set>

namespace t = hotref::test;
using hotref::publish::Profile;

namespace {

// A sheet or layer read with OGR: each feature's fields by name (NULL/unset: nullopt).
using Row = std::map<std::string, std::optional<std::string>>;

std::map<std::string, std::vector<Row>> read_all(const std::string& path) {
    GDALAllRegister();
    CPLSetConfigOption("OGR_XLSX_HEADERS", "FORCE");
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    REQUIRE(ds != nullptr);
    std::map<std::string, std::vector<Row>> out;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
        OGRLayerH l = GDALDatasetGetLayer(ds, i);
        auto& rows = out[OGR_L_GetName(l)];
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
        OGR_L_ResetReading(l);
        while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
            Row row;
            for (int k = 0; k < OGR_FD_GetFieldCount(defn); ++k) {
                const std::string name = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k));
                row[name] = OGR_F_IsFieldSetAndNotNull(f, k) ? std::optional<std::string>{OGR_F_GetFieldAsString(f, k)}
                                                             : std::nullopt;
            }
            rows.push_back(std::move(row));
            OGR_F_Destroy(f);
        }
    }
    GDALClose(ds);
    CPLSetConfigOption("OGR_XLSX_HEADERS", nullptr);
    return out;
}

hotref::referral::RegistryOptions registry_options() {
    hotref::referral::RegistryOptions o;
    o.actor = "test caseworker";
    o.secret = "a-test-secret-of-enough-length";
    return o;
}

struct OgrPolygon {
    std::string name;
    OGRGeometryH geom = nullptr;
};

// The bundled districts of one force, read by OGR (not hotref's geometry code).
std::vector<OgrPolygon> force_districts(const std::string& force) {
    GDALAllRegister();
    GDALDatasetH ds = GDALOpenEx(t::geodata("england_force_areas.gpkg").c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 nullptr, nullptr, nullptr);
    REQUIRE(ds != nullptr);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "districts");
    REQUIRE(l != nullptr);
    OGR_L_SetAttributeFilter(l, ("force = '" + force + "'").c_str());
    std::vector<OgrPolygon> out;
    while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
        out.push_back({OGR_F_GetFieldAsString(f, OGR_F_GetFieldIndex(f, "name")), OGR_F_StealGeometry(f)});
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return out;
}

int ogr_district_of(const std::vector<OgrPolygon>& districts, double x, double y) {
    OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_SetPoint_2D(p, 0, x, y);
    int found = -1;
    for (std::size_t i = 0; i < districts.size() && found < 0; ++i) {
        if (OGR_G_Intersects(districts[i].geom, p)) {
            found = static_cast<int>(i);
        }
    }
    OGR_G_DestroyGeometry(p);
    return found;
}

// ASB incidents of `month` per district, straight from the store's incident view.
std::vector<double> count_month(hotref::store::Store& store, const std::vector<OgrPolygon>& districts,
                                const std::string& month) {
    hotref::store::Statement st{connection(store), "SELECT easting, northing, sum(n) FROM incident_v WHERE category = "
                                                   "'Anti-social behaviour' AND month = ? GROUP BY location_id, easting, northing"};
    st.bind(1, month);
    std::vector<double> out(districts.size(), 0.0);
    while (st.step()) {
        const int d = ogr_district_of(districts, st.column_double(0), st.column_double(1));
        if (d >= 0) {
            out[static_cast<std::size_t>(d)] += st.column_double(2);
        }
    }
    return out;
}

} // namespace

TEST_CASE("bulletin: the district table against an OGR point-in-polygon count of the store's incidents") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    const auto run = hotref::hotspot::run_hotspots(store, t::force_area_gistar(250));
    auto districts = force_districts("Derbyshire Constabulary");
    REQUIRE(districts.size() == 9); // eight districts and the city of Derby
    const auto dec = count_month(store, districts, "2025-12");
    const auto nov = count_month(store, districts, "2025-11");
    // Each hotspot in the district holding its PointOnSurface (OGR).
    std::vector<int> hotspots(districts.size(), 0);
    {
        hotref::store::Statement st{connection(store), "SELECT AsBinary(geom) FROM hotspot WHERE run_id = ?"};
        st.bind(1, run.run_id);
        while (st.step()) {
            const auto wkb = st.column_blob(0);
            OGRGeometryH g = nullptr;
            REQUIRE(OGR_G_CreateFromWkb(wkb.data(), nullptr, &g, static_cast<int>(wkb.size())) == OGRERR_NONE);
            OGRGeometryH p = OGR_G_PointOnSurface(g);
            const int d = ogr_district_of(districts, OGR_G_GetX(p, 0), OGR_G_GetY(p, 0));
            hotspots[static_cast<std::size_t>(std::max(d, 0))] += d >= 0 ? 1 : 0;
            OGR_G_DestroyGeometry(p);
            OGR_G_DestroyGeometry(g);
        }
    }

    hotref::publish::BulletinOptions opt;
    opt.pdf = opt.html = false;
    opt.profile = Profile::internal;
    const auto internal = hotref::publish::render_bulletin(store, opt).report;
    REQUIRE(internal.districts.size() == districts.size());
    CHECK(internal.previous_from == "2025-11");
    double sum = 0;
    int all_hotspots = 0;
    for (std::size_t i = 0; i < districts.size(); ++i) {
        const auto& d = internal.districts[i];
        const auto at = std::find_if(districts.begin(), districts.end(), [&](const auto& o) { return o.name == d.name; });
        REQUIRE(at != districts.end());
        const auto k = static_cast<std::size_t>(at - districts.begin());
        INFO(d.name);
        CHECK(d.now == dec[k]);
        CHECK(d.prev == nov[k]);
        CHECK(d.hotspots == hotspots[k]);
        sum += d.now;
        all_hotspots += d.hotspots;
    }
    CHECK(all_hotspots == static_cast<int>(run.hotspots.size()));
    CHECK(sum > 700); // December 2025 has about 800 ASB incidents in Derbyshire

    // Published: every figure within the perturbation's +/-2 of the truth, or withheld; none of
    // the districts' counts is small, so none is withheld.
    opt.profile = Profile::published;
    const auto published = hotref::publish::render_bulletin(store, opt).report;
    REQUIRE(published.districts.size() == internal.districts.size());
    int shown = 0;
    for (std::size_t i = 0; i < published.districts.size(); ++i) {
        const auto& p = published.districts[i];
        const auto& truth = internal.districts[i];
        INFO(p.name);
        CHECK(p.name == truth.name);
        REQUIRE(std::isfinite(p.now));
        CHECK(std::abs(p.now - truth.now) <= 2);
        CHECK(std::abs(p.prev - truth.prev) <= 2);
        CHECK(p.hotspots <= truth.hotspots); // the gate withholds hotspots of few locations or incidents
        shown += p.hotspots;
    }
    hotref::publish::LoadOptions load;
    const auto gate = hotref::publish::build_model(store, load, Profile::published, hotref::publish::DisclosureRules{});
    CHECK(shown == static_cast<int>(gate.find("hotspots")->features.size()));
    for (auto& d : districts) {
        OGR_G_DestroyGeometry(d.geom);
    }
}

TEST_CASE("layers --xlsx: GDAL reads the workbook back: its sheets, the GeoPackage's rows, its withheld KPIs") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    const auto run = hotref::hotspot::run_hotspots(store, t::force_area_gistar(250));
    REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), registry_options(), false).committed);
    REQUIRE(hotref::referral::link_referrals(store, run.run_id, 250).inside == 3); // three in H-0001: withheld

    hotref::publish::LayersOptions opt;
    opt.out_dir = tmp.file("layers");
    opt.vector_tiles = false;
    opt.xlsx = true;
    const auto r = hotref::publish::write_layers(store, opt);
    const auto xlsx = tmp.file("layers/hotref.xlsx");
    REQUIRE(std::find(r.files.begin(), r.files.end(), xlsx) != r.files.end());
    CHECK(!std::filesystem::exists(tmp.file(".layers.partial-" + std::to_string(getpid()))));

    const auto book = read_all(xlsx);
    std::vector<std::string> sheets;
    for (const auto& [name, rows] : book) {
        sheets.push_back(name);
    }
    CHECK(sheets == std::vector<std::string>{"About", "Districts", "Evaluation", "Hotspots", "KPIs"});
    const auto gpkg = read_all(tmp.file("layers/hotref.gpkg"));
    const auto& layer = gpkg.at("hotspots");
    const auto& sheet = book.at("Hotspots");
    REQUIRE(!layer.empty());
    CHECK(sheet.size() == layer.size());
    CHECK(static_cast<std::int64_t>(sheet.size()) == r.features.at("hotspots"));

    // Row by row: the same codes, counts and KPI attributes; withheld in one is withheld in the other.
    int withheld = 0;
    for (const auto& f : layer) {
        const auto row = std::find_if(sheet.begin(), sheet.end(), [&](const Row& w) { return w.at("Code") == f.at("code"); });
        REQUIRE(row != sheet.end());
        INFO(*f.at("code"));
        CHECK(row->at("Name") == f.at("name"));
        CHECK(std::stod(*row->at("Rank")) == std::stod(*f.at("rank")));
        REQUIRE(f.at("incidents").has_value() == row->at("Incidents").has_value());
        if (f.at("incidents")) {
            CHECK(std::stod(*row->at("Incidents")) == std::stod(*f.at("incidents")));
        }
        REQUIRE(f.at("ij_referrals").has_value() == row->at("IJ referrals").has_value());
        if (!f.at("ij_referrals")) {
            ++withheld;
        } else {
            CHECK(std::stod(*row->at("IJ referrals")) == std::stod(*f.at("ij_referrals")));
        }
        CHECK(row->at("Period from") == std::optional<std::string>{"2025/01/01"}); // a date, not text
    }
    CHECK(withheld >= 1);
    // The KPIs sheet: H-0001's three referrals are withheld there too.
    const auto& kpis = book.at("KPIs");
    const auto h1 = std::find_if(kpis.begin(), kpis.end(), [](const Row& w) { return w.at("Group") == "H-0001"; });
    REQUIRE(h1 != kpis.end());
    CHECK(!h1->at("Referrals").has_value());
    const auto scheme = std::find_if(kpis.begin(), kpis.end(), [](const Row& w) { return w.at("Group") == "scheme"; });
    REQUIRE(scheme != kpis.end());
    // No evaluation stored: the sheet says so.
    REQUIRE(book.at("Evaluation").size() == 1);
    CHECK(t::contains(book.at("Evaluation").front().at("Note").value_or(""), "No evaluation is stored"));
    // The districts: the bulletin's table for the run's last month, as published.
    hotref::publish::BulletinOptions bo;
    bo.pdf = bo.html = false;
    const auto bulletin = hotref::publish::render_bulletin(store, bo).report;
    const auto& d = book.at("Districts");
    REQUIRE(d.size() == bulletin.districts.size());
    for (std::size_t i = 0; i < d.size(); ++i) {
        CHECK(d[i].at("District") == bulletin.districts[i].name);
        CHECK(std::stod(*d[i].at("Incidents this period")) == bulletin.districts[i].now);
        CHECK(std::stod(*d[i].at("Current hotspots")) == bulletin.districts[i].hotspots);
    }
}
