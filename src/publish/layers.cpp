#include "publish/layers.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "geo/geos.hpp"
#include "geo/vector.hpp"
#include "publish/project.hpp"
#include "publish/styles.hpp"
#include "publish/workbook.hpp"
#include "util/atomic_dir.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>

namespace hotref::publish {

namespace {

namespace fs = std::filesystem;

constexpr const char* licence = "Open Government Licence v3.0";
constexpr const char* attribution =
    "Contains public sector information licensed under the Open Government Licence v3.0 (data.police.uk).";

// Metadata every layer carries, in the layer (gpkg_metadata) and in gpkg_contents.
void describe(geo::VectorLayer& layer, const RunModel& m, const ModelLayer& l) {
    const auto& run = m.run;
    layer.set_metadata("TITLE", l.title);
    layer.set_metadata("DESCRIPTION", l.description);
    layer.set_metadata("PERIOD", run.period_from + " to " + run.period_to);
    layer.set_metadata("CATEGORIES", run.categories);
    layer.set_metadata("METHOD", method_title(run.method));
    layer.set_metadata("PARAMETERS", run.params);
    layer.set_metadata("RUN", std::to_string(run.id));
    layer.set_metadata("SOURCE", run.source);
    layer.set_metadata("LICENCE", licence);
    layer.set_metadata("ATTRIBUTION", attribution);
    layer.set_metadata("GENERATED", m.generated);
    layer.set_metadata("CLASSIFICATION", classification(m.profile));
    layer.set_metadata("PROFILE", profile_name(m.profile));
    layer.set_metadata("DISCLOSURE", m.disclosure.rule);
}

std::vector<std::string> layer_options(const std::string& title, const std::string& description) {
    return {"GEOMETRY_NAME=geom", "SPATIAL_INDEX=YES", "FID=fid", "IDENTIFIER=" + title, "DESCRIPTION=" + description};
}

std::string style_for_layer(const RunModel& m, const ModelLayer& l) {
    if (l.name == "hotspots") {
        return hotspots_qml();
    }
    if (l.name == "incidents") {
        return incidents_qml();
    }
    if (l.name == "study_area") {
        return study_area_qml();
    }
    if (l.name == "hotspot_cells") {
        if (m.run.method == "gistar") {
            return gistar_cells_qml();
        }
        // KDE cells: quintile breaks of density (internal), else of count (published).
        const int f = l.field(m.profile == Profile::internal ? "density" : "count");
        std::vector<double> values;
        for (const auto& feature : l.features) {
            if (const auto* v = std::get_if<double>(&feature.values[static_cast<std::size_t>(f)])) {
                values.push_back(*v);
            }
        }
        std::sort(values.begin(), values.end());
        std::vector<double> breaks;
        for (int k = 0; k <= 5 && !values.empty(); ++k) {
            breaks.push_back(values[std::min(values.size() - 1, values.size() * static_cast<std::size_t>(k) / 5)]);
        }
        return graduated_cells_qml(m.profile == Profile::internal ? "density" : "count", breaks);
    }
    return {};
}

// Every vector file is read back whole before the folder is put in place: a write that
// failed quietly (a full disk) must not pass as complete (issue 14).
void check_written(const RunModel& model, const LayersReport& report, const fs::path& dir) {
    auto expect = [](const fs::path& file, std::int64_t want, const std::string& layer) {
        std::int64_t got = -1;
        try {
            got = geo::read_back_features(file.string(), layer);
        } catch (const GeoError& e) {
            throw Error(std::string{e.what()} + no_space_reason(file) + "; nothing was put in place");
        }
        if (got != want) {
            throw Error(file.string() + ": only " + std::to_string(got) + " of " + std::to_string(want) +
                        " features could be read back" + no_space_reason(file) + "; nothing was put in place");
        }
    };
    for (const auto& l : model.layers) {
        const auto n = static_cast<std::int64_t>(l.features.size());
        expect(dir / "hotref.gpkg", n, l.name);
        expect(dir / "geojson" / (l.name + ".geojson"), n, {});
        expect(dir / "flatgeobuf" / (l.name + ".fgb"), n, {});
    }
    if (report.features.count("hotspots") != 0) {
        expect(dir / "hotspots.csv", report.features.at("hotspots"), {});
        // The workbook's Hotspots sheet, read back by GDAL's XLSX driver (a sheet of only its
        // header reads as one row: nothing to check there).
        if (fs::exists(dir / "hotref.xlsx") && report.features.at("hotspots") > 0) {
            expect(dir / "hotref.xlsx", report.features.at("hotspots"), "Hotspots");
        }
    }
}

} // namespace

std::string layer_style(const RunModel& model, const ModelLayer& layer) {
    return style_for_layer(model, layer);
}

void write_model_gpkg(const RunModel& model, const std::string& path, const std::vector<std::string>& only,
                      bool tiled_only, bool with_styles) {
    geo::VectorDataset ds{path, "GPKG"};
    std::vector<std::pair<std::string, std::string>> styles;
    for (const auto& l : model.layers) {
        if (!only.empty() && std::find(only.begin(), only.end(), l.name) == only.end()) {
            continue;
        }
        auto& layer = ds.create_layer(l.name, l.geometry, 27700, l.fields, layer_options(l.title, l.description));
        describe(layer, model, l);
        for (const auto& f : l.features) {
            if (!tiled_only || f.tiled) {
                layer.add(f.values, f.wkb);
            }
        }
        styles.emplace_back(l.name, layer_style(model, l));
    }
    if (with_styles) {
        write_layer_styles(ds, styles, model.generated);
    }
    ds.close();
}

std::string vsimem_name(const std::string& stem) {
    static std::atomic<std::uint64_t> serial{0};
    return "/vsimem/hotref-" + stem + "-" + std::to_string(serial.fetch_add(1)) + ".gpkg";
}

LayersReport write_layers(store::Store& store, const LayersOptions& opt) {
    LoadOptions load;
    load.run_id = opt.run_id;
    load.method = opt.method;
    load.force = opt.force;
    const auto raw = load_run(store, load);
    const auto model = disclose(raw, opt.profile, opt.rules);
    if (!opt.xlsx) {
        return write_model(model, opt);
    }
    const auto inputs = workbook_inputs(store, raw, model);
    return write_model(model, opt, &inputs);
}

// Every output, into `dir` (the temporary folder).
void write_outputs(const RunModel& model, const LayersOptions& opt, const fs::path& dir, LayersReport& report,
                   const WorkbookInputs* workbook) {
    const auto& run = model.run;
    const fs::path gpkg = dir / "hotref.gpkg";
    geo::Context ctx;
    write_model_gpkg(model, gpkg.string(), {}, false, true);
    std::vector<std::pair<std::string, std::string>> styles;
    for (const auto& l : model.layers) {
        report.features[l.name] = static_cast<std::int64_t>(l.features.size());
        styles.emplace_back(l.name, layer_style(model, l));
    }
    report.files.clear();
    report.files.push_back(gpkg.string());

    // --- a QGIS project: incidents over hotspots over cells over the study area ---
    {
        std::vector<ProjectLayer> project;
        auto style_of = [&styles](const std::string& table) {
            for (const auto& [t, qml] : styles) {
                if (t == table) {
                    return qml;
                }
            }
            return std::string{};
        };
        project.push_back({"incidents", "Incidents by location", "Point", style_of("incidents")});
        project.push_back({"hotspots", "Hotspots", "Polygon", style_of("hotspots")});
        if (report.features.count("hotspot_cells") != 0) {
            project.push_back({"hotspot_cells", run.method == "gistar" ? "Gi* cells" : "KDE hotspot cells", "Polygon",
                               style_of("hotspot_cells")});
        }
        if (report.features.count("study_area") != 0) {
            project.push_back({"study_area", "Study area", "Polygon", style_of("study_area")});
        }
        std::array<double, 4> extent{0, 0, 1, 1};
        if (!run.area_wkb.empty()) {
            ctx.from_wkb(run.area_wkb).bounds(extent[0], extent[1], extent[2], extent[3]);
        }
        const auto qgs = (dir / "hotref.qgs").string();
        write_qgis_project(qgs,
                           "hotref " + method_title(run.method) + ": " + run.categories + ", " + run.period_from +
                               " to " + run.period_to + " (" + classification(model.profile) + ")",
                           "hotref.gpkg", project, extent);
        report.files.push_back(qgs);
    }

    // --- GeoJSON (RFC 7946, WGS84) and FlatGeobuf of each vector layer; CSV of hotspot statistics ---
    fs::create_directories(dir / "geojson");
    fs::create_directories(dir / "flatgeobuf");
    for (const auto& [name, count] : report.features) {
        const auto gj = (dir / "geojson" / (name + ".geojson")).string();
        geo::vector_translate(gpkg.string(), gj,
                              {"-f", "GeoJSON", "-t_srs", "EPSG:4326", "-lco", "RFC7946=YES", "-lco",
                               "WRITE_NAME=YES", name});
        report.files.push_back(gj);
        const auto fgb = (dir / "flatgeobuf" / (name + ".fgb")).string();
        geo::vector_translate(gpkg.string(), fgb, {"-f", "FlatGeobuf", name});
        report.files.push_back(fgb);
    }
    const auto csv = (dir / "hotspots.csv").string();
    geo::vector_translate(gpkg.string(), csv, {"-f", "CSV", "hotspots"});
    report.files.push_back(csv);
    if (workbook != nullptr) {
        const auto xlsx = (dir / "hotref.xlsx").string();
        write_workbook(xlsx, model, *workbook);
        report.files.push_back(xlsx);
    }

    // --- vector tiles (MVT, Web Mercator) of hotspots and cells ---
    if (opt.vector_tiles) {
        // Tiles carry the hotspots and the cells that are significant (bin != 0): the tens of
        // thousands of grey cells add nothing to a web map but minutes of tiling.
        const std::string source = vsimem_name("tiles");
        write_model_gpkg(model, source, {"hotspots", "hotspot_cells"}, true, false);
        const auto tiles = (dir / "tiles").string();
        geo::vector_translate(source, tiles,
                              {"-f", "MVT", "-t_srs", "EPSG:3857", "-dsco",
                               "MINZOOM=" + std::to_string(opt.tiles_min_zoom), "-dsco",
                               "MAXZOOM=" + std::to_string(opt.tiles_max_zoom), "-dsco", "COMPRESS=NO"});
        geo::remove_vsi_file(source);
        report.files.push_back(tiles);
    }

    // --- KDE surface ---
    if (model.kde) {
        const auto& r = *model.kde;
        const auto tif = (dir / "kde_density.tif").string();
        geo::write_geotiff(tif, r.values, r.columns, r.rows, r.origin_x, r.origin_y, r.cell_size, r.description);
        report.files.push_back(tif);
    }
}

LayersReport write_model(const RunModel& model, const LayersOptions& opt, const WorkbookInputs* workbook) {
    const auto& run = model.run;
    LayersReport report;
    report.run_id = run.id;
    report.method = run.method;
    report.suppressed_primary = model.disclosure.primary;
    report.suppressed_secondary = model.disclosure.secondary;
    report.perturbed = model.disclosure.perturbed;
    report.locations_withheld = model.disclosure.locations_withheld;
    report.points_generalised = model.disclosure.points_generalised;
    report.hotspots_withheld = model.disclosure.hotspots_withheld;
    report.notes = model.disclosure.notes;
    // Written into a temporary folder next to --out, read back, then renamed into place.
    AtomicDir out{opt.out_dir, opt.overwrite, {"hotref.gpkg", "hotref.qgs"}};
    const fs::path dir = out.path();
    try {
        write_outputs(model, opt, dir, report, workbook);
        check_written(model, report, dir);
    } catch (const GeoError& e) {
        throw Error(std::string{e.what()} + no_space_reason(dir) + "; nothing was put in place (" + opt.out_dir +
                    " is as it was)");
    }
    out.commit();
    for (auto& f : report.files) {
        f = out.final_path(f).string();
    }
    report.gpkg = report.files.front();
    return report;
}

} // namespace hotref::publish
