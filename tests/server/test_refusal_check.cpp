// The refusal check ("no second chance") through POST /v1/referrals and the
// command line: what each role is told, the audit rows (never the person), and
// the hourly limit per token. In process, on a small store of its own (the
// referral fixture: PNC-0003 refused on IJ-2025-0003 on 2025-03-06).

#include "core/error.hpp"
#include "hotref/v1/api.pb.h"
#include "referral/registry.hpp"
#include "server/auth.hpp"
#include "server/catalog.hpp"
#include "server/rate_limit.hpp"
#include "server/service.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "util/sha256.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <memory>
#include <set>

namespace t = hotref::test;
namespace srv = hotref::server;
namespace http = boost::beast::http;
using json = nlohmann::json;

namespace {

constexpr const char* secret = "a-test-secret-of-at-least-32-characters-long";
constexpr const char* low_answer =
    "person_id: not eligible: this person refused Immediate Justice before; no second chance — escalate to the scheme lead";

// The fixture's referrals, tokens of three roles, and a service (its catalog is not started:
// these calls need no published layers).
struct Scheme {
    t::TempDir tmp;
    std::string store_path = tmp.store();
    std::string referrer, caseworker, admin;
    srv::Metrics metrics;
    std::unique_ptr<srv::Catalog> catalog;
    std::unique_ptr<srv::Service> service;

    explicit Scheme(int checks_per_hour = 30) {
        hotref::store::Store store{store_path, true};
        hotref::referral::RegistryOptions ro;
        ro.secret = secret;
        REQUIRE(hotref::referral::import_csv(store, t::data("referrals/good.csv"), ro, false).committed);
        referrer = srv::create_token(store, "Rita Referrer", srv::Role::referrer);
        caseworker = srv::create_token(store, "Casey Worker", srv::Role::caseworker);
        admin = srv::create_token(store, "Admin", srv::Role::admin);
        srv::CatalogOptions co;
        co.store_path = store_path;
        co.quiet = true;
        catalog = std::make_unique<srv::Catalog>(co, 60000);
        srv::ServiceOptions so;
        so.store_path = store_path;
        so.referral_secret = secret;
        so.referral_checks_per_hour = checks_per_hour;
        service = std::make_unique<srv::Service>(so, *catalog, metrics);
    }

    srv::Response call(http::verb verb, const std::string& target, const std::string& token,
                       const std::string& body = "", const std::string& accept = "") const {
        srv::Request r{verb, target, 11};
        r.set(http::field::host, "hotref.test");
        r.set(http::field::authorization, "Bearer " + token);
        if (!body.empty()) {
            r.set(http::field::content_type, "application/json");
        }
        if (!accept.empty()) {
            r.set(http::field::accept, accept);
        }
        r.body() = body;
        r.prepare_payload();
        return service->handle(r).response;
    }

    srv::Response post(const std::string& body, const std::string& token) const {
        return call(http::verb::post, "/v1/referrals", token, body);
    }

    [[nodiscard]] std::int64_t sql_int(const std::string& sql) const {
        hotref::store::Database db{store_path, false};
        return db.query_int(sql);
    }

    /// Every api_audit row: at, token_name, role, method, target, status, summary.
    [[nodiscard]] std::vector<std::vector<std::string>> audit() const {
        hotref::store::Database db{store_path, false};
        hotref::store::Statement st{db, "SELECT at, token_name, role, method, target, status, summary FROM api_audit "
                                        "ORDER BY id"};
        std::vector<std::vector<std::string>> out;
        while (st.step()) {
            out.push_back({st.column_text(0), st.column_text(1), st.column_text(2), st.column_text(3),
                           st.column_text(4), std::to_string(st.column_int(5)), st.column_text(6)});
        }
        return out;
    }
};

// A new referral (valid in every other way) for `person`.
std::string referral(const std::string& reference, const std::string& person, const std::string& incident,
                     const std::string& disposal = "community-resolution") {
    return json{{"reference", reference},       {"created_at", "2025-05-01T18:00"}, {"incident_refs", {incident}},
                {"offence", "asb"},             {"disposal", disposal},             {"age_band", "adult"},
                {"first_time_entrant", false},  {"person_id", person}}
        .dump();
}

std::set<std::string> keys(const json& j) {
    std::set<std::string> out;
    for (const auto& [k, v] : j.items()) {
        out.insert(k);
    }
    return out;
}

} // namespace

TEST_CASE("refusal check: a referrer is told only that the person is not eligible") {
    Scheme reg;
    const auto hit = reg.post(referral("IJ-2025-0100", "PNC-0003", "DC-2025-000900"), reg.referrer);
    CAPTURE(hit.body());
    CHECK(hit.result_int() == 422);
    const auto body = json::parse(hit.body());
    CHECK(body["code"] == "unprocessable");
    REQUIRE(body["details"].size() == 1);
    CHECK(body["details"][0] == low_answer);
    // No reference, no date, nothing else of the earlier referral or of the person.
    for (const char* leak : {"IJ-2025-0003", "2025-03-06", "2025-03-05", "PNC-0003", "shop-theft", "charge or summons"}) {
        CAPTURE(leak);
        CHECK_FALSE(t::contains(hit.body(), leak));
    }
    CHECK(reg.sql_int("SELECT count(*) FROM referral WHERE reference = 'IJ-2025-0100'") == 0);

    // The same status, code, message and shape as another rule broken (a disposal not of the scheme's).
    const auto other = reg.post(referral("IJ-2025-0101", "PNC-0777", "DC-2025-000901", "fine"), reg.referrer);
    CHECK(other.result_int() == hit.result_int());
    const auto other_body = json::parse(other.body());
    CHECK(keys(other_body) == keys(body));
    CHECK(other_body["code"] == body["code"]);
    CHECK(other_body["message"] == body["message"]);
    CHECK(other_body["details"].size() == 1);
    CHECK(hit[http::field::content_type] == other[http::field::content_type]);

    // In protobuf too.
    const auto pb = reg.call(http::verb::post, "/v1/referrals", reg.referrer,
                             referral("IJ-2025-0102", "PNC-0003", "DC-2025-000902"), "application/x-protobuf");
    REQUIRE(pb.result_int() == 422);
    hotref::v1::Error error;
    REQUIRE(error.ParseFromString(pb.body()));
    REQUIRE(error.details_size() == 1);
    CHECK(error.details(0) == low_answer);

    // The check runs only on a referral that passes every other check: a deliberately broken
    // one learns nothing of the person.
    const auto broken = reg.post(referral("IJ-2025-0103", "PNC-0003", "DC-2025-000903", "fine"), reg.referrer);
    CHECK(broken.result_int() == 422);
    CHECK_FALSE(t::contains(broken.body(), "person_id"));
    CHECK_FALSE(t::contains(broken.body(), "refused"));

    // A person who never refused is referred; the referrer reads no referral.
    const auto miss = reg.post(referral("IJ-2025-0104", "PNC-0778", "DC-2025-000904"), reg.referrer);
    CHECK_MESSAGE(miss.result_int() == 201, miss.body());
    CHECK(reg.call(http::verb::get, "/v1/referrals", reg.referrer).result_int() == 403);
    CHECK(reg.call(http::verb::get, "/v1/referrals/IJ-2025-0003", reg.referrer).result_int() == 403);
    CHECK(reg.call(http::verb::patch, "/v1/referrals/IJ-2025-0104", reg.referrer, R"({"contacted_at":"2025-05-02T10:00"})")
              .result_int() == 403);
}

TEST_CASE("refusal check: a caseworker and an admin are told the earlier referral") {
    Scheme reg;
    for (const auto* token : {&reg.caseworker, &reg.admin}) {
        const auto r = reg.post(referral(*token == reg.admin ? "IJ-2025-0201" : "IJ-2025-0200", "PNC-0003",
                                         "DC-2025-000910"),
                                *token);
        CAPTURE(r.body());
        CHECK(r.result_int() == 422);
        const auto body = json::parse(r.body());
        REQUIRE(body["details"].size() == 1);
        const auto detail = body["details"][0].get<std::string>();
        CHECK(t::contains(detail, "person_id: not eligible: this person refused Immediate Justice on referral IJ-2025-0003 (2025-03-06"));
        CHECK(t::contains(detail, "no second chance; escalate: charge or summons"));
        CHECK_FALSE(t::contains(r.body(), "PNC-0003"));
    }
}

TEST_CASE("refusal check: every check through the API is audited, never with the person") {
    Scheme reg;
    CHECK(reg.post(referral("IJ-2025-0300", "PNC-0003", "DC-2025-000920"), reg.referrer).result_int() == 422);
    CHECK(reg.post(referral("IJ-2025-0301", "PNC-0003", "DC-2025-000921"), reg.caseworker).result_int() == 422);
    CHECK(reg.post(referral("IJ-2025-0302", "PNC-0301", "DC-2025-000922"), reg.referrer).result_int() == 201);
    CHECK(reg.post(referral("IJ-2025-0303", "PNC-0003", "DC-2025-000923", "fine"), reg.referrer).result_int() == 422);
    const auto rows = reg.audit();
    REQUIRE(rows.size() == 4);
    // who, role, status and the outcome of each
    const std::vector<std::vector<std::string>> expected{
        {"Rita Referrer", "referrer", "422",
         "referral IJ-2025-0300 refused (1 problems); refusal check: refused before (answered without the earlier "
         "reference or date)"},
        {"Casey Worker", "caseworker", "422",
         "referral IJ-2025-0301 refused (1 problems); refusal check: refused before (answered with the earlier "
         "reference)"},
        {"Rita Referrer", "referrer", "201", "referral IJ-2025-0302 created; refusal check: no earlier refusal"},
        {"Rita Referrer", "referrer", "422", "referral IJ-2025-0303 refused (1 problems); refusal check: not run"},
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        CHECK(rows[i][0].size() >= 19); // when: an ISO timestamp
        CHECK(rows[i][1] == expected[i][0]);
        CHECK(rows[i][2] == expected[i][1]);
        CHECK(rows[i][3] == "POST");
        CHECK(rows[i][4] == "/v1/referrals");
        CHECK(rows[i][5] == expected[i][2]);
        CHECK(rows[i][6] == expected[i][3]);
    }
    // Neither the identifier, nor its key, nor the earlier referral, in any column of any row.
    const std::vector<std::string> never{"PNC-0003", "PNC-0301", hotref::hmac_sha256_hex(secret, "PNC-0003"),
                                         hotref::hmac_sha256_hex(secret, "PNC-0003").substr(0, 12),
                                         hotref::hmac_sha256_hex(secret, "PNC-0301"), "IJ-2025-0003"};
    for (const auto& row : rows) {
        for (const auto& column : row) {
            for (const auto& n : never) {
                CAPTURE(column);
                CHECK_FALSE(t::contains(column, n));
            }
        }
    }
}

TEST_CASE("refusal check: over the hourly limit a token gets 429 with Retry-After, audited") {
    Scheme reg{3};
    CHECK(reg.post(referral("IJ-2025-0400", "PNC-0003", "DC-2025-000930"), reg.referrer).result_int() == 422);
    CHECK(reg.post(referral("IJ-2025-0401", "PNC-0401", "DC-2025-000931"), reg.referrer).result_int() == 201);
    CHECK(reg.post(referral("IJ-2025-0402", "PNC-0003", "DC-2025-000932", "fine"), reg.referrer).result_int() == 422);
    // The fourth in the hour: refused before anything is checked or stored, hit or miss alike.
    for (const char* person : {"PNC-0402", "PNC-0003"}) {
        const auto r = reg.post(referral("IJ-2025-0403", person, "DC-2025-000933"), reg.referrer);
        CAPTURE(r.body());
        CHECK(r.result_int() == 429);
        const auto body = json::parse(r.body());
        CHECK(body["code"] == "too_many_requests");
        CHECK_FALSE(t::contains(r.body(), "refused Immediate Justice"));
        const std::string retry{r[http::field::retry_after]};
        REQUIRE_FALSE(retry.empty());
        CHECK(retry.find_first_not_of("0123456789") == std::string::npos);
        const auto seconds = std::stoll(retry);
        CHECK(seconds >= 3590);
        CHECK(seconds <= 3600);
    }
    CHECK(reg.sql_int("SELECT count(*) FROM referral WHERE reference = 'IJ-2025-0403'") == 0);
    CHECK(reg.sql_int("SELECT count(*) FROM api_audit WHERE token_name = 'Rita Referrer' AND status = 429 AND "
                      "summary LIKE 'referral IJ-2025-0403 not checked: over 3 referrals with a person in an hour%'") ==
          2);
    CHECK(reg.sql_int("SELECT count(*) FROM api_audit WHERE summary LIKE '%PNC-%'") == 0);
    // Per token: the caseworker still has its own three.
    CHECK(reg.post(referral("IJ-2025-0404", "PNC-0404", "DC-2025-000934"), reg.caseworker).result_int() == 201);
    // A referral without a person runs no check and is not counted (it is refused for the missing person).
    const auto no_person = reg.post(json{{"reference", "IJ-2025-0405"}, {"offence", "asb"}}.dump(), reg.referrer);
    CHECK(no_person.result_int() == 422);
}

TEST_CASE("refusal check: the rolling limit counts each key's events in the last window") {
    using namespace std::chrono_literals;
    srv::RollingLimit limit{2, 1h};
    const auto t0 = srv::RollingLimit::Clock::time_point{} + 100h;
    CHECK(limit.take("a", t0) == 0);
    CHECK(limit.take("a", t0 + 10s) == 0);
    CHECK(limit.take("a", t0 + 20s) == 3580); // until the first leaves the window
    CHECK(limit.take("a", t0 + 20s + 500ms) == 3580); // rounded up
    CHECK(limit.take("b", t0 + 20s) == 0);    // another key
    CHECK(limit.take("a", t0 + 1h) == 0);     // the first has left; refused ones were not counted
    CHECK(limit.take("a", t0 + 1h + 1s) == 9);
    CHECK(limit.take("a", t0 + 1h + 10s) == 0);
    CHECK_THROWS_AS(srv::RollingLimit(0, 1h), hotref::UsageError);
}

TEST_CASE("refusal check: the command line names the earlier referral and audits the hit") {
    Scheme reg;
    const auto secret_file = reg.tmp.file("secret");
    t::write_file(secret_file, std::string{secret} + "\n");
    const std::string common = "--store '" + reg.store_path + "' --secret-file '" + secret_file + "' --actor 'J Smith'";
    const auto set = t::run_hotref("referral set IJ-2025-0500 created_at=2025-05-01T18:00 incident_refs=DC-2025-000940 "
                                   "offence=asb disposal=community-resolution age_band=adult person_id=PNC-0003 " +
                                   common);
    CAPTURE(set.err);
    CHECK(set.code == 1);
    CHECK(t::contains(set.err, "not eligible: this person refused Immediate Justice on referral IJ-2025-0003"));
    const auto csv = reg.tmp.file("again.csv");
    t::write_file(csv, "reference,created_at,incident_refs,offence,disposal,age_band,person_id\n"
                       "IJ-2025-0501,2025-05-02T18:00,DC-2025-000941,asb,community-resolution,adult,PNC-0003\n"
                       "IJ-2025-0502,2025-05-02T19:00,DC-2025-000942,asb,community-resolution,adult,PNC-0502\n");
    const auto import = t::run_hotref("referral import '" + csv + "' " + common);
    CAPTURE(import.err);
    CHECK(import.code == 1);
    CHECK(t::contains(import.err, ":2: row rejected (IJ-2025-0501): 1 problem\n"));
    CHECK(t::contains(import.err, ":2: person_id (column G): not eligible: this person refused Immediate Justice on referral IJ-2025-0003"));
    const auto rows = reg.audit();
    REQUIRE(rows.size() == 2);
    CHECK(rows[0][1] == "J Smith");
    CHECK(rows[0][2] == "operator");
    CHECK(rows[0][3] == "CLI");
    CHECK(rows[0][4] == "referral set");
    CHECK(rows[0][6] == "referral IJ-2025-0500 refused; refusal check: refused before (answered with the earlier reference)");
    CHECK(rows[1][4] == "referral import " + csv);
    CHECK(t::contains(rows[1][6], "referral IJ-2025-0501 refused; refusal check: refused before"));
    CHECK(reg.sql_int("SELECT count(*) FROM api_audit WHERE summary LIKE '%PNC-%' OR summary LIKE '%IJ-2025-0003%'") == 0);
}
