#include "referral/referral.hpp"
#include "referral/cohort.hpp"

#include "core/month.hpp"
#include "core/text.hpp"
#include "geo/proj.hpp"
#include "util/sha256.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>

namespace hotref::referral {

namespace {

constexpr std::array offences{"asb", "harassment", "public-order", "drunk-and-disorderly", "shop-theft",
                              "cannabis-possession", "criminal-damage"};
constexpr std::array disposals{"community-resolution", "conditional-caution", "asb-warning-letter", "abc", "vco"};
constexpr std::array outcomes{"completed", "refused", "did-not-complete", "withdrawn"};
constexpr std::array reparations{"litter-picking", "allotment", "food-bank", "charity-shop", "village-hall",
                                 "bird-boxes", "other"};
constexpr std::array qualifiers{"personal", "nuisance", "environmental"};
constexpr std::array taken_up_answers{"yes", "no", "unknown"};
constexpr std::array reoffend_answers{"yes", "no", "unsure"};

template <std::size_t N>
bool one_of(const std::string& v, const std::array<const char*, N>& allowed) {
    return std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return v == a; });
}

template <std::size_t N>
std::string listed(const std::array<const char*, N>& allowed) {
    std::string out;
    for (const char* a : allowed) {
        out += (out.empty() ? "" : ", ") + std::string{a};
    }
    return out;
}

// Date-times: "YYYY-MM-DDTHH:MM[:SS]", "YYYY-MM-DD HH:MM[:SS]" or a date.
std::optional<DateTime> parse_when(const std::string& text) {
    for (const char* f : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"}) {
        if (auto dt = parse_datetime(text, f)) {
            if (std::string_view{f}.find("%H") == std::string_view::npos) {
                dt->has_time = false;
            }
            return dt;
        }
    }
    return std::nullopt;
}


// Digits of `t` from `pos` (at most `max`); -1 when there are none. Moves `pos` past them.
int digits(const std::string& t, std::size_t& pos, std::size_t max, std::size_t& count) {
    count = 0;
    int v = 0;
    while (pos < t.size() && count < max && std::isdigit(static_cast<unsigned char>(t[pos])) != 0) {
        v = v * 10 + (t[pos] - '0');
        ++pos;
        ++count;
    }
    return count == 0 ? -1 : v;
}

constexpr std::array month_names{"January", "February", "March",     "April",   "May",      "June",
                                 "July",    "August",   "September", "October", "November", "December"};

} // namespace

UkDate uk_date(const std::string& text) {
    UkDate out;
    const bool slashed = text.find('/') != std::string::npos;
    const bool dashed_day_first = text.size() >= 10 && std::isdigit(static_cast<unsigned char>(text[0])) != 0 &&
                                  (text[1] == '-' || text[2] == '-');
    if (!slashed && !dashed_day_first) {
        return out;  // ISO or something else: the usual checks
    }
    const std::string how = "write DD/MM/YYYY HH:MM (day first, as 02/08/2025 22:00) or YYYY-MM-DDTHH:MM";
    if (dashed_day_first) {
        out.problem = quote_value(text) + " is ambiguous (day or month first?): " + how;
        return out;
    }
    std::size_t pos = 0, n = 0, year_digits = 0;
    const int day = digits(text, pos, 2, n);
    const bool sep1 = pos < text.size() && text[pos] == '/';
    pos += sep1 ? 1 : 0;
    const int month = digits(text, pos, 2, n);
    const bool sep2 = pos < text.size() && text[pos] == '/';
    pos += sep2 ? 1 : 0;
    const int year = digits(text, pos, 4, year_digits);
    int hour = 0, minute = 0, second = -1;
    bool timed = false, ok = day >= 0 && sep1 && month >= 0 && sep2 && year >= 0;
    if (ok && pos < text.size()) {
        timed = text[pos] == ' ' || text[pos] == 'T';
        ++pos;
        hour = digits(text, pos, 2, n);
        ok = timed && hour >= 0 && pos < text.size() && text[pos] == ':';
        ++pos;
        minute = ok ? digits(text, pos, 2, n) : -1;
        ok = ok && minute >= 0 && n == 2;
        if (ok && pos < text.size() && text[pos] == ':') {
            ++pos;
            second = digits(text, pos, 2, n);
            ok = second >= 0 && n == 2;
        }
        ok = ok && pos == text.size();
    }
    if (!ok) {
        out.problem = quote_value(text) + " is not a date: " + how;
        return out;
    }
    if (year_digits != 4) {
        out.problem = quote_value(text) + " is ambiguous: give the year in full (DD/MM/YYYY)";
    } else if (month < 1 || month > 12) {
        out.problem = quote_value(text) + " is impossible: month " + std::to_string(month) + " does not exist" +
                      (month > 12 && day >= 1 && day <= 12
                           ? " (it looks month first, as in the US; hotref reads the day first: " + how + ")"
                           : " (dates are day first: DD/MM/YYYY)");
    } else if (day < 1 || day > days_in_month(year, month)) {
        out.problem = quote_value(text) + " is impossible: " + month_names[static_cast<std::size_t>(month - 1)] +
                      " " + std::to_string(year) + " has " + std::to_string(days_in_month(year, month)) + " days";
    } else if (hour > 23 || minute > 59 || second > 59) {
        out.problem = quote_value(text) + " is impossible: not a time of day (HH:MM, 00:00 to 23:59)";
    }
    if (!out.problem.empty()) {
        return out;
    }
    char buf[64];
    if (!timed) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
    } else if (second >= 0) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", year, month, day, hour, minute, second);
    } else {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d", year, month, day, hour, minute);
    }
    out.iso = buf;
    return out;
}

namespace {

// A WGS84 position (latitude, longitude in degrees) as British National Grid metres, or a problem.
std::optional<std::array<double, 2>> bng_from_wgs84(double lat, double lon, std::vector<FieldError>& errors) {
    const bool lat_ok = lat >= 49.8 && lat <= 60.9, lon_ok = lon >= -8.7 && lon <= 1.8;
    if (!lat_ok || !lon_ok) {
        const bool swapped = lon >= 49.8 && lon <= 60.9 && lat >= -8.7 && lat <= 1.8;
        errors.push_back({lat_ok ? "longitude" : "latitude",
                          swapped ? "latitude and longitude look swapped (latitude is about 50 to 61 in Great "
                                    "Britain, longitude about -8.7 to 1.8)"
                                  : "not a WGS84 position in Great Britain (decimal degrees: latitude about 50 to "
                                    "61, longitude about -8.7 to 1.8)"});
        return std::nullopt;
    }
    thread_local const auto to_bng = geo::wgs84_to_bng();
    const auto p = to_bng.forward({lon, lat});
    if (!std::isfinite(p.x) || !std::isfinite(p.y)) {
        errors.push_back({"latitude", "cannot be converted to British National Grid (PROJ)"});
        return std::nullopt;
    }
    return std::array<double, 2>{std::round(p.x), std::round(p.y)};
}

std::optional<bool> parse_bool(const std::string& v) {
    const auto l = to_lower(v);
    if (l == "yes" || l == "y" || l == "true" || l == "1") {
        return true;
    }
    if (l == "no" || l == "n" || l == "false" || l == "0") {
        return false;
    }
    return std::nullopt;
}

int rank(State s) {
    return static_cast<int>(s);
}

} // namespace

const char* state_name(State s) noexcept {
    switch (s) {
    case State::referred: return "referred";
    case State::contacted: return "contacted";
    case State::assessed: return "assessed";
    case State::workshop_booked: return "workshop-booked";
    case State::workshop_attended: return "workshop-attended";
    case State::reparation: return "reparation";
    case State::completed: return "completed";
    case State::refused: return "refused";
    case State::did_not_complete: return "did-not-complete";
    case State::withdrawn: return "withdrawn";
    }
    return "referred";
}

bool is_closed(State s) noexcept {
    return rank(s) >= rank(State::completed);
}

const std::vector<std::string>& columns() {
    static const std::vector<std::string> cols{
        "reference", "created_at", "incident_refs", "incident_at", "offence", "asb_qualifier", "easting", "northing",
        "latitude", "longitude", "disposal", "age_band", "first_time_entrant", "provider", "person_id", "contacted_at", "assessed_at", "needs",
        "interpreter", "workshop_booked_at", "workshop_attended_at", "reparation_type", "hours_set", "hours_done",
        "outcome", "outcome_at", "escalation", "reoffence_date", "victim_consulted", "victim_satisfied",
        "consent_evaluation", "workshop_type", "aqa_unit", "aqa_date", "onward_referrals", "disclosure_made",
        "disclosure_agency", "learnt_about_impact", "would_reoffend", "survey_comment"};
    return cols;
}

const std::vector<std::string>& onward_agencies() {
    static const std::vector<std::string> agencies{"drugs-and-alcohol", "mental-health", "education-and-training",
                                                   "housing", "youth-justice", "family-support", "other"};
    return agencies;
}

const std::vector<std::string>& workshop_types() {
    static const std::vector<std::string> types{"asb-impact",      "victim-awareness", "alcohol-awareness",
                                                "drugs-awareness", "criminal-damage",  "shop-theft"};
    return types;
}

// Which workshop fits which offence (docs/referrals.md#workshop-types): the offence's own
// workshop where there is one, and victim awareness wherever there is a victim.
const std::vector<std::string>& workshops_for(const std::string& offence) {
    static const std::map<std::string, std::vector<std::string>> fits{
        {"asb", {"asb-impact", "victim-awareness", "alcohol-awareness"}},
        {"harassment", {"victim-awareness", "asb-impact"}},
        {"public-order", {"asb-impact", "victim-awareness", "alcohol-awareness"}},
        {"drunk-and-disorderly", {"alcohol-awareness", "asb-impact"}},
        {"shop-theft", {"shop-theft", "victim-awareness"}},
        {"cannabis-possession", {"drugs-awareness"}},
        {"criminal-damage", {"criminal-damage", "victim-awareness", "asb-impact"}}};
    static const std::vector<std::string> none;
    const auto it = fits.find(offence);
    return it == fits.end() ? none : it->second;
}

namespace {

bool in(const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
}

std::string joined(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& a : list) {
        out += (out.empty() ? "" : ", ") + a;
    }
    return out;
}

} // namespace

std::vector<OnwardReferral> parse_onward(const std::string& text, std::vector<FieldError>& errors) {
    std::vector<OnwardReferral> out;
    const auto all = trim(text);
    if (all.empty() || to_lower(std::string{all}) == "none") {
        return out;
    }
    const std::string how = "write agency:date:taken_up, e.g. housing:2025-03-02:yes;mental-health:09/03/2025:unknown";
    std::size_t start = 0;
    for (int item = 1; start <= all.size(); ++item) {
        const auto end = all.find(';', start);
        const auto part = trim(all.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        start = end == std::string_view::npos ? all.size() + 1 : end + 1;
        if (part.empty()) {
            continue;
        }
        const std::string where = "item " + std::to_string(item) + " " + quote_value(std::string{part}) + ": ";
        const auto a = part.find(':');
        const auto b = a == std::string_view::npos ? a : part.find(':', a + 1);
        if (b == std::string_view::npos || part.find(':', b + 1) != std::string_view::npos) {
            errors.push_back({"onward_referrals", where + "not agency:date:taken_up; " + how});
            continue;
        }
        OnwardReferral o{to_lower(std::string{trim(part.substr(0, a))}), std::string{trim(part.substr(a + 1, b - a - 1))},
                         to_lower(std::string{trim(part.substr(b + 1))})};
        if (!in(onward_agencies(), o.agency)) {
            errors.push_back({"onward_referrals", where + quote_value(o.agency) + " is not an agency: one of " +
                                                      joined(onward_agencies())});
        }
        const auto uk = uk_date(o.date);
        if (!uk.problem.empty()) {
            errors.push_back({"onward_referrals", where + uk.problem});
        } else if (uk.iso) {
            o.date = *uk.iso;
        }
        if (!parse_datetime(o.date, "%Y-%m-%d") || o.date.size() != 10) {
            if (uk.problem.empty()) {
                errors.push_back({"onward_referrals", where + quote_value(o.date) +
                                                          " is not a date (YYYY-MM-DD or DD/MM/YYYY)"});
            }
        }
        if (!one_of(o.taken_up, taken_up_answers)) {
            errors.push_back({"onward_referrals", where + "taken up " + quote_value(o.taken_up) +
                                                      " is not yes, no or unknown"});
        }
        out.push_back(std::move(o));
    }
    return out;
}

std::string onward_text(const std::vector<OnwardReferral>& onward) {
    if (onward.empty()) {
        return "none";
    }
    std::string out;
    for (const auto& o : onward) {
        out += (out.empty() ? "" : ";") + o.agency + ":" + o.date + ":" + o.taken_up;
    }
    return out;
}

bool looks_like_disclosure_content(const std::string& column) {
    const auto c = to_lower(column);
    return c.find("disclos") != std::string::npos && c != "disclosure_made" && c != "disclosure_agency";
}

std::string disclosure_content_refusal(const std::string& column) {
    return "'" + column + "' looks like the content of a disclosure: disclosures are special-category data and "
           "hotref stores none of what was disclosed, only that one was made (disclosure_made = yes) and the onward "
           "agency it led to (disclosure_agency); remove this column and keep the content in the provider's own "
           "case record";
}

std::string Referral::survey() const {
    if (consent_evaluation == false) {
        return "not consented";
    }
    if (consent_evaluation == true && (learnt_about_impact || !would_reoffend.empty() || !survey_comment.empty())) {
        return "answered";
    }
    return {};
}

std::vector<std::string> split_incident_refs(std::string_view text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (start <= text.size()) {
        const auto end = text.find_first_of(";,", start);
        const auto part = trim(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        // The same incident twice is one incident (found by the referral_csv fuzzer: it broke
        // referral_incident's UNIQUE constraint and escaped import as a store error).
        if (!part.empty() && std::find(parts.begin(), parts.end(), part) == parts.end()) {
            parts.emplace_back(part);
        }
        if (end == std::string_view::npos) {
            break;
        }
        start = end + 1;
    }
    return parts;
}

State Referral::state() const {
    if (outcome == "completed") {
        return State::completed;
    }
    if (outcome == "refused") {
        return State::refused;
    }
    if (outcome == "did-not-complete") {
        return State::did_not_complete;
    }
    if (outcome == "withdrawn") {
        return State::withdrawn;
    }
    if (!workshop_attended_at.empty() && (hours_done.value_or(0) > 0 || !reparation_type.empty())) {
        return State::reparation;
    }
    if (!workshop_attended_at.empty()) {
        return State::workshop_attended;
    }
    if (!workshop_booked_at.empty()) {
        return State::workshop_booked;
    }
    if (!assessed_at.empty()) {
        return State::assessed;
    }
    if (!contacted_at.empty()) {
        return State::contacted;
    }
    return State::referred;
}

std::optional<bool> Referral::contact_within_48h() const {
    const auto created = parse_when(created_at);
    const auto contacted = parse_when(contacted_at);
    if (!created || !contacted) {
        return std::nullopt;
    }
    return contacted->seconds_since_epoch() - created->seconds_since_epoch() <= 48 * 3600;
}

namespace {

bool free_text(const std::string& field) {
    return field == "needs" || field == "escalation" || field == "provider" || field == "survey_comment";
}

// The first control character that `field` may not hold, as its position.
std::optional<std::size_t> control_at(std::string_view text, bool free) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const bool allowed = free && (c == '\t' || c == '\n' || c == '\r');
        if ((c < 0x20 || c == 0x7f) && !allowed) {
            return i;
        }
    }
    return std::nullopt;
}

} // namespace

std::vector<FieldError> text_problems(const std::map<std::string, std::string>& fields) {
    std::vector<FieldError> e;
    for (const auto& [k, v] : fields) {
        const bool free = free_text(k);
        const std::size_t most = k == "incident_refs"              ? kMaxIncidentRefs * 64
                                 : free || k == "onward_referrals" ? kLongField
                                                                   : kShortField;
        if (v.size() > most) {
            e.push_back({k, "holds " + std::to_string(v.size()) + " bytes, more than the " + std::to_string(most) +
                                " this field may hold; shorten it"});
            continue;
        }
        if (const auto at = utf8_error_at(v)) {
            e.push_back({k, "is not UTF-8 text (byte " + std::to_string(*at + 1) +
                                "); send or save the text as UTF-8"});
            continue;
        }
        if (const auto at = control_at(v, free)) {
            e.push_back({k, "holds a control character (byte " + std::to_string(*at + 1) + ")"});
        }
    }
    if (const auto it = fields.find("incident_refs"); it != fields.end()) {
        if (const auto n = split_incident_refs(it->second).size(); n > kMaxIncidentRefs) {
            e.push_back({"incident_refs", "names " + std::to_string(n) + " incidents, more than the " +
                                              std::to_string(kMaxIncidentRefs) + " one referral may link"});
        }
    }
    return e;
}

Referral from_fields(const std::map<std::string, std::string>& f, const std::string& secret,
                     std::vector<FieldError>& errors) {
    auto get = [&f](const char* k) -> std::string {
        const auto it = f.find(k);
        return it == f.end() ? std::string{} : std::string{trim(it->second)};
    };
    auto number = [&](const char* k) -> std::optional<double> {
        const auto v = get(k);
        if (v.empty()) {
            return std::nullopt;
        }
        const auto d = parse_double(v);
        if (!d) {
            errors.push_back({k, quote_value(v) + " is not a number"});
        }
        return d;
    };
    auto boolean = [&](const char* k) -> std::optional<bool> {
        const auto v = get(k);
        if (v.empty()) {
            return std::nullopt;
        }
        const auto b = parse_bool(v);
        if (!b) {
            errors.push_back({k, quote_value(v) + " is not yes or no"});
        }
        return b;
    };
    // Date-times as ISO, or as caseworkers type them: UK, day first (uk_date).
    auto when = [&](const char* k) -> std::string {
        const auto v = get(k);
        const auto uk = uk_date(v);
        if (!uk.problem.empty()) {
            errors.push_back({k, uk.problem});
        }
        return uk.iso ? *uk.iso : v;
    };
    Referral r;
    r.reference = get("reference");
    r.created_at = when("created_at");
    r.incident_refs = split_incident_refs(get("incident_refs"));
    r.incident_at = when("incident_at");
    r.offence = to_lower(get("offence"));
    r.asb_qualifier = to_lower(get("asb_qualifier"));
    r.easting = number("easting");
    r.northing = number("northing");
    const auto lat = number("latitude");
    const auto lon = number("longitude");
    if (lat || lon) {
        if (r.easting || r.northing) {
            errors.push_back({"latitude", "give easting and northing or latitude and longitude, not both"});
        } else if (!lat || !lon) {
            errors.push_back({lat ? "longitude" : "latitude", "give both latitude and longitude, or neither"});
        } else if (const auto bng = bng_from_wgs84(*lat, *lon, errors)) {
            r.easting = (*bng)[0];
            r.northing = (*bng)[1];
        }
    }
    r.disposal = to_lower(get("disposal"));
    r.age_band = to_lower(get("age_band"));
    r.first_time_entrant = boolean("first_time_entrant").value_or(false);
    r.provider = get("provider");
    if (const auto person = get("person_id"); !person.empty()) {
        r.person_key = hmac_sha256_hex(secret, person);
    }
    r.contacted_at = when("contacted_at");
    r.assessed_at = when("assessed_at");
    r.needs = get("needs");
    r.interpreter = boolean("interpreter");
    r.workshop_booked_at = when("workshop_booked_at");
    r.workshop_attended_at = when("workshop_attended_at");
    r.reparation_type = to_lower(get("reparation_type"));
    r.hours_set = number("hours_set");
    r.hours_done = number("hours_done");
    r.outcome = to_lower(get("outcome"));
    r.outcome_at = when("outcome_at");
    r.escalation = get("escalation");
    r.reoffence_date = when("reoffence_date");
    r.victim_consulted = boolean("victim_consulted");
    r.victim_satisfied = boolean("victim_satisfied");
    r.consent_evaluation = boolean("consent_evaluation");
    r.workshop_type = to_lower(get("workshop_type"));
    r.aqa_unit = get("aqa_unit");
    r.aqa_date = when("aqa_date");
    r.onward = parse_onward(get("onward_referrals"), errors);
    r.disclosure_made = boolean("disclosure_made");
    r.disclosure_agency = to_lower(get("disclosure_agency"));
    r.learnt_about_impact = boolean("learnt_about_impact");
    r.would_reoffend = to_lower(get("would_reoffend"));
    r.survey_comment = get("survey_comment");
    return r;
}

Referral merged(const Referral& stored, const Referral& u, const std::map<std::string, std::string>& given) {
    Referral r = stored;
    auto has = [&given](const char* k) {
        const auto it = given.find(k);
        return it != given.end() && !trim(it->second).empty();
    };
    if (has("created_at")) r.created_at = u.created_at;
    if (has("incident_refs")) r.incident_refs = u.incident_refs;
    if (has("incident_at")) r.incident_at = u.incident_at;
    if (has("offence")) r.offence = u.offence;
    if (has("asb_qualifier")) r.asb_qualifier = u.asb_qualifier;
    if (has("easting") || has("latitude")) r.easting = u.easting;
    if (has("northing") || has("longitude")) r.northing = u.northing;
    if (has("disposal")) r.disposal = u.disposal;
    if (has("age_band")) r.age_band = u.age_band;
    if (has("first_time_entrant")) r.first_time_entrant = u.first_time_entrant;
    if (has("provider")) r.provider = u.provider;
    if (has("person_id")) r.person_key = u.person_key;
    if (has("contacted_at")) r.contacted_at = u.contacted_at;
    if (has("assessed_at")) r.assessed_at = u.assessed_at;
    if (has("needs")) r.needs = u.needs;
    if (has("interpreter")) r.interpreter = u.interpreter;
    if (has("workshop_booked_at")) r.workshop_booked_at = u.workshop_booked_at;
    if (has("workshop_attended_at")) r.workshop_attended_at = u.workshop_attended_at;
    if (has("reparation_type")) r.reparation_type = u.reparation_type;
    if (has("hours_set")) r.hours_set = u.hours_set;
    if (has("hours_done")) r.hours_done = u.hours_done;
    if (has("outcome")) r.outcome = u.outcome;
    if (has("outcome_at")) r.outcome_at = u.outcome_at;
    if (has("escalation")) r.escalation = u.escalation;
    if (has("reoffence_date")) r.reoffence_date = u.reoffence_date;
    if (has("victim_consulted")) r.victim_consulted = u.victim_consulted;
    if (has("victim_satisfied")) r.victim_satisfied = u.victim_satisfied;
    if (has("consent_evaluation")) r.consent_evaluation = u.consent_evaluation;
    if (has("workshop_type")) r.workshop_type = u.workshop_type;
    if (has("aqa_unit")) r.aqa_unit = u.aqa_unit;
    if (has("aqa_date")) r.aqa_date = u.aqa_date;
    if (has("onward_referrals")) r.onward = u.onward;
    if (has("disclosure_made")) r.disclosure_made = u.disclosure_made;
    if (has("disclosure_agency")) r.disclosure_agency = u.disclosure_agency;
    if (has("learnt_about_impact")) r.learnt_about_impact = u.learnt_about_impact;
    if (has("would_reoffend")) r.would_reoffend = u.would_reoffend;
    if (has("survey_comment")) r.survey_comment = u.survey_comment;
    // Consent withdrawn: the stored answers go (answers given with it are refused by validate()).
    const bool answers_given = has("learnt_about_impact") || has("would_reoffend") || has("survey_comment");
    if (has("consent_evaluation") && u.consent_evaluation == false && !answers_given) {
        r.learnt_about_impact.reset();
        r.would_reoffend.clear();
        r.survey_comment.clear();
    }
    return r;
}

namespace {

// Days since 1970 of the date part of an ISO date or date-time.
std::optional<long long> day_of(const std::string& text) {
    const auto d = text.size() >= 10 ? parse_datetime(text.substr(0, 10), "%Y-%m-%d") : std::nullopt;
    return d ? std::optional<long long>{d->days_since_epoch()} : std::nullopt;
}

void validate_workshop_and_aqa(const Referral& r, std::vector<FieldError>& e) {
    if (!r.workshop_type.empty()) {
        const auto& fits = workshops_for(r.offence);
        if (!in(workshop_types(), r.workshop_type)) {
            e.push_back({"workshop_type", quote_value(r.workshop_type) + " is not one of " + joined(workshop_types())});
        } else if (!fits.empty() && !in(fits, r.workshop_type)) {
            e.push_back({"workshop_type", quote_value(r.workshop_type) + " does not fit the offence " + r.offence +
                                              ": workshops are tailored to the offence; for " + r.offence + " use " +
                                              joined(fits) + " (docs/referrals.md#workshop-types)"});
        }
        if (r.workshop_booked_at.empty()) {
            e.push_back({"workshop_type", "is set but workshop_booked_at is not: the workshop is chosen when it is booked"});
        }
    }
    if (r.aqa_unit.empty() != r.aqa_date.empty()) {
        e.push_back({r.aqa_unit.empty() ? "aqa_unit" : "aqa_date", "give the AQA unit and its date together"});
    } else if (!r.aqa_date.empty()) {
        const auto aqa = parse_when(r.aqa_date);
        const auto workshop = day_of(r.workshop_attended_at);
        if (!aqa) {
            e.push_back({"aqa_date", quote_value(r.aqa_date) + " is not a date (YYYY-MM-DD or DD/MM/YYYY)"});
        } else if (r.workshop_attended_at.empty()) {
            e.push_back({"aqa_date", "is set but workshop_attended_at is not: an AQA unit is gained at the workshop"});
        } else if (workshop && aqa->days_since_epoch() < *workshop) {
            e.push_back({"aqa_date", "is before the workshop (workshop_attended_at " + r.workshop_attended_at +
                                         "): an AQA unit is gained at or after it"});
        }
    }
}

void validate_onward(const Referral& r, std::vector<FieldError>& e) {
    const auto created = day_of(r.created_at);
    for (std::size_t i = 0; i < r.onward.size(); ++i) {
        const auto& o = r.onward[i];
        const auto d = day_of(o.date);
        if (d && created && *d < *created) {
            e.push_back({"onward_referrals", o.agency + ":" + o.date + " is before the referral (created_at " +
                                                 r.created_at.substr(0, 10) + ")"});
        }
        for (std::size_t j = 0; j < i; ++j) {
            if (r.onward[j].agency == o.agency && r.onward[j].date == o.date) {
                e.push_back({"onward_referrals", o.agency + ":" + o.date + " is given twice"});
            }
        }
    }
    if (!r.disclosure_agency.empty()) {
        const bool listed = std::any_of(r.onward.begin(), r.onward.end(),
                                        [&](const OnwardReferral& o) { return o.agency == r.disclosure_agency; });
        if (!in(onward_agencies(), r.disclosure_agency)) {
            e.push_back({"disclosure_agency", quote_value(r.disclosure_agency) + " is not an agency: one of " +
                                                  joined(onward_agencies())});
        } else if (r.disclosure_made != true) {
            e.push_back({"disclosure_agency", "needs disclosure_made = yes"});
        } else if (!listed) {
            e.push_back({"disclosure_agency", r.disclosure_agency + " is not among the onward referrals: record "
                                                  "the onward referral it led to (onward_referrals) too"});
        }
    }
}

void validate_survey(const Referral& r, std::vector<FieldError>& e) {
    const bool answers = r.learnt_about_impact || !r.would_reoffend.empty() || !r.survey_comment.empty();
    if (!r.would_reoffend.empty() && !one_of(r.would_reoffend, reoffend_answers)) {
        e.push_back({"would_reoffend", quote_value(r.would_reoffend) + " is not yes, no or unsure"});
    }
    if (answers && r.consent_evaluation != true) {
        const char* field = r.learnt_about_impact ? "learnt_about_impact"
                            : !r.would_reoffend.empty() ? "would_reoffend"
                                                        : "survey_comment";
        e.push_back({field, std::string{"survey answers are kept only with consent_evaluation = yes (it is "} +
                                (r.consent_evaluation ? "no" : "not recorded") +
                                "): leave the survey columns empty; without consent the survey is recorded as "
                                "'not consented' and its answers are not stored"});
    } else if (answers && r.workshop_attended_at.empty()) {
        e.push_back({"learnt_about_impact", "survey answers come after the workshop: workshop_attended_at is not set"});
    }
}

} // namespace

std::vector<FieldError> validate(const Referral& r) {
    std::vector<FieldError> e;
    if (r.reference.empty()) {
        e.push_back({"reference", "is empty"});
    }
    if (!one_of(r.offence, offences)) {
        e.push_back({"offence", quote_value(r.offence) + " is not one of " + listed(offences)});
    }
    if (!r.asb_qualifier.empty() && !one_of(r.asb_qualifier, qualifiers)) {
        e.push_back({"asb_qualifier", quote_value(r.asb_qualifier) + " is not one of " + listed(qualifiers)});
    }
    if (!one_of(r.disposal, disposals)) {
        e.push_back({"disposal", quote_value(r.disposal) + " is not one of " + listed(disposals)});
    }
    if (r.age_band != "10-17" && r.age_band != "adult") {
        e.push_back({"age_band", quote_value(r.age_band) + " is not 10-17 or adult"});
    }
    if (r.person_key.empty()) {
        e.push_back({"person_id", "is empty: the force's identifier of the person is needed (it is stored only as a keyed hash)"});
    }
    if (r.easting.has_value() != r.northing.has_value()) {
        e.push_back({r.easting ? "northing" : "easting", "give both easting and northing, or neither"});
    } else if (r.easting && (*r.easting < 0 || *r.easting > 700000 || *r.northing < 0 || *r.northing > 1300000)) {
        e.push_back({"easting", "not a British National Grid position (metres)"});
    }
    if (!r.reparation_type.empty() && !one_of(r.reparation_type, reparations)) {
        e.push_back({"reparation_type", quote_value(r.reparation_type) + " is not one of " + listed(reparations)});
    }
    if (!r.outcome.empty() && !one_of(r.outcome, outcomes)) {
        e.push_back({"outcome", quote_value(r.outcome) + " is not one of " + listed(outcomes)});
    }
    for (const auto* h : {&r.hours_set, &r.hours_done}) {
        if (h->has_value() && (h->value() < 0 || !std::isfinite(h->value()))) {
            e.push_back({h == &r.hours_set ? "hours_set" : "hours_done", "hours cannot be negative"});
        }
    }
    // Dates, and milestones in order, each after its predecessor.
    struct Step {
        const char* field;
        const std::string* value;
        const char* needs;
        const std::string* needed;
    };
    const Step steps[] = {{"created_at", &r.created_at, nullptr, nullptr},
                          {"contacted_at", &r.contacted_at, "created_at", &r.created_at},
                          {"assessed_at", &r.assessed_at, "contacted_at", &r.contacted_at},
                          {"workshop_booked_at", &r.workshop_booked_at, "assessed_at", &r.assessed_at},
                          {"workshop_attended_at", &r.workshop_attended_at, "workshop_booked_at", &r.workshop_booked_at}};
    long long previous = 0;
    const char* previous_field = nullptr;
    for (const auto& s : steps) {
        if (s.value->empty()) {
            if (s.needs == nullptr) {
                e.push_back({s.field, "is empty"});
            }
            continue;
        }
        const auto when = parse_when(*s.value);
        if (!when) {
            e.push_back({s.field, quote_value(*s.value) + " is not a date-time (YYYY-MM-DDTHH:MM, or DD/MM/YYYY HH:MM day first)"});
            continue;
        }
        if (s.needed != nullptr && s.needed->empty()) {
            e.push_back({s.field, std::string{"is set but "} + s.needs + " is not: milestones come in order"});
        }
        const long long t = when->seconds_since_epoch();
        if (previous_field != nullptr && t < previous) {
            e.push_back({s.field, std::string{"is before "} + previous_field});
        }
        previous = t;
        previous_field = s.field;
    }
    if (!r.incident_at.empty()) {
        const auto inc = parse_when(r.incident_at);
        const auto created = parse_when(r.created_at);
        if (!inc) {
            e.push_back({"incident_at", quote_value(r.incident_at) + " is not a date-time"});
        } else if (created && inc->seconds_since_epoch() > created->seconds_since_epoch()) {
            e.push_back({"incident_at", "is after created_at: a referral follows its incident"});
        }
    }
    if (!r.outcome.empty()) {
        const auto at = parse_when(r.outcome_at);
        if (!at) {
            e.push_back({"outcome_at", r.outcome_at.empty() ? "is empty: an outcome needs its date"
                                                            : quote_value(r.outcome_at) + " is not a date-time"});
        } else if (previous_field != nullptr && at->seconds_since_epoch() < previous) {
            e.push_back({"outcome_at", std::string{"is before "} + previous_field});
        }
        if (r.outcome == "completed" && r.workshop_attended_at.empty()) {
            e.push_back({"outcome", "completed needs the workshop attended (workshop_attended_at)"});
        }
    } else if (!r.outcome_at.empty()) {
        e.push_back({"outcome_at", "is set but outcome is not"});
    }
    if (!r.reoffence_date.empty()) {
        const auto d = parse_when(r.reoffence_date);
        const auto created = parse_when(r.created_at);
        if (!d) {
            e.push_back({"reoffence_date", quote_value(r.reoffence_date) + " is not a date"});
        } else if (created && d->seconds_since_epoch() < created->seconds_since_epoch() - 86400) {
            e.push_back({"reoffence_date", "is before the referral: a reoffence is the next offence after it"});
        }
    }
    if (r.victim_satisfied.has_value() && !r.victim_consulted.value_or(false)) {
        e.push_back({"victim_satisfied", "needs victim_consulted = yes"});
    }
    validate_workshop_and_aqa(r, e);
    validate_onward(r, e);
    validate_survey(r, e);
    return e;
}

std::vector<FieldError> validate_change(const Referral& before, const Referral& after) {
    std::vector<FieldError> e;
    const State from = before.state();
    const State to = after.state();
    if (is_closed(from) && (to != from || after.outcome_at != before.outcome_at)) {
        e.push_back({"outcome", std::string{"the referral is closed ("} + state_name(from) +
                                    "); a closed referral does not change"});
    } else if (!is_closed(to) && rank(to) < rank(from)) {
        e.push_back({"state", std::string{"cannot go back from "} + state_name(from) + " to " + state_name(to) +
                                  " (a milestone was removed)"});
    }
    if (before.person_key != after.person_key) {
        e.push_back({"person_id", "cannot change: a referral stays with its person"});
    }
    return e;
}

} // namespace hotref::referral

namespace hotref::referral {

const std::vector<std::string>& offence_names() {
    static const std::vector<std::string> names(offences.begin(), offences.end());
    return names;
}

} // namespace hotref::referral
