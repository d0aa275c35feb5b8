//! Service guides with one-time notification (SPEC PUB-3; seed 002's
//! 一次性告知制度: 必须一次性告知其所要办理事项的依据、时限、程序、所需的全部
//! 材料或不予办理的理由 … 均要以书面形式告知): what a matter (事项) needs, and
//! the rule that a second notification may not ask for something the first
//! did not.

use serde::{Deserialize, Serialize};

use crate::text::{self, FieldError};

/// One material a matter needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub name: String,
    /// Required, or only when it applies.
    pub required: bool,
    /// An original to be shown (原件), else a copy (复印件).
    pub original: bool,
    pub count: u32,
}

/// A matter's guide as the office writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewGuide {
    pub code: String,
    pub title: String,
    /// The legal basis (依据).
    pub basis: String,
    /// The pack's track whose time limit a case for this matter gets.
    pub track: Option<String>,
    pub steps: Vec<String>,
    pub materials: Vec<Material>,
    pub fees: String,
    /// Where and when (地点和时间).
    pub place: String,
    /// Reasons the matter cannot be handled (不予办理的情形).
    pub refusals: Vec<String>,
}

/// Materials written one per line as `名称|必需|原件|1`: the name, then
/// optionally 必需/可选 (required/optional), 原件/复印件 (original/copy) and
/// a count; `｜` works as well as `|`.
pub fn parse_materials(text: &str) -> Result<Vec<Material>, FieldError> {
    let mut out = vec![];
    for (i, line) in text.lines().map(str::trim).filter(|l| !l.is_empty()).enumerate() {
        let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
        let bad = |what: &str| {
            FieldError::new("materials", format!("第 {} 行{what} / line {}: {what}", i + 1, i + 1))
        };
        let name = text::required("materials", parts[0], 100).map_err(|_| bad("缺少材料名称"))?;
        let required = match parts.get(1).copied().unwrap_or("必需") {
            "必需" | "必须" | "required" | "" => true,
            "可选" | "optional" => false,
            _ => return Err(bad("须写必需或可选")),
        };
        let original = match parts.get(2).copied().unwrap_or("原件") {
            "原件" | "original" | "" => true,
            "复印件" | "copy" => false,
            _ => return Err(bad("须写原件或复印件")),
        };
        let count = match parts.get(3).copied().unwrap_or("1") {
            "" => 1,
            n => {
                n.parse::<u32>().ok().filter(|n| (1..=20).contains(n)).ok_or_else(|| bad("份数须为 1–20"))?
            }
        };
        if out.iter().any(|m: &Material| m.name == name) {
            return Err(bad("材料名称重复"));
        }
        out.push(Material { name, required, original, count });
    }
    Ok(out)
}

/// The lines of a text, trimmed, empty ones left out.
pub fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// Checks a guide: a code, a title, the basis, at least one material.
#[allow(clippy::too_many_arguments)]
pub fn check(
    code: &str,
    title: &str,
    basis: &str,
    track: &str,
    steps: &str,
    materials: &str,
    fees: &str,
    place: &str,
    refusals: &str,
) -> Result<NewGuide, Vec<FieldError>> {
    let mut errors = vec![];
    let code = text::code("code", code).map_err(|e| errors.push(e)).ok();
    let title = text::required("title", title, 100).map_err(|e| errors.push(e)).ok();
    let basis = text::required("basis", basis, 500).map_err(|e| errors.push(e)).ok();
    let materials = parse_materials(materials).map_err(|e| errors.push(e)).ok();
    if materials.as_ref().is_some_and(Vec::is_empty) {
        errors.push(FieldError::new("materials", "请列出所需的全部材料 / list every material it needs"));
    }
    let track = Some(track.trim().to_string()).filter(|t| !t.is_empty());
    match (code, title, basis, materials) {
        (Some(code), Some(title), Some(basis), Some(materials)) if errors.is_empty() => Ok(NewGuide {
            code,
            title,
            basis,
            track,
            steps: lines(steps),
            materials,
            fees: fees.trim().to_string(),
            place: place.trim().to_string(),
            refusals: lines(refusals),
        }),
        _ => Err(errors),
    }
}

/// What a second notification for the same matter asks for that the first
/// did not: each such item breaks the one-time rule (一次性告知).
pub fn asked_again<'a>(first: &[String], now: &'a [String]) -> Vec<&'a String> {
    now.iter().filter(|m| !first.contains(m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn materials_read_from_lines_as_a_desk_writes_them() {
        let m = parse_materials("营业执照|必需|原件|1\n申请书｜必需｜复印件｜2\n\n委托书|可选").unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[1].name.as_str(), m[1].required, m[1].original, m[1].count),
            ("申请书", true, false, 2)
        );
        assert_eq!((m[2].required, m[2].original, m[2].count), (false, true, 1));
        let e = parse_materials("营业执照\n营业执照").unwrap_err();
        assert!(e.message.contains("第 2 行"), "{e:?}");
        assert!(parse_materials("申请书|也许").is_err());
    }

    #[test]
    fn a_guide_lists_its_basis_and_every_material() {
        let e = check("", "", "", "", "", "", "", "", "").unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["code", "title", "basis", "materials"]);
        let g = check(
            "G1",
            "计量器具检定",
            "《计量法》第九条",
            "research",
            "受理\n检定\n出具证书",
            "申请书",
            "",
            "",
            "",
        )
        .unwrap();
        assert_eq!((g.steps.len(), g.track.as_deref()), (3, Some("research")));
    }

    #[test]
    fn a_second_notice_may_not_ask_for_something_new() {
        let first = vec!["申请书".to_string(), "营业执照".to_string()];
        let second = vec!["营业执照".to_string(), "法人身份证".to_string()];
        assert_eq!(asked_again(&first, &second), [&"法人身份证".to_string()]);
        assert!(asked_again(&first, &first[..1]).is_empty());
    }
}
