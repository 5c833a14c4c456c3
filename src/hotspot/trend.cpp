#include "hotspot/trend.hpp"

#include <algorithm>
#include <cmath>
#include <map>

namespace hotref::hotspot {

MannKendall mann_kendall(const std::vector<double>& x) {
    MannKendall mk;
    const auto n = x.size();
    if (n < 3) {
        return mk;
    }
    for (std::size_t i = 0; i + 1 < n; ++i) {
        for (std::size_t j = i + 1; j < n; ++j) {
            mk.s += (x[j] > x[i]) - (x[j] < x[i]);
        }
    }
    // Var(S) = [n(n-1)(2n+5) - sum over tied groups t(t-1)(2t+5)] / 18
    std::map<double, int> ties;
    for (const double v : x) {
        ++ties[v];
    }
    const auto dn = static_cast<double>(n);
    double var = dn * (dn - 1) * (2 * dn + 5);
    for (const auto& [value, t] : ties) {
        if (t > 1) {
            var -= static_cast<double>(t) * (t - 1) * (2.0 * t + 5);
        }
    }
    mk.variance = var / 18.0;
    if (mk.variance > 0) {
        if (mk.s > 0) {
            mk.z = (mk.s - 1) / std::sqrt(mk.variance);
        } else if (mk.s < 0) {
            mk.z = (mk.s + 1) / std::sqrt(mk.variance);
        }
    }
    mk.p = std::erfc(std::fabs(mk.z) / std::sqrt(2.0));
    mk.tau = mk.s / (dn * (dn - 1) / 2);
    return mk;
}

namespace {

std::string emerging_one_side(const std::vector<bool>& sig, const std::vector<bool>& other, const MannKendall& mk,
                              double alpha, int direction, const char* kind) {
    const auto n = sig.size();
    const auto count = static_cast<double>(std::count(sig.begin(), sig.end(), true));
    const bool last = sig.back();
    const double share = count / static_cast<double>(n);
    const bool trend = mk.p <= alpha;
    const std::string suffix = std::string{" "} + kind + " spot";
    if (last) {
        if (share >= 0.9) {
            if (trend && mk.s * direction > 0) {
                return "intensifying" + suffix;
            }
            if (trend && mk.s * direction < 0) {
                return "diminishing" + suffix;
            }
            return "persistent" + suffix;
        }
        if (count == 1) {
            return "new" + suffix;
        }
        // The final run of significant steps, and whether anything came before it.
        std::size_t run = 0;
        while (run < n && sig[n - 1 - run]) {
            ++run;
        }
        const bool before = std::any_of(sig.begin(), sig.begin() + static_cast<std::ptrdiff_t>(n - run),
                                        [](bool b) { return b; });
        if (run >= 2 && !before) {
            return "consecutive" + suffix;
        }
        if (std::any_of(other.begin(), other.end() - 1, [](bool b) { return b; })) {
            return "oscillating" + suffix;
        }
        return "sporadic" + suffix;
    }
    if (share >= 0.9) {
        return "historical" + suffix;
    }
    return {};
}

} // namespace

std::string emerging_category(const CellSeries& s, double alpha) {
    const auto n = s.z.size();
    if (n == 0) {
        return "no pattern detected";
    }
    std::vector<bool> hot(n);
    std::vector<bool> cold(n);
    for (std::size_t i = 0; i < n; ++i) {
        const bool sig = !std::isnan(s.z[i]) && s.p[i] <= alpha;
        hot[i] = sig && s.z[i] > 0;
        cold[i] = sig && s.z[i] < 0;
    }
    std::vector<double> z = s.z;
    for (double& v : z) {
        if (std::isnan(v)) {
            v = 0;
        }
    }
    const auto mk = mann_kendall(z);
    if (auto c = emerging_one_side(hot, cold, mk, alpha, +1, "hot"); !c.empty()) {
        return c;
    }
    if (auto c = emerging_one_side(cold, hot, mk, alpha, -1, "cold"); !c.empty()) {
        return c;
    }
    return "no pattern detected";
}

namespace {

std::string classify_one_side(const std::vector<bool>& sig, double hotspot_prop, double persistent_prop,
                              double recent_prop, const char* kind) {
    const auto n = sig.size();
    const auto count = static_cast<double>(std::count(sig.begin(), sig.end(), true));
    if (count == 0 || count / static_cast<double>(n) < hotspot_prop) {
        return {};
    }
    const std::string suffix = std::string{" "} + kind;
    if (count / static_cast<double>(n) >= persistent_prop) {
        return "persistent" + suffix;
    }
    // The most recent recent_prop of the periods (at least one).
    const auto recent = std::max<std::size_t>(1, static_cast<std::size_t>(std::round(recent_prop * static_cast<double>(n))));
    const auto split = static_cast<std::ptrdiff_t>(n - recent);
    const bool in_recent = std::any_of(sig.begin() + split, sig.end(), [](bool b) { return b; });
    const bool in_earlier = std::any_of(sig.begin(), sig.begin() + split, [](bool b) { return b; });
    if (in_recent && !in_earlier) {
        return "emerging" + suffix;
    }
    if (!in_recent && in_earlier) {
        return "former" + suffix;
    }
    return "intermittent" + suffix;
}

} // namespace

std::string classify_category(const std::vector<bool>& hot, const std::vector<bool>& cold, double hotspot_prop,
                              double persistent_prop, double recent_prop) {
    if (hot.empty()) {
        return "no pattern";
    }
    if (auto c = classify_one_side(hot, hotspot_prop, persistent_prop, recent_prop, "hotspot"); !c.empty()) {
        return c;
    }
    if (auto c = classify_one_side(cold, hotspot_prop, persistent_prop, recent_prop, "coldspot"); !c.empty()) {
        return c;
    }
    return "no pattern";
}

} // namespace hotref::hotspot
