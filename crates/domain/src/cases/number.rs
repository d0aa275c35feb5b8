//! Case numbers people can read out on the phone, and tracking codes the
//! public keeps secret (SPEC CASE-2).

/// `TY-2026-000123`: organisation code, year of registration, a sequence
/// number per organisation and year.
pub fn case_number(org_code: &str, year: i32, seq: i64) -> String {
    format!("{org_code}-{year}-{seq:06}")
}

/// Crockford's base-32 alphabet: no I, L, O or U to misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A tracking code from 20 random bytes: 32 characters (160 bits) shown
/// in groups of four, e.g. `7K2M-…`. Only its hash is stored.
pub fn tracking_code(random: &[u8; 20]) -> String {
    let mut bits: u128 = 0;
    let mut nbits = 0;
    let mut out = String::with_capacity(40);
    for &b in random {
        bits = (bits << 8) | b as u128;
        nbits += 8;
        while nbits >= 5 {
            nbits -= 5;
            let i = ((bits >> nbits) & 31) as usize;
            if !out.is_empty() && out.chars().filter(|c| *c != '-').count() % 4 == 0 {
                out.push('-');
            }
            out.push(ALPHABET[i] as char);
        }
    }
    out
}

/// Normalises what a person typed: case, spaces, dashes, and the letters
/// Crockford maps (O→0, I/L→1). Returns `None` if it cannot be a code.
pub fn normalise_tracking_code(input: &str) -> Option<String> {
    let mut out = String::new();
    for c in input.chars().filter(|c| !matches!(c, '-' | ' ')) {
        let c = match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c if ALPHABET.contains(&(c as u8)) && c.is_ascii() => c,
            _ => return None,
        };
        if !out.is_empty() && out.chars().filter(|c| *c != '-').count() % 4 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    (out.chars().filter(|c| *c != '-').count() == 32).then_some(out)
}

/// A spoken code: eight digits a desk can read out to a caller, shown as
/// `1234 5678`. With the case number it tracks the case by phone or on the
/// web. Eight digits are guessable in bulk, so each case takes only
/// [`SPOKEN_CODE_TRIES`] wrong ones before its spoken code stops working
/// (the full code still works), on top of the per-client limit.
pub fn spoken_code(random: u32) -> String {
    let n = random % 100_000_000;
    format!("{:04} {:04}", n / 10_000, n % 10_000)
}

/// Wrong spoken codes a case takes before its spoken code is locked.
pub const SPOKEN_CODE_TRIES: i64 = 10;

/// The eight digits of a spoken code as typed (spaces and dashes allowed),
/// or `None` when it is not one.
pub fn normalise_spoken_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    (digits.len() == 8 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// Whether a case registered through `channel` gets a spoken code: the
/// caller on the line or the visitor at the desk hears it; a web, letter
/// or forwarded case has no one to read it to.
pub fn speaks_code(channel: super::Channel, registered_by_a_person: bool) -> bool {
    registered_by_a_person
        && matches!(channel, super::Channel::Hotline | super::Channel::Hotline95598 | super::Channel::WalkIn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spoken_codes_are_eight_digits_read_in_two_groups() {
        assert_eq!(spoken_code(12_345_678), "1234 5678");
        assert_eq!(spoken_code(42), "0000 0042");
        assert_eq!(spoken_code(u32::MAX), "9496 7295");
        assert_eq!(normalise_spoken_code(" 1234-5678 ").as_deref(), Some("12345678"));
        assert_eq!(normalise_spoken_code("1234 567"), None);
        assert_eq!(normalise_spoken_code("1234 567X"), None);
        assert_eq!(normalise_spoken_code("7K2M-7K2M"), None, "a full code's group is not digits");
        assert!(speaks_code(super::super::Channel::Hotline, true));
        assert!(!speaks_code(super::super::Channel::Hotline, false), "no desk, no one to read it");
        assert!(!speaks_code(super::super::Channel::Web, true));
    }

    #[test]
    fn numbers_are_padded_per_year() {
        assert_eq!(case_number("TY", 2026, 123), "TY-2026-000123");
    }

    #[test]
    fn tracking_codes_carry_160_bits_in_groups_of_four() {
        let code = tracking_code(&[0xff; 20]);
        assert_eq!(code.len(), 32 + 7);
        assert!(code.split('-').all(|g| g.len() == 4));
        assert_ne!(tracking_code(&[1; 20]), tracking_code(&[2; 20]));
    }

    #[test]
    fn typed_codes_are_normalised() {
        let code = tracking_code(&[7; 20]);
        let typed = code.to_lowercase().replace('-', " ");
        assert_eq!(normalise_tracking_code(&typed), Some(code));
        assert_eq!(normalise_tracking_code("too short"), None);
        assert_eq!(normalise_tracking_code(&"Ü".repeat(32)), None);
    }
}
