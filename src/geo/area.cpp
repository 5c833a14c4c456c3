#include "geo/area.hpp"

#include "geo/gdal.hpp"
#include "geo/geos.hpp"

#include <optional>

namespace hotref::geo {

struct StudyArea::Impl {
    Context ctx;
    std::optional<PreparedGeometry> polygon;
};

StudyArea::StudyArea() : m_impl(std::make_unique<Impl>()) {}
StudyArea::~StudyArea() = default;
StudyArea::StudyArea(StudyArea&&) noexcept = default;
StudyArea& StudyArea::operator=(StudyArea&&) noexcept = default;

StudyArea StudyArea::england_and_wales() {
    StudyArea a;
    a.m_name = "England and Wales";
    a.m_minx = 82000;
    a.m_miny = 5000;
    a.m_maxx = 656000;
    a.m_maxy = 658000;
    return a;
}

StudyArea StudyArea::from_file(const std::string& path, const std::string& layer) {
    StudyArea a;
    a.m_name = path + (layer.empty() ? "" : ":" + layer);
    Geometry all;
    for (const auto& wkb : read_polygons_wkb(path, layer, "EPSG:27700")) {
        Geometry g = a.m_impl->ctx.from_wkb(wkb);
        all = all.empty() ? std::move(g) : a.m_impl->ctx.unite(all, g);
    }
    all.bounds(a.m_minx, a.m_miny, a.m_maxx, a.m_maxy);
    a.m_impl->polygon.emplace(a.m_impl->ctx, std::move(all));
    return a;
}

StudyArea StudyArea::from_wkb(const std::string& name, const std::string& wkb) {
    StudyArea a;
    a.m_name = name;
    Geometry g = a.m_impl->ctx.from_wkb(wkb);
    g.bounds(a.m_minx, a.m_miny, a.m_maxx, a.m_maxy);
    a.m_impl->polygon.emplace(a.m_impl->ctx, std::move(g));
    return a;
}

bool StudyArea::contains(double easting, double northing) const {
    if (easting < m_minx || easting > m_maxx || northing < m_miny || northing > m_maxy) {
        return false;
    }
    return !m_impl->polygon || m_impl->polygon->covers_point(easting, northing);
}

} // namespace hotref::geo

namespace hotref::geo {

bool StudyArea::intersects_box(double minx, double miny, double maxx, double maxy) const {
    if (maxx < m_minx || minx > m_maxx || maxy < m_miny || miny > m_maxy) {
        return false;
    }
    return !m_impl->polygon || m_impl->polygon->intersects_box(minx, miny, maxx, maxy);
}

bool StudyArea::covers_box(double minx, double miny, double maxx, double maxy) const {
    if (minx < m_minx || maxx > m_maxx || miny < m_miny || maxy > m_maxy) {
        return false;
    }
    return !m_impl->polygon || m_impl->polygon->covers_box(minx, miny, maxx, maxy);
}

bool StudyArea::has_polygon() const noexcept {
    return m_impl->polygon.has_value();
}

double StudyArea::area_m2() const {
    return m_impl->polygon ? m_impl->polygon->geometry().area() : (m_maxx - m_minx) * (m_maxy - m_miny);
}

std::string StudyArea::wkb() const {
    if (m_impl->polygon) {
        return m_impl->polygon->geometry().wkb();
    }
    return m_impl->ctx.box(m_minx, m_miny, m_maxx, m_maxy).wkb();
}

StudyArea StudyArea::envelope(const std::string& name, double minx, double miny, double maxx, double maxy) {
    StudyArea a;
    a.m_name = name;
    a.m_minx = minx;
    a.m_miny = miny;
    a.m_maxx = maxx;
    a.m_maxy = maxy;
    return a;
}

} // namespace hotref::geo
