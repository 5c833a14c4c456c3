// The comparison's statistics against published values: Wilson intervals (Newcombe 1998),
// Kaplan-Meier with Greenwood's standard errors and log-log limits (the Freireich 6-MP data),
// and the Mantel-Haenszel risk difference (Rothman's tolbutamide example) with Sato's variance;
// and Kaplan-Meier against R's survival package, run live on a fixture.

#include "evaluate/survival.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace ev = hotref::evaluate;

TEST_CASE("survival: Wilson score intervals match Newcombe (1998), Table II, method 3") {
    // Newcombe RG (1998) Two-sided confidence intervals for the single proportion: comparison of
    // seven methods. Stat Med 17:857-872, Table II (95 % limits, method 3: score without continuity correction).
    struct Case {
        double r, n, lo, hi;
    };
    const Case cases[] = {{81, 263, 0.2553, 0.3662}, {15, 148, 0.0624, 0.1605}, {0, 20, 0.0, 0.1611},
                          {1, 29, 0.0061, 0.1718}};
    for (const auto& c : cases) {
        CAPTURE(c.r);
        CAPTURE(c.n);
        const auto p = ev::wilson(c.r, c.n);
        CHECK(p.estimate == doctest::Approx(c.r / c.n));
        CHECK(std::fabs(p.lower - c.lo) < 6e-5);
        CHECK(std::fabs(p.upper - c.hi) < 6e-5);
    }
    CHECK(std::isnan(ev::wilson(0, 0).estimate));
    CHECK_THROWS(ev::wilson(3, 2));
}

TEST_CASE("survival: Kaplan-Meier on the Freireich 6-MP arm matches the published table") {
    // Freireich et al. (1963) remission times (weeks) of the 6-MP arm, as analysed by Gehan (1965);
    // '+' censored: 6 6 6 6+ 7 9+ 10 10+ 11+ 13 16 17+ 19+ 20+ 22 23 25+ 32+ 32+ 34+ 35+.
    // Published: Kleinbaum DG, Klein M (2012) Survival Analysis: A Self-Learning Text, 3rd ed.,
    // Springer, chapter 2 (the KM table of the 6-MP group), and Collett D (2015) Modelling Survival
    // Data in Medical Research, 3rd ed.: S(t) and Greenwood standard errors below; the log-log
    // limits are those R's survival package prints for survfit(..., conf.type = "log-log") on these data.
    const std::vector<std::pair<double, bool>> data{
        {6, true},   {6, true},   {6, true},   {6, false},  {7, true},   {9, false},  {10, true},
        {10, false}, {11, false}, {13, true},  {16, true},  {17, false}, {19, false}, {20, false},
        {22, true},  {23, true},  {25, false}, {32, false}, {32, false}, {34, false}, {35, false}};
    std::vector<ev::Subject> subjects;
    for (const auto& [t, e] : data) {
        subjects.push_back({t, e});
    }
    const auto km = ev::kaplan_meier(subjects);
    struct Row {
        double t, n, d, s, se, lo, hi;
    };
    const Row published[] = {{6, 21, 3, 0.857, 0.076, 0.620, 0.952},  {7, 17, 1, 0.807, 0.087, 0.563, 0.923},
                             {10, 15, 1, 0.753, 0.096, 0.503, 0.889}, {13, 12, 1, 0.690, 0.107, 0.432, 0.849},
                             {16, 11, 1, 0.627, 0.114, 0.368, 0.805}, {22, 7, 1, 0.538, 0.128, 0.268, 0.747},
                             {23, 6, 1, 0.448, 0.135, 0.188, 0.680}};
    REQUIRE(km.size() == 7);
    for (std::size_t i = 0; i < km.size(); ++i) {
        CAPTURE(published[i].t);
        CHECK(km[i].time == published[i].t);
        CHECK(km[i].at_risk == published[i].n);
        CHECK(km[i].events == published[i].d);
        CHECK(std::fabs(km[i].survival - published[i].s) < 6e-4);
        CHECK(std::fabs(km[i].se - published[i].se) < 6e-4);
        CHECK(std::fabs(km[i].lower - published[i].lo) < 6e-4);
        CHECK(std::fabs(km[i].upper - published[i].hi) < 6e-4);
    }
    // Between steps the curve holds; at risk counts those with time >= t.
    const auto at12 = ev::km_at(km, subjects, 12);
    CHECK(std::fabs(at12.survival - 0.753) < 6e-4);
    CHECK(at12.at_risk == 12);
    CHECK(ev::km_at(km, subjects, 3).survival == 1);
    CHECK(ev::kaplan_meier({{5, false}, {9, false}}).empty());
}

TEST_CASE("survival: the Mantel-Haenszel risk difference of Rothman's tolbutamide example") {
    // University Group Diabetes Program, deaths by age: under 55, tolbutamide 8/106 and placebo 5/120;
    // 55 and over, 22/98 and 16/85. Rothman KJ (2012) Epidemiology: An Introduction, 2nd ed., Oxford
    // University Press, chapter 10 (stratified analysis; also Rothman, Greenland & Lash, Modern
    // Epidemiology, 3rd ed., chapter 15): RD_MH = 3.5 %.
    const std::vector<ev::Stratum> strata{{8, 106, 5, 120}, {22, 98, 16, 85}};
    const auto rd = ev::mantel_haenszel_rd(strata);
    CHECK(rd.strata_used == 2);
    CHECK(std::round(rd.estimate * 1000) / 10 == doctest::Approx(3.5));
    // Sato's variance, worked by hand from Sato (1989) Biometrics 45:1323, eq. for Var(RD_MH):
    // W = sum n1 n0 / N = 56.283 + 45.519; P = sum (n1^2 c - n0^2 a + n1 n0 (n0 - n1) / 2) / N^2;
    // Q = sum (a (n0 - c) + c (n1 - a)) / (2 N); Var = (RD P + Q) / W^2 = 0.0010178, SE 0.03190.
    CHECK(rd.variance == doctest::Approx(0.0010178).epsilon(1e-4));
    CHECK(rd.lower == doctest::Approx(0.03490 - 1.959964 * 0.031903).epsilon(1e-3));
    // Greenland & Robins' (1985) large-strata variance is nearly the same on strata this large.
    CHECK(ev::greenland_robins_rd_variance(strata) == doctest::Approx(0.0010175).epsilon(1e-4));
}

TEST_CASE("survival: in one stratum both variances are the Wald variance of a difference of proportions") {
    // An independent formula: Var(p1 - p0) = p1 (1 - p1) / n1 + p0 (1 - p0) / n0.
    const double a = 8, n1 = 106, c = 5, n0 = 120;
    const double wald = (a / n1) * (1 - a / n1) / n1 + (c / n0) * (1 - c / n0) / n0;
    const auto rd = ev::mantel_haenszel_rd({{a, n1, c, n0}});
    CHECK(rd.estimate == doctest::Approx(a / n1 - c / n0));
    CHECK(rd.variance == doctest::Approx(wald));
    CHECK(ev::greenland_robins_rd_variance({{a, n1, c, n0}}) == doctest::Approx(wald));
    // A stratum with nobody in one group carries no weight; none at all: NaN.
    const auto with_empty = ev::mantel_haenszel_rd({{a, n1, c, n0}, {3, 10, 0, 0}});
    CHECK(with_empty.strata_used == 1);
    CHECK(with_empty.estimate == doctest::Approx(rd.estimate));
    CHECK(std::isnan(ev::mantel_haenszel_rd({{3, 10, 0, 0}}).estimate));
}

// An independent computation: R's survival package (Therneau; Debian r-cran-survival, which
// tools/setup.sh installs) on a fixture with tied events, censorings tied with events and
// late entries of censoring, as a year of referrals gives them. survfit's std.err is the
// standard error of the cumulative hazard, so Greenwood's SE of S is std.err x S; its
// conf.type = "log-log" interval is the one hotref gives.
TEST_CASE("survival: Kaplan-Meier, Greenwood and log-log limits match R survfit on a 300-subject fixture") {
    REQUIRE_MESSAGE(std::system("command -v Rscript >/dev/null 2>&1") == 0,
                    "Rscript is not installed: run tools/setup.sh (r-base-core, r-cran-survival)");
    // Deterministic subjects: days 1..365, many ties, about a third censored.
    std::vector<ev::Subject> subjects;
    std::uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 300; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        const double time = static_cast<double>(1 + (x >> 11) % 73) * 5; // multiples of 5 days: ties
        const bool event = (x >> 3) % 3 != 0;
        subjects.push_back({time, event});
    }
    hotref::test::TempDir tmp;
    std::string csv = "time,status\n";
    for (const auto& s : subjects) {
        csv += std::to_string(static_cast<int>(s.time)) + "," + (s.event ? "1" : "0") + "\n";
    }
    hotref::test::write_file(tmp.file("subjects.csv"), csv);
    hotref::test::write_file(tmp.file("km.R"),
                             "suppressMessages(library(survival))\n"
                             "d <- read.csv(commandArgs(TRUE)[1])\n"
                             "f <- survfit(Surv(time, status) ~ 1, data = d, conf.type = 'log-log')\n"
                             "k <- f$n.event > 0\n"
                             "o <- data.frame(time = f$time[k], n = f$n.risk[k], d = f$n.event[k], s = f$surv[k],\n"
                             "                se = f$std.err[k] * f$surv[k], lo = f$lower[k], hi = f$upper[k])\n"
                             "write.csv(format(o, digits = 15), commandArgs(TRUE)[2], row.names = FALSE, quote = FALSE)\n");
    const std::string cmd = "Rscript --vanilla " + tmp.file("km.R") + " " + tmp.file("subjects.csv") + " " +
                            tmp.file("r.csv") + " 2>" + tmp.file("r.err");
    REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, hotref::test::read_file(tmp.file("r.err")));
    std::vector<std::array<double, 7>> r;
    std::istringstream in{hotref::test::read_file(tmp.file("r.csv"))};
    std::string line;
    std::getline(in, line); // header
    while (std::getline(in, line)) {
        std::array<double, 7> row{};
        std::istringstream fields{line};
        std::string f;
        for (auto& v : row) {
            std::getline(fields, f, ',');
            v = f.find("NA") != std::string::npos ? std::numeric_limits<double>::quiet_NaN() : std::stod(f);
        }
        r.push_back(row);
    }
    const auto km = ev::kaplan_meier(subjects);
    REQUIRE(km.size() == r.size());
    REQUIRE(r.size() > 40);
    for (std::size_t i = 0; i < km.size(); ++i) {
        CAPTURE(i);
        CHECK(km[i].time == r[i][0]);
        CHECK(km[i].at_risk == r[i][1]);
        CHECK(km[i].events == r[i][2]);
        CHECK(km[i].survival == doctest::Approx(r[i][3]).epsilon(1e-10));
        CHECK(km[i].se == doctest::Approx(r[i][4]).epsilon(1e-9));
        if (std::isfinite(r[i][5])) { // R gives NA limits once S reaches 0
            CHECK(km[i].lower == doctest::Approx(r[i][5]).epsilon(1e-9));
            CHECK(km[i].upper == doctest::Approx(r[i][6]).epsilon(1e-9));
        }
    }
}
