#pragma once
// Hotspot identity from one run to the next: a hotspot that covers much the
// same ground as one of the previous run keeps its code (H-0042), so a patrol
// planner can trust that H-0042 is the same place as last month.
//
// Rule: a new and an old hotspot "match" when the area they share is at least
// `min_overlap` (default 25 %) of the smaller of the two. Matches are taken in
// order of shared area, largest first; each old code passes to at most one new
// hotspot and each new hotspot takes at most one old code. What is left over
// is recorded as lineage:
//   continues  the new hotspot took the old code
//   split      it has a new code and matched an old hotspot whose code went to a larger part
//   merged     an old hotspot whose code went nowhere matched a new one that kept another code
// (Two neighbours that both keep their codes but whose outlines overlap record nothing.)
//   new        it matched nothing
//   retired    an old hotspot matched nothing

#include <string>
#include <vector>

namespace hotref::hotspot {

struct Overlap {
    std::size_t new_index = 0;
    std::size_t old_index = 0;
    double shared_area = 0;
};

struct LineageEvent {
    std::string code;        // the hotspot the event is about (new code; old code for retired)
    std::string event;       // continues, split, merged, new, retired
    std::string other_code;  // the related hotspot, if any
    double overlap = 0;      // shared area / smaller area
};

struct IdentityResult {
    std::vector<std::string> codes;      // for each new hotspot
    std::vector<LineageEvent> lineage;
};

/// `next_number` is one more than the highest code number ever given for the method.
IdentityResult assign_identity(const std::vector<double>& new_areas, const std::vector<double>& old_areas,
                               const std::vector<std::string>& old_codes, const std::vector<Overlap>& overlaps,
                               int next_number, double min_overlap = 0.25);

/// "H-0042" for 42.
std::string hotspot_code(int number);
/// 42 for "H-0042"; 0 when the text is not a code.
int hotspot_number(const std::string& code);

} // namespace hotref::hotspot
