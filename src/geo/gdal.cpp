#include "geo/gdal.hpp"

#include "core/error.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>
#include <cmath>
#include <cerrno>
#include <memory>
#include <system_error>
#include <mutex>
#include <type_traits>

namespace hotref::geo {

namespace {

// GDAL reports through CPLError; we keep the message and let the caller throw
// it with context. Nothing is printed by GDAL.
void CPL_STDCALL quiet_handler(CPLErr, CPLErrorNum, const char*) {}

std::string last_gdal_error() {
    const char* msg = CPLGetLastErrorMsg();
    return (msg != nullptr && *msg != '\0') ? msg : "no further detail from GDAL";
}

bool ends_with(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

struct DatasetCloser {
    void operator()(void* ds) const noexcept { GDALClose(ds); }
};
struct GeometryDeleter {
    void operator()(OGRGeometryH g) const noexcept { OGR_G_DestroyGeometry(g); }
};
struct FeatureDeleter {
    void operator()(OGRFeatureH f) const noexcept { OGR_F_Destroy(f); }
};
struct SrsDeleter {
    void operator()(OGRSpatialReferenceH s) const noexcept { OSRDestroySpatialReference(s); }
};
struct TransformDeleter {
    void operator()(OGRCoordinateTransformationH t) const noexcept { OCTDestroyCoordinateTransformation(t); }
};

} // namespace

void gdal_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        CPLSetErrorHandler(quiet_handler);
        GDALAllRegister();
    });
}

namespace {
void CPL_STDCALL trap_handler(CPLErr severity, CPLErrorNum, const char* message) {
    if (auto* trap = static_cast<ErrorTrap*>(CPLGetErrorHandlerUserData())) {
        trap->record(static_cast<int>(severity), message);
    }
}
} // namespace

ErrorTrap::ErrorTrap() {
    gdal_init();
    CPLPushErrorHandlerEx(trap_handler, this);
}

ErrorTrap::~ErrorTrap() {
    CPLPopErrorHandler();
}

void ErrorTrap::record(int severity, const char* message) {
    if (severity >= CE_Failure && !m_failed) {
        m_failed = true;
        m_message = message != nullptr && *message != '\0' ? message : "no further detail from GDAL";
    }
}

std::string vsi_path(const std::string& path) {
    if (path.rfind("/vsi", 0) == 0) {
        return path;
    }
    if (ends_with(path, ".gz")) {
        return "/vsigzip/" + path;
    }
    return path;
}

VsiFile::VsiFile(const std::string& path) : m_path(path), m_fp(nullptr) {
    gdal_init();
    CPLErrorReset();
    m_fp = VSIFOpenL(path.c_str(), "rb");
    if (m_fp == nullptr) {
        throw InputError(path + ": cannot open for reading (" + last_gdal_error() +
                         "); check that the file exists and is readable");
    }
}

VsiFile::~VsiFile() {
    if (m_fp != nullptr) {
        VSIFCloseL(static_cast<VSILFILE*>(m_fp));
    }
}

std::size_t VsiFile::read(char* buffer, std::size_t n) {
    CPLErrorReset();
    const std::size_t got = VSIFReadL(buffer, 1, n, static_cast<VSILFILE*>(m_fp));
    // GDAL's gzip and zip readers report a cut stream (zlib Z_BUF_ERROR), damaged data
    // (Z_DATA_ERROR) and a CRC mismatch as errors on the read that meets them, even when
    // that read returns data and reaches the end: a file is read whole or not at all.
    if (CPLGetLastErrorType() >= CE_Failure) {
        const std::string why = last_gdal_error();
        const bool compressed = m_path.rfind("/vsigzip/", 0) == 0 || m_path.rfind("/vsizip/", 0) == 0;
        std::string shown = m_path;
        if (shown.rfind("/vsigzip/", 0) == 0) {
            shown = shown.substr(9);
        }
        throw InputError(shown + ": " +
                         (compressed ? "the compressed data is cut short or damaged (" + why +
                                           "); nothing from this file is stored: download it again"
                                     : "read error (" + why + "); is the file truncated or corrupt?"));
    }
    return got;
}

VsiStat vsi_stat(const std::string& path) {
    gdal_init();
    VSIStatBufL st{};
    VsiStat out;
    if (VSIStatL(path.c_str(), &st) == 0) {
        out.exists = true;
        out.is_directory = VSI_ISDIR(st.st_mode);
        out.size = static_cast<std::uint64_t>(st.st_size);
    }
    return out;
}

std::vector<std::string> list_files_recursive(const std::string& dir) {
    gdal_init();
    std::vector<std::string> files;
    char** list = VSIReadDirRecursive(dir.c_str());
    for (char** p = list; p != nullptr && *p != nullptr; ++p) {
        std::string rel{*p};
        if (rel.empty() || rel.back() == '/') {
            continue;
        }
        if (vsi_stat(dir + "/" + rel).is_directory) {
            continue;
        }
        files.push_back(rel);
    }
    CSLDestroy(list);
    std::sort(files.begin(), files.end());
    return files;
}

std::string crs_wkt(int epsg) {
    std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, SrsDeleter> srs{OSRNewSpatialReference(nullptr)};
    if (OSRImportFromEPSG(srs.get(), epsg) != OGRERR_NONE) {
        throw GeoError("unknown CRS EPSG:" + std::to_string(epsg));
    }
    char* wkt = nullptr;
    const char* options[] = {"FORMAT=WKT2_2018", nullptr};
    OSRExportToWktEx(srs.get(), &wkt, options);
    std::string out = wkt != nullptr ? wkt : "";
    CPLFree(wkt);
    return out;
}

std::string crs_proj4(int epsg) {
    std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, SrsDeleter> srs{OSRNewSpatialReference(nullptr)};
    if (OSRImportFromEPSG(srs.get(), epsg) != OGRERR_NONE) {
        throw GeoError("unknown CRS EPSG:" + std::to_string(epsg));
    }
    char* proj4 = nullptr;
    OSRExportToProj4(srs.get(), &proj4);
    std::string out = proj4 != nullptr ? proj4 : "";
    CPLFree(proj4);
    return out;
}

void remove_vsi_file(const std::string& path) {
    VSIUnlink(path.c_str());
}

void remove_vsi_tree(const std::string& path) {
    VSIRmdirRecursive(path.c_str());
}

std::string read_whole_file(const std::string& path) {
    VsiFile f{path};
    std::string out;
    char buf[65536];
    while (const std::size_t n = f.read(buf, sizeof buf)) {
        out.append(buf, n);
    }
    return out;
}

namespace {
std::vector<PolygonFeature> read_polygons(const std::string& path, const std::string& layer_name,
                                          const std::string& target_crs, const std::vector<std::string>& fields,
                                          bool fields_required);
} // namespace

std::vector<std::string> read_polygons_wkb(const std::string& path, const std::string& layer_name,
                                           const std::string& target_crs) {
    std::vector<std::string> out;
    for (auto& p : read_named_polygons(path, layer_name, target_crs, "")) {
        out.push_back(std::move(p.wkb));
    }
    return out;
}

std::vector<NamedPolygon> read_named_polygons(const std::string& path, const std::string& layer_name,
                                              const std::string& target_crs, const std::string& name_field) {
    std::vector<NamedPolygon> out;
    for (auto& f : read_polygons(path, layer_name, target_crs, {name_field}, false)) {
        out.push_back(NamedPolygon{std::move(f.values.front()), std::move(f.wkb)});
    }
    return out;
}

std::vector<PolygonFeature> read_polygon_features(const std::string& path, const std::string& layer_name,
                                                  const std::string& target_crs,
                                                  const std::vector<std::string>& fields) {
    return read_polygons(path, layer_name, target_crs, fields, true);
}

namespace {

std::vector<PolygonFeature> read_polygons(const std::string& path, const std::string& layer_name,
                                          const std::string& target_crs, const std::vector<std::string>& fields,
                                          bool fields_required) {
    gdal_init();
    CPLErrorReset();
    std::unique_ptr<void, DatasetCloser> ds{
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr)};
    if (!ds) {
        throw InputError(path + ": cannot open as a vector data set (" + last_gdal_error() + ")");
    }
    OGRLayerH layer = layer_name.empty() ? GDALDatasetGetLayer(ds.get(), 0)
                                         : GDALDatasetGetLayerByName(ds.get(), layer_name.c_str());
    if (layer == nullptr) {
        throw InputError(path + ": no layer " + (layer_name.empty() ? std::string{"at all"} : "'" + layer_name + "'"));
    }
    std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, SrsDeleter> target{OSRNewSpatialReference(nullptr)};
    if (OSRSetFromUserInput(target.get(), target_crs.c_str()) != OGRERR_NONE) {
        throw GeoError("unknown CRS " + target_crs);
    }
    OSRSetAxisMappingStrategy(target.get(), OAMS_TRADITIONAL_GIS_ORDER);
    OGRSpatialReferenceH source = OGR_L_GetSpatialRef(layer);
    if (source == nullptr) {
        throw InputError(path + ": layer '" + OGR_L_GetName(layer) +
                         "' has no coordinate reference system; assign one (e.g. ogr2ogr -a_srs EPSG:27700)");
    }
    std::unique_ptr<std::remove_pointer_t<OGRCoordinateTransformationH>, TransformDeleter> ct;
    if (OSRIsSame(source, target.get()) == 0) {
        ct.reset(OCTNewCoordinateTransformation(source, target.get()));
        if (!ct) {
            throw GeoError(path + ": cannot transform the layer to " + target_crs + " (" + last_gdal_error() + ")");
        }
    }
    std::vector<int> indices;
    for (const auto& field : fields) {
        const int index = field.empty() ? -1 : OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), field.c_str());
        if (index < 0 && fields_required) {
            throw InputError(path + ": layer '" + OGR_L_GetName(layer) + "' has no field '" + field + "'");
        }
        indices.push_back(index);
    }
    std::vector<PolygonFeature> out;
    OGR_L_ResetReading(layer);
    while (true) {
        std::unique_ptr<std::remove_pointer_t<OGRFeatureH>, FeatureDeleter> feature{OGR_L_GetNextFeature(layer)};
        if (!feature) {
            break;
        }
        OGRGeometryH g = OGR_F_GetGeometryRef(feature.get());
        if (g == nullptr) {
            continue;
        }
        const auto type = wkbFlatten(OGR_G_GetGeometryType(g));
        if (type != wkbPolygon && type != wkbMultiPolygon) {
            continue;
        }
        std::unique_ptr<std::remove_pointer_t<OGRGeometryH>, GeometryDeleter> copy{OGR_G_Clone(g)};
        if (ct && OGR_G_Transform(copy.get(), ct.get()) != OGRERR_NONE) {
            throw GeoError(path + ": cannot transform feature " + std::to_string(OGR_F_GetFID(feature.get())));
        }
        std::string wkb(static_cast<std::size_t>(OGR_G_WkbSize(copy.get())), '\0');
        OGR_G_ExportToIsoWkb(copy.get(), wkbNDR, reinterpret_cast<unsigned char*>(wkb.data()));
        PolygonFeature f;
        for (const int index : indices) {
            const bool set = index >= 0 && OGR_F_IsFieldSetAndNotNull(feature.get(), index) != 0;
            f.values.emplace_back(set ? OGR_F_GetFieldAsString(feature.get(), index) : "");
        }
        f.wkb = std::move(wkb);
        out.push_back(std::move(f));
    }
    if (out.empty()) {
        throw InputError(path + ": layer '" + OGR_L_GetName(layer) + "' holds no polygons");
    }
    return out;
}

} // namespace

void write_geotiff(const std::string& path, const std::vector<double>& values, int columns, int rows,
                   double origin_x, double origin_y, double cell_size, const std::string& description) {
    gdal_init();
    GDALDriverH driver = GDALGetDriverByName("GTiff");
    if (driver == nullptr) {
        throw GeoError("GDAL has no GTiff driver");
    }
    CPLErrorReset();
    char** options = nullptr;
    options = CSLSetNameValue(options, "COMPRESS", "DEFLATE");
    options = CSLSetNameValue(options, "TILED", "YES");
    std::unique_ptr<void, DatasetCloser> ds{GDALCreate(driver, path.c_str(), columns, rows, 1, GDT_Float32, options)};
    CSLDestroy(options);
    if (!ds) {
        throw GeoError(path + ": cannot create a GeoTIFF (" + last_gdal_error() + ")");
    }
    // GDAL rasters run north to south.
    double transform[6] = {origin_x, cell_size, 0, origin_y + rows * cell_size, 0, -cell_size};
    GDALSetGeoTransform(ds.get(), transform);
    std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, SrsDeleter> srs{OSRNewSpatialReference(nullptr)};
    OSRImportFromEPSG(srs.get(), 27700);
    char* wkt = nullptr;
    OSRExportToWkt(srs.get(), &wkt);
    GDALSetProjection(ds.get(), wkt);
    CPLFree(wkt);
    GDALRasterBandH band = GDALGetRasterBand(ds.get(), 1);
    constexpr double nodata = -9999.0;
    GDALSetRasterNoDataValue(band, nodata);
    GDALSetDescription(band, description.c_str());
    std::vector<float> line(static_cast<std::size_t>(columns));
    for (int r = 0; r < rows; ++r) {
        const auto src = static_cast<std::size_t>(rows - 1 - r) * static_cast<std::size_t>(columns);
        for (int c = 0; c < columns; ++c) {
            const double v = values[src + static_cast<std::size_t>(c)];
            line[static_cast<std::size_t>(c)] = std::isfinite(v) ? static_cast<float>(v) : static_cast<float>(nodata);
        }
        if (GDALRasterIO(band, GF_Write, 0, r, columns, 1, line.data(), columns, 1, GDT_Float32, 0, 0) != CE_None) {
            throw GeoError(path + ": cannot write the GeoTIFF (" + last_gdal_error() + ")");
        }
    }
    // Blocks are flushed on close: its errors (a full disk) count too.
    ErrorTrap trap;
    GDALClose(ds.release());
    if (trap.failed()) {
        throw GeoError(path + ": cannot finish writing the GeoTIFF (" + trap.message() + ")");
    }
}

namespace {

// One transformation per thread and source CRS: creating one costs far more than using it.
// Built in the constructor, so GDAL's own per-thread PROJ context is made first and, as
// thread-local objects end in reverse order, ends after this one (built later, an
// OGRSpatialReference would outlive that context and make GDAL create one it never frees).
OGRCoordinateTransformationH wgs84_transform(int epsg) {
    struct Cached {
        int epsg = 0;
        std::unique_ptr<std::remove_pointer_t<OGRSpatialReferenceH>, SrsDeleter> source, target;
        std::unique_ptr<std::remove_pointer_t<OGRCoordinateTransformationH>, TransformDeleter> transform;

        explicit Cached(int from) { load(from); }
        void load(int from) {
            epsg = 0;
            transform.reset();
            source.reset(OSRNewSpatialReference(nullptr));
            target.reset(OSRNewSpatialReference(nullptr));
            if (OSRImportFromEPSG(source.get(), from) != OGRERR_NONE ||
                OSRImportFromEPSG(target.get(), 4326) != OGRERR_NONE) {
                throw GeoError("GDAL: EPSG:" + std::to_string(from) + " is not known");
            }
            OSRSetAxisMappingStrategy(source.get(), OAMS_TRADITIONAL_GIS_ORDER);
            OSRSetAxisMappingStrategy(target.get(), OAMS_TRADITIONAL_GIS_ORDER);
            transform.reset(OCTNewCoordinateTransformation(source.get(), target.get()));
            if (!transform) {
                throw GeoError("GDAL: no transformation from EPSG:" + std::to_string(from) + " to WGS84");
            }
            epsg = from;
        }
    };
    gdal_init();
    thread_local Cached cached{epsg};
    if (cached.epsg != epsg) {
        cached.load(epsg);
    }
    return cached.transform.get();
}

// Reads 2D WKB of the simple kinds: the geometry's structure (kinds and ring sizes) and its
// coordinates in order. false: a kind this reader leaves to OGR.
class WkbReader {
public:
    explicit WkbReader(const std::string& wkb) : m_data(wkb) {}

    struct Part {
        std::uint32_t kind = 0;
        std::vector<std::uint32_t> rings; // points per ring (Polygon), one entry (LineString), none (Point)
    };

    bool read(std::uint32_t& kind, std::vector<Part>& parts, std::vector<double>& x, std::vector<double>& y) {
        bool little = true;
        if (!header(little, kind)) {
            return false;
        }
        if (kind >= 4 && kind <= 6) {
            const std::uint32_t n = u32(little);
            for (std::uint32_t i = 0; i < n; ++i) {
                bool part_little = true;
                std::uint32_t part_kind = 0;
                if (!header(part_little, part_kind) || part_kind != kind - 3) {
                    return false;
                }
                parts.push_back(single(part_little, part_kind, x, y));
            }
        } else {
            parts.push_back(single(little, kind, x, y));
        }
        return m_at == m_data.size();
    }

private:
    bool header(bool& little, std::uint32_t& kind) {
        need(5);
        const auto order = static_cast<unsigned char>(m_data[m_at++]);
        if (order > 1) {
            throw GeoError("invalid WKB geometry: byte order " + std::to_string(order));
        }
        little = order == 1;
        kind = u32(little);
        return kind >= 1 && kind <= 6; // Z, M, EWKB flags and the other kinds: OGR's path
    }

    Part single(bool little, std::uint32_t kind, std::vector<double>& x, std::vector<double>& y) {
        Part part;
        part.kind = kind;
        if (kind == 1) {
            point(little, x, y);
            return part;
        }
        const std::uint32_t rings = kind == 3 ? u32(little) : 1;
        for (std::uint32_t r = 0; r < rings; ++r) {
            const std::uint32_t n = u32(little);
            need(static_cast<std::size_t>(n) * 16);
            part.rings.push_back(n);
            for (std::uint32_t i = 0; i < n; ++i) {
                point(little, x, y);
            }
        }
        return part;
    }

    void point(bool little, std::vector<double>& x, std::vector<double>& y) {
        x.push_back(f64(little));
        y.push_back(f64(little));
    }

    void need(std::size_t n) const {
        if (m_data.size() - m_at < n) {
            throw GeoError("invalid WKB geometry (" + std::to_string(m_data.size()) + " bytes): truncated");
        }
    }

    std::uint64_t bytes(bool little, int n) {
        need(static_cast<std::size_t>(n));
        std::uint64_t v = 0;
        for (int i = 0; i < n; ++i) {
            const auto b = static_cast<std::uint64_t>(static_cast<unsigned char>(m_data[m_at + static_cast<std::size_t>(i)]));
            v |= b << (8 * (little ? i : n - 1 - i));
        }
        m_at += static_cast<std::size_t>(n);
        return v;
    }
    std::uint32_t u32(bool little) { return static_cast<std::uint32_t>(bytes(little, 4)); }
    double f64(bool little) {
        const std::uint64_t v = bytes(little, 8);
        double d = 0;
        std::memcpy(&d, &v, sizeof d);
        return d;
    }

    const std::string& m_data;
    std::size_t m_at = 0;
};

// A coordinate to `decimals` places as JSON writes it: trailing zeros dropped, at least one
// decimal kept ("52.0"); the value it stands for, for the extent.
double append_coordinate(std::string& out, double v, int decimals) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    if (ec != std::errc{}) {
        throw GeoError("GDAL: a coordinate cannot be written: " + std::to_string(v));
    }
    char* dot = std::find(buf, end, '.');
    if (dot == end) {
        *end++ = '.';
        *end++ = '0';
    } else {
        while (end > dot + 2 && end[-1] == '0') {
            --end;
        }
    }
    if (std::string_view(buf, static_cast<std::size_t>(end - buf)) == "-0.0") {
        out += "0.0";
        return 0;
    }
    out.append(buf, end);
    double parsed = 0;
    std::from_chars(buf, end, parsed);
    return parsed;
}

} // namespace

std::optional<GeoJsonGeometry> wkb_to_geojson_wgs84_direct(const std::string& wkb, int epsg, int decimals) {
    std::uint32_t kind = 0;
    std::vector<WkbReader::Part> parts;
    std::vector<double> x, y;
    if (!WkbReader{wkb}.read(kind, parts, x, y)) {
        return std::nullopt;
    }
    const auto transform = wgs84_transform(epsg);
    if (!x.empty() && !OCTTransform(transform, static_cast<int>(x.size()), x.data(), y.data(), nullptr)) {
        throw GeoError("GDAL: cannot transform a geometry from EPSG:" + std::to_string(epsg) + " to WGS84");
    }
    static const char* const names[] = {"", "Point", "LineString", "Polygon", "MultiPoint", "MultiLineString",
                                        "MultiPolygon"};
    GeoJsonGeometry g;
    std::string& out = g.json;
    out.reserve(40 + x.size() * 26);
    out += "{\"type\":\"";
    out += names[kind];
    out += "\",\"coordinates\":";
    std::size_t at = 0;
    const auto position = [&] {
        out += '[';
        const double lon = append_coordinate(out, x[at], decimals);
        out += ',';
        const double lat = append_coordinate(out, y[at], decimals);
        out += ']';
        ++at;
        if (g.empty) {
            g.min_x = g.max_x = lon;
            g.min_y = g.max_y = lat;
            g.empty = false;
        } else {
            g.min_x = std::min(g.min_x, lon);
            g.max_x = std::max(g.max_x, lon);
            g.min_y = std::min(g.min_y, lat);
            g.max_y = std::max(g.max_y, lat);
        }
    };
    const auto sequence = [&](std::uint32_t n) {
        out += '[';
        for (std::uint32_t i = 0; i < n; ++i) {
            if (i > 0) {
                out += ',';
            }
            position();
        }
        out += ']';
    };
    const auto part = [&](const WkbReader::Part& p) {
        if (p.kind == 1) {
            position();
        } else if (p.kind == 2) {
            sequence(p.rings.front());
        } else {
            out += '[';
            for (std::size_t r = 0; r < p.rings.size(); ++r) {
                if (r > 0) {
                    out += ',';
                }
                sequence(p.rings[r]);
            }
            out += ']';
        }
    };
    if (kind <= 3) {
        part(parts.front());
    } else {
        out += '[';
        for (std::size_t i = 0; i < parts.size(); ++i) {
            if (i > 0) {
                out += ',';
            }
            part(parts[i]);
        }
        out += ']';
    }
    out += '}';
    return g;
}

std::string wkb_to_geojson_wgs84(const std::string& wkb, int epsg, int decimals) {
    const auto transform = wgs84_transform(epsg);
    OGRGeometryH raw = nullptr;
    if (OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(wkb.data()), nullptr, &raw,
                            static_cast<int>(wkb.size())) != OGRERR_NONE ||
        raw == nullptr) {
        throw GeoError("GDAL: invalid WKB geometry (" + std::to_string(wkb.size()) + " bytes)");
    }
    std::unique_ptr<std::remove_pointer_t<OGRGeometryH>, GeometryDeleter> geometry{raw};
    if (OGR_G_Transform(geometry.get(), transform) != OGRERR_NONE) {
        throw GeoError("GDAL: cannot transform a geometry from EPSG:" + std::to_string(epsg) + " to WGS84");
    }
    const std::string precision = "COORDINATE_PRECISION=" + std::to_string(decimals);
    const char* options[] = {precision.c_str(), nullptr};
    char* json = OGR_G_ExportToJsonEx(geometry.get(), const_cast<char**>(options));
    if (json == nullptr) {
        throw GeoError("GDAL: cannot write a geometry as GeoJSON");
    }
    std::string out{json};
    CPLFree(json);
    return out;
}

void write_vsi_file(const std::string& path, const std::string& bytes) {
    gdal_init();
    errno = 0;
    VSILFILE* f = VSIFOpenL(path.c_str(), "wb");
    if (f == nullptr) {
        throw GeoError(path + ": cannot create the file");
    }
    const bool ok = VSIFWriteL(bytes.data(), 1, bytes.size(), f) == bytes.size();
    const int err = errno;
    if (VSIFCloseL(f) != 0 || !ok) {
        throw GeoError(path + ": cannot write the file (" + std::system_category().message(errno != 0 ? errno : err) +
                       ")");
    }
}

} // namespace hotref::geo
