#include "server/service.hpp"

#include "server/call.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "hotref/v1/api.pb.h"
#include "ingest/force_export.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "ingest/report.hpp"
#include "publish/disclosure.hpp"
#include "referral/registry.hpp"
#include "store/audit.hpp"
#include "store/store.hpp"

#include <google/protobuf/util/json_util.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <ctime>
#include <cmath>
#include <map>

namespace hotref::server {

namespace {
std::map<std::string, std::unique_ptr<store::Store>>& thread_stores() {
    thread_local std::map<std::string, std::unique_ptr<store::Store>> stores;
    return stores;
}
} // namespace

// One store connection per worker thread; read-only when the store is (writes then get a 503).
store::Store& thread_store(const std::string& path) {
    auto& s = thread_stores()[path];
    if (!s) {
        s = std::make_unique<store::Store>(path, store::writable(path) ? store::OpenMode::read_write
                                                                       : store::OpenMode::read_only);
    }
    return *s;
}

void drop_thread_store(const std::string& path) {
    thread_stores().erase(path);
}

std::string lower(std::string_view s) {
    std::string out{s};
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

json link(const std::string& href, const std::string& rel, const std::string& type, const std::string& title) {
    json l;
    l["href"] = href;
    l["rel"] = rel;
    l["type"] = type;
    if (!title.empty()) {
        l["title"] = title;
    }
    return l;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

// The Date header (RFC 9110 6.6.1), formatted once a second per thread.
const std::string& http_date() {
    thread_local std::time_t last = 0;
    thread_local std::string text;
    const std::time_t now = std::time(nullptr);
    if (now != last) {
        std::tm tm{};
        gmtime_r(&now, &tm);
        char buf[64];
        std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        text = buf;
        last = now;
    }
    return text;
}

Service::Service(ServiceOptions options, Catalog& catalog, Metrics& metrics)
    : m_options(std::move(options)), m_catalog(catalog), m_metrics(metrics),
      m_refusal_checks(m_options.referral_checks_per_hour, std::chrono::hours(1)),
      m_token_failures(std::max(1, m_options.token_failures_per_minute), std::chrono::minutes(1)),
      m_store_guard(m_options.store_path),
      m_jobs(JobQueueOptions{m_options.max_queued_jobs, m_options.max_job_time, 100}) {}

Service::~Service() = default;

void Service::stop_jobs() {
    m_jobs.stop();
}

std::shared_ptr<const Snapshot> Service::snapshot() {
    auto snap = m_catalog.current();
    if (!snap) {
        const auto error = m_catalog.last_error();
        throw HttpError{503, "not_ready",
                        error.empty() ? "the service is still publishing the store's layers; try again in a few seconds"
                                      : "the store's layers cannot be published: " + error};
    }
    return snap;
}

Exchange Service::handle(const Request& request, const std::string& remote) noexcept {
    Exchange ex;
    ex.response.version(request.version());
    ex.response.keep_alive(request.keep_alive());
    ex.response.set(http::field::server, "hotref/" HOTREF_VERSION);
    ex.response.set(http::field::date, http_date());
    Call call{request, ex, {}, {}, false, false, {}, remote};
    try {
        try {
            // Negotiation first, so that even a bad URL is answered in the format asked for.
            const auto accept = lower(std::string{request[http::field::accept]});
            call.protobuf = (header_has(accept, "application/x-protobuf") || header_has(accept, "application/protobuf")) &&
                            !header_has(accept, "application/json");
            const auto raw = request.target();
            call.target = parse_target(std::string_view{raw.data(), raw.size()});
            dispatch(call);
        } catch (const HttpError&) {
            throw;
        } catch (const referral::Rejected& e) {
            std::vector<std::string> details;
            for (const auto& f : e.errors()) {
                details.push_back(f.field + ": " + f.reason);
            }
            throw HttpError{422, "unprocessable", "the referral breaks the scheme's rules; nothing was changed",
                            std::move(details)};
        } catch (const UsageError& e) {
            throw bad_request(e.what());
        } catch (const InputError& e) {
            throw HttpError{422, "unprocessable", e.what()};
        } catch (const std::bad_alloc&) {
            throw HttpError{503, "overloaded", "out of memory; try again later"};
        } catch (const std::exception& e) {
            throw HttpError{500, "internal", std::string{"internal error: "} + e.what()};
        }
    } catch (const HttpError& e) {
        v1::Error error;
        error.set_status(e.status());
        error.set_code(e.code());
        error.set_message(e.what());
        for (const auto& d : e.details()) {
            error.add_details(d);
        }
        try {
            ex.response.set(http::field::cache_control, "no-store");
            if (e.status() == 401) {
                ex.response.set(http::field::www_authenticate, "Bearer realm=\"hotref\"");
            }
            call.send_message(e.status(), error);
        } catch (...) {
            ex.response.result(http::status::internal_server_error);
            ex.response.body() = "internal error";
        }
    }
    ex.principal = call.principal ? call.principal->name : "-";
    ex.response.prepare_payload();
    return ex;
}

void Service::dispatch(Call& call) {
    const auto& seg = call.target.segments;
    const auto method = call.req.method();
    const bool get = method == http::verb::get || method == http::verb::head;
    auto only = [&](bool ok, const char* allow) {
        if (!ok) {
            call.ex.response.set(http::field::allow, allow);
            throw HttpError{405, "method_not_allowed",
                            std::string{call.req.method_string()} + " is not allowed here (allowed: " + allow + ")"};
        }
    };

    // Health, readiness and metrics answer without a token (no data in them).
    if (seg.size() == 1 && seg[0] == "healthz") {
        call.ex.route = Route::health;
        only(get, "GET, HEAD");
        call.send_json(200, json{{"status", "ok"}});
        return;
    }
    if (seg.size() == 1 && seg[0] == "readyz") {
        call.ex.route = Route::ready;
        only(get, "GET, HEAD");
        ready(call);
        return;
    }
    if (seg.size() == 1 && seg[0] == "metrics") {
        call.ex.route = Route::metrics;
        only(get, "GET, HEAD");
        std::string extra;
        if (const auto snap = m_catalog.current()) {
            extra = "# HELP hotref_snapshot_run The hotspot run being served.\n# TYPE hotref_snapshot_run gauge\n"
                    "hotref_snapshot_run " + std::to_string(snap->run_id) +
                    "\n# HELP hotref_snapshot_build_seconds Time the served snapshot took to build.\n"
                    "# TYPE hotref_snapshot_build_seconds gauge\nhotref_snapshot_build_seconds " +
                    number(snap->build_seconds) + "\n";
        }
        extra += "# HELP hotref_snapshot_builds_total Snapshots built since start.\n"
                 "# TYPE hotref_snapshot_builds_total counter\nhotref_snapshot_builds_total " +
                 std::to_string(m_catalog.builds()) + "\n";
        call.send(200, m_metrics.render(extra), "text/plain; version=0.0.4; charset=utf-8");
        return;
    }

    authenticate(call);

    // A write to a store deleted or replaced since start would be lost: refuse it (reads go on).
    if (!get) {
        m_store_guard.require_writable();
    }

    // Links: the configured public URL, else the Host the client used.
    if (!m_options.public_url.empty()) {
        call.base = m_options.public_url;
    } else {
        const auto host = std::string{call.req[http::field::host]};
        if (host.empty() || host.size() > 255 ||
            host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
                std::string::npos) {
            throw bad_request("the Host header is missing or not a host name");
        }
        call.base = "http://" + host;
    }

    if (seg.empty()) {
        call.ex.route = Route::landing;
        only(get, "GET, HEAD");
        landing(call);
        return;
    }
    if (seg[0] == "api" && seg.size() == 1) {
        call.ex.route = Route::api;
        only(get, "GET, HEAD");
        openapi(call);
        return;
    }
    if (seg[0] == "conformance" && seg.size() == 1) {
        call.ex.route = Route::conformance;
        only(get, "GET, HEAD");
        conformance(call);
        return;
    }
    if (seg[0] == "collections") {
        if (seg.size() == 1) {
            call.ex.route = Route::collections;
            only(get, "GET, HEAD");
            collections(call);
            return;
        }
        if (seg.size() == 2) {
            call.ex.route = Route::collection;
            only(get, "GET, HEAD");
            collection(call, seg[1]);
            return;
        }
        if (seg.size() == 3 && seg[2] == "items") {
            call.ex.route = Route::items;
            only(get, "GET, HEAD");
            items(call, seg[1]);
            return;
        }
        if (seg.size() == 4 && seg[2] == "items") {
            call.ex.route = Route::item;
            only(get, "GET, HEAD");
            item(call, seg[1], seg[3]);
            return;
        }
        if ((seg.size() == 3 || seg.size() == 4) && seg[2] == "styles") {
            call.ex.route = Route::styles;
            only(get, "GET, HEAD");
            seg.size() == 3 ? styles(call, seg[1]) : style(call, seg[1], seg[3]);
            return;
        }
    }
    if (seg[0] == "map" && seg.size() <= 2) {
        call.ex.route = Route::map;
        only(get, "GET, HEAD");
        web(call, seg.size() == 2 ? seg[1] : std::string{});
        return;
    }
    if (seg[0] == "tiles") {
        if (seg.size() == 2 && seg[1].size() > 5 && seg[1].ends_with(".json")) {
            call.ex.route = Route::tilejson;
            only(get, "GET, HEAD");
            tilejson(call, seg[1].substr(0, seg[1].size() - 5));
            return;
        }
        if (seg.size() == 5) {
            call.ex.route = Route::tile;
            only(get, "GET, HEAD");
            tile(call, seg[1], seg[2], seg[3], seg[4]);
            return;
        }
    }
    if (seg[0] == "v1" && seg.size() >= 2) {
        const auto accept = lower(std::string{call.req[http::field::accept]});
        if (!accept.empty() && !header_has(accept, "json") && !header_has(accept, "protobuf") &&
            !header_has(accept, "*/*") && !header_has(accept, "application/*") &&
            !(seg[1] == "bulletins" && (header_has(accept, "pdf") || header_has(accept, "html")))) {
            throw HttpError{406, "not_acceptable", "the API answers in application/json or application/x-protobuf"};
        }
        if (seg[1] == "feeds" && seg.size() == 2) {
            call.ex.route = Route::feeds;
            only(method == http::verb::post, "POST");
            feeds(call);
            return;
        }
        if (seg[1] == "jobs" && seg.size() == 3) {
            call.ex.route = Route::feeds;
            only(get || method == http::verb::delete_, "GET, HEAD, DELETE");
            job(call, seg[2]);
            return;
        }
        if (seg[1] == "referrals" && seg.size() == 2) {
            call.ex.route = Route::referrals;
            only(get || method == http::verb::post, "GET, HEAD, POST");
            referrals(call);
            return;
        }
        if (seg[1] == "referrals" && seg.size() == 3) {
            call.ex.route = Route::referral;
            only(get || method == http::verb::patch || method == http::verb::post, "GET, HEAD, PATCH, POST");
            referral(call, seg[2]);
            return;
        }
        if (seg[1] == "hotspots" && seg.size() == 2) {
            call.ex.route = Route::hotspots;
            only(get, "GET, HEAD");
            hotspots(call);
            return;
        }
        if (seg[1] == "runs" && (seg.size() == 2 || (seg.size() == 4 && seg[3] == "hotspots"))) {
            call.ex.route = Route::hotspots;
            only(get, "GET, HEAD");
            seg.size() == 2 ? runs(call) : run_hotspots(call, seg[2]);
            return;
        }
        if (seg[1] == "me" && seg.size() == 2) {
            call.ex.route = Route::other;
            only(get, "GET, HEAD");
            me(call);
            return;
        }
        if (seg[1] == "evaluations" && seg.size() == 2) {
            call.ex.route = Route::evaluations;
            only(get, "GET, HEAD");
            evaluations(call);
            return;
        }
        if (seg[1] == "evaluations" && seg.size() == 3) {
            call.ex.route = Route::evaluation;
            only(get, "GET, HEAD");
            evaluation(call, seg[2]);
            return;
        }
        if (seg[1] == "bulletins" && seg.size() == 3 && seg[2] == "latest") {
            call.ex.route = Route::bulletin;
            only(get, "GET, HEAD");
            bulletin(call);
            return;
        }
    }
    throw HttpError{404, "not_found",
                    "no such resource: " + call.target.path + " (start at / for the links, or /api for the API)"};
}

// Who is asking. Authorization: Bearer TOKEN, or X-Esri-Authorization: Bearer TOKEN, which is
// what QGIS's built-in "ESRI token" authentication method sends (QGIS 3.22 has no generic
// header method). Bad tokens are limited per client address: over the limit every token from
// that address is refused with 429 (not looked up), so that guessing learns nothing.
void Service::authenticate(Call& call) {
    auto auth = call.req[http::field::authorization];
    if (auth.empty()) {
        auth = call.req["X-Esri-Authorization"];
    }
    if (auth.empty()) {
        return;
    }
    const auto now = RollingLimit::Clock::now();
    auto refuse = [&](std::int64_t wait) {
        call.ex.response.set(http::field::retry_after, std::to_string(wait));
        throw HttpError{429, "too_many_requests",
                        "too many requests with a bad bearer token from this address (at most " +
                            std::to_string(m_token_failures.limit()) +
                            " a minute, hotref serve --token-failures-per-minute); no token is checked for this "
                            "address until then: try again in " + std::to_string(wait) + " s"};
    };
    if (const auto wait = m_token_failures.wait(call.remote, now); wait > 0) {
        refuse(wait);
    }
    const std::string_view a{auth.data(), auth.size()};
    if (a.size() > 7 && lower(a.substr(0, 7)) == "bearer ") {
        call.principal = m_tokens.verify(thread_store(m_options.store_path), std::string{a.substr(7)});
    }
    call.token_invalid = !call.principal;
    if (call.token_invalid) {
        if (const auto wait = m_token_failures.take(call.remote, now); wait > 0) {
            refuse(wait);
        }
    }
}

void Service::ready(Call& call) {
    const auto snap = m_catalog.current();
    if (!snap) {
        const auto error = m_catalog.last_error();
        call.send_json(503, json{{"status", "not ready"},
                                 {"reason", error.empty() ? "publishing the store's layers" : error}});
        return;
    }
    // The store must answer too.
    try {
        thread_store(m_options.store_path).ping();
    } catch (const std::exception& e) {
        call.send_json(503, json{{"status", "not ready"}, {"reason", std::string{"store: "} + e.what()}});
        return;
    }
    json notes = json::array();
    for (const auto& n : snap->notes) {
        notes.push_back(n);
    }
    call.send_json(200, json{{"status", "ready"},
                             {"run", snap->run_id},
                             {"collections", snap->collections.size()},
                             {"published_at", snap->built_at},
                             {"notes", notes}});
}

void write_audit(store::Store& store, const AuditEntry& e) {
    try {
        store::insert_audit(store, store::AuditRow{e.token_name, e.role, e.method, e.target, e.status, e.summary});
    } catch (const std::exception& ex) {
        throw Error(std::string{"cannot write the audit record: "} + ex.what());
    }
}

void Service::audit(Call& call, const std::string& summary) {
    write_audit(thread_store(m_options.store_path),
                AuditEntry{call.principal_name(), call.principal ? role_name(call.principal->role) : "",
                           std::string{call.req.method_string()}, call.target.path,
                           static_cast<int>(call.ex.response.result_int()), summary});
}

} // namespace hotref::server
