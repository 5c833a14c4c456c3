#include "evaluate/measures.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

using namespace hotref::evaluate;

TEST_CASE("evaluate: WDD matches Wheeler & Ratcliffe's (2018) worked example") {
    // Control 308 -> 318, treated 207 -> 110, displacement control 150 -> 140, displacement 178 -> 157.
    const auto w = weighted_displacement_difference({207, 110}, {308, 318}, {178, 157}, {150, 140});
    CHECK(w.wdd == doctest::Approx(-118));
    CHECK(w.variance == doctest::Approx(1568));
    CHECK(w.se == doctest::Approx(39.598).epsilon(1e-4));
    CHECK(w.z == doctest::Approx(-2.98).epsilon(1e-3));
    CHECK(w.ci95.upper < 0); // significant at 95 %
}

TEST_CASE("evaluate: PAI by rank, the published check (observed 6, 3, 0; predicted 3, 2, 1; unit areas)") {
    const auto pai = pai_by_rank({6, 3, 0}, {3, 2, 1}, {1, 1, 1});
    REQUIRE(pai.size() == 3);
    CHECK(pai[0] == doctest::Approx(2.0));
    CHECK(pai[1] == doctest::Approx(1.5));
    CHECK(pai[2] == doctest::Approx(1.0));
    // The prediction put the busiest first: as efficient as possible.
    const auto pei = pei_by_rank({6, 3, 0}, {3, 2, 1}, {1, 1, 1});
    CHECK(pei[0] == doctest::Approx(1.0));
    // Predicting the quiet area first halves nothing but wastes the first pick.
    const auto worse = pei_by_rank({6, 3, 0}, {1, 2, 3}, {1, 1, 1});
    CHECK(worse[0] == doctest::Approx(0.0));
    CHECK(worse[1] == doctest::Approx(1.0 / 3)); // PAI 0.5 of the best 1.5 for two areas
}

TEST_CASE("evaluate: WDQ, success and displacement measures (Bowers & Johnson 2003), and the TNE") {
    // Target 100 -> 60, buffer 80 -> 70, control 1000 -> 1000 (hand-worked).
    const auto w = weighted_displacement_quotient({100, 60}, {80, 70}, {1000, 1000});
    CHECK(w.success == doctest::Approx(-0.04));
    CHECK(w.buffer_displacement == doctest::Approx(-0.01));
    CHECK(w.wdq == doctest::Approx(0.25));
    CHECK(w.meaningful);
    CHECK(std::string{w.reading} == "diffusion of benefit to the buffer");
    const auto displaced = weighted_displacement_quotient({100, 60}, {80, 100}, {1000, 1000});
    CHECK(displaced.wdq == doctest::Approx(-0.5));
    CHECK(std::string{displaced.reading} == "displacement to the buffer, smaller than the direct effect");
    const auto no_success = weighted_displacement_quotient({100, 120}, {80, 70}, {1000, 1000});
    CHECK_FALSE(no_success.meaningful);
    CHECK(std::isnan(no_success.wdq));
    CHECK(std::string{no_success.reading} == "no reduction to measure displacement against");
    const auto no_control = weighted_displacement_quotient({100, 60}, {80, 70}, {0, 0});
    CHECK(std::string{no_control.reading} == "no control incidents to compare against");
    // Gross and net effects: 40 fewer; against a control that rose 10 %, 110 expected, so 50 net.
    CHECK(gross_effect({100, 60}) == doctest::Approx(40));
    CHECK(net_effect({100, 60}, {1000, 1100}) == doctest::Approx(50));
    // TNE: the control did not change, so 40 prevented in the target and 10 in the buffer.
    CHECK(total_net_effect({100, 60}, {80, 70}, {1000, 1000}) == doctest::Approx(50));
    CHECK(total_net_effect({100, 60}, {80, 70}, {1000, 1100}) == doctest::Approx(110 - 60 + 88 - 70));
}

TEST_CASE("evaluate: rate ratios and the exact conditional test (R binom.test)") {
    // 25 before and 10 after over equal periods: binom.test(10, 35, 0.5) gives p = 0.01667.
    const auto r = rate_ratio(10, 6, 25, 6);
    CHECK(r.ratio.estimate == doctest::Approx(0.4));
    CHECK(r.p_exact == doctest::Approx(0.016673848).epsilon(1e-6));
    CHECK(r.ratio.upper < 1);
    // Unequal periods: 10 in 3 months against 25 in 6 is a rate ratio of 0.8.
    CHECK(rate_ratio(10, 3, 25, 6).ratio.estimate == doctest::Approx(0.8));
    CHECK(binomial_two_sided(5, 10, 0.5) == doctest::Approx(1.0));
    // Against a control: (60/100) / (1000/1000).
    const auto irr = irr_against_control({100, 60}, {1000, 1000});
    CHECK(irr.estimate == doctest::Approx(0.6));
    CHECK(irr.upper < 1);
    CHECK(BeforeAfter{200, 150}.percent_change() == doctest::Approx(-25));
}

TEST_CASE("evaluate: WDD with one control scaled to each area (hand-worked)") {
    // C 1000 -> 900, T 100 -> 60, D 50 -> 50: scales 0.1 and 0.05, control changes -10 and -5.
    const auto w = weighted_displacement_difference_scaled({100, 60}, {50, 50}, {1000, 900});
    CHECK(w.wdd == doctest::Approx(-40 + 10 + 0 + 5));
    CHECK(w.variance == doctest::Approx(160 + 100 + (0.01 + 0.0025) * 1900));
    // With the control the same size as the areas, it is the published WDD.
    const auto same = weighted_displacement_difference_scaled({100, 60}, {100, 80}, {100, 90});
    const auto published = weighted_displacement_difference({100, 60}, {100, 90}, {100, 80}, {100, 90});
    CHECK(same.wdd == doctest::Approx(published.wdd));
    CHECK(same.variance == doctest::Approx(published.variance));
}
