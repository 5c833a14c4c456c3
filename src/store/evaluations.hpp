#pragma once
// Before/after evaluations in the store (tables evaluation, evaluation_area): the run they
// evaluate, their parameters and, per area (each hotspot and the scheme), the measures, all
// as the JSON the evaluation wrote (evaluate/evaluation.hpp reads them back).

#include "store/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hotref::store {

struct EvaluationRow {
    std::int64_t id = 0;
    std::int64_t run_id = 0;
    std::string created_at;
    std::string params;              // JSON object
};

struct EvaluationAreaRow {
    std::string code;                // a hotspot's code, or "scheme"
    std::string name;                // "" when none
    std::string measures;            // JSON object
    std::optional<int> hotspot_rank; // of the hotspot with this code in the evaluated run (none: "scheme")
    std::string hotspot_wkb;         // its polygon, EPSG:27700 ("" when none)
};

/// Stores an evaluation of `run_id` with its areas (in their order), in one transaction;
/// returns its id.
std::int64_t insert_evaluation(Store& store, std::int64_t run_id, const std::string& params_json,
                               const std::vector<EvaluationAreaRow>& areas);
/// Evaluation `id`, or with `id` 0 the latest; nullopt when there is none.
std::optional<EvaluationRow> read_evaluation_row(Store& store, std::int64_t id);
/// Every evaluation, by id.
std::vector<EvaluationRow> list_evaluations(Store& store);
/// The latest evaluation of a run of the series (method, categories, source): the same places
/// under the same codes. nullopt when there is none.
std::optional<EvaluationRow> latest_evaluation_of_series(Store& store, const std::string& method,
                                                         const std::string& categories, const std::string& source);
/// The areas of evaluation `id` by code, each with the rank and polygon
/// of the evaluated run's hotspot of that code.
std::vector<EvaluationAreaRow> read_evaluation_areas(Store& store, std::int64_t id);

} // namespace hotref::store
