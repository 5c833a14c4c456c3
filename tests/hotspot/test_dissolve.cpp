#include "geo/geos.hpp"
#include "hotspot/grid.hpp"
#include "hotspot/grid_gistar.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace hotref::hotspot;

namespace {
// Cells drawn as text (top line = north, 10 m cells) dissolved into one geometry.
hotref::geo::Geometry dissolve(const hotref::geo::Context& ctx, const std::vector<std::string>& rows) {
    std::vector<std::array<double, 4>> boxes;
    const auto ny = rows.size();
    for (std::size_t r = 0; r < ny; ++r) {
        for (std::size_t x = 0; x < rows[r].size(); ++x) {
            if (rows[r][x] == '#') {
                const double y0 = static_cast<double>(ny - 1 - r) * 10;
                boxes.push_back({static_cast<double>(x) * 10, y0, static_cast<double>(x) * 10 + 10, y0 + 10});
            }
        }
    }
    return ctx.dissolve_boxes(boxes);
}
} // namespace

TEST_CASE("dissolve: an L of three cells is one polygon with six corners") {
    hotref::geo::Context ctx;
    const auto g = dissolve(ctx, {"##", "#."});
    CHECK(g.num_geometries() == 1);
    CHECK(g.area() == doctest::Approx(300));
    CHECK(g.wkt(0) == "POLYGON ((0 0, 0 20, 20 20, 20 10, 10 10, 10 0, 0 0))");
}

TEST_CASE("dissolve: a ring of cells keeps its hole") {
    hotref::geo::Context ctx;
    const auto g = dissolve(ctx, {"###", "#.#", "###"});
    CHECK(g.num_geometries() == 1);
    CHECK(g.area() == doctest::Approx(800));
    CHECK(g.wkt(0).find("), (") != std::string::npos); // an interior ring
}

TEST_CASE("dissolve: separate groups stay separate parts") {
    hotref::geo::Context ctx;
    const auto g = dissolve(ctx, {"#..#", "#..#"});
    CHECK(g.num_geometries() == 2);
    CHECK(g.area() == doctest::Approx(400));
}
