#pragma once
// PROJ, wrapped: the only header-facing type for coordinate transformation.
// proj.h is included only in proj.cpp. One Transformer per thread (it owns its
// own PJ_CONTEXT).

#include <memory>
#include <string>

namespace hotref::geo {

struct XY {
    double x = 0.0;
    double y = 0.0;
};

class Transformer {
public:
    /// A transformation between two CRSs given as "EPSG:4326" etc., with
    /// axis order normalised to (longitude/easting, latitude/northing).
    Transformer(const std::string& source_crs, const std::string& target_crs);
    ~Transformer();
    Transformer(Transformer&&) noexcept;
    Transformer& operator=(Transformer&&) noexcept;

    /// Source -> target; the result is non-finite when PROJ cannot transform.
    [[nodiscard]] XY forward(XY p) const noexcept;
    /// Target -> source.
    [[nodiscard]] XY inverse(XY p) const noexcept;

    /// PROJ's description of the chosen operation (for docs and provenance).
    [[nodiscard]] std::string description() const;

private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

/// WGS84 longitude/latitude to British National Grid.
inline Transformer wgs84_to_bng() {
    return Transformer{"EPSG:4326", "EPSG:27700"};
}

} // namespace hotref::geo
