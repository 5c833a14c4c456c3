#pragma once
// GEOS through its reentrant C API only (geos_c.h is included only in
// geos.cpp). A Context per thread; Geometry and PreparedGeometry are move-only
// owners that free themselves with the context that made them.

#include <memory>
#include <string>
#include <string_view>
#include <array>
#include <vector>

namespace hotref::geo {

class Context;

class Geometry {
public:
    Geometry() = default;
    ~Geometry();
    Geometry(Geometry&& other) noexcept;
    Geometry& operator=(Geometry&& other) noexcept;
    Geometry(const Geometry&) = delete;
    Geometry& operator=(const Geometry&) = delete;

    [[nodiscard]] bool empty() const noexcept { return m_geom == nullptr; }
    [[nodiscard]] double area() const;
    [[nodiscard]] std::string wkt(int precision = 3) const;
    /// ISO WKB, little-endian.
    [[nodiscard]] std::string wkb() const;
    [[nodiscard]] int num_geometries() const;
    /// Envelope as minx, miny, maxx, maxy.
    void bounds(double& minx, double& miny, double& maxx, double& maxy) const;
    /// Every ring (exterior and interior) of every polygon, as x, y vertices: enough
    /// to draw the geometry with the even-odd fill rule. Points and lines give none.
    [[nodiscard]] std::vector<std::vector<std::array<double, 2>>> rings() const;
    /// A point guaranteed to lie inside the (multi)polygon (GEOS PointOnSurface).
    [[nodiscard]] std::array<double, 2> interior_point() const;

    // For the owning Context only.
    Geometry(const Context* ctx, void* geom) noexcept : m_ctx(ctx), m_geom(geom) {}
    [[nodiscard]] void* raw() const noexcept { return m_geom; }

private:
    void reset() noexcept;
    const Context* m_ctx = nullptr;
    void* m_geom = nullptr;
};

class PreparedGeometry {
public:
    PreparedGeometry(const Context& ctx, Geometry geometry);
    ~PreparedGeometry();
    PreparedGeometry(PreparedGeometry&&) noexcept;
    PreparedGeometry& operator=(PreparedGeometry&&) noexcept;
    PreparedGeometry(const PreparedGeometry&) = delete;
    PreparedGeometry& operator=(const PreparedGeometry&) = delete;

    /// True when the point lies inside or on the boundary.
    [[nodiscard]] bool covers_point(double x, double y) const;
    /// Distance from the geometry to another (0 when they meet).
    [[nodiscard]] double distance_to(const Geometry& other) const;
    /// True when the rectangle lies wholly inside the geometry (boundary included).
    [[nodiscard]] bool covers_box(double minx, double miny, double maxx, double maxy) const;
    /// True when the rectangle and the geometry share any point.
    [[nodiscard]] bool intersects_box(double minx, double miny, double maxx, double maxy) const;
    [[nodiscard]] const Geometry& geometry() const noexcept { return m_geometry; }

private:
    const Context* m_ctx;
    Geometry m_geometry;
    const void* m_prepared;
};

class Context {
public:
    Context();
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    [[nodiscard]] Geometry from_wkb(std::string_view wkb) const;
    [[nodiscard]] Geometry from_wkt(std::string_view wkt) const;
    [[nodiscard]] Geometry point(double x, double y) const;
    /// Union of two geometries (new geometry; inputs untouched).
    [[nodiscard]] Geometry unite(const Geometry& a, const Geometry& b) const;
    /// An axis-aligned rectangle.
    [[nodiscard]] Geometry box(double minx, double miny, double maxx, double maxy) const;
    /// Dissolves edge-sharing, non-overlapping rectangles (grid cells) into
    /// (multi)polygons with GEOS's coverage union.
    [[nodiscard]] Geometry dissolve_boxes(const std::vector<std::array<double, 4>>& boxes) const;
    /// The concave hull (GEOS 3.11, `ratio` 0 = most concave .. 1 = convex) of
    /// points, widened by `buffer`; a convex hull when the concave one fails.
    /// One or two distinct points give a disc or a capsule of radius `buffer`.
    [[nodiscard]] Geometry hull_of_points(const std::vector<std::array<double, 2>>& points, double ratio,
                                          double buffer) const;
    /// The area within `distance` of a geometry.
    [[nodiscard]] Geometry buffer(const Geometry& g, double distance) const;
    /// a minus b.
    [[nodiscard]] Geometry difference(const Geometry& a, const Geometry& b) const;
    /// The union of many geometries (copies; inputs untouched). Empty input: an empty collection.
    [[nodiscard]] Geometry union_all(const std::vector<const Geometry*>& parts) const;
    /// True when the geometries intersect (for prepared tests use PreparedGeometry).
    [[nodiscard]] bool intersects(const Geometry& a, const Geometry& b) const;
    /// Area of the intersection of two geometries.
    [[nodiscard]] double intersection_area(const Geometry& a, const Geometry& b) const;

    [[nodiscard]] void* handle() const noexcept { return m_handle; }
    /// The last message GEOS reported through this context.
    [[nodiscard]] const std::string& last_error() const noexcept { return m_last_error; }

private:
    void* m_handle;
    mutable std::string m_last_error;
    friend struct ContextAccess;
};

} // namespace hotref::geo
