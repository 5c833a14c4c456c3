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

} // namespace hotref::draw
