#include "ingest/report.hpp"

namespace hotref::ingest {

void add_file_report(hotref::v1::IngestReport& report, const FileReport& r) {
    auto& out = *report.add_files();
    out.set_feed_id(r.feed_id);
    out.set_name(r.name);
    out.set_kind(r.kind);
    out.set_sha256(r.sha256);
    out.set_bytes(r.bytes);
    out.set_status(r.status);
    out.set_message(r.message);
    out.set_rows_read(r.rows_read);
    out.set_rows_stored(r.rows_stored);
    out.set_rows_rejected(r.rows_rejected);
    out.set_locations_added(r.locations_added);
    for (const auto& p : r.partitions) {
        out.add_partitions(p);
    }
    out.set_partitions_replaced(r.partitions_replaced);
    for (const auto& [code, n] : r.rejects_by_code) {
        (*out.mutable_rejects_by_code())[code] = n;
    }
    for (const auto& ex : r.reject_examples) {
        auto* e = out.add_reject_examples();
        e->set_line(ex.line);
        e->set_field(ex.field);
        e->set_code(ex.code);
        e->set_reason(ex.reason);
    }
    out.set_seconds(r.seconds);
    if (r.status == "stored") {
        report.set_files_stored(report.files_stored() + 1);
    } else if (r.status == "unchanged") {
        report.set_files_unchanged(report.files_unchanged() + 1);
    } else {
        report.set_files_failed(report.files_failed() + 1);
    }
    report.set_rows_read(report.rows_read() + r.rows_read);
    report.set_rows_stored(report.rows_stored() + r.rows_stored);
    report.set_rows_rejected(report.rows_rejected() + r.rows_rejected);
}

} // namespace hotref::ingest
