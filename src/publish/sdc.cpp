#include "publish/sdc.hpp"

#include "util/sha256.hpp"

#include "core/error.hpp"

#include <glpk.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace hotref::publish::sdc {

// ---------------------------------------------------------------------------
// Record keys
// ---------------------------------------------------------------------------

std::uint8_t record_key(std::string_view secret, std::string_view identity) {
    return hmac_sha256(secret, identity)[0];
}

// ---------------------------------------------------------------------------
// The perturbation table
// ---------------------------------------------------------------------------

namespace {

constexpr int kKeys = 256;
constexpr int kMaxNoise = 16;

void check_ptable(const PTable& t) {
    if (t.threshold < 1) {
        throw std::invalid_argument("sdc: the threshold must be at least 1");
    }
    if (t.max_noise < 0 || t.max_noise > kMaxNoise) {
        throw std::invalid_argument("sdc: max_noise must be from 0 to " + std::to_string(kMaxNoise));
    }
}

/// How many of the 256 cell keys give each noise -max_noise..max_noise (index n + max_noise)
/// for a true value `above` = v - threshold above the threshold (capped at max_noise: every
/// row from there on is the same).
std::vector<int> noise_counts(int max_noise, int above) {
    const int d = max_noise;
    const int k = std::min(above, d); // the noise may go down to -k only (v + noise >= threshold)
    std::vector<double> w(static_cast<std::size_t>(2 * d + 1), 0.0);
    for (int n = -k; n <= d; ++n) {
        w[static_cast<std::size_t>(n + d)] = std::ldexp(1.0, -std::abs(n)); // 2^-|n|: 0.4, 0.2, 0.1 for d = 2
    }
    const bool zero_mean = k >= 1; // with k == 0 the noise cannot go down: mean zero only without noise
    if (zero_mean && k < d) {
        // Scale the positive side so that its first moment matches the (truncated) negative side.
        double neg = 0;
        double pos = 0;
        for (int n = 1; n <= k; ++n) {
            neg += n * w[static_cast<std::size_t>(d - n)];
        }
        for (int n = 1; n <= d; ++n) {
            pos += n * w[static_cast<std::size_t>(d + n)];
        }
        for (int n = 1; n <= d; ++n) {
            w[static_cast<std::size_t>(d + n)] *= neg / pos;
        }
    }
    const double sum = std::accumulate(w.begin(), w.end(), 0.0);
    // Counts out of 256, symmetric rounding; every allowed noise keeps at least one key so that
    // lower()/upper() are exact (each value in them is reachable).
    std::vector<int> c(w.size(), 0);
    for (int n = -k; n <= d; ++n) {
        if (n == 0) {
            continue;
        }
        const auto i = static_cast<std::size_t>(n + d);
        c[i] = std::max(1, static_cast<int>(std::lround(kKeys * w[i] / sum)));
    }
    const auto zero = static_cast<std::size_t>(d);
    c[zero] = kKeys - std::accumulate(c.begin(), c.end(), 0);
    if (zero_mean) {
        // Rounding may leave the first moment a few keys off zero: move single keys one step
        // toward zero (each move changes the moment by one and keeps the total).
        long moment = 0;
        for (int n = -d; n <= d; ++n) {
            moment += static_cast<long>(n) * c[static_cast<std::size_t>(n + d)];
        }
        while (moment != 0) {
            const int dir = moment > 0 ? 1 : -1; // move from the side that is too heavy
            bool moved = false;
            for (int m = 1; m <= d && !moved; ++m) {
                const auto from = static_cast<std::size_t>(d + dir * m);
                if (c[from] > 1) { // every allowed noise keeps a key
                    --c[from];
                    ++c[static_cast<std::size_t>(d + dir * (m - 1))];
                    moved = true;
                }
            }
            if (!moved) {
                break; // cannot happen for the tables allowed (max_noise <= 16); be safe
            }
            moment -= dir;
        }
    }
    if (c[zero] < 1) {
        throw std::logic_error("sdc: perturbation table row without a zero-noise key");
    }
    return c;
}

} // namespace

std::int64_t PTable::perturb(std::int64_t v, std::uint8_t key) const {
    check_ptable(*this);
    if (v == 0) {
        return 0;
    }
    if (v < 0) {
        throw std::invalid_argument("sdc: cannot perturb a negative count");
    }
    if (v < threshold) {
        throw std::invalid_argument("sdc: a count from 1 to threshold - 1 is withheld, never perturbed");
    }
    const int above = static_cast<int>(std::min<std::int64_t>(v - threshold, max_noise));
    const auto counts = noise_counts(max_noise, above);
    int cum = 0;
    for (int n = -max_noise; n <= max_noise; ++n) {
        cum += counts[static_cast<std::size_t>(n + max_noise)];
        if (key < cum) {
            return v + n;
        }
    }
    return v; // unreachable: the counts add up to 256
}

double PTable::lower(double p) const {
    if (p == 0) {
        return 0;
    }
    return std::max(static_cast<double>(threshold), p - max_noise);
}

double PTable::upper(double p) const {
    if (p == 0) {
        return 0;
    }
    return p + max_noise;
}

std::vector<std::vector<int>> PTable::rows() const {
    check_ptable(*this);
    std::vector<std::vector<int>> out;
    for (int above = 0; above <= max_noise; ++above) {
        out.push_back(noise_counts(max_noise, above));
    }
    return out;
}

// ---------------------------------------------------------------------------
// Tables
// ---------------------------------------------------------------------------

std::size_t Table::add(double value, CellKey key) {
    Cell c;
    c.value = value;
    c.key = key;
    cells.push_back(c);
    return cells.size() - 1;
}

void Table::add_margin(std::size_t total, std::vector<std::size_t> parts) {
    if (total >= cells.size()) {
        throw std::invalid_argument("sdc: a margin's total is not a cell of the table");
    }
    for (std::size_t p : parts) {
        if (p >= cells.size()) {
            throw std::invalid_argument("sdc: a margin's part is not a cell of the table");
        }
        if (p == total) {
            throw std::invalid_argument("sdc: a margin's total cannot be one of its own parts");
        }
    }
    margins.push_back(Margin{total, std::move(parts)});
}

// ---------------------------------------------------------------------------
// The audit
// ---------------------------------------------------------------------------

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr const char* kInconsistent =
    "sdc audit: the published figures and margins admit no table: are the margins consistent "
    "(each total the sum of its parts)?";

/// LP results are doubles: a bound within rounding of a whole number is that number.
double clean(double x) {
    if (!std::isfinite(x)) {
        return x;
    }
    const double r = std::round(x);
    return std::abs(x - r) <= 1e-7 * std::max(1.0, std::abs(x)) ? r : x;
}

/// Resets a cell -> column scratch map (kept the size of the table and all zeros between uses,
/// so a lookup is an index rather than a hash) for the cells a programme used.
struct ClearColumns {
    const std::vector<std::size_t>& cells;
    std::vector<int>& column;
    ClearColumns(const std::vector<std::size_t>& c, std::vector<int>& col) : cells(c), column(col) {}
    ClearColumns(const ClearColumns&) = delete;
    ClearColumns& operator=(const ClearColumns&) = delete;
    ~ClearColumns() {
        for (std::size_t c : cells) {
            column[c] = 0;
        }
    }
};

/// A box that pins a cell to one value (what the attacker knows exactly).
bool is_fixed(const Interval& b) { return std::isfinite(b.hi) && b.hi <= b.lo; }

struct UnionFind {
    std::vector<std::size_t> parent;
    explicit UnionFind(std::size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), std::size_t{0}); }
    std::size_t find(std::size_t x) {
        while (parent[x] != x) {
            parent[x] = parent[parent[x]];
            x = parent[x];
        }
        return x;
    }
    void unite(std::size_t a, std::size_t b) { parent[find(a)] = find(b); }
};

/// A single margin (total = sum of distinct parts) with boxes on every cell: each cell's
/// feasible range is its box cut by what the others allow. Exact, and O(parts).
void audit_single_margin(const Margin& m, const std::vector<Interval>& box, const std::vector<Cell>& cells,
                         std::vector<Interval>& out) {
    double sum_lo = 0;
    double sum_hi_finite = 0;
    std::size_t infinite_hi = 0;
    for (std::size_t p : m.parts) {
        sum_lo += box[p].lo;
        if (std::isinf(box[p].hi)) {
            ++infinite_hi;
        } else {
            sum_hi_finite += box[p].hi;
        }
    }
    const Interval& t = box[m.total];
    if (cells[m.total].withheld) {
        const double hi = infinite_hi > 0 ? kInf : sum_hi_finite;
        out[m.total] = Interval{std::max(t.lo, sum_lo), std::min(t.hi, hi)};
    }
    for (std::size_t p : m.parts) {
        if (!cells[p].withheld) {
            continue;
        }
        const double others_lo = sum_lo - box[p].lo;
        const std::size_t others_inf = infinite_hi - (std::isinf(box[p].hi) ? 1 : 0);
        const double others_hi = others_inf > 0 ? kInf : sum_hi_finite - (std::isinf(box[p].hi) ? 0 : box[p].hi);
        const double lo = std::isinf(others_hi) ? box[p].lo : std::max(box[p].lo, t.lo - others_hi);
        const double hi = std::isinf(t.hi) ? box[p].hi : std::min(box[p].hi, t.hi - others_lo);
        out[p] = Interval{clean(lo), clean(hi)};
    }
    if (cells[m.total].withheld) {
        out[m.total] = Interval{clean(out[m.total].lo), clean(out[m.total].hi)};
    }
    const auto empty = [&](std::size_t c) { return cells[c].withheld && out[c].lo > out[c].hi + 1e-9; };
    if (empty(m.total) || std::any_of(m.parts.begin(), m.parts.end(), empty)) {
        throw std::invalid_argument(kInconsistent);
    }
}

struct ProbDeleter {
    void operator()(glp_prob* p) const noexcept { glp_delete_prob(p); }
};

// GLPK keeps an environment per thread (made on first use) until glp_free_env(); the
// service audits on worker threads that come and go, so each frees its own as it ends.
struct GlpkThreadEnv {
    GlpkThreadEnv() = default;
    GlpkThreadEnv(const GlpkThreadEnv&) = delete;
    GlpkThreadEnv& operator=(const GlpkThreadEnv&) = delete;
    ~GlpkThreadEnv() { glp_free_env(); }
};

/// A column's bounds from a cell's box: >= lo when unbounded above, else [lo, hi] (one value
/// when the box is a point).
void set_bounds(glp_prob* lp, int col, const Interval& b) {
    if (std::isinf(b.hi)) {
        glp_set_col_bnds(lp, col, GLP_LO, b.lo, 0.0);
    } else if (is_fixed(b)) {
        glp_set_col_bnds(lp, col, GLP_FX, b.lo, b.lo);
    } else {
        glp_set_col_bnds(lp, col, GLP_DB, b.lo, b.hi);
    }
}

/// min and max of every withheld cell of one component, as linear programmes (GLPK): one
/// column per cell not known exactly (published: its box; withheld: >= 0), one row per margin
/// (total - parts = 0, the known cells' values on the right-hand side).
///
/// `enough`: a width that settles a cell (protect's threshold; infinite: every interval
/// exact). Every solution the solver returns is a table the attacker must allow, so the
/// smallest and largest value a cell took in them lie inside its true range. Once those
/// are `enough` apart the cell is proven wide enough and its own programmes are skipped; its
/// result is then that inner range (narrower than the truth, never wider). A cell not so
/// proven gets its exact range, so which cells are too narrow is exactly as without it.
void audit_component(const std::vector<std::size_t>& comp_cells, const std::vector<std::size_t>& comp_margins,
                     const Table& table, const std::vector<Interval>& box, const std::vector<char>& need,
                     double enough, std::vector<int>& column, std::vector<Interval>& out) {
    // `column` maps a cell to its column for this component only; cleared again on the way out.
    const ClearColumns clear{comp_cells, column};
    thread_local GlpkThreadEnv env;
    (void)env;
    std::unique_ptr<glp_prob, ProbDeleter> lp{glp_create_prob()};
    glp_add_cols(lp.get(), static_cast<int>(comp_cells.size()));
    for (std::size_t j = 0; j < comp_cells.size(); ++j) {
        const std::size_t c = comp_cells[j];
        const int col = static_cast<int>(j) + 1;
        column[c] = col;
        set_bounds(lp.get(), col, box[c]);
    }
    glp_add_rows(lp.get(), static_cast<int>(comp_margins.size()));
    std::vector<int> idx;
    std::vector<double> val;
    std::unordered_map<int, double> coef;
    for (std::size_t r = 0; r < comp_margins.size(); ++r) {
        const Margin& m = table.margins[comp_margins[r]];
        coef.clear();
        double rhs = 0; // minus the known cells' part of (total - parts)
        const auto term = [&](std::size_t c, double a) {
            if (column[c] != 0) {
                coef[column[c]] += a;
            } else {
                rhs -= a * box[c].lo; // a known cell (fixed box)
            }
        };
        term(m.total, 1.0);
        for (std::size_t p : m.parts) {
            term(p, -1.0);
        }
        idx.assign(1, 0); // GLPK arrays are 1-based
        val.assign(1, 0.0);
        for (const auto& [col, a] : coef) {
            if (a != 0) {
                idx.push_back(col);
                val.push_back(a);
            }
        }
        const int row = static_cast<int>(r) + 1;
        glp_set_row_bnds(lp.get(), row, GLP_FX, rhs, rhs);
        glp_set_mat_row(lp.get(), row, static_cast<int>(idx.size()) - 1, idx.data(), val.data());
    }
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    parm.presolve = GLP_OFF; // keeps the basis between solves (warm starts) and reports unboundedness
    glp_std_basis(lp.get());

    // Returns the optimum, +inf when unbounded.
    const auto solve = [&](int col, int dir) {
        glp_set_obj_dir(lp.get(), dir);
        glp_set_obj_coef(lp.get(), col, 1.0);
        int rc = glp_simplex(lp.get(), &parm);
        if (rc != 0) {
            glp_std_basis(lp.get()); // a singular or stalled warm start: once more from scratch
            rc = glp_simplex(lp.get(), &parm);
        }
        glp_set_obj_coef(lp.get(), col, 0.0);
        if (rc != 0) {
            throw Error("sdc audit: GLPK simplex failed (code " + std::to_string(rc) + ")");
        }
        const int status = glp_get_status(lp.get());
        if (status == GLP_UNBND) {
            return dir == GLP_MAX ? kInf : -kInf;
        }
        if (status == GLP_NOFEAS || status == GLP_INFEAS) {
            throw std::invalid_argument(kInconsistent);
        }
        if (status != GLP_OPT) {
            throw Error("sdc audit: GLPK found no optimum (status " + std::to_string(status) + ")");
        }
        return glp_get_obj_val(lp.get());
    };
    std::vector<int> withheld_cols;
    for (std::size_t c : comp_cells) {
        if (table.cells[c].withheld && need[c]) {
            withheld_cols.push_back(column[c]);
        }
    }
    // Maxima first. Any solution in which a withheld cell is 0 proves its minimum is 0 (its
    // lower bound): that cell's minimisation is skipped. Exact, and it saves most of them.
    // The same solutions give each cell's seen range (see `enough` above).
    std::vector<char> zero_seen(comp_cells.size() + 1, 0);
    std::vector<double> seen_lo(withheld_cols.size(), kInf), seen_hi(withheld_cols.size(), -kInf);
    const auto note_solution = [&] {
        for (std::size_t k = 0; k < withheld_cols.size(); ++k) {
            const int col = withheld_cols[k];
            const double x = glp_get_col_prim(lp.get(), col);
            if (!zero_seen[static_cast<std::size_t>(col)] && x <= 1e-9) {
                zero_seen[static_cast<std::size_t>(col)] = 1;
            }
            seen_lo[k] = std::min(seen_lo[k], clean(std::max(0.0, x)));
            seen_hi[k] = std::max(seen_hi[k], clean(x));
        }
    };
    // Never with an infinite `enough` (exact intervals): then every cell is solved.
    const bool shortcut = std::isfinite(enough);
    const auto settled = [&](std::size_t k) { return shortcut && seen_hi[k] - seen_lo[k] >= enough; };
    std::vector<double> hi(withheld_cols.size(), kInf);
    std::vector<char> proven(withheld_cols.size(), 0);
    for (std::size_t w = 0; w < withheld_cols.size(); ++w) {
        if (settled(w)) {
            proven[w] = 1;
            continue;
        }
        hi[w] = solve(withheld_cols[w], GLP_MAX);
        if (std::isfinite(hi[w])) {
            note_solution();
        }
    }
    for (std::size_t w = 0; w < withheld_cols.size(); ++w) {
        const int col = withheld_cols[w];
        const std::size_t cell = comp_cells[static_cast<std::size_t>(col) - 1];
        if (proven[w] || settled(w)) {
            out[cell] = Interval{seen_lo[w], seen_hi[w]};
            continue;
        }
        double lo = 0;
        if (!zero_seen[static_cast<std::size_t>(col)]) {
            if (shortcut && hi[w] - seen_lo[w] >= enough) {
                out[cell] = Interval{seen_lo[w], clean(hi[w])}; // wide enough with the lowest seen
                continue;
            }
            lo = solve(col, GLP_MIN);
            note_solution();
        }
        out[cell] = Interval{clean(std::max(0.0, lo)), clean(hi[w])};
    }
}

/// What an attacker knows of each cell before the margins: withheld [0, inf), published its
/// ptable box (exact when not perturbed), pinned the box given with it.
std::vector<Interval> boxes(const Table& table, const PTable& ptable, bool perturbed) {
    const std::size_t n = table.cells.size();
    std::vector<Interval> box(n);
    for (std::size_t i = 0; i < n; ++i) {
        const Cell& c = table.cells[i];
        if (c.withheld) {
            box[i] = Interval{0.0, kInf};
        } else if (c.pinned && !std::isnan(c.pinned_lo) && !std::isnan(c.pinned_hi)) {
            box[i] = Interval{c.pinned_lo, c.pinned_hi};
        } else if (!perturbed) {
            box[i] = Interval{c.value, c.value};
        } else {
            box[i] = Interval{ptable.lower(c.published), ptable.upper(c.published)};
        }
    }
    return box;
}

/// The audit of the withheld cells marked in `need` (the others keep their box in the result);
/// `enough`: see audit_component.
std::vector<Interval> audit_cells(const Table& table, const PTable& ptable, bool perturbed,
                                  const std::vector<char>& need, double enough = kInf) {
    const std::size_t n = table.cells.size();
    const std::vector<Interval> box = boxes(table, ptable, perturbed);
    std::vector<Interval> out = box;

    // A cell the attacker knows exactly (a published zero, or any published cell when not
    // perturbed) is a constant: it links none of its margins to each other, so it is left out of
    // the components and its value moves to the right-hand side of every margin it is in. Most
    // cells of a sparse table are such zeros (a place's months without an incident).
    const auto known = [&](std::size_t c) { return is_fixed(box[c]); };
    UnionFind uf(n);
    std::vector<char> in_margin(n, 0);
    std::vector<std::size_t> anchor(table.margins.size(), n); // a free cell of each margin
    for (std::size_t m = 0; m < table.margins.size(); ++m) {
        const Margin& mg = table.margins[m];
        const auto link = [&](std::size_t c) {
            if (known(c)) {
                return;
            }
            in_margin[c] = 1;
            if (anchor[m] == n) {
                anchor[m] = c;
            } else {
                uf.unite(c, anchor[m]);
            }
        };
        link(mg.total);
        for (std::size_t p : mg.parts) {
            link(p);
        }
    }
    std::unordered_map<std::size_t, std::size_t> comp_of_root; // root -> component number
    std::vector<std::vector<std::size_t>> comp_cells;
    std::vector<std::vector<std::size_t>> comp_margins;
    std::vector<char> comp_needs;
    const auto comp = [&](std::size_t cell) {
        const std::size_t root = uf.find(cell);
        auto [it, fresh] = comp_of_root.emplace(root, comp_cells.size());
        if (fresh) {
            comp_cells.emplace_back();
            comp_margins.emplace_back();
            comp_needs.push_back(0);
        }
        return it->second;
    };
    for (std::size_t i = 0; i < n; ++i) {
        if (in_margin[i]) {
            const std::size_t k = comp(i);
            comp_cells[k].push_back(i);
            if (table.cells[i].withheld && need[i]) {
                comp_needs[k] = 1;
            }
        }
    }
    for (std::size_t m = 0; m < table.margins.size(); ++m) {
        if (anchor[m] != n) {
            comp_margins[comp(anchor[m])].push_back(m);
        }
    }
    std::vector<int> column(n, 0); // scratch for audit_component: cell -> GLPK column, 0 = none
    for (std::size_t k = 0; k < comp_cells.size(); ++k) {
        if (!comp_needs[k]) {
            continue;
        }
        bool single = comp_margins[k].size() == 1;
        if (single) {
            // The closed form needs distinct parts (known ones included).
            const Margin& m = table.margins[comp_margins[k].front()];
            std::vector<std::size_t> all(m.parts);
            all.push_back(m.total);
            std::sort(all.begin(), all.end());
            single = std::adjacent_find(all.begin(), all.end()) == all.end();
        }
        if (single) {
            audit_single_margin(table.margins[comp_margins[k].front()], box, table.cells, out);
        } else {
            audit_component(comp_cells[k], comp_margins[k], table, box, need, enough, column, out);
        }
    }
    return out;
}

} // namespace

std::vector<Interval> audit(const Table& table, const PTable& ptable, bool perturbed) {
    return audit_cells(table, ptable, perturbed, std::vector<char>(table.cells.size(), 1));
}

// ---------------------------------------------------------------------------
// Protection
// ---------------------------------------------------------------------------

namespace {

std::int64_t whole_count(double v) {
    if (!std::isfinite(v) || v < 0 || v != std::floor(v)) {
        throw std::invalid_argument("sdc: a perturbed count must be a whole number >= 0, not " + std::to_string(v));
    }
    return static_cast<std::int64_t>(v);
}

/// How many cells a local proof may leave free (locally_safe): 16 proves nearly every cell of a
/// gistar run's table (a month of a place moves against its other months and the place's
/// total) at a few microseconds each; 256 proved no more and cost 20 times as much.
constexpr std::size_t kLocalCells = 16;

/// A local proof that a withheld cell is safe. The audit's LP over the cell's whole component
/// is restricted: the cells further than a few margins from `cell` (at most `cap` are kept
/// free; cells known exactly are constants and take no place) are held at their true values,
/// so every margin touching the free cells keeps its true residual as a constant. Every solution of the restriction, completed with the true
/// values, is a solution of the full LP; so the restriction's [min, max] of the cell lies
/// inside the full one, and a local width of at least `threshold` proves the cell as wide as
/// the full audit would find it. When the proof fails (or the truth sits outside a box, or the
/// restriction is infeasible) the full audit decides: the outcome is the same, only cheaper.
bool locally_safe(std::size_t cell, const Table& table, const std::vector<Interval>& box,
                  const std::vector<std::vector<std::size_t>>& margins_of, double threshold, std::size_t cap,
                  std::vector<int>& column) {
    // `column`: free cell -> GLPK column, 0 = held; all 0 on entry, and cleared on the way out.
    std::vector<std::size_t> free_cells{cell};
    const ClearColumns clear{free_cells, column};
    column[cell] = 1;
    // Each free cell's margins smallest first: a cell of a long margin (a hotspot's thousands of
    // places) and of a short one (its street) is moved by its short one's few cells, and a long
    // margin walked first would spend the free places on cells its short ones then hold fixed.
    std::vector<std::size_t> by_size;
    for (std::size_t q = 0; q < free_cells.size() && free_cells.size() < cap; ++q) {
        by_size = margins_of[free_cells[q]];
        std::stable_sort(by_size.begin(), by_size.end(), [&](std::size_t a, std::size_t b) {
            return table.margins[a].parts.size() < table.margins[b].parts.size();
        });
        for (std::size_t m : by_size) {
            const Margin& mg = table.margins[m];
            const auto take = [&](std::size_t c) {
                if (is_fixed(box[c]) && table.cells[c].value == box[c].lo) {
                    return; // known exactly, and held at that value: a constant, not worth a free place
                }
                if (free_cells.size() < cap && column[c] == 0) {
                    column[c] = static_cast<int>(free_cells.size()) + 1;
                    free_cells.push_back(c);
                }
            };
            take(mg.total);
            for (std::size_t i = 0; i < mg.parts.size() && free_cells.size() < cap; ++i) {
                take(mg.parts[i]);
            }
        }
    }
    // The rows, built from the free cells' side only (a margin can hold thousands of parts): each
    // (margin, free cell) occurrence, sorted. A cell's coefficient in a margin is +1 as its total
    // and -1 per time it is a part. As the truth satisfies every margin, the held cells' part of
    // (total - parts) is minus the free cells' part at their true values: that is the row's
    // right-hand side.
    std::vector<std::pair<std::size_t, int>> occurrences; // (margin, column)
    for (std::size_t j = 0; j < free_cells.size(); ++j) {
        const std::size_t c = free_cells[j];
        const Interval& b = box[c];
        const double v = table.cells[c].value;
        if (v < b.lo - 1e-9 || v > b.hi + 1e-9) {
            return false; // the truth must be a solution for the restriction to be one
        }
        for (std::size_t m : margins_of[c]) {
            occurrences.emplace_back(m, static_cast<int>(j) + 1);
        }
    }
    if (occurrences.empty()) {
        return box[cell].width() >= threshold; // in no margin: what it is withheld as
    }
    std::sort(occurrences.begin(), occurrences.end());
    thread_local GlpkThreadEnv env;
    (void)env;
    std::unique_ptr<glp_prob, ProbDeleter> lp{glp_create_prob()};
    glp_add_cols(lp.get(), static_cast<int>(free_cells.size()));
    for (std::size_t j = 0; j < free_cells.size(); ++j) {
        set_bounds(lp.get(), static_cast<int>(j) + 1, box[free_cells[j]]);
    }
    std::vector<int> idx;
    std::vector<double> val;
    for (std::size_t i = 0; i < occurrences.size();) {
        const std::size_t m = occurrences[i].first;
        idx.assign(1, 0); // GLPK arrays are 1-based
        val.assign(1, 0.0);
        double rhs = 0;
        while (i < occurrences.size() && occurrences[i].first == m) {
            const int col = occurrences[i].second;
            int times = 0;
            for (; i < occurrences.size() && occurrences[i].first == m && occurrences[i].second == col; ++i) {
                ++times;
            }
            const std::size_t c = free_cells[static_cast<std::size_t>(col) - 1];
            const double a = table.margins[m].total == c ? 1.0 - (times - 1) : -static_cast<double>(times);
            if (a != 0) {
                idx.push_back(col);
                val.push_back(a);
                rhs += a * table.cells[c].value;
            }
        }
        const int row = glp_add_rows(lp.get(), 1);
        glp_set_row_bnds(lp.get(), row, GLP_FX, rhs, rhs);
        glp_set_mat_row(lp.get(), row, static_cast<int>(idx.size()) - 1, idx.data(), val.data());
    }
    glp_smcp parm;
    glp_init_smcp(&parm);
    parm.msg_lev = GLP_MSG_OFF;
    glp_std_basis(lp.get());
    glp_set_obj_coef(lp.get(), 1, 1.0);
    const auto solve = [&](int dir, double& out) {
        glp_set_obj_dir(lp.get(), dir);
        if (glp_simplex(lp.get(), &parm) != 0) {
            return false;
        }
        const int status = glp_get_status(lp.get());
        if (status == GLP_UNBND) {
            out = dir == GLP_MAX ? kInf : -kInf;
            return true;
        }
        if (status != GLP_OPT) {
            return false;
        }
        out = glp_get_obj_val(lp.get());
        return true;
    };
    double hi = 0;
    double lo = 0;
    if (!solve(GLP_MAX, hi) || !solve(GLP_MIN, lo)) {
        return false;
    }
    return clean(hi) - clean(std::max(0.0, lo)) >= threshold;
}

/// Whether the true values satisfy every margin exactly (the local proofs rest on it).
bool truth_consistent(const Table& table) {
    for (const Margin& m : table.margins) {
        double r = table.cells[m.total].value;
        for (std::size_t p : m.parts) {
            r -= table.cells[p].value;
        }
        if (std::abs(r) > 1e-9) {
            return false;
        }
    }
    return true;
}

} // namespace

Protection protect(Table& table, const PTable& ptable, bool perturb, bool local_proofs_wanted) {
    check_ptable(ptable);
    Protection result;
    const double threshold = ptable.threshold;
    const double nan = std::numeric_limits<double>::quiet_NaN();

    // (a) perturbation and (b) primary suppression.
    for (Cell& c : table.cells) {
        if (!std::isfinite(c.value) || c.value < 0) {
            throw std::invalid_argument("sdc: a count must be finite and >= 0");
        }
        c.withheld = false;
        c.secondary = false;
        if (c.pinned) {
            c.withheld = std::isnan(c.pinned_value);
            c.published = c.pinned_value;
            result.primary += c.withheld && c.value > 0 && c.value < threshold ? 1 : 0;
        } else if (c.hidden) {
            c.withheld = true;
            c.published = nan;
        } else if (c.value == 0) {
            c.published = 0;
        } else if (c.value < threshold) {
            c.withheld = true;
            c.published = nan;
            ++result.primary;
        } else if (perturb) {
            c.published = static_cast<double>(ptable.perturb(whole_count(c.value), c.key.value()));
        } else {
            c.published = c.value;
        }
    }

    // The margins each cell is in (as total or part).
    const std::size_t n = table.cells.size();
    std::vector<std::vector<std::size_t>> margins_of(n);
    for (std::size_t m = 0; m < table.margins.size(); ++m) {
        margins_of[table.margins[m].total].push_back(m);
        for (std::size_t p : table.margins[m].parts) {
            margins_of[p].push_back(m);
        }
    }

    // The complement for a cell: the best not-withheld cell of a margin holding it (parts before
    // totals, non-zero before zero, then the smallest true value); when every cell of those margins
    // is withheld already, the margins one step further out, and so on.
    // The best not-withheld cell (other than `cell`) of the margins in `frontier`, n if none.
    const auto best_in = [&](const std::vector<std::size_t>& frontier, std::size_t cell) {
        std::size_t best = n;
        std::array<double, 3> best_key{};
        const auto consider = [&](std::size_t c, bool is_total) {
            const Cell& x = table.cells[c];
            if (x.withheld || x.pinned || c == cell) {
                return;
            }
            const std::array<double, 3> key{is_total ? 1.0 : 0.0, x.value == 0 ? 1.0 : 0.0, x.value};
            if (best == n || key < best_key || (key == best_key && c < best)) {
                best = c;
                best_key = key;
            }
        };
        for (std::size_t m : frontier) {
            for (std::size_t p : table.margins[m].parts) {
                consider(p, false);
            }
            consider(table.margins[m].total, true);
        }
        return best;
    };
    // The complement for a cell: the best cell of a margin holding it; when every cell of those
    // margins is withheld already, of the margins one step further out, and so on. `blocked`
    // says whether a margin searched (up to where the complement was found) got a complement
    // this round (`touched`): then the cell waits for the next audit.
    std::vector<char> touched(table.margins.size(), 0);
    const auto complement = [&](std::size_t cell, bool& blocked) -> std::size_t {
        std::vector<std::size_t> frontier = margins_of[cell];
        const auto note = [&] {
            blocked = blocked || std::any_of(frontier.begin(), frontier.end(), [&](std::size_t m) { return touched[m]; });
        };
        blocked = false;
        note();
        if (const std::size_t best = best_in(frontier, cell); best != n) {
            return best;
        }
        std::vector<char> seen_margin(table.margins.size(), 0);
        std::vector<char> seen_cell(n, 0);
        for (std::size_t m : frontier) {
            seen_margin[m] = 1;
        }
        seen_cell[cell] = 1;
        while (!frontier.empty()) {
            std::vector<std::size_t> next;
            const auto visit = [&](std::size_t c) {
                if (seen_cell[c]) {
                    return;
                }
                seen_cell[c] = 1;
                for (std::size_t m2 : margins_of[c]) {
                    if (!seen_margin[m2]) {
                        seen_margin[m2] = 1;
                        next.push_back(m2);
                    }
                }
            };
            for (std::size_t m : frontier) {
                visit(table.margins[m].total);
                for (std::size_t p : table.margins[m].parts) {
                    visit(p);
                }
            }
            frontier = std::move(next);
            note();
            if (const std::size_t best = best_in(frontier, cell); best != n) {
                return best;
            }
        }
        return n;
    };

    // (c) complementary suppression until the audit passes. Every round withholds at least one
    // more cell or stops, so it ends after at most as many rounds as there are cells.
    // Withholding a cell only widens the feasible set (its box [lower, upper] becomes [0, inf)),
    // so a withheld cell found wide enough stays so: after the first audit only the cells still
    // too narrow and the cells just withheld are solved again.
    std::vector<char> need(n, 1);
    for (std::size_t i = 0; i < n; ++i) {
        need[i] = table.cells[i].hidden ? 0 : 1;  // nothing to protect in a hidden sum
    }
    // Each round, a cell a local LP proves wide enough (locally_safe) needs no place in the full
    // audit; it stays safe, as withholding more only widens what the attacker must allow.
    const bool local_proofs = local_proofs_wanted && truth_consistent(table);
    std::vector<int> local_column(n, 0); // locally_safe's scratch
    for (;;) {
        if (local_proofs) {
            const std::vector<Interval> box = boxes(table, ptable, perturb);
            for (std::size_t i = 0; i < n; ++i) {
                if (need[i] && table.cells[i].withheld && !table.cells[i].hidden &&
                    locally_safe(i, table, box, margins_of, threshold, kLocalCells, local_column)) {
                    need[i] = 0;
                    ++result.proved_locally;
                }
            }
        }
        // Only whether each cell's range is `threshold` wide matters here.
        const auto intervals = audit_cells(table, ptable, perturb, need, threshold);
        std::vector<std::size_t> unsafe;
        for (std::size_t i = 0; i < n; ++i) {
            if (table.cells[i].withheld && !table.cells[i].hidden && need[i] && intervals[i].width() < threshold) {
                unsafe.push_back(i);
            }
        }
        std::fill(need.begin(), need.end(), 0);
        for (std::size_t i : unsafe) {
            need[i] = 1;
        }
        if (unsafe.empty()) {
            break;
        }
        std::fill(touched.begin(), touched.end(), 0);
        std::size_t added = 0; // the first unsafe cell is never blocked: a round adds one or none can
        for (std::size_t i : unsafe) {
            // One complement per margin per round: an unsafe cell whose search meets a margin
            // that just got one may be safe at the next audit.
            bool blocked = false;
            const std::size_t c = complement(i, blocked);
            if (blocked) {
                continue;
            }
            if (c == n) {
                continue;
            }
            Cell& x = table.cells[c];
            x.withheld = true;
            x.secondary = true;
            x.published = nan;
            need[c] = 1;
            ++result.secondary;
            ++added;
            for (std::size_t m : margins_of[c]) {
                touched[m] = 1;
            }
        }
        if (added == 0) {
            result.unprotected = static_cast<std::int64_t>(unsafe.size());
            break;
        }
    }
    // Perturbed counts only among what is published.
    result.perturbed = 0;
    for (const Cell& c : table.cells) {
        if (!c.withheld && c.published != c.value) {
            ++result.perturbed;
        }
    }
    return result;
}

} // namespace hotref::publish::sdc
