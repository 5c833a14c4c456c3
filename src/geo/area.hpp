#pragma once
// The area incidents must fall in: by default England and Wales (a British
// National Grid envelope), or the union of the polygons of a boundary layer
// (for example geodata/derbyshire_force_area.gpkg).

#include <array>
#include <memory>
#include <string>

namespace hotref::geo {

class StudyArea {
public:
    /// England and Wales: easting 82,000-656,000 m, northing 5,000-658,000 m
    /// (the Isles of Scilly to Berwick-upon-Tweed, Pembrokeshire to Lowestoft).
    static StudyArea england_and_wales();

    /// A plain rectangle (for example the data's extent).
    static StudyArea envelope(const std::string& name, double minx, double miny, double maxx, double maxy);

    /// The union of the polygons of `layer` (empty: the first) in `path`.
    static StudyArea from_file(const std::string& path, const std::string& layer = "");

    /// A (multi)polygon given as ISO WKB in EPSG:27700 (for example a union of districts).
    static StudyArea from_wkb(const std::string& name, const std::string& wkb);

    ~StudyArea();
    StudyArea(StudyArea&&) noexcept;
    StudyArea& operator=(StudyArea&&) noexcept;

    /// True when BNG point (easting, northing) lies in the area (boundary included).
    [[nodiscard]] bool contains(double easting, double northing) const;
    /// True when the rectangle shares any point with the area.
    [[nodiscard]] bool intersects_box(double minx, double miny, double maxx, double maxy) const;
    /// True when the rectangle lies wholly inside the area (boundary included).
    [[nodiscard]] bool covers_box(double minx, double miny, double maxx, double maxy) const;
    /// Whether the area is a polygon (false: a plain envelope).
    [[nodiscard]] bool has_polygon() const noexcept;
    /// The envelope: minx, miny, maxx, maxy.
    [[nodiscard]] std::array<double, 4> bounds() const noexcept { return {m_minx, m_miny, m_maxx, m_maxy}; }
    /// Area in square metres.
    [[nodiscard]] double area_m2() const;
    /// The polygon (or envelope) as ISO WKB in EPSG:27700.
    [[nodiscard]] std::string wkb() const;
    [[nodiscard]] const std::string& name() const noexcept { return m_name; }

private:
    StudyArea();
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::string m_name;
    double m_minx = 0, m_miny = 0, m_maxx = 0, m_maxy = 0;
};

} // namespace hotref::geo
