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

// --- GS1 element strings (AIs 00, 01, 10, 17, 21) -----------------------------------------

use invsync_core::gs1::{Ai, Element, ElementErrorKind, ElementString, ElementStringError, resolve_century};

const GS: char = '\u{1d}';

#[track_caller]
fn parse(text: &str) -> ElementString {
    ElementString::parse(text, 2026).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

#[track_caller]
fn parse_err(text: &str) -> ElementStringError {
    match ElementString::parse(text, 2026) {
        Ok(v) => panic!("{text:?} parsed as {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn element_string_human_readable() {
    let es = parse("(01)09501101020917(17)250101(10)ABC123");
    assert_eq!(es.gtin().map(|g| g.as_str()), Some("09501101020917"));
    let exp = es.expiry().unwrap();
    assert_eq!((exp.year(), exp.month(), exp.day(), exp.day_given()), (2025, 1, 1, true));
    assert_eq!(es.batch(), Some("ABC123"));
    assert_eq!(es.serial(), None);
    assert_eq!(es.sscc(), None);
    let ais: Vec<Ai> = es.elements().iter().map(Element::ai).collect();
    assert_eq!(ais, [Ai::Gtin, Ai::Expiry, Ai::Batch]);
}

#[test]
fn element_string_transmitted_forms_agree_with_human_readable() {
    let human = parse("(00)376130321109103420(01)98765432109213(10)L-7/x(21)SN.0042(17)300600");
    let plain = format!("{}{}10L-7/x{GS}21SN.0042{GS}17300600", "00376130321109103420", "0198765432109213");
    for prefix in ["", "]C1", "]d2", "]Q3", "\u{1d}"] {
        assert_eq!(parse(&format!("{prefix}{plain}")), human, "prefix {prefix:?}");
    }
    assert_eq!(human.sscc().map(|s| s.as_str()), Some("376130321109103420"));
    assert_eq!(human.serial(), Some("SN.0042"));
    // A trailing separator after the last variable field, and one after a fixed field, are tolerated.
    assert_eq!(parse(&format!("0198765432109213{GS}10ABC{GS}")), parse("(01)98765432109213(10)ABC"));
}

#[test]
fn element_string_round_trips() {
    for text in [
        "(01)09501101020917(17)250101(10)ABC123",
        "(00)376130321109103420",
        "(10)!\"%&'*+,-./:;<=>?_z(21)0(01)05901234123457(17)240200",
    ] {
        let es = parse(text);
        assert_eq!(es.to_string(), text);
        let transmitted = es.to_transmitted();
        assert_eq!(parse(&transmitted), es, "{transmitted:?}");
        assert_eq!(parse(&format!("]C1{transmitted}")).to_string(), text);
    }
    assert_eq!(parse("(10)A(21)B(17)250101").to_transmitted(), format!("10A{GS}21B{GS}17250101"));
    assert_eq!(parse("(17)250101(10)A").to_transmitted(), "1725010110A");
}

#[test]
fn element_string_check_digits_follow_oracle_b() {
    // GTIN-13 and GTIN-12 from docs/oracles.md B, padded to 14 digits for AI 01.
    for gtin in ["05901234123457", "00614141000036", "98765432109213", "00000096385074"] {
        assert_eq!(parse(&format!("(01){gtin}")).gtin().map(|g| g.as_str()), Some(gtin));
    }
    assert!(parse("00157035381410375177").sscc().is_some());
    let e = parse_err("(01)05901234123458");
    assert_eq!(
        e,
        ElementStringError {
            offset: 17,
            ai: Some(Ai::Gtin),
            kind: ElementErrorKind::CheckDigit { found: 8, expected: 7 }
        }
    );
    let e = parse_err("]C100376130321109103421");
    assert_eq!((e.offset, e.ai, e.kind), (22, Some(Ai::Sscc), ElementErrorKind::CheckDigit { found: 1, expected: 0 }));
}

#[test]
fn element_string_day_zero_is_last_day_of_month() {
    for (yymmdd, year, month, day) in [
        ("240200", 2024, 2, 29),
        ("250200", 2025, 2, 28),
        ("000200", 2000, 2, 29),
        ("250400", 2025, 4, 30),
        ("251200", 2025, 12, 31),
    ] {
        let d = parse(&format!("(17){yymmdd}")).expiry().unwrap();
        assert_eq!((d.year(), d.month(), d.day(), d.day_given()), (year, month, day, false), "{yymmdd}");
    }
    // Round trip keeps 00 rather than writing the resolved day.
    assert_eq!(parse("(17)250200").to_string(), "(17)250200");
}

#[test]
fn element_string_century_sliding_window() {
    // YY - current two digits: 51..=99 -> previous century, -99..=-50 -> next, else current.
    assert_eq!(resolve_century(76, 2026), 2076); // +50
    assert_eq!(resolve_century(77, 2026), 1977); // +51
    assert_eq!(resolve_century(99, 2000), 1999); // +99
    assert_eq!(resolve_century(26, 2026), 2026);
    assert_eq!(resolve_century(31, 2080), 2031); // -49
    assert_eq!(resolve_century(30, 2080), 2130); // -50
    assert_eq!(resolve_century(0, 2099), 2100); // -99
    let d = ElementString::parse("(17)770101", 2026).unwrap().expiry().unwrap();
    assert_eq!(d.year(), 1977);
    // 2100 is not a leap year: 29 February 00 exists with reference 2026 (2000) but not 2080 (2100).
    assert_eq!(ElementString::parse("(17)000229", 2026).unwrap().expiry().unwrap().year(), 2000);
    let e = ElementString::parse("(17)000229", 2080).unwrap_err();
    assert_eq!((e.offset, e.kind), (8, ElementErrorKind::BadDate("day past the end of the month")));
    // Extreme reference years give an answer, not an overflow.
    for reference in [i32::MAX, i32::MIN, 0, -1] {
        assert!(ElementString::parse("(17)990100", reference).is_ok(), "{reference}");
        assert!(ElementString::parse("(17)000100", reference).is_ok(), "{reference}");
    }
    assert_eq!(resolve_century(0, -1), 0);
    let d = ElementString::parse("(17)000200", 2080).unwrap().expiry().unwrap();
    assert_eq!((d.year(), d.day()), (2100, 28));
}

#[test]
fn element_string_errors_are_typed_and_positioned() {
    use ElementErrorKind as K;
    let cases: Vec<(String, usize, Option<Ai>, K)> = vec![
        ("(99)ABC".into(), 1, None, K::UnknownAi("99".into())),
        ("]C1(01)09501101020917".into(), 3, None, K::BadChar('(')),
        ("]d2990001".into(), 3, None, K::UnknownAi("99".into())),
        ("(01)0950110102091".into(), 4, Some(Ai::Gtin), K::Length { allowed: "exactly 14 digits", found: 13 }),
        ("01095011010209".into(), 2, Some(Ai::Gtin), K::Length { allowed: "exactly 14 digits", found: 12 }),
        (format!("0109501101{GS}10A"), 2, Some(Ai::Gtin), K::Length { allowed: "exactly 14 digits", found: 8 }),
        ("(17)2501011".into(), 4, Some(Ai::Expiry), K::Length { allowed: "exactly 6 digits", found: 7 }),
        ("(10)".into(), 4, Some(Ai::Batch), K::Length { allowed: "1 to 20", found: 0 }),
        ("(21)123456789012345678901".into(), 4, Some(Ai::Serial), K::Length { allowed: "1 to 20", found: 21 }),
        ("(10)AB#C".into(), 6, Some(Ai::Batch), K::BadChar('#')),
        ("(21)A B".into(), 5, Some(Ai::Serial), K::BadChar(' ')),
        ("(10)Aé".into(), 5, Some(Ai::Batch), K::BadChar('é')),
        (format!("(10)A{GS}B"), 5, Some(Ai::Batch), K::BadChar(GS)),
        ("010950110102091A".into(), 15, Some(Ai::Gtin), K::BadChar('A')),
        ("01é".into(), 2, Some(Ai::Gtin), K::BadChar('é')),
        ("1A".into(), 1, None, K::BadChar('A')),
        ("(17)251301".into(), 6, Some(Ai::Expiry), K::BadDate("month not 01 to 12")),
        ("(17)250001".into(), 6, Some(Ai::Expiry), K::BadDate("month not 01 to 12")),
        ("(17)250230".into(), 8, Some(Ai::Expiry), K::BadDate("day past the end of the month")),
        ("(17)250431".into(), 8, Some(Ai::Expiry), K::BadDate("day past the end of the month")),
        ("(10)A(21)B(10)C".into(), 11, Some(Ai::Batch), K::DuplicateAi),
        ("0109501101020917010950110102091".into(), 16, Some(Ai::Gtin), K::DuplicateAi),
        ("10LOT12321SERIAL0123456789".into(), 22, Some(Ai::Batch), K::MissingSeparator),
        ("]E0010950110102091".into(), 0, None, K::Symbology),
        ("]C".into(), 0, None, K::Symbology),
        ("".into(), 0, None, K::Empty),
        ("]Q3".into(), 3, None, K::Empty),
        ("(01".into(), 0, None, K::Parenthesis),
    ];
    for (text, offset, ai, kind) in cases {
        let e = parse_err(&text);
        assert_eq!(e, ElementStringError { offset, ai, kind }, "{text:?}");
        assert!(e.to_string().contains(&format!("byte {offset}")), "{e}");
    }
}

#[test]
fn element_string_never_panics_on_mangled_input() {
    let good = format!("]C1{}{}{}10AB-1{GS}21X", "00376130321109103420", "0109501101020917", "17250200");
    let bytes = good.as_bytes();
    let mut parsed = 0;
    for cut in 0..=bytes.len() {
        for replacement in [b'0', b'9', b'(', b')', 0x1d, b'A', b' '] {
            let mut mangled = bytes[..cut].to_vec();
            if cut < bytes.len() {
                mangled.push(replacement);
                mangled.extend_from_slice(&bytes[cut + 1..]);
            }
            let text = String::from_utf8(mangled).unwrap();
            if let Ok(es) = ElementString::parse(&text, 2026) {
                parsed += 1;
                // A value holding '(' has no unambiguous human-readable form (documented).
                if !es.batch().unwrap_or("").contains('(') && !es.serial().unwrap_or("").contains('(') {
                    assert_eq!(ElementString::parse(&es.to_string(), 2026), Ok(es.clone()), "{text:?}");
                }
                assert_eq!(ElementString::parse(&es.to_transmitted(), 2026), Ok(es), "{text:?}");
            }
        }
    }
    assert!(parsed > 0);
}
