//! docs/oracles.md section B: GS1 check digits and lengths.

use invsync_core::gs1::{self, Gln, Gs1Error, Gs1Kind, Gtin, Sscc};

#[track_caller]
fn check_valid(text: &str, kind: Gs1Kind) {
    let ok = match kind {
        Gs1Kind::Gln => Gln::new(text).map(|g| g.kind()),
        Gs1Kind::Sscc => Sscc::new(text).map(|g| g.kind()),
        _ => Gtin::new(text).map(|g| g.kind()),
    };
    assert_eq!(ok, Ok(kind), "{text}");
}

#[test]
fn b_valid_keys() {
    for (text, kind) in [
        ("96385074", Gs1Kind::Gtin8),
        ("73513537", Gs1Kind::Gtin8),
        ("614141000036", Gs1Kind::Gtin12),
        ("036000291452", Gs1Kind::Gtin12),
        ("5901234123457", Gs1Kind::Gtin13),
        ("7300011000017", Gs1Kind::Gtin13),
        ("8904000210037", Gs1Kind::Gtin13),
        ("98765432109213", Gs1Kind::Gtin14),
        ("1234567890128", Gs1Kind::Gln),
        ("9436465792104", Gs1Kind::Gln),
        ("376130321109103420", Gs1Kind::Sscc),
        ("157035381410375177", Gs1Kind::Sscc),
    ] {
        check_valid(text, kind);
    }
}

#[test]
fn b_check_digits() {
    for (payload, check) in
        [("629104150021", 3), ("37610425002123456", 9), ("703801005447", 1), ("950110153100", 0), ("708000382434", 9)]
    {
        assert_eq!(gs1::check_digit(payload), Ok(check), "{payload}");
    }
}

#[test]
fn b_invalid_keys() {
    assert!(matches!(Gtin::new("5901234123458"), Err(Gs1Error::CheckDigit { found: 8, expected: 7, .. })));
    assert!(matches!(Gln::new("1234567890127"), Err(Gs1Error::CheckDigit { .. })));
    assert!(matches!(Sscc::new("376130321109103421"), Err(Gs1Error::CheckDigit { .. })));
    for bad_len in ["1234567", "123456789", "12345678901", "123456789012345"] {
        assert!(matches!(Gtin::new(bad_len), Err(Gs1Error::Length { .. })), "{bad_len}");
    }
    assert!(matches!(Gln::new("96385074"), Err(Gs1Error::Length { .. })));
    assert!(matches!(Sscc::new("5901234123457"), Err(Gs1Error::Length { .. })));
    assert!(matches!(Gtin::new("5901234l23457"), Err(Gs1Error::NotDigits { position: 7, .. })));
    assert!(gs1::check_digit("").is_err());
}
