//! Small value checks shared by every feature: bounded names, codes, phones.

use serde::Serialize;

/// One problem with one input field, as shown to API clients and on forms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A required, trimmed piece of text of at most `max` characters.
pub fn required(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "必填 / required"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, format!("最多 {max} 个字符 / at most {max} characters")));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(field, "含有控制字符 / contains control characters"));
    }
    if v.chars().any(noncharacter) {
        return Err(FieldError::new(field, "含有无效字符 / contains characters that are not text"));
    }
    Ok(v.to_string())
}

/// Unicode's noncharacters (U+FFFE, U+FFFF, U+FDD0–U+FDEF and the last two
/// of every plane): never text, and XML 1.0 forbids some of them, so one of
/// them in a stored description would break every XML answer after it.
fn noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

/// A required piece of text of several lines (a complaint letter has
/// paragraphs): line breaks are kept, `\r\n` and `\r` becoming `\n`; tabs
/// become spaces; any other control character is refused.
pub fn multiline(field: &str, value: &str, max: usize) -> Result<String, FieldError> {
    let normalised = value.replace("\r\n", "\n").replace('\r', "\n").replace('\t', " ");
    // Each line is checked as one-line text would be; blank lines are kept.
    let lines: Vec<&str> = normalised.trim().lines().map(str::trim_end).collect();
    let text = lines.join("\n");
    if text.is_empty() {
        return Err(FieldError::new(field, "必填 / required"));
    }
    if text.chars().count() > max {
        return Err(FieldError::new(field, format!("最多 {max} 个字符 / at most {max} characters")));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(field, "含有控制字符 / contains control characters"));
    }
    if text.chars().any(noncharacter) {
        return Err(FieldError::new(field, "含有无效字符 / contains characters that are not text"));
    }
    Ok(text)
}

/// Text made safe for XML 1.0: the characters it forbids (control
/// characters other than tab and line breaks, U+FFFE, U+FFFF) become U+FFFD,
/// so that old data can never make a document ill-formed.
pub fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad =
        |c: char| (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || matches!(c as u32, 0xFFFE | 0xFFFF);
    if s.chars().any(bad) {
        std::borrow::Cow::Owned(s.chars().map(|c| if bad(c) { '\u{FFFD}' } else { c }).collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

#[cfg(test)]
mod multiline_tests {
    use super::*;

    #[test]
    fn a_letter_keeps_its_paragraphs_and_nothing_else_slips_in() {
        assert_eq!(
            multiline("d", "第一段\r\n\r\n第二段\r第三段  \n", 100).unwrap(),
            "第一段\n\n第二段\n第三段"
        );
        assert_eq!(multiline("d", "a\tb", 100).unwrap(), "a b");
        assert!(multiline("d", "a\u{0007}b", 100).is_err(), "a bell is not text");
        assert!(multiline("d", "a\u{FFFE}b", 100).is_err(), "nor is U+FFFE");
        assert!(required("d", "a\u{FFFF}", 100).is_err());
        assert!(multiline("d", " \r\n ", 100).is_err(), "blank is empty");
        assert_eq!(xml_safe("a\u{FFFE}b\u{0001}c\nd"), "a\u{FFFD}b\u{FFFD}c\nd");
        assert!(matches!(xml_safe("fine"), std::borrow::Cow::Borrowed(_)));
    }
}

/// A code (unit code, employee number, service point code): letters, digits,
/// `-` and `_`, 1..=32 characters. Codes appear in URLs and file names, so they
/// are kept to a safe alphabet.
pub fn code(field: &str, value: &str) -> Result<String, FieldError> {
    let v = required(field, value, 32)?;
    if v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(v)
    } else {
        Err(FieldError::new(field, "只能包含字母、数字、- 和 _ / only letters, digits, - and _"))
    }
}

/// An optional trimmed text: empty becomes `None`.
pub fn optional(field: &str, value: &str, max: usize) -> Result<Option<String>, FieldError> {
    if value.trim().is_empty() { Ok(None) } else { required(field, value, max).map(Some) }
}

/// A mainland phone number as people write it: digits with optional `+`,
/// spaces and dashes; 5 to 20 digits.
pub fn phone(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let digits: String = v.chars().filter(|c| c.is_ascii_digit()).collect();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '));
    if !allowed || !(5..=20).contains(&digits.len()) {
        return Err(FieldError::new(field, "电话号码格式不正确 / not a phone number"));
    }
    Ok(digits)
}

/// Masks a phone number for display: `13812341234` → `138****1234`.
/// Short numbers keep only their last two digits.
pub fn mask_phone(digits: &str) -> String {
    let chars: Vec<char> = digits.chars().collect();
    if chars.len() >= 7 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        let keep = chars.len().min(2);
        let tail: String = chars[chars.len() - keep..].iter().collect();
        format!("{}{tail}", "*".repeat(chars.len() - keep))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_masked_in_the_middle() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("12345"), "***45");
    }

    #[test]
    fn codes_reject_spaces_and_markup() {
        assert!(code("code", "TY-01").is_ok());
        assert_eq!(code("code", "a b").unwrap_err().field, "code");
        assert!(code("code", "<script>").is_err());
        assert!(code("code", "").is_err());
    }

    #[test]
    fn required_text_is_trimmed_and_bounded() {
        assert_eq!(required("name", "  张三 ", 10).unwrap(), "张三");
        assert!(required("name", "张三张三张三", 5).is_err());
        assert!(required("name", "a\u{0007}", 5).is_err());
    }

    #[test]
    fn phones_keep_digits_only() {
        assert_eq!(phone("phone", "138-1234 1234").unwrap(), "13812341234");
        assert!(phone("phone", "call me").is_err());
    }
}

/// Whether `text` names a reporter (their name, two characters or more) or
/// gives their phone (its digits, however spaced, or its last eight).
pub fn names_reporter(text: &str, name: Option<&str>, phone: Option<&str>) -> bool {
    let named = name.map(str::trim).is_some_and(|n| n.chars().count() >= 2 && text.contains(n));
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let dialled =
        phone.map(|p| p.chars().filter(char::is_ascii_digit).collect::<String>()).is_some_and(|p| {
            p.len() >= 7 && (digits.contains(&p) || digits.contains(&p[p.len().saturating_sub(8)..]))
        });
    named || dialled
}

/// `text` with every run of seven digits or more masked as a phone is
/// (`138****5678`): what a public page shows of words an office wrote.
pub fn mask_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.len() >= 7 {
            out.push_str(&mask_phone(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in text.chars() {
        if c.is_ascii_digit() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

#[cfg(test)]
mod reporter_tests {
    use super::*;

    #[test]
    fn a_reporter_is_found_by_name_or_phone_however_written() {
        let (name, phone) = (Some("王金丝"), Some("13912345678"));
        assert!(names_reporter("感谢王金丝乘客的来电", name, phone));
        assert!(names_reporter("来电 139-1234-5678 反映", name, phone));
        assert!(names_reporter("尾号 12345678", name, phone));
        assert!(!names_reporter("一位乘客来电反映", name, phone));
        assert!(!names_reporter("王", Some("王"), None), "a single character is not a name");
    }

    #[test]
    fn long_numbers_are_masked_short_ones_kept() {
        assert_eq!(mask_numbers("电话13912345678，2026年"), "电话139****5678，2026年");
    }
}
