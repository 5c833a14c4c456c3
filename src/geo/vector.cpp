#include "geo/vector.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"

#include <cpl_conv.h>
#include <cmath>
#include <cstdlib>
#include <type_traits>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

namespace hotref::geo {

namespace {

std::string gdal_message() {
    const char* msg = CPLGetLastErrorMsg();
    return (msg != nullptr && *msg != '\0') ? msg : "no further detail from GDAL";
}

// A NULL-terminated list of C strings for GDAL, freed with CSLDestroy.
struct StringList {
    char** list = nullptr;
    explicit StringList(const std::vector<std::string>& items) {
        for (const auto& s : items) {
            list = CSLAddString(list, s.c_str());
        }
    }
    ~StringList() { CSLDestroy(list); }
    StringList(const StringList&) = delete;
    StringList& operator=(const StringList&) = delete;
};

} // namespace

VectorDataset::VectorDataset(const std::string& path, const std::string& driver_name,
                             const std::vector<std::string>& options)
    : m_path(path), m_ds(nullptr) {
    gdal_init();
    GDALDriverH driver = GDALGetDriverByName(driver_name.c_str());
    if (driver == nullptr) {
        throw GeoError("GDAL has no " + driver_name + " driver");
    }
    CPLErrorReset();
    StringList opts{options};
    m_ds = GDALCreate(driver, path.c_str(), 0, 0, 0, GDT_Unknown, opts.list);
    if (m_ds == nullptr) {
        throw GeoError(path + ": cannot create (" + gdal_message() + ")");
    }
    // One transaction for everything written (a GeoPackage otherwise commits every feature).
    m_in_transaction = GDALDatasetStartTransaction(m_ds, FALSE) == OGRERR_NONE;
}

VectorDataset::~VectorDataset() {
    if (m_ds != nullptr) {
        GDALClose(m_ds);
    }
}

void VectorDataset::close() {
    if (m_ds != nullptr) {
        CPLErrorReset();
        if (m_in_transaction && GDALDatasetCommitTransaction(m_ds) != OGRERR_NONE) {
            GDALClose(m_ds);
            m_ds = nullptr;
            throw GeoError(m_path + ": cannot commit (" + gdal_message() + ")");
        }
        m_in_transaction = false;
        ErrorTrap trap; // GDAL 3.6 reports close errors through CPLError only
        GDALClose(m_ds);
        m_ds = nullptr;
        if (trap.failed()) {
            throw GeoError(m_path + ": cannot finish writing (" + trap.message() + ")");
        }
    }
}

VectorLayer& VectorDataset::create_layer(const std::string& name, GeometryKind kind, int epsg,
                                         const std::vector<FieldDef>& fields, const std::vector<std::string>& options) {
    OGRwkbGeometryType type = wkbNone;
    switch (kind) {
    case GeometryKind::none: type = wkbNone; break;
    case GeometryKind::point: type = wkbPoint; break;
    case GeometryKind::polygon: type = wkbPolygon; break;
    case GeometryKind::multipolygon: type = wkbMultiPolygon; break;
    }
    OGRSpatialReferenceH srs = nullptr;
    if (kind != GeometryKind::none) {
        srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, epsg);
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    CPLErrorReset();
    StringList opts{options};
    OGRLayerH layer = GDALDatasetCreateLayer(m_ds, name.c_str(), srs, type, opts.list);
    if (srs != nullptr) {
        OSRRelease(srs);
    }
    if (layer == nullptr) {
        throw GeoError(m_path + ": cannot create layer '" + name + "' (" + gdal_message() + ")");
    }
    for (const auto& f : fields) {
        const OGRFieldType t = f.type == FieldType::integer ? OFTInteger64 : f.type == FieldType::real ? OFTReal : OFTString;
        OGRFieldDefnH def = OGR_Fld_Create(f.name.c_str(), t);
        const OGRErr err = OGR_L_CreateField(layer, def, TRUE);
        OGR_Fld_Destroy(def);
        if (err != OGRERR_NONE) {
            throw GeoError(m_path + ": cannot create field '" + f.name + "' in '" + name + "'");
        }
    }
    m_layers.push_back(std::unique_ptr<VectorLayer>(new VectorLayer(layer, name, fields.size())));
    return *m_layers.back();
}

void VectorDataset::execute(const std::string& sql) {
    CPLErrorReset();
    OGRLayerH result = GDALDatasetExecuteSQL(m_ds, sql.c_str(), nullptr, nullptr);
    if (result != nullptr) {
        GDALDatasetReleaseResultSet(m_ds, result);
    }
    if (CPLGetLastErrorType() >= CE_Failure) {
        throw GeoError(m_path + ": SQL failed (" + gdal_message() + "): " + sql.substr(0, 100));
    }
}

void VectorLayer::add(const std::vector<FieldValue>& values, const std::string& wkb) {
    auto* layer = static_cast<OGRLayerH>(m_layer);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
    for (std::size_t i = 0; i < values.size() && i < m_fields; ++i) {
        const int idx = static_cast<int>(i);
        std::visit(
            [&](const auto& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, std::monostate>) {
                    OGR_F_SetFieldNull(f, idx);
                } else if constexpr (std::is_same_v<T, std::int64_t>) {
                    OGR_F_SetFieldInteger64(f, idx, v);
                } else if constexpr (std::is_same_v<T, double>) {
                    if (std::isfinite(v)) {
                        OGR_F_SetFieldDouble(f, idx, v);
                    } else {
                        OGR_F_SetFieldNull(f, idx);
                    }
                } else {
                    OGR_F_SetFieldString(f, idx, v.c_str());
                }
            },
            values[i]);
    }
    if (!wkb.empty()) {
        OGRGeometryH g = nullptr;
        if (OGR_G_CreateFromWkb(reinterpret_cast<const unsigned char*>(wkb.data()), nullptr, &g,
                                static_cast<int>(wkb.size())) != OGRERR_NONE) {
            OGR_F_Destroy(f);
            throw GeoError("layer '" + m_name + "': a geometry cannot be read from WKB");
        }
        const auto want = wkbFlatten(OGR_L_GetGeomType(layer));
        if (want == wkbMultiPolygon && wkbFlatten(OGR_G_GetGeometryType(g)) == wkbPolygon) {
            g = OGR_G_ForceToMultiPolygon(g);
        }
        OGR_F_SetGeometryDirectly(f, g);
    }
    CPLErrorReset();
    const OGRErr err = OGR_L_CreateFeature(layer, f);
    OGR_F_Destroy(f);
    if (err != OGRERR_NONE) {
        throw GeoError("layer '" + m_name + "': cannot write a feature (" + gdal_message() + ")");
    }
}

void VectorLayer::set_metadata(const std::string& key, const std::string& value) {
    GDALSetMetadataItem(static_cast<OGRLayerH>(m_layer), key.c_str(), value.c_str(), nullptr);
}

std::int64_t read_back_features(const std::string& path, const std::string& layer_name) {
    gdal_init();
    ErrorTrap trap;
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (ds == nullptr) {
        throw GeoError(path + ": cannot be read back (" + (trap.failed() ? trap.message() : gdal_message()) + ")");
    }
    OGRLayerH layer = layer_name.empty() ? GDALDatasetGetLayer(ds, 0)
                                         : GDALDatasetGetLayerByName(ds, layer_name.c_str());
    std::int64_t n = 0;
    if (layer != nullptr) {
        OGR_L_ResetReading(layer);
        while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
            OGR_F_Destroy(f);
            ++n;
        }
    }
    GDALClose(ds);
    if (layer == nullptr) {
        throw GeoError(path + ": cannot be read back (no layer " + layer_name + ")");
    }
    if (trap.failed()) {
        throw GeoError(path + ": cannot be read back whole (" + trap.message() + ")");
    }
    return n;
}

std::vector<LayerInfo> inspect_vector(const std::string& path) {
    gdal_init();
    CPLErrorReset();
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (ds == nullptr) {
        throw GeoError(path + ": cannot open as vector data (" + gdal_message() + ")");
    }
    std::vector<LayerInfo> out;
    for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
        OGRLayerH layer = GDALDatasetGetLayer(ds, i);
        LayerInfo info;
        info.name = OGR_L_GetName(layer);
        info.features = OGR_L_GetFeatureCount(layer, TRUE);
        info.geometry = OGRGeometryTypeToName(OGR_L_GetGeomType(layer));
        if (OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer)) {
            const char* code = OSRGetAuthorityCode(srs, nullptr);
            const char* auth = OSRGetAuthorityName(srs, nullptr);
            if (code != nullptr && auth != nullptr && std::string{auth} == "EPSG") {
                info.epsg = std::atoi(code);
            }
        }
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        for (int f = 0; f < OGR_FD_GetFieldCount(defn); ++f) {
            info.fields.emplace_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, f)));
        }
        if (char** md = GDALGetMetadata(layer, nullptr)) {
            for (char** p = md; *p != nullptr; ++p) {
                const std::string item{*p};
                const auto eq = item.find('=');
                if (eq != std::string::npos) {
                    info.metadata[item.substr(0, eq)] = item.substr(eq + 1);
                }
            }
        }
        out.push_back(std::move(info));
    }
    GDALClose(ds);
    return out;
}

void vector_translate(const std::string& source, const std::string& destination,
                      const std::vector<std::string>& arguments) {
    gdal_init();
    CPLErrorReset();
    GDALDatasetH src = GDALOpenEx(source.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (src == nullptr) {
        throw GeoError(source + ": cannot open (" + gdal_message() + ")");
    }
    StringList args{arguments};
    GDALVectorTranslateOptions* opts = GDALVectorTranslateOptionsNew(args.list, nullptr);
    int usage_error = 0;
    ErrorTrap trap; // every failure while writing and closing, not only the last message
    GDALDatasetH out = GDALVectorTranslate(destination.c_str(), nullptr, 1, &src, opts, &usage_error);
    GDALVectorTranslateOptionsFree(opts);
    GDALClose(src);
    if (out == nullptr) {
        throw GeoError(destination + ": conversion failed (" + (trap.failed() ? trap.message() : gdal_message()) +
                       ")");
    }
    GDALClose(out);
    if (trap.failed()) {
        throw GeoError(destination + ": cannot write (" + trap.message() + ")");
    }
}

void raster_translate(const std::string& source, const std::string& destination,
                      const std::vector<std::string>& arguments) {
    gdal_init();
    CPLErrorReset();
    GDALDatasetH src = GDALOpenEx(source.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (src == nullptr) {
        throw GeoError(source + ": cannot open (" + gdal_message() + ")");
    }
    StringList args{arguments};
    GDALTranslateOptions* opts = GDALTranslateOptionsNew(args.list, nullptr);
    int usage_error = 0;
    ErrorTrap trap;
    GDALDatasetH out = GDALTranslate(destination.c_str(), src, opts, &usage_error);
    GDALTranslateOptionsFree(opts);
    GDALClose(src);
    if (out == nullptr) {
        throw GeoError(destination + ": conversion failed (" + (trap.failed() ? trap.message() : gdal_message()) +
                       ")");
    }
    GDALClose(out);
    if (trap.failed()) {
        throw GeoError(destination + ": cannot write (" + trap.message() + ")");
    }
}

} // namespace hotref::geo
