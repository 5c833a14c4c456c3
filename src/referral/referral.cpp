#include "referral/referral.hpp"

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
        "consent_evaluation"};
    return cols;
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
    return field == "needs" || field == "escalation" || field == "provider";
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
        const std::size_t most = k == "incident_refs" ? kMaxIncidentRefs * 64 : free ? kLongField : kShortField;
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
    return r;
}

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
