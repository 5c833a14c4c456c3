#include "ingest/policeuk_json.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <nlohmann/json.hpp>

namespace hotref::ingest {

namespace {

using nlohmann::json;

// A string member, or "" when absent or null. Numbers are accepted as text.
std::string text_of(const json& obj, const char* key) {
    const auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        return {};
    }
    if (it->is_string()) {
        return it->get<std::string>();
    }
    if (it->is_number()) {
        return it->dump();
    }
    return {};
}

} // namespace

void read_policeuk_json(const std::string& text, const std::string& name, const std::string& force, RowSink& sink) {
    json doc;
    // police.uk's crimes are 4 levels deep; anything much deeper is refused while it is read,
    // before it is built (deep documents would overflow the stack of any recursive walk).
    constexpr int max_depth = 32;
    try {
        doc = json::parse(text, [&](int depth, json::parse_event_t, json&) {
            if (depth > max_depth) {
                throw InputError(name + ": JSON nested deeper than " + std::to_string(max_depth) +
                                 " levels; a police.uk API crimes response is 4 levels deep");
            }
            return true;
        });
    } catch (const json::parse_error& e) {
        throw InputError(name + ": not valid JSON at byte " + std::to_string(e.byte) +
                         "; expected a police.uk API crimes-street or crimes-at-location response");
    } catch (const json::exception& e) {
        // out_of_range.406: a number such as 1e999 that no double holds.
        throw InputError(name + ": JSON cannot be read (" + std::string{e.what()} +
                         "); expected a police.uk API crimes-street or crimes-at-location response");
    }
    if (!doc.is_array()) {
        throw InputError(name + ": expected a JSON array of crimes (a police.uk API crimes-street or "
                                "crimes-at-location response), found a " + std::string{doc.type_name()});
    }
    std::int64_t index = 0;
    for (const auto& item : doc) {
        ++index;
        sink.progress(0);
        const std::string where = "record " + std::to_string(index);
        auto reject = [&](const char* field, const char* code, const std::string& reason) {
            std::string raw = item.dump();
            if (raw.size() > 500) {
                raw.resize(500);
            }
            sink.reject(store::RejectRow{index, field != nullptr ? field : "", code, reason, std::move(raw)});
        };
        if (!item.is_object()) {
            reject(nullptr, "bad_record", where + " is not an object");
            continue;
        }
        const std::string category = text_of(item, "category");
        if (category.empty()) {
            reject("category", "missing_field", "category is missing");
            continue;
        }
        const std::string month_text = text_of(item, "month");
        const auto month = Month::parse(month_text);
        if (!month) {
            reject("month", "bad_month", "bad month " + quote_value(month_text) + " (expected YYYY-MM)");
            continue;
        }
        const auto loc = item.find("location");
        if (loc == item.end() || !loc->is_object()) {
            reject("location", "no_coordinates", "no location object");
            continue;
        }
        const std::string lat_text = text_of(*loc, "latitude");
        const std::string lon_text = text_of(*loc, "longitude");
        if (lat_text.empty() || lon_text.empty()) {
            reject("location.latitude", "no_coordinates", "no coordinates (latitude or longitude missing)");
            continue;
        }
        const auto lat = parse_double(lat_text);
        const auto lon = parse_double(lon_text);
        if (!lat || !lon) {
            reject(!lat ? "location.latitude" : "location.longitude", "bad_number",
                   std::string{!lat ? "latitude " + quote_value(lat_text) : "longitude " + quote_value(lon_text)} +
                       " is not a number");
            continue;
        }
        std::string street;
        if (const auto st = loc->find("street"); st != loc->end() && st->is_object()) {
            street = text_of(*st, "name");
        }
        std::string outcome;
        if (const auto os = item.find("outcome_status"); os != item.end() && os->is_object()) {
            outcome = text_of(*os, "category");
        }
        const std::string persistent_id = text_of(item, "persistent_id");
        const std::string context = text_of(item, "context");
        const std::string raw = item.dump();

        SourceRow row;
        row.line = index;
        row.month = *month;
        row.force = force;
        row.falls_within = force;
        row.coords = Coords::lonlat;
        row.x = *lon;
        row.y = *lat;
        row.street = street;
        row.category_slug = category;
        row.outcome = outcome;
        row.crime_id = persistent_id;
        row.context = context;
        row.raw = raw;
        sink.row(row);
    }
}

} // namespace hotref::ingest
