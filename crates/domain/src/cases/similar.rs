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

/// Dice coefficient of two texts' bigrams: 2·|A∩B| / (|A|+|B|).
pub fn dice(a: &str, b: &str) -> f64 {
    let (a, b) = (bigrams(a), bigrams(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    2.0 * a.intersection(&b).count() as f64 / (a.len() + b.len()) as f64
}

/// Two texts this similar are shown to the registering staff member as a
/// likely duplicate.
pub const LIKELY_DUPLICATE: f64 = 0.35;

#[cfg(test)]
mod tests {
    use super::*;

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
