//! Likely duplicates (多头投诉, SPEC CASE-6) and Chinese search terms.
//!
//! Chinese has no spaces, so text is cut into overlapping character pairs
//! (bigrams): 态度很差 → 态度, 度很, 很差. Two texts about the same incident
//! share many pairs; a two-character query such as 绕道 is one pair and
//! finds every text containing it through an ordinary index.

use std::collections::BTreeSet;

/// Characters that carry meaning: letters and digits of any script.
fn meaningful(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The distinct bigrams of `text` (a one-character text gives itself).
pub fn bigrams(text: &str) -> BTreeSet<String> {
    let chars = meaningful(text);
    if chars.len() == 1 {
        return [chars[0].to_string()].into();
    }
    chars.windows(2).map(|w| w.iter().collect()).collect()
}

/// A text's distinct bigrams as sorted character pairs, for comparing
/// texts without building strings or hashing (a one-character text is the
/// pair of it and nothing). Duplicate probing compares a new text with a
/// few hundred recent ones.
#[derive(Debug, Clone, Default)]
pub struct Pairs(Vec<(char, char)>);

impl Pairs {
    pub fn of(text: &str) -> Pairs {
        let chars = meaningful(text);
        let mut pairs: Vec<(char, char)> = if chars.len() == 1 {
            vec![(chars[0], '\0')]
        } else {
            chars.windows(2).map(|w| (w[0], w[1])).collect()
        };
        pairs.sort_unstable();
        pairs.dedup();
        Pairs(pairs)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Dice coefficient with `other`: 2·|A∩B| / (|A|+|B|).
    pub fn dice(&self, other: &Pairs) -> f64 {
        if self.0.is_empty() || other.0.is_empty() {
            return 0.0;
        }
        let (mut i, mut j, mut both) = (0, 0, 0);
        while i < self.0.len() && j < other.0.len() {
            match self.0[i].cmp(&other.0[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    both += 1;
                    i += 1;
                    j += 1;
                }
            }
        }
        2.0 * both as f64 / (self.0.len() + other.0.len()) as f64
    }
}

/// Dice coefficient of two texts' bigrams: 2·|A∩B| / (|A|+|B|).
pub fn dice(a: &str, b: &str) -> f64 {
    Pairs::of(a).dice(&Pairs::of(b))
}

/// Two texts this similar are shown to the registering staff member as a
/// likely duplicate.
pub const LIKELY_DUPLICATE: f64 = 0.35;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_counts_shared_distinct_pairs() {
        // 态度很差 → 态度 度很 很差; 态度太差了 → 态度 度太 太差 差了: one shared of 3 + 4.
        assert!((dice("态度很差", "态度太差了") - 2.0 / 7.0).abs() < 1e-9);
        assert_eq!(dice("好好好", "好好"), 1.0, "repeated pairs count once");
        assert_eq!(dice("a", "a"), 1.0);
        assert_eq!(dice("a", "ab"), 0.0);
        assert_eq!(dice("", "ab"), 0.0);
    }

    #[test]
    fn two_character_terms_are_one_search_term() {
        assert_eq!(bigrams("绕道"), ["绕道".to_string()].into());
        assert!(bigrams("司机故意绕道，多收费").contains("绕道"));
        assert!(bigrams("Toll Booth").contains("lb"), "latin text is lower-cased");
    }

    #[test]
    fn the_same_incident_told_twice_is_similar_and_another_is_not() {
        let a = "出口2号车道收费员态度恶劣，还扔卡";
        let b = "2号车道的收费员态度很恶劣，把卡扔给我";
        let c = "便民服务亭没有热水";
        assert!(dice(a, b) >= LIKELY_DUPLICATE, "{}", dice(a, b));
        assert!(dice(a, c) < 0.1, "{}", dice(a, c));
    }
}
