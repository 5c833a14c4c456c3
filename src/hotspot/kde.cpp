#include "hotspot/kde.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace hotref::hotspot {

Kernel kernel_from_name(const std::string& name) {
    if (name == "quartic" || name == "biweight") {
        return Kernel::quartic;
    }
    if (name == "epanechnikov") {
        return Kernel::epanechnikov;
    }
    if (name == "triweight") {
        return Kernel::triweight;
    }
    if (name == "uniform") {
        return Kernel::uniform;
    }
    if (name == "triangular") {
        return Kernel::triangular;
    }
    throw UsageError("unknown kernel '" + name + "'; use quartic, epanechnikov, triweight, uniform or triangular");
}

const char* kernel_name(Kernel k) noexcept {
    switch (k) {
    case Kernel::quartic: return "quartic";
    case Kernel::epanechnikov: return "epanechnikov";
    case Kernel::triweight: return "triweight";
    case Kernel::uniform: return "uniform";
    case Kernel::triangular: return "triangular";
    }
    return "quartic";
}

double kernel_shape(Kernel k, double r) noexcept {
    if (r >= 1.0 || r < 0.0) {
        return 0.0;
    }
    const double u = 1.0 - r * r;
    switch (k) {
    case Kernel::quartic: return u * u;
    case Kernel::epanechnikov: return u;
    case Kernel::triweight: return u * u * u;
    case Kernel::uniform: return 1.0;
    case Kernel::triangular: return 1.0 - r;
    }
    return 0.0;
}

double kernel_scale(Kernel k, double bandwidth) noexcept {
    // 1 / integral of the shape over the disc of radius h; the integrals are
    // pi h^2 times 1/3, 1/2, 1/4, 1, 1/3.
    double c = 3.0;
    switch (k) {
    case Kernel::quartic: c = 3.0; break;
    case Kernel::epanechnikov: c = 2.0; break;
    case Kernel::triweight: c = 4.0; break;
    case Kernel::uniform: c = 1.0; break;
    case Kernel::triangular: c = 3.0; break;
    }
    return c / (std::numbers::pi * bandwidth * bandwidth);
}

namespace {

struct Weighted {
    double v;
    double w;
};

// Quantile of type 7 (R's default, which sfhotspot's IQR() uses) of values with
// weights, a weight w standing for w copies of its value: position
// h = (N - 1) q over the N copies, interpolated between the neighbouring copies.
double weighted_quantile(std::vector<Weighted>& xs, double q) {
    std::sort(xs.begin(), xs.end(), [](const Weighted& a, const Weighted& b) { return a.v < b.v; });
    double total = 0;
    for (const auto& x : xs) {
        total += x.w;
    }
    const double h = (total - 1) * q; // 0-based position among the copies
    const double lo_pos = std::floor(h);
    // Value of the copy at 0-based position k.
    auto value_at = [&xs](double k) {
        double acc = 0;
        for (const auto& x : xs) {
            acc += x.w;
            if (k < acc) {
                return x.v;
            }
        }
        return xs.back().v;
    };
    const double lo = value_at(lo_pos);
    const double hi = value_at(lo_pos + 1);
    return lo + (h - lo_pos) * (hi - lo);
}

double axis_rule(std::vector<Weighted> xs) {
    double n = 0;
    double sum = 0;
    for (const auto& x : xs) {
        n += x.w;
        sum += x.w * x.v;
    }
    const double mean = sum / n;
    double ss = 0;
    for (const auto& x : xs) {
        ss += x.w * (x.v - mean) * (x.v - mean);
    }
    const double sd = n > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
    const double iqr = weighted_quantile(xs, 0.75) - weighted_quantile(xs, 0.25);
    const double spread = iqr > 0 ? std::min(sd, iqr / 1.34) : sd;
    return 4 * 1.06 * spread * std::pow(n, -0.2);
}

} // namespace

double rule_of_thumb_bandwidth(const std::vector<WeightedPoint>& points) {
    std::vector<Weighted> xs;
    std::vector<Weighted> ys;
    xs.reserve(points.size());
    ys.reserve(points.size());
    for (const auto& p : points) {
        xs.push_back({p.x, p.weight});
        ys.push_back({p.y, p.weight});
    }
    if (xs.empty()) {
        return 0;
    }
    return (axis_rule(std::move(xs)) + axis_rule(std::move(ys))) / 2;
}

KdeSurface kde(const Grid& grid, const std::vector<WeightedPoint>& points, double bandwidth, Kernel kernel) {
    KdeSurface out;
    out.raw.assign(static_cast<std::size_t>(grid.size()), 0.0);
    const double cs = grid.cell_size();
    const int reach = static_cast<int>(std::ceil(bandwidth / cs)) + 1;
    const double inv_h = 1.0 / bandwidth;
    for (const auto& p : points) {
        const int pc = static_cast<int>(std::floor((p.x - grid.origin_x()) / cs));
        const int pr = static_cast<int>(std::floor((p.y - grid.origin_y()) / cs));
        const int c0 = std::max(0, pc - reach);
        const int c1 = std::min(grid.columns() - 1, pc + reach);
        const int r0 = std::max(0, pr - reach);
        const int r1 = std::min(grid.rows() - 1, pr + reach);
        for (int r = r0; r <= r1; ++r) {
            const double dy = grid.origin_y() + (r + 0.5) * cs - p.y;
            const double dy2 = dy * dy;
            double* row = out.raw.data() + static_cast<std::size_t>(r) * static_cast<std::size_t>(grid.columns());
            for (int c = c0; c <= c1; ++c) {
                const double dx = grid.origin_x() + (c + 0.5) * cs - p.x;
                const double d2 = dx * dx + dy2;
                if (d2 >= bandwidth * bandwidth) {
                    continue;
                }
                row[c] += p.weight * kernel_shape(kernel, std::sqrt(d2) * inv_h);
            }
        }
    }
    const double scale = kernel_scale(kernel, bandwidth);
    out.scaled.resize(out.raw.size());
    std::transform(out.raw.begin(), out.raw.end(), out.scaled.begin(), [scale](double v) { return v * scale; });
    return out;
}

} // namespace hotref::hotspot
