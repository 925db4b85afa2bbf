import Foundation

/// Two-sample chi-square test of homogeneity for count vectors over the same categories.
enum ChiSquare {
    /// p-value that two samples of equal size come from one distribution. Categories with fewer
    /// than `minimumCount` observations in total are pooled into one bin.
    static func twoSample(_ a: [Int: Int], _ b: [Int: Int], minimumCount: Int = 10) -> (statistic: Double, df: Int, p: Double) {
        let keys = Set(a.keys).union(b.keys)
        var bins: [(Double, Double)] = []
        var pooled = (0.0, 0.0)
        for k in keys {
            let x = Double(a[k] ?? 0), y = Double(b[k] ?? 0)
            if Int(x + y) < minimumCount { pooled.0 += x; pooled.1 += y } else { bins.append((x, y)) }
        }
        if pooled.0 + pooled.1 > 0 { bins.append(pooled) }
        let na = bins.reduce(0) { $0 + $1.0 }, nb = bins.reduce(0) { $0 + $1.1 }
        var stat = 0.0
        for (x, y) in bins where x + y > 0 {
            // Expected counts under homogeneity, for samples of possibly different sizes.
            let ex = (x + y) * na / (na + nb), ey = (x + y) * nb / (na + nb)
            stat += (x - ex) * (x - ex) / ex + (y - ey) * (y - ey) / ey
        }
        let df = max(1, bins.count - 1)
        return (stat, df, 1 - regularizedLowerGamma(Double(df) / 2, stat / 2))
    }

    /// P(a, x), by series for x < a + 1 and by continued fraction otherwise (Numerical Recipes' split).
    static func regularizedLowerGamma(_ a: Double, _ x: Double) -> Double {
        if x <= 0 { return 0 }
        let lnGammaA = logGamma(a)
        if x < a + 1 {
            var sum = 1 / a, term = 1 / a, n = a
            for _ in 0..<10_000 {
                n += 1; term *= x / n; sum += term
                if abs(term) < abs(sum) * 1e-15 { break }
            }
            return sum * exp(-x + a * log(x) - lnGammaA)
        }
        var b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < 1e-300 { d = 1e-300 }
            c = b + an / c; if abs(c) < 1e-300 { c = 1e-300 }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-15 { break }
        }
        return 1 - exp(-x + a * log(x) - lnGammaA) * h
    }

    /// ln Γ(a) for a > 0 (Lanczos approximation, g = 7, 9 terms; ~1e-15 relative).
    static func logGamma(_ a: Double) -> Double {
        let c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
                 -176.61502916214059, 12.507343278686905, -0.13857109526572012,
                 9.9843695780195716e-6, 1.5056327351493116e-7]
        if a < 0.5 { return log(Double.pi / sin(Double.pi * a)) - logGamma(1 - a) }
        let x = a - 1
        var s = c[0]
        for i in 1..<9 { s += c[i] / (x + Double(i)) }
        let t = x + 7.5
        return 0.5 * log(2 * Double.pi) + (x + 0.5) * log(t) - t + log(s)
    }
}
