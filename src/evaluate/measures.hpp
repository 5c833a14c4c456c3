#pragma once
// Before/after measures for place-based interventions (plain numbers in,
// plain numbers out). docs/evaluation.md gives each formula and its source.

#include <vector>

namespace hotref::evaluate {

/// Counts before and after in one area.
struct BeforeAfter {
    double before = 0;
    double after = 0;
    [[nodiscard]] double change() const noexcept { return after - before; }
    /// Percentage change; NaN when before is 0.
    [[nodiscard]] double percent_change() const noexcept;
};

struct Interval {
    double estimate = 0;
    double lower = 0;
    double upper = 0;
};

/// Rate ratio after/before with exposures (e.g. months) t_after and t_before,
/// its 95 % interval (log-normal), and the exact conditional (binomial) test:
/// given the total, after ~ Binomial(total, t_after / (t_after + t_before)) under no change.
struct RateRatio {
    Interval ratio;
    double p_exact = 1; // two-sided, exact conditional Poisson test
};
RateRatio rate_ratio(double after, double t_after, double before, double t_before);

/// Incidence rate ratio of the target against a control: (Ta/Tb) / (Ca/Cb), with
/// its 95 % interval from the log-scale SE sqrt(1/Ta + 1/Tb + 1/Ca + 1/Cb).
Interval irr_against_control(const BeforeAfter& target, const BeforeAfter& control);

/// Bowers & Johnson (2003): success measure SM = Ra/Ca - Rb/Cb, buffer displacement
/// measure BDM = Da/Ca - Db/Cb, WDQ = BDM / SM (meaningful only when SM < 0).
struct Wdq {
    double success = 0;
    double buffer_displacement = 0;
    double wdq = 0;         // NaN when SM >= 0 (no success to weigh displacement against)
    bool meaningful = false;
    const char* reading = ""; // "diffusion of benefit", "displacement", "no displacement or diffusion", ...
};
Wdq weighted_displacement_quotient(const BeforeAfter& target, const BeforeAfter& buffer, const BeforeAfter& control);

/// Gross effect: the fall in the target, Rb - Ra (positive = fewer incidents).
double gross_effect(const BeforeAfter& target);
/// Net effect: the fall in the target beyond the control's trend, Rb (Ca/Cb) - Ra.
double net_effect(const BeforeAfter& target, const BeforeAfter& control);

/// Total Net Effect (Guerette 2009): the target's and the buffer's changes against
/// what the control's trend predicts: [Rb (Ca/Cb) - Ra] + [Db (Ca/Cb) - Da]; positive = crimes prevented.
double total_net_effect(const BeforeAfter& target, const BeforeAfter& buffer, const BeforeAfter& control);

/// Wheeler & Ratcliffe (2018) Weighted Displacement Difference:
/// WDD = dT - dCT + dD - dCD (d = after - before), Poisson variance the sum of all eight counts.
struct Wdd {
    double wdd = 0;
    double variance = 0;
    double se = 0;
    double z = 0;
    Interval ci95;
};
Wdd weighted_displacement_difference(const BeforeAfter& treated, const BeforeAfter& control_treated,
                                     const BeforeAfter& displacement, const BeforeAfter& control_displacement);

/// WDD with one control area C for both the treated area T and the displacement
/// area D, scaled to each one's "before" count (C x Tb/Cb and C x Db/Cb), so that a
/// study-wide control can serve a single hotspot; the scaled control's variance is
/// s^2 (Cb + Ca).
Wdd weighted_displacement_difference_scaled(const BeforeAfter& treated, const BeforeAfter& displacement,
                                            const BeforeAfter& control);

/// Predictive Accuracy Index (Chainey et al. 2008), cumulative over areas ranked by
/// `predicted` (descending): element k is PAI of the top k+1 areas,
/// (observed share) / (area share).
std::vector<double> pai_by_rank(const std::vector<double>& observed, const std::vector<double>& predicted,
                                const std::vector<double>& area);

/// Predictive Efficiency Index (Hunt 2016): PAI of the areas chosen / the largest PAI
/// any set of areas of the same total area could have (the most observed first).
std::vector<double> pei_by_rank(const std::vector<double>& observed, const std::vector<double>& predicted,
                                const std::vector<double>& area);

/// Two-sided exact binomial p-value of x successes in n trials at probability p
/// (the sum of the probabilities of outcomes no more likely than x).
double binomial_two_sided(double x, double n, double p);

} // namespace hotref::evaluate
