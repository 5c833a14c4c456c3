#pragma once
// Disclosure control for everything hotref publishes. Two profiles:
//  - published (the default): no personal data, no exact times, no point finer
//    than police.uk's snap points, and every count through the one gate
//    (publish/model.hpp, gate.cpp; the bulletin's through publish/sdc.hpp the
//    same way): counts from 1 to min_count - 1 withheld, the rest perturbed with
//    cell-key noise, complementary suppression audited across every margin;
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

} // namespace hotref::publish
