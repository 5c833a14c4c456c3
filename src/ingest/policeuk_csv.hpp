#pragma once
// data.police.uk street-level crime CSV:
// Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,
// LSOA code,LSOA name,Crime type,Last outcome category,Context

#include "core/csv.hpp"
#include "ingest/row.hpp"

#include <string>

namespace hotref::ingest {

/// Reads a whole file into `sink`. A wrong or incomplete header throws
/// InputError naming `name` and the missing columns; a malformed row becomes
/// a reject with its line and reason, and reading goes on. A last line cut
/// short (no line end and too few columns) fails the file: a published month
/// is never stored with its end missing. `csv` sets limits and the error name.
void read_policeuk_csv(ByteSource& source, const std::string& name, RowSink& sink, CsvOptions csv = {});

} // namespace hotref::ingest
