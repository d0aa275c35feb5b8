//! Money: every amount — a fine, a reward, a total — is a whole number of
//! fen (分, a hundredth of a yuan), never a float. Packs and forms write
//! yuan (`200`, `200.5`, `200-500`); pages show yuan with two decimals.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Neg};

/// An amount in fen. Stored and written to JSON as the integer it is.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Fen(i64);

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub const fn new(fen: i64) -> Fen {
        Fen(fen)
    }

    /// The whole number of fen, as the database keeps it.
    pub const fn fen(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `200` or `200.50` yuan (a trailing 元 allowed) → 20000 fen. Negative
    /// amounts, more than two decimals and absurd amounts are refused.
    pub fn parse_yuan(s: &str) -> Option<Fen> {
        let s = s.trim().trim_end_matches('元').trim();
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || whole.len() > 9 {
            return None;
        }
        if frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let frac: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().ok()? };
        Some(Fen(whole * 100 + frac))
    }

    /// An amount or a range in yuan (`200`, `200-500`) → `(min, max)`.
    pub fn parse_yuan_range(s: &str) -> Option<(Fen, Fen)> {
        let s = s.trim().trim_end_matches('元');
        match s.split_once(['-', '–', '~']) {
            Some((a, b)) => {
                let (a, b) = (Fen::parse_yuan(a)?, Fen::parse_yuan(b)?);
                (a <= b).then_some((a, b))
            }
            None => Fen::parse_yuan(s).map(|v| (v, v)),
        }
    }
}

impl From<i64> for Fen {
    fn from(fen: i64) -> Fen {
        Fen(fen)
    }
}

/// In yuan with two decimals: 20050 fen → `200.50`.
impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, other: Fen) -> Fen {
        Fen(self.0 + other.0)
    }
}

/// A reversal books the amount back.
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::Fen;

    #[test]
    fn money_is_integer_fen() {
        assert_eq!(Fen::parse_yuan("200"), Some(Fen::new(20000)));
        assert_eq!(Fen::parse_yuan("200.5"), Some(Fen::new(20050)));
        assert_eq!(Fen::parse_yuan("0.05"), Some(Fen::new(5)));
        assert_eq!(Fen::parse_yuan("300元"), Some(Fen::new(30000)));
        assert_eq!(Fen::parse_yuan("-1"), None);
        assert_eq!(Fen::parse_yuan("2e3"), None);
        assert_eq!(Fen::parse_yuan("1.234"), None);
        assert_eq!(Fen::parse_yuan_range("200-500"), Some((Fen::new(20000), Fen::new(50000))));
        assert_eq!(Fen::parse_yuan_range("500-200"), None);
        assert_eq!(Fen::new(20050).to_string(), "200.50");
        assert_eq!((-Fen::new(5)).to_string(), "-0.05");
        assert_eq!([Fen::new(1), Fen::new(2)].into_iter().sum::<Fen>(), Fen::new(3));
        assert_eq!(serde_json::to_string(&Fen::new(20050)).unwrap(), "20050", "JSON keeps the integer");
    }
}
