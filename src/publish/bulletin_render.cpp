// The bulletin drawn: the A4 PDF page by page with draw::Canvas (cairo), and the
// HTML page with the same maps as inline SVG and the tables as HTML tables.

#include "core/text.hpp"
#include "draw/canvas.hpp"
#include "publish/bulletin_model.hpp"
#include "publish/styles.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace hotref::publish::bulletin {

namespace {

using draw::Align;
using draw::Canvas;
using draw::Colour;

constexpr double page_w = 595.28, page_h = 841.89, margin = 36;
constexpr double content_w = page_w - 2 * margin;
// A hotspot wider than this is shown in its inset around its busiest places, across
// inset_span_m, so that streets stay readable.
constexpr double inset_zoom_above_m = 2500;
constexpr double inset_span_m = 2000;

constexpr Colour ink{0.12, 0.12, 0.14};
constexpr Colour muted{0.38, 0.38, 0.42};
constexpr Colour rule{0.78, 0.78, 0.80};
constexpr Colour land{0.955, 0.948, 0.925};
constexpr Colour district_line{0.55, 0.55, 0.58};
constexpr Colour top_fill{0.80, 0.10, 0.12};
constexpr Colour top_line{0.55, 0.03, 0.05};
constexpr Colour other_fill{0.96, 0.60, 0.30};
constexpr Colour marking{0.10, 0.10, 0.10};
constexpr Colour header_band{0.14, 0.22, 0.36};

const char* const day_names[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

std::string fmt(const char* format, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, format, v);
    return buf;
}

// Published counts come from publish/sdc (bulletin.cpp): NaN there is a withheld count.
bool withheld(const Model& m, double v) {
    return m.profile == Profile::published && std::isnan(v);
}

// "+12 (+25%)": the change from `before` to `now` (both as published), unless `before` is not
// stored or either is withheld.
std::string change_text(const Model& m, double now, double before, bool stored) {
    if (!stored) {
        return "no data";
    }
    if (std::isnan(now) || std::isnan(before)) {
        return withheld(m, now) || withheld(m, before) ? "small counts" : "no data";
    }
    const double d = now - before;
    std::string s = (d > 0 ? "+" : d < 0 ? "\xE2\x88\x92" : "\xC2\xB1") + with_commas(std::llround(std::fabs(d)));
    if (before > 0) {
        const double pct = 100.0 * d / before;
        s += " (" + std::string{pct > 0 ? "+" : pct < 0 ? "\xE2\x88\x92" : ""} + fmt("%.0f%%", std::fabs(pct)) + ")";
    } else if (now > 0) {
        s += " (from none)";
    }
    return s;
}

// ", 166 fewer (-17%) than in November 2025" for prose.
std::string change_phrase(const Model& /*m*/, double now, double before, bool stored, const std::string& when) {
    if (!stored || std::isnan(now) || std::isnan(before)) {
        return "";
    }
    const double d = now - before;
    if (d == 0) {
        return ", as many as in " + when;
    }
    std::string s = ", " + with_commas(std::llround(std::fabs(d))) + (d > 0 ? " more" : " fewer");
    if (before > 0) {
        s += fmt(" (%+.0f%%)", 100.0 * d / before);
    }
    return s + " than in " + when;
}

// `s`, shortened with "..." (at a character boundary: the text is UTF-8) to fit `width`.
std::string fit_text(Canvas& c, const std::string& s, double size, bool bold, double width) {
    if (c.text_width(s, size, bold) <= width) {
        return s;
    }
    std::string t = s;
    while (!t.empty() && c.text_width(t + "...", size, bold) > width) {
        t.pop_back();
        while (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0x80) {
            t.pop_back(); // a continuation byte: drop the rest of the character
        }
        if (!t.empty() && (static_cast<unsigned char>(t.back()) & 0xC0) == 0xC0) {
            t.pop_back(); // the lead byte of the character cut above
        }
    }
    return t + "...";
}

std::string readable_name(const Item& item) {
    return item.name.empty() ? item.code : item.name;
}

// "persistent" for "persistent hotspot": the column is about hotspots.
std::string trend_text(const std::string& trend_class) {
    if (trend_class.empty()) {
        return "not computed";
    }
    const std::string suffix = " hotspot";
    if (trend_class.size() > suffix.size() &&
        trend_class.compare(trend_class.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return trend_class.substr(0, trend_class.size() - suffix.size());
    }
    return trend_class;
}

// The top-N table, header first, shared by the PDF and the HTML page.
std::vector<std::vector<std::string>> table_rows(const Model& m) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"Rank", "Id", "Hotspot (main street)", "This|period", "vs|previous", "vs last|year", "Gi*|conf.",
                    "Trend|(over the run)", "IJ|referrals", "IJ|completed"});
    for (const auto& item : m.items) {
        rows.push_back({std::to_string(item.rank), item.code, readable_name(item), count_text(m, item.now),
                        change_text(m, item.now, item.prev, m.has_previous),
                        change_text(m, item.now, item.last_year, m.has_last_year),
                        item.confidence ? std::to_string(*item.confidence) + "%" : "n/a", trend_text(item.trend_class),
                        m.referrals_linked ? item.ij : "-",
                        m.referrals_linked ? (item.ij_completion.empty() ? "-" : item.ij_completion) : "-"});
    }
    return rows;
}

// How withheld values are marked, when any are: "; * withheld".
std::string withheld_key(const Model& m, const Item& item, bool week) {
    const bool any =
        week ? std::any_of(item.week_shown.begin(), item.week_shown.end(), [](double v) { return std::isnan(v); })
             : std::any_of(item.per_month_shown.begin(), item.per_month_shown.end(),
                           [](double v) { return std::isnan(v); });
    if (!any) {
        return "";
    }
    return week ? "Shaded without a number: withheld (under " + fmt("%.0f", m.min_count) +
                      ", or a second cell withheld so that the first cannot be worked out from the total)."
                : "; *: withheld";
}

// Incidents in the top hotspots: the sum of their (published) counts; NaN when one is withheld.
double top_total(const Model& m) {
    double in_top = 0;
    for (const auto& item : m.items) {
        in_top += item.now;
    }
    return in_top;
}

// A window's count would give a withheld hour back (window minus the hour shown).
bool window_withheld(const Item& item, const PatrolWindow& w) {
    for (int k = 0; k < w.hours; ++k) {
        if (std::isnan(item.week_shown[static_cast<std::size_t>((w.weekday * 24 + w.hour + k) % 168)])) {
            return true;
        }
    }
    return false;
}

std::string windows_text(const Model& m, const Item& item) {
    if (!item.timed) {
        return "";
    }
    if (item.windows.empty()) {
        if (item.windows_withheld) {
            return "No two-hour window holds " + fmt("%.0f", m.min_count) + " or more incidents in the published "
                   "counts: no window is recommended; patrol the area as usual.";
        }
        return "No incident in " + m.evidence + " has a time of day: no window can be recommended.";
    }
    std::string s;
    for (std::size_t k = 0; k < item.windows.size(); ++k) {
        const auto& w = item.windows[k];
        s += (k == 0 ? "" : "; ") + window_label(w) + " (" +
             (window_withheld(item, w) ? std::string{"count withheld"}
                                       : with_commas(std::llround(w.incidents)) + " incidents") +
             ")";
    }
    if (item.windows.size() < 3) {
        s += item.windows_withheld
                 ? ". Only " + std::to_string(item.windows.size()) + " two-hour window" +
                       (item.windows.size() == 1 ? "" : "s") + " held " + fmt("%.0f", m.min_count) +
                       " or more incidents in the published counts (fewer are not recommended); patrol the rest of "
                       "the week as usual"
                 : ". Only " + std::to_string(item.windows.size()) + " two-hour window" +
                       (item.windows.size() == 1 ? "" : "s") + " had any incident; patrol the rest of the week as usual";
    }
    return s;
}

std::string untimed_note(const Model& m, const Item& item) {
    if (m.source == "police.uk" || m.source == "police.uk-api") {
        return "police.uk publishes months only, so there is no time-of-day table: the monthly trend is shown. "
               "A force export with times (hotref ingest --mapping) gives day-of-week x hour windows.";
    }
    if (!item.timed) {
        return "No incident here has a recorded time of day: the monthly trend is shown instead.";
    }
    if (item.untimed > 0 || std::isnan(item.untimed)) {
        return count_text(m, item.untimed) + " incident(s) with a date only are not in the table.";
    }
    return "";
}

// --- maps -------------------------------------------------------------------

struct Frame {
    double x = 0, y = 0, w = 0, h = 0; // on the canvas
    double cx = 0, cy = 0, scale = 1;  // BNG centre and points per metre
    [[nodiscard]] double X(double e) const { return x + w / 2 + (e - cx) * scale; }
    [[nodiscard]] double Y(double n) const { return y + h / 2 - (n - cy) * scale; }
    [[nodiscard]] Rings map(const Rings& rings) const {
        Rings out;
        out.reserve(rings.size());
        for (const auto& r : rings) {
            std::vector<std::array<double, 2>> v;
            v.reserve(r.size());
            for (const auto& p : r) {
                const std::array<double, 2> q{X(p[0]), Y(p[1])};
                // Vertices closer than a quarter point to the last one add nothing on paper.
                if (v.empty() || std::fabs(q[0] - v.back()[0]) + std::fabs(q[1] - v.back()[1]) > 0.25) {
                    v.push_back(q);
                }
            }
            if (v.size() >= 3) {
                out.push_back(std::move(v));
            }
        }
        return out;
    }
};

Frame fit(double x, double y, double w, double h, const std::array<double, 4>& e, double pad) {
    Frame f{x, y, w, h};
    f.cx = (e[0] + e[2]) / 2;
    f.cy = (e[1] + e[3]) / 2;
    const double ex = std::max(e[2] - e[0], 1.0), ey = std::max(e[3] - e[1], 1.0);
    f.scale = std::min((w - 2 * pad) / ex, (h - 2 * pad) / ey);
    return f;
}

double nice_length(double metres) {
    const double mag = std::pow(10, std::floor(std::log10(metres)));
    double best = mag;
    for (const double k : {1.0, 2.0, 2.5, 5.0}) {
        if (k * mag <= metres) {
            best = k * mag;
        }
    }
    return best;
}

void scale_bar(Canvas& c, const Frame& f, double x, double y, double max_width) {
    const double metres = nice_length(max_width / f.scale);
    const double len = metres * f.scale;
    c.colour({1, 1, 1}, 0.85);
    c.rectangle(x - 4, y - 12, len + 8 + c.text_width(metres >= 1000 ? "00 km" : "000 m", 6) / 2, 18);
    c.fill();
    c.colour(ink);
    c.line_width(0.8);
    c.rectangle(x, y, len / 2, 3);
    c.fill();
    c.rectangle(x, y, len, 3);
    c.stroke();
    const std::string label = metres >= 1000 ? fmt("%g km", metres / 1000) : fmt("%g m", metres);
    c.text(x, y - 3, "0", 6);
    c.text(x + len, y - 3, label, 6, false, Align::centre);
}

void north_arrow(Canvas& c, double x, double y, double size) {
    c.colour(ink);
    c.move_to(x, y - size);
    c.line_to(x + size * 0.38, y + size * 0.25);
    c.line_to(x, y);
    c.line_to(x - size * 0.38, y + size * 0.25);
    c.close_path();
    c.fill();
    c.text(x, y - size - 2, "N", size * 0.55, true, Align::centre);
}

struct Box {
    double x0, y0, x1, y1;
    [[nodiscard]] bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

// The overview: force area, districts, every hotspot, the top ones numbered by rank.
void draw_overview(Canvas& c, const Model& m, double x, double y, double w, double h) {
    const Frame f = fit(x, y, w, h, m.extent, 14);
    c.save();
    c.clip_rectangle(x, y, w, h);
    c.colour({0.90, 0.93, 0.96});
    c.rectangle(x, y, w, h);
    c.fill();
    c.colour(land);
    c.rings(f.map(m.force_area));
    c.fill_even_odd();
    c.colour(district_line);
    c.line_width(0.5);
    c.dash(2, 1.5);
    for (const auto& d : m.districts) {
        c.rings(f.map(d.rings));
        c.stroke();
    }
    c.dash(0, 0);
    c.colour(ink);
    c.line_width(1.1);
    c.rings(f.map(m.force_area));
    c.stroke();
    for (const auto& o : m.others) {
        c.colour(other_fill);
        c.rings(f.map(o));
        c.fill_even_odd(true);
        c.colour({0.75, 0.38, 0.10});
        c.line_width(0.4);
        c.stroke();
    }
    for (const auto& item : m.items) {
        c.colour(top_fill);
        c.rings(f.map(item.rings));
        c.fill_even_odd(true);
        c.colour(top_line);
        c.line_width(0.6);
        c.stroke();
    }
    // Numbered markers beside their hotspot (which stays visible), with a leader line; placed
    // first so that the district names can keep clear of them.
    struct Marker {
        double px, py, bx, by;
        int rank;
    };
    std::vector<Marker> markers;
    std::vector<Box> placed;
    const double r = 6.5;
    for (const auto& item : m.items) {
        const double px = f.X(item.anchor[0]), py = f.Y(item.anchor[1]);
        double bx = px + 14, by = py - 10;
        bool found = false;
        for (const double dist : {15.0, 24.0, 34.0, 46.0, 60.0}) {
            for (int k = 0; k < 12 && !found; ++k) {
                const double a = M_PI / 4 + k * M_PI / 6;
                const double qx = px + dist * std::cos(a), qy = py - dist * std::sin(a);
                const Box b{qx - r - 1, qy - r - 1, qx + r + 1, qy + r + 1};
                const bool inside = b.x0 > x + 2 && b.x1 < x + w - 2 && b.y0 > y + 2 && b.y1 < y + h - 2;
                if (inside && std::none_of(placed.begin(), placed.end(), [&](const Box& o) { return o.overlaps(b); })) {
                    bx = qx;
                    by = qy;
                    found = true;
                }
            }
            if (found) {
                break;
            }
        }
        placed.push_back(Box{bx - r - 1, by - r - 1, bx + r + 1, by + r + 1});
        markers.push_back(Marker{px, py, bx, by, item.rank});
    }
    std::vector<Box> keep_clear = placed;
    for (const auto& item : m.items) {
        keep_clear.push_back(Box{f.X(item.bbox[0]), f.Y(item.bbox[3]), f.X(item.bbox[2]), f.Y(item.bbox[1])});
    }
    c.colour(muted);
    for (const auto& d : m.districts) {
        std::string name = d.name;
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
        const double tw = c.text_width(name, 5.8);
        for (const double dy : {0.0, 9.0, -9.0, 18.0, -18.0}) {
            // Kept inside the frame (a district at its edge was cut to "MANSFI" by the clip).
            const double lx = std::clamp(f.X(d.label[0]), x + tw / 2 + 3, std::max(x + tw / 2 + 3, x + w - tw / 2 - 3));
            const double ly = std::clamp(f.Y(d.label[1]) + dy, y + 9, y + h - 4);
            const Box b{lx - tw / 2 - 1, ly - 6, lx + tw / 2 + 1, ly + 1.5};
            if (std::none_of(keep_clear.begin(), keep_clear.end(), [&](const Box& o) { return o.overlaps(b); })) {
                c.halo_text(lx, ly, name, 5.8, false, Align::centre);
                keep_clear.push_back(b);
                break;
            }
        }
    }
    for (const auto& mk : markers) {
        c.colour(ink);
        c.line_width(0.7);
        c.move_to(mk.px, mk.py);
        c.line_to(mk.bx, mk.by);
        c.stroke();
        c.circle(mk.px, mk.py, 1.2);
        c.fill();
        c.colour({1, 1, 1});
        c.circle(mk.bx, mk.by, r);
        c.fill_even_odd(true);
        c.colour(top_line);
        c.line_width(1.2);
        c.stroke();
        c.text(mk.bx, mk.by + 2.6, std::to_string(mk.rank), 7.5, true, Align::centre);
    }
    c.restore();
    scale_bar(c, f, x + 10, y + h - 10, w / 4);
    north_arrow(c, x + w - 16, y + 26, 13);
    c.colour(rule);
    c.line_width(0.6);
    c.rectangle(x, y, w, h);
    c.stroke();
}

// A hotspot close up: its outline, the published incident locations sized by count, street names.
// The parts of rings near the frame's view as open lines (for boundaries that cross an inset:
// drawing whole districts there would only fill the SVG with clipped paths).
std::vector<std::vector<std::array<double, 2>>> lines_near(const Frame& f, const Rings& rings, double pad) {
    std::vector<std::vector<std::array<double, 2>>> out;
    auto near = [&](const std::array<double, 2>& p) {
        const double px = f.X(p[0]), py = f.Y(p[1]);
        return px > f.x - pad && px < f.x + f.w + pad && py > f.y - pad && py < f.y + f.h + pad;
    };
    for (const auto& ring : rings) {
        std::vector<std::array<double, 2>> line;
        for (std::size_t i = 0; i < ring.size(); ++i) {
            const bool keep =
                near(ring[i]) || (i > 0 && near(ring[i - 1])) || (i + 1 < ring.size() && near(ring[i + 1]));
            if (keep) {
                line.push_back({f.X(ring[i][0]), f.Y(ring[i][1])});
            } else if (!line.empty()) {
                out.push_back(std::move(line));
                line.clear();
            }
        }
        if (line.size() >= 2) {
            out.push_back(std::move(line));
        }
    }
    return out;
}

void draw_inset(Canvas& c, const Model& m, const Item& item, double x, double y, double w, double h, bool print_ratio) {
    const double dx = item.bbox[2] - item.bbox[0], dy = item.bbox[3] - item.bbox[1];
    const double margin_m = std::max({dx, dy, 400.0}) * 0.12;
    std::array<double, 4> e{item.bbox[0] - margin_m, item.bbox[1] - margin_m, item.bbox[2] + margin_m,
                            item.bbox[3] + margin_m};
    // A big hotspot is shown at street scale around its busiest places, not whole.
    const bool zoomed = std::max(dx, dy) > inset_zoom_above_m;
    if (zoomed) {
        double sx = 0, sy = 0, sn = 0;
        for (const auto& p : item.places) {
            if (p.inside && sn < 5) {
                sx += p.x;
                sy += p.y;
                sn += 1;
            }
        }
        const double cx = sn > 0 ? sx / sn : item.anchor[0], cy = sn > 0 ? sy / sn : item.anchor[1];
        const double span_x = w >= h ? inset_span_m : inset_span_m * w / h;
        const double span_y = span_x * h / w;
        e = {cx - span_x / 2, cy - span_y / 2, cx + span_x / 2, cy + span_y / 2};
    }
    const Frame f = fit(x, y, w, h, e, 4);
    c.save();
    c.clip_rectangle(x, y, w, h);
    c.colour({0.975, 0.975, 0.97});
    c.rectangle(x, y, w, h);
    c.fill();
    // Context: district boundaries and the run's other hotspots that reach into the inset.
    c.colour(district_line);
    c.line_width(0.6);
    c.dash(2, 1.5);
    for (const auto& d : m.districts) {
        for (const auto& line : lines_near(f, d.rings, 30)) {
            c.move_to(line.front()[0], line.front()[1]);
            for (std::size_t i = 1; i < line.size(); ++i) {
                c.line_to(line[i][0], line[i][1]);
            }
            c.stroke();
        }
    }
    c.dash(0, 0);
    auto in_view = [&](const Rings& rings) {
        for (const auto& ring : rings) {
            for (const auto& p : ring) {
                if (p[0] >= e[0] && p[0] <= e[2] && p[1] >= e[1] && p[1] <= e[3]) {
                    return true;
                }
            }
        }
        return false;
    };
    for (const auto& o : m.others) {
        if (in_view(o)) {
            c.colour(other_fill, 0.35);
            c.rings(f.map(o));
            c.fill_even_odd(true);
            c.colour({0.75, 0.38, 0.10});
            c.line_width(0.6);
            c.stroke();
        }
    }
    for (const auto& other : m.items) {
        if (&other != &item && in_view(other.rings)) {
            c.colour(top_fill, 0.06);
            c.rings(f.map(other.rings));
            c.fill_even_odd(true);
            c.colour(top_line, 0.6);
            c.line_width(0.6);
            c.stroke();
        }
    }
    c.colour(top_fill, 0.10);
    c.rings(f.map(item.rings));
    c.fill_even_odd(true);
    c.colour(top_line);
    c.line_width(1.1);
    c.stroke();
    double max_count = 1;
    for (const auto& p : item.places) {
        max_count = std::max(max_count, p.count);
    }
    auto radius = [&](double n) { return 1.2 + 5.5 * std::sqrt(n / max_count); };
    // Small first, so big points stay on top.
    for (auto it = item.places.rbegin(); it != item.places.rend(); ++it) {
        const double r = radius(it->count);
        const double px = f.X(it->x), py = f.Y(it->y);
        if (px < x - r || px > x + w + r || py < y - r || py > y + h + r) {
            continue;  // outside a zoomed inset: clipped anyway, and the SVG stays small
        }
        if (it->inside) {
            c.colour(top_fill, 0.75);
        } else {
            c.colour({0.45, 0.45, 0.50}, 0.45);
        }
        c.circle(px, py, r);
        c.fill_even_odd(true);
        c.colour({1, 1, 1});
        c.line_width(0.4);
        c.stroke();
    }
    // Street labels: the busiest places inside, one label per street, none overlapping.
    // Labels keep clear of each other and of the bigger points.
    std::vector<Box> obstacles;
    for (const auto& p : item.places) {
        const double rr = radius(p.count);
        if (rr >= 3) {
            obstacles.push_back(Box{f.X(p.x) - rr, f.Y(p.y) - rr, f.X(p.x) + rr, f.Y(p.y) + rr});
        }
    }
    std::vector<Box> labels;
    const std::string banner = "Busiest part; the hotspot is " + fmt("%.1f", std::max(dx, dy) / 1000) + " km across";
    if (zoomed) {
        labels.push_back(Box{x, y, x + 6 + c.text_width(banner, 5.6, true), y + 12});
    }
    std::vector<std::string> done;
    const double size = 6.2;
    for (const auto& p : item.places) {
        if (!p.inside || p.street.empty() || std::find(done.begin(), done.end(), p.street) != done.end()) {
            continue;
        }
        if (done.size() >= 6) {
            break;
        }
        const double tw = c.text_width(p.street, size);
        const double px = f.X(p.x), py = f.Y(p.y), rr = radius(p.count) + 1.5;
        const std::array<std::array<double, 2>, 6> tries{
            {{rr, 2}, {-rr - tw, 2}, {-tw / 2, -rr - 1.5}, {-tw / 2, rr + size}, {rr, -rr}, {-rr - tw, rr + size - 1}}};
        for (const auto& t : tries) {
            const Box b{px + t[0] - 1.5, py + t[1] - size, px + t[0] + tw + 1.5, py + t[1] + 2};
            const Box own{px - rr, py - rr, px + rr, py + rr};
            const bool in_frame = b.x0 > x + 2 && b.x1 < x + w - 2 && b.y0 > y + 2 && b.y1 < y + h - 14;
            const auto hits = [&](const Box& o) {
                return o.overlaps(b) &&
                       !(o.x0 >= own.x0 - 1.5 && o.x1 <= own.x1 + 1.5 && o.y0 >= own.y0 - 1.5 && o.y1 <= own.y1 + 1.5);
            };
            if (in_frame && std::none_of(labels.begin(), labels.end(), [&](const Box& o) { return o.overlaps(b); }) &&
                std::none_of(obstacles.begin(), obstacles.end(), hits)) {
                labels.push_back(b);
                done.push_back(p.street);
                c.colour(ink);
                c.halo_text(px + t[0], py + t[1], p.street, size);
                break;
            }
        }
    }
    if (zoomed) {
        c.colour(ink);
        c.halo_text(x + 4, y + 9, banner, 5.6, true);
    }
    c.restore();
    scale_bar(c, f, x + 6, y + h - 6, w / 3);
    if (print_ratio) {
        // On paper one point is 0.3528 mm: the representative fraction of the printed inset.
        const double denominator = 1.0 / f.scale / 0.000352778;
        const double step = denominator >= 10000 ? 1000 : 100;
        c.colour(muted);
        c.halo_text(x + w - 4, y + h - 4,
                    "1:" + with_commas(std::llround(std::round(denominator / step) * step)) + " on A4", 5.5, false,
                    Align::right);
    }
    north_arrow(c, x + w - 10, y + 17, 9);
    c.colour(rule);
    c.line_width(0.6);
    c.rectangle(x, y, w, h);
    c.stroke();
    if (item.places.empty()) {
        c.colour(muted);
        c.text(x + w / 2, y + h / 2 + 14, "no location with " + fmt("%.0f", m.min_count) + "+ incidents", 6, false,
               Align::centre);
    }
}

Colour heat(double share) {
    // White to deep red.
    const double t = std::clamp(share, 0.0, 1.0);
    return {1.0 - 0.22 * t, 0.96 - 0.80 * t, 0.92 - 0.82 * t};
}

// Day of the week x hour: shaded counts, the recommended windows outlined.
double draw_week(Canvas& c, const Item& item, double x, double y, double w) {
    const double label_w = 20, cell_w = (w - label_w) / 24, cell_h = 9;
    double max = 1;
    for (const double v : item.week) {
        max = std::max(max, v);
    }
    c.colour(muted);
    for (int hour = 0; hour < 24; ++hour) {
        c.text(x + label_w + (hour + 0.5) * cell_w, y + 6, fmt("%02.0f", hour), 5.2, false, Align::centre);
    }
    const double top = y + 9;
    for (int d = 0; d < 7; ++d) {
        c.colour(ink);
        c.text(x, top + d * cell_h + 6.6, day_names[d], 6);
        for (int hour = 0; hour < 24; ++hour) {
            const double v = item.week[static_cast<std::size_t>(d * 24 + hour)];
            const double cx = x + label_w + hour * cell_w, cy = top + d * cell_h;
            const bool hide = std::isnan(item.week_shown[static_cast<std::size_t>(d * 24 + hour)]);
            c.colour(v <= 0 ? Colour{1, 1, 1} : hide ? Colour{0.93, 0.90, 0.88} : heat(v / max));
            c.rectangle(cx, cy, cell_w, cell_h);
            c.fill();
            if (v > 0 && !hide) {
                c.colour(v / max > 0.55 ? Colour{1, 1, 1} : ink);
                c.text(cx + cell_w / 2, cy + 6.5, with_commas(std::llround(v)), 5.2, false, Align::centre);
            }
        }
    }
    c.colour(rule);
    c.line_width(0.3);
    for (int d = 0; d <= 7; ++d) {
        c.move_to(x + label_w, top + d * cell_h);
        c.line_to(x + w, top + d * cell_h);
    }
    for (int hour = 0; hour <= 24; ++hour) {
        c.move_to(x + label_w + hour * cell_w, top);
        c.line_to(x + label_w + hour * cell_w, top + 7 * cell_h);
    }
    c.stroke();
    // Windows: outlined (a window from 23:00 wraps into the next morning: two pieces).
    c.colour(ink);
    c.line_width(1.3);
    for (const auto& win : item.windows) {
        for (int k = 0; k < win.hours; ++k) {
            const int slot = (win.weekday * 24 + win.hour + k) % 168;
            c.rectangle(x + label_w + (slot % 24) * cell_w, top + (slot / 24) * cell_h, cell_w, cell_h);
        }
        c.stroke();
    }
    return top + 7 * cell_h;
}

// Monthly counts as bars, the bulletin's months darker.
double draw_months(Canvas& c, const Model& m, const Item& item, double x, double y, double w, double h) {
    const std::size_t n = item.per_month.size();
    if (n == 0) {
        return y;
    }
    double max = 1;
    for (const double v : item.per_month) {
        max = std::max(max, v);
    }
    const double slot = w / static_cast<double>(n), base = y + h - 10, top = y + 9;
    for (std::size_t k = 0; k < n; ++k) {
        const double v = item.per_month[k];
        const bool hide = std::isnan(item.per_month_shown[k]);
        const double bx = x + static_cast<double>(k) * slot + slot * 0.15, bw = slot * 0.7;
        const std::string& mo = item.months[k];
        if (k < item.month_missing.size() && item.month_missing[k] != 0) {
            // A month not stored: a dashed empty slot marked "gap", never a zero bar.
            c.colour(muted);
            c.line_width(0.5);
            c.dash(1.5, 1.5);
            c.rectangle(bx, top, bw, base - top);
            c.stroke();
            c.dash(0, 0);
            c.text(bx + bw / 2, base - 2, "no data", 5, false, Align::centre);
            c.text(bx + bw / 2, base + 7,
                   mo.substr(5, 2) + (mo.substr(5, 2) == "01" || k == 0 ? "/" + mo.substr(2, 2) : ""), 5.2, false,
                   Align::centre);
            continue;
        }
        const double bh = hide ? 0 : (base - top) * v / max;
        const bool in_period = item.months[k] >= m.period_from_month && item.months[k] <= m.period_to_month;
        c.colour(in_period ? top_fill : Colour{0.55, 0.60, 0.70});
        c.rectangle(bx, base - bh, bw, bh);
        c.fill();
        c.colour(ink);
        c.text(bx + bw / 2, base - bh - 2, hide ? std::string{"*"} : with_commas(std::llround(v)), 5.5, false,
               Align::centre);
        c.colour(muted);
        c.text(bx + bw / 2, base + 7,
               mo.substr(5, 2) + (mo.substr(5, 2) == "01" || k == 0 ? "/" + mo.substr(2, 2) : ""), 5.2, false,
               Align::centre);
    }
    c.colour(rule);
    c.line_width(0.5);
    c.move_to(x, base);
    c.line_to(x + w, base);
    c.stroke();
    return base + 17;
}

// --- the PDF ------------------------------------------------------------------

std::vector<std::string> footer_lines(Canvas& c, const Model& m);

void page_frame(Canvas& c, const Model& m, int page, int pages, const std::string& heading) {
    c.colour(marking);
    c.text(page_w / 2, 20, m.classification, 10, true, Align::centre);
    c.text(page_w / 2, page_h - 12, m.classification, 10, true, Align::centre);
    c.colour(header_band);
    c.rectangle(margin, 28, content_w, 34);
    c.fill();
    c.colour({1, 1, 1});
    // The title shrinks (and at its smallest is cut short) so that the period always fits beside it.
    const double title_room = content_w - 32 - c.text_width(m.period, 9, true);
    std::string title = m.title + (m.force.empty() ? "" : ": " + m.force);
    double title_size = 14;
    while (title_size > 9 && c.text_width(title, title_size, true) > title_room) {
        title_size -= 0.5;
    }
    if (c.text_width(title, title_size, true) > title_room) {
        while (title.size() > 1 && c.text_width(title + "...", title_size, true) > title_room) {
            do {
                title.pop_back();
            } while (!title.empty() && (static_cast<unsigned char>(title.back()) & 0xC0) == 0x80);
            if (!title.empty() && static_cast<unsigned char>(title.back()) >= 0xC0) {
                title.pop_back(); // the lead byte of the character just cut
            }
        }
        title += "...";
    }
    c.text(margin + 8, 44, title, title_size, true);
    c.text(margin + 8, 57, heading, 8.5);
    // The period as large as it fits beside the title (a week's dates are long).
    const double room = content_w - 16 - c.text_width(title, title_size, true) - 16;
    double period_size = 12;
    while (period_size > 7 && c.text_width(m.period, period_size, true) > room) {
        period_size -= 0.5;
    }
    c.text(margin + content_w - 8, 44, m.period, period_size, true, Align::right);
    c.text(margin + content_w - 8, 57, "Valid " + m.valid_from + " to " + m.valid_to, 8.5, false, Align::right);
    // Footer: data, sources, generation; wrapped, ending just above the marking.
    const auto lines = footer_lines(c, m);
    double fy = page_h - 29.5 - 7.5 * static_cast<double>(lines.size() - 1);
    c.colour(rule);
    c.line_width(0.5);
    c.move_to(margin, fy - 9);
    c.line_to(margin + content_w, fy - 9);
    c.stroke();
    c.colour(muted);
    for (const auto& line : lines) {
        c.text(margin, fy, line, 5.8);
        fy += 7.5;
    }
    fy -= 7.5;
    c.text(margin + content_w, fy, "Page " + std::to_string(page) + " of " + std::to_string(pages), 6.5, false,
           Align::right);
}

// The footer's lines: data, sources, generation (as many as the sources need).
std::vector<std::string> footer_lines(Canvas& c, const Model& m) {
    std::vector<std::string> lines;
    auto add = [&](const std::string& text) {
        for (auto& line : c.wrap(text, content_w - 40, 5.8)) {
            lines.push_back(std::move(line));
        }
    };
    add("Data: " + m.categories + ", " + m.source + ". This period " + m.period + "; compared with " + m.previous +
        " and " + m.last_year + ".");
    for (const auto& s : m.sources) {
        add(s);
    }
    add("Generated " + m.generated + " by hotref. " + std::string{profile_name(m.profile)} + " profile" +
        (m.profile == Profile::published
             ? ": counts under " + fmt("%.0f", m.min_count) + " and referral figures under 10 withheld, the rest perturbed (cell-key noise), a second count withheld where one could be worked out."
             : ": nothing withheld; not for publication."));
    return lines;
}

// Where the page's content must end: above the footer's rule, with a gap (the footer grows
// upwards with its lines, so a fixed bottom let the last panel run into it).
double content_bottom(Canvas& c, const Model& m) {
    const auto n = static_cast<double>(footer_lines(c, m).size());
    return page_h - 29.5 - 7.5 * (n - 1) - 9 - 8;
}

// The table's header and the rows of hotspots [first, last) (0-based), with the explanation
// below when `explain`.
void draw_table(Canvas& c, const Model& m, double x, double& y, std::size_t first, std::size_t last, bool explain) {
    const auto rows = table_rows(m);
    const std::vector<double> widths{26, 38, 136, 36, 56, 56, 30, 64, 37, 44};
    const std::vector<bool> right{true, false, false, true, true, true, true, false, true, true};
    c.colour(ink);
    c.text(x, y,
           "Top " + std::to_string(m.items.size()) + " hotspots of " + std::to_string(m.run_hotspots) +
               " (" + m.ranking + " " + m.evidence + ")" + (first > 0 ? ", continued" : ""),
           10, true);
    y += 6;
    const double row_h = 13;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        if (r > 0 && (r - 1 < first || r - 1 >= last)) {
            continue;
        }
        if (r == 0) {
            c.colour({0.90, 0.91, 0.94});
            c.rectangle(x, y, content_w, row_h + 6);
            c.fill();
        } else if (r % 2 == 0) {
            c.colour({0.97, 0.97, 0.98});
            c.rectangle(x, y, content_w, row_h);
            c.fill();
        }
        double cx = x;
        for (std::size_t k = 0; k < rows[r].size(); ++k) {
            const double size = r == 0 ? 6.3 : 7.2;
            const double tx = right[k] ? cx + widths[k] - 3 : cx + 3;
            const Align align = right[k] ? Align::right : Align::left;
            if (r == 0) {
                // Headers on two lines ("This|period").
                const auto bar = rows[r][k].find('|');
                c.colour(ink);
                if (bar == std::string::npos) {
                    c.text(tx, y + 15, rows[r][k], size, true, align);
                } else {
                    c.text(tx, y + 7.5, rows[r][k].substr(0, bar), size, true, align);
                    c.text(tx, y + 15, rows[r][k].substr(bar + 1), size, true, align);
                }
            } else {
                const std::string text = fit_text(c, rows[r][k], size, k == 2 || k == 0, widths[k] - 5);
                c.colour(k == 0 ? top_line : ink);
                c.text(tx, y + 9.2, text, size, k == 2 || k == 0, align);
            }
            cx += widths[k];
        }
        y += r == 0 ? row_h + 6 : row_h;
    }
    c.colour(rule);
    c.line_width(0.5);
    c.move_to(x, y);
    c.line_to(x + content_w, y);
    c.stroke();
    y += 9;
    if (!explain) {
        return;
    }
    c.colour(muted);
    y = c.paragraph(x, y, content_w,
                    "Change: incidents in the hotspot this period against " + m.previous + " (previous) and " +
                        m.last_year +
                        " (a year before). Gi* conf.: the confidence all its cells reach. Trend: the "
                        "Emerging Hot Spot class of most of its incidents over " +
                        m.evidence +
                        ". IJ: Immediate Justice referrals linked to the hotspot, and the share of closed referrals "
                        "completed" +
                        (m.profile == Profile::published ? " (withheld under 10)." : "."),
                    6.2, false, 1.35);
}

// The district table's explanation, the same in both formats.
std::string district_note(const Model& m) {
    return "Incidents in each district of the force this period against " + m.previous +
           ", counted by where they happened (police.uk map points); hotspots: the run's current hotspots, each in "
           "the district that holds its centre." +
           (m.profile == Profile::published ? " Published counts (perturbed; under " + fmt("%.0f", m.min_count) +
                                                  " withheld)."
                                            : "");
}

// The height the district table takes in the PDF.
double district_table_height(Canvas& c, const Model& m) {
    if (m.district_rows.empty()) {
        return 0;
    }
    const auto note = static_cast<double>(c.wrap(district_note(m), content_w, 6.2).size());
    return 16 + 19 + 12 * static_cast<double>(m.district_rows.size() + 1) + 9 + note * 6.2 * 1.35 + 8;
}

void draw_district_table(Canvas& c, const Model& m, double x, double& y) {
    const auto rows = district_table_rows(m);
    const std::vector<double> widths{215, 70, 80, 98, 60};
    c.colour(ink);
    c.text(x, y + 10, "Districts: incidents this period and the current hotspots", 10, true);
    y += 16;
    const double row_h = 12;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const bool total = r + 1 == rows.size();
        if (r == 0 || total) {
            c.colour({0.90, 0.91, 0.94});
            c.rectangle(x, y, content_w, r == 0 ? row_h + 7 : row_h);
            c.fill();
        } else if (r % 2 == 0) {
            c.colour({0.97, 0.97, 0.98});
            c.rectangle(x, y, content_w, row_h);
            c.fill();
        }
        double cx = x;
        for (std::size_t k = 0; k < rows[r].size(); ++k) {
            const double tx = k == 0 ? cx + 3 : cx + widths[k] - 3;
            const Align align = k == 0 ? Align::left : Align::right;
            c.colour(ink);
            if (r == 0) {
                const auto bar = rows[r][k].find('|');
                c.text(tx, y + (bar == std::string::npos ? 15 : 7.5), rows[r][k].substr(0, bar), 6.3, true, align);
                if (bar != std::string::npos) {
                    c.text(tx, y + 15, rows[r][k].substr(bar + 1), 6.3, true, align);
                }
            } else {
                c.text(tx, y + 8.7, fit_text(c, rows[r][k], 7.2, k == 0 || total, widths[k] - 5), 7.2,
                       k == 0 || total, align);
            }
            cx += widths[k];
        }
        y += r == 0 ? row_h + 7 : row_h;
    }
    c.colour(rule);
    c.line_width(0.5);
    c.move_to(x, y);
    c.line_to(x + content_w, y);
    c.stroke();
    y += 9;
    c.colour(muted);
    y = c.paragraph(x, y, content_w, district_note(m), 6.2, false, 1.35) + 8;
}

void draw_guidance(Canvas& c, double x, double& y, double w) {
    c.colour(ink);
    c.text(x, y, "How to patrol a hotspot", 10, true);
    y += 13;
    for (const auto& p : guidance_paragraphs()) {
        c.colour(ink);
        c.circle(x + 2, y - 2.6, 1.3);
        c.fill();
        y = c.paragraph(x + 8, y, w - 8, p, 7.4, false, 1.32) + 3;
    }
    y += 2;
    c.colour(muted);
    c.text(x, y, "Sources", 7, true);
    y += 9;
    for (const auto& r : guidance_references()) {
        y = c.paragraph(x, y, w, r, 5.9, false, 1.3) + 1.5;
    }
}

void draw_detail(Canvas& c, const Model& m, const Item& item, double x, double y, double h) {
    const double inset_h = h - 4, inset_w = std::min(200.0, inset_h * 1.4);
    draw_inset(c, m, item, x, y, inset_w, inset_h, true);
    const double tx = x + inset_w + 10, tw = content_w - inset_w - 10;
    double ty = y + 9;
    c.colour(top_line);
    c.text(tx, ty, std::to_string(item.rank), 11, true);
    c.colour(ink);
    c.text(tx + 16, ty, item.code + "  " + readable_name(item), 10, true);
    ty += 11;
    c.colour(muted);
    std::string facts = count_text(m, item.now) + " incidents in " + m.period + " (" +
                        count_text(m, item.run_incidents) + " in " + m.evidence + ")";
    if (!item.streets.empty()) {
        facts += ". Busiest places (police.uk \"On or near\"): ";
        for (std::size_t k = 0; k < item.streets.size() && k < 4; ++k) {
            facts += (k ? ", " : "") + item.streets[k];
        }
    }
    if (item.places_withheld > 0) {
        facts += ". " + with_commas(std::llround(item.places_withheld)) + " location(s) with fewer than " +
                 fmt("%.0f", m.min_count) + " incidents (or withheld to protect one) not drawn";
    }
    ty = c.paragraph(tx, ty, tw, facts + ".", 6.6, false, 1.3) + 1;
    if (!item.evaluation.empty()) {
        c.colour(ink);
        ty = c.paragraph(tx, ty, tw, item.evaluation, 6.6, false, 1.3) + 1;
    }
    if (item.timed) {
        c.colour(ink);
        c.text(tx, ty + 3, "When: incidents by day and hour, " + m.evidence + " (windows outlined)", 7, true);
        ty = draw_week(c, item, tx, ty + 5, tw) + 9;
        if (const auto key = withheld_key(m, item, true); !key.empty()) {
            c.colour(muted);
            ty = c.paragraph(tx, ty - 1.5, tw, key, 6, false, 1.3) + 1.5;
        }
        c.colour(ink);
        const double lw = c.text_width("Patrol windows: ", 7.2, true);
        c.text(tx, ty, "Patrol windows: ", 7.2, true);
        ty = c.paragraph(tx + lw, ty, tw - lw, windows_text(m, item), 7.2, false, 1.3);
    } else {
        c.colour(ink);
        c.text(tx, ty + 3, "When: incidents by month (" + m.period + " in red" + withheld_key(m, item, false) + ")", 7,
               true);
        ty = draw_months(c, m, item, tx, ty + 3, tw, std::max(40.0, y + h - ty - 24));
    }
    const std::string note = untimed_note(m, item);
    if (!note.empty()) {
        c.colour(muted);
        c.paragraph(tx, ty + 2, tw, note, 6, false, 1.3);
    }
}

// --- HTML -------------------------------------------------------------------

// An SVG for inline use: without the XML prolog, its ids made unique in the page.
std::string inline_svg(const std::string& svg, const std::string& prefix) {
    std::string s = svg;
    if (const auto p = s.find("<svg"); p != std::string::npos) {
        s = s.substr(p);
    }
    auto replace_all = [&s](const std::string& from, const std::string& to) {
        for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
            s.replace(p, from.size(), to);
        }
    };
    replace_all("id=\"", "id=\"" + prefix);
    replace_all("href=\"#", "href=\"#" + prefix);
    replace_all("url(#", "url(#" + prefix);
    return s;
}

std::string e(const std::string& s) {
    return xml_escape(s);
}

} // namespace

const std::vector<std::string>& guidance_paragraphs() {
    static const std::vector<std::string> text{
        "Stay about 15 minutes at each visit, then move on. Disorder stays away longest after stops of 10 to 15 "
        "minutes; longer stops add little (Koper 1995).",
        "Visit the hotspots in a random, unpredictable order, and come back about every two hours during the "
        "patrol windows: frequent but unpredictable presence is what deters (the \"Koper curve\"; Telep, Mitchell "
        "and Weisburd 2014).",
        "Focused patrol in small hot spots reduces crime and disorder there, and tends to spread benefits to the "
        "streets around rather than displace it (Sherman and Weisburd 1995; College of Policing).",
        "Record each visit (time in, time out) so that the dosage can be checked and the effect evaluated "
        "(hotref evaluate)."};
    return text;
}

const std::vector<std::string>& guidance_references() {
    static const std::vector<std::string> refs{
        "Koper, C. S. (1995). Just enough police presence: reducing crime and disorderly behavior by optimizing "
        "patrol time in crime hot spots. Justice Quarterly, 12(4), 649-672.",
        "Sherman, L. W. and Weisburd, D. (1995). General deterrent effects of police patrol in crime \"hot spots\": "
        "a randomized, controlled trial. Justice Quarterly, 12(4), 625-648.",
        "Telep, C. W., Mitchell, R. J. and Weisburd, D. (2014). How much time should the police spend at crime hot "
        "spots? Justice Quarterly, 31(5), 905-933.",
        "College of Policing, What Works Centre for Crime Reduction: Crime Reduction Toolkit, \"Hot spots "
        "policing\" (college.police.uk)."};
    return refs;
}

std::string render_pdf(const Model& m) {
    Canvas c = Canvas::in_memory_pdf(page_w, page_h);
    const std::size_t per_page = 5;
    const int detail_pages = static_cast<int>((m.items.size() + per_page - 1) / per_page);

    // Page 1: the map on the left, figures, legend and guidance on the right, the table below.
    const double map_x = margin, map_y = 72, map_w = 300, map_h = 470;
    draw_overview(c, m, map_x, map_y, map_w, map_h);
    const double rx = map_x + map_w + 14, rw = content_w - map_w - 14;
    double ry = map_y + 10;
    c.colour(ink);
    c.text(rx, ry, "This period: " + m.period, 10, true);
    ry += 13;
    c.colour(ink);
    std::string figures = count_text(m, m.total_now) + " incidents across the area";
    figures += change_phrase(m, m.total_now, m.total_prev, m.has_previous, m.previous);
    ry = c.paragraph(rx, ry, rw, figures + ".", 7.6, false, 1.3);
    if (!m.items.empty()) {
        ry = c.paragraph(rx, ry, rw, top_share_text(m) + ".", 7.6, false, 1.3);
    }
    if (!m.evaluation.empty()) {
        c.colour(muted);
        ry = c.paragraph(rx, ry + 2, rw, m.evaluation, 6.8, false, 1.3);
    }
    ry += 6;
    // Legend.
    auto key = [&](const Colour& fill, const Colour& line, bool dashed, const std::string& label) {
        c.colour(fill);
        c.rectangle(rx, ry - 6, 14, 8);
        c.fill();
        c.colour(line);
        c.line_width(dashed ? 0.6 : 0.8);
        if (dashed) {
            c.dash(2, 1.5);
        }
        c.rectangle(rx, ry - 6, 14, 8);
        c.stroke();
        c.dash(0, 0);
        c.colour(ink);
        c.text(rx + 20, ry, label, 7);
        ry += 12;
    };
    key(top_fill, top_line, false, "Top " + std::to_string(m.items.size()) + " hotspots, numbered by rank");
    if (!m.others.empty()) {
        key(other_fill, {0.75, 0.38, 0.10}, false,
            "Other hotspots of the run (" + std::to_string(m.others.size()) + ")");
    }
    key(land, ink, false, m.area_label);
    if (!m.districts.empty()) {
        key(land, district_line, true, "District boundaries");
    }
    ry += 8;
    draw_guidance(c, rx, ry, rw);

    // The table below the map; rows that do not fit before the footer continue on a page of their own.
    double ty = std::max(map_y + map_h, ry) + 20;
    auto draw_notes = [&](double& y) {
        if (m.notes.empty()) {
            return;
        }
        y += 6;
        c.colour(ink);
        c.text(margin, y, "Notes", 8, true);
        y += 10;
        for (const auto& n : m.notes) {
            c.colour(ink);
            y = c.paragraph(margin, y, content_w, n, 7, false, 1.3) + 2;
        }
    };
    double notes_h = m.notes.empty() ? 0 : 16;
    for (const auto& n : m.notes) {
        notes_h += static_cast<double>(c.wrap(n, content_w, 7).size()) * 9.1 + 2;
    }
    const double footer_top = content_bottom(c, m);
    const double room = footer_top - ty - 6 - 19 - 9 - 36 - notes_h;
    const auto fit_rows = static_cast<std::size_t>(std::max(0.0, std::floor(room / 13)));
    const bool overflow = m.items.size() > fit_rows;
    const std::size_t first_rows = overflow && fit_rows >= 3 ? fit_rows : overflow ? 0 : m.items.size();
    // The district table goes below the table where it fits, else on the continuation page,
    // else on a page of its own.
    const double districts_h = district_table_height(c, m);
    const double after_rows = m.items.empty() ? 16 + notes_h : 6 + 19 + 9 + 36 + notes_h;
    const bool districts_on_first =
        districts_h > 0 && !overflow && ty + after_rows + 13 * static_cast<double>(m.items.size()) + districts_h <= footer_top;
    const bool districts_on_second =
        districts_h > 0 && overflow &&
        84 + after_rows + 13 * static_cast<double>(m.items.size() - first_rows) + districts_h <= footer_top;
    const bool districts_alone = districts_h > 0 && !districts_on_first && !districts_on_second;
    const int table_pages = (overflow ? 1 : 0) + (districts_alone ? 1 : 0);
    const int pages = 1 + table_pages + detail_pages;
    page_frame(c, m, 1, pages, "Where to patrol: the hotspots of " + m.evidence + " and this period's incidents");
    if (m.items.empty()) {
        c.colour(top_line);
        c.text(margin, ty, "No hotspots to brief on", 12, true);
        ty += 16;
    } else if (first_rows > 0) {
        draw_table(c, m, margin, ty, 0, first_rows, !overflow);
    }
    if (!overflow) {
        draw_notes(ty);
        if (districts_on_first) {
            draw_district_table(c, m, margin, ty);
        }
    } else {
        c.new_page();
        page_frame(c, m, 2, pages, "Where to patrol: the top hotspots, continued");
        ty = 84;
        draw_table(c, m, margin, ty, first_rows, m.items.size(), true);
        draw_notes(ty);
        if (districts_on_second) {
            draw_district_table(c, m, margin, ty);
        }
    }
    if (districts_alone) {
        c.new_page();
        page_frame(c, m, 1 + table_pages, pages, "Where it happened: the districts of the force");
        ty = 84;
        draw_district_table(c, m, margin, ty);
    }

    // Detail pages: five hotspots each, above the footer (which grows with its lines).
    for (int p = 0; p < detail_pages; ++p) {
        c.new_page();
        page_frame(c, m, 2 + table_pages + p, pages, "Where and when to patrol: the top hotspots close up");
        const double top = 72, bottom = content_bottom(c, m);
        const double block = (bottom - top) / static_cast<double>(per_page);
        for (std::size_t k = 0; k < per_page; ++k) {
            const std::size_t i = static_cast<std::size_t>(p) * per_page + k;
            if (i >= m.items.size()) {
                break;
            }
            const double by = top + static_cast<double>(k) * block;
            draw_detail(c, m, m.items[i], margin, by + 4, block - 6);
            if (k + 1 < per_page && i + 1 < m.items.size()) {
                c.colour(rule);
                c.line_width(0.5);
                c.move_to(margin, by + block);
                c.line_to(margin + content_w, by + block);
                c.stroke();
            }
        }
    }
    c.finish();
    return c.bytes();
}

std::string render_html(const Model& m) {
    std::string h;
    h += "<!DOCTYPE html>\n<html lang=\"en-GB\">\n<head>\n<meta charset=\"utf-8\">\n";
    h += "<title>" + e(m.title + (m.force.empty() ? "" : ": " + m.force) + ", " + m.period) + " (" +
         e(m.classification) + ")</title>\n";
    h += R"(<style>
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #1f1f24; margin: 0 auto; max-width: 190mm; font-size: 10pt; }
.marking { text-align: center; font-weight: bold; letter-spacing: 0.05em; margin: 4px 0; }
header { background: #24385c; color: #fff; padding: 8px 12px; display: flex; justify-content: space-between; }
header h1 { font-size: 15pt; margin: 0; } header p { margin: 2px 0 0; font-size: 9pt; }
.right { text-align: right; white-space: nowrap; }
.key span { display: inline-block; width: 14px; height: 8px; border: 1px solid #333; margin-right: 6px; vertical-align: middle; } .muted { color: #61616b; } .small { font-size: 8pt; }
.overview { display: flex; gap: 14px; margin-top: 10px; } .overview svg { flex: none; }
h2 { font-size: 12pt; margin: 14px 0 6px; } h3 { font-size: 11pt; margin: 0 0 4px; }
table { border-collapse: collapse; width: 100%; font-size: 8.5pt; }
th { background: #e6e8ef; text-align: left; padding: 3px 4px; } td { padding: 3px 4px; border-bottom: 1px solid #e4e4e8; }
td.n, th.n { text-align: right; }
.hotspot { display: flex; gap: 12px; border-top: 1px solid #c7c7cc; padding-top: 8px; margin-top: 8px; page-break-inside: avoid; }
.hotspot svg { flex: none; } .hotspot .body { flex: 1; }
table.week { font-size: 6.5pt; table-layout: fixed; } table.week td, table.week th { padding: 1px 0; text-align: center; border: 1px solid #e0e0e4; }
table.week td.win { outline: 2px solid #1f1f24; outline-offset: -2px; }
table.trend { font-size: 6.5pt; } table.trend td, table.trend th { padding: 1px 3px; text-align: center; border: 1px solid #e0e0e4; }
.rank { color: #8c080d; font-weight: bold; }
tr.total td { font-weight: bold; background: #e6e8ef; }
footer { margin-top: 14px; border-top: 1px solid #c7c7cc; padding-top: 6px; }
.notes { background: #fff6e6; padding: 6px 10px; border-left: 4px solid #e09a30; }
@media print { .pagebreak { page-break-before: always; } body { max-width: none; } }
)";
    // The marking in the printed page margins where the browser supports @page margin boxes,
    // and in the page at the top of each printed section and at the end.
    h += "@page { @top-center { content: \"" + e(m.classification) +
         "\"; font-weight: bold; } @bottom-center { content: \"" + e(m.classification) +
         "\"; font-weight: bold; } }\n</style>\n</head>\n<body>\n";
    h += "<div class=\"marking top\">" + e(m.classification) + "</div>\n";
    h += "<header><div><h1>" + e(m.title + (m.force.empty() ? "" : ": " + m.force)) +
         "</h1><p>Where to patrol: the hotspots of " + e(m.evidence) +
         " and this period's incidents</p></div><div class=\"right\"><h1>" + e(m.period) + "</h1><p>Valid " +
         e(m.valid_from) + " to " + e(m.valid_to) + "</p></div></header>\n";
    // Overview map and the figures beside it.
    {
        Canvas c = Canvas::in_memory_svg(300, 470);
        draw_overview(c, m, 0, 0, 300, 470);
        c.finish();
        h += "<div class=\"overview\">" + inline_svg(c.bytes(), "map-") + "<div>\n";
    }
    h +=
        "<h2>This period: " + e(m.period) + "</h2>\n<p>" + e(count_text(m, m.total_now)) + " incidents across the area";
    h += e(change_phrase(m, m.total_now, m.total_prev, m.has_previous, m.previous));
    h += ".";
    if (!m.items.empty()) {
        h += " " + e(top_share_text(m)) + ".";
    }
    h += "</p>\n<p class=\"small key\"><span style=\"background:" + draw::hex(top_fill) + "\"></span>Top " +
         std::to_string(m.items.size()) + " hotspots, numbered by rank<br>";
    if (!m.others.empty()) {
        h += "<span style=\"background:" + draw::hex(other_fill) + "\"></span>Other hotspots of the run (" +
             std::to_string(m.others.size()) + ")<br>";
    }
    h += "<span style=\"background:" + draw::hex(land) + "\"></span>" + e(m.area_label);
    if (!m.districts.empty()) {
        h += "<br><span style=\"background:" + draw::hex(land) + ";border-style:dashed\"></span>District boundaries";
    }
    h += "</p>\n";
    if (!m.evaluation.empty()) {
        h += "<p class=\"small muted\">" + e(m.evaluation) + "</p>\n";
    }
    h += "<h2>How to patrol a hotspot</h2>\n<ul>\n";
    for (const auto& p : guidance_paragraphs()) {
        h += "<li>" + e(p) + "</li>\n";
    }
    h += "</ul>\n<p class=\"small muted\"><b>Sources</b><br>";
    for (const auto& r : guidance_references()) {
        h += e(r) + "<br>\n";
    }
    h += "</p></div></div>\n";
    if (m.items.empty()) {
        h += "<h2>No hotspots to brief on</h2>\n";
    } else {
        const auto rows = table_rows(m);
        h += "<h2>Top " + std::to_string(m.items.size()) + " hotspots of " + std::to_string(m.run_hotspots) +
             " (" + e(m.ranking) + " " + e(m.evidence) + ")</h2>\n<table>\n<tr>";
        for (std::size_t k = 0; k < rows[0].size(); ++k) {
            std::string head = e(rows[0][k]);
            if (const auto bar = head.find('|'); bar != std::string::npos) {
                head.replace(bar, 1, "<br>");
            }
            h += "<th" + std::string{k == 0 || (k >= 3 && k <= 6) || k >= 8 ? " class=\"n\"" : ""} + ">" + head +
                 "</th>";
        }
        h += "</tr>\n";
        for (std::size_t r = 1; r < rows.size(); ++r) {
            h += "<tr>";
            for (std::size_t k = 0; k < rows[r].size(); ++k) {
                const bool n = k == 0 || (k >= 3 && k <= 6) || k >= 8;
                h += "<td" + std::string{n ? " class=\"n\"" : ""} + ">" + (k == 0 ? "<span class=\"rank\">" : "") +
                     e(rows[r][k]) + (k == 0 ? "</span>" : "") + "</td>";
            }
            h += "</tr>\n";
        }
        h += "</table>\n";
    }
    if (!m.district_rows.empty()) {
        const auto rows = district_table_rows(m);
        h += "<h2>Districts: incidents this period and the current hotspots</h2>\n<table class=\"districts\">\n";
        for (std::size_t r = 0; r < rows.size(); ++r) {
            h += r + 1 == rows.size() ? "<tr class=\"total\">" : "<tr>";
            for (std::size_t k = 0; k < rows[r].size(); ++k) {
                std::string cell = e(rows[r][k]);
                if (const auto bar = cell.find('|'); bar != std::string::npos) {
                    cell.replace(bar, 1, "<br>");
                }
                const char* tag = r == 0 ? "th" : "td";
                h += std::string{"<"} + tag + (k > 0 ? " class=\"n\"" : "") + ">" + cell + "</" + tag + ">";
            }
            h += "</tr>\n";
        }
        h += "</table>\n<p class=\"small muted\">" + e(district_note(m)) + "</p>\n";
    }
    if (!m.notes.empty()) {
        h += "<div class=\"notes\"><b>Notes</b><ul>\n";
        for (const auto& n : m.notes) {
            h += "<li>" + e(n) + "</li>\n";
        }
        h += "</ul></div>\n";
    }
    // Each top hotspot close up.
    if (!m.items.empty()) {
        h += "<div class=\"marking pagebreak\">" + e(m.classification) +
             "</div>\n<h2>Where and when to patrol: the top hotspots close up</h2>\n";
    }
    for (std::size_t i = 0; i < m.items.size(); ++i) {
        const auto& item = m.items[i];
        Canvas c = Canvas::in_memory_svg(200, 200);
        draw_inset(c, m, item, 0, 0, 200, 200, false);
        c.finish();
        h += "<section class=\"hotspot\">" + inline_svg(c.bytes(), "h" + std::to_string(i) + "-") +
             "<div class=\"body\">\n<h3><span class=\"rank\">" + std::to_string(item.rank) + "</span> " + e(item.code) +
             " " + e(readable_name(item)) + "</h3>\n<p class=\"small\">" + e(count_text(m, item.now)) +
             " incidents in " + e(m.period) + " (" + e(count_text(m, item.run_incidents)) + " in " + e(m.evidence) +
             ")";
        if (!item.streets.empty()) {
            h += ". Busiest places (police.uk &quot;On or near&quot;): ";
            for (std::size_t k = 0; k < item.streets.size(); ++k) {
                h += (k ? ", " : "") + e(item.streets[k]);
            }
        }
        h += ".</p>\n";
        if (!item.evaluation.empty()) {
            h += "<p class=\"small\">" + e(item.evaluation) + "</p>\n";
        }
        if (item.timed) {
            double max = 1;
            for (const double v : item.week) {
                max = std::max(max, v);
            }
            std::array<bool, 168> in_window{};
            for (const auto& w : item.windows) {
                for (int k = 0; k < w.hours; ++k) {
                    in_window[static_cast<std::size_t>((w.weekday * 24 + w.hour + k) % 168)] = true;
                }
            }
            h += "<p class=\"small\"><b>When: incidents by day and hour, " + e(m.evidence) +
                 " (windows outlined)</b> " + e(withheld_key(m, item, true)) +
                 "</p>\n<table class=\"week\"><tr><th></th>";
            for (int hour = 0; hour < 24; ++hour) {
                h += "<th>" + fmt("%02.0f", hour) + "</th>";
            }
            h += "</tr>\n";
            for (int d = 0; d < 7; ++d) {
                h += "<tr><th>" + std::string{day_names[d]} + "</th>";
                for (int hour = 0; hour < 24; ++hour) {
                    const auto slot = static_cast<std::size_t>(d * 24 + hour);
                    const double v = item.week[slot];
                    const bool hide = std::isnan(item.week_shown[slot]);
                    const Colour bg = v <= 0 ? Colour{1, 1, 1} : hide ? Colour{0.93, 0.90, 0.88} : heat(v / max);
                    h += "<td" + std::string{in_window[slot] ? " class=\"win\"" : ""} +
                         " style=\"background:" + draw::hex(bg) + (v / max > 0.55 && !hide ? ";color:#fff" : "") +
                         "\">" + (v > 0 && !hide ? with_commas(std::llround(v)) : "") + "</td>";
                }
                h += "</tr>\n";
            }
            h += "</table>\n<p class=\"small\"><b>Patrol windows:</b> " + e(windows_text(m, item)) + "</p>\n";
        } else {
            Canvas c2 = Canvas::in_memory_svg(330, 90);
            c2.colour(ink);
            c2.text(0, 8, "When: incidents by month (" + m.period + " in red" + withheld_key(m, item, false) + ")", 7,
                    true);
            draw_months(c2, m, item, 0, 8, 330, 80);
            c2.finish();
            h += inline_svg(c2.bytes(), "t" + std::to_string(i) + "-");
            // The same figures as text (the chart's labels are glyphs).
            h += "<table class=\"trend\"><tr><th>Month</th>";
            for (const auto& mo : item.months) {
                h += "<th>" + e(mo) + "</th>";
            }
            h += "</tr>\n<tr><th>Incidents</th>";
            for (std::size_t k = 0; k < item.months.size(); ++k) {
                const bool gap = k < item.month_missing.size() && item.month_missing[k] != 0;
                h += "<td data-month=\"" + e(item.months[k]) + "\">" +
                     (gap ? std::string{"not stored"} : e(count_text(m, item.per_month_shown[k]))) + "</td>";
            }
            h += "</tr></table>\n";
        }
        const std::string note = untimed_note(m, item);
        if (!note.empty()) {
            h += "<p class=\"small muted\">" + e(note) + "</p>\n";
        }
        h += "</div></section>\n";
    }
    h += "<footer class=\"small muted\"><p>Data: " + e(m.categories + ", " + m.source) + ". This period " +
         e(m.period) + "; compared with " + e(m.previous) + " and " + e(m.last_year) + ".<br>\n";
    for (const auto& s : m.sources) {
        h += e(s) + "<br>\n";
    }
    h += "Generated " + e(m.generated) + " by hotref. " + e(profile_name(m.profile)) + " profile" +
         (m.profile == Profile::published
              ? ": counts under " + fmt("%.0f", m.min_count) + " and referral figures under 10 withheld, the rest perturbed (cell-key noise), a second count withheld where one could be worked out."
              : ": nothing withheld; not for publication.") +
         "</p></footer>\n";
    h += "<div class=\"marking bottom\">" + e(m.classification) + "</div>\n</body>\n</html>\n";
    return h;
}

std::string top_share_text(const Model& m) {
    const double in_top = top_total(m);
    std::string s = count_text(m, in_top) + " in the top " + std::to_string(m.items.size()) + " hotspots";
    if (std::isnan(in_top)) {
        return s;
    }
    // The share of (top + rest), each as published: the printed total carries its own noise, so a
    // share of it could pass 100 % when nearly every incident is in the top hotspots.
    const double all = in_top + m.rest_now;
    if (!std::isnan(m.rest_now) && all > 0) {
        s += fmt(" (%.0f%%)", 100.0 * in_top / all);
    } else if (withheld(m, m.rest_now) && in_top > 0) {
        s += " (nearly all: the count elsewhere is withheld)";
    }
    return s;
}

std::vector<std::vector<std::string>> district_table_rows(const Model& m) {
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"District", "This|period", "Previous|period", "Change", "Current|hotspots"});
    int hotspots = 0;
    for (const auto& d : m.district_rows) {
        rows.push_back({d.name, count_text(m, d.now), m.has_previous ? count_text(m, d.prev) : "no data",
                        change_text(m, d.now, d.prev, m.has_previous), std::to_string(d.hotspots)});
        hotspots += d.hotspots;
    }
    rows.push_back({m.area_label, count_text(m, m.total_now), m.has_previous ? count_text(m, m.total_prev) : "no data",
                    change_text(m, m.total_now, m.total_prev, m.has_previous), std::to_string(hotspots)});
    return rows;
}

} // namespace hotref::publish::bulletin
