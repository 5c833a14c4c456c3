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
