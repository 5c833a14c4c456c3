#pragma once
// Writing vector data with GDAL/OGR (the only place that calls OGR's writing
// API): a dataset, its layers, features from WKB, and GDALVectorTranslate
// (ogr2ogr's library form) for format conversion.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace hotref::geo {

enum class FieldType { integer, real, text };

struct FieldDef {
    std::string name;
    FieldType type = FieldType::text;
};

/// A value: empty (NULL), an integer, a real or a text.
using FieldValue = std::variant<std::monostate, std::int64_t, double, std::string>;

enum class GeometryKind { none, point, polygon, multipolygon };

class VectorLayer {
public:
    /// Adds a feature; `wkb` may be empty (no geometry). Values follow the fields' order.
    void add(const std::vector<FieldValue>& values, const std::string& wkb);
    /// Sets a metadata item (GDAL's default domain; a GeoPackage keeps it in gpkg_metadata).
    void set_metadata(const std::string& key, const std::string& value);
    [[nodiscard]] const std::string& name() const noexcept { return m_name; }

private:
    friend class VectorDataset;
    VectorLayer(void* layer, std::string name, std::size_t fields) : m_layer(layer), m_name(std::move(name)), m_fields(fields) {}
    void* m_layer;
    std::string m_name;
    std::size_t m_fields;
};

class VectorDataset {
public:
    /// Creates `path` with a GDAL vector driver ("GPKG", ...); fails if it exists.
    VectorDataset(const std::string& path, const std::string& driver, const std::vector<std::string>& options = {});
    ~VectorDataset();
    VectorDataset(const VectorDataset&) = delete;
    VectorDataset& operator=(const VectorDataset&) = delete;

    /// A new layer in EPSG:`epsg` (ignored without geometry) with the fields;
    /// `options` are layer creation options ("GEOMETRY_NAME=geom", ...).
    VectorLayer& create_layer(const std::string& name, GeometryKind kind, int epsg, const std::vector<FieldDef>& fields,
                              const std::vector<std::string>& options = {});
    /// Runs SQL (SQLite dialect for GeoPackages); statements returning rows are discarded.
    void execute(const std::string& sql);
    /// Flushes and closes (also done by the destructor, which cannot report errors).
    void close();

private:
    std::string m_path;
    void* m_ds;
    bool m_in_transaction = false;
    std::vector<std::unique_ptr<VectorLayer>> m_layers;
};

/// What a vector data set holds, as GDAL reads it (for checks and tests).
struct LayerInfo {
    std::string name;
    std::int64_t features = 0;
    int epsg = 0;                        // 0: none or not an EPSG code
    std::string geometry;                // OGR geometry type name ("Multi Polygon", "None")
    std::vector<std::string> fields;
    std::map<std::string, std::string> metadata;
};
std::vector<LayerInfo> inspect_vector(const std::string& path);

/// Reads every feature of layer `layer_name` (empty: the first) of `path` and returns
/// how many there were: a check that a written file is whole. Throws GeoError.
std::int64_t read_back_features(const std::string& path, const std::string& layer_name = {});

/// GDALVectorTranslate: converts `source` to `destination` with ogr2ogr's
/// arguments (e.g. {"-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "RFC7946=YES"}).
void vector_translate(const std::string& source, const std::string& destination,
                      const std::vector<std::string>& arguments);

/// Converts a raster with gdal_translate's arguments.
void raster_translate(const std::string& source, const std::string& destination,
                      const std::vector<std::string>& arguments);

} // namespace hotref::geo
