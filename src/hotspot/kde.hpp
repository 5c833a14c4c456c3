#pragma once
// Kernel density estimation of weighted points on a grid (plain data).
//
// Kernels are radially symmetric with support radius h (the bandwidth); with
// r = d / h and r < 1 the scaled kernels, each integrating to 1 over the plane, are
//   quartic (biweight)  3 / (pi h^2) (1 - r^2)^2
//   epanechnikov        2 / (pi h^2) (1 - r^2)
//   triweight           4 / (pi h^2) (1 - r^2)^3
//   uniform             1 / (pi h^2)
//   triangular          3 / (pi h^2) (1 - r)
// The raw surface sums the unscaled shapes (1 at the point itself) times the
// weights; the scaled surface sums the scaled kernels: incidents per square metre.

#include "hotspot/grid.hpp"

#include <string>
#include <vector>

namespace hotref::hotspot {

enum class Kernel { quartic, epanechnikov, triweight, uniform, triangular };

/// "quartic" -> Kernel::quartic; throws UsageError listing the kernels otherwise.
Kernel kernel_from_name(const std::string& name);
const char* kernel_name(Kernel k) noexcept;

/// The kernel's shape at r = d / h (0 outside the support), peak 1 at r = 0.
double kernel_shape(Kernel k, double r) noexcept;
/// The constant that scales the shape to integrate to 1: c / (pi h^2).
double kernel_scale(Kernel k, double bandwidth) noexcept;

/// Rule-of-thumb bandwidth. sfhotspot computes 4 * 1.06 * min(sd, IQR / 1.34) * n^(-1/5)
/// from the x coordinates only (a known slip); hotref applies it to x and to y
/// (weighted by incident counts) and takes the mean of the two.
double rule_of_thumb_bandwidth(const std::vector<WeightedPoint>& points);

struct KdeSurface {
    std::vector<double> raw;     // per grid cell (size() values)
    std::vector<double> scaled;  // per grid cell, incidents per m^2
};

/// Evaluates the kernel at every cell centre within the bandwidth of each point.
KdeSurface kde(const Grid& grid, const std::vector<WeightedPoint>& points, double bandwidth, Kernel kernel);

} // namespace hotref::hotspot
