//! Units of measure, money and timestamps through the public API.

use invsync_core::{Money, Timestamp, UnitOfMeasure, UomError};

#[test]
fn uom_exact_or_rejected() {
    let case = UnitOfMeasure::new("case", 12).unwrap();
    let pallet = UnitOfMeasure::new("pallet", 480).unwrap();
    assert_eq!(pallet.convert(2, &case), Ok(80));
    assert!(matches!(case.convert(1, &pallet), Err(UomError::Inexact { base: 12, .. })));
    assert!(matches!(case.to_base(i64::MAX), Err(UomError::Overflow { .. })));
    assert!(matches!(UnitOfMeasure::new("zero", 0), Err(UomError::ZeroSize { .. })));
}

#[test]
fn money_is_exact() {
    let third: Money = "0.333333".parse().unwrap();
    assert_eq!(third.times(3), Some("0.999999".parse().unwrap()));
    assert_eq!(Money::from_units(10).mul_div(1, 3), Some(Money::from_micros(3_333_333)));
    assert_eq!(Money::from_micros(i128::MAX).times(2), None);
}

#[test]
fn timestamps_order_and_print() {
    let a: Timestamp = "2024-04-08".parse().unwrap();
    let b: Timestamp = "2024-04-08T00:00:00.001Z".parse().unwrap();
    assert!(a < b);
    assert_eq!(b.millis_since(a), 1);
    assert_eq!(a.to_string(), "2024-04-08T00:00:00Z");
}
