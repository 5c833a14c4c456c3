#pragma once
// An ingest's report as the API message (hotref.v1.IngestReport), shared by
// `hotref ingest --report-json` and the service's POST /v1/feeds.

#include "hotref/v1/store.pb.h"
#include "ingest/ingester.hpp"

namespace hotref::ingest {

/// Appends one file's report and adds it to the totals.
void add_file_report(hotref::v1::IngestReport& report, const FileReport& file);

} // namespace hotref::ingest
