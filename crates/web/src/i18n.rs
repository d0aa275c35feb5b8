//! Chinese first, English on request. The language is a cookie set by
//! `/lang/{zh|en}`; every page gets a [`Tr`] to look words up with.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use chuangkou_domain::Labelled;

use crate::cookies::cookie;
use crate::words::{EVENT_WORDS, WORDS};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// The translator handed to templates: `{{ tr.t("nav.staff") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match catalogue().get(key) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => {
                debug_assert!(false, "no words for {key:?} in the catalogue");
                "??"
            }
        }
    }

    /// Why a case looks like a duplicate, in words ("同一电话、内容相似").
    pub fn dup_reasons(&self, reasons: &[&str]) -> String {
        let words: Vec<&str> = reasons
            .iter()
            .map(|r| match *r {
                "phone" => self.t("dup.phone"),
                "service_point" => self.t("dup.point"),
                "plate" => self.t("dup.plate"),
                "text" => self.t("dup.text"),
                other => other,
            })
            .collect();
        words.join(self.pick("、", ", "))
    }

    /// The words for `key` when the catalogue has them: for keys made from
    /// what a request says (`?done=…`), which may name nothing.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        catalogue().get(key).map(|(zh, en)| self.pick(zh, en))
    }

    /// A sentence with one value in it: `{0}` in the catalogue's text.
    pub fn f1(&self, key: &str, a: impl std::fmt::Display) -> String {
        self.t(key).replace("{0}", &a.to_string())
    }

    /// The colon after a label: full-width in Chinese.
    pub fn colon(&self) -> &'static str {
        self.pick("：", ": ")
    }

    /// A value in brackets after a word: full-width in Chinese.
    pub fn paren(&self, x: impl std::fmt::Display) -> String {
        if self.is_en() { format!(" ({x})") } else { format!("（{x}）") }
    }

    /// A sentence with two values in it: `{0}` and `{1}`.
    pub fn f2(&self, key: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
        self.f1(key, a).replace("{1}", &b.to_string())
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The label of a domain value in this language.
    pub fn label(&self, x: impl Labelled) -> &'static str {
        if self.is_en() { x.label_en() } else { x.label_zh() }
    }

    /// `(code, label)` pairs for a form's choices.
    pub fn choices<L: Labelled>(&self, all: &[L]) -> Vec<(String, String)> {
        all.iter().map(|x| (x.code().to_string(), self.label(x).to_string())).collect()
    }

    /// Picks between a Chinese and an English label from the domain.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.is_en() { en } else { zh }
    }
}

tokio::task_local! {
    /// The language of the request being served (set in `frame`).
    pub static LANG: Lang;
}

impl Tr {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Tr {
        let lang = match cookie(headers, "ck_lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        };
        Tr { lang }
    }

    /// The language of the request this task serves; Chinese outside one.
    pub fn current() -> Tr {
        Tr { lang: LANG.try_with(|l| *l).unwrap_or(Lang::Zh) }
    }

    /// One side of a message written "中文 / English", as the domain and the
    /// store write their refusals; a message without both sides is kept whole.
    pub fn msg(&self, message: &str) -> String {
        let ideograph = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for (i, _) in message.match_indices(" / ") {
            let (zh, en) = (&message[..i], &message[i + 3..]);
            if ideograph(zh) && !ideograph(en) {
                return self.pick(zh, en).to_string();
            }
        }
        message.to_string()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Tr::from_headers(&parts.headers))
    }
}

/// The catalogue by key, built once: pages look up dozens of words each.
fn catalogue() -> &'static std::collections::HashMap<&'static str, (&'static str, &'static str)> {
    static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, (&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| WORDS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect())
}

impl Tr {
    /// An event kind in words in the reader's language.
    pub fn event(&self, kind: &str) -> String {
        EVENT_WORDS
            .iter()
            .find(|w| w.0 == kind)
            .map_or_else(|| kind.to_string(), |w| self.pick(w.1, w.2).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (k, zh, en) in WORDS {
            assert!(keys.insert(k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(Tr { lang: Lang::En }.t("nav.staff"), "Staff");
        assert_eq!(Tr { lang: Lang::Zh }.t("nav.staff"), "人员");
    }

    fn sources(dir: &std::path::Path, ext: &str, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, ext, out);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }

    /// Chinese text, full-width punctuation included.
    fn chinese(c: char) -> bool {
        ('\u{4e00}'..='\u{9fff}').contains(&c)
            || ('\u{3000}'..='\u{303f}').contains(&c)
            || ('\u{ff00}'..='\u{ffef}').contains(&c)
    }

    /// Templates hold no words of their own: every word comes from the
    /// catalogue by a key that exists, so a page is wholly in one language.
    #[test]
    fn templates_take_every_word_from_the_catalogue() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![];
        sources(&root.join("templates"), "html", &mut files);
        sources(&root.join("src"), "rs", &mut files);
        assert!(files.len() > 30);
        let mut problems = vec![];
        for (path, text) in &files {
            if path.ends_with(".html") {
                for (n, line) in text.lines().enumerate() {
                    if line.chars().any(chinese) {
                        problems.push(format!("{path}:{}: words outside the catalogue: {line}", n + 1));
                    }
                }
            }
            for call in ["tr.t(\"", "tr.f1(\"", "tr.f2(\""] {
                for piece in text.split(call).skip(1) {
                    let key = piece.split('"').next().unwrap();
                    if !catalogue().contains_key(key) {
                        problems.push(format!("{path}: no words for the key {key:?}"));
                    }
                }
            }
        }
        for (k, zh, en) in WORDS {
            // The switch names the other language in its own words.
            if *k != "lang.switch" && en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                problems.push(format!("{k}: the English words are Chinese: {en}"));
            }
            if !zh.chars().any(chinese) && zh != en && !zh.is_ascii() {
                problems.push(format!("{k}: no Chinese: {zh}"));
            }
            for hole in ["{0}", "{1}"] {
                if zh.contains(hole) != en.contains(hole) {
                    problems.push(format!("{k}: {hole} in one language only"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_two_sided_message_shows_the_reader_s_side() {
        let (zh, en) = (Tr { lang: Lang::Zh }, Tr { lang: Lang::En });
        let m = "只能包含字母、数字、- 和 _ / only letters, digits, - and _";
        assert_eq!(zh.msg(m), "只能包含字母、数字、- 和 _");
        assert_eq!(en.msg(m), "only letters, digits, - and _");
        assert_eq!(en.msg("工号, 日期 / 类型 / staff no."), "staff no.", "the split is where English begins");
        assert_eq!(en.msg("plain words"), "plain words");
    }

    /// Every event kind the store writes (a literal `"case.replied"` and
    /// the like in its source) has words for people.
    #[test]
    fn every_event_the_store_writes_has_words() {
        const PREFIXES: &[&str] = &[
            "api_token",
            "assessment",
            "case",
            "fact",
            "fine",
            "inspection",
            "ledger",
            "organisation",
            "questionnaire",
            "rating",
            "ratings",
            "rectification",
            "report",
            "service_point",
            "staff",
            "survey",
            "unit",
            "user",
            "vehicle",
            "volumes",
        ];
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let mut sources = vec![];
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/src"), &mut sources);
        let mut missing = vec![];
        for src in &sources {
            for lit in src.split('"').skip(1).step_by(2) {
                let Some((prefix, rest)) = lit.split_once('.') else { continue };
                let is_kind = PREFIXES.contains(&prefix)
                    && !rest.is_empty()
                    && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if is_kind && rest != "csv" && !EVENT_WORDS.iter().any(|w| w.0 == lit) {
                    missing.push(lit.to_string());
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "events without words: {missing:?}");
        assert_eq!(Tr { lang: Lang::Zh }.event("case.replied"), "答复了投诉人");
        assert_eq!(Tr { lang: Lang::En }.event("case.replied"), "replied to the reporter");
    }
}
