#pragma once
// police.uk API JSON: the responses of crimes-street and crimes-at-location,
// an array of objects with category (a slug), location.latitude/longitude
// (strings), location.street.name, month, persistent_id, context and
// outcome_status ({category, date} or null).

#include "ingest/row.hpp"

#include <string>

namespace hotref::ingest {

/// Parses `text` (a whole response). `force` labels the partition: the API
/// does not say which force's data it returns. Malformed elements become
/// rejects naming their index ("record 12"); a document that is not a JSON
/// array throws InputError.
void read_policeuk_json(const std::string& text, const std::string& name, const std::string& force, RowSink& sink);

} // namespace hotref::ingest
