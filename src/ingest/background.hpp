#pragma once
// Runs a feed reader on a thread of its own: it parses and validates rows
// while the calling thread resolves locations and writes to the store. Rows
// and rejects reach the caller's sink in batches, on the caller's thread.

#include "ingest/row.hpp"

#include <functional>

namespace hotref::ingest {

/// Calls `read(s)` on another thread with a sink `s` that copies what it is
/// given; replays it into `sink` here. An exception of the reader is rethrown
/// here, after the rows it produced before it.
void read_in_background(const std::function<void(RowSink&)>& read, RowSink& sink);

} // namespace hotref::ingest
