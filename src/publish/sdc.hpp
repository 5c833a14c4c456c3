#pragma once
// Statistical disclosure control for everything hotref publishes: the one place
// that decides what a published count is.
//
//  - Cell-key perturbation (ONS, Census 2021): every record has a key 0..255 from
//    a keyed hash of its identity (HMAC-SHA-256 with the store's secret); a cell's
//    key is the sum of its records' keys mod 256; the published value is the true
//    value plus the noise a perturbation table gives for (value, cell key). The
//    same set of records always gets the same noise, so two runs, two periods or
//    two --as-of dates that hold the same records publish the same figure, and
//    figures that differ by one record differ by an unpredictable amount.
//  - Primary suppression: a true count from 1 to threshold - 1 is withheld.
//  - Complementary (secondary) suppression across every published margin
//    (totals = sums of parts), checked by an audit: for every withheld value the
//    published figures (each known only to within the perturbation table's
//    bounds) and the margins must leave a feasible interval at least `threshold`
//    wide. The audit solves the linear programme min/max x_i subject to the
//    margins and the bounds (GLPK), component by component.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace hotref::publish::sdc {

/// A record's key, 0..255: HMAC-SHA-256(secret, identity), first byte.
std::uint8_t record_key(std::string_view secret, std::string_view identity);

/// Sums record keys mod 256 (the cell key).
class CellKey {
public:
    void add(std::uint8_t record) noexcept { m_sum = static_cast<std::uint8_t>(m_sum + record); }
    void add(const CellKey& other) noexcept { m_sum = static_cast<std::uint8_t>(m_sum + other.m_sum); }
    [[nodiscard]] std::uint8_t value() const noexcept { return m_sum; }

private:
    std::uint8_t m_sum = 0;
};

/// The perturbation table: for a true value v >= threshold and a cell key, the
/// noise in [-max_noise, max_noise], with v + noise >= threshold, mean zero for
/// v >= threshold + max_noise. Zero stays zero; 1..threshold-1 is never published.
///
/// Built deterministically from (threshold, max_noise): noise n has weight 2^-|n|
/// (0.1, 0.2, 0.4, 0.2, 0.1 for max_noise 2); for v = threshold + k with k < max_noise
/// the noises below -k are dropped and the positive side is scaled down so the mean
/// stays zero (k >= 1), or just renormalised (k = 0, v = threshold, where the noise
/// can only be >= 0). Each row is then rounded to counts of the 256 cell keys (every
/// allowed noise keeps at least one key, the mean is exactly zero where it is meant
/// to be) and a cell key picks its noise from the row's cumulative counts, keys
/// 0.. going to the most negative noise first. See docs/disclosure.md.
/// Requires threshold >= 1 and 0 <= max_noise <= 16 (else std::invalid_argument).
struct PTable {
    int threshold = 5;
    int max_noise = 2;
    /// The published value of a true count v >= threshold with cell key `key`; 0 for v == 0.
    /// Throws std::invalid_argument for v < 0 and for 1 <= v < threshold (those are
    /// withheld by protect(), never published).
    [[nodiscard]] std::int64_t perturb(std::int64_t v, std::uint8_t key) const;
    /// What an attacker who knows this table learns of the true value from a published value p:
    /// [max(threshold, p - max_noise), p + max_noise], and [0, 0] for p == 0. Exact: every
    /// value in the interval can give p with some key.
    [[nodiscard]] double lower(double p) const;
    [[nodiscard]] double upper(double p) const;
    /// The table itself: rows()[k][n + max_noise] is how many of the 256 keys give noise n to
    /// v = threshold + k (k = 0..max_noise; the last row holds for every larger v too).
    [[nodiscard]] std::vector<std::vector<int>> rows() const;
};

/// One count in a table to be protected.
struct Cell {
    double value = 0;          // the true count
    CellKey key;               // the cell key (sum of its records' keys)
    /// Never published (a sum the outputs do not show, such as a location's total over the
    /// run): withheld from the start, not counted as suppressed, and not itself protected;
    /// it still links its margins (the attacker knows it is the sum of its parts).
    bool hidden = false;
    /// Published already by another output of the same store (the layers, say): this table
    /// must show the same figure, so protect() takes `pinned` as this cell's published value
    /// (NaN: withheld there, so withheld here too) and never picks it as a complement. What an
    /// attacker knows of it is [pinned_lo, pinned_hi] (a sum of perturbed parts is known less
    /// closely than one perturbed value); NaN bounds: the ptable's box of the pinned value.
    bool pinned = false;
    double pinned_value = std::numeric_limits<double>::quiet_NaN();
    double pinned_lo = std::numeric_limits<double>::quiet_NaN();
    double pinned_hi = std::numeric_limits<double>::quiet_NaN();
    // Filled by protect():
    bool withheld = false;     // not published
    bool secondary = false;    // withheld to protect another
    double published = 0;      // the published (perturbed) value, when not withheld
};

/// A margin: cells[total] = sum of cells[parts].
struct Margin {
    std::size_t total = 0;
    std::vector<std::size_t> parts;
};

struct Table {
    std::vector<Cell> cells;
    std::vector<Margin> margins;
    /// Adds a cell; returns its index.
    std::size_t add(double value, CellKey key = {});
    void add_margin(std::size_t total, std::vector<std::size_t> parts);
};

struct Interval {
    double lo = 0;
    double hi = std::numeric_limits<double>::infinity();
    [[nodiscard]] double width() const noexcept { return hi - lo; }
};

/// What an attacker can infer of each cell from what is published: published cells
/// are bounded by the ptable (or exact when `perturbed` is false); withheld cells are
/// bounded by >= 0 only, then narrowed by the margins (LP). Returns one interval per cell.
/// Published cells get their box ([lower(published), upper(published)], or [value, value]
/// when not `perturbed`), not narrowed further. Withheld cells are solved per connected
/// component of the margin graph: a single-margin component in closed form, any other by
/// GLPK simplex runs (a max and, unless a solution already put the cell at 0, a min per
/// withheld cell); hi is +inf when unbounded. Throws
/// std::invalid_argument when the figures admit no table (inconsistent margins).
std::vector<Interval> audit(const Table& table, const PTable& ptable, bool perturbed = true);

struct Protection {
    std::int64_t primary = 0;
    std::int64_t secondary = 0;
    std::int64_t perturbed = 0;  // published values that differ from the truth
    std::int64_t unprotected = 0; // withheld cells still narrower than threshold (nothing left to withhold)
    std::int64_t proved_locally = 0; // audits a local programme settled (a cell each round it was needed)
};

/// Perturbs (when `perturb`), suppresses 1..threshold-1, then withholds complementary
/// cells until audit() gives every withheld cell an interval at least threshold wide.
/// Recomputes withheld/secondary/published from scratch (withheld cells get NaN).
/// Counts must be finite and >= 0 (whole numbers when perturbing), else std::invalid_argument.
/// A complement for an unsafe withheld cell is the not-withheld cell, in a margin holding
/// it, that is a part rather than a total, non-zero rather than zero, and smallest; if
/// those margins are all withheld, the search widens to the margins next to them.
/// `local_proofs`: first try to prove each withheld cell safe by a small programme around it
/// (the cells further out held at their true values); the outcome is the same without them,
/// only slower (false is for tests that check exactly that).
Protection protect(Table& table, const PTable& ptable, bool perturb = true, bool local_proofs = true);

} // namespace hotref::publish::sdc
