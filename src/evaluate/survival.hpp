#pragma once
// The statistics of the comparison of routes (hotref referral compare; docs/compare.md):
// a proportion with its Wilson score interval, the Kaplan–Meier estimate with Greenwood's
// variance and log-log intervals, and the Mantel–Haenszel risk difference over strata with
// Sato's variance. Plain numbers in and out.

#include <vector>

namespace hotref::evaluate {

/// z of a two-sided 95 % interval.
inline constexpr double z95 = 1.959963984540054;

struct Proportion {
    double events = 0;
    double n = 0;
    double estimate = 0;   // events / n (NaN when n is 0)
    double lower = 0;      // Wilson score interval (Wilson 1927; Newcombe 1998, method 3)
    double upper = 0;
};

/// events / n with the Wilson score interval at `z`. Requires 0 <= events <= n.
Proportion wilson(double events, double n, double z = z95);

struct Subject {
    double time = 0;    // days from the start to the event or to censoring
    bool event = false; // true: the event (a reoffence) at `time`; false: censored at `time`
};

/// One distinct event time of a Kaplan–Meier curve.
struct KmStep {
    double time = 0;
    double at_risk = 0;  // subjects with time >= this time
    double events = 0;
    double censored = 0; // censored at exactly this time (after the events)
    double survival = 1; // S(t) just after this time
    double se = 0;       // Greenwood: S * sqrt(sum d / (n (n - d)))
    double lower = 0;    // log-log interval: S^exp(+z se_loglog), S^exp(-z se_loglog)
    double upper = 1;
};

/// The Kaplan–Meier estimate (Kaplan & Meier 1958) at each distinct event time, with
/// Greenwood's (1926) variance and the log-log (complementary log-log) interval at `z`.
/// A censoring tied with events counts as at risk at that time. Empty for no events.
std::vector<KmStep> kaplan_meier(const std::vector<Subject>& subjects, double z = z95);

/// The curve at time t (the last step at or before t; S = 1 with a zero-width interval
/// before the first event). `at_risk` is filled with the subjects still at risk at t (time >= t).
KmStep km_at(const std::vector<KmStep>& curve, const std::vector<Subject>& subjects, double t);

/// One stratum of a comparison: `a` events of `n1` in the group of interest, `c` of `n0` in the other.
struct Stratum {
    double a = 0, n1 = 0, c = 0, n0 = 0;
};

struct RiskDifference {
    double estimate = 0;  // risk in the first group minus the risk in the second
    double variance = 0;  // Sato (1989)
    double lower = 0, upper = 0;
    int strata_used = 0;  // strata with people in both groups
};

/// The Mantel–Haenszel risk difference (weights n1 n0 / N; Greenland & Robins 1985) with
/// Sato's (1989) variance, which holds both for many sparse strata and for few large ones,
/// and a Wald interval at `z`, cut to [-1, 1]. Strata without people in one group carry no weight.
/// NaN estimate when no stratum has both groups.
RiskDifference mantel_haenszel_rd(const std::vector<Stratum>& strata, double z = z95);

/// Greenland & Robins' (1985) variance of the same estimate (large strata); for comparison.
double greenland_robins_rd_variance(const std::vector<Stratum>& strata);

} // namespace hotref::evaluate
