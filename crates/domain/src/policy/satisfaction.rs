//! The satisfaction part of a pack (SPEC SAT-1, SAT-3, SAT-4).

use serde::Deserialize;

use super::{CasePolicy, PolicyError};
use crate::calendar::Span;
use crate::satisfaction::Tag;

#[derive(Debug, Clone)]
pub struct SatisfactionPolicy {
    /// Tags the public may attach to a quick rating.
    pub tags: Vec<Tag>,
    /// The category and track of the case a bad rating opens (差评整改).
    pub bad_rating_category: String,
    pub bad_rating_track: String,
    /// A device rating the same service point again within this window
    /// replaces its earlier rating instead of adding one.
    pub replace_window: Span,
    /// Ratings accepted per device and per address in any hour.
    pub per_device_per_hour: u32,
    pub per_address_per_hour: u32,
    /// A staff survey's results for a group are shown only with at least
    /// this many answers.
    pub survey_min_answers: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SatisfactionFile {
    tags: Vec<TagFile>,
    bad_rating_category: String,
    bad_rating_track: String,
    replace_window: String,
    per_device_per_hour: u32,
    per_address_per_hour: u32,
    survey_min_answers: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagFile {
    code: String,
    title: String,
    title_en: String,
}

pub(super) fn parse_satisfaction(
    file: &str,
    text: &str,
    raw: SatisfactionFile,
    cases: &CasePolicy,
) -> Result<SatisfactionPolicy, PolicyError> {
    let at = |needle: &str, why: String| PolicyError::at(file, text, needle, why);
    let mut tags: Vec<Tag> = Vec::new();
    for t in raw.tags {
        if tags.iter().any(|x| x.code == t.code) {
            return Err(at(&format!("\"{}\"", t.code), format!("tag {} is defined twice", t.code)));
        }
        tags.push(Tag { code: t.code, title: t.title, title_en: t.title_en });
    }
    let complaint = crate::cases::CaseKind::Complaint;
    if !cases.category(&raw.bad_rating_category).is_some_and(|c| c.kinds.contains(&complaint)) {
        return Err(at(
            "bad_rating_category",
            format!(
                "bad_rating_category {} is not a complaint category of this pack",
                raw.bad_rating_category
            ),
        ));
    }
    if !cases.track(&raw.bad_rating_track).is_some_and(|t| t.kinds.contains(&complaint)) {
        return Err(at(
            "bad_rating_track",
            format!("bad_rating_track {} is not a complaint track of this pack", raw.bad_rating_track),
        ));
    }
    let replace_window = match Span::parse(&raw.replace_window) {
        Some(s @ Span::Hours(h)) if h > 0 => s,
        _ => {
            return Err(at(
                "replace_window",
                format!("replace_window \"{}\" must be hours like 24h", raw.replace_window),
            ));
        }
    };
    if raw.per_device_per_hour == 0 || raw.per_address_per_hour < raw.per_device_per_hour {
        return Err(at(
            "per_address_per_hour",
            "per_device_per_hour must be at least 1 and per_address_per_hour at least as large".into(),
        ));
    }
    if raw.survey_min_answers < 3 {
        return Err(at(
            "survey_min_answers",
            "survey_min_answers below 3 would let answers be traced".into(),
        ));
    }
    Ok(SatisfactionPolicy {
        tags,
        bad_rating_category: raw.bad_rating_category,
        bad_rating_track: raw.bad_rating_track,
        replace_window,
        per_device_per_hour: raw.per_device_per_hour,
        per_address_per_hour: raw.per_address_per_hour,
        survey_min_answers: raw.survey_min_answers,
    })
}
