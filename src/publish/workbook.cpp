#include "publish/workbook.hpp"

#include "core/error.hpp"
#include "publish/disclosure.hpp"
#include "store/store.hpp"

#include <xlsxwriter.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>
#include <variant>

namespace hotref::publish {

namespace {

struct Date {
    int year = 0, month = 0, day = 0;
};
using Value = std::variant<std::monostate, double, std::string, Date>;

struct Column {
    std::string header;
    double width = 12;
    std::string format;  // Excel number format ("" for General)
};

struct Sheet {
    std::string name;
    std::vector<Column> columns;
    std::vector<std::vector<Value>> rows;
};

Value number(double v) {
    return std::isfinite(v) ? Value{v} : Value{};
}

Value text(const std::string& s) {
    return s.empty() ? Value{} : Value{s};
}

// A field of the model's layer as a cell (NULL, i.e. withheld or not computed: empty).
Value field(const ModelLayer& layer, const ModelFeature& f, const std::string& name) {
    const int i = layer.field(name);
    if (i < 0) {
        return {};
    }
    const auto& v = f.values[static_cast<std::size_t>(i)];
    if (const auto* d = std::get_if<double>(&v)) {
        return number(*d);
    }
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        return static_cast<double>(*n);
    }
    if (const auto* s = std::get_if<std::string>(&v)) {
        return text(*s);
    }
    return {};
}

int days_in(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

// "2025-01" (the month's first day, or with `end` its last) or "2025-01-31" as a date.
Value date(const std::string& s, bool end) {
    int y = 0, m = 0, d = 0;
    if (s.size() == 7 && std::sscanf(s.c_str(), "%4d-%2d", &y, &m) == 2 && m >= 1 && m <= 12) {
        return Date{y, m, end ? days_in(y, m) : 1};
    }
    if (s.size() == 10 && std::sscanf(s.c_str(), "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12) {
        return Date{y, m, d};
    }
    return text(s);
}

Sheet note_sheet(const std::string& name, const std::string& note) {
    return Sheet{name, {{"Note", 100, ""}}, {{Value{note}}}};
}

Sheet about_sheet(const RunModel& m, const WorkbookInputs& in) {
    Sheet s{"About", {{"Item", 22, ""}, {"Value", 110, ""}}, {}};
    const auto& r = m.run;
    auto add = [&](const std::string& k, Value v) { s.rows.push_back({Value{k}, std::move(v)}); };
    add("Workbook", Value{"hotref: the hotspots, referral KPIs, evaluation and district table of run " +
                          std::to_string(r.id)});
    add("Classification", Value{std::string{classification(m.profile)}});
    add("Profile", Value{std::string{profile_name(m.profile)}});
    add("Method", Value{method_title(r.method) + " (" + r.params + ")"});
    add("Categories", text(r.categories));
    add("Period from", date(r.period_from, false));
    add("Period to", date(r.period_to, true));
    add("Source", text(r.source));
    add("Generated", text(m.generated));
    add("Disclosure", text(m.disclosure.rule));
    add("Empty cells", Value{m.profile == Profile::published
                                 ? std::string{"withheld by disclosure control (small counts, or a second count "
                                               "withheld so that the first cannot be worked out), or not computed"}
                                 : std::string{"not computed"}});
    if (in.bulletin) {
        add("Districts sheet", Value{"the bulletin's district table for " + in.bulletin->period_from + " to " +
                                     in.bulletin->period_to + " (hotref bulletin --run " + std::to_string(r.id) + ")"});
    }
    add("Licence", Value{std::string{"Contains public sector information licensed under the Open Government "
                                     "Licence v3.0 (data.police.uk)."}});
    return s;
}

Sheet hotspots_sheet(const RunModel& m, const WorkbookInputs& in) {
    Sheet s{"Hotspots",
            {{"Code", 10, ""},
             {"Name", 34, ""},
             {"Rank", 6, "0"},
             {"Incidents", 10, "#,##0"},
             {"Share of incidents", 10, "0.0%"},
             {"Area (km2)", 10, "0.000"},
             {"Incidents per km2", 12, "#,##0.0"},
             {"PAI", 8, "0.00"},
             {"Gi* confidence (%)", 11, "0"},
             {"Trend", 14, ""},
             {"Trend class", 24, ""},
             {"IJ referrals", 9, "#,##0"},
             {"IJ contacted in 48 h (%)", 12, "0"},
             {"IJ completed (%)", 10, "0"},
             {"Patrol windows", 44, ""},
             {"Period from", 11, "yyyy-mm-dd"},
             {"Period to", 11, "yyyy-mm-dd"}},
            {}};
    std::map<std::string, std::string> windows;
    if (in.bulletin) {
        for (const auto& w : in.bulletin->windows) {
            windows[w.code] = windows_text(w);
        }
    }
    const auto* layer = m.find("hotspots");
    if (layer == nullptr) {
        return s;
    }
    for (const auto& f : layer->features) {
        const auto code = field(*layer, f, "code");
        const auto* c = std::get_if<std::string>(&code);
        const auto w = c != nullptr ? windows.find(*c) : windows.end();
        const std::string patrol =
            w != windows.end() ? w->second
            : in.bulletin      ? "only for the bulletin's top " + std::to_string(in.bulletin_top) + " hotspots"
                               : "no bulletin: " + in.bulletin_problem;
        s.rows.push_back({code, field(*layer, f, "name"), field(*layer, f, "rank"), field(*layer, f, "incidents"),
                          field(*layer, f, "share"), field(*layer, f, "area_km2"), field(*layer, f, "density_km2"),
                          field(*layer, f, "pai"), field(*layer, f, "confidence"), field(*layer, f, "trend"),
                          field(*layer, f, "trend_class"), field(*layer, f, "ij_referrals"),
                          field(*layer, f, "ij_contacted_48h_pct"), field(*layer, f, "ij_completed_pct"),
                          Value{patrol}, date(m.run.period_from, false), date(m.run.period_to, true)});
    }
    return s;
}

Sheet kpis_sheet(const RunModel& m, const WorkbookInputs& in) {
    if (!in.referrals_linked) {
        return note_sheet("KPIs", "No referrals are linked to run " + std::to_string(m.run.id) +
                                      ": run 'hotref referral link' for the referral KPIs.");
    }
    Sheet s{"KPIs", {{"Group", 16, ""}, {"Name", 30, ""}, {"Referrals", 10, "#,##0"}}, {}};
    const std::pair<const char*, referral::Ratio referral::Kpis::*> ratios[] = {
        {"Contacted in 48 h", &referral::Kpis::contacted_48h},
        {"Completed", &referral::Kpis::completed},
        {"Refused", &referral::Kpis::refused},
        {"Withdrawn", &referral::Kpis::withdrawn},
        {"Not reoffended", &referral::Kpis::not_reoffended},
        {"Victim satisfied", &referral::Kpis::victim_satisfied},
        {"First-time entrants", &referral::Kpis::first_time_entrants},
        {"Aged 10-17", &referral::Kpis::youth}};
    for (const auto& [label, member] : ratios) {
        s.columns.push_back({std::string{label} + " (n)", 10, "#,##0"});
        s.columns.push_back({std::string{label} + " (of)", 10, "#,##0"});
        s.columns.push_back({std::string{label} + " (%)", 10, "0.0"});
    }
    s.columns.push_back({"Median days to completion", 12, "0.0"});
    s.columns.push_back({"Reparation hours", 11, "#,##0.0"});
    for (const auto& k : in.kpis) {
        std::vector<Value> row{Value{k.group}, text(k.name), number(k.referrals)};
        for (const auto& [label, member] : ratios) {
            const auto& r = k.*member;
            const bool shown = !r.suppressed && std::isfinite(k.referrals);
            row.push_back(shown ? number(r.numerator) : Value{});
            row.push_back(shown ? number(r.denominator) : Value{});
            row.push_back(shown && r.denominator > 0 ? number(100.0 * r.numerator / r.denominator) : Value{});
        }
        row.push_back(k.median_days_to_completion >= 0 ? number(k.median_days_to_completion) : Value{});
        row.push_back(number(k.reparation_hours));
        s.rows.push_back(std::move(row));
    }
    return s;
}

Sheet evaluation_sheet(const WorkbookInputs& in) {
    if (!in.evaluation) {
        return note_sheet("Evaluation", "No evaluation is stored: run 'hotref evaluate' for the before/after "
                                        "measures.");
    }
    const auto& e = *in.evaluation;
    Sheet s{"Evaluation",
            {{"Code", 10, ""},
             {"Name", 30, ""},
             {"Evaluation", 10, "0"},
             {"Run", 6, "0"},
             {"Before from", 11, "yyyy-mm-dd"},
             {"Before to", 11, "yyyy-mm-dd"},
             {"After from", 11, "yyyy-mm-dd"},
             {"After to", 11, "yyyy-mm-dd"}},
            {}};
    const std::pair<const char*, const char*> measures[] = {
        {"target_before", "#,##0"},  {"target_after", "#,##0"},  {"buffer_before", "#,##0"},
        {"buffer_after", "#,##0"},   {"control_before", "#,##0"}, {"control_after", "#,##0"},
        {"percent_change", "0.0"},   {"rate_ratio", "0.000"},    {"p_exact", "0.0000"},
        {"irr_vs_control", "0.000"}, {"wdq", "0.00"},            {"wdq_reading", ""},
        {"gross_effect", "#,##0"},   {"net_effect", "#,##0.0"},  {"tne", "#,##0.0"},
        {"wdd", "#,##0.0"},          {"wdd_se", "#,##0.0"},      {"wdd_z", "0.00"}};
    for (const auto& [key, format] : measures) {
        s.columns.push_back({key, std::string{format}.empty() ? 28.0 : 11.0, format});
    }
    for (const auto& a : e.areas) {
        const auto j = evaluate::area_json(a);
        std::vector<Value> row{Value{a.code}, text(a.name), static_cast<double>(e.evaluation_id),
                               static_cast<double>(e.run_id), date(e.before_from, false), date(e.before_to, true),
                               date(e.after_from, false), date(e.after_to, true)};
        for (const auto& [key, format] : measures) {
            const auto& v = j.at(key);
            row.push_back(v.is_number() ? number(v.get<double>()) : v.is_string() ? text(v.get<std::string>()) : Value{});
        }
        s.rows.push_back(std::move(row));
    }
    return s;
}

Sheet districts_sheet(const WorkbookInputs& in) {
    if (!in.bulletin) {
        return note_sheet("Districts", "No district table: " + in.bulletin_problem);
    }
    const auto& b = *in.bulletin;
    if (b.districts.empty()) {
        return note_sheet("Districts", "No district table: the bulletin read no district boundaries (see "
                                       "'hotref bulletin --boundaries').");
    }
    Sheet s{"Districts",
            {{"District", 28, ""},
             {"Incidents this period", 12, "#,##0"},
             {"Previous period", 12, "#,##0"},
             {"Change", 9, "+#,##0;-#,##0;0"},
             {"Change (%)", 9, "+0;-0;0"},
             {"Current hotspots", 10, "0"},
             {"Period from", 11, "yyyy-mm-dd"},
             {"Period to", 11, "yyyy-mm-dd"},
             {"Previous from", 11, "yyyy-mm-dd"},
             {"Previous to", 11, "yyyy-mm-dd"}},
            {}};
    for (const auto& d : b.districts) {
        const double change = d.now - d.prev;
        s.rows.push_back({Value{d.name}, number(d.now), number(d.prev), number(change),
                          d.prev > 0 ? number(100.0 * change / d.prev) : Value{}, static_cast<double>(d.hotspots),
                          date(b.period_from, false), date(b.period_to, true),
                          b.previous_from.empty() ? Value{} : date(b.previous_from, false),
                          b.previous_to.empty() ? Value{} : date(b.previous_to, true)});
    }
    return s;
}

// libxlsxwriter, every call's error checked.
class Writer {
public:
    Writer(std::string path, const RunModel& m) : m_path(std::move(path)) {
        m_book = workbook_new(m_path.c_str());
        if (m_book == nullptr) {
            throw Error(m_path + ": libxlsxwriter could not start the workbook (out of memory?)");
        }
        m_bold = workbook_add_format(m_book);
        format_set_bold(m_bold);
        format_set_text_wrap(m_bold);
        format_set_align(m_bold, LXW_ALIGN_VERTICAL_TOP);
        format_set_bg_color(m_bold, 0xE6E8EF);
        m_header = "&C" + std::string{classification(m.profile)} + "&R&A";
    }
    ~Writer() {
        if (m_book != nullptr) {
            workbook_close(m_book); // after a failure: frees it (the file is removed with the temp folder)
        }
    }
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    void sheet(const Sheet& s) {
        lxw_worksheet* ws = workbook_add_worksheet(m_book, s.name.c_str());
        if (ws == nullptr) {
            throw Error(m_path + ": libxlsxwriter could not add the sheet '" + s.name + "'");
        }
        for (std::size_t c = 0; c < s.columns.size(); ++c) {
            const auto& col = s.columns[c];
            const auto k = static_cast<lxw_col_t>(c);
            check(worksheet_set_column(ws, k, k, col.width, format(col.format)), s.name, "column widths");
            check(worksheet_write_string(ws, 0, k, col.header.c_str(), m_bold), s.name, "the header");
        }
        worksheet_freeze_panes(ws, 1, 0);
        check(worksheet_set_header(ws, m_header.c_str()), s.name, "the page header");
        for (std::size_t r = 0; r < s.rows.size(); ++r) {
            for (std::size_t c = 0; c < s.rows[r].size() && c < s.columns.size(); ++c) {
                cell(ws, s, static_cast<lxw_row_t>(r + 1), static_cast<lxw_col_t>(c), s.rows[r][c]);
            }
        }
        if (!s.rows.empty()) {
            check(worksheet_autofilter(ws, 0, 0, static_cast<lxw_row_t>(s.rows.size()),
                                       static_cast<lxw_col_t>(s.columns.size() - 1)),
                  s.name, "the filter");
        }
    }

    void close() {
        const lxw_error e = workbook_close(m_book);
        m_book = nullptr;
        if (e != LXW_NO_ERROR) {
            throw Error(m_path + ": the workbook could not be written (libxlsxwriter: " + lxw_strerror(e) + ")");
        }
    }

private:
    lxw_format* format(const std::string& f) {
        if (f.empty()) {
            return nullptr;
        }
        auto& slot = m_formats[f];
        if (slot == nullptr) {
            slot = workbook_add_format(m_book);
            format_set_num_format(slot, f.c_str());
        }
        return slot;
    }

    void cell(lxw_worksheet* ws, const Sheet& s, lxw_row_t r, lxw_col_t c, const Value& v) {
        lxw_format* f = format(s.columns[c].format);
        lxw_error e = LXW_NO_ERROR;
        if (const auto* d = std::get_if<double>(&v)) {
            e = worksheet_write_number(ws, r, c, *d, f);
        } else if (const auto* t = std::get_if<std::string>(&v)) {
            e = worksheet_write_string(ws, r, c, t->c_str(), nullptr);
        } else if (const auto* day = std::get_if<Date>(&v)) {
            lxw_datetime dt{day->year, day->month, day->day, 0, 0, 0};
            e = worksheet_write_datetime(ws, r, c, &dt, f);
        }
        check(e, s.name, "row " + std::to_string(r + 1) + ", column '" + s.columns[c].header + "'");
    }

    void check(lxw_error e, const std::string& sheet, const std::string& what) const {
        if (e != LXW_NO_ERROR) {
            throw Error(m_path + ": sheet " + sheet + ", " + what + ": " + lxw_strerror(e));
        }
    }

    std::string m_path;
    std::string m_header;
    lxw_workbook* m_book = nullptr;
    lxw_format* m_bold = nullptr;
    std::map<std::string, lxw_format*> m_formats;
};

} // namespace

WorkbookInputs workbook_inputs(store::Store& store, const RawRun& raw, const RunModel& model) {
    WorkbookInputs in;
    in.referrals_linked = raw.referrals_linked;
    in.kpis = disclose_kpis(raw.kpis, model.profile, model.rules, raw.secret);
    if (const auto stored = evaluate::read_evaluation(store, 0)) {
        in.evaluation = disclose_evaluation(*stored, model.profile, model.rules, raw.secret);
    }
    BulletinOptions bo;
    bo.run_id = model.run.id;
    bo.method = model.run.method;
    bo.profile = model.profile;
    bo.rules = model.rules;
    bo.pdf = false;
    bo.html = false;
    in.bulletin_top = bo.top;
    try {
        in.bulletin = render_bulletin(store, bo).report;
    } catch (const Error& e) {
        in.bulletin_problem = e.what();
    }
    return in;
}

void write_workbook(const std::string& path, const RunModel& model, const WorkbookInputs& inputs) {
    Writer w{path, model};
    w.sheet(hotspots_sheet(model, inputs));
    w.sheet(kpis_sheet(model, inputs));
    w.sheet(evaluation_sheet(inputs));
    w.sheet(districts_sheet(inputs));
    w.sheet(about_sheet(model, inputs));
    w.close();
}

} // namespace hotref::publish
