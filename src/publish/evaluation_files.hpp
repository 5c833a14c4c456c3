#pragma once
// An evaluation's files: the table as CSV, the areas as a styled GeoPackage, and PNG
// charts (each top hotspot's monthly series, the rate ratios, capture against area).
// They write the summary as given: pass it through publish::disclose_evaluation first.

#include "evaluate/evaluation.hpp"
#include "publish/disclosure.hpp"

#include <string>
#include <vector>

namespace hotref::publish {

struct EvaluationFiles {
    std::string csv;          // the table (optional)
    std::string charts;       // a folder for the PNG charts (optional)
    std::string gpkg;         // a GeoPackage of the areas (optional; must not exist)
    int chart_hotspots = 10;  // how many hotspots get a chart of their own
};

/// Writes what `files` names; returns the files written. Throws Error.
std::vector<std::string> write_evaluation(const evaluate::EvaluationSummary& summary, const EvaluationFiles& files,
                                          Profile profile);

} // namespace hotref::publish
