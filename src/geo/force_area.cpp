#include "geo/force_area.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "geo/geos.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <utility>

#ifndef HOTREF_GEODATA_DIR
#error "HOTREF_GEODATA_DIR must name the repository's geodata folder (see CMakeLists.txt)"
#endif

namespace hotref::geo {

namespace {

constexpr const char* k_layer = "districts";
const std::string k_source = "bundled 2011 boundaries";

// Lower case, "&" read as "and", every run of other characters one space:
// "Devon & Cornwall Police" and "devon and cornwall police" are the same force.
std::string normalise(const std::string& name) {
    std::string out;
    bool gap = false;
    auto word_break = [&] {
        if (gap && !out.empty()) {
            out += ' ';
        }
        gap = false;
    };
    for (const char c : name) {
        const auto u = static_cast<unsigned char>(c);
        if (std::isalnum(u) != 0) {
            word_break();
            out += static_cast<char>(std::tolower(u));
        } else if (c == '&') {
            gap = true;
            word_break();
            out += "and";
            gap = true;
        } else {
            gap = true;
        }
    }
    return out;
}

// Names a feed may carry for a force that the bundled table spells otherwise.
std::string canonical(const std::string& normalised) {
    // The force's name since 2022; data.police.uk's "Falls within" keeps the old one.
    if (normalised == "hampshire and isle of wight constabulary") {
        return "hampshire constabulary";
    }
    return normalised;
}

std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * share);
    return buf;
}

std::string km(double metres) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", metres / 1000.0);
    return buf;
}

bool boxes_meet(const std::array<double, 4>& a, const std::array<double, 4>& b) {
    return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

struct District {
    std::string name;
    std::string force;
    std::array<double, 4> box;
    PreparedGeometry shape;
};

std::vector<District> load_districts(const Context& ctx, const std::string& path) {
    if (!vsi_stat(path).exists) {
        throw InputError(path + ": no such file (the bundled force areas are geodata/england_force_areas.gpkg; "
                                "rebuild them with tools/make_force_areas.sh)");
    }
    std::vector<PolygonFeature> features;
    try {
        features = read_polygon_features(path, k_layer, "EPSG:27700", {"name", "force"});
    } catch (const InputError& e) {
        throw InputError(std::string{e.what()} +
                         " (expected the force areas GeoPackage made by tools/make_force_areas.sh)");
    }
    std::vector<District> out;
    out.reserve(features.size());
    for (auto& f : features) {
        if (f.values[0].empty() || f.values[1].empty()) {
            throw InputError(path + ": layer '" + k_layer + "', district " + std::to_string(out.size() + 1) +
                             (f.values[0].empty() ? " has no name" : " (" + f.values[0] + ") has no force") +
                             "; rebuild it with tools/make_force_areas.sh");
        }
        Geometry g = ctx.from_wkb(f.wkb);
        std::array<double, 4> box{};
        g.bounds(box[0], box[1], box[2], box[3]);
        out.push_back(
            District{std::move(f.values[0]), std::move(f.values[1]), box, PreparedGeometry{ctx, std::move(g)}});
    }
    return out;
}

// One place holding one or more input points with the same coordinates.
struct Site {
    double x = 0;
    double y = 0;
    double weight = 0;
    std::vector<std::size_t> members; // indices in the input
    int district = -1;                // -1: in no bundled district
};

std::vector<Site> group_sites(const std::vector<std::array<double, 3>>& points) {
    std::vector<std::size_t> order;
    order.reserve(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        if (std::isfinite(p[0]) && std::isfinite(p[1]) && std::isfinite(p[2])) {
            order.push_back(i);
        }
    }
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::pair{points[a][0], points[a][1]} < std::pair{points[b][0], points[b][1]};
    });
    std::vector<Site> sites;
    for (const std::size_t i : order) {
        const auto& p = points[i];
        if (sites.empty() || sites.back().x != p[0] || sites.back().y != p[1]) {
            sites.push_back(Site{p[0], p[1], 0, {}, -1});
        }
        sites.back().weight += p[2];
        sites.back().members.push_back(i);
    }
    return sites;
}

void place_sites(std::vector<Site>& sites, const std::vector<District>& districts) {
    for (auto& s : sites) {
        for (std::size_t d = 0; d < districts.size(); ++d) {
            const auto& b = districts[d].box;
            if (s.x >= b[0] && s.x <= b[2] && s.y >= b[1] && s.y <= b[3] && districts[d].shape.covers_point(s.x, s.y)) {
                s.district = static_cast<int>(d);
                break;
            }
        }
    }
}

// The value below which `q` of the weight lies (values sorted by the caller).
double weighted_quantile(const std::vector<std::pair<double, double>>& sorted, double total, double q) {
    double sum = 0;
    for (const auto& [value, weight] : sorted) {
        sum += weight;
        if (sum >= q * total) {
            return value;
        }
    }
    return sorted.empty() ? 0.0 : sorted.back().first;
}

double weighted_median(const std::vector<Site>& sites, double total, bool use_x) {
    std::vector<std::pair<double, double>> v;
    v.reserve(sites.size());
    for (const auto& s : sites) {
        v.emplace_back(use_x ? s.x : s.y, s.weight);
    }
    std::sort(v.begin(), v.end());
    return weighted_quantile(v, total, 0.5);
}

// Rule 2: districts holding at least `min_share` of the weight each, then every
// district whose neighbours are all chosen (an enclave or a pocket the threshold
// missed), until nothing changes. Returns how many the second step added.
std::size_t choose_by_weight(const Context& ctx, const std::vector<District>& districts,
                             const std::vector<double>& weight, double total, double min_share,
                             std::vector<bool>& chosen) {
    std::array<double, 4> reach{HUGE_VAL, HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
    for (std::size_t d = 0; d < districts.size(); ++d) {
        if (weight[d] >= min_share * total && weight[d] > 0) {
            chosen[d] = true;
            const auto& b = districts[d].box;
            reach = {std::min(reach[0], b[0]), std::min(reach[1], b[1]), std::max(reach[2], b[2]),
                     std::max(reach[3], b[3])};
        }
    }
    std::map<std::size_t, std::vector<std::size_t>> neighbours;
    auto neighbours_of = [&](std::size_t d) -> const std::vector<std::size_t>& {
        auto it = neighbours.find(d);
        if (it == neighbours.end()) {
            std::vector<std::size_t> n;
            for (std::size_t e = 0; e < districts.size(); ++e) {
                if (e != d && boxes_meet(districts[d].box, districts[e].box) &&
                    ctx.intersects(districts[d].shape.geometry(), districts[e].shape.geometry())) {
                    n.push_back(e);
                }
            }
            it = neighbours.emplace(d, std::move(n)).first;
        }
        return it->second;
    };
    std::size_t added = 0;
    for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t d = 0; d < districts.size(); ++d) {
            if (chosen[d] || !boxes_meet(districts[d].box, reach)) {
                continue;
            }
            const auto& n = neighbours_of(d);
            if (!n.empty() && std::all_of(n.begin(), n.end(), [&](std::size_t e) { return chosen[e]; })) {
                chosen[d] = true;
                changed = true;
                ++added;
            }
        }
    }
    return added;
}

double chosen_weight(const std::vector<double>& weight, const std::vector<bool>& chosen) {
    double sum = 0;
    for (std::size_t d = 0; d < weight.size(); ++d) {
        sum += chosen[d] ? weight[d] : 0.0;
    }
    return sum;
}

// "all 9 of Derbyshire Constabulary, 1 of 7 of Nottinghamshire Police"
std::string forces_summary(const std::vector<District>& districts, const std::vector<bool>& chosen) {
    std::map<std::string, std::pair<int, int>> count; // force -> chosen, all
    for (std::size_t d = 0; d < districts.size(); ++d) {
        auto& c = count[districts[d].force];
        c.second += 1;
        c.first += chosen[d] ? 1 : 0;
    }
    std::string out;
    for (const auto& [force, c] : count) {
        if (c.first == 0) {
            continue;
        }
        out += out.empty() ? "" : ", ";
        out += (c.first == c.second ? "all " + std::to_string(c.first)
                                    : std::to_string(c.first) + " of " + std::to_string(c.second)) +
               " of " + force;
    }
    return out;
}

// Rule 3: the sites near the weighted median (within `radius`, set here) that
// are not isolated: the 3 x 3 block of cells around a kept site's cell holds at
// least `hull_min_local_share` of the weight.
std::vector<std::array<double, 2>> bulk_of_points(const std::vector<Site>& sites, double total,
                                                  const DeriveOptions& options, double& radius) {
    const double cx = weighted_median(sites, total, true);
    const double cy = weighted_median(sites, total, false);
    std::vector<std::pair<double, double>> dist;
    dist.reserve(sites.size());
    for (const auto& s : sites) {
        dist.emplace_back(std::hypot(s.x - cx, s.y - cy), s.weight);
    }
    std::sort(dist.begin(), dist.end());
    radius = std::max(options.hull_min_radius_m,
                      options.hull_factor * weighted_quantile(dist, total, options.hull_quantile));
    const double cell = options.hull_cell_m;
    auto key = [&](double x, double y) {
        return std::pair{static_cast<long long>(std::floor(x / cell)), static_cast<long long>(std::floor(y / cell))};
    };
    std::map<std::pair<long long, long long>, double> cells;
    for (const auto& s : sites) {
        cells[key(s.x, s.y)] += s.weight;
    }
    std::vector<std::array<double, 2>> kept;
    for (const auto& s : sites) {
        const auto [i, j] = key(s.x, s.y);
        double local = 0;
        for (long long di = -1; di <= 1; ++di) {
            for (long long dj = -1; dj <= 1; ++dj) {
                const auto it = cells.find({i + di, j + dj});
                local += it == cells.end() ? 0.0 : it->second;
            }
        }
        if (std::hypot(s.x - cx, s.y - cy) <= radius && local >= options.hull_min_local_share * total) {
            kept.push_back({s.x, s.y});
        }
    }
    if (kept.empty()) { // nothing dense enough: the distance rule alone
        for (const auto& s : sites) {
            if (std::hypot(s.x - cx, s.y - cy) <= radius) {
                kept.push_back({s.x, s.y});
            }
        }
    }
    return kept;
}

} // namespace

bool is_welsh_force(const std::string& name) {
    static const std::set<std::string> welsh{"dyfed powys police", "gwent police", "north wales police",
                                             "south wales police"};
    return welsh.count(normalise(name)) != 0;
}

std::string bundled_geodata(const std::string& file) {
    const char* env = std::getenv("HOTREF_GEODATA");
    const bool from_env = env != nullptr && *env != '\0';
    const std::string path = std::string{from_env ? env : HOTREF_GEODATA_DIR} + "/" + file;
    if (!vsi_stat(path).exists) {
        throw InputError(path + ": not found; " +
                         (from_env ? std::string{"HOTREF_GEODATA names a folder without it: point it at the "
                                                 "repository's geodata/ folder, or unset it"}
                                   : std::string{"this build looks in the geodata/ folder of the source tree it "
                                                 "was built from: set HOTREF_GEODATA to a folder holding it"}));
    }
    return path;
}

DerivedArea derive_study_area(const std::vector<std::array<double, 3>>& points, const std::vector<std::string>& forces,
                              const std::string& geodata_path, const DeriveOptions& options) {
    const Context ctx;
    const std::vector<District> districts = load_districts(ctx, geodata_path);
    std::vector<Site> sites = group_sites(points);
    if (sites.empty()) {
        throw InputError("no incident has coordinates: there is no study area to derive from " +
                         std::to_string(points.size()) + " points");
    }
    double total = 0;
    for (const auto& s : sites) {
        total += s.weight;
    }
    if (!(total > 0)) {
        throw InputError("the weights of the " + std::to_string(points.size()) +
                         " points add up to no more than zero: there is no study area to derive");
    }
    place_sites(sites, districts);
    std::vector<double> weight(districts.size(), 0.0);
    for (const auto& s : sites) {
        if (s.district >= 0) {
            weight[static_cast<std::size_t>(s.district)] += s.weight;
        }
    }

    // The feed's force names, once each, as written.
    std::vector<std::string> names;
    for (const auto& f : forces) {
        if (!normalise(f).empty() && std::none_of(names.begin(), names.end(),
                                                  [&](const std::string& n) { return normalise(n) == normalise(f); })) {
            names.push_back(f);
        }
    }

    std::vector<bool> chosen(districts.size(), false);
    std::string how;
    std::string area_name;
    std::string reason; // why the districts were chosen by weight, or why a hull
    bool hull = !names.empty() && std::all_of(names.begin(), names.end(), is_welsh_force);
    if (hull) {
        reason = (names.size() == 1 ? "Welsh force " + names.front() : std::string{"Welsh forces"}) +
                 ": boundaries not bundled";
    }

    // Rule 1: the named force.
    bool named = false;
    if (!hull && names.size() == 1) {
        const std::string want = canonical(normalise(names.front()));
        std::string force;
        for (std::size_t d = 0; d < districts.size(); ++d) {
            if (canonical(normalise(districts[d].force)) == want) {
                chosen[d] = true;
                force = districts[d].force;
            }
        }
        if (force.empty()) {
            reason = "force '" + names.front() + "' is not in the bundled table";
        } else {
            const double share = chosen_weight(weight, chosen) / total;
            if (share >= options.min_inside_share) {
                named = true;
                const auto n = std::count(chosen.begin(), chosen.end(), true);
                how = force + ": " + std::to_string(n) + " districts (" + k_source + ")";
                area_name = force + " (" + k_source + ")";
            } else {
                reason = "the feed names " + force + " but only " + percent(share) + " of the incidents lie in it";
                std::fill(chosen.begin(), chosen.end(), false);
            }
        }
    } else if (!hull) {
        reason = "several forces named";
        for (std::size_t i = 0; i < names.size(); ++i) {
            reason += (i == 0 ? " (" : ", ") + names[i] + (i + 1 == names.size() ? ")" : "");
        }
        if (names.empty()) {
            reason = "no force name in the feed";
        }
    }

    // Rule 2: the districts holding the incidents.
    if (!hull && !named) {
        const std::size_t enclosed =
            choose_by_weight(ctx, districts, weight, total, options.min_district_share, chosen);
        const double share = chosen_weight(weight, chosen) / total;
        const auto n = std::count(chosen.begin(), chosen.end(), true);
        if (n > 0 && share >= options.min_inside_share) {
            how = "the " + std::to_string(n - static_cast<long>(enclosed)) + " districts holding at least " +
                  percent(options.min_district_share) + " of the incidents each" +
                  (enclosed > 0 ? " and " + std::to_string(enclosed) + " enclosed by them" : std::string{}) + " (" +
                  forces_summary(districts, chosen) + "; " + k_source + "): " + reason;
            area_name = "the districts holding the incidents (" + k_source + ")";
        } else {
            hull = true;
            reason += std::string{reason.empty() ? "" : "; "} + "points mostly outside England: only " +
                      percent(share) + " of the incidents lie in bundled districts holding at least " +
                      percent(options.min_district_share) + " each";
            std::fill(chosen.begin(), chosen.end(), false);
        }
    }

    // The area, as a GEOS geometry to measure the strays against.
    std::optional<PreparedGeometry> shape;
    DerivedArea out{StudyArea::england_and_wales(), "", {}, 0, 0, 0, {}, hull};
    if (hull) {
        double radius = 0;
        const auto kept = bulk_of_points(sites, total, options, radius);
        shape.emplace(ctx, ctx.hull_of_points(kept, options.hull_ratio, options.hull_buffer_m));
        how = "hull of the points within " + km(radius) + " km of their weighted median (" + reason + ")";
        area_name = "the hull of the points";
    } else {
        std::vector<const Geometry*> parts;
        for (std::size_t d = 0; d < districts.size(); ++d) {
            if (chosen[d]) {
                parts.push_back(&districts[d].shape.geometry());
                out.districts.push_back(districts[d].name);
            }
        }
        std::sort(out.districts.begin(), out.districts.end());
        shape.emplace(ctx, ctx.union_all(parts));
    }

    // The strays: points the area does not cover (a point in a chosen district is covered).
    double farthest = 0;
    for (const auto& s : sites) {
        const bool in_chosen = !hull && s.district >= 0 && chosen[static_cast<std::size_t>(s.district)];
        if (in_chosen || shape->covers_point(s.x, s.y)) {
            continue;
        }
        out.outside.insert(out.outside.end(), s.members.begin(), s.members.end());
        out.outside_weight += s.weight;
        farthest = std::max(farthest, shape->distance_to(ctx.point(s.x, s.y)));
    }
    std::sort(out.outside.begin(), out.outside.end());
    out.outside_points = out.outside.size();
    out.farthest_km = farthest / 1000.0;
    out.how = std::move(how);
    out.area = StudyArea::from_wkb(area_name, shape->geometry().wkb());
    return out;
}

} // namespace hotref::geo
