#include "server/catalog.hpp"

#include "core/error.hpp"
#include "core/month.hpp"
#include "geo/force_area.hpp"
#include "publish/districts.hpp"
#include "geo/gdal.hpp"
#include "geo/geos.hpp"
#include "geo/vector.hpp"
#include "hotref/v1/api.pb.h"
#include "publish/bulletin.hpp"
#include "publish/disclosure.hpp"
#include "publish/layers.hpp"
#include "publish/model.hpp"
#include "publish/styles.hpp"
#include "evaluate/evaluation.hpp"
#include "store/links.hpp"
#include "store/runs.hpp"
#include "store/status.hpp"
#include "store/store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <set>

namespace hotref::server {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

constexpr const char* attribution =
    "Contains public sector information licensed under the Open Government Licence v3.0 (data.police.uk).";

void grow(BBox& box, bool& any, double x, double y) {
    if (!any) {
        box = {x, y, x, y};
        any = true;
        return;
    }
    box.min_x = std::min(box.min_x, x);
    box.min_y = std::min(box.min_y, y);
    box.max_x = std::max(box.max_x, x);
    box.max_y = std::max(box.max_y, y);
}

void walk_coordinates(const json& c, BBox& box, bool& any) {
    if (!c.is_array() || c.empty()) {
        return;
    }
    if (c[0].is_number()) {
        if (c.size() >= 2) {
            grow(box, any, c[0].get<double>(), c[1].get<double>());
        }
        return;
    }
    for (const auto& child : c) {
        walk_coordinates(child, box, any);
    }
}

std::string json_type(const json& v) {
    if (v.is_number_integer()) {
        return "integer";
    }
    if (v.is_number()) {
        return "number";
    }
    if (v.is_boolean()) {
        return "boolean";
    }
    return "string";
}

// Adds a feature to a collection: its geometry as GeoJSON text ("null": none) with the
// extent of its coordinates (nullopt: none), its properties as JSON object text, and its time.
void push_feature(Collection& c, std::string id, const std::string& geometry, const std::optional<BBox>& bbox,
                  const std::string& properties, const TimeInterval& time, bool& any_extent, BBox& extent) {
    Feature f;
    f.id = std::move(id);
    if (bbox) {
        f.bbox = *bbox;
        grow(extent, any_extent, f.bbox.min_x, f.bbox.min_y);
        grow(extent, any_extent, f.bbox.max_x, f.bbox.max_y);
    } else {
        f.bbox = {1e300, 1e300, -1e300, -1e300}; // no geometry: never inside a bbox
    }
    f.time = time;
    // As nlohmann would write {"type", "id", "geometry", "properties"}, without building it.
    f.json.reserve(40 + f.id.size() + geometry.size() + properties.size());
    f.json += "{\"type\":\"Feature\",\"id\":";
    f.json += json(f.id).dump();
    f.json += ",\"geometry\":";
    f.json += geometry;
    f.json += ",\"properties\":";
    f.json += properties;
    f.json += '}';
    c.by_id.emplace(f.id, c.features.size());
    c.features.push_back(std::move(f));
}

// A feature's own period (its properties period_from and period_to, months), else the run's.
TimeInterval feature_time(const json& properties, const TimeInterval& run_time) {
    const auto from = properties.find("period_from");
    const auto to = properties.find("period_to");
    if (from != properties.end() && to != properties.end() && from->is_string() && to->is_string()) {
        if (const auto t = month_interval(from->get<std::string>(), to->get<std::string>())) {
            return *t;
        }
    }
    return run_time;
}

// Adds a feature built from a GeoJSON geometry object and properties to a collection; the
// collection's fields gain the properties it did not have yet (with a value).
void add_feature(Collection& c, std::string id, json geometry, json properties, const TimeInterval& run_time,
                 bool& any_extent, BBox& extent) {
    BBox box;
    bool any = false;
    if (geometry.is_object()) {
        walk_coordinates(geometry["coordinates"], box, any);
    }
    for (const auto& [name, value] : properties.items()) {
        if (value.is_null()) {
            continue;
        }
        bool known = false;
        for (const auto& [n, t] : c.fields) {
            known = known || n == name;
        }
        if (!known) {
            c.fields.emplace_back(name, json_type(value));
        }
    }
    push_feature(c, std::move(id), geometry.dump(), any ? std::optional<BBox>{box} : std::nullopt, properties.dump(),
                 feature_time(properties, run_time), any_extent, extent);
}

// A field value as nlohmann writes it (an integer, a finite number, a string, else null);
// its JSON type, empty for null.
const char* append_value(std::string& out, const geo::FieldValue& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        out += std::to_string(*i);
        return "integer";
    }
    if (const auto* d = std::get_if<double>(&v)) {
        if (std::isfinite(*d)) {
            out += json(*d).dump();
            return "number";
        }
    } else if (const auto* t = std::get_if<std::string>(&v)) {
        out += json(*t).dump();
        return "string";
    }
    out += "null";
    return "";
}

// A layer of the publication model as a collection: each feature serialised once, in memory,
// as text (no JSON tree per feature: at tens of thousands of cells that was most of a
// publication's time). The same bytes as building the feature with nlohmann and dumping it.
Collection model_collection(const publish::ModelLayer& layer, const std::string& id, const TimeInterval& run_time) {
    Collection c;
    c.id = id;
    bool any = false;
    BBox extent;
    const int id_field = layer.id_field.empty() ? -1 : layer.field(layer.id_field);
    const int from_field = layer.field("period_from");
    const int to_field = layer.field("period_to");
    std::vector<std::string> keys;
    for (const auto& f : layer.fields) {
        keys.push_back(json(f.name).dump() + ":");
    }
    std::vector<bool> listed(layer.fields.size(), false); // in c.fields (once it had a value)
    std::size_t index = 0;
    std::string properties;
    for (const auto& f : layer.features) {
        ++index;
        properties.clear();
        properties += '{';
        for (std::size_t i = 0; i < layer.fields.size(); ++i) {
            if (i > 0) {
                properties += ',';
            }
            properties += keys[i];
            const char* type = append_value(properties, f.values[i]);
            if (!listed[i] && *type != '\0') {
                listed[i] = true;
                const auto& name = layer.fields[i].name;
                if (std::none_of(c.fields.begin(), c.fields.end(), [&](const auto& nt) { return nt.first == name; })) {
                    c.fields.emplace_back(name, type);
                }
            }
        }
        properties += '}';
        std::string fid = std::to_string(index);
        if (id_field >= 0) {
            const auto& v = f.values[static_cast<std::size_t>(id_field)];
            if (const auto* t = std::get_if<std::string>(&v)) {
                fid = *t;
            } else if (const auto* n = std::get_if<std::int64_t>(&v)) {
                fid = std::to_string(*n);
            }
        }
        TimeInterval time = run_time;
        if (from_field >= 0 && to_field >= 0) {
            const auto* from = std::get_if<std::string>(&f.values[static_cast<std::size_t>(from_field)]);
            const auto* to = std::get_if<std::string>(&f.values[static_cast<std::size_t>(to_field)]);
            if (from && to) {
                time = month_interval(*from, *to).value_or(run_time);
            }
        }
        // Written straight from the WKB (geo::wkb_to_geojson_wgs84_direct); OGR's writer for
        // the kinds it leaves (3D, curves).
        std::string geometry = "null";
        std::optional<BBox> box;
        if (!f.wkb.empty()) {
            if (const auto direct = geo::wkb_to_geojson_wgs84_direct(f.wkb, 27700)) {
                geometry = direct->json;
                if (!direct->empty) {
                    box = BBox{direct->min_x, direct->min_y, direct->max_x, direct->max_y};
                }
            } else {
                const json parsed = json::parse(geo::wkb_to_geojson_wgs84(f.wkb, 27700));
                BBox b;
                bool found = false;
                walk_coordinates(parsed["coordinates"], b, found);
                if (found) {
                    box = b;
                }
                geometry = parsed.dump();
            }
            if (c.geometry.empty()) {
                c.geometry = json::parse(geometry).value("type", "");
            }
        }
        push_feature(c, std::move(fid), geometry, box, properties, time, any, extent);
    }
    if (any) {
        c.extent = extent;
    }
    c.interval = run_time;
    return c;
}

// Vector tiles of a model layer, made in memory (/vsimem/): never a file on disk.
std::shared_ptr<const TileSet> make_tiles(const publish::RunModel& model, const std::string& layer_name,
                                          const std::string& tile_layer, const CatalogOptions& o,
                                          const std::vector<std::pair<std::string, std::string>>& fields) {
    const std::string source = publish::vsimem_name("catalog");
    const std::string dir = source.substr(0, source.size() - 5) + "-tiles";
    publish::write_model_gpkg(model, source, {layer_name}, true, false);
    geo::vector_translate(source, dir,
                          {"-f", "MVT", "-t_srs", "EPSG:3857", "-nln", tile_layer, "-dsco",
                           "MINZOOM=" + std::to_string(o.tiles_min_zoom), "-dsco",
                           "MAXZOOM=" + std::to_string(o.tiles_max_zoom), "-dsco", "COMPRESS=NO", layer_name});
    geo::remove_vsi_file(source);
    auto tiles = std::make_shared<TileSet>();
    tiles->min_zoom = o.tiles_min_zoom;
    tiles->max_zoom = o.tiles_max_zoom;
    tiles->layer = tile_layer;
    tiles->fields = fields;
    for (const auto& rel : geo::list_files_recursive(dir)) {
        // z/x/y.pbf
        if (rel.size() < 4 || rel.compare(rel.size() - 4, 4, ".pbf") != 0) {
            continue;
        }
        const auto s1 = rel.find('/');
        const auto s2 = rel.find('/', s1 + 1);
        if (s1 == std::string::npos || s2 == std::string::npos) {
            continue;
        }
        const int z = std::stoi(rel.substr(0, s1));
        const auto x = static_cast<std::uint32_t>(std::stoul(rel.substr(s1 + 1, s2 - s1 - 1)));
        const auto y = static_cast<std::uint32_t>(std::stoul(rel.substr(s2 + 1, rel.size() - 4 - s2 - 1)));
        tiles->tiles.emplace(TileSet::key(z, x, y), geo::read_whole_file(dir + "/" + rel));
    }
    geo::remove_vsi_tree(dir);
    return tiles;
}

// The run to publish: --run, else the current run of the method (the latest period, then the latest run).
std::optional<store::StoredRun> choose_run(store::Store& store, const CatalogOptions& o) {
    std::int64_t id = o.run_id;
    if (id == 0) {
        id = store::default_run_id(store, o.method, o.force);
        if (id == 0) {
            return std::nullopt;
        }
    }
    auto run = store::read_run(store, id);
    if (!run) {
        throw Error("no run " + std::to_string(id) + " in the store (see the runs with: hotref status)");
    }
    return run;
}

// KPIs of the Immediate Justice scheme per hotspot: the hotspots' own KPI fields.
std::optional<Collection> kpi_collection(const Collection& hotspots, const TimeInterval& run_time) {
    Collection c;
    c.id = "kpis";
    c.title = "Immediate Justice KPIs per hotspot";
    c.description = "Referrals linked to each hotspot and their outcomes (shares); figures from fewer than 10 "
                    "referrals are withheld";
    c.classification = publish::classification(publish::Profile::published);
    c.interval = run_time;
    bool any = false;
    bool linked = false;
    BBox extent;
    for (const auto& f : hotspots.features) {
        const json feature = json::parse(f.json);
        const auto& p = feature["properties"];
        if (!p.contains("ij_referrals")) {
            return std::nullopt;
        }
        json props;
        for (const char* key : {"code", "rank", "name", "run_id", "period_from", "period_to", "ij_referrals",
                                "ij_contacted_48h_pct", "ij_completed_pct", "ij_not_reoffended_pct",
                                "ij_victim_satisfied_pct", "ij_onward_pct", "ij_qualified_pct", "ij_interpreter_pct",
                                "ij_learnt_pct"}) {
            props[key] = p.value(key, json{});
        }
        linked = linked || !p["ij_referrals"].is_null();
        add_feature(c, f.id, feature["geometry"], std::move(props), run_time, any, extent);
    }
    if (!linked) {
        return std::nullopt;
    }
    c.geometry = hotspots.geometry;
    c.qml = publish::hotspots_qml();
    if (any) {
        c.extent = extent;
    }
    return c;
}

// The latest evaluation's areas (the evaluated run's hotspots) with their measures, as the
// published profile shows them (publish::disclose_evaluation).
std::optional<Collection> evaluation_collection(store::Store& store) {
    const auto stored = evaluate::read_evaluation(store, 0);
    if (!stored) {
        return std::nullopt;
    }
    const auto e = publish::disclose_evaluation(*stored, publish::Profile::published, publish::DisclosureRules{},
                                                store::disclosure_secret(store));
    Collection c;
    c.id = "evaluation";
    c.title = "Evaluation: before and after, per hotspot";
    c.classification = publish::classification(publish::Profile::published);
    const std::string before = e.before_from + " to " + e.before_to;
    const std::string after = e.after_from + " to " + e.after_to;
    c.interval = month_interval(e.before_from, e.after_to);
    c.description = "Evaluation " + std::to_string(e.evaluation_id) + " of run " + std::to_string(e.run_id) +
                    ": incidents before (" + before + ") and after (" + after +
                    ") in each hotspot, its buffer and the control area, with rate ratios, WDQ, TNE and WDD; " +
                    e.profile_note + "; measures only where every count they are made from is published";
    const TimeInterval time = c.interval.value_or(TimeInterval{});
    bool any = false;
    BBox extent;
    for (const auto& area : e.areas) {
        const auto at = std::find(e.area_codes.begin(), e.area_codes.end(), area.code);
        if (at == e.area_codes.end()) {
            continue;  // the scheme has no outline of its own
        }
        const json measures = evaluate::area_json(area);
        json props;
        props["code"] = area.code;
        props["name"] = area.name;
        props["evaluation_id"] = e.evaluation_id;
        props["run_id"] = e.run_id;
        props["before"] = before;
        props["after"] = after;
        for (const auto& [name, value] : measures.items()) {
            if (value.is_array() || value.is_object()) {
                continue; // monthly series and intervals: in the CSV and the API
            }
            props[name] = value;
        }
        props["withheld"] = !std::isfinite(area.target.before) || !std::isfinite(area.target.after) ||
                            !std::isfinite(area.target_ratio.ratio.estimate);
        json geometry = json::parse(geo::wkb_to_geojson_wgs84(
            e.target_wkb[static_cast<std::size_t>(at - e.area_codes.begin())], 27700));
        c.geometry = geometry.value("type", "");
        add_feature(c, area.code, std::move(geometry), std::move(props), time, any, extent);
    }
    if (any) {
        c.extent = extent;
    }
    return c;
}

// Referral-level data, for caseworkers and admins only: where and what, never who.
Collection referral_collection(store::Store& store, std::int64_t run_id) {
    Collection c;
    c.id = "referrals";
    c.title = "Immediate Justice referrals";
    c.description = "Each referral with its state and the hotspot it is linked to (run " + std::to_string(run_id) +
                    "); no personal data. Caseworkers and admins only.";
    c.access = Permission::referrals;
    c.classification = "OFFICIAL-SENSITIVE";
    c.geometry = "Point";
    geo::Context ctx;
    bool any = false;
    BBox extent;
    double first = 1e300, last = -1e300;
    for (auto& r : store::referral_features(store, run_id)) {
        json props;
        props["reference"] = r.reference;
        props["state"] = r.state;
        props["offence"] = r.offence;
        props["asb_qualifier"] = r.asb_qualifier;
        props["disposal"] = r.disposal;
        props["age_band"] = r.age_band;
        props["created_at"] = r.created_at;
        props["contacted_at"] = r.contacted_at;
        props["contact_within_48h"] = r.contact_within_48h ? json(*r.contact_within_48h) : json{};
        props["provider"] = r.provider;
        props["hotspot"] = r.hotspot_code;
        props["link"] = r.link_kind;
        json geometry;
        if (r.easting && r.northing) {
            geometry = json::parse(geo::wkb_to_geojson_wgs84(ctx.point(*r.easting, *r.northing).wkb(), 27700));
        }
        TimeInterval t;
        const auto& created = r.created_at;
        if (const auto day = parse_datetime(created.substr(0, 10), "%Y-%m-%d")) {
            const double s = static_cast<double>(day->days_since_epoch()) * 86400.0;
            t = {s, s + 86399.999};
            first = std::min(first, s);
            last = std::max(last, s + 86399.999);
        }
        auto reference = props["reference"].get<std::string>();
        add_feature(c, std::move(reference), std::move(geometry), std::move(props), t, any, extent);
    }
    if (any) {
        c.extent = extent;
    }
    if (first <= last) {
        c.interval = TimeInterval{first, last};
    }
    return c;
}

// GET /v1/hotspots answers this message, built once per publication from the published layer.
std::shared_ptr<const v1::HotspotList> hotspot_list(const Snapshot& snap) {
    auto out = std::make_shared<v1::HotspotList>();
    auto& list = *out;
    list.set_run_id(snap.run_id);
    list.set_method(snap.method);
    list.set_period_from(snap.period_from);
    list.set_period_to(snap.period_to);
    list.set_categories(snap.categories);
    list.set_classification(publish::classification(publish::Profile::published));
    list.set_attribution(snap.attribution);
    if (const auto* c = snap.find("hotspots")) {
        for (const auto& f : c->features) {
            const json feature = json::parse(f.json);
            const auto& p = feature["properties"];
            auto* h = list.add_hotspots();
            h->set_code(p.value("code", ""));
            h->set_rank(p.value("rank", 0));
            h->set_name(p.value("name", json{}).is_string() ? p["name"].get<std::string>() : "");
            auto real = [&p](const char* key, auto setter) {
                if (p.contains(key) && p[key].is_number()) {
                    setter(p[key].get<double>());
                }
            };
            real("incidents", [h](double v) { h->set_incidents(v); });
            real("share", [h](double v) { h->set_share(v); });
            real("area_km2", [h](double v) { h->set_area_km2(v); });
            real("density_km2", [h](double v) { h->set_density_km2(v); });
            real("pai", [h](double v) { h->set_pai(v); });
            real("mean_z", [h](double v) { h->set_mean_z(v); });
            real("max_z", [h](double v) { h->set_max_z(v); });
            real("confidence", [h](double v) { h->set_confidence(static_cast<int>(v)); });
            real("ij_referrals", [h](double v) { h->set_ij_referrals(v); });
            real("ij_contacted_48h_pct", [h](double v) { h->set_ij_contacted_48h_pct(v); });
            real("ij_completed_pct", [h](double v) { h->set_ij_completed_pct(v); });
            real("ij_not_reoffended_pct", [h](double v) { h->set_ij_not_reoffended_pct(v); });
            real("ij_victim_satisfied_pct", [h](double v) { h->set_ij_victim_satisfied_pct(v); });
            real("ij_onward_pct", [h](double v) { h->set_ij_onward_pct(v); });
            real("ij_qualified_pct", [h](double v) { h->set_ij_qualified_pct(v); });
            real("ij_interpreter_pct", [h](double v) { h->set_ij_interpreter_pct(v); });
            real("ij_learnt_pct", [h](double v) { h->set_ij_learnt_pct(v); });
            if (p.contains("trend") && p["trend"].is_string()) {
                h->set_trend(p["trend"].get<std::string>());
            }
            if (p.contains("trend_class") && p["trend_class"].is_string()) {
                h->set_trend_class(p["trend_class"].get<std::string>());
            }
            for (const double v : {f.bbox.min_x, f.bbox.min_y, f.bbox.max_x, f.bbox.max_y}) {
                h->add_bbox(v);
            }
        }
    }
    return out;
}

// The Gi* cells that are hot or cold spots at 90 % or more (bin != 0): the full grid is too big
// for a desktop client over OGC API - Features. The same model layer, so the same disclosure.
std::optional<publish::ModelLayer> significant_cells(const publish::ModelLayer& cells) {
    const int bin = cells.field("bin");
    if (bin < 0) {
        return std::nullopt;
    }
    publish::ModelLayer out = cells;
    out.features.clear();
    for (const auto& f : cells.features) {
        const auto* b = std::get_if<std::int64_t>(&f.values[static_cast<std::size_t>(bin)]);
        if (b != nullptr && *b != 0) {
            out.features.push_back(f);
        }
    }
    return out;
}

// Adds the bulletin's patrol windows to the hotspots it lists ("patrol_windows": "Fri 21:00-23:00; ...",
// or why there are none).
void add_patrol_windows(Collection& hotspots, const std::vector<publish::HotspotWindows>& windows) {
    for (const auto& w : windows) {
        const auto at = hotspots.by_id.find(w.code);
        if (at == hotspots.by_id.end()) {
            continue;
        }
        const std::string text = publish::windows_text(w);
        auto& feature = hotspots.features[at->second];
        json j = json::parse(feature.json);
        j["properties"]["patrol_windows"] = text;
        feature.json = j.dump();
    }
    bool known = false;
    for (const auto& [name, type] : hotspots.fields) {
        known = known || name == "patrol_windows";
    }
    if (!known && !windows.empty()) {
        hotspots.fields.emplace_back("patrol_windows", "string");
    }
}

// The bundled districts (geodata/england_force_areas.gpkg) of the run's area: those with a
// point inside them in the area (publish::districts_in_area), so that the neighbouring forces'
// districts, which meet the area's bounding box or edge, are left out. The map's base layer,
// since no base map is fetched from outside. Public boundaries (ONS, OGL).
std::optional<Collection> district_collection(const store::StoredRun& run, const TimeInterval& run_time) {
    if (run.area_wkb.empty()) {
        return std::nullopt;
    }
    const auto path = geo::bundled_geodata();
    std::vector<publish::District> all;
    std::map<std::string, std::string> force_of;
    for (auto& f : geo::read_polygon_features(path, "districts", "EPSG:27700", {"name", "code", "force"})) {
        const std::string code = f.values[1].empty() ? "district-" + std::to_string(all.size() + 1) : f.values[1];
        force_of[code] = f.values[2];
        all.push_back({f.values[0], code, std::move(f.wkb), {}});
    }
    Collection c;
    c.id = "districts";
    c.title = "Districts";
    c.description = "Local authority districts of the study area, with the police force they belong to "
                    "(ONS boundaries, generalised; " + path.substr(path.rfind('/') + 1) + ")";
    c.classification = publish::classification(publish::Profile::published);
    c.qml = publish::outline_qml("120,120,120", false);
    bool any = false;
    BBox extent;
    for (const auto& d : publish::districts_in_area(all, run.area_wkb)) {
        json geometry = json::parse(geo::wkb_to_geojson_wgs84(d.wkb, 27700));
        c.geometry = geometry.value("type", "");
        // Where the map writes the name: a point inside the district (GEOS PointOnSurface).
        geo::Context ctx;
        const json label = json::parse(geo::wkb_to_geojson_wgs84(ctx.point(d.label[0], d.label[1]).wkb(), 27700));
        json props{{"name", d.name},
                   {"code", d.code},
                   {"force", force_of[d.code]},
                   {"label_lon", label["coordinates"][0]},
                   {"label_lat", label["coordinates"][1]}};
        add_feature(c, d.code, std::move(geometry), std::move(props), run_time, any, extent);
    }
    if (any) {
        c.extent = extent;
    }
    c.interval = run_time;
    return c;
}

} // namespace

const Collection* Snapshot::find(const std::string& id) const {
    for (const auto& c : collections) {
        if (c->id == id) {
            return c.get();
        }
    }
    return nullptr;
}

std::string store_key(const std::string& store_path) {
    return store::change_key(store_path);
}

namespace {

// The part of a store key that a referral update leaves as it is (store::change_key puts the
// referrals and their links after the '|').
std::string publication_part(const std::string& key) {
    return key.substr(0, key.find('|'));
}

} // namespace

// What a publication of a run is made of that the referrals do not change, kept with the
// snapshot so that a referral update publishes again from the referrals alone.
struct RunParts {
    std::string publication_key;   // publication_part() of the store key it was built from
    store::StoredRun run;
    TimeInterval run_time;
    std::string secret;            // the store's disclosure key (the KPIs' cell keys)
    publish::DisclosureRules rules;
    // Each profile's model with its hotspots layer only, as disclose() made it: published, internal.
    std::vector<publish::RunModel> hotspot_models;
    // The collections in order; a null one is the place of one that the referrals change.
    enum class Slot { fixed, hotspots_published, hotspots_internal, kpis, referrals };
    std::vector<std::pair<Slot, std::shared_ptr<const Collection>>> slots;
    std::vector<std::string> gate_notes, district_notes, evaluation_notes;
    std::optional<publish::BulletinDraft> bulletin;
    std::string bulletin_note;     // why there is no bulletin draft
};

namespace {

using Stages = std::vector<std::pair<std::string, double>>;

// Adds the seconds since the last call (or construction) to stage `name`.
class StageClock {
public:
    explicit StageClock(Stages& stages) : m_stages(stages), m_last(std::chrono::steady_clock::now()) {}
    void lap(const std::string& name) {
        const auto now = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(now - m_last).count();
        m_last = now;
        for (auto& [stage, seconds] : m_stages) {
            if (stage == name) {
                seconds += s;
                return;
            }
        }
        m_stages.emplace_back(name, s);
    }

private:
    Stages& m_stages;
    std::chrono::steady_clock::time_point m_last;
};

// One layer of a profile's model as a collection, with its style and, for the published
// hotspots and cells, its tiles (from `model`, which holds the layer).
std::shared_ptr<Collection> layer_collection(const publish::RunModel& model, const publish::ModelLayer& layer,
                                             const std::string& id, const std::string& title,
                                             const TimeInterval& run_time, const CatalogOptions& o, StageClock& clock) {
    const auto& run = model.run;
    const bool published = model.profile == publish::Profile::published;
    clock.lap("other");
    auto c = std::make_shared<Collection>(model_collection(layer, id + (published ? "" : "-internal"), run_time));
    c->title = title + (published ? "" : " (internal)");
    c->description = title + " of " + run.categories + ", " + run.period_from + " to " + run.period_to + ", run " +
                     std::to_string(run.id) + " (" + run.method + "); " + model.disclosure.rule;
    c->access = published ? Permission::read_published : Permission::read_internal;
    c->classification = publish::classification(model.profile);
    c->qml = publish::layer_style(model, layer);
    clock.lap("collections");
    if (published && (layer.name == "hotspots" || layer.name == "hotspot_cells") && id != "cells-significant") {
        c->tiles = make_tiles(model, layer.name, c->id, o, c->fields);
        clock.lap("tiles");
    }
    return c;
}

// A profile's model: its collections but the hotspots (cells, significant Gi* cells,
// incidents, study area) into the slots, and its hotspots layer kept for publish_referrals.
void add_model_collections(RunParts& parts, publish::RunModel& model, const CatalogOptions& o, StageClock& clock) {
    const std::map<std::string, std::string> ids{{"hotspot_cells", "cells"},
                                                 {"incidents", "incidents"},
                                                 {"study_area", "study-area"}};
    const std::map<std::string, std::string> titles{
        {"hotspot_cells", model.run.method == "gistar" ? "Gi* grid cells" : "Hotspot grid cells"},
        {"incidents", "Incidents by location and month"},
        {"study_area", "Study area"}};
    const bool published = model.profile == publish::Profile::published;
    using Slot = RunParts::Slot;
    for (const auto& model_layer : model.layers) {
        if (model_layer.name == "hotspots") {
            parts.slots.emplace_back(published ? Slot::hotspots_published : Slot::hotspots_internal, nullptr);
            continue;
        }
        const auto id_it = ids.find(model_layer.name);
        if (id_it == ids.end()) {
            continue;
        }
        publish::ModelLayer layer = model_layer;
        if (layer.name == "hotspot_cells" && layer.field("cell") >= 0) {
            layer.id_field = "cell"; // a cell is known by its number in the grid, in every collection
        }
        parts.slots.emplace_back(Slot::fixed,
                                 layer_collection(model, layer, id_it->second, titles.at(layer.name), parts.run_time, o,
                                                  clock));
        if (layer.name == "hotspot_cells" && model.run.method == "gistar") {
            if (const auto significant = significant_cells(layer)) {
                parts.slots.emplace_back(
                    Slot::fixed, layer_collection(model, *significant, "cells-significant",
                                                  "Gi* significant cells (hot and cold spots, 90 % and more)",
                                                  parts.run_time, o, clock));
            }
        }
    }
    if (published) {
        parts.gate_notes = model.disclosure.notes;
    }
    // The model without its other layers: what a referral update needs of it.
    publish::RunModel shell;
    shell.profile = model.profile;
    shell.rules = model.rules;
    shell.run = model.run;
    shell.generated = model.generated;
    shell.disclosure = model.disclosure;
    for (auto& layer : model.layers) {
        if (layer.name == "hotspots") {
            shell.layers.push_back(layer);
        }
    }
    parts.hotspot_models.push_back(std::move(shell));
}

publish::BulletinOptions bulletin_options(const store::StoredRun& run) {
    publish::BulletinOptions bo;
    bo.run_id = run.id;
    bo.method = run.method;
    return bo;
}

// Everything of the run's publication but what its referrals change: one load of the run,
// the gate for each profile, the collections and tiles serialised from the models in memory,
// the districts and the bulletin's draft.
std::shared_ptr<RunParts> run_parts(store::Store& store, const store::StoredRun& run, const std::string& key,
                                          const CatalogOptions& o, Stages& stages) {
    auto parts = std::make_shared<RunParts>();
    parts->publication_key = publication_part(key);
    parts->run = run;
    parts->run_time = month_interval(run.period_from, run.period_to).value_or(TimeInterval{});
    parts->rules = publish::DisclosureRules{};
    StageClock clock{stages};
    publish::LoadOptions load;
    load.run_id = run.id;
    const auto raw = publish::load_run(store, load);
    parts->secret = raw.secret;
    clock.lap("load");
    std::optional<publish::RunModel> published;
    for (const auto profile : {publish::Profile::published, publish::Profile::internal}) {
        auto model = publish::disclose(raw, profile, parts->rules);
        clock.lap("gate");
        add_model_collections(*parts, model, o, clock);
        if (profile == publish::Profile::published) {
            published.emplace(std::move(model));
        }
    }
    clock.lap("other");
    using Slot = RunParts::Slot;
    parts->slots.emplace_back(Slot::kpis, nullptr);
    try {
        if (auto d = district_collection(run, parts->run_time)) {
            parts->slots.emplace_back(Slot::fixed, std::make_shared<const Collection>(std::move(*d)));
        }
    } catch (const Error& e) {
        parts->district_notes.push_back(std::string{"no districts collection: "} + e.what());
    }
    parts->slots.emplace_back(Slot::referrals, nullptr);
    clock.lap("districts and referrals");
    // The patrol bulletin of the run's last month, drafted now so that no request waits for it.
    try {
        auto bo = bulletin_options(run);
        bo.loaded = &raw; // the gate has run once already: the bulletin reads its result
        bo.published_model = &*published;
        parts->bulletin = publish::draft_bulletin(store, bo);
    } catch (const Error& e) {
        parts->bulletin_note = std::string{"no bulletin: "} + e.what();
    }
    clock.lap("bulletin");
    return parts;
}

// A snapshot of `parts` with the referrals as the store holds them now: the hotspots
// collections with their referral attributes (and the published hotspots' tiles), the KPIs,
// the referrals and the bulletin. The full build ends with this, and a referral update is
// only this.
std::shared_ptr<Snapshot> publish_referrals(std::shared_ptr<const RunParts> parts, store::Store& store,
                                            const std::string& key, const CatalogOptions& o, Stages stages) {
    auto snap = std::make_shared<Snapshot>();
    snap->key = key;
    snap->built_at = store::utc_now();
    snap->attribution = attribution;
    const auto& run = parts->run;
    snap->run_id = run.id;
    snap->method = run.method;
    snap->period_from = run.period_from;
    snap->period_to = run.period_to;
    snap->categories = run.categories;
    StageClock clock{stages};
    const auto referrals = publish::load_run_referrals(store, run.id);
    clock.lap("referrals");
    const auto windows = parts->bulletin ? parts->bulletin->windows() : std::vector<publish::HotspotWindows>{};
    std::vector<std::shared_ptr<const Collection>> hotspots;
    for (auto model : parts->hotspot_models) {
        auto& layer = model.layers.front();
        publish::set_hotspot_referrals(layer, referrals, model.profile, parts->rules, parts->secret);
        clock.lap("referrals");
        auto c = layer_collection(model, layer, "hotspots", "Hotspots", parts->run_time, o, clock);
        add_patrol_windows(*c, windows);
        hotspots.push_back(std::move(c));
    }
    clock.lap("other");
    std::shared_ptr<const Collection> kpis;
    std::string kpi_note;
    if (!hotspots.empty()) {
        if (auto k = kpi_collection(*hotspots.front(), parts->run_time)) {
            kpis = std::make_shared<const Collection>(std::move(*k));
        } else {
            kpi_note = "no referrals linked to run " + std::to_string(run.id) + ": no kpis collection (hotref referral link)";
        }
    }
    auto referral_list = std::make_shared<const Collection>(referral_collection(store, run.id));
    clock.lap("districts and referrals");
    std::string bulletin_note = parts->bulletin_note;
    if (parts->bulletin) {
        try {
            auto docs = publish::finish_bulletin(store, *parts->bulletin, bulletin_options(run));
            snap->bulletin_pdf = std::move(docs.pdf);
            snap->bulletin_html = std::move(docs.html);
            snap->bulletin_period = docs.report.period_from + " to " + docs.report.period_to;
        } catch (const Error& e) {
            bulletin_note = std::string{"no bulletin: "} + e.what();
        }
    }
    clock.lap("bulletin");
    using Slot = RunParts::Slot;
    for (const auto& [slot, c] : parts->slots) {
        switch (slot) {
        case Slot::fixed: snap->collections.push_back(c); break;
        case Slot::hotspots_published:
        case Slot::hotspots_internal: {
            const std::size_t i = slot == Slot::hotspots_published ? 0 : 1;
            if (i < hotspots.size()) {
                snap->collections.push_back(hotspots[i]);
            }
            break;
        }
        case Slot::kpis:
            if (kpis) {
                snap->collections.push_back(kpis);
            }
            break;
        case Slot::referrals: snap->collections.push_back(referral_list); break;
        }
    }
    snap->notes = parts->gate_notes;
    if (!kpi_note.empty()) {
        snap->notes.push_back(kpi_note);
    }
    snap->notes.insert(snap->notes.end(), parts->district_notes.begin(), parts->district_notes.end());
    if (!bulletin_note.empty()) {
        snap->notes.push_back(bulletin_note);
    }
    snap->notes.insert(snap->notes.end(), parts->evaluation_notes.begin(), parts->evaluation_notes.end());
    snap->hotspot_list = hotspot_list(*snap);
    snap->build_stages = std::move(stages);
    snap->parts = std::move(parts);
    return snap;
}

// The latest evaluation's collection (with its style), or the note saying there is none.
std::shared_ptr<const Collection> evaluation_or_note(store::Store& store, std::vector<std::string>& notes) {
    if (auto e = evaluation_collection(store)) {
        e->qml = publish::change_qml("percent_change", "\"code\" || ' ' || round(\"percent_change\") || '%'");
        return std::make_shared<const Collection>(std::move(*e));
    }
    notes.push_back("no evaluation in the store: no evaluation collection (hotref evaluate)");
    return nullptr;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace

std::optional<std::string> run_hotspots_geojson(const CatalogOptions& o, std::int64_t run_id) {
    store::Store store{o.store_path, store::OpenMode::read_only};
    const auto run = store::read_run(store, run_id);
    if (!run || (!o.force.empty() && run->force != o.force)) {
        return std::nullopt;
    }
    publish::LoadOptions load;
    load.run_id = run_id;
    const auto model = publish::disclose(publish::load_run(store, load), publish::Profile::published,
                                         publish::DisclosureRules{});
    json fc{{"type", "FeatureCollection"}, {"features", json::array()}};
    fc["run"] = {{"id", run->id}, {"method", run->method}, {"period_from", run->period_from},
                 {"period_to", run->period_to}, {"categories", run->categories}};
    if (const auto* layer = model.find("hotspots")) {
        const TimeInterval time = month_interval(run->period_from, run->period_to).value_or(TimeInterval{});
        for (const auto& f : model_collection(*layer, "hotspots", time).features) {
            fc["features"].push_back(json::parse(f.json));
        }
    }
    return fc.dump();
}

std::shared_ptr<const Snapshot> build_snapshot(const CatalogOptions& o) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::string key = store_key(o.store_path);
    store::Store store{o.store_path, store::OpenMode::read_only};
    const auto run = choose_run(store, o);
    if (!run) {
        auto snap = std::make_shared<Snapshot>();
        snap->key = key;
        snap->built_at = store::utc_now();
        snap->attribution = attribution;
        const std::string m = o.method.empty() ? "patrol" : o.method;
        snap->notes.push_back("no " + m + " run in the store yet: run 'hotref hotspots --method " + m +
                              "' and the service picks it up");
        if (auto e = evaluation_or_note(store, snap->notes)) {
            snap->collections.push_back(std::move(e));
        }
        snap->hotspot_list = hotspot_list(*snap);
        snap->build_seconds = seconds_since(t0);
        return snap;
    }
    Stages stages;
    auto parts = run_parts(store, *run, key, o, stages);
    if (auto e = evaluation_or_note(store, parts->evaluation_notes)) {
        parts->slots.emplace_back(RunParts::Slot::fixed, std::move(e));
    }
    auto snap = publish_referrals(std::move(parts), store, key, o, std::move(stages));
    snap->build_seconds = seconds_since(t0);
    return snap;
}

bool referrals_only_change(const Snapshot& previous, const std::string& key) {
    return previous.parts && key != previous.key && publication_part(key) == previous.parts->publication_key;
}

std::shared_ptr<const Snapshot> update_referrals(const Snapshot& previous, const CatalogOptions& o) {
    if (!previous.parts) {
        throw Error("internal: update_referrals on a snapshot without a run");
    }
    const auto t0 = std::chrono::steady_clock::now();
    const std::string key = store_key(o.store_path);
    store::Store store{o.store_path, store::OpenMode::read_only};
    auto snap = publish_referrals(previous.parts, store, key, o, {});
    snap->referrals_only = true;
    snap->build_seconds = seconds_since(t0);
    return snap;
}

Catalog::Catalog(CatalogOptions options, int poll_ms)
    : m_options(std::move(options)), m_store_guard(m_options.store_path), m_poll_ms(poll_ms) {}

Catalog::~Catalog() {
    stop();
}

void Catalog::start() {
    m_thread = std::thread([this] { loop(); });
}

void Catalog::stop() {
    {
        std::lock_guard lock{m_mutex};
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

void Catalog::poke() {
    {
        std::lock_guard lock{m_mutex};
        m_poked = true;
    }
    m_wake.notify_all();
}

std::string Catalog::last_error() const {
    std::lock_guard lock{m_mutex};
    return m_error;
}

void Catalog::loop() {
    while (true) {
        try {
            const auto snap = current();
            if (const auto problem = m_store_guard.problem(); !problem.empty()) {
                throw Error(problem + "; still serving the snapshot published before");
            }
            const std::string key = snap ? store_key(m_options.store_path) : std::string{};
            // A change of the referrals alone republishes only what they change (seconds less).
            const bool referrals_only = snap && referrals_only_change(*snap, key);
            const auto since = std::chrono::steady_clock::now() - m_last_build;
            const bool due = !snap || since >= std::chrono::milliseconds(referrals_only ? m_options.min_referral_interval_ms
                                                                                          : m_options.min_interval_ms);
            if (due && (!snap || key != snap->key)) {
                auto fresh = referrals_only ? update_referrals(*snap, m_options) : build_snapshot(m_options);
                if (!m_options.quiet) {
                    std::cerr << "hotref serve: published run " << fresh->run_id << " (" << fresh->collections.size()
                              << " collections" << (referrals_only ? ", referrals updated" : "") << ") in "
                              << std::fixed << std::setprecision(1) << fresh->build_seconds << " s";
                    for (std::size_t i = 0; i < fresh->build_stages.size(); ++i) {
                        std::cerr << (i == 0 ? " (" : ", ") << fresh->build_stages[i].first << " "
                                  << fresh->build_stages[i].second;
                    }
                    std::cerr << (fresh->build_stages.empty() ? "\n" : ")\n");
                }
                std::atomic_store(&m_current, std::shared_ptr<const Snapshot>{std::move(fresh)});
                m_last_build = std::chrono::steady_clock::now();
                ++m_builds;
                std::lock_guard lock{m_mutex};
                m_error.clear();
            }
        } catch (const std::exception& e) {
            std::lock_guard lock{m_mutex};
            if (m_error != e.what()) {
                std::cerr << "hotref serve: error: cannot publish the store's layers: " << e.what() << "\n";
            }
            m_error = e.what();
        }
        std::unique_lock lock{m_mutex};
        m_wake.wait_for(lock, std::chrono::milliseconds(m_poll_ms), [this] { return m_stop || m_poked; });
        if (m_stop) {
            return;
        }
        m_poked = false;
    }
}

} // namespace hotref::server
