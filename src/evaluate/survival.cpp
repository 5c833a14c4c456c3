#include "evaluate/survival.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace hotref::evaluate {

namespace {
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
}

Proportion wilson(double events, double n, double z) {
    if (!(events >= 0) || !(n >= events)) {
        throw std::invalid_argument("wilson: need 0 <= events <= n");
    }
    Proportion p{events, n, nan, nan, nan};
    if (n == 0) {
        return p;
    }
    const double phat = events / n;
    const double z2 = z * z;
    const double centre = (phat + z2 / (2 * n)) / (1 + z2 / n);
    const double half = z / (1 + z2 / n) * std::sqrt(phat * (1 - phat) / n + z2 / (4 * n * n));
    p.estimate = phat;
    p.lower = std::max(0.0, centre - half);
    p.upper = std::min(1.0, centre + half);
    return p;
}

std::vector<KmStep> kaplan_meier(const std::vector<Subject>& subjects, double z) {
    std::vector<Subject> s = subjects;
    // By time; at a tie, events first (a censoring tied with an event was at risk for it).
    std::sort(s.begin(), s.end(), [](const Subject& x, const Subject& y) {
        return x.time != y.time ? x.time < y.time : x.event > y.event;
    });
    std::vector<KmStep> out;
    double at_risk = static_cast<double>(s.size());
    double survival = 1, greenwood = 0;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t j = i;
        double d = 0, c = 0;
        for (; j < s.size() && s[j].time == s[i].time; ++j) {
            (s[j].event ? d : c) += 1;
        }
        if (d > 0) {
            KmStep step;
            step.time = s[i].time;
            step.at_risk = at_risk;
            step.events = d;
            step.censored = c;
            survival *= 1 - d / at_risk;
            greenwood += at_risk > d ? d / (at_risk * (at_risk - d)) : std::numeric_limits<double>::infinity();
            step.survival = survival;
            step.se = survival * std::sqrt(greenwood);
            if (survival > 0 && survival < 1 && std::isfinite(greenwood)) {
                const double se_ll = std::sqrt(greenwood) / std::fabs(std::log(survival));
                step.lower = std::pow(survival, std::exp(z * se_ll));
                step.upper = std::pow(survival, std::exp(-z * se_ll));
            } else {
                step.lower = step.upper = nan; // S = 0: the log-log interval is not defined
                step.se = survival == 0 ? 0 : step.se;
            }
            out.push_back(step);
        }
        at_risk -= d + c;
        i = j;
    }
    return out;
}

KmStep km_at(const std::vector<KmStep>& curve, const std::vector<Subject>& subjects, double t) {
    KmStep at;
    at.time = t;
    at.lower = at.upper = 1;
    for (const auto& step : curve) {
        if (step.time > t) {
            break;
        }
        at.survival = step.survival;
        at.se = step.se;
        at.lower = step.lower;
        at.upper = step.upper;
    }
    at.at_risk = static_cast<double>(std::count_if(subjects.begin(), subjects.end(),
                                                   [t](const Subject& s) { return s.time >= t; }));
    return at;
}

RiskDifference mantel_haenszel_rd(const std::vector<Stratum>& strata, double z) {
    double num = 0, weight = 0, p = 0, q = 0;
    RiskDifference rd;
    for (const auto& s : strata) {
        const double n = s.n1 + s.n0;
        if (s.n1 <= 0 || s.n0 <= 0) {
            continue;
        }
        ++rd.strata_used;
        num += (s.a * s.n0 - s.c * s.n1) / n;
        weight += s.n1 * s.n0 / n;
        p += (s.n1 * s.n1 * s.c - s.n0 * s.n0 * s.a + s.n1 * s.n0 * (s.n0 - s.n1) / 2) / (n * n);
        q += (s.a * (s.n0 - s.c) + s.c * (s.n1 - s.a)) / (2 * n);
    }
    if (rd.strata_used == 0) {
        rd.estimate = rd.variance = rd.lower = rd.upper = nan;
        return rd;
    }
    rd.estimate = num / weight;
    rd.variance = (rd.estimate * p + q) / (weight * weight);
    const double se = std::sqrt(std::max(0.0, rd.variance));
    // A difference of risks lies in [-1, 1]; a Wald interval on few people can reach past it.
    rd.lower = std::max(-1.0, rd.estimate - z * se);
    rd.upper = std::min(1.0, rd.estimate + z * se);
    return rd;
}

double greenland_robins_rd_variance(const std::vector<Stratum>& strata) {
    double sum = 0, weight = 0;
    for (const auto& s : strata) {
        const double n = s.n1 + s.n0;
        if (s.n1 <= 0 || s.n0 <= 0) {
            continue;
        }
        weight += s.n1 * s.n0 / n;
        sum += (s.a * (s.n1 - s.a) * s.n0 * s.n0 * s.n0 + s.c * (s.n0 - s.c) * s.n1 * s.n1 * s.n1) /
               (s.n1 * s.n0 * n * n);
    }
    return weight > 0 ? sum / (weight * weight) : nan;
}

} // namespace hotref::evaluate
