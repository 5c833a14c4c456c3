#include "publish/layers.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "geo/geos.hpp"
#include "geo/vector.hpp"
#include "publish/project.hpp"
#include "publish/styles.hpp"
#include "referral/kpi.hpp"
#include "store/incidents.hpp"
#include "store/runs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <unordered_map>

namespace hotref::publish {

namespace {

namespace fs = std::filesystem;
using geo::FieldDef;
using geo::FieldType;
using geo::FieldValue;

constexpr const char* licence = "Open Government Licence v3.0";
constexpr const char* attribution =
    "Contains public sector information licensed under the Open Government Licence v3.0 (data.police.uk).";

using RunInfo = store::StoredRun;

RunInfo find_run(store::Store& store, const LayersOptions& opt) {
    const std::int64_t id = opt.run_id != 0 ? opt.run_id : store::default_run_id(store, opt.method);
    if (id == 0) {
        const std::string m = opt.method.empty() ? "patrol" : opt.method;
        throw Error("no " + (opt.method.empty() ? std::string{"patrol or gistar"} : opt.method) +
                    " run in the store; run 'hotref hotspots --method " + m + "' first");
    }
    auto run = store::read_run(store, id);
    if (!run) {
        throw Error("no run " + std::to_string(id) + " in the store (see the runs with: hotref status)");
    }
    return std::move(*run);
}

FieldValue real_or_null(double v) {
    return std::isfinite(v) ? FieldValue{v} : FieldValue{};
}

FieldValue text_or_null(const std::string& s) {
    return s.empty() ? FieldValue{} : FieldValue{s};
}

std::string method_title(const std::string& method) {
    return method == "patrol"   ? "patrol hotspots (micro-places chosen for the coming month)"
           : method == "gistar" ? "Getis-Ord Gi* with FDR"
           : method == "kde"    ? "kernel density (KDE)"
                                : "DBSCAN";
}

// Metadata every layer carries, in the layer (gpkg_metadata) and in gpkg_contents.
void describe(geo::VectorLayer& layer, const RunInfo& run, const LayersOptions& opt, const std::string& title,
              const std::string& description, const std::string& generated) {
    layer.set_metadata("TITLE", title);
    layer.set_metadata("DESCRIPTION", description);
    layer.set_metadata("PERIOD", run.period_from + " to " + run.period_to);
    layer.set_metadata("CATEGORIES", run.categories);
    layer.set_metadata("METHOD", method_title(run.method));
    layer.set_metadata("PARAMETERS", run.params);
    layer.set_metadata("RUN", std::to_string(run.id));
    layer.set_metadata("SOURCE", run.source);
    layer.set_metadata("LICENCE", licence);
    layer.set_metadata("ATTRIBUTION", attribution);
    layer.set_metadata("GENERATED", generated);
    layer.set_metadata("CLASSIFICATION", classification(opt.profile));
    layer.set_metadata("PROFILE", profile_name(opt.profile));
    if (opt.profile == Profile::published) {
        char rule[200];
        std::snprintf(rule, sizeof rule,
                      "counts from 1 to %.0f withheld, with secondary suppression; no exact times; no point finer than "
                      "police.uk's snap points",
                      opt.rules.min_count - 1);
        layer.set_metadata("DISCLOSURE", rule);
    } else {
        layer.set_metadata("DISCLOSURE", "internal profile: nothing suppressed; not for publication");
    }
}

std::vector<std::string> layer_options(const std::string& title, const std::string& description) {
    return {"GEOMETRY_NAME=geom", "SPATIAL_INDEX=YES", "FID=fid", "IDENTIFIER=" + title, "DESCRIPTION=" + description};
}

} // namespace

LayersReport write_layers(store::Store& store, const LayersOptions& opt) {
    const RunInfo run = find_run(store, opt);
    LayersReport report;
    report.run_id = run.id;
    report.method = run.method;
    const fs::path dir{opt.out_dir};
    const fs::path gpkg = dir / "hotref.gpkg";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        throw Error(opt.out_dir + ": cannot create the output folder (" + ec.message() + ")");
    }
    const std::vector<fs::path> outputs{gpkg,          dir / "hotref.qgs",  dir / "geojson", dir / "flatgeobuf",
                                        dir / "tiles", dir / "hotspots.csv", dir / "kde_density.tif"};
    for (const auto& p : outputs) {
        if (fs::exists(p)) {
            if (!opt.overwrite) {
                throw Error(p.string() + " exists; give --overwrite to replace the layers in " + opt.out_dir);
            }
            fs::remove_all(p, ec);
        }
    }
    const std::string generated = store::utc_now();
    const bool published = opt.profile == Profile::published;
    const double min_count = opt.rules.min_count;
    auto& db = store.db();
    geo::Context ctx;

    geo::VectorDataset ds{gpkg.string(), "GPKG"};
    std::vector<std::pair<std::string, std::string>> styles; // layer, QML

    // --- hotspots ---
    {
        const std::string title = "Hotspots (" + method_title(run.method) + ")";
        const std::string desc = "Hotspots of " + run.categories + ", " + run.period_from + " to " + run.period_to +
                                 ", ranked by incidents; code = the same place from run to run";
        // Immediate Justice KPIs per hotspot, when referrals are linked to this run.
        std::map<std::string, referral::Kpis> kpis;
        const bool linked =
            db.query_int("SELECT count(*) FROM sqlite_master WHERE name = 'referral_link'") > 0 &&
            db.query_int("SELECT count(*) FROM referral_link WHERE run_id = " + std::to_string(run.id)) > 0;
        if (linked) {
            referral::KpiOptions ko;
            ko.run_id = run.id;
            ko.profile = opt.profile;
            ko.min_count = opt.rules.min_referral_count;
            for (auto& k : referral::referral_kpis(store, ko)) {
                kpis.emplace(k.group, std::move(k));
            }
        }
        auto& layer = ds.create_layer(
            "hotspots", geo::GeometryKind::multipolygon, 27700,
            {{"code", FieldType::text},        {"rank", FieldType::integer},      {"name", FieldType::text},
             {"method", FieldType::text},      {"run_id", FieldType::integer},    {"period_from", FieldType::text},
             {"period_to", FieldType::text},   {"categories", FieldType::text},   {"incidents", FieldType::real},
             {"share", FieldType::real},       {"area_km2", FieldType::real},     {"density_km2", FieldType::real},
             {"pai", FieldType::real},         {"mean_z", FieldType::real},       {"max_z", FieldType::real},
             {"confidence", FieldType::integer}, {"peak_density", FieldType::real}, {"trend", FieldType::text},
             {"trend_class", FieldType::text}, {"ij_referrals", FieldType::real},
             {"ij_contacted_48h_pct", FieldType::real}, {"ij_completed_pct", FieldType::real},
             {"ij_not_reoffended_pct", FieldType::real}, {"ij_victim_satisfied_pct", FieldType::real},
             {"expected", FieldType::real}},
            layer_options(title, desc));
        describe(layer, run, opt, title, desc, generated);
        store::Statement st{db, "SELECT code, rank, coalesce(name, ''), incidents, share, area_m2, density_km2, pai, "
                                "mean_z, max_z, confidence, peak_density, coalesce(trend, ''), coalesce(trend_class, ''), "
                                "AsBinary(geom), expected FROM hotspot WHERE run_id = ? ORDER BY rank"};
        st.bind(1, run.id);
        std::int64_t n = 0;
        while (st.step()) {
            double incidents = st.column_double(3);
            double share = st.column_double(4);
            double density = st.column_double(6);
            // Derived values are published only where the counts they are made from are:
            // PAI = share / area share and the expected rate give a withheld count back
            // (incidents = PAI x area x N / study area), and Gi* z is linear in the local sum,
            // so z is internal only and the published profile keeps the confidence bin.
            double pai = st.column_double(7);
            double expected = st.column_is_null(15) ? std::numeric_limits<double>::quiet_NaN() : st.column_double(15);
            const double nan = std::numeric_limits<double>::quiet_NaN();
            if (published && std::isnan(suppress_value(incidents, min_count))) {
                incidents = share = density = pai = expected = nan;
                ++report.suppressed_primary;
            }
            const bool z_published = !published;
            // Referral KPIs: shares only, withheld below the referral threshold (published profile).
            FieldValue ij_n;
            std::vector<FieldValue> ij_pct(4);
            if (const auto k = kpis.find(st.column_text(0)); k != kpis.end()) {
                const bool small = published && k->second.referrals < opt.rules.min_referral_count;
                ij_n = small ? FieldValue{} : FieldValue{k->second.referrals};
                const referral::Ratio* ratios[] = {&k->second.contacted_48h, &k->second.completed,
                                                   &k->second.not_reoffended, &k->second.victim_satisfied};
                for (std::size_t i = 0; i < 4; ++i) {
                    if (!small && !ratios[i]->suppressed && ratios[i]->denominator > 0) {
                        ij_pct[i] = 100.0 * ratios[i]->numerator / ratios[i]->denominator;
                    }
                }
                if (small) {
                    ++report.suppressed_primary;
                }
            } else if (linked) {
                ij_n = FieldValue{0.0};
            }
            layer.add({st.column_text(0), st.column_int(1), text_or_null(st.column_text(2)), run.method, run.id,
                       run.period_from, run.period_to, run.categories, real_or_null(incidents), real_or_null(share),
                       st.column_double(5) / 1e6, real_or_null(density), real_or_null(pai),
                       st.column_is_null(8) || !z_published ? FieldValue{} : real_or_null(st.column_double(8)),
                       st.column_is_null(9) || !z_published ? FieldValue{} : real_or_null(st.column_double(9)),
                       st.column_is_null(10) ? FieldValue{} : FieldValue{st.column_int(10)},
                       st.column_is_null(11) ? FieldValue{} : real_or_null(st.column_double(11)),
                       text_or_null(st.column_text(12)), text_or_null(st.column_text(13)), ij_n, ij_pct[0], ij_pct[1],
                       ij_pct[2], ij_pct[3], real_or_null(expected)},
                      st.column_blob(14));
            ++n;
        }
        report.features["hotspots"] = n;
        styles.emplace_back("hotspots", hotspots_qml());
    }

    // --- hotspot_cells (grid methods) ---
    if (run.method == "gistar" || run.method == "kde") {
        const std::string title = run.method == "gistar" ? "Gi* cells" : "KDE hotspot cells";
        const std::string desc = run.method == "gistar"
                                     ? "Grid cells with their count, Gi* z, p, FDR-adjusted q and confidence bin (-3..3)"
                                     : "Grid cells at or above the KDE threshold, with density per km2";
        auto& layer = ds.create_layer("hotspot_cells", geo::GeometryKind::polygon, 27700,
                                      {{"cell", FieldType::integer},  {"col", FieldType::integer},
                                       {"row", FieldType::integer},   {"count", FieldType::real},
                                       {"z", FieldType::real},        {"p", FieldType::real},
                                       {"q", FieldType::real},        {"bin", FieldType::integer},
                                       {"density", FieldType::real},  {"trend", FieldType::text},
                                       {"trend_class", FieldType::text}, {"hotspot", FieldType::text}},
                                      layer_options(title, desc));
        describe(layer, run, opt, title, desc, generated);
        store::Statement st{db, "SELECT c.cell, c.col, c.row, c.count, c.z, c.p, c.q, c.bin, c.density, "
                                "coalesce(c.trend, ''), coalesce(c.trend_class, ''), coalesce(h.code, '') "
                                "FROM run_cell c LEFT JOIN hotspot h ON h.id = c.hotspot_id WHERE c.run_id = ? "
                                "ORDER BY c.cell"};
        st.bind(1, run.id);
        std::int64_t n = 0;
        std::vector<double> densities;
        while (st.step()) {
            const double x0 = run.origin_x + static_cast<double>(st.column_int(1)) * run.cell_size;
            const double y0 = run.origin_y + static_cast<double>(st.column_int(2)) * run.cell_size;
            double count = st.column_double(3);
            if (published && std::isnan(suppress_value(count, min_count))) {
                count = std::numeric_limits<double>::quiet_NaN();
                ++report.suppressed_primary;
            }
            auto opt_real = [&](int col) { return st.column_is_null(col) ? FieldValue{} : real_or_null(st.column_double(col)); };
            if (!st.column_is_null(8)) {
                densities.push_back(st.column_double(8));
            }
            // z, p and q are functions of the local sums: internal only (the bin is published).
            const FieldValue z = published ? FieldValue{} : opt_real(4);
            const FieldValue p = published ? FieldValue{} : opt_real(5);
            const FieldValue q = published ? FieldValue{} : opt_real(6);
            layer.add({st.column_int(0), st.column_int(1), st.column_int(2), real_or_null(count), z, p, q,
                       st.column_int(7), opt_real(8), text_or_null(st.column_text(9)),
                       text_or_null(st.column_text(10)), text_or_null(st.column_text(11))},
                      ctx.box(x0, y0, x0 + run.cell_size, y0 + run.cell_size).wkb());
            ++n;
        }
        report.features["hotspot_cells"] = n;
        if (run.method == "gistar") {
            styles.emplace_back("hotspot_cells", gistar_cells_qml());
        } else {
            std::sort(densities.begin(), densities.end());
            std::vector<double> breaks;
            for (int k = 0; k <= 5 && !densities.empty(); ++k) {
                breaks.push_back(densities[std::min(densities.size() - 1, densities.size() * static_cast<std::size_t>(k) / 5)]);
            }
            styles.emplace_back("hotspot_cells", graduated_cells_qml("density", breaks));
        }
    }

    // --- incidents, per location and month, never finer than the source ---
    {
        store::IncidentQuery q;
        q.from = run.period_from.substr(0, 7);
        q.to = run.period_to.substr(0, 7);
        q.source = run.source;
        q.category_ids = store::category_ids_named(store, run.categories);
        const auto counts = store::location_month_counts(store, q);
        std::vector<std::string> months;
        for (const auto& c : counts) {
            if (std::find(months.begin(), months.end(), c.month) == months.end()) {
                months.push_back(c.month);
            }
        }
        std::sort(months.begin(), months.end());
        // Locations: police.uk snap points as published; exact points folded into 100 m squares.
        struct Place {
            double x = 0, y = 0;
            std::string street, lsoa_code, lsoa_name;
            std::vector<double> per_month;
            std::vector<double> per_category;
        };
        // Counts by category too, when the run covers more than one.
        std::vector<store::CategoryInfo> run_categories;
        for (const auto& c : store::categories(store)) {
            if (std::find(q.category_ids.begin(), q.category_ids.end(), c.id) != q.category_ids.end()) {
                run_categories.push_back(c);
            }
        }
        const bool by_category = run_categories.size() > 1;
        std::unordered_map<std::int64_t, std::int64_t> place_of_location;
        std::map<std::int64_t, Place> places;
        store::Statement loc{db, "SELECT id, easting, northing, coalesce(street, ''), coalesce(lsoa_code, ''), "
                                 "coalesce(lsoa_name, ''), exact FROM location WHERE id = ?"};
        for (const auto& c : counts) {
            auto it = place_of_location.find(c.location_id);
            if (it == place_of_location.end()) {
                loc.bind(1, c.location_id);
                if (!loc.step()) {
                    loc.reset();
                    continue;
                }
                double x = loc.column_double(1);
                double y = loc.column_double(2);
                std::int64_t key = c.location_id;
                const bool exact = loc.column_int(6) != 0;
                if (exact && published) {
                    x = (std::floor(x / 100) + 0.5) * 100;
                    y = (std::floor(y / 100) + 0.5) * 100;
                    key = -(static_cast<std::int64_t>(x / 100) * 100000 + static_cast<std::int64_t>(y / 100));
                    ++report.points_generalised;
                }
                auto& place = places[key];
                if (place.per_month.empty()) {
                    place.x = x;
                    place.y = y;
                    place.street = exact && published ? std::string{} : loc.column_text(3);
                    place.lsoa_code = loc.column_text(4);
                    place.lsoa_name = loc.column_text(5);
                    place.per_month.assign(months.size(), 0.0);
                    place.per_category.assign(run_categories.size(), 0.0);
                }
                loc.reset();
                it = place_of_location.emplace(c.location_id, key).first;
            }
            const auto m = static_cast<std::size_t>(std::find(months.begin(), months.end(), c.month) - months.begin());
            places[it->second].per_month[m] += c.count;
        }
        if (by_category) {
            for (const auto& c : store::location_category_counts(store, q)) {
                const auto p = place_of_location.find(c.location_id);
                if (p == place_of_location.end()) {
                    continue;
                }
                for (std::size_t k = 0; k < run_categories.size(); ++k) {
                    if (run_categories[k].id == c.category_id) {
                        places[p->second].per_category[k] += c.count;
                    }
                }
            }
        }
        std::vector<FieldDef> fields{{"street", FieldType::text},
                                     {"lsoa_code", FieldType::text},
                                     {"lsoa_name", FieldType::text},
                                     {"total", FieldType::real}};
        for (const auto& m : months) {
            fields.push_back({"m_" + m.substr(0, 4) + "_" + m.substr(5, 2), FieldType::real});
        }
        if (by_category) {
            for (const auto& c : run_categories) {
                std::string name = "c_" + c.slug;
                std::replace(name.begin(), name.end(), '-', '_');
                fields.push_back({name, FieldType::real});
            }
        }
        const std::string title = "Incidents by location";
        const std::string desc = "Incidents of " + run.categories + " per police.uk location and month, " +
                                 run.period_from + " to " + run.period_to;
        auto& layer = ds.create_layer("incidents", geo::GeometryKind::point, 27700, fields, layer_options(title, desc));
        describe(layer, run, opt, title, desc, generated);
        std::int64_t n = 0;
        for (auto& [key, place] : places) {
            double total = 0;
            for (const double v : place.per_month) {
                total += v;
            }
            if (published && total < min_count) {
                ++report.locations_withheld;
                continue;
            }
            if (published) {
                // Months and categories are two breakdowns of the same published total: each is
                // suppressed on its own, with secondary suppression against the total.
                for (auto* row : {&place.per_month, &place.per_category}) {
                    const auto s = suppress_row(*row, min_count, true);
                    report.suppressed_primary += s.primary;
                    report.suppressed_secondary += s.secondary;
                }
            }
            std::vector<FieldValue> values{text_or_null(place.street), text_or_null(place.lsoa_code),
                                           text_or_null(place.lsoa_name), total};
            for (const double v : place.per_month) {
                values.push_back(real_or_null(v));
            }
            if (by_category) {
                for (const double v : place.per_category) {
                    values.push_back(real_or_null(v));
                }
            }
            layer.add(values, ctx.point(place.x, place.y).wkb());
            ++n;
        }
        report.features["incidents"] = n;
        styles.emplace_back("incidents", incidents_qml());
    }

    // --- study area ---
    if (!run.area_wkb.empty()) {
        const std::string title = "Study area";
        const std::string desc = "The area the run analysed: " + run.area;
        auto& layer = ds.create_layer("study_area", geo::GeometryKind::multipolygon, 27700,
                                      {{"name", FieldType::text}, {"area_km2", FieldType::real}},
                                      layer_options(title, desc));
        describe(layer, run, opt, title, desc, generated);
        layer.add({run.area, ctx.from_wkb(run.area_wkb).area() / 1e6}, run.area_wkb);
        report.features["study_area"] = 1;
        styles.emplace_back("study_area", study_area_qml());
    }

    // --- QGIS styles ---
    write_layer_styles(ds, styles, generated);
    ds.close();
    report.gpkg = gpkg.string();
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
                               " to " + run.period_to + " (" + classification(opt.profile) + ")",
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

    // --- vector tiles (MVT, Web Mercator) of hotspots and cells ---
    if (opt.vector_tiles) {
        // Tiles carry the hotspots and the cells that are significant (bin != 0): the tens of
        // thousands of grey cells add nothing to a web map but minutes of tiling.
        const std::string source = "/vsimem/hotref-tiles-" + std::to_string(run.id) + ".gpkg";
        geo::vector_translate(gpkg.string(), source, {"-f", "GPKG", "hotspots"});
        if (report.features.count("hotspot_cells") != 0) {
            geo::vector_translate(gpkg.string(), source,
                                  {"-update", "-sql", "SELECT * FROM hotspot_cells WHERE bin != 0", "-nln",
                                   "hotspot_cells"});
        }
        const auto tiles = (dir / "tiles").string();
        geo::vector_translate(source, tiles,
                              {"-f", "MVT", "-t_srs", "EPSG:3857", "-dsco",
                               "MINZOOM=" + std::to_string(opt.tiles_min_zoom), "-dsco",
                               "MAXZOOM=" + std::to_string(opt.tiles_max_zoom), "-dsco", "COMPRESS=NO"});
        geo::remove_vsi_file(source);
        report.files.push_back(tiles);
    }

    // --- KDE surface ---
    if (run.method == "kde") {
        if (const auto raster = store::read_raster(store, run.id, "density_km2")) {
            std::vector<double> values(raster->values.begin(), raster->values.end());
            const auto tif = (dir / "kde_density.tif").string();
            geo::write_geotiff(tif, values, raster->columns, raster->rows, raster->origin_x, raster->origin_y,
                               raster->cell_size, "incidents per km2 (KDE)");
            report.files.push_back(tif);
        }
    }
    return report;
}

} // namespace hotref::publish
