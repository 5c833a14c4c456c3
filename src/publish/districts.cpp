#include "publish/districts.hpp"

#include "geo/geos.hpp"

#include <memory>

namespace hotref::publish {

namespace {

struct Prepared {
    std::array<double, 4> box{};
    std::unique_ptr<geo::PreparedGeometry> shape;
};

std::vector<Prepared> prepare(const geo::Context& ctx, const std::vector<District>& districts) {
    std::vector<Prepared> out;
    out.reserve(districts.size());
    for (const auto& d : districts) {
        Prepared p;
        auto g = ctx.from_wkb(d.wkb);
        g.bounds(p.box[0], p.box[1], p.box[2], p.box[3]);
        p.shape = std::make_unique<geo::PreparedGeometry>(ctx, std::move(g));
        out.push_back(std::move(p));
    }
    return out;
}

// The district holding (x, y), -1 for none; a point on a shared edge goes to the first.
int district_of(const std::vector<Prepared>& shapes, double x, double y) {
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const auto& b = shapes[i].box;
        if (x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3] && shapes[i].shape->covers_point(x, y)) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

} // namespace

std::vector<District> districts_in_area(const std::vector<District>& all, const std::string& area_wkb) {
    if (area_wkb.empty()) {
        return all;
    }
    geo::Context ctx;
    const geo::PreparedGeometry area{ctx, ctx.from_wkb(area_wkb)};
    std::vector<District> inside;
    for (const auto& d : all) {
        const auto p = ctx.from_wkb(d.wkb).interior_point();
        if (area.covers_point(p[0], p[1])) {
            inside.push_back(d);
            inside.back().label = p;
        }
    }
    return inside;
}

void label_districts(std::vector<District>& districts) {
    geo::Context ctx;
    for (auto& d : districts) {
        d.label = ctx.from_wkb(d.wkb).interior_point();
    }
}

DistrictTable count_by_district(const std::vector<District>& districts,
                                const std::vector<std::array<double, 3>>& now,
                                const std::vector<std::array<double, 3>>* prev,
                                const std::vector<std::array<double, 2>>& hotspots) {
    geo::Context ctx;
    const auto shapes = prepare(ctx, districts);
    DistrictTable t;
    for (const auto& d : districts) {
        DistrictCount row;
        row.name = d.name;
        row.prev = prev != nullptr ? 0.0 : row.prev;
        t.rows.push_back(std::move(row));
    }
    auto add = [&](const std::vector<std::array<double, 3>>& points, bool current) {
        double outside = 0;
        for (const auto& p : points) {
            const int d = district_of(shapes, p[0], p[1]);
            if (d < 0) {
                outside += p[2];
            } else {
                (current ? t.rows[static_cast<std::size_t>(d)].now : t.rows[static_cast<std::size_t>(d)].prev) += p[2];
            }
        }
        return outside;
    };
    t.outside_now = add(now, true);
    if (prev != nullptr) {
        t.outside_prev = add(*prev, false);
    }
    for (const auto& h : hotspots) {
        const int d = district_of(shapes, h[0], h[1]);
        if (d < 0) {
            ++t.hotspots_outside;
        } else {
            ++t.rows[static_cast<std::size_t>(d)].hotspots;
        }
    }
    return t;
}

} // namespace hotref::publish
