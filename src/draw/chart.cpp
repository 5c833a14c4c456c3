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

} // namespace

void line_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                const std::vector<std::string>& labels, const std::vector<Series>& series, int mark) {
    const double W = 900, H = 480, left = 70, right = 170, top = 70, bottom = 60;
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
    c.colour(dark);
    c.text(left, 30, title, 17, true);
    c.colour(grey);
    c.text(left, 52, subtitle, 12);
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
    const double row = 24, left = 260, right = 40, top = 80, bottom = 50, W = 900;
    const double H = top + bottom + row * static_cast<double>(std::max<std::size_t>(estimates.size(), 1));
    Canvas c{path, W, H};
    auto* cr = c.cr();
    const double lo = std::log(0.25), hi = std::log(4.0);
    const double pw = W - left - right;
    auto X = [&](double v) {
        const double l = std::clamp(std::log(std::max(v, 1e-9)), lo, hi);
        return left + pw * (l - lo) / (hi - lo);
    };
    c.colour(dark);
    c.text(20, 30, title, 17, true);
    c.colour(grey);
    c.text(20, 52, subtitle, 12);
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

} // namespace hotref::draw
