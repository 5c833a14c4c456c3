#pragma once
// Disclosure control for everything hotref publishes. Two profiles:
//  - published (the default): no personal data, no exact times, no point finer
//    than police.uk's snap points, and small counts suppressed: a count from 1 to
//    min_count - 1 is withheld (primary suppression), and where a row's total is
//    published and only one of its values was withheld, the smallest other
//    non-zero value is withheld too (secondary suppression), so the first cannot
//    be got back by subtraction;
//  - internal: the force's own analysts; nothing suppressed, marked OFFICIAL-SENSITIVE.

#include <string>
#include <vector>

namespace hotref::publish {

enum class Profile { published, internal };

Profile profile_from_name(const std::string& name);
const char* profile_name(Profile p) noexcept;
/// Government Security Classification marking of a profile's outputs.
const char* classification(Profile p) noexcept;

struct DisclosureRules {
    double min_count = 5;           // incidents
    double min_referral_count = 10; // anything derived from referrals
    int max_noise = 2;              // cell-key perturbation: published counts within +/- this of the truth
};

struct Suppressed {
    int primary = 0;
    int secondary = 0;
};

/// Withholds small values of one row in place (NaN = withheld); `total_published`
/// says whether the row's total is shown beside it (then secondary suppression applies).
Suppressed suppress_row(std::vector<double>& values, double min_count, bool total_published);

/// A single count: NaN when 0 < value < min_count.
double suppress_value(double value, double min_count);

} // namespace hotref::publish
