#pragma once
// Charts drawn on a draw::Canvas: PNG or SVG by the file's extension. Plain data in.

#include "draw/canvas.hpp"

#include <string>
#include <vector>

namespace hotref::draw {

struct Series {
    std::string name;
    std::vector<double> values;
    Colour colour;
    bool dashed = false;
};

/// A line chart of monthly series with the intervention month marked.
/// `labels` name the x positions (months, "2025-01"); `mark` is the index of the
/// first "after" month (-1: none).
void line_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                const std::vector<std::string>& labels, const std::vector<Series>& series, int mark);

struct Estimate {
    std::string label;
    double value = 1;   // a ratio: 1 means no change
    double lower = 1;
    double upper = 1;
};

/// A dot-and-whisker chart of ratios (log scale) with the no-change line at 1.
void ratio_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                 const std::vector<Estimate>& estimates);

struct Curve {
    std::string name;
    std::vector<double> x, y; // shares, 0 to 1; the same length
    Colour colour;
    bool dashed = false;
};

/// Curves of shares (y against x, both as percentages) with the diagonal y = x of no
/// concentration. The axes run from 0 to a round value above the largest x and y, so
/// curves over a small share of x stay readable; `note` is written in the plot's corner.
void share_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                 const std::string& x_label, const std::string& y_label, const std::vector<Curve>& curves,
                 const std::string& note);

} // namespace hotref::draw

namespace hotref::draw {

/// A dot at each estimate's value with a whisker from its lower to its upper end, on a linear
/// axis from min(0, smallest) to a round value above the largest, with a reference line at
/// `reference` (e.g. 1 for a benefit-cost ratio) labelled `reference_label`.
void range_chart(const std::string& path, const std::string& title, const std::string& subtitle,
                 const std::vector<Estimate>& estimates, double reference, const std::string& reference_label);

} // namespace hotref::draw
