#include "geo/proj.hpp"

#include "core/error.hpp"

#include <doctest/doctest.h>

#include <cmath>

using hotref::geo::Transformer;

// Ordnance Survey, "A guide to coordinate systems in Great Britain" (v3.6), the
// worked example at Caister Water Tower: OSGB36 latitude 52°39'27.2531"N,
// longitude 1°43'4.5177"E is National Grid E 651409.903 m, N 313177.270 m;
// its ETRS89 position is 52°39'28.8282"N, 1°42'57.8663"E (OSTN15 gives the same
// grid coordinates).
namespace {
double dms(double d, double m, double s) {
    return d + m / 60.0 + s / 3600.0;
}
} // namespace

TEST_CASE("proj: OSGB36 geographic to British National Grid matches OS's worked example to the millimetre") {
    const Transformer t{"EPSG:4277", "EPSG:27700"};
    const auto p = t.forward({dms(1, 43, 4.5177), dms(52, 39, 27.2531)});
    CHECK(std::fabs(p.x - 651409.903) < 0.002);
    CHECK(std::fabs(p.y - 313177.270) < 0.002);
}

TEST_CASE("proj: WGS84 (police.uk) to British National Grid within the Helmert accuracy") {
    // Without the OSTN15 grid (not in Debian's proj-data) PROJ uses the
    // EPSG:1314 Helmert transformation, good to a few metres.
    const auto t = hotref::geo::wgs84_to_bng();
    const auto p = t.forward({dms(1, 42, 57.8663), dms(52, 39, 28.8282)});
    CHECK(std::fabs(p.x - 651409.903) < 5.0);
    CHECK(std::fabs(p.y - 313177.270) < 5.0);
    // And back again.
    const auto q = t.inverse(p);
    CHECK(std::fabs(q.x - dms(1, 42, 57.8663)) < 1e-7);
    CHECK(std::fabs(q.y - dms(52, 39, 28.8282)) < 1e-7);
}

TEST_CASE("proj: a point PROJ cannot transform gives non-finite coordinates, not garbage") {
    const auto t = hotref::geo::wgs84_to_bng();
    const auto p = t.forward({500.0, 95.0});
    CHECK_FALSE((std::isfinite(p.x) && std::isfinite(p.y)));
}

TEST_CASE("proj: an unknown CRS is a clear error") {
    CHECK_THROWS_AS(Transformer("EPSG:999999", "EPSG:27700"), hotref::GeoError);
}

// --- GeoJSON straight from WKB (geo::wkb_to_geojson_wgs84_direct) against OGR's writer ------

#include "geo/gdal.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string le_u32(std::uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) {
        s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    return s;
}

std::string le_f64(double d) {
    std::uint64_t v = 0;
    std::memcpy(&v, &d, sizeof v);
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) {
        s[static_cast<std::size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
    return s;
}

std::string be_u32(std::uint32_t v) {
    std::string s = le_u32(v);
    std::reverse(s.begin(), s.end());
    return s;
}

std::string be_f64(double d) {
    std::string s = le_f64(d);
    std::reverse(s.begin(), s.end());
    return s;
}

// The extent of a GeoJSON geometry's coordinates, walked from the parsed JSON.
void walk(const nlohmann::json& c, double& x0, double& y0, double& x1, double& y1) {
    if (c.is_array() && !c.empty() && c[0].is_number()) {
        x0 = std::min(x0, c[0].get<double>());
        x1 = std::max(x1, c[0].get<double>());
        y0 = std::min(y0, c[1].get<double>());
        y1 = std::max(y1, c[1].get<double>());
    } else if (c.is_array()) {
        for (const auto& child : c) {
            walk(child, x0, y0, x1, y1);
        }
    }
}

void check_equal_to_ogr(const std::string& wkb) {
    const auto direct = hotref::geo::wkb_to_geojson_wgs84_direct(wkb, 27700);
    REQUIRE(direct.has_value());
    const auto mine = nlohmann::json::parse(direct->json);
    const auto ogr = nlohmann::json::parse(hotref::geo::wkb_to_geojson_wgs84(wkb, 27700));
    CHECK(mine == ogr);
    double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
    walk(ogr["coordinates"], x0, y0, x1, y1);
    CHECK(direct->min_x == x0);
    CHECK(direct->min_y == y0);
    CHECK(direct->max_x == x1);
    CHECK(direct->max_y == y1);
}

} // namespace

TEST_CASE("geo: GeoJSON written straight from WKB is OGR's GeoJSON, number for number, with its extent") {
    // Real polygons: the Derbyshire force area and every English force area (multipolygons).
    std::size_t polygons = 0;
    for (const auto& [path, layer] : {std::pair<std::string, std::string>{HOTREF_GEODATA "/derbyshire_force_area.gpkg", ""},
                                      {HOTREF_GEODATA "/england_force_areas.gpkg", ""}}) {
        for (const auto& wkb : hotref::geo::read_polygons_wkb(path, layer, "EPSG:27700")) {
            check_equal_to_ogr(wkb);
            ++polygons;
        }
    }
    CHECK(polygons > 10);
    // Points and a 250 m square cell around Derby, little- and big-endian, and a line.
    const std::string point = "\x01" + le_u32(1) + le_f64(435123.5) + le_f64(336001.25);
    check_equal_to_ogr(point);
    check_equal_to_ogr(std::string(1, '\0') + be_u32(1) + be_f64(435123.5) + be_f64(336001.25));
    std::string square = "\x01" + le_u32(3) + le_u32(1) + le_u32(5);
    std::string square_be = std::string(1, '\0') + be_u32(3) + be_u32(1) + be_u32(5);
    for (const auto& [x, y] : {std::pair{435000.0, 336000.0}, {435250.0, 336000.0}, {435250.0, 336250.0},
                               {435000.0, 336250.0}, {435000.0, 336000.0}}) {
        square += le_f64(x) + le_f64(y);
        square_be += be_f64(x) + be_f64(y);
    }
    check_equal_to_ogr(square);
    check_equal_to_ogr(square_be);
    check_equal_to_ogr("\x01" + le_u32(2) + le_u32(2) + le_f64(400000) + le_f64(300000) + le_f64(400100) +
                       le_f64(300100));
    // At Greenwich (longitude about 0): small numbers, both signs.
    check_equal_to_ogr("\x01" + le_u32(4) + le_u32(2) + "\x01" + le_u32(1) + le_f64(538880) + le_f64(177470) +
                       "\x01" + le_u32(1) + le_f64(538900) + le_f64(177470));
    // Left to OGR: a 3D point. Refused: truncated WKB, and a byte order that is not 0 or 1.
    CHECK_FALSE(hotref::geo::wkb_to_geojson_wgs84_direct("\x01" + le_u32(1001) + le_f64(1) + le_f64(2) + le_f64(3), 27700)
                    .has_value());
    CHECK_THROWS_AS(hotref::geo::wkb_to_geojson_wgs84_direct(point.substr(0, 12), 27700), hotref::GeoError);
    CHECK_THROWS_AS(hotref::geo::wkb_to_geojson_wgs84_direct("\x07" + point.substr(1), 27700), hotref::GeoError);
}
