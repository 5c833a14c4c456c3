#include "draw/chart.hpp"

#include "core/error.hpp"

#include <cairo.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace hotref::draw {

namespace {

constexpr Colour grey{0.55, 0.55, 0.55};
constexpr Colour dark{0.15, 0.15, 0.15};

double nice_step(double range) {
    const double raw = range / 5;
    const double mag = std::pow(10, std::floor(std::log10(raw)));
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
        if (raw <= m * mag) {
            return m * mag;
        }
    }
    return 10 * mag;
}

// A round top for an axis of percentages holding `largest`: a multiple of its tick step, at most 100.
double percent_axis_top(double largest, double& step) {
    step = nice_step(std::max(largest, 1e-6));
    return std::min(std::max(std::ceil(largest / step - 1e-9), 1.0) * step, 100.0);
}

std::string percent_label(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g%%", v);
    return buf;
}

// A chart's size follows from its labels (issue 16: "Mansfi" was a label cut at the
// edge), so text is measured before the chart's canvas exists, on a scratch one.
double measured(const std::string& s, double size, bool bold = false) {
    auto scratch = Canvas::in_memory_svg(10, 10);
    return scratch.text_width(s, size, bold);
}

// The title (17 bold) and the subtitle (12) from x, the subtitle wrapped into `width`.
struct Heading {
    std::string title;
    std::vector<std::string> lines;  // the subtitle
    double width = 0;                // the widest of them
    /// How much lower than with one subtitle line the plot must start.
    [[nodiscard]] double extra() const { return 16.0 * static_cast<double>(std::max<std::size_t>(lines.size(), 1) - 1); }
};

Heading heading(const std::string& title, const std::string& subtitle, double width) {
    auto scratch = Canvas::in_memory_svg(10, 10);
    Heading h;
    h.title = title;
    h.lines = scratch.wrap(subtitle, width, 12);
    h.width = scratch.text_width(title, 17, true);
    for (const auto& l : h.lines) {
        h.width = std::max(h.width, scratch.text_width(l, 12));
    }
    return h;
}

void draw_heading(Canvas& c, double x, const Heading& h) {
    c.colour(dark);
    c.text(x, 30, h.title, 17, true);
    c.colour(grey);
    double y = 52;
    for (const auto& l : h.lines) {
        c.text(x, y, l, 12);
        y += 16;
    }
}

} // namespace

void line_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                const std::vector<std::string>& labels, const std::vector<Series>& series, int mark) {
    const double left = 70, bottom = 60;
    double right = 170;
    for (const auto& s : series) {
        right = std::max(right, 60 + measured(s.name, 11));  // the legend's names, whole
    }
    const double W = std::max(900.0, left + measured(title, 17, true) + 20);
    const Heading head = heading(title, subtitle, W - left - 20);
    const double top = 70 + head.extra(), H = 480 + head.extra();
    Canvas c{path, W, H};
    auto* cr = c.cr();
    double ymax = 1;
    for (const auto& s : series) {
        for (const double v : s.values) {
            if (std::isfinite(v)) {
                ymax = std::max(ymax, v);
            }
        }
    }
    const double step = nice_step(ymax);
    ymax = std::ceil(ymax / step) * step;
    const double pw = W - left - right;
    const double ph = H - top - bottom;
    const auto n = std::max<std::size_t>(labels.size(), 2);
    auto X = [&](std::size_t i) { return left + pw * static_cast<double>(i) / static_cast<double>(n - 1); };
    auto Y = [&](double v) { return top + ph * (1 - v / ymax); };
    draw_heading(c, left, head);
    // Grid and axes.
    cairo_set_line_width(cr, 1);
    for (double v = 0; v <= ymax + 1e-9; v += step) {
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, left, Y(v));
        cairo_line_to(cr, left + pw, Y(v));
        cairo_stroke(cr);
        c.colour(grey);
        c.text(left - 8, Y(v) + 4, std::to_string(static_cast<long long>(v)), 11, false, Align::right);
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
        c.colour(grey);
        c.text(X(i), H - bottom + 20, labels[i].size() == 7 ? labels[i].substr(2) : labels[i], 10, false, Align::centre);
    }
    if (mark >= 0 && static_cast<std::size_t>(mark) < labels.size()) {
        const double xm = (X(static_cast<std::size_t>(mark)) + X(static_cast<std::size_t>(std::max(mark - 1, 0)))) / 2;
        cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
        const double dash[] = {5, 4};
        cairo_set_dash(cr, dash, 2, 0);
        cairo_move_to(cr, xm, top - 5);
        cairo_line_to(cr, xm, top + ph);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        c.text(xm + 4, top + 8, "intervention", 11);
    }
    // Series and legend.
    double ly = top + 10;
    for (const auto& s : series) {
        c.colour(s.colour);
        cairo_set_line_width(cr, 2.5);
        if (s.dashed) {
            const double dash[] = {6, 4};
            cairo_set_dash(cr, dash, 2, 0);
        }
        bool started = false;
        for (std::size_t i = 0; i < s.values.size(); ++i) {
            if (!std::isfinite(s.values[i])) {
                continue;
            }
            if (started) {
                cairo_line_to(cr, X(i), Y(s.values[i]));
            } else {
                cairo_move_to(cr, X(i), Y(s.values[i]));
                started = true;
            }
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        cairo_move_to(cr, W - right + 20, ly);
        cairo_line_to(cr, W - right + 44, ly);
        cairo_stroke(cr);
        c.colour(dark);
        c.text(W - right + 50, ly + 4, s.name, 11);
        ly += 22;
    }
    c.finish();
}

void ratio_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                 const std::vector<Estimate>& estimates) {
    // The labels' column is as wide as the widest label, so none is cut off at the left edge.
    double widest = 0;
    for (std::size_t i = 0; i < estimates.size(); ++i) {
        widest = std::max(widest, measured(estimates[i].label, 12, i == 0));
    }
    const double row = 24, right = 40, bottom = 50, left = std::max(260.0, widest + 32);
    const double W = left + 600 + right;
    const Heading head = heading(title, subtitle, W - 40);
    const double top = 80 + head.extra();
    const double H = top + bottom + row * static_cast<double>(std::max<std::size_t>(estimates.size(), 1));
    Canvas c{path, std::max(W, head.width + 40), H};
    auto* cr = c.cr();
    const double lo = std::log(0.25), hi = std::log(4.0);
    const double pw = W - left - right;
    auto X = [&](double v) {
        const double l = std::clamp(std::log(std::max(v, 1e-9)), lo, hi);
        return left + pw * (l - lo) / (hi - lo);
    };
    draw_heading(c, 20, head);
    for (const double v : {0.25, 0.5, 1.0, 2.0, 4.0}) {
        cairo_set_source_rgb(cr, v == 1.0 ? 0.3 : 0.88, v == 1.0 ? 0.3 : 0.88, v == 1.0 ? 0.3 : 0.88);
        cairo_set_line_width(cr, 1);
        cairo_move_to(cr, X(v), top - 10);
        cairo_line_to(cr, X(v), H - bottom);
        cairo_stroke(cr);
        c.colour(grey);
        char buf[16];
        std::snprintf(buf, sizeof buf, "%g", v);
        c.text(X(v), H - bottom + 18, buf, 11, false, Align::centre);
    }
    c.colour(grey);
    c.text(X(0.5), H - 10, "fewer after", 11, false, Align::centre);
    c.text(X(2.0), H - 10, "more after", 11, false, Align::centre);
    for (std::size_t i = 0; i < estimates.size(); ++i) {
        const auto& e = estimates[i];
        const double y = top + row * (static_cast<double>(i) + 0.5);
        c.colour(dark);
        c.text(left - 12, y + 4, e.label, 12, i == 0, Align::right);
        const bool significant = std::isfinite(e.upper) && (e.upper < 1 || e.lower > 1);
        const Colour col = !significant ? grey : e.value < 1 ? Colour{0.17, 0.45, 0.70} : Colour{0.84, 0.19, 0.15};
        c.colour(col);
        cairo_set_line_width(cr, 2);
        if (std::isfinite(e.lower) && std::isfinite(e.upper)) {
            cairo_move_to(cr, X(e.lower), y);
            cairo_line_to(cr, X(e.upper), y);
            cairo_stroke(cr);
        }
        if (std::isfinite(e.value)) {
            cairo_arc(cr, X(e.value), y, i == 0 ? 6 : 4.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    c.finish();
}

void share_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                 const std::string& x_label, const std::string& y_label, const std::vector<Curve>& curves,
                 const std::string& note) {
    const double left = 80, bottom = 70;
    double right = 190;
    for (const auto& k : curves) {
        right = std::max(right, 60 + measured(k.name, 11));
    }
    const double W = std::max(900.0, left + measured(title, 17, true) + 20);
    const Heading head = heading(title, subtitle, W - left - 20);
    const double top = 70 + head.extra(), H = 560 + head.extra();
    double xlargest = 0;
    double ylargest = 0;
    for (const auto& k : curves) {
        if (k.x.size() != k.y.size()) {
            throw Error(path + ": the curve '" + k.name + "' has " + std::to_string(k.x.size()) + " x and " +
                        std::to_string(k.y.size()) + " y values; give one y per x");
        }
        for (std::size_t i = 0; i < k.x.size(); ++i) {
            if (std::isfinite(k.x[i]) && std::isfinite(k.y[i])) {
                xlargest = std::max(xlargest, 100 * k.x[i]);
                ylargest = std::max(ylargest, 100 * k.y[i]);
            }
        }
    }
    double xstep = 0;
    double ystep = 0;
    const double xmax = percent_axis_top(xlargest, xstep);
    const double ymax = percent_axis_top(ylargest, ystep);
    Canvas c{path, W, H};
    auto* cr = c.cr();
    const double pw = W - left - right;
    const double ph = H - top - bottom;
    auto X = [&](double share) { return left + pw * std::clamp(100 * share / xmax, 0.0, 1.0); };
    auto Y = [&](double share) { return top + ph * (1 - std::clamp(100 * share / ymax, 0.0, 1.0)); };
    draw_heading(c, left, head);
    cairo_set_line_width(cr, 1);
    for (double v = 0; v <= ymax + 1e-9; v += ystep) {
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, left, Y(v / 100));
        cairo_line_to(cr, left + pw, Y(v / 100));
        cairo_stroke(cr);
        c.colour(grey);
        c.text(left - 8, Y(v / 100) + 4, percent_label(v), 11, false, Align::right);
    }
    for (double v = 0; v <= xmax + 1e-9; v += xstep) {
        cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
        cairo_move_to(cr, X(v / 100), top);
        cairo_line_to(cr, X(v / 100), top + ph);
        cairo_stroke(cr);
        c.colour(grey);
        c.text(X(v / 100), H - bottom + 18, percent_label(v), 11, false, Align::centre);
    }
    c.colour(dark);
    c.text(left + pw / 2, H - 18, x_label, 12, false, Align::centre);
    c.save();
    cairo_translate(cr, 22, top + ph / 2);
    cairo_rotate(cr, -M_PI / 2);
    c.text(0, 0, y_label, 12, false, Align::centre);
    c.restore();
    // The diagonal of no concentration: as large a share of y as of x.
    const double diagonal = std::min(xmax, ymax) / 100;
    c.colour(grey);
    cairo_set_line_width(cr, 1.5);
    const double dash[] = {4, 4};
    cairo_set_dash(cr, dash, 2, 0);
    cairo_move_to(cr, X(0), Y(0));
    cairo_line_to(cr, X(diagonal), Y(diagonal));
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    double ly = top + 10;
    auto legend = [&](const std::string& name) {
        c.colour(dark);
        c.text(W - right + 50, ly + 4, name, 11);
        ly += 22;
    };
    cairo_move_to(cr, W - right + 20, ly);
    cairo_line_to(cr, W - right + 44, ly);
    cairo_set_dash(cr, dash, 2, 0);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    legend("no concentration");
    for (const auto& k : curves) {
        c.colour(k.colour);
        cairo_set_line_width(cr, 2.5);
        if (k.dashed) {
            const double kdash[] = {6, 4};
            cairo_set_dash(cr, kdash, 2, 0);
        }
        bool started = false;
        for (std::size_t i = 0; i < k.x.size(); ++i) {
            if (!std::isfinite(k.x[i]) || !std::isfinite(k.y[i])) {
                continue;
            }
            if (started) {
                cairo_line_to(cr, X(k.x[i]), Y(k.y[i]));
            } else {
                cairo_move_to(cr, X(k.x[i]), Y(k.y[i]));
                started = true;
            }
        }
        cairo_stroke(cr);
        for (std::size_t i = 0; i < k.x.size() && k.x.size() <= 40; ++i) { // dots while they stay apart
            if (std::isfinite(k.x[i]) && std::isfinite(k.y[i])) {
                cairo_arc(cr, X(k.x[i]), Y(k.y[i]), 2.5, 0, 2 * M_PI);
                cairo_fill(cr);
            }
        }
        cairo_move_to(cr, W - right + 20, ly);
        cairo_line_to(cr, W - right + 44, ly);
        cairo_stroke(cr);
        cairo_set_dash(cr, nullptr, 0, 0);
        legend(k.name);
    }
    c.colour(dark);
    c.text(left + 10, top + 18, note, 13, true);
    c.finish();
}

} // namespace hotref::draw

namespace hotref::draw {

void range_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                 const std::vector<Estimate>& estimates, double reference, const std::string& reference_label) {
    double widest = 0, lo = std::min(0.0, reference), hi = reference;
    for (std::size_t i = 0; i < estimates.size(); ++i) {
        widest = std::max(widest, measured(estimates[i].label, 12, i == 0));
        for (const double v : {estimates[i].value, estimates[i].lower, estimates[i].upper}) {
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    const double step = nice_step(std::max(hi - lo, 1e-6));
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step + 1e-9) * step;
    const double row = 26, right = 40, bottom = 50, left = std::max(220.0, widest + 32);
    const double W = left + 560 + right;
    const Heading head = heading(title, subtitle, W - 40);
    const double top = 80 + head.extra();
    const double H = top + bottom + row * static_cast<double>(std::max<std::size_t>(estimates.size(), 1));
    Canvas c{path, std::max(W, head.width + 40), H};
    const double pw = W - left - right;
    auto X = [&](double v) { return left + pw * (std::clamp(v, lo, hi) - lo) / (hi - lo); };
    draw_heading(c, 20, head);
    for (double v = lo; v <= hi + step / 2; v += step) {
        c.colour(Colour{0.88, 0.88, 0.88});
        c.line_width(1);
        c.move_to(X(v), top - 10);
        c.line_to(X(v), H - bottom);
        c.stroke();
        c.colour(grey);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%g", v);
        c.text(X(v), H - bottom + 18, buf, 11, false, Align::centre);
    }
    c.colour(Colour{0.3, 0.3, 0.3});
    c.line_width(1.5);
    c.move_to(X(reference), top - 10);
    c.line_to(X(reference), H - bottom);
    c.stroke();
    c.text(X(reference), H - 10, reference_label, 11, false, Align::centre);
    for (std::size_t i = 0; i < estimates.size(); ++i) {
        const auto& e = estimates[i];
        const double y = top + row * (static_cast<double>(i) + 0.5);
        c.colour(dark);
        c.text(left - 12, y + 4, e.label, 12, i == 0, Align::right);
        const Colour col = !std::isfinite(e.value) ? grey : e.value >= reference ? Colour{0.17, 0.45, 0.70}
                                                                                  : Colour{0.84, 0.19, 0.15};
        c.colour(col);
        c.line_width(2);
        if (std::isfinite(e.lower) && std::isfinite(e.upper)) {
            c.move_to(X(e.lower), y);
            c.line_to(X(e.upper), y);
            c.stroke();
        }
        if (std::isfinite(e.value)) {
            c.circle(X(e.value), y, i == 0 ? 6 : 4.5);
            c.fill();
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.2f", e.value);
            c.colour(dark);
            c.text(X(std::isfinite(e.upper) ? e.upper : e.value) + 8, y + 4, buf, 11);
        }
    }
    c.finish();
}

} // namespace hotref::draw
