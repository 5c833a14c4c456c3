#include "publish/disclosure.hpp"

#include "core/error.hpp"

#include <cmath>
#include <limits>

namespace hotref::publish {

Profile profile_from_name(const std::string& name) {
    if (name == "published") {
        return Profile::published;
    }
    if (name == "internal") {
        return Profile::internal;
    }
    throw UsageError("unknown profile '" + name + "'; use published (the default) or internal");
}

const char* profile_name(Profile p) noexcept {
    return p == Profile::published ? "published" : "internal";
}

const char* classification(Profile p) noexcept {
    return p == Profile::published ? "OFFICIAL" : "OFFICIAL-SENSITIVE";
}

double suppress_value(double value, double min_count) {
    return (value > 0 && value < min_count) ? std::numeric_limits<double>::quiet_NaN() : value;
}

Suppressed suppress_row(std::vector<double>& values, double min_count, bool total_published) {
    Suppressed s;
    for (double& v : values) {
        if (v > 0 && v < min_count) {
            v = std::numeric_limits<double>::quiet_NaN();
            ++s.primary;
        }
    }
    if (total_published && s.primary == 1) {
        // The one withheld value = total - the others: withhold the smallest other non-zero one.
        std::size_t pick = values.size();
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (!std::isnan(values[i]) && values[i] > 0 && (pick == values.size() || values[i] < values[pick])) {
                pick = i;
            }
        }
        if (pick < values.size()) {
            values[pick] = std::numeric_limits<double>::quiet_NaN();
            ++s.secondary;
        }
    }
    return s;
}

} // namespace hotref::publish
