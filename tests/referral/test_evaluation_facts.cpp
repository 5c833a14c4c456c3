// The scheme's evaluation facts of a referral (issue 18): workshop type, AQA unit, onward
// referrals, disclosure (that one was made, never its content) and the survey (only with
// consent), under the lifecycle and audit rules; retention; and their KPIs, each checked
// against counts made here from the fixture's own definition, and as published.

#include "core/error.hpp"
#include "fixtures.hpp"
#include "hotspot/pipeline.hpp"
#include "publish/model.hpp"
#include "referral/kpi.hpp"
#include "referral/registry.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>

namespace t = hotref::test;
using hotref::referral::Registry;

namespace {

hotref::referral::RegistryOptions options() {
    hotref::referral::RegistryOptions o;
    o.actor = "test caseworker";
    o.secret = "a-test-secret-of-enough-length";
    return o;
}

// upsert in a transaction: "" and the result, or the problems ("field: reason" lines).
struct Setter {
    hotref::store::Store& store;
    Registry reg{store, options()};
    std::string operator()(std::map<std::string, std::string> fields) {
        try {
            hotref::store::Transaction tx{connection(store)};
            const auto what = reg.upsert(fields);
            tx.commit();
            return what;
        } catch (const hotref::referral::Rejected& r) {
            std::string all;
            for (const auto& e : r.errors()) {
                all += e.field + ": " + e.reason + "\n";
            }
            return all;
        }
    }
};

} // namespace

TEST_CASE("referral facts: recorded, refused where the lifecycle says no, and audited") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false).committed);
    Setter set{store};
    const std::string one = "IJ-2025-0001"; // asb, workshop attended 2025-03-08T11:00, consent yes, completed
    // Workshops are tailored to the offence.
    CHECK(t::contains(set({{"reference", one}, {"workshop_type", "shop-theft"}}),
                      "workshop_type: 'shop-theft' does not fit the offence asb"));
    CHECK(t::contains(set({{"reference", one}, {"workshop_type", "knitting"}}), "'knitting' is not one of asb-impact"));
    CHECK(set({{"reference", one}, {"workshop_type", "asb-impact"}}) == "updated");
    // No workshop type before the workshop is booked (IJ-2025-0002 is only contacted).
    CHECK(t::contains(set({{"reference", "IJ-2025-0002"}, {"workshop_type", "asb-impact"}}),
                      "is set but workshop_booked_at is not"));
    // AQA: unit and date together, not before the workshop.
    CHECK(t::contains(set({{"reference", one}, {"aqa_unit", "AQA Unit Award 1"}, {"aqa_date", "2025-03-07"}}),
                      "aqa_date: is before the workshop"));
    CHECK(t::contains(set({{"reference", one}, {"aqa_unit", "AQA Unit Award 1"}}), "give the AQA unit and its date"));
    CHECK(set({{"reference", one}, {"aqa_unit", "AQA Unit Award 1"}, {"aqa_date", "08/03/2025"}}) == "updated");
    CHECK(Registry{store, options()}.find(one)->r.aqa_date == "2025-03-08");
    // Onward referrals: known agencies, dates, taken up yes/no/unknown.
    CHECK(t::contains(set({{"reference", one}, {"onward_referrals", "police:2025-03-05:yes"}}),
                      "onward_referrals: item 1 'police:2025-03-05:yes': 'police' is not an agency: one of "
                      "drugs-and-alcohol, mental-health"));
    CHECK(t::contains(set({{"reference", one}, {"onward_referrals", "housing:2025-03-05:maybe"}}),
                      "taken up 'maybe' is not yes, no or unknown"));
    CHECK(t::contains(set({{"reference", one}, {"onward_referrals", "housing:2025-02-05:yes"}}),
                      "is before the referral"));
    CHECK(t::contains(set({{"reference", one}, {"onward_referrals", "housing 2025-03-05"}}), "not agency:date:taken_up"));
    CHECK(set({{"reference", one}, {"onward_referrals", "housing:2025-03-05:yes; mental-health:09/03/2025:unknown"}}) ==
          "updated");
    // A disclosure: that one was made and which onward agency; its content is refused.
    CHECK(t::contains(set({{"reference", one}, {"disclosure_made", "yes"}, {"disclosure_agency", "youth-justice"}}),
                      "youth-justice is not among the onward referrals"));
    CHECK(t::contains(set({{"reference", one}, {"disclosure_agency", "housing"}}), "needs disclosure_made = yes"));
    CHECK(t::contains(set({{"reference", one}, {"disclosure_content", "told us about ..."}}),
                      "disclosure_content: 'disclosure_content' looks like the content of a disclosure"));
    CHECK(t::contains(set({{"reference", one}, {"Disclosure Notes", "x"}}), "special-category data"));
    CHECK(set({{"reference", one}, {"disclosure_made", "yes"}, {"disclosure_agency", "mental-health"}}) == "updated");
    // The survey: only with consent, only after the workshop.
    CHECK(t::contains(set({{"reference", "IJ-2025-0003"}, {"learnt_about_impact", "yes"}}),
                      "learnt_about_impact: survey answers are kept only with consent_evaluation = yes (it is no)"));
    CHECK(t::contains(set({{"reference", one}, {"consent_evaluation", "no"}, {"would_reoffend", "no"}}),
                      "would_reoffend: survey answers are kept only with consent_evaluation = yes"));
    CHECK(t::contains(set({{"reference", one}, {"would_reoffend", "perhaps"}}), "'perhaps' is not yes, no or unsure"));
    CHECK(set({{"reference", one}, {"learnt_about_impact", "yes"}, {"would_reoffend", "no"},
               {"survey_comment", "It made me think about the shop"}}) == "updated");
    Registry reg{store, options()};
    auto r = reg.find(one)->r;
    CHECK(r.survey() == "answered");
    CHECK(r.onward.size() == 2);
    CHECK(r.onward[1].date == "2025-03-09");
    CHECK(connection(store).query_int("SELECT count(*) FROM referral_onward WHERE referral_id = " +
                                      std::to_string(reg.find(one)->id)) == 2);
    // Consent withdrawn: the answers go, and the survey is recorded as not consented.
    CHECK(set({{"reference", one}, {"consent_evaluation", "no"}}) == "updated");
    r = reg.find(one)->r;
    CHECK(r.survey() == "not consented");
    CHECK_FALSE(r.learnt_about_impact.has_value());
    CHECK(r.survey_comment.empty());
    CHECK(connection(store).query_int("SELECT count(*) FROM referral WHERE reference = 'IJ-2025-0001' AND "
                                      "survey = 'not consented' AND survey_comment IS NULL") == 1);
    // The audit: each change of a field, old and new, as for the existing fields.
    std::map<std::string, std::vector<std::string>> by_field;
    for (const auto& a : reg.audit(reg.find(one)->id)) {
        by_field[a[3]].push_back(a[4] + " -> " + a[5]);
    }
    CHECK(by_field["workshop_type"] == std::vector<std::string>{" -> asb-impact"});
    CHECK(by_field["aqa_date"] == std::vector<std::string>{" -> 2025-03-08"});
    CHECK(by_field["onward_referrals"] ==
          std::vector<std::string>{"none -> housing:2025-03-05:yes;mental-health:2025-03-09:unknown"});
    CHECK(by_field["disclosure_agency"] == std::vector<std::string>{" -> mental-health"});
    CHECK(by_field["survey"] == std::vector<std::string>{" -> answered", "answered -> not consented"});
    // ... except the survey's answers once consent is withdrawn: who and when stay, the values go.
    CHECK(by_field["survey_comment"] == std::vector<std::string>{" -> ", "(removed: consent withdrawn) -> "});
    CHECK(by_field["would_reoffend"] == std::vector<std::string>{" -> ", "(removed: consent withdrawn) -> "});
    // No column of disclosure content in an import either: the whole file is refused.
    const std::string bad = tmp.file("disclosure.csv");
    t::write_file(bad, "reference,disclosure_text\nIJ-2025-0001,something\n");
    CHECK_THROWS_WITH_AS(hotref::referral::import_csv(store, bad, options(), false),
                         doctest::Contains("line 1: column 'disclosure_text' looks like the content of a disclosure"),
                         hotref::InputError);
}

TEST_CASE("referral facts: the template's example row imports with every new column") {
    // The header is the template's columns; the example row is the one `hotref referral template` prints.
    const auto r = t::run_hotref("referral template");
    REQUIRE(r.code == 0);
    const auto header = r.out.substr(0, r.out.find('\n'));
    std::string cols;
    for (const auto& c : hotref::referral::columns()) {
        cols += (cols.empty() ? "" : ",") + c;
    }
    CHECK(header == cols);
    for (const char* c : {"workshop_type", "aqa_unit", "aqa_date", "onward_referrals", "disclosure_made",
                          "disclosure_agency", "learnt_about_impact", "would_reoffend", "survey_comment"}) {
        CHECK(t::contains(header, c));
    }
    t::TempDir tmp;
    const auto csv = tmp.file("template.csv");
    t::write_file(csv, r.out);
    hotref::store::Store store{tmp.store(), true};
    const auto imported = hotref::referral::import_csv(store, csv, options(), false);
    CHECK(imported.errors.empty());
    CHECK(imported.created == 1);
    const auto s = Registry{store, options()}.find("IJ-2025-0001");
    REQUIRE(s);
    CHECK(s->r.workshop_type == "asb-impact");
    CHECK(s->r.onward.size() == 2);
    CHECK(s->r.survey() == "answered");
}

TEST_CASE("referral facts: retention removes the onward referrals, the disclosure and the survey comment") {
    t::TempDir tmp;
    const auto path = tmp.store();
    {
        hotref::store::Store store{path, true};
        REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), options(), false).committed);
        Setter set{store};
        REQUIRE(set({{"reference", "IJ-2025-0001"}, {"onward_referrals", "housing:2025-03-05:yes"},
                     {"disclosure_made", "yes"}, {"disclosure_agency", "housing"}, {"learnt_about_impact", "yes"},
                     {"survey_comment", "a remark only the caseworker reads"}, {"aqa_unit", "AQA Unit Award 7"},
                     {"aqa_date", "2025-03-08"}}) == "updated");
        REQUIRE(set({{"reference", "IJ-2025-0004"}, {"onward_referrals", "education-and-training:2025-03-08:no"}}) ==
                "updated");
        REQUIRE(connection(store).query_int("SELECT count(*) FROM referral_onward") == 2);
        // 12 months before 2026-03-04: 0001 and 0002 go, 0004 (created 2025-03-07) stays.
        CHECK(hotref::referral::purge_personal_data(store, 12, "2026-03-04", "records officer") == 2);
        auto& db = connection(store);
        CHECK(db.query_int("SELECT count(*) FROM referral_onward o JOIN referral r ON r.id = o.referral_id "
                           "WHERE r.reference = 'IJ-2025-0001'") == 0);
        CHECK(db.query_int("SELECT count(*) FROM referral_onward") == 1);
        CHECK(db.query_int("SELECT count(*) FROM referral WHERE reference = 'IJ-2025-0001' AND disclosure_made IS NULL "
                           "AND disclosure_agency IS NULL AND survey_comment IS NULL") == 1);
        // The KPI fields stay: the AQA unit and the yes/no answer.
        CHECK(db.query_int("SELECT count(*) FROM referral WHERE reference = 'IJ-2025-0001' AND aqa_unit IS NOT NULL "
                           "AND learnt_about_impact = 1") == 1);
        // Not recorded again on a purged referral.
        CHECK(t::contains(set({{"reference", "IJ-2025-0001"}, {"onward_referrals", "housing:2025-03-05:yes"}}),
                          "was removed on retention"));
    }
    const auto bytes = t::read_file(path) + t::read_file(path + "-wal");
    CHECK(bytes.find("a remark only the caseworker reads") == std::string::npos);
    CHECK(bytes.find("housing:2025-03-05:yes") == std::string::npos);
}

namespace {

// One synthetic referral of the KPI fixture, as plain facts: the test counts these itself.
struct Spec {
    std::string reference;
    bool in_hotspot = false;           // at Derby's centre (inside H-0001) or without a location
    bool attended = false;
    std::string workshop;              // "" when not booked
    bool aqa = false;
    std::optional<bool> interpreter;
    std::vector<std::pair<std::string, std::string>> onward; // agency, taken up
    bool consent = false;
    std::optional<bool> learnt;
    std::string would;
};

std::vector<Spec> fixture() {
    const char* types[] = {"asb-impact", "victim-awareness", "alcohol-awareness"};
    const char* answers[] = {"no", "unsure", "yes", "no"};
    std::vector<Spec> out;
    for (int i = 0; i < 90; ++i) {
        Spec s;
        char ref[32];
        std::snprintf(ref, sizeof ref, "IJ-2025-%04d", i + 1);
        s.reference = ref;
        s.in_hotspot = i % 3 != 0;
        s.attended = i % 5 != 0;
        s.workshop = i % 5 == 0 && i % 2 == 0 ? "" : types[i % 7 == 0 ? 2 : i % 4 == 0 ? 1 : 0];
        if (i % 5 == 0 && !s.workshop.empty()) {
            s.attended = false; // booked, not attended
        }
        s.aqa = s.attended && i % 4 == 1;
        if (i % 9 != 8) {
            s.interpreter = i % 11 == 0;
        }
        if (i % 2 == 0) {
            s.onward.push_back({"housing", i % 4 == 0 ? "yes" : "unknown"});
        }
        if (i % 6 == 1) {
            s.onward.push_back({"mental-health", i % 12 == 1 ? "yes" : "no"});
        }
        if (i % 13 == 0) {
            s.onward.push_back({"youth-justice", "yes"});
        }
        s.consent = i % 10 != 3;
        if (s.consent && s.attended && i % 8 != 5) {
            s.learnt = i % 6 != 2;
            s.would = answers[i % 4];
        }
        out.push_back(s);
    }
    return out;
}

std::map<std::string, std::string> fields_of(const Spec& s, int i) {
    char day[8];
    std::snprintf(day, sizeof day, "%02d", 1 + i % 28);
    const std::string d = std::string{"2025-03-"} + day;
    std::map<std::string, std::string> f{{"reference", s.reference},
                                         {"created_at", d + "T09:00"},
                                         {"incident_refs", "DC-F-" + std::to_string(i)},
                                         {"offence", "asb"},
                                         {"disposal", "community-resolution"},
                                         {"age_band", "adult"},
                                         {"person_id", "PNC-F" + std::to_string(i)},
                                         {"contacted_at", d + "T10:00"},
                                         {"assessed_at", d + "T11:00"}};
    if (s.in_hotspot) {
        f["easting"] = "435170";
        f["northing"] = "335720";
    }
    if (!s.workshop.empty() || s.attended) {
        f["workshop_booked_at"] = d + "T12:00";
        f["workshop_type"] = s.workshop.empty() ? "asb-impact" : s.workshop;
    }
    if (s.attended) {
        f["workshop_attended_at"] = d + "T13:00";
    }
    if (s.aqa) {
        f["aqa_unit"] = "AQA Unit Award 9";
        f["aqa_date"] = d;
    }
    if (s.interpreter) {
        f["interpreter"] = *s.interpreter ? "yes" : "no";
    }
    std::string onward;
    for (const auto& [agency, taken] : s.onward) {
        onward += (onward.empty() ? "" : ";") + agency + ":" + d + ":" + taken;
    }
    if (!onward.empty()) {
        f["onward_referrals"] = onward;
    }
    f["consent_evaluation"] = s.consent ? "yes" : "no";
    if (s.learnt) {
        f["learnt_about_impact"] = *s.learnt ? "yes" : "no";
        f["would_reoffend"] = s.would;
    }
    return f;
}

// The fixture's workshop types as stored (a referral attended without a named type gets asb-impact).
std::string stored_workshop(const Spec& s) {
    return s.workshop.empty() && s.attended ? "asb-impact" : s.workshop;
}

} // namespace

TEST_CASE("referral facts: KPIs per hotspot and for the scheme, counted by hand; published with small cells withheld") {
    t::TempDir tmp;
    hotref::store::Store store{tmp.store(), true};
    t::ingest_geodata(store);
    auto hs = t::force_area_gistar(250);
    const auto run = hotref::hotspot::run_hotspots(store, hs);
    const auto specs = fixture();
    {
        Setter set{store};
        for (std::size_t i = 0; i < specs.size(); ++i) {
            const auto what = set(fields_of(specs[i], static_cast<int>(i)));
            INFO(specs[i].reference, ": ", what);
            REQUIRE(what == "created");
        }
    }
    REQUIRE(hotref::referral::link_referrals(store, 0, 250).inside > 0);
    hotref::referral::KpiOptions ko;
    ko.as_of = "2026-06-30";
    const auto kpis = hotref::referral::referral_kpis(store, ko);
    REQUIRE(kpis.size() == 3); // scheme, H-0001, outside
    REQUIRE(kpis[1].group == run.hotspots.front().code);
    // Each group's figures counted here, from the specs.
    auto check_group = [&](const hotref::referral::Kpis& k, auto&& keep) {
        CAPTURE(k.group);
        double n = 0, onward = 0, attended = 0, aqa = 0, interp_n = 0, interp_d = 0, consented = 0, answered = 0;
        double learnt_n = 0, learnt_d = 0;
        std::map<std::string, double> agency_d, agency_n, types, would;
        for (const auto& s : specs) {
            if (!keep(s)) {
                continue;
            }
            ++n;
            onward += s.onward.empty() ? 0 : 1;
            for (const auto& [a, taken] : s.onward) {
                agency_d[a] += 1;
                agency_n[a] += taken == "yes" ? 1 : 0;
            }
            attended += s.attended ? 1 : 0;
            aqa += s.aqa ? 1 : 0;
            interp_d += s.interpreter ? 1 : 0;
            interp_n += s.interpreter.value_or(false) ? 1 : 0;
            if (!stored_workshop(s).empty()) {
                types[stored_workshop(s)] += 1;
            }
            consented += s.consent ? 1 : 0;
            answered += s.learnt ? 1 : 0;
            learnt_d += s.learnt ? 1 : 0;
            learnt_n += s.learnt.value_or(false) ? 1 : 0;
            if (!s.would.empty()) {
                would[s.would] += 1;
            }
        }
        CHECK(k.referrals == n);
        CHECK(k.onward_any.numerator == onward);
        CHECK(k.onward_any.denominator == n);
        for (const auto& a : hotref::referral::onward_agencies()) {
            CAPTURE(a);
            CHECK(k.onward.at(a).denominator == agency_d[a]);
            CHECK(k.onward.at(a).numerator == agency_n[a]);
        }
        CHECK(k.qualified.numerator == aqa);
        CHECK(k.qualified.denominator == attended);
        CHECK(k.interpreter.numerator == interp_n);
        CHECK(k.interpreter.denominator == interp_d);
        double typed = 0;
        for (const auto& [type, count] : types) {
            typed += count;
        }
        for (const auto& t : hotref::referral::workshop_types()) {
            CAPTURE(t);
            CHECK(k.workshops.at(t).numerator == types[t]);
            CHECK(k.workshops.at(t).denominator == typed);
        }
        CHECK(k.survey_answered.numerator == answered);
        CHECK(k.survey_answered.denominator == consented);
        CHECK(k.learnt_about_impact.numerator == learnt_n);
        CHECK(k.learnt_about_impact.denominator == learnt_d);
        for (const auto& a : {"yes", "no", "unsure"}) {
            CAPTURE(a);
            CHECK(k.would_reoffend.at(a).numerator == would[a]);
            CHECK(k.would_reoffend.at(a).denominator == learnt_d);
        }
    };
    check_group(kpis[0], [](const Spec&) { return true; });
    check_group(kpis[1], [](const Spec& s) { return s.in_hotspot; });
    check_group(kpis[2], [](const Spec& s) { return !s.in_hotspot; });
    // A few of the counts above written out, so a mistake in both the fixture and the check shows:
    // 45 of 90 have housing, i % 4 == 0 of them (23) taken up.
    CHECK(kpis[0].onward.at("housing").denominator == 45);
    CHECK(kpis[0].onward.at("housing").numerator == 23);
    CHECK(kpis[0].onward.at("youth-justice").denominator == 7);  // i = 0, 13, ..., 78
    CHECK(kpis[0].onward.at("other").denominator == 0);

    // Published: every true count from 1 to 9 withheld, and no withheld count recoverable from
    // a published total less the published other part (scheme = hotspot + outside).
    const auto pub = hotref::publish::disclose_kpis(kpis, hotref::publish::Profile::published, {},
                                                    hotref::store::disclosure_secret(store));
    REQUIRE(pub.size() == 3);
    int small = 0;
    auto check_cells = [&](const char* what, auto&& get) {
        CAPTURE(what);
        for (std::size_t g = 0; g < 3; ++g) {
            const double truth = get(kpis[g]);
            const double shown = get(pub[g]);
            CAPTURE(kpis[g].group);
            CAPTURE(truth);
            if (truth >= 1 && truth < 10) {
                ++small;
                CHECK(std::isnan(shown));
            } else if (!std::isnan(shown)) {
                CHECK(std::abs(shown - truth) <= 2); // cell-key noise
            }
        }
        const int withheld = std::isnan(get(pub[0])) + std::isnan(get(pub[1])) + std::isnan(get(pub[2]));
        CHECK(withheld != 1); // one withheld cell of a margin would be its total less (or plus) the others
    };
    check_cells("youth-justice referred", [](const auto& k) { return k.onward.at("youth-justice").denominator; });
    check_cells("youth-justice taken up", [](const auto& k) { return k.onward.at("youth-justice").numerator; });
    check_cells("mental-health taken up", [](const auto& k) { return k.onward.at("mental-health").numerator; });
    check_cells("housing referred", [](const auto& k) { return k.onward.at("housing").denominator; });
    check_cells("interpreters", [](const auto& k) { return k.interpreter.numerator; });
    check_cells("alcohol-awareness", [](const auto& k) { return k.workshops.at("alcohol-awareness").numerator; });
    check_cells("would reoffend: yes", [](const auto& k) { return k.would_reoffend.at("yes").numerator; });
    check_cells("AQA", [](const auto& k) { return k.qualified.numerator; });
    CHECK(small > 0); // the fixture has small cells to withhold
    // Within a group, the workshop types add up to their total: not one of them alone withheld.
    for (const auto& g : pub) {
        int withheld = 0;
        for (const auto& t : hotref::referral::workshop_types()) {
            withheld += std::isnan(g.workshops.at(t).numerator) ? 1 : 0;
        }
        CAPTURE(g.group);
        CHECK((withheld != 1 || std::isnan(g.workshops.at("asb-impact").denominator)));
    }
}
