// The scheme's evaluation facts through /v1/referrals (issue 18): written with PATCH in
// protobuf's JSON mapping, read back the same, refused under the same rules as the CSV,
// and the survey's free text only to the caseworker role.

#include "hotref/v1/api.pb.h"
#include "referral/registry.hpp"
#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/service.hpp"
#include "store/store.hpp"
#include "support.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace t = hotref::test;
namespace srv = hotref::server;
namespace http = boost::beast::http;
using json = nlohmann::json;

namespace {

struct Api {
    t::TempDir tmp;
    std::string store_path = tmp.store();
    std::string caseworker, admin;
    srv::Metrics metrics;
    std::unique_ptr<srv::Catalog> catalog;
    std::unique_ptr<srv::Service> service;

    Api() {
        hotref::store::Store store{store_path, true};
        hotref::referral::RegistryOptions ro;
        ro.secret = "a-test-secret-of-at-least-32-characters-long";
        REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), ro, false).committed);
        caseworker = srv::create_token(store, "Casey Worker", srv::Role::caseworker);
        admin = srv::create_token(store, "Admin", srv::Role::admin);
        srv::CatalogOptions co;
        co.store_path = store_path;
        co.quiet = true;
        catalog = std::make_unique<srv::Catalog>(co, 60000);
        srv::ServiceOptions so;
        so.store_path = store_path;
        so.referral_secret = ro.secret;
        service = std::make_unique<srv::Service>(so, *catalog, metrics);
    }

    srv::Response call(http::verb verb, const std::string& target, const std::string& token,
                       const std::string& body = "") const {
        srv::Request r{verb, target, 11};
        r.set(http::field::host, "hotref.test");
        r.set(http::field::authorization, "Bearer " + token);
        r.set(http::field::accept, "application/json");
        if (!body.empty()) {
            r.set(http::field::content_type, "application/json");
        }
        r.body() = body;
        r.prepare_payload();
        return service->handle(r).response;
    }
};

} // namespace

TEST_CASE("api: the evaluation facts of a referral round-trip; survey text only to the caseworker") {
    Api api;
    const json patch = {{"workshopType", "asb-impact"},
                        {"aqaUnit", "AQA Unit Award 3"},
                        {"aqaDate", "2025-03-08"},
                        {"onwardReferrals",
                         {{"items",
                           {{{"agency", "housing"}, {"date", "2025-03-05"}, {"takenUp", "yes"}},
                            {{"agency", "family-support"}, {"date", "2025-03-06"}, {"takenUp", "unknown"}}}}}},
                        {"disclosureMade", true},
                        {"disclosureAgency", "housing"},
                        {"learntAboutImpact", true},
                        {"wouldReoffend", "unsure"},
                        {"surveyComment", "said the workshop was too long"}};
    const auto w = api.call(http::verb::patch, "/v1/referrals/IJ-2025-0001", api.caseworker, patch.dump());
    INFO(w.body());
    REQUIRE(w.result_int() == 200);
    const auto got = api.call(http::verb::get, "/v1/referrals/IJ-2025-0001", api.caseworker);
    REQUIRE(got.result_int() == 200);
    const auto j = json::parse(got.body());
    CHECK(j["workshop_type"] == "asb-impact");
    CHECK(j["aqa_unit"] == "AQA Unit Award 3");
    CHECK(j["aqa_date"] == "2025-03-08");
    REQUIRE(j["onward_referrals"].size() == 2);
    CHECK(j["onward_referrals"][0]["agency"] == "housing");
    CHECK(j["onward_referrals"][0]["taken_up"] == "yes");
    CHECK(j["onward_referrals"][1]["agency"] == "family-support");
    CHECK(j["onward_referrals"][1]["date"] == "2025-03-06");
    CHECK(j["disclosure_made"] == true);
    CHECK(j["disclosure_agency"] == "housing");
    CHECK(j["survey"] == "answered");
    CHECK(j["learnt_about_impact"] == true);
    CHECK(j["would_reoffend"] == "unsure");
    CHECK(j["survey_comment"] == "said the workshop was too long");
    CHECK(j["interpreter"] == false); // carried through from the CSV (IJ-2025-0001: interpreter no)
    CHECK(j["consent_evaluation"] == true);
    // The admin reads the referral but not the survey's free text, nor its audit values.
    const auto a = json::parse(api.call(http::verb::get, "/v1/referrals/IJ-2025-0001", api.admin).body());
    CHECK_FALSE(a.contains("survey_comment"));
    CHECK(a["would_reoffend"] == "unsure");
    bool audited = false;
    for (const auto& e : a["audit"]) {
        if (e.value("field", "") == "survey_comment") {
            audited = true;
            CHECK(e["new_value"] == "(internal)");
        }
    }
    CHECK(audited);
    CHECK_FALSE(t::contains(api.call(http::verb::get, "/v1/referrals", api.admin).body(), "too long"));
    // An empty list clears the onward referrals (the disclosure's agency must then go too).
    const json clear = {{"onwardReferrals", json::object()}};
    const auto refused = api.call(http::verb::patch, "/v1/referrals/IJ-2025-0001", api.caseworker, clear.dump());
    CHECK(refused.result_int() == 422);
    CHECK(t::contains(refused.body(), "housing is not among the onward referrals"));
    // Refused as the CSV is: a bad agency, and survey answers without consent.
    const json bad = {{"onwardReferrals", {{"items", {{{"agency", "police"}, {"date", "2025-03-05"}, {"takenUp", "yes"}}}}}}};
    const auto b = api.call(http::verb::patch, "/v1/referrals/IJ-2025-0001", api.caseworker, bad.dump());
    CHECK(b.result_int() == 422);
    CHECK(t::contains(b.body(), "'police' is not an agency"));
    const json no_consent = {{"learntAboutImpact", true}};
    const auto c = api.call(http::verb::patch, "/v1/referrals/IJ-2025-0003", api.caseworker, no_consent.dump());
    CHECK(c.result_int() == 422);
    CHECK(t::contains(c.body(), "survey answers are kept only with consent_evaluation = yes"));
}
