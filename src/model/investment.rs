//! I: investment stock received from a framework's sponsor — depreciating, and valued concavely
//! relative to the recipient's GDP.

/// Utility of a stock: ln(1 + stock / (scale · GDP)). With `scale` = 0.01, a stock worth 1% of GDP
/// gives ln 2; doubling the stock adds less and less (diminishing returns).
#[inline]
pub fn value(stock: f64, gdp: f64, scale: f64) -> f64 {
    (stock / (scale * gdp)).ln_1p()
}

/// One year of the stock: depreciate, then add the year's inflow.
#[inline]
pub fn update(stock: f64, inflow: f64, depreciation: f64) -> f64 {
    (1.0 - depreciation) * stock + inflow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_concave_and_zero_without_stock() {
        assert_eq!(value(0.0, 100.0, 0.01), 0.0);
        assert!((value(1.0, 100.0, 0.01) - 2f64.ln()).abs() < 1e-12);
        let (a, b, c) = (value(1.0, 100.0, 0.01), value(2.0, 100.0, 0.01), value(3.0, 100.0, 0.01));
        assert!(b - a > c - b);
    }

    #[test]
    fn stock_depreciates_geometrically() {
        let mut s = 100.0;
        for _ in 0..2 {
            s = update(s, 0.0, 0.5);
        }
        assert_eq!(s, 25.0);
    }
}
