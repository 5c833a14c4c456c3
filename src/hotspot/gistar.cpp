#include "hotspot/gistar.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <thread>

namespace hotref::hotspot {

Neighbours distance_band(const std::vector<double>& x, const std::vector<double>& y, double band, bool include_self) {
    Neighbours w;
    const double band2 = band * band * (1 + 1e-12);
    std::vector<std::int32_t> row;
    for (std::size_t i = 0; i < x.size(); ++i) {
        row.clear();
        for (std::size_t j = 0; j < x.size(); ++j) {
            if (i == j ? include_self : (x[i] - x[j]) * (x[i] - x[j]) + (y[i] - y[j]) * (y[i] - y[j]) <= band2) {
                row.push_back(static_cast<std::int32_t>(j));
            }
        }
        w.add_row(row);
    }
    return w;
}

std::vector<double> local_g(const std::vector<double>& values, const Neighbours& w, bool include_self) {
    const auto n = static_cast<double>(values.size());
    const double nan = std::numeric_limits<double>::quiet_NaN();
    double sum = 0;
    double sum2 = 0;
    for (const double v : values) {
        sum += v;
        sum2 += v * v;
    }
    std::vector<double> z(values.size(), nan);
    for (std::size_t i = 0; i < values.size(); ++i) {
        double lag = 0;
        double wi = 0;
        for (auto k = w.offset[i]; k < w.offset[i + 1]; ++k) {
            lag += values[static_cast<std::size_t>(w.index[static_cast<std::size_t>(k)])];
            wi += 1;
        }
        // Binary weights: S1 = sum of squared weights = W.
        double mean = 0;
        double sd = 0;
        double m = n; // number of values the moments are taken over
        if (include_self) {
            mean = sum / n;
            sd = std::sqrt(std::max(0.0, sum2 / n - mean * mean));
        } else {
            m = n - 1;
            mean = (sum - values[i]) / m;
            sd = std::sqrt(std::max(0.0, (sum2 - values[i] * values[i]) / m - mean * mean));
        }
        const double denom = sd * std::sqrt((m * wi - wi * wi) / (m - 1));
        if (wi > 0 && denom > 0 && std::isfinite(denom)) {
            z[i] = (lag - mean * wi) / denom;
        }
    }
    return z;
}

namespace {

std::uint64_t splitmix64(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

} // namespace

std::vector<double> permutation_p(const std::vector<double>& values, const Neighbours& w, int permutations,
                                  std::uint64_t seed, int threads) {
    const std::size_t n = values.size();
    std::vector<double> p(n, std::numeric_limits<double>::quiet_NaN());
    if (n < 2 || permutations < 1) {
        return p;
    }
    auto work = [&](std::size_t begin, std::size_t end) {
        std::vector<std::size_t> drawn;
        for (std::size_t i = begin; i < end; ++i) {
            double observed = 0;
            std::size_t k = 0; // neighbours other than i
            for (auto e = w.offset[i]; e < w.offset[i + 1]; ++e) {
                const auto j = static_cast<std::size_t>(w.index[static_cast<std::size_t>(e)]);
                observed += values[j];
                k += j != i ? 1 : 0;
            }
            if (k == 0 || k >= n) {
                continue;
            }
            std::uint64_t state = seed ^ (0xD1B54A32D192ED03ULL * (i + 1));
            int above = 0;
            int below = 0;
            for (int r = 0; r < permutations; ++r) {
                double sum = values[i];
                drawn.clear();
                while (drawn.size() < k) {
                    // An index among the n - 1 others: skip i.
                    auto j = static_cast<std::size_t>(splitmix64(state) % (n - 1));
                    if (j >= i) {
                        ++j;
                    }
                    if (std::find(drawn.begin(), drawn.end(), j) != drawn.end()) {
                        continue;
                    }
                    drawn.push_back(j);
                    sum += values[j];
                }
                above += sum >= observed - 1e-12 ? 1 : 0;
                below += sum <= observed + 1e-12 ? 1 : 0;
            }
            p[i] = std::min(1.0, 2.0 * (std::min(above, below) + 1) / (permutations + 1.0));
        }
    };
    threads = std::max(1, std::min(threads, static_cast<int>(n / 1000) + 1));
    std::vector<std::thread> pool;
    const std::size_t chunk = (n + static_cast<std::size_t>(threads) - 1) / static_cast<std::size_t>(threads);
    for (int t = 1; t < threads; ++t) {
        const std::size_t b = std::min(n, static_cast<std::size_t>(t) * chunk);
        pool.emplace_back(work, b, std::min(n, b + chunk));
    }
    work(0, std::min(n, chunk));
    for (auto& th : pool) {
        th.join();
    }
    return p;
}

std::vector<double> two_sided_p(const std::vector<double>& z) {
    std::vector<double> p(z.size());
    std::transform(z.begin(), z.end(), p.begin(), [](double v) { return std::erfc(std::fabs(v) / std::sqrt(2.0)); });
    return p;
}

std::vector<double> benjamini_hochberg(const std::vector<double>& p) {
    std::vector<std::size_t> order;
    order.reserve(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (!std::isnan(p[i])) {
            order.push_back(i);
        }
    }
    std::sort(order.begin(), order.end(), [&p](std::size_t a, std::size_t b) { return p[a] < p[b]; });
    const auto m = static_cast<double>(order.size());
    std::vector<double> q(p.size(), std::numeric_limits<double>::quiet_NaN());
    double running = 1.0;
    for (std::size_t k = order.size(); k-- > 0;) {
        const double adjusted = p[order[k]] * m / static_cast<double>(k + 1);
        running = std::min(running, adjusted);
        q[order[k]] = running;
    }
    return q;
}

int confidence_bin(double z, double q) noexcept {
    if (std::isnan(z) || std::isnan(q)) {
        return 0;
    }
    const int level = q <= 0.01 ? 3 : q <= 0.05 ? 2 : q <= 0.10 ? 1 : 0;
    return z > 0 ? level : -level;
}

} // namespace hotref::hotspot
