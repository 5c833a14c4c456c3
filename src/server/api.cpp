// The hotref API under /v1 (messages in proto/hotref/v1/api.proto): feeds,
// referrals through their lifecycle, hotspots, evaluations and bulletins, in
// application/x-protobuf or protobuf's JSON mapping. The same core calls as
// the command line: ingest::Ingester, referral::Registry, the published layers.

#include "server/call.hpp"
#include "server/service.hpp"

#include "evaluate/evaluation.hpp"
#include "publish/model.hpp"

#include "core/error.hpp"
#include "geo/gdal.hpp"
#include "hotref/v1/api.pb.h"
#include "ingest/force_export.hpp"
#include "ingest/ingester.hpp"
#include "ingest/input.hpp"
#include "ingest/report.hpp"
#include "referral/registry.hpp"
#include "store/evaluations.hpp"
#include "store/runs.hpp"


namespace hotref::server {

namespace {

// The columns a ReferralInput carries, as the CSV import's text (the same rules apply).
std::map<std::string, std::string> referral_fields(const v1::ReferralInput& in) {
    std::map<std::string, std::string> fields;
    const auto* d = in.GetDescriptor();
    const auto* r = in.GetReflection();
    for (int i = 0; i < d->field_count(); ++i) {
        const auto* f = d->field(i);
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
            continue; // onward_referrals, below
        }
        if (f->is_repeated()) {
            std::string joined;
            for (int k = 0; k < r->FieldSize(in, f); ++k) {
                joined += (k > 0 ? ";" : "") + r->GetRepeatedString(in, f, k);
            }
            if (!joined.empty()) {
                fields[f->name()] = joined;
            }
            continue;
        }
        if (!r->HasField(in, f)) {
            continue;
        }
        switch (f->cpp_type()) {
        case pb::FieldDescriptor::CPPTYPE_STRING: fields[f->name()] = r->GetString(in, f); break;
        case pb::FieldDescriptor::CPPTYPE_DOUBLE: fields[f->name()] = number(r->GetDouble(in, f)); break;
        case pb::FieldDescriptor::CPPTYPE_BOOL: fields[f->name()] = r->GetBool(in, f) ? "yes" : "no"; break;
        default: break;
        }
    }
    // The list replaces the stored one, as the CSV column does; an empty list is "none".
    if (in.has_onward_referrals()) {
        std::string text;
        for (const auto& o : in.onward_referrals().items()) {
            text += (text.empty() ? "" : ";") + o.agency() + ":" + o.date() + ":" + o.taken_up();
        }
        fields["onward_referrals"] = text.empty() ? "none" : text;
    }
    return fields;
}

// One referral is a few hundred bytes; the service's body limit is for feeds.
void check_referral_size(const Service::Call& call, std::size_t most) {
    if (call.req.body().size() > most) {
        throw HttpError{413, "payload_too_large",
                        "the referral is " + std::to_string(call.req.body().size()) + " bytes, more than the " +
                            std::to_string(most / 1024) +
                            " KiB the service takes for one referral (hotref serve --max-referral-size raises it); "
                            "nothing was changed"};
    }
}

// survey_comment is internal free text: only the caseworker role reads it back.
void fill_referral(v1::Referral& out, const referral::StoredReferral& s, bool internal_text) {
    const auto& r = s.r;
    out.set_reference(r.reference);
    out.set_state(referral::state_name(r.state()));
    out.set_created_at(r.created_at);
    for (const auto& i : r.incident_refs) {
        out.add_incident_refs(i);
    }
    out.set_incident_at(r.incident_at);
    out.set_offence(r.offence);
    out.set_asb_qualifier(r.asb_qualifier);
    if (r.easting) {
        out.set_easting(*r.easting);
    }
    if (r.northing) {
        out.set_northing(*r.northing);
    }
    out.set_disposal(r.disposal);
    out.set_age_band(r.age_band);
    out.set_first_time_entrant(r.first_time_entrant);
    out.set_provider(r.provider);
    out.set_contacted_at(r.contacted_at);
    if (const auto c = r.contact_within_48h()) {
        out.set_contact_within_48h(*c);
    }
    out.set_assessed_at(r.assessed_at);
    out.set_workshop_booked_at(r.workshop_booked_at);
    out.set_workshop_attended_at(r.workshop_attended_at);
    out.set_reparation_type(r.reparation_type);
    if (r.hours_set) {
        out.set_hours_set(*r.hours_set);
    }
    if (r.hours_done) {
        out.set_hours_done(*r.hours_done);
    }
    out.set_outcome(r.outcome);
    out.set_outcome_at(r.outcome_at);
    out.set_reoffence_date(r.reoffence_date);
    if (r.victim_satisfied) {
        out.set_victim_satisfied(*r.victim_satisfied);
    }
    out.set_updated_at(s.updated_at);
    if (r.interpreter) {
        out.set_interpreter(*r.interpreter);
    }
    if (r.consent_evaluation) {
        out.set_consent_evaluation(*r.consent_evaluation);
    }
    out.set_workshop_type(r.workshop_type);
    out.set_aqa_unit(r.aqa_unit);
    out.set_aqa_date(r.aqa_date);
    for (const auto& o : r.onward) {
        auto* item = out.add_onward_referrals();
        item->set_agency(o.agency);
        item->set_date(o.date);
        item->set_taken_up(o.taken_up);
    }
    if (r.disclosure_made) {
        out.set_disclosure_made(*r.disclosure_made);
    }
    out.set_disclosure_agency(r.disclosure_agency);
    out.set_survey(r.survey());
    if (r.learnt_about_impact) {
        out.set_learnt_about_impact(*r.learnt_about_impact);
    }
    out.set_would_reoffend(r.would_reoffend);
    if (internal_text) {
        out.set_survey_comment(r.survey_comment);
    }
}

bool reads_internal_text(const Service::Call& call) {
    return call.principal && call.principal->role == Role::caseworker;
}

// Published evaluation measures: an area with any count from 1 to 4 shows no number made from counts.
// An evaluation's parameters as published: the capture-against-area curve and the PAI
// are figures made from counts, so they are the disclosed ones (or left out of a list).
void publish_params(json& params, const evaluate::EvaluationSummary* shown) {
    params.erase("concentration");
    params.erase("pai_after");
    if (shown == nullptr) {
        return;
    }
    const auto& c = shown->concentration;
    if (!c.codes.empty()) {
        params["concentration"] = {{"codes", c.codes},
                                   {"area_share", c.area_share},
                                   {"before_share", c.before_share},
                                   {"after_share", c.after_share},
                                   {"before_total", c.before_total},
                                   {"after_total", c.after_total},
                                   {"pai_before", c.pai_before}};
        params["pai_after"] = shown->pai_after;
    }
    params["disclosure"] = shown->profile_note;
}

void struct_from_json(const json& j, pb::Struct& out) {
    const auto status = pb::util::JsonStringToMessage(j.dump(), &out);
    if (!status.ok()) {
        throw Error("cannot convert stored measures: " + std::string{status.message()});
    }
}

} // namespace

void Service::referrals(Call& call) {
    if (call.req.method() == http::verb::post) {
        create_referral(call);
        return;
    }
    call.require(Permission::referrals, false);
    auto& store = thread_store(m_options.store_path);
    std::string state;
    int limit = 1000;
    for (const auto& [key, value] : call.target.params) {
        if (key == "state") {
            state = value;
        } else if (key == "limit") {
            limit = static_cast<int>(parse_count(value, "limit", 1, 100000));
        } else {
            throw bad_request("unknown query parameter '" + key + "' (referrals take state and limit)");
        }
    }
    referral::Registry registry{store, referral::RegistryOptions{}};
    v1::ReferralList list;
    for (const auto& s : registry.list(state, limit)) {
        fill_referral(*list.add_referrals(), s, reads_internal_text(call));
    }
    list.set_count(list.referrals_size());
    call.send_message(200, list);
}

// A new referral. One with a person runs the refusal check (no second chance after a
// refusal), which would otherwise answer anyone who may create referrals whether a person
// refused before, and on which referral: an oracle on personal data. So the checks are
// counted per token in a rolling hour (429 over the limit), each is audited, hit or miss,
// without the person, and only a role that reads referrals is told the earlier referral's
// reference and date (docs/referrals.md#refusal-checks).
void Service::create_referral(Call& call) {
    call.require(Permission::create_referrals, false);
    auto& store = thread_store(m_options.store_path);
    check_referral_size(call, m_options.max_referral_bytes);
    v1::ReferralInput in;
    call.parse_body(in);
    auto fields = referral_fields(in);
    if (!in.has_reference() || in.reference().empty()) {
        throw HttpError{422, "unprocessable", "a new referral needs its reference", {"reference: is empty"}};
    }
    const std::string& reference = in.reference();
    const bool reads = allowed(call.principal->role, Permission::referrals);
    referral::RegistryOptions options;
    options.actor = call.principal_name();
    options.secret = m_options.referral_secret;
    options.disclose_refusal = reads;
    std::lock_guard lock{m_write_mutex};
    referral::Registry registry{store, options};
    if (registry.find(reference)) {
        throw HttpError{409, "conflict",
                        "referral " + reference + " exists" +
                            (reads ? "; change it with PATCH /v1/referrals/" + percent_encode(reference)
                                   : std::string{" (a caseworker changes it)"})};
    }
    const bool person = fields.count("person_id") != 0;
    if (person && m_options.referral_secret.empty()) {
        throw HttpError{503, "no_secret",
                        "the service has no referral secret to hash person identifiers with: start it with "
                        "HOTREF_REFERRAL_SECRET or --secret-file"};
    }
    if (person) {
        if (const auto wait = m_refusal_checks.take(call.principal->name, RollingLimit::Clock::now()); wait > 0) {
            const auto most = std::to_string(m_refusal_checks.limit());
            call.ex.response.result(429);
            call.ex.response.set(http::field::retry_after, std::to_string(wait));
            audit(call, "referral " + reference + " not checked: over " + most +
                            " referrals with a person in an hour for this token; retry after " + std::to_string(wait) +
                            " s");
            throw HttpError{429, "too_many_requests",
                            "this token has made " + most +
                                " new referrals with a person in the last hour, the most the service takes (so that "
                                "refusals cannot be looked up by trial); nothing was checked or changed; try again in " +
                                std::to_string(wait) + " s"};
        }
    }
    // The audit says how the check went, never whom it was about.
    auto checked = [&] {
        const auto check = registry.last_refusal_check();
        std::string note = std::string{"; refusal check: "} + referral::refusal_check_name(check);
        if (check == referral::RefusalCheck::refused_before) {
            note += reads ? " (answered with the earlier reference)" : " (answered without the earlier reference or date)";
        }
        return note;
    };
    std::string result;
    try {
        store::Transaction tx{store};
        result = registry.upsert(fields);
        tx.commit();
    } catch (const referral::Rejected& e) {
        call.ex.response.result(422);
        audit(call, "referral " + reference + " refused (" + std::to_string(e.errors().size()) + " problems)" +
                        checked());
        throw;
    }
    v1::Referral out;
    fill_referral(out, *registry.find(reference), reads_internal_text(call));
    out.set_result(result);
    call.ex.response.set(http::field::location, call.base + "/v1/referrals/" + percent_encode(reference));
    call.send_message(201, out);
    audit(call, "referral " + reference + " " + result + checked());
    m_catalog.poke();
}

void Service::referral(Call& call, const std::string& reference) {
    call.require(Permission::referrals, false);
    auto& store = thread_store(m_options.store_path);
    referral::RegistryOptions options;
    options.actor = call.principal_name();
    options.secret = m_options.referral_secret;
    if (call.req.method() == http::verb::get || call.req.method() == http::verb::head) {
        referral::Registry registry{store, options};
        const auto found = registry.find(reference);
        if (!found) {
            throw HttpError{404, "not_found", "no referral " + reference};
        }
        v1::Referral out;
        const bool internal = reads_internal_text(call);
        fill_referral(out, *found, internal);
        for (const auto& a : registry.audit(found->id)) {
            auto* e = out.add_audit();
            e->set_at(a[0]);
            e->set_actor(a[1]);
            e->set_action(a[2]);
            e->set_field(a[3]);
            const bool hide = !internal && a[3] == "survey_comment";
            e->set_old_value(hide && !a[4].empty() ? "(internal)" : a[4]);
            e->set_new_value(hide && !a[5].empty() ? "(internal)" : a[5]);
        }
        call.send_message(200, out);
        return;
    }
    check_referral_size(call, m_options.max_referral_bytes);
    v1::ReferralInput in;
    call.parse_body(in);
    if (in.has_reference() && in.reference() != reference) {
        throw bad_request("the body's reference (" + in.reference() + ") is not the URL's (" + reference + ")");
    }
    auto fields = referral_fields(in);
    fields["reference"] = reference;
    if (fields.count("person_id") != 0 && m_options.referral_secret.empty()) {
        throw HttpError{503, "no_secret",
                        "the service has no referral secret to hash person identifiers with: start it with "
                        "HOTREF_REFERRAL_SECRET or --secret-file"};
    }
    std::lock_guard lock{m_write_mutex};
    referral::Registry registry{store, options};
    if (!registry.find(reference)) {
        throw HttpError{404, "not_found", "no referral " + reference + " (create it with POST /v1/referrals)"};
    }
    std::string result;
    try {
        store::Transaction tx{store};
        result = registry.upsert(fields);
        tx.commit();
    } catch (const referral::Rejected& e) {
        call.ex.response.result(422);
        audit(call, "referral " + reference + " update refused (" + std::to_string(e.errors().size()) + " problems)");
        throw;
    }
    v1::Referral out;
    fill_referral(out, *registry.find(reference), reads_internal_text(call));
    out.set_result(result);
    call.send_message(200, out);
    audit(call, "referral " + reference + " " + result);
    m_catalog.poke();
}

void Service::hotspots(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    if (!call.target.params.empty()) {
        throw bad_request("hotspots take no parameters: they are the current run's (see /readyz)");
    }
    call.send_message(200, *snapshot()->hotspot_list);
}

// The runs the map can switch between: the store's runs (of the served force, when one is
// set), with the one being served marked. Published: no parameters beyond the public ones.
void Service::runs(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    if (!call.target.params.empty()) {
        throw bad_request("runs take no parameters");
    }
    auto& store = thread_store(m_options.store_path);
    const auto snap = snapshot();
    json list = json::array();
    for (const auto& r : store::list_runs(store, m_catalog.options().force)) {
        list.push_back({{"id", r.id},
                        {"method", r.method},
                        {"period_from", r.period_from},
                        {"period_to", r.period_to},
                        {"categories", r.categories},
                        {"force", r.force},
                        {"hotspots", r.hotspots},
                        {"created_at", r.created_at},
                        {"served", r.id == snap->run_id},
                        {"hotspots_href", call.base + "/v1/runs/" + std::to_string(r.id) + "/hotspots"}});
    }
    call.send_json(200, json{{"runs", list}, {"served_run", snap->run_id}});
}

// One run's hotspots as the published profile shows them (GeoJSON), for the map's run selector;
// the served run's are the hotspots collection's (with the bulletin's patrol windows).
void Service::run_hotspots(Call& call, const std::string& id) {
    call.require(Permission::read_published, m_options.anonymous);
    const auto run_id = parse_count(id, "run id", 1, std::numeric_limits<std::int64_t>::max() / 2);
    const auto snap = snapshot();
    if (run_id == snap->run_id) {
        const auto* c = snap->find("hotspots");
        json fc{{"type", "FeatureCollection"}, {"features", json::array()}};
        fc["run"] = {{"id", snap->run_id}, {"method", snap->method}, {"period_from", snap->period_from},
                     {"period_to", snap->period_to}, {"categories", snap->categories}};
        for (const auto& f : c != nullptr ? c->features : std::vector<Feature>{}) {
            fc["features"].push_back(json::parse(f.json));
        }
        call.send(200, fc.dump(), "application/geo+json");
        return;
    }
    const std::string key = snap->key + "|" + std::to_string(run_id);
    std::shared_ptr<const std::string> body;
    {
        std::lock_guard lock{m_runs_mutex};
        if (const auto it = m_run_hotspots.find(key); it != m_run_hotspots.end()) {
            body = it->second;
        }
    }
    if (!body) {
        auto made = run_hotspots_geojson(m_catalog.options(), run_id);
        if (!made) {
            throw HttpError{404, "not_found", "no run " + id + " to show (see /v1/runs)"};
        }
        body = std::make_shared<const std::string>(std::move(*made));
        std::lock_guard lock{m_runs_mutex};
        if (m_run_hotspots.size() >= 16) {
            m_run_hotspots.clear(); // a few runs at a time; the store moved on, or many were looked at
        }
        m_run_hotspots.emplace(key, body);
    }
    call.send(200, *body, "application/geo+json");
}

// Who the token is: its name, role and what the role may do (the web map shows the referral
// form to caseworkers only).
void Service::me(Call& call) {
    call.require(Permission::read_published, false);
    json permissions = json::array();
    for (const auto p : {Permission::read_published, Permission::read_internal, Permission::create_referrals,
                         Permission::referrals, Permission::submit_feeds}) {
        if (allowed(call.principal->role, p)) {
            permissions.push_back(permission_name(p));
        }
    }
    call.send_json(200, json{{"name", call.principal->name},
                             {"role", role_name(call.principal->role)},
                             {"permissions", permissions}});
}

void Service::evaluations(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    auto& store = thread_store(m_options.store_path);
    v1::EvaluationList list;
    for (const auto& row : store::list_evaluations(store)) {
        auto* e = list.add_evaluations();
        e->set_id(row.id);
        e->set_run_id(row.run_id);
        e->set_created_at(row.created_at);
        json params = json::parse(row.params, nullptr, false);
        if (params.is_object()) {
            publish_params(params, nullptr);
            struct_from_json(params, *e->mutable_params());
        }
    }
    call.send_message(200, list);
}

void Service::evaluation(Call& call, const std::string& id) {
    call.require(Permission::read_published, m_options.anonymous);
    const auto evaluation_id = parse_count(id, "evaluation id", 1, std::numeric_limits<std::int64_t>::max() / 2);
    auto& store = thread_store(m_options.store_path);
    const auto stored = evaluate::read_evaluation(store, evaluation_id);
    if (!stored) {
        throw HttpError{404, "not_found", "no evaluation " + id + " (see /v1/evaluations)"};
    }
    // What the published profile shows of it: the same gate as every other output.
    const auto shown = publish::disclose_evaluation(*stored, publish::Profile::published, publish::DisclosureRules{},
                                                    store::disclosure_secret(store));
    const auto row = store::read_evaluation_row(store, evaluation_id);
    v1::Evaluation e;
    e.set_id(evaluation_id);
    e.set_run_id(shown.run_id);
    e.set_created_at(row ? row->created_at : std::string{});
    json params = json::parse(row ? row->params : std::string{}, nullptr, false);
    if (params.is_object()) {
        publish_params(params, &shown);
        struct_from_json(params, *e.mutable_params());
    }
    for (const auto& area : shown.areas) {
        auto* a = e.add_areas();
        a->set_code(area.code);
        a->set_name(area.name);
        json measures = evaluate::area_json(area);
        measures["classification"] = publish::classification(publish::Profile::published);
        measures["disclosure"] = shown.profile_note;
        struct_from_json(measures, *a->mutable_measures());
    }
    call.send_message(200, e);
}

void Service::bulletin(Call& call) {
    call.require(Permission::read_published, m_options.anonymous);
    const auto snap = snapshot();
    if (snap->bulletin_pdf.empty() && snap->bulletin_html.empty()) {
        std::string why;
        for (const auto& n : snap->notes) {
            if (n.rfind("no bulletin", 0) == 0) {
                why = " (" + n + ")";
            }
        }
        throw HttpError{404, "not_found", "no bulletin for the current run" + why};
    }
    std::string format;
    for (const auto& [key, value] : call.target.params) {
        if (key != "f") {
            throw bad_request("unknown query parameter '" + key + "' (the bulletin takes f=pdf or f=html)");
        }
        if (value != "pdf" && value != "html") {
            throw bad_request("f must be pdf or html");
        }
        format = value;
    }
    const auto accept = lower(std::string{call.req[http::field::accept]});
    if (format.empty() && header_has(accept, "application/pdf")) {
        format = "pdf";
    } else if (format.empty() && header_has(accept, "text/html")) {
        format = "html";
    }
    const std::string name = "hotref-bulletin-run-" + std::to_string(snap->run_id);
    if (format == "pdf") {
        call.ex.response.set(http::field::content_disposition, "inline; filename=\"" + name + ".pdf\"");
        call.send(200, snap->bulletin_pdf, "application/pdf");
        return;
    }
    if (format == "html") {
        call.send(200, snap->bulletin_html, "text/html; charset=utf-8");
        return;
    }
    v1::Bulletin b;
    b.set_run_id(snap->run_id);
    b.set_generated_at(snap->built_at);
    b.set_html(snap->bulletin_html);
    b.set_pdf(snap->bulletin_pdf);
    call.send_message(200, b);
}

} // namespace hotref::server
