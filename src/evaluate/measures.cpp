#include "evaluate/measures.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace hotref::evaluate {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double z975 = 1.959963984540054;

double log_binomial_pmf(double k, double n, double p) {
    if (p <= 0) {
        return k == 0 ? 0.0 : -INFINITY;
    }
    if (p >= 1) {
        return k == n ? 0.0 : -INFINITY;
    }
    return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1) + k * std::log(p) +
           (n - k) * std::log1p(-p);
}
} // namespace

double BeforeAfter::percent_change() const noexcept {
    return before > 0 ? 100.0 * (after - before) / before : nan;
}

double binomial_two_sided(double x, double n, double p) {
    const double observed = log_binomial_pmf(x, n, p);
    double total = 0;
    for (double k = 0; k <= n; k += 1) {
        const double lp = log_binomial_pmf(k, n, p);
        if (lp <= observed + 1e-7 * std::fabs(observed) + 1e-12) {
            total += std::exp(lp);
        }
    }
    return std::min(1.0, total);
}

RateRatio rate_ratio(double after, double t_after, double before, double t_before) {
    RateRatio r;
    const double ratio = (after / t_after) / (before / t_before);
    r.ratio.estimate = before > 0 ? ratio : nan;
    if (after > 0 && before > 0) {
        const double se = std::sqrt(1.0 / after + 1.0 / before);
        r.ratio.lower = ratio * std::exp(-z975 * se);
        r.ratio.upper = ratio * std::exp(z975 * se);
    } else {
        r.ratio.lower = r.ratio.upper = nan;
    }
    r.p_exact = binomial_two_sided(after, after + before, t_after / (t_after + t_before));
    return r;
}

Interval irr_against_control(const BeforeAfter& t, const BeforeAfter& c) {
    Interval i;
    if (t.before <= 0 || c.before <= 0 || c.after <= 0) {
        i.estimate = i.lower = i.upper = nan;
        return i;
    }
    i.estimate = (t.after / t.before) / (c.after / c.before);
    if (t.after > 0) {
        const double se = std::sqrt(1 / t.after + 1 / t.before + 1 / c.after + 1 / c.before);
        i.lower = i.estimate * std::exp(-z975 * se);
        i.upper = i.estimate * std::exp(z975 * se);
    } else {
        i.lower = i.upper = nan;
    }
    return i;
}

Wdq weighted_displacement_quotient(const BeforeAfter& r, const BeforeAfter& d, const BeforeAfter& c) {
    Wdq w;
    if (c.before <= 0 || c.after <= 0) {
        w.success = w.buffer_displacement = w.wdq = nan;
        w.reading = "no control incidents to compare against";
        return w;
    }
    w.success = r.after / c.after - r.before / c.before;
    w.buffer_displacement = d.after / c.after - d.before / c.before;
    if (w.success >= 0) {
        w.wdq = nan;
        w.reading = "no reduction to measure displacement against";
        return w;
    }
    w.meaningful = true;
    w.wdq = w.buffer_displacement / w.success;
    if (w.wdq > 0) {
        w.reading = w.wdq > 1 ? "diffusion of benefit greater than the direct effect"
                              : "diffusion of benefit to the buffer";
    } else if (w.wdq < 0) {
        w.reading = w.wdq < -1 ? "displacement greater than the direct effect (counter-productive)"
                               : "displacement to the buffer, smaller than the direct effect";
    } else {
        w.reading = "no displacement or diffusion";
    }
    return w;
}

double gross_effect(const BeforeAfter& r) {
    return r.before - r.after;
}

double net_effect(const BeforeAfter& r, const BeforeAfter& c) {
    return c.before > 0 ? r.before * (c.after / c.before) - r.after : nan;
}

double total_net_effect(const BeforeAfter& r, const BeforeAfter& d, const BeforeAfter& c) {
    if (c.before <= 0) {
        return nan;
    }
    const double trend = c.after / c.before;
    return (r.before * trend - r.after) + (d.before * trend - d.after);
}

Wdd weighted_displacement_difference(const BeforeAfter& t, const BeforeAfter& ct, const BeforeAfter& d,
                                     const BeforeAfter& cd) {
    Wdd w;
    w.wdd = t.change() - ct.change() + d.change() - cd.change();
    w.variance = t.before + t.after + ct.before + ct.after + d.before + d.after + cd.before + cd.after;
    w.se = std::sqrt(w.variance);
    w.z = w.se > 0 ? w.wdd / w.se : nan;
    w.ci95 = {w.wdd, w.wdd - z975 * w.se, w.wdd + z975 * w.se};
    return w;
}

Wdd weighted_displacement_difference_scaled(const BeforeAfter& t, const BeforeAfter& d, const BeforeAfter& c) {
    Wdd w;
    if (c.before <= 0) {
        w.wdd = w.variance = w.se = w.z = nan;
        w.ci95 = {nan, nan, nan};
        return w;
    }
    const double st = t.before / c.before;
    const double sd = d.before / c.before;
    w.wdd = t.change() - st * c.change() + d.change() - sd * c.change();
    w.variance = t.before + t.after + d.before + d.after + (st * st + sd * sd) * (c.before + c.after);
    w.se = std::sqrt(w.variance);
    w.z = w.se > 0 ? w.wdd / w.se : nan;
    w.ci95 = {w.wdd, w.wdd - z975 * w.se, w.wdd + z975 * w.se};
    return w;
}

namespace {

std::vector<double> cumulative_pai(const std::vector<double>& observed, const std::vector<std::size_t>& order,
                                   const std::vector<double>& area) {
    const double n_total = std::accumulate(observed.begin(), observed.end(), 0.0);
    const double a_total = std::accumulate(area.begin(), area.end(), 0.0);
    std::vector<double> out;
    double n = 0;
    double a = 0;
    for (const auto i : order) {
        n += observed[i];
        a += area[i];
        out.push_back(n_total > 0 && a > 0 ? (n / n_total) / (a / a_total) : nan);
    }
    return out;
}

std::vector<std::size_t> rank_by(const std::vector<double>& key) {
    std::vector<std::size_t> order(key.size());
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&key](std::size_t a, std::size_t b) { return key[a] > key[b]; });
    return order;
}

} // namespace

std::vector<double> pai_by_rank(const std::vector<double>& observed, const std::vector<double>& predicted,
                                const std::vector<double>& area) {
    return cumulative_pai(observed, rank_by(predicted), area);
}

std::vector<double> pei_by_rank(const std::vector<double>& observed, const std::vector<double>& predicted,
                                const std::vector<double>& area) {
    const auto pai = pai_by_rank(observed, predicted, area);
    // Best possible with the same areas: by observed density (areas are equal in a grid; with unequal
    // areas this ranks by density, a close upper bound).
    std::vector<double> density(observed.size());
    for (std::size_t i = 0; i < observed.size(); ++i) {
        density[i] = area[i] > 0 ? observed[i] / area[i] : 0;
    }
    const auto best = cumulative_pai(observed, rank_by(density), area);
    std::vector<double> out(pai.size());
    for (std::size_t k = 0; k < pai.size(); ++k) {
        out[k] = best[k] > 0 ? pai[k] / best[k] : nan;
    }
    return out;
}

} // namespace hotref::evaluate
