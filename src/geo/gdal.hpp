#pragma once
// GDAL, wrapped (gdal.h / cpl_vsi.h are included only in gdal.cpp).
// - Input files through GDAL's virtual file systems, so one reader handles
//   plain files, gzip (/vsigzip/) and zip archives (/vsizip/).
// - Reading polygons from any vector format GDAL knows, reprojected.
// GDAL's own error messages are captured, never printed by GDAL itself.

#include "core/csv.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hotref::geo {

/// Registers GDAL's drivers once and installs hotref's error handler.
void gdal_init();

/// Catches every error GDAL raises in this thread while it lives (also those a
/// later warning would hide from CPLGetLastErrorType): writes and closes are
/// checked with it, since GDAL 3.6's GDALClose reports only through CPLError.
class ErrorTrap {
public:
    ErrorTrap();
    ~ErrorTrap();
    ErrorTrap(const ErrorTrap&) = delete;
    ErrorTrap& operator=(const ErrorTrap&) = delete;
    [[nodiscard]] bool failed() const noexcept { return m_failed; }
    /// The first failure's message.
    [[nodiscard]] const std::string& message() const noexcept { return m_message; }
    void record(int severity, const char* message);

private:
    bool m_failed = false;
    std::string m_message;
};

/// The path GDAL should open for a user's path: "/vsigzip/x.csv.gz" for a
/// ".gz" file; any other path unchanged.
std::string vsi_path(const std::string& path);

/// A file read through GDAL's VSI layer.
class VsiFile final : public ByteSource {
public:
    /// Opens `path` (already a VSI path or a plain one); throws InputError
    /// naming the file when it cannot be opened.
    explicit VsiFile(const std::string& path);
    ~VsiFile() override;
    std::size_t read(char* buffer, std::size_t n) override;

private:
    std::string m_path;
    void* m_fp;
};

struct VsiStat {
    bool exists = false;
    bool is_directory = false;
    std::uint64_t size = 0;
};
VsiStat vsi_stat(const std::string& path);

/// Every file (not folder) below `dir` (a folder or "/vsizip/archive.zip"),
/// as paths relative to it, sorted.
std::vector<std::string> list_files_recursive(const std::string& dir);

/// WKT (WKT2_2018) and PROJ string of an EPSG CRS, as GDAL/PROJ give them.
std::string crs_wkt(int epsg);
std::string crs_proj4(int epsg);

/// Removes a file (for example one in /vsimem/); no error if it is not there.
void remove_vsi_file(const std::string& path);

/// Removes a folder and everything in it (for example one in /vsimem/); no error if it is not there.
void remove_vsi_tree(const std::string& path);

/// Reads a whole (small) file through VSI.
std::string read_whole_file(const std::string& path);

/// Polygons of a vector layer, reprojected to `target_crs`, as ISO WKB.
/// `layer` empty means the first layer. Throws InputError naming the file and
/// layer when it cannot be read or holds no polygons.
std::vector<std::string> read_polygons_wkb(const std::string& path, const std::string& layer,
                                           const std::string& target_crs);

/// A WKB geometry in EPSG:`epsg` as a GeoJSON geometry object in WGS84
/// longitude/latitude (RFC 7946 axis order), coordinates to `decimals` places.
/// Throws GeoError when the WKB is invalid or cannot be transformed.
std::string wkb_to_geojson_wgs84(const std::string& wkb, int epsg, int decimals = 7);

/// A geometry as GeoJSON text with the extent of the coordinates it holds (as written,
/// that is rounded to the decimals asked for).
struct GeoJsonGeometry {
    std::string json;
    double min_x = 0, min_y = 0, max_x = 0, max_y = 0;
    bool empty = true; // no coordinate at all
};

/// The same GeoJSON as wkb_to_geojson_wgs84 (equal as JSON: the same numbers), written
/// straight from the WKB without building an OGR geometry or going through json-c, and
/// with its extent. Handles 2D Point, LineString, Polygon and their Multi- forms in either
/// byte order; returns nullopt for anything else (Z/M, curves, collections), which
/// wkb_to_geojson_wgs84 then writes. Throws GeoError on truncated WKB or a failed transform.
std::optional<GeoJsonGeometry> wkb_to_geojson_wgs84_direct(const std::string& wkb, int epsg, int decimals = 7);

/// Writes `bytes` to a file through VSI (for example into /vsimem/). Throws GeoError.
void write_vsi_file(const std::string& path, const std::string& bytes);
struct NamedPolygon {
    std::string name;  // the value of the name field ("" when the field is absent or NULL)
    std::string wkb;   // ISO WKB in the target CRS
};
/// As read_polygons_wkb, with each feature's `name_field` (for example the districts' `name`).
std::vector<NamedPolygon> read_named_polygons(const std::string& path, const std::string& layer,
                                              const std::string& target_crs, const std::string& name_field);
struct PolygonFeature {
    std::vector<std::string> values;  // the requested fields as text, in order ("" when NULL)
    std::string wkb;                  // ISO WKB in the target CRS
};
/// As read_polygons_wkb, with the values of `fields`. Throws InputError naming the
/// file, layer and field when a field is missing.
std::vector<PolygonFeature> read_polygon_features(const std::string& path, const std::string& layer,
                                                  const std::string& target_crs,
                                                  const std::vector<std::string>& fields);

/// Writes a single-band Float32 GeoTIFF in EPSG:27700. `values` are row-major
/// from the south-west cell (as hotref's grids are); `origin_x`, `origin_y` are
/// the south-west corner. Non-finite values become nodata. Throws GeoError.
void write_geotiff(const std::string& path, const std::vector<double>& values, int columns, int rows,
                   double origin_x, double origin_y, double cell_size, const std::string& description);

} // namespace hotref::geo
