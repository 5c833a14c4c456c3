// libFuzzer harness: request targets and the OGC API - Features parameters
// (src/server/query.*: parse_target, bbox, datetime, limit, offset).
// Input: a request target ("/collections/x/items?bbox=...&datetime=..."). Its
// parameters are parsed as the items handler parses them; the raw input is also
// given to each parameter parser directly. Everything refused must be an HttpError
// with a 4xx status.

#include "fuzz_support.hpp"

#include "server/query.hpp"

#include <functional>

namespace {

using namespace hotref::server;
using hotref::fuzz::check;

void check_bbox(const BBox& b) {
    check(std::isfinite(b.min_x) && std::isfinite(b.min_y) && std::isfinite(b.max_x) && std::isfinite(b.max_y),
          "a bbox is finite");
    check(b.min_x >= -180 && b.max_x <= 180 && b.min_y >= -90 && b.max_y <= 90, "a bbox is within WGS84 bounds");
    check(b.min_x <= b.max_x && b.min_y <= b.max_y, "a bbox's minimum is not above its maximum");
}

void check_interval(const TimeInterval& t) {
    check(!std::isnan(t.start) && !std::isnan(t.end), "a datetime interval has no NaN end");
    check(t.start <= t.end, "a datetime interval does not end before it starts");
}

// Runs one parser; an HttpError must be a client error with a message.
void refused_or(const std::function<void()>& parse) {
    try {
        parse();
    } catch (const HttpError& e) {
        check(e.status() >= 400 && e.status() < 500, "a refused parameter is a 4xx");
        check(std::string_view{e.what()}.size() > 0 && !e.code().empty(), "a refusal has a code and a message");
    }
}

void parse_params(const std::map<std::string, std::string>& params) {
    if (const auto it = params.find("limit"); it != params.end()) {
        refused_or([&] {
            const auto v = parse_count(it->second, "limit", 1, 100000);
            check(v >= 1 && v <= 100000, "limit within its bounds");
        });
    }
    if (const auto it = params.find("offset"); it != params.end()) {
        refused_or([&] {
            const auto v = parse_count(it->second, "offset", 0, 1'000'000'000);
            check(v >= 0 && v <= 1'000'000'000, "offset within its bounds");
        });
    }
    if (const auto it = params.find("bbox"); it != params.end()) {
        refused_or([&] { check_bbox(parse_bbox(it->second)); });
    }
    if (const auto it = params.find("datetime"); it != params.end()) {
        refused_or([&] { check_interval(parse_datetime_param(it->second)); });
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string input = hotref::fuzz::text_of(data, size);
    refused_or([&] {
        const Target t = parse_target(input);
        for (const auto& s : t.segments) {
            check(!s.empty() && s != "." && s != "..", "no empty, '.' or '..' path segment");
        }
        for (const auto& [key, value] : t.params) {
            for (const char c : key + value) {
                check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "no control character in a parameter");
            }
        }
        parse_params(t.params);
    });
    refused_or([&] { check_bbox(parse_bbox(input)); });
    refused_or([&] { check_interval(parse_datetime_param(input)); });
    refused_or([&] {
        const auto v = parse_count(input, "offset", 0, 1'000'000'000);
        check(v >= 0 && v <= 1'000'000'000, "a count within its bounds");
    });
    refused_or([&] {
        const auto decoded = percent_decode(input, true);
        check(decoded.size() <= input.size(), "decoding never lengthens");
        const auto round = percent_decode(percent_encode(decoded), false);
        check(round == decoded, "percent_encode then percent_decode gives the text back");
    });
    return 0;
}
