// The cost account against a hand-worked spreadsheet example, and the config's checks.

#include "core/error.hpp"
#include "evaluate/costs.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace ev = hotref::evaluate;
namespace t = hotref::test;
using t::contains;

namespace {

const char* config_text = R"(# a test account
label = TEST
programme.grant = 100,000 high 120000      # the grant letter (test)
programme.provider_contract = 20000        # the provider contract (test)
programme.other = 0                        # none (test)
officer.hours_saved_per_resolution = 2 low 1 high 3   # ASSUMPTION (test)
officer.hourly_cost = 40 low 30 high 50    # ASSUMPTION (test)
harm.unit_cost_factor = 1 low 0.5 high 1.5 # ASSUMPTION (test)
unit_costs = uc.csv
comparator = caution
price.harassment = vwi
price.asb = none
)";

} // namespace

TEST_CASE("costs: the account matches a spreadsheet worked by hand") {
    t::TempDir tmp;
    t::write_file(tmp.file("c.conf"), config_text);
    t::write_file(tmp.file("uc.csv"), "id,offence_type,unit_cost_gbp,price_year,source\n"
                                      "vwi,Violence with injury,14050,2015/16,test\n");
    const auto config = ev::read_costs_config(tmp.file("c.conf"));
    CHECK(config.label == "TEST");
    CHECK(config.params.at("programme.grant").high == 120000);
    CHECK(config.params.at("officer.hourly_cost").source == "ASSUMPTION (test)");
    const auto uc = ev::read_unit_costs(config.unit_costs_file);
    ev::CostOutcomes o;
    o.referrals = 200;
    o.completions = 150;
    o.rd = -0.10;
    o.rd_lower = -0.15;
    o.rd_upper = -0.05;
    o.offence_share = {{"harassment", 0.25}, {"asb", 0.75}};
    const auto a = ev::cost_account(config, uc, o);
    REQUIRE(a.scenarios.size() == 3);
    // The spreadsheet, column by column (low takes the least favourable end of each range):
    //                         low                 central            high
    // programme cost          120000+20000        100000+20000       100000+20000
    // reoffences avoided      0.05*200 = 10       0.10*200 = 20      0.15*200 = 30
    // officer value           200*1*30 = 6000     200*2*40 = 16000   200*3*50 = 30000
    // harm avoided            10*.25*14050*.5     20*.25*14050*1     30*.25*14050*1.5
    //                         = 17562.5           = 70250            = 158062.5
    // benefit-cost ratio      23562.5/140000      86250/120000       188062.5/120000
    const auto& lo = a.scenarios[0];
    const auto& mid = a.scenarios[1];
    const auto& hi = a.scenarios[2];
    CHECK(lo.programme_cost == 140000);
    CHECK(mid.programme_cost == 120000);
    CHECK(hi.programme_cost == 120000);
    CHECK(mid.cost_per_referral == 600);
    CHECK(mid.cost_per_completion == 800);
    CHECK(lo.cost_per_completion == doctest::Approx(933.3333));
    CHECK(lo.reoffences_avoided == doctest::Approx(10));
    CHECK(mid.reoffences_avoided == doctest::Approx(20));
    CHECK(hi.reoffences_avoided == doctest::Approx(30));
    CHECK(mid.cost_per_reoffence_avoided == doctest::Approx(6000));
    CHECK(lo.officer_value == 6000);
    CHECK(mid.officer_value == 16000);
    CHECK(hi.officer_value == 30000);
    CHECK(lo.harm_avoided == doctest::Approx(17562.5));
    CHECK(mid.harm_avoided == doctest::Approx(70250));
    CHECK(hi.harm_avoided == doctest::Approx(158062.5));
    CHECK(lo.bcr == doctest::Approx(0.1683036));
    CHECK(mid.bcr == doctest::Approx(0.71875));
    CHECK(hi.bcr == doctest::Approx(1.5671875));
    CHECK(mid.reoffences_priced == doctest::Approx(5));
    REQUIRE(a.notes.size() == 1);
    CHECK(contains(a.notes[0], "asb (75% of referrals): its reoffences avoided are not priced"));
    // IJ doing worse than the comparator: nothing avoided, no cost per reoffence avoided.
    o.rd = 0.02;
    o.rd_lower = -0.01;
    o.rd_upper = 0.05;
    const auto worse = ev::cost_account(config, uc, o);
    CHECK(worse.scenarios[1].reoffences_avoided == doctest::Approx(-4));
    CHECK(std::isnan(worse.scenarios[1].cost_per_reoffence_avoided));
}

TEST_CASE("costs: a config names file and line of what is wrong, and wants every source") {
    t::TempDir tmp;
    auto fails_with = [&](const std::string& text, const std::string& message) {
        t::write_file(tmp.file("c.conf"), text);
        try {
            ev::read_costs_config(tmp.file("c.conf"));
            FAIL("accepted: " << text);
        } catch (const hotref::InputError& e) {
            CHECK_MESSAGE(contains(e.what(), message), e.what());
        }
    };
    fails_with("programme.grant = 1000\n", tmp.file("c.conf") + ":1: programme.grant: give its source after '#'");
    fails_with("programme.grant = £1000 # x\n", ":1: programme.grant: '£1000' is not a number");
    fails_with("\nofficer.hourly_cost = 40 low 50 # x\n", ":2: officer.hourly_cost: low <= central <= high");
    fails_with("programme.grants = 1 # x\n", ":1: unknown setting 'programme.grants'");
    fails_with("programme.grant = 1 # x\n", "programme.provider_contract is missing");
    fails_with("comparator = prison\n", ":1: comparator: 'prison' is not charge-summons, caution or nfa");
}

TEST_CASE("costs: the shipped unit-cost table and example config read, and every price names a row") {
    const std::string conf = std::string{HOTREF_SOURCE_DIR} + "/docs/examples/scheme-costs.conf";
    const auto config = ev::read_costs_config(conf);
    const auto uc = ev::read_unit_costs(config.unit_costs_file);
    CHECK(uc.size() >= 1);
    for (const auto& entry : config.price_as) { // not a structured binding: clang 14 cannot CAPTURE one
        const auto& offence = entry.first;
        const auto& id = entry.second;
        CAPTURE(offence);
        CHECK((id == "none" || uc.count(id) == 1));
    }
    for (const auto& [id, u] : uc) {
        CHECK(u.price_year == "2015/16");
        CHECK(u.cost > 0);
    }
}
