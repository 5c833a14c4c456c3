// Statistical disclosure control (publish/sdc): record keys, the perturbation table,
// the audit (against brute-force enumeration of integer tables) and protection.

#include "publish/sdc.hpp"

#include <doctest/doctest.h>
#include <glpk.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace sdc = hotref::publish::sdc;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

sdc::CellKey key_of(std::uint8_t k) {
    sdc::CellKey key;
    key.add(k);
    return key;
}

/// A rows x cols table of counts with row totals, column totals and a grand total that is
/// both the sum of the row totals and the sum of the column totals.
struct Grid {
    sdc::Table table;
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<std::size_t> inner; // [r * cols + c]
    std::vector<std::size_t> row_total;
    std::vector<std::size_t> col_total;
    std::size_t grand = 0;

    [[nodiscard]] std::size_t at(std::size_t r, std::size_t c) const { return inner[r * cols + c]; }
};

Grid make_grid(const std::vector<std::vector<double>>& v, const std::vector<std::uint8_t>& keys = {}) {
    Grid g;
    g.rows = v.size();
    g.cols = v.front().size();
    std::size_t next_key = 0;
    const auto key = [&] { return keys.empty() ? sdc::CellKey{} : key_of(keys[next_key++ % keys.size()]); };
    for (const auto& row : v) {
        for (double x : row) {
            g.inner.push_back(g.table.add(x, key()));
        }
    }
    double grand = 0;
    for (std::size_t r = 0; r < g.rows; ++r) {
        double s = 0;
        for (std::size_t c = 0; c < g.cols; ++c) {
            s += v[r][c];
        }
        grand += s;
        g.row_total.push_back(g.table.add(s, key()));
    }
    for (std::size_t c = 0; c < g.cols; ++c) {
        double s = 0;
        for (std::size_t r = 0; r < g.rows; ++r) {
            s += v[r][c];
        }
        g.col_total.push_back(g.table.add(s, key()));
    }
    g.grand = g.table.add(grand, key());
    for (std::size_t r = 0; r < g.rows; ++r) {
        std::vector<std::size_t> parts;
        for (std::size_t c = 0; c < g.cols; ++c) {
            parts.push_back(g.at(r, c));
        }
        g.table.add_margin(g.row_total[r], parts);
    }
    for (std::size_t c = 0; c < g.cols; ++c) {
        std::vector<std::size_t> parts;
        for (std::size_t r = 0; r < g.rows; ++r) {
            parts.push_back(g.at(r, c));
        }
        g.table.add_margin(g.col_total[c], parts);
    }
    g.table.add_margin(g.grand, g.row_total);
    g.table.add_margin(g.grand, g.col_total);
    return g;
}

struct Range {
    long lo = 0;
    long hi = 0;
};

/// What an attacker sees of a published cell, written out here from the specification (not
/// from PTable): [value, value] when exact, else [max(T, p - D), p + D] and [0, 0] for p = 0.
Range seen(const sdc::Cell& c, bool perturbed, int threshold, int max_noise) {
    if (!perturbed) {
        return {std::lround(c.value), std::lround(c.value)};
    }
    const long p = std::lround(c.published);
    if (p == 0) {
        return {0, 0};
    }
    return {std::max<long>(threshold, p - max_noise), p + max_noise};
}

/// Brute force: every integer completion of the inner cells (withheld: 0..cap; published: their
/// range), totals computed as sums and kept when they fall in their published ranges. Returns the
/// min and max each cell takes over all completions (inner and totals). The grand total must be
/// published so that every inner cell is bounded.
std::vector<Range> brute_force(const Grid& g, bool perturbed, int threshold = 5, int max_noise = 2) {
    const auto& cells = g.table.cells;
    REQUIRE_FALSE(cells[g.grand].withheld);
    std::vector<Range> range(cells.size());
    std::vector<char> fixed(cells.size(), 0);
    for (std::size_t i = 0; i < cells.size(); ++i) {
        if (!cells[i].withheld) {
            range[i] = seen(cells[i], perturbed, threshold, max_noise);
            fixed[i] = 1;
        }
    }
    const long cap = range[g.grand].hi;
    const std::size_t n_inner = g.inner.size();
    std::vector<long> x(n_inner, 0);
    std::vector<long> row_sum(g.rows, 0);
    std::vector<long> col_sum(g.cols, 0);
    std::vector<long> mn(cells.size(), std::numeric_limits<long>::max());
    std::vector<long> mx(cells.size(), std::numeric_limits<long>::min());
    const auto upper_of = [&](std::size_t cell) { return fixed[cell] ? range[cell].hi : cap; };
    std::size_t completions = 0;
    std::function<void(std::size_t, long)> go = [&](std::size_t i, long total) {
        if (i == n_inner) {
            for (std::size_t r = 0; r < g.rows; ++r) {
                const std::size_t t = g.row_total[r];
                if (fixed[t] && (row_sum[r] < range[t].lo || row_sum[r] > range[t].hi)) {
                    return;
                }
            }
            for (std::size_t c = 0; c < g.cols; ++c) {
                const std::size_t t = g.col_total[c];
                if (fixed[t] && (col_sum[c] < range[t].lo || col_sum[c] > range[t].hi)) {
                    return;
                }
            }
            if (total < range[g.grand].lo || total > range[g.grand].hi) {
                return;
            }
            ++completions;
            const auto note = [&](std::size_t cell, long value) {
                mn[cell] = std::min(mn[cell], value);
                mx[cell] = std::max(mx[cell], value);
            };
            for (std::size_t k = 0; k < n_inner; ++k) {
                note(g.inner[k], x[k]);
            }
            for (std::size_t r = 0; r < g.rows; ++r) {
                note(g.row_total[r], row_sum[r]);
            }
            for (std::size_t c = 0; c < g.cols; ++c) {
                note(g.col_total[c], col_sum[c]);
            }
            note(g.grand, total);
            return;
        }
        const std::size_t r = i / g.cols;
        const std::size_t c = i % g.cols;
        const std::size_t cell = g.inner[i];
        const long from = fixed[cell] ? range[cell].lo : 0;
        const long to = fixed[cell] ? range[cell].hi : cap;
        for (long v = from; v <= to; ++v) {
            // Sums only grow: stop as soon as a published total is exceeded.
            if (row_sum[r] + v > upper_of(g.row_total[r]) || col_sum[c] + v > upper_of(g.col_total[c]) ||
                total + v > cap) {
                break;
            }
            x[i] = v;
            row_sum[r] += v;
            col_sum[c] += v;
            go(i + 1, total + v);
            row_sum[r] -= v;
            col_sum[c] -= v;
        }
    };
    go(0, 0);
    REQUIRE(completions > 0); // the true table is one
    std::vector<Range> out(cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) {
        out[i] = fixed[i] ? range[i] : Range{mn[i], mx[i]};
    }
    return out;
}

void check_against_brute_force(const Grid& g, bool perturbed) {
    const sdc::PTable pt{5, 2};
    const auto got = sdc::audit(g.table, pt, perturbed);
    const auto want = brute_force(g, perturbed);
    REQUIRE(got.size() == g.table.cells.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        CAPTURE(g.table.cells[i].value);
        CAPTURE(g.table.cells[i].withheld);
        CHECK(got[i].lo == doctest::Approx(static_cast<double>(want[i].lo)).epsilon(1e-9));
        CHECK(got[i].hi == doctest::Approx(static_cast<double>(want[i].hi)).epsilon(1e-9));
    }
}

bool primary_small(double v, int threshold) { return v > 0 && v < threshold; }

} // namespace

// ---------------------------------------------------------------------------
// Record keys
// ---------------------------------------------------------------------------

TEST_CASE("sdc: record_key is the first byte of HMAC-SHA-256 (RFC 4231 test vectors)") {
    // RFC 4231 test case 2: HMAC-SHA-256 = 5bdcc146bf60754e6a042426089575c7...
    CHECK(sdc::record_key("Jefe", "what do ya want for nothing?") == 0x5b);
    // Test case 1: key 20 x 0x0b, "Hi There" -> b0344c61d8db38535ca8afceaf0bf12b...
    CHECK(sdc::record_key(std::string(20, '\x0b'), "Hi There") == 0xb0);
    // A different secret or identity gives an unrelated key (these two happen to differ).
    CHECK(sdc::record_key("Jefe", "what do ya want for nothing!") != 0x5b);

    sdc::CellKey k;
    k.add(std::uint8_t{200});
    k.add(std::uint8_t{100});
    CHECK(k.value() == 44); // 300 mod 256
    sdc::CellKey other;
    other.add(std::uint8_t{250});
    k.add(other);
    CHECK(k.value() == 38); // 294 mod 256
}

// ---------------------------------------------------------------------------
// The perturbation table
// ---------------------------------------------------------------------------

TEST_CASE("sdc: perturbation is deterministic, bounded, >= threshold, mean zero and varies with the key") {
    for (const sdc::PTable pt : {sdc::PTable{5, 2}, sdc::PTable{10, 3}, sdc::PTable{3, 1}, sdc::PTable{5, 0}}) {
        CAPTURE(pt.threshold);
        CAPTURE(pt.max_noise);
        CHECK(pt.perturb(0, 17) == 0);
        CHECK(pt.lower(0) == 0);
        CHECK(pt.upper(0) == 0);
        CHECK_THROWS_AS((void)pt.perturb(pt.threshold - 1, 0), std::invalid_argument);
        CHECK_THROWS_AS((void)pt.perturb(-1, 0), std::invalid_argument);
        for (std::int64_t v = pt.threshold; v <= pt.threshold + 60; ++v) {
            CAPTURE(v);
            std::set<std::int64_t> noises;
            std::int64_t sum = 0;
            for (int key = 0; key < 256; ++key) {
                const auto k = static_cast<std::uint8_t>(key);
                const std::int64_t p = pt.perturb(v, k);
                CHECK(p == pt.perturb(v, k)); // same key, same value
                CHECK(std::abs(p - v) <= pt.max_noise);
                CHECK(p >= pt.threshold);
                // The attacker's bounds hold the truth ...
                CHECK(pt.lower(static_cast<double>(p)) <= static_cast<double>(v));
                CHECK(pt.upper(static_cast<double>(p)) >= static_cast<double>(v));
                noises.insert(p - v);
                sum += p - v;
            }
            if (v > pt.threshold) {
                // Mean zero wherever the noise can go down at all (the header's promise; the
                // specification asks it from threshold + max_noise on).
                CHECK(std::abs(static_cast<double>(sum) / 256.0) < 0.02);
            } else if (pt.max_noise > 0) {
                CHECK(sum > 0); // v = threshold: the noise cannot be negative, so the mean is not zero
            }
            if (v >= pt.threshold + pt.max_noise) {
                CHECK(noises.size() == static_cast<std::size_t>(2 * pt.max_noise + 1)); // the whole range is used
            }
            if (pt.max_noise > 0) {
                CHECK(noises.size() > 1); // the noise is not always 0
            }
        }
        // ... and are tight: both ends of [lower(p), upper(p)] can give p.
        for (std::int64_t p = pt.threshold; p <= pt.threshold + 40; ++p) {
            CAPTURE(p);
            const auto gives = [&](double v) {
                for (int key = 0; key < 256; ++key) {
                    if (pt.perturb(static_cast<std::int64_t>(v), static_cast<std::uint8_t>(key)) == p) {
                        return true;
                    }
                }
                return false;
            };
            CHECK(gives(pt.lower(static_cast<double>(p))));
            CHECK(gives(pt.upper(static_cast<double>(p))));
        }
    }
    const sdc::PTable no_threshold{0, 2};
    const sdc::PTable negative_noise{5, -1};
    CHECK_THROWS_AS((void)no_threshold.perturb(5, 0), std::invalid_argument);
    CHECK_THROWS_AS((void)negative_noise.perturb(5, 0), std::invalid_argument);
}

TEST_CASE("sdc: the default table has the 0.1 / 0.2 / 0.4 / 0.2 / 0.1 shape away from the threshold") {
    const sdc::PTable pt{5, 2};
    std::vector<int> count(5, 0);
    for (int key = 0; key < 256; ++key) {
        ++count[static_cast<std::size_t>(pt.perturb(50, static_cast<std::uint8_t>(key)) - 50 + 2)];
    }
    const double shape[] = {0.1, 0.2, 0.4, 0.2, 0.1};
    for (std::size_t i = 0; i < 5; ++i) {
        CAPTURE(i);
        CHECK(std::abs(count[i] - 256 * shape[i]) <= 1.0);
    }
    // Neighbouring cell keys mostly give the same noise (a key picks from the cumulative distribution).
    int changes = 0;
    for (int key = 1; key < 256; ++key) {
        changes += pt.perturb(50, static_cast<std::uint8_t>(key)) != pt.perturb(50, static_cast<std::uint8_t>(key - 1));
    }
    CHECK(changes == 4);
}

// ---------------------------------------------------------------------------
// The audit
// ---------------------------------------------------------------------------

TEST_CASE("sdc: audit of a 3x3 table with exact totals matches brute-force enumeration") {
    const std::vector<std::vector<double>> v{{1, 6, 8}, {7, 2, 9}, {10, 11, 3}};
    SUBCASE("the diagonal withheld: each cell is total minus the published rest") {
        Grid g = make_grid(v);
        for (std::size_t i = 0; i < 3; ++i) {
            g.table.cells[g.at(i, i)].withheld = true;
        }
        const auto iv = sdc::audit(g.table, sdc::PTable{}, false);
        CHECK(iv[g.at(0, 0)].lo == 1);
        CHECK(iv[g.at(0, 0)].hi == 1);
        check_against_brute_force(g, false);
    }
    SUBCASE("a 2x2 rectangle withheld") {
        Grid g = make_grid(v);
        for (std::size_t cell : {g.at(0, 0), g.at(0, 1), g.at(1, 0), g.at(1, 1)}) {
            g.table.cells[cell].withheld = true;
        }
        const auto iv = sdc::audit(g.table, sdc::PTable{}, false);
        // x00 + x01 = 7, x00 + x10 = 8, x01 + x11 = 17, x10 + x11 = 9: x00 in [0, 7].
        CHECK(iv[g.at(0, 0)].lo == 0);
        CHECK(iv[g.at(0, 0)].hi == 7);
        check_against_brute_force(g, false);
    }
    SUBCASE("cells and totals withheld") {
        Grid g = make_grid(v);
        for (std::size_t cell : {g.at(0, 0), g.at(1, 1), g.at(2, 2), g.at(0, 2), g.row_total[1], g.col_total[0]}) {
            g.table.cells[cell].withheld = true;
        }
        check_against_brute_force(g, false);
    }
}

TEST_CASE("sdc: audit matches brute force on random 3x3 tables with random withheld cells") {
    std::mt19937 rng(4231);
    std::uniform_int_distribution<int> value(0, 9);
    std::bernoulli_distribution inner_withheld(0.4);
    std::bernoulli_distribution total_withheld(0.25);
    for (int trial = 0; trial < 40; ++trial) {
        CAPTURE(trial);
        std::vector<std::vector<double>> v(3, std::vector<double>(3));
        for (auto& row : v) {
            for (double& x : row) {
                x = value(rng);
            }
        }
        Grid g = make_grid(v);
        int withheld = 0;
        for (std::size_t cell : g.inner) {
            if (withheld < 5 && inner_withheld(rng)) {
                g.table.cells[cell].withheld = true;
                ++withheld;
            }
        }
        for (std::size_t cell : g.row_total) {
            g.table.cells[cell].withheld = total_withheld(rng);
        }
        for (std::size_t cell : g.col_total) {
            g.table.cells[cell].withheld = total_withheld(rng);
        }
        check_against_brute_force(g, false);
    }
}

TEST_CASE("sdc: audit with perturbed publication matches brute force (2x3 tables)") {
    // Published figures known only to within [max(5, p - 2), p + 2]: the brute force ranges
    // over those too. Values are 0 or >= 5 where published, as protect() would publish them.
    std::mt19937 rng(2021);
    std::uniform_int_distribution<int> big(5, 12);
    std::uniform_int_distribution<int> small(1, 4);
    std::uniform_int_distribution<int> noise(-2, 2);
    std::uniform_int_distribution<int> kind(0, 3);
    for (int trial = 0; trial < 12; ++trial) {
        CAPTURE(trial);
        std::vector<std::vector<double>> v(2, std::vector<double>(3));
        for (auto& row : v) {
            for (double& x : row) {
                const int k = kind(rng);
                x = k == 0 ? 0 : k == 1 ? small(rng) : big(rng);
            }
        }
        Grid g = make_grid(v);
        for (auto& c : g.table.cells) {
            if (primary_small(c.value, 5)) {
                c.withheld = true;
            } else if (c.value > 0) {
                c.published = std::max(5.0, c.value + noise(rng)); // any p the table could give
            }
        }
        if (!g.table.cells[g.grand].withheld) {
            check_against_brute_force(g, true);
        }
    }
}

TEST_CASE("sdc: audit of a single margin (the closed form) matches brute force") {
    // total = 4 parts, perturbed or exact publication, random withheld cells.
    std::mt19937 rng(4);
    std::uniform_int_distribution<int> value(0, 12);
    std::uniform_int_distribution<int> noise(-2, 2);
    std::bernoulli_distribution withhold(0.3);
    for (int trial = 0; trial < 60; ++trial) {
        CAPTURE(trial);
        const bool perturbed = trial % 2 == 0;
        sdc::Table t;
        std::vector<std::size_t> parts;
        double sum = 0;
        for (int i = 0; i < 4; ++i) {
            const double v = value(rng);
            parts.push_back(t.add(v));
            sum += v;
        }
        const auto total = t.add(sum);
        t.add_margin(total, parts);
        for (auto& c : t.cells) {
            c.withheld = primary_small(c.value, 5) || withhold(rng);
            if (!c.withheld && c.value > 0) {
                c.published = std::max(5.0, c.value + noise(rng));
            }
        }
        if (t.cells[total].withheld) {
            continue; // then nothing bounds the withheld parts: [0, inf), checked elsewhere
        }
        // A withheld part lies in 0 .. the total's upper bound; a published one in what is seen of it.
        const Range tr = seen(t.cells[total], perturbed, 5, 2);
        std::vector<Range> range(t.cells.size());
        for (std::size_t p : parts) {
            range[p] = t.cells[p].withheld ? Range{0, tr.hi} : seen(t.cells[p], perturbed, 5, 2);
        }
        std::vector<long> mn(t.cells.size(), std::numeric_limits<long>::max());
        std::vector<long> mx(t.cells.size(), std::numeric_limits<long>::min());
        std::vector<long> x(4);
        for (x[0] = range[parts[0]].lo; x[0] <= range[parts[0]].hi; ++x[0]) {
            for (x[1] = range[parts[1]].lo; x[1] <= range[parts[1]].hi; ++x[1]) {
                for (x[2] = range[parts[2]].lo; x[2] <= range[parts[2]].hi; ++x[2]) {
                    for (x[3] = range[parts[3]].lo; x[3] <= range[parts[3]].hi; ++x[3]) {
                        const long s = x[0] + x[1] + x[2] + x[3];
                        if (s < tr.lo || s > tr.hi) {
                            continue;
                        }
                        for (std::size_t i = 0; i < 4; ++i) {
                            mn[parts[i]] = std::min(mn[parts[i]], x[i]);
                            mx[parts[i]] = std::max(mx[parts[i]], x[i]);
                        }
                    }
                }
            }
        }
        const auto iv = sdc::audit(t, sdc::PTable{5, 2}, perturbed);
        for (std::size_t p : parts) {
            if (t.cells[p].withheld) {
                CAPTURE(p);
                REQUIRE(mn[p] <= mx[p]);
                CHECK(iv[p].lo == static_cast<double>(mn[p]));
                CHECK(iv[p].hi == static_cast<double>(mx[p]));
            }
        }
    }
}

TEST_CASE("sdc: audit handles cells in no margin, unbounded components and inconsistent margins") {
    const sdc::PTable pt{5, 2};
    SUBCASE("a withheld cell in no margin, and a margin whose every cell is withheld") {
        sdc::Table t;
        const auto lone = t.add(3);
        const auto a = t.add(2);
        const auto b = t.add(9);
        const auto ab = t.add(11);
        t.add_margin(ab, {a, b});
        for (auto c : {lone, a, b, ab}) {
            t.cells[c].withheld = true;
        }
        const auto iv = sdc::audit(t, pt, false);
        for (auto c : {lone, a, b, ab}) {
            CHECK(iv[c].lo == 0);
            CHECK(iv[c].hi == kInf);
        }
    }
    SUBCASE("unbounded through two margins (the LP path)") {
        sdc::Table t;
        const auto a = t.add(2);
        const auto b = t.add(9);
        const auto ab = t.add(11);
        const auto c = t.add(6);
        const auto all = t.add(17);
        t.add_margin(ab, {a, b});
        t.add_margin(all, {ab, c});
        for (auto x : {a, b, ab, all}) {
            t.cells[x].withheld = true;
        }
        const auto iv = sdc::audit(t, pt, false);
        CHECK(iv[a].hi == kInf);
        CHECK(iv[ab].hi == kInf);
        CHECK(iv[all].lo == 6); // at least the published part
        CHECK(iv[all].hi == kInf);
        CHECK(iv[c].lo == 6);
        CHECK(iv[c].hi == 6);
        // Publishing the grand total bounds everything.
        t.cells[all].withheld = false;
        const auto bounded = sdc::audit(t, pt, false);
        CHECK(bounded[a].lo == 0);
        CHECK(bounded[a].hi == 11);
        CHECK(bounded[ab].lo == 11);
        CHECK(bounded[ab].hi == 11);
    }
    SUBCASE("an unbounded cell's exact minimum after a bounded cell's solution (the LP path)") {
        // c = a + d with c published bounds a and d (0 to 10); t = a + f + g, with f withheld
        // and g published, is unbounded above with minimum 5. audit() gives exact ranges: a
        // solution seen along the way (a at 10, t at 15 or more) never stands in for t's minimum.
        sdc::Table t;
        const auto a = t.add(4);
        const auto d = t.add(6);
        const auto c = t.add(10);
        const auto f = t.add(2);
        const auto g = t.add(5);
        const auto total = t.add(11);
        t.add_margin(c, {a, d});
        t.add_margin(total, {a, f, g});
        for (auto x : {a, d, f, total}) {
            t.cells[x].withheld = true;
        }
        const auto iv = sdc::audit(t, pt, false);
        CHECK(iv[a].lo == 0);
        CHECK(iv[a].hi == 10);
        CHECK(iv[d].lo == 0);
        CHECK(iv[d].hi == 10);
        CHECK(iv[f].lo == 0);
        CHECK(iv[f].hi == kInf);
        CHECK(iv[total].lo == 5);
        CHECK(iv[total].hi == kInf);
    }
    SUBCASE("a total smaller than its published parts") {
        sdc::Table one;
        const auto t1 = one.add(5);
        const auto p1 = one.add(7);
        const auto w1 = one.add(2);
        one.add_margin(t1, {p1, w1});
        one.cells[w1].withheld = true;
        CHECK_THROWS_AS(sdc::audit(one, pt, false), std::invalid_argument);

        sdc::Table two = one;
        const auto up = two.add(30);
        const auto other = two.add(25);
        two.add_margin(up, {t1, other});
        CHECK_THROWS_AS(sdc::audit(two, pt, false), std::invalid_argument);
    }
    CHECK_THROWS_AS(sdc::Table{}.add_margin(0, {}), std::invalid_argument);
}

TEST_CASE("sdc: a single margin with 20,000 parts, most withheld, audits in well under a second") {
    sdc::Table t;
    std::vector<std::size_t> parts;
    double total = 0;
    double withheld_sum = 0;
    for (int i = 0; i < 20000; ++i) {
        const double v = i % 10 == 0 ? 7 : 1 + i % 4;
        parts.push_back(t.add(v));
        total += v;
        if (v < 5) {
            withheld_sum += v;
            t.cells[parts.back()].withheld = true;
        }
    }
    const auto top = t.add(total);
    t.add_margin(top, parts);
    const auto start = std::chrono::steady_clock::now();
    const auto iv = sdc::audit(t, sdc::PTable{}, false);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    MESSAGE("audit of 20,000 parts: " << took.count() << " s");
    CHECK(took.count() < 0.5);
    // Each withheld part: at least 0 (the other withheld ones can hold everything), at most the
    // total less the published parts.
    CHECK(iv[parts[1]].lo == 0);
    CHECK(iv[parts[1]].hi == withheld_sum);
    CHECK(iv[parts[0]].lo == 7);
    CHECK(iv[parts[0]].hi == 7);
}

// ---------------------------------------------------------------------------
// Protection
// ---------------------------------------------------------------------------

TEST_CASE("sdc: the classic attack - an exact total, one visible part, two withheld parts") {
    sdc::Table t;
    const auto total = t.add(7);
    const auto five = t.add(5);
    const auto a = t.add(1);
    const auto b = t.add(1);
    t.add_margin(total, {five, a, b});
    const sdc::PTable pt{5, 2};

    // As the attacker: the two withheld parts add up to 7 - 5 = 2.
    t.cells[a].withheld = true;
    t.cells[b].withheld = true;
    const auto before = sdc::audit(t, pt, false);
    CHECK(before[a].lo == 0);
    CHECK(before[a].hi == 2);
    CHECK(before[a].width() < pt.threshold);

    const auto prot = sdc::protect(t, pt, false);
    CHECK(prot.primary == 2);
    CHECK(prot.secondary == 1);
    CHECK(prot.perturbed == 0);
    CHECK(prot.unprotected == 0);
    CHECK(t.cells[five].withheld); // the smallest published part
    CHECK(t.cells[five].secondary);
    CHECK_FALSE(t.cells[a].secondary);
    CHECK_FALSE(t.cells[total].withheld);
    CHECK(t.cells[total].published == 7);
    const auto after = sdc::audit(t, pt, false);
    for (auto c : {five, a, b}) {
        CHECK(after[c].width() >= pt.threshold);
    }
}

TEST_CASE("sdc: protect prefers a non-zero part to a zero part or the total") {
    sdc::Table t;
    const auto total = t.add(20);
    const auto zero = t.add(0);
    const auto small = t.add(3);
    const auto nine = t.add(9);
    const auto eight = t.add(8);
    t.add_margin(total, {zero, small, nine, eight});
    const auto prot = sdc::protect(t, sdc::PTable{5, 2}, false);
    CHECK(prot.primary == 1);
    CHECK(prot.secondary == 1);
    CHECK(t.cells[eight].withheld);
    CHECK_FALSE(t.cells[zero].withheld);
    CHECK_FALSE(t.cells[nine].withheld);
    CHECK_FALSE(t.cells[total].withheld);
    CHECK(std::isnan(t.cells[small].published));
}

TEST_CASE("sdc: protect on random 2-D tables leaves every withheld cell at least threshold wide") {
    std::mt19937 rng(1);
    std::uniform_int_distribution<std::size_t> dim(2, 6);
    std::uniform_int_distribution<int> kind(0, 19);
    std::uniform_int_distribution<int> small(1, 4);
    std::uniform_int_distribution<int> medium(5, 20);
    std::uniform_int_distribution<int> byte(0, 255);
    const sdc::PTable pt{5, 2};
    std::int64_t secondaries = 0;
    for (int trial = 0; trial < 80; ++trial) {
        const bool perturb = trial % 2 == 0;
        CAPTURE(trial);
        std::vector<std::vector<double>> v(dim(rng), std::vector<double>(dim(rng)));
        for (auto& row : v) {
            for (double& x : row) {
                const int k = kind(rng);
                x = k < 5 ? 0 : k < 12 ? small(rng) : medium(rng);
            }
        }
        std::vector<std::uint8_t> keys(97);
        for (auto& k : keys) {
            k = static_cast<std::uint8_t>(byte(rng));
        }
        Grid g = make_grid(v, keys);
        const auto prot = sdc::protect(g.table, pt, perturb);
        CHECK(prot.unprotected == 0);
        secondaries += prot.secondary;
        std::int64_t primary = 0;
        std::int64_t secondary = 0;
        std::int64_t perturbed = 0;
        for (const auto& c : g.table.cells) {
            if (primary_small(c.value, pt.threshold)) {
                ++primary;
                CHECK(c.withheld);
                CHECK_FALSE(c.secondary);
            }
            if (c.secondary) {
                ++secondary;
                CHECK(c.withheld);
            }
            if (!c.withheld) {
                if (c.value == 0) {
                    CHECK(c.published == 0);
                } else if (perturb) {
                    CHECK(std::abs(c.published - c.value) <= pt.max_noise);
                    CHECK(c.published >= pt.threshold);
                } else {
                    CHECK(c.published == c.value);
                }
                perturbed += c.published != c.value;
            }
        }
        CHECK(prot.primary == primary);
        CHECK(prot.secondary == secondary);
        CHECK(prot.perturbed == perturbed);
        const auto iv = sdc::audit(g.table, pt, perturb);
        for (std::size_t i = 0; i < iv.size(); ++i) {
            if (g.table.cells[i].withheld) {
                CAPTURE(i);
                CHECK(iv[i].width() >= pt.threshold);
                CHECK(iv[i].lo <= g.table.cells[i].value); // the truth is always feasible
                CHECK(iv[i].hi >= g.table.cells[i].value);
            }
        }
        // Small exact tables with the grand total published: the brute force agrees the
        // withheld cells are wide enough.
        if (!perturb && g.rows * g.cols <= 6 && !g.table.cells[g.grand].withheld) {
            const auto want = brute_force(g, false);
            for (std::size_t i = 0; i < want.size(); ++i) {
                if (g.table.cells[i].withheld) {
                    CHECK(want[i].hi - want[i].lo >= pt.threshold);
                }
            }
        }
    }
    CHECK(secondaries > 0); // the tables did need complementary suppression
}

TEST_CASE("sdc: protect on hierarchies (scheme = sum of hotspots, hotspot = sum of months)") {
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> hotspots(2, 8);
    std::uniform_int_distribution<int> months(2, 12);
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_int_distribution<int> small(1, 4);
    std::uniform_int_distribution<int> medium(5, 15);
    std::uniform_int_distribution<int> byte(0, 255);
    const sdc::PTable pt{5, 2};
    for (int trial = 0; trial < 40; ++trial) {
        const bool perturb = trial % 2 == 1;
        CAPTURE(trial);
        sdc::Table t;
        const auto scheme = t.add(0);
        std::vector<std::size_t> totals;
        double scheme_sum = 0;
        const int h = hotspots(rng);
        for (int s = 0; s < h; ++s) {
            std::vector<std::size_t> parts;
            double sum = 0;
            const int m = months(rng);
            for (int k = 0; k < m; ++k) {
                const int which = kind(rng);
                const double v = which < 3 ? 0 : which < 7 ? small(rng) : medium(rng);
                parts.push_back(t.add(v, key_of(static_cast<std::uint8_t>(byte(rng)))));
                sum += v;
            }
            totals.push_back(t.add(sum, key_of(static_cast<std::uint8_t>(byte(rng)))));
            t.add_margin(totals.back(), parts);
            scheme_sum += sum;
        }
        t.cells[scheme].value = scheme_sum;
        t.cells[scheme].key = key_of(static_cast<std::uint8_t>(byte(rng)));
        t.add_margin(scheme, totals);
        const auto prot = sdc::protect(t, pt, perturb);
        CHECK(prot.unprotected == 0);
        const auto iv = sdc::audit(t, pt, perturb);
        for (std::size_t i = 0; i < iv.size(); ++i) {
            if (t.cells[i].withheld) {
                CAPTURE(i);
                CHECK(iv[i].width() >= pt.threshold);
            }
        }
    }
}

TEST_CASE("sdc: protect perturbs with the cell key and rejects counts it cannot publish") {
    sdc::Table t;
    const auto a = t.add(40, key_of(0));
    const auto b = t.add(40, key_of(128));
    const auto c = t.add(40, key_of(255));
    const auto prot = sdc::protect(t, sdc::PTable{5, 2}, true);
    CHECK(t.cells[a].published == 38); // the lowest keys take the most negative noise
    CHECK(t.cells[b].published == 40);
    CHECK(t.cells[c].published == 42);
    CHECK(prot.perturbed == 2);

    sdc::Table frac;
    frac.add(7.5);
    CHECK_THROWS_AS(sdc::protect(frac, sdc::PTable{}, true), std::invalid_argument);
    CHECK_NOTHROW(sdc::protect(frac, sdc::PTable{}, false));
    sdc::Table neg;
    neg.add(-1);
    CHECK_THROWS_AS(sdc::protect(neg, sdc::PTable{}, false), std::invalid_argument);
}

TEST_CASE("sdc: protect reaches past a margin that is withheld whole") {
    // tA = a1 + a2 is withheld whole (1, 3 and 4 are all small); S = tA + b is published
    // exactly, so tA = 14 - 10 = 4 and a1 <= 4. Only withholding b protects them.
    sdc::Table t;
    const auto a1 = t.add(1);
    const auto a2 = t.add(3);
    const auto ta = t.add(4);
    const auto b = t.add(10);
    const auto s = t.add(14);
    t.add_margin(ta, {a1, a2});
    t.add_margin(s, {ta, b});
    const sdc::PTable pt{5, 2};
    const auto prot = sdc::protect(t, pt, false);
    CHECK(prot.primary == 3);
    CHECK(prot.secondary == 1);
    CHECK(prot.unprotected == 0);
    CHECK(t.cells[b].secondary);
    CHECK_FALSE(t.cells[s].withheld);
    const auto iv = sdc::audit(t, pt, false);
    for (auto c : {a1, a2, ta, b}) {
        CHECK(iv[c].lo == 0);
        CHECK(iv[c].hi == 14);
    }
}

TEST_CASE("sdc: a pinned cell shows the figure published elsewhere, is never a complement, and bounds the audit") {
    // total = a + b + c, published exactly; a = 3 is withheld (primary). The cheapest complement
    // would be b (the smallest part), but b is pinned to what another output published: c must
    // be withheld. (With perturbed figures no complement is needed at all: the boxes of the
    // total, b and c already leave a 12 wide.)
    sdc::Table t;
    const auto a = t.add(3), b = t.add(6), c = t.add(40), total = t.add(49);
    t.add_margin(total, {a, b, c});
    t.cells[b].pinned = true;
    t.cells[b].pinned_value = 7; // the layers' figure (true 6, noise +1)
    const sdc::PTable pt{5, 2};
    const auto p = sdc::protect(t, pt, false);
    CHECK(p.primary == 1);
    CHECK(t.cells[a].withheld);
    CHECK_FALSE(t.cells[b].withheld);
    CHECK(t.cells[b].published == 7);
    CHECK(t.cells[c].withheld);
    CHECK(t.cells[c].secondary);
    // Unpinned, the same table takes b as the complement.
    sdc::Table u;
    const auto ua = u.add(3), ub = u.add(6), uc = u.add(40), ut = u.add(49);
    u.add_margin(ut, {ua, ub, uc});
    sdc::protect(u, pt, false);
    CHECK(u.cells[ub].withheld);
    CHECK_FALSE(u.cells[uc].withheld);

    // Pinned to NaN (withheld elsewhere): withheld here too, whatever its value.
    sdc::Table w;
    const auto big = w.add(50);
    w.cells[big].pinned = true;
    sdc::protect(w, pt, true);
    CHECK(w.cells[big].withheld);
    CHECK(std::isnan(w.cells[big].published));

    // A pinned box wider than the ptable's (a sum of perturbed months): the audit uses it.
    sdc::Table x;
    const auto xa = x.add(0), xb = x.add(20), xt = x.add(20);
    x.add_margin(xt, {xa, xb});
    x.cells[xa].withheld = true;
    x.cells[xb].pinned = true;
    x.cells[xb].pinned_value = 21;
    x.cells[xb].pinned_lo = 15;
    x.cells[xb].pinned_hi = 27;
    sdc::protect(x, pt, true);
    x.cells[xa].withheld = true;
    const auto iv = sdc::audit(x, pt, true);
    CHECK(iv[xb].lo == 15);
    CHECK(iv[xb].hi == 27);
}

TEST_CASE("sdc: protect on the layers' shape (hidden place totals of months, grid cells of places, a grand total)") {
    // The table the publication gate builds for a grid run: most withheld months are proved
    // safe by a local LP (a few cells around them free, the rest at their true values); the
    // exact audit of the whole table must agree with every one of those proofs.
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_int_distribution<int> small(1, 4);
    std::uniform_int_distribution<int> medium(5, 40);
    std::uniform_int_distribution<int> byte(0, 255);
    const sdc::PTable pt{5, 2};
    for (int trial = 0; trial < 6; ++trial) {
        CAPTURE(trial);
        const bool perturb = trial % 3 != 2;
        const std::size_t places = 60 + 40 * static_cast<std::size_t>(trial);
        const std::size_t months = 12;
        const std::size_t per_cell = 2 + static_cast<std::size_t>(trial % 4);
        sdc::Table t;
        std::vector<std::size_t> totals;
        std::vector<double> sums;
        for (std::size_t p = 0; p < places; ++p) {
            std::vector<std::size_t> parts;
            double sum = 0;
            sdc::CellKey key;
            for (std::size_t m = 0; m < months; ++m) {
                const int k = kind(rng);
                const double v = k < 4 ? 0 : k < 7 ? small(rng) : medium(rng);
                sdc::CellKey ck;
                ck.add(static_cast<std::uint8_t>(byte(rng)));
                parts.push_back(t.add(v, ck));
                key.add(ck);
                sum += v;
            }
            const std::size_t total = t.add(sum, key);
            t.cells[total].hidden = true;
            t.add_margin(total, parts);
            totals.push_back(total);
            sums.push_back(sum);
        }
        std::vector<std::size_t> cells;
        for (std::size_t p = 0; p < places; p += per_cell) {
            std::vector<std::size_t> parts;
            double sum = 0;
            for (std::size_t q = p; q < std::min(places, p + per_cell); ++q) {
                parts.push_back(totals[q]);
                sum += sums[q];
            }
            cells.push_back(t.add(sum));
            t.add_margin(cells.back(), parts);
        }
        double grand = 0;
        for (const double s : sums) {
            grand += s;
        }
        t.add_margin(t.add(grand), cells);
        const auto prot = sdc::protect(t, pt, perturb);
        CHECK(prot.unprotected == 0);
        CHECK(prot.primary > 0);
        const auto iv = sdc::audit(t, pt, perturb);
        std::size_t checked = 0;
        for (std::size_t i = 0; i < iv.size(); ++i) {
            if (t.cells[i].withheld && !t.cells[i].hidden) {
                CAPTURE(i);
                CHECK(iv[i].width() >= pt.threshold);
                ++checked;
            }
        }
        CHECK(checked >= static_cast<std::size_t>(prot.primary));
    }
}

namespace {

/// The reference for audit(): one linear programme over every cell of the table (no components,
/// no constants taken out, no local proofs), min and max of cell `target` by GLPK's simplex from
/// scratch. Boxes as audit() documents them: withheld [0, inf), published the ptable's box.
sdc::Interval reference_range(const sdc::Table& t, const sdc::PTable& pt, bool perturbed, std::size_t target) {
    struct Del {
        void operator()(glp_prob* p) const noexcept { glp_delete_prob(p); }
    };
    std::unique_ptr<glp_prob, Del> lp{glp_create_prob()};
    const int n = static_cast<int>(t.cells.size());
    glp_add_cols(lp.get(), n);
    for (int j = 1; j <= n; ++j) {
        const sdc::Cell& c = t.cells[static_cast<std::size_t>(j) - 1];
        if (c.withheld) {
            glp_set_col_bnds(lp.get(), j, GLP_LO, 0.0, 0.0);
        } else {
            const double lo = perturbed ? pt.lower(c.published) : c.value;
            const double hi = perturbed ? pt.upper(c.published) : c.value;
            glp_set_col_bnds(lp.get(), j, lo == hi ? GLP_FX : GLP_DB, lo, hi);
        }
    }
    glp_add_rows(lp.get(), static_cast<int>(t.margins.size()));
    for (std::size_t r = 0; r < t.margins.size(); ++r) {
        std::vector<double> row(t.cells.size() + 1, 0.0);
        row[t.margins[r].total + 1] += 1;
        for (std::size_t p : t.margins[r].parts) {
            row[p + 1] -= 1;
        }
        std::vector<int> idx{0};
        std::vector<double> val{0.0};
        for (std::size_t j = 1; j < row.size(); ++j) {
            if (row[j] != 0) {
                idx.push_back(static_cast<int>(j));
                val.push_back(row[j]);
            }
        }
        glp_set_row_bnds(lp.get(), static_cast<int>(r) + 1, GLP_FX, 0.0, 0.0);
        glp_set_mat_row(lp.get(), static_cast<int>(r) + 1, static_cast<int>(idx.size()) - 1, idx.data(), val.data());
    }
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    glp_set_obj_coef(lp.get(), static_cast<int>(target) + 1, 1.0);
    const auto optimum = [&](int dir) {
        glp_set_obj_dir(lp.get(), dir);
        glp_std_basis(lp.get());
        REQUIRE(glp_simplex(lp.get(), &parm) == 0);
        if (glp_get_status(lp.get()) == GLP_UNBND) {
            return dir == GLP_MAX ? kInf : -kInf;
        }
        REQUIRE(glp_get_status(lp.get()) == GLP_OPT);
        return glp_get_obj_val(lp.get());
    };
    return sdc::Interval{std::max(0.0, optimum(GLP_MIN)), optimum(GLP_MAX)};
}

} // namespace

TEST_CASE("sdc: audit equals one LP over every cell when published zeros link margins (months x places)") {
    // A place's months sum to its hidden total and each month over the places sums to a published
    // month total, so a month cell is in two margins. Most months are zero: published as 0, known
    // exactly, and constants for the audit (they join no component); without perturbation every
    // published cell is such a constant. protect() then audit() must give every withheld cell the
    // range a single programme over the whole table gives it.
    std::mt19937 rng(1957);
    std::uniform_int_distribution<int> kind(0, 9);
    std::uniform_int_distribution<int> small(1, 4);
    std::uniform_int_distribution<int> medium(5, 30);
    std::uniform_int_distribution<int> byte(0, 255);
    const sdc::PTable pt{5, 2};
    for (int trial = 0; trial < 4; ++trial) {
        CAPTURE(trial);
        const std::size_t places = 12 + 6 * static_cast<std::size_t>(trial);
        const std::size_t months = 6;
        const int zero_share = 5 + trial; // of 10
        const bool perturb = trial < 2;
        sdc::Table t;
        std::vector<std::vector<std::size_t>> month_cells(months);
        std::vector<double> month_sums(months, 0);
        for (std::size_t p = 0; p < places; ++p) {
            std::vector<std::size_t> parts;
            double sum = 0;
            for (std::size_t m = 0; m < months; ++m) {
                const int k = kind(rng);
                const double v = k < zero_share ? 0 : k < 9 ? small(rng) : medium(rng);
                parts.push_back(t.add(v, key_of(static_cast<std::uint8_t>(byte(rng)))));
                month_cells[m].push_back(parts.back());
                month_sums[m] += v;
                sum += v;
            }
            const std::size_t total = t.add(sum);
            t.cells[total].hidden = true;
            t.add_margin(total, parts);
        }
        for (std::size_t m = 0; m < months; ++m) {
            t.add_margin(t.add(month_sums[m], key_of(static_cast<std::uint8_t>(byte(rng)))), month_cells[m]);
        }
        const auto prot = sdc::protect(t, pt, perturb);
        CHECK(prot.primary > 0);
        const auto iv = sdc::audit(t, pt, perturb);
        std::size_t zeros = 0;
        std::size_t compared = 0;
        for (std::size_t i = 0; i < t.cells.size(); ++i) {
            zeros += !t.cells[i].withheld && t.cells[i].published == 0 ? 1 : 0;
            if (!t.cells[i].withheld) {
                continue;
            }
            CAPTURE(i);
            const sdc::Interval want = reference_range(t, pt, perturb, i);
            CHECK(iv[i].lo == doctest::Approx(want.lo).epsilon(1e-9));
            if (std::isinf(want.hi)) {
                CHECK(std::isinf(iv[i].hi));
            } else {
                CHECK(iv[i].hi == doctest::Approx(want.hi).epsilon(1e-9));
            }
            if (!t.cells[i].hidden && prot.unprotected == 0) {
                CHECK(want.hi - want.lo >= pt.threshold);
            }
            ++compared;
        }
        CHECK(zeros > places); // the constants the audit takes out are really there
        CHECK(compared > static_cast<std::size_t>(prot.primary));
    }
}

TEST_CASE("sdc: local proofs change nothing but the work (36 sparse months a place, cells, a hotspot)") {
    // The shape that made the full audit slow at national scale: each place's 36 months are
    // mostly zero, places sum to grid cells, a hotspot spans many places and the cells sum to a
    // grand total, so nearly everything is one component. With the local proofs protect() must
    // withhold and publish exactly what it does without them, and settle most cells locally
    // (published zeros are constants that take no free place in a local programme).
    std::mt19937 rng(36);
    std::uniform_int_distribution<int> kind(0, 19);
    std::uniform_int_distribution<int> small(1, 4);
    std::uniform_int_distribution<int> medium(5, 25);
    std::uniform_int_distribution<int> byte(0, 255);
    const sdc::PTable pt{5, 2};
    for (int trial = 0; trial < 2; ++trial) {
        CAPTURE(trial);
        const std::size_t places = 120;
        const std::size_t months = 36;
        sdc::Table t;
        std::vector<std::size_t> totals;
        std::vector<double> sums;
        for (std::size_t p = 0; p < places; ++p) {
            std::vector<std::size_t> parts;
            double sum = 0;
            for (std::size_t m = 0; m < months; ++m) {
                const int k = kind(rng);
                const double v = k < 17 ? 0 : k < 19 ? small(rng) : medium(rng);
                parts.push_back(t.add(v, key_of(static_cast<std::uint8_t>(byte(rng)))));
                sum += v;
            }
            totals.push_back(t.add(sum));
            t.cells[totals.back()].hidden = true;
            sums.push_back(sum);
            t.add_margin(totals.back(), parts);
        }
        std::vector<std::size_t> cells;
        double grand = 0;
        for (std::size_t p = 0; p < places; p += 3) {
            cells.push_back(t.add(sums[p] + sums[p + 1] + sums[p + 2]));
            t.add_margin(cells.back(), {totals[p], totals[p + 1], totals[p + 2]});
            grand += t.cells[cells.back()].value;
        }
        std::vector<std::size_t> hotspot(totals.begin() + 30, totals.begin() + 90);
        double in_hotspot = 0;
        for (std::size_t i = 30; i < 90; ++i) {
            in_hotspot += sums[i];
        }
        t.add_margin(t.add(in_hotspot), hotspot);
        t.add_margin(t.add(grand), cells);
        if (trial == 1) {
            for (auto& c : t.cells) {
                c.key = key_of(static_cast<std::uint8_t>(byte(rng))); // other noise, other complements
            }
        }
        sdc::Table without = t;
        const auto fast = sdc::protect(t, pt, true);
        const auto slow = sdc::protect(without, pt, true, false);
        CHECK(slow.proved_locally == 0);
        CHECK(fast.primary == slow.primary);
        CHECK(fast.secondary == slow.secondary);
        CHECK(fast.unprotected == slow.unprotected);
        std::size_t differ = 0;
        for (std::size_t i = 0; i < t.cells.size(); ++i) {
            const auto& a = t.cells[i];
            const auto& b = without.cells[i];
            differ += a.withheld != b.withheld || a.secondary != b.secondary ||
                              (!a.withheld && a.published != b.published)
                          ? 1
                          : 0;
        }
        CHECK(differ == 0);
        CHECK(fast.primary > 200);
        CHECK(fast.proved_locally * 10 >= fast.primary * 9);
    }
}
