#include "geo/geos.hpp"

#include "core/error.hpp"

#include <geos_c.h>

#include <cstdarg>
#include <vector>
#include <cstdio>

namespace hotref::geo {

struct ContextAccess {
    static std::string& last_error(const Context& ctx) { return ctx.m_last_error; }
};

namespace {

GEOSContextHandle_t h(const Context* ctx) {
    return static_cast<GEOSContextHandle_t>(ctx->handle());
}

void on_message(const char* message, void* userdata) {
    auto* ctx = static_cast<const Context*>(userdata);
    ContextAccess::last_error(*ctx) = message != nullptr ? message : "";
}

} // namespace

Context::Context() : m_handle(GEOS_init_r()) {
    if (m_handle == nullptr) {
        throw GeoError("GEOS: cannot create a context");
    }
    GEOSContext_setErrorMessageHandler_r(h(this), on_message, this);
}

Context::~Context() {
    GEOS_finish_r(h(this));
}

Geometry Context::from_wkb(std::string_view wkb) const {
    GEOSWKBReader* reader = GEOSWKBReader_create_r(h(this));
    GEOSGeometry* g = GEOSWKBReader_read_r(h(this), reader, reinterpret_cast<const unsigned char*>(wkb.data()),
                                           wkb.size());
    GEOSWKBReader_destroy_r(h(this), reader);
    if (g == nullptr) {
        throw GeoError("GEOS: cannot read WKB geometry: " + m_last_error);
    }
    return Geometry{this, g};
}

Geometry Context::from_wkt(std::string_view wkt) const {
    GEOSWKTReader* reader = GEOSWKTReader_create_r(h(this));
    const std::string text{wkt};
    GEOSGeometry* g = GEOSWKTReader_read_r(h(this), reader, text.c_str());
    GEOSWKTReader_destroy_r(h(this), reader);
    if (g == nullptr) {
        throw GeoError("GEOS: cannot read WKT geometry: " + m_last_error);
    }
    return Geometry{this, g};
}

Geometry Context::point(double x, double y) const {
    GEOSGeometry* g = GEOSGeom_createPointFromXY_r(h(this), x, y);
    if (g == nullptr) {
        throw GeoError("GEOS: cannot create a point: " + m_last_error);
    }
    return Geometry{this, g};
}

Geometry Context::unite(const Geometry& a, const Geometry& b) const {
    GEOSGeometry* g = GEOSUnion_r(h(this), static_cast<GEOSGeometry*>(a.raw()), static_cast<GEOSGeometry*>(b.raw()));
    if (g == nullptr) {
        throw GeoError("GEOS: union failed: " + m_last_error);
    }
    return Geometry{this, g};
}

Geometry Context::box(double minx, double miny, double maxx, double maxy) const {
    GEOSGeometry* g = GEOSGeom_createRectangle_r(h(this), minx, miny, maxx, maxy);
    if (g == nullptr) {
        throw GeoError("GEOS: cannot create a rectangle: " + m_last_error);
    }
    return Geometry{this, g};
}

Geometry Context::dissolve_boxes(const std::vector<std::array<double, 4>>& boxes) const {
    std::vector<GEOSGeometry*> parts;
    parts.reserve(boxes.size());
    for (const auto& b : boxes) {
        GEOSGeometry* g = GEOSGeom_createRectangle_r(h(this), b[0], b[1], b[2], b[3]);
        if (g == nullptr) {
            for (auto* p : parts) {
                GEOSGeom_destroy_r(h(this), p);
            }
            throw GeoError("GEOS: cannot create a rectangle: " + m_last_error);
        }
        parts.push_back(g);
    }
    // The collection takes ownership of the parts.
    GEOSGeometry* coll = GEOSGeom_createCollection_r(h(this), GEOS_GEOMETRYCOLLECTION, parts.data(),
                                                     static_cast<unsigned int>(parts.size()));
    if (coll == nullptr) {
        for (auto* p : parts) {
            GEOSGeom_destroy_r(h(this), p);
        }
        throw GeoError("GEOS: cannot collect rectangles: " + m_last_error);
    }
    const Geometry collection{this, coll};
    GEOSGeometry* u = GEOSCoverageUnion_r(h(this), coll);
    if (u == nullptr) {
        throw GeoError("GEOS: coverage union failed: " + m_last_error);
    }
    const Geometry merged{this, u};
    // Drop the vertices left on straight edges where cells met, and normalise
    // the ring order so the same cells always give the same polygon.
    GEOSGeometry* simple = GEOSTopologyPreserveSimplify_r(h(this), u, 0.0);
    if (simple == nullptr) {
        throw GeoError("GEOS: cannot simplify a dissolved polygon: " + m_last_error);
    }
    Geometry result{this, simple};
    if (GEOSNormalize_r(h(this), simple) != 0) {
        throw GeoError("GEOS: cannot normalise a dissolved polygon: " + m_last_error);
    }
    return result;
}

Geometry Context::hull_of_points(const std::vector<std::array<double, 2>>& points, double ratio,
                                  double buffer) const {
    std::vector<GEOSGeometry*> parts;
    parts.reserve(points.size());
    for (const auto& p : points) {
        parts.push_back(GEOSGeom_createPointFromXY_r(h(this), p[0], p[1]));
    }
    GEOSGeometry* coll = GEOSGeom_createCollection_r(h(this), GEOS_MULTIPOINT, parts.data(),
                                                     static_cast<unsigned int>(parts.size()));
    if (coll == nullptr) {
        for (auto* p : parts) {
            GEOSGeom_destroy_r(h(this), p);
        }
        throw GeoError("GEOS: cannot collect points: " + m_last_error);
    }
    const Geometry multipoint{this, coll};
    GEOSGeometry* hull = GEOSConcaveHull_r(h(this), coll, ratio, 0);
    if (hull == nullptr) {
        hull = GEOSConvexHull_r(h(this), coll);
    }
    if (hull == nullptr) {
        throw GeoError("GEOS: cannot build a hull: " + m_last_error);
    }
    const Geometry hull_geom{this, hull};
    GEOSGeometry* widened = GEOSBuffer_r(h(this), hull, buffer, 8);
    if (widened == nullptr) {
        throw GeoError("GEOS: cannot buffer a hull: " + m_last_error);
    }
    return Geometry{this, widened};
}

Geometry Context::buffer(const Geometry& g, double distance) const {
    GEOSGeometry* out = GEOSBuffer_r(h(this), static_cast<GEOSGeometry*>(g.raw()), distance, 8);
    if (out == nullptr) {
        throw GeoError("GEOS: buffer failed: " + m_last_error);
    }
    return Geometry{this, out};
}

Geometry Context::difference(const Geometry& a, const Geometry& b) const {
    GEOSGeometry* out =
        GEOSDifference_r(h(this), static_cast<GEOSGeometry*>(a.raw()), static_cast<GEOSGeometry*>(b.raw()));
    if (out == nullptr) {
        throw GeoError("GEOS: difference failed: " + m_last_error);
    }
    return Geometry{this, out};
}

Geometry Context::union_all(const std::vector<const Geometry*>& parts) const {
    std::vector<GEOSGeometry*> copies;
    copies.reserve(parts.size());
    for (const auto* p : parts) {
        copies.push_back(GEOSGeom_clone_r(h(this), static_cast<GEOSGeometry*>(p->raw())));
    }
    GEOSGeometry* coll = GEOSGeom_createCollection_r(h(this), GEOS_GEOMETRYCOLLECTION, copies.data(),
                                                     static_cast<unsigned int>(copies.size()));
    if (coll == nullptr) {
        for (auto* c : copies) {
            GEOSGeom_destroy_r(h(this), c);
        }
        throw GeoError("GEOS: cannot collect geometries: " + m_last_error);
    }
    const Geometry collection{this, coll};
    GEOSGeometry* out = GEOSUnaryUnion_r(h(this), coll);
    if (out == nullptr) {
        throw GeoError("GEOS: union failed: " + m_last_error);
    }
    return Geometry{this, out};
}

bool Context::intersects(const Geometry& a, const Geometry& b) const {
    const char r = GEOSIntersects_r(h(this), static_cast<GEOSGeometry*>(a.raw()), static_cast<GEOSGeometry*>(b.raw()));
    if (r == 2) {
        throw GeoError("GEOS: intersects failed: " + m_last_error);
    }
    return r == 1;
}

double Context::intersection_area(const Geometry& a, const Geometry& b) const {
    GEOSGeometry* g =
        GEOSIntersection_r(h(this), static_cast<GEOSGeometry*>(a.raw()), static_cast<GEOSGeometry*>(b.raw()));
    if (g == nullptr) {
        throw GeoError("GEOS: intersection failed: " + m_last_error);
    }
    const Geometry result{this, g};
    return result.area();
}

// --- Geometry ---------------------------------------------------------------

Geometry::~Geometry() {
    reset();
}

void Geometry::reset() noexcept {
    if (m_geom != nullptr) {
        GEOSGeom_destroy_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom));
        m_geom = nullptr;
    }
}

Geometry::Geometry(Geometry&& other) noexcept : m_ctx(other.m_ctx), m_geom(other.m_geom) {
    other.m_geom = nullptr;
}

Geometry& Geometry::operator=(Geometry&& other) noexcept {
    if (this != &other) {
        reset();
        m_ctx = other.m_ctx;
        m_geom = other.m_geom;
        other.m_geom = nullptr;
    }
    return *this;
}

double Geometry::area() const {
    double a = 0.0;
    if (GEOSArea_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom), &a) != 1) {
        throw GeoError("GEOS: area failed");
    }
    return a;
}

std::string Geometry::wkt(int precision) const {
    GEOSWKTWriter* writer = GEOSWKTWriter_create_r(h(m_ctx));
    GEOSWKTWriter_setRoundingPrecision_r(h(m_ctx), writer, precision);
    char* text = GEOSWKTWriter_write_r(h(m_ctx), writer, static_cast<GEOSGeometry*>(m_geom));
    GEOSWKTWriter_destroy_r(h(m_ctx), writer);
    if (text == nullptr) {
        throw GeoError("GEOS: cannot write WKT");
    }
    std::string out{text};
    GEOSFree_r(h(m_ctx), text);
    return out;
}

std::string Geometry::wkb() const {
    GEOSWKBWriter* writer = GEOSWKBWriter_create_r(h(m_ctx));
    GEOSWKBWriter_setByteOrder_r(h(m_ctx), writer, GEOS_WKB_NDR);
    std::size_t size = 0;
    unsigned char* data = GEOSWKBWriter_write_r(h(m_ctx), writer, static_cast<GEOSGeometry*>(m_geom), &size);
    GEOSWKBWriter_destroy_r(h(m_ctx), writer);
    if (data == nullptr) {
        throw GeoError("GEOS: cannot write WKB");
    }
    std::string out{reinterpret_cast<const char*>(data), size};
    GEOSFree_r(h(m_ctx), data);
    return out;
}

int Geometry::num_geometries() const {
    return GEOSGetNumGeometries_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom));
}

void Geometry::bounds(double& minx, double& miny, double& maxx, double& maxy) const {
    if (GEOSGeom_getXMin_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom), &minx) != 1 ||
        GEOSGeom_getYMin_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom), &miny) != 1 ||
        GEOSGeom_getXMax_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom), &maxx) != 1 ||
        GEOSGeom_getYMax_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom), &maxy) != 1) {
        throw GeoError("GEOS: cannot compute the envelope of an empty geometry");
    }
}

namespace {

void append_ring(GEOSContextHandle_t ctx, const GEOSGeometry* ring,
                 std::vector<std::vector<std::array<double, 2>>>& out) {
    const GEOSCoordSequence* seq = GEOSGeom_getCoordSeq_r(ctx, ring);
    unsigned int n = 0;
    if (seq == nullptr || GEOSCoordSeq_getSize_r(ctx, seq, &n) != 1) {
        throw GeoError("GEOS: cannot read the vertices of a ring");
    }
    std::vector<std::array<double, 2>> vertices(n);
    for (unsigned int i = 0; i < n; ++i) {
        GEOSCoordSeq_getXY_r(ctx, seq, i, &vertices[i][0], &vertices[i][1]);
    }
    out.push_back(std::move(vertices));
}

void append_rings(GEOSContextHandle_t ctx, const GEOSGeometry* g,
                  std::vector<std::vector<std::array<double, 2>>>& out) {
    switch (GEOSGeomTypeId_r(ctx, g)) {
    case GEOS_POLYGON: {
        append_ring(ctx, GEOSGetExteriorRing_r(ctx, g), out);
        const int holes = GEOSGetNumInteriorRings_r(ctx, g);
        for (int i = 0; i < holes; ++i) {
            append_ring(ctx, GEOSGetInteriorRingN_r(ctx, g, i), out);
        }
        break;
    }
    case GEOS_MULTIPOLYGON:
    case GEOS_GEOMETRYCOLLECTION: {
        const int parts = GEOSGetNumGeometries_r(ctx, g);
        for (int i = 0; i < parts; ++i) {
            append_rings(ctx, GEOSGetGeometryN_r(ctx, g, i), out);
        }
        break;
    }
    default:
        break;
    }
}

} // namespace

std::vector<std::vector<std::array<double, 2>>> Geometry::rings() const {
    std::vector<std::vector<std::array<double, 2>>> out;
    if (m_geom != nullptr) {
        append_rings(h(m_ctx), static_cast<const GEOSGeometry*>(m_geom), out);
    }
    return out;
}

std::array<double, 2> Geometry::interior_point() const {
    GEOSGeometry* p = GEOSPointOnSurface_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geom));
    if (p == nullptr) {
        throw GeoError("GEOS: cannot find a point on the surface: " + m_ctx->last_error());
    }
    std::array<double, 2> xy{0, 0};
    const int ok = GEOSGeomGetX_r(h(m_ctx), p, &xy[0]) == 1 && GEOSGeomGetY_r(h(m_ctx), p, &xy[1]) == 1;
    GEOSGeom_destroy_r(h(m_ctx), p);
    if (!ok) {
        throw GeoError("GEOS: the point on the surface of an empty geometry");
    }
    return xy;
}

// --- PreparedGeometry ---------------------------------------------------------

double PreparedGeometry::distance_to(const Geometry& other) const {
    double d = 0;
    if (GEOSPreparedDistance_r(h(m_ctx), static_cast<const GEOSPreparedGeometry*>(m_prepared),
                               static_cast<const GEOSGeometry*>(other.raw()), &d) != 1) {
        throw GeoError("GEOS: distance failed: " + m_ctx->last_error());
    }
    return d;
}

bool PreparedGeometry::covers_box(double minx, double miny, double maxx, double maxy) const {
    const Geometry b = m_ctx->box(minx, miny, maxx, maxy);
    const char r = GEOSPreparedCovers_r(h(m_ctx), static_cast<const GEOSPreparedGeometry*>(m_prepared),
                                        static_cast<const GEOSGeometry*>(b.raw()));
    if (r == 2) {
        throw GeoError("GEOS: covers failed: " + m_ctx->last_error());
    }
    return r == 1;
}

bool PreparedGeometry::intersects_box(double minx, double miny, double maxx, double maxy) const {
    const Geometry b = m_ctx->box(minx, miny, maxx, maxy);
    const char r = GEOSPreparedIntersects_r(h(m_ctx), static_cast<const GEOSPreparedGeometry*>(m_prepared),
                                            static_cast<const GEOSGeometry*>(b.raw()));
    if (r == 2) {
        throw GeoError("GEOS: intersects failed: " + m_ctx->last_error());
    }
    return r == 1;
}

PreparedGeometry::PreparedGeometry(const Context& ctx, Geometry geometry)
    : m_ctx(&ctx), m_geometry(std::move(geometry)),
      m_prepared(GEOSPrepare_r(h(m_ctx), static_cast<GEOSGeometry*>(m_geometry.raw()))) {
    if (m_prepared == nullptr) {
        throw GeoError("GEOS: cannot prepare geometry: " + ctx.last_error());
    }
}

PreparedGeometry::~PreparedGeometry() {
    if (m_prepared != nullptr) {
        GEOSPreparedGeom_destroy_r(h(m_ctx), static_cast<const GEOSPreparedGeometry*>(m_prepared));
    }
}

PreparedGeometry::PreparedGeometry(PreparedGeometry&& other) noexcept
    : m_ctx(other.m_ctx), m_geometry(std::move(other.m_geometry)), m_prepared(other.m_prepared) {
    other.m_prepared = nullptr;
}

PreparedGeometry& PreparedGeometry::operator=(PreparedGeometry&& other) noexcept {
    if (this != &other) {
        if (m_prepared != nullptr) {
            GEOSPreparedGeom_destroy_r(h(m_ctx), static_cast<const GEOSPreparedGeometry*>(m_prepared));
        }
        m_ctx = other.m_ctx;
        m_geometry = std::move(other.m_geometry);
        m_prepared = other.m_prepared;
        other.m_prepared = nullptr;
    }
    return *this;
}

bool PreparedGeometry::covers_point(double x, double y) const {
    // GEOS 3.11 has no GEOSPreparedIntersectsXY_r (3.12): test with a point.
    const Geometry point = m_ctx->point(x, y);
    const char r = GEOSPreparedIntersects_r(h(m_ctx), static_cast<const GEOSPreparedGeometry*>(m_prepared),
                                            static_cast<const GEOSGeometry*>(point.raw()));
    if (r == 2) {
        throw GeoError("GEOS: point-in-polygon test failed: " + m_ctx->last_error());
    }
    return r == 1;
}

} // namespace hotref::geo
