//! Charts drawn on the server as SVG (DESIGN decision 8): no script and no
//! library from the internet, so they work on intranets, on phones and in
//! printed notices. Every text put into the SVG is escaped here.

use std::fmt::Write;

/// Escapes text for SVG (XML) content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const W: f64 = 640.0;
const H: f64 = 250.0;
const LEFT: f64 = 52.0;
const BOTTOM: f64 = 30.0;
const TOP: f64 = 44.0;
/// Text is 12 px or more at the chart's natural width (issue 18: readable
/// on a phone where the chart is scaled down to the screen).
const FONT: f64 = 13.0;
const INK: &str = "#1d2733";
const MUTED: &str = "#4a5561";

/// What a chart shows and how to read it.
pub struct Chart<'a> {
    pub id: &'a str,
    /// Shown over the plot and read out by screen readers.
    pub title: &'a str,
    /// The unit of the values, written over the value axis ("件", "%").
    pub unit: &'a str,
    pub labels: &'a [String],
    /// A horizontal target line: its value (a fraction for rates) and its words.
    pub target: Option<(f64, String)>,
}

fn frame(c: &Chart, max: f64, max_label: &str, body: &str) -> String {
    let mut s = format!(
        r#"<svg id="{}" class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet"><title>{}</title>"#,
        esc(c.id),
        esc(c.title),
        esc(c.title)
    );
    let _ = write!(
        s,
        r##"<text class="chart-title" x="4" y="18" font-size="15" font-weight="bold" fill="{INK}">{}</text><text class="chart-unit" x="{}" y="{}" font-size="{FONT}" text-anchor="end" fill="{MUTED}">{}</text>"##,
        esc(c.title),
        LEFT - 4.0,
        TOP - 10.0,
        esc(c.unit),
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}" stroke="#8896a5"/><line x1="{LEFT}" y1="{y}" x2="{W}" y2="{y}" stroke="#8896a5"/><text x="{}" y="{}" font-size="{FONT}" text-anchor="end" fill="{MUTED}">{}</text><text x="{}" y="{y}" font-size="{FONT}" text-anchor="end" fill="{MUTED}">0</text>"##,
        H - BOTTOM,
        LEFT - 4.0,
        TOP + 5.0,
        esc(max_label),
        LEFT - 4.0,
        y = H - BOTTOM,
    );
    s.push_str(body);
    if let Some((value, words)) = &c.target {
        let plot = H - BOTTOM - TOP;
        let y = H - BOTTOM - plot * (value / max).clamp(0.0, 1.0);
        let _ = write!(
            s,
            r##"<line class="target" x1="{LEFT}" y1="{y:.1}" x2="{W}" y2="{y:.1}" stroke="#b3261e" stroke-width="1.5" stroke-dasharray="6 4" data-value="{value}"/><text x="{}" y="{:.1}" font-size="{FONT}" text-anchor="end" fill="#b3261e">{}</text>"##,
            W - 4.0,
            y - 4.0,
            esc(words)
        );
    }
    let step = (W - LEFT) / c.labels.len().max(1) as f64;
    for (i, l) in c.labels.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="{FONT}" text-anchor="middle" fill="{MUTED}">{}</text>"##,
            LEFT + step * (i as f64 + 0.5),
            H - 10.0,
            esc(l)
        );
    }
    s.push_str("</svg>");
    s
}

/// A bar per label, with its value over the bar.
pub fn bars(c: &Chart, values: &[i64]) -> String {
    let top = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    // The target line must fit on the scale too.
    let max = c.target.as_ref().map_or(top, |t| top.max(t.0)).max(1.0);
    let step = (W - LEFT) / c.labels.len().max(1) as f64;
    let plot = H - BOTTOM - TOP;
    let mut body = String::new();
    for (i, v) in values.iter().enumerate() {
        let h = plot * *v as f64 / max;
        let x = LEFT + step * i as f64 + step * 0.2;
        let y = H - BOTTOM - h;
        let _ = write!(
            body,
            r##"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="#0b5fa5" data-value="{v}"/><text x="{:.1}" y="{:.1}" font-size="{FONT}" text-anchor="middle" fill="{INK}">{v}</text>"##,
            step * 0.6,
            x + step * 0.3,
            y - 3.0
        );
    }
    frame(c, max, &format!("{max}"), &body)
}

/// A line through rates (0..=1) per label; months without a rate leave a gap.
pub fn rate_line(c: &Chart, values: &[Option<f64>]) -> String {
    let step = (W - LEFT) / c.labels.len().max(1) as f64;
    let plot = H - BOTTOM - TOP;
    let mut body = String::new();
    let mut path = String::new();
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else {
            path.push(' ');
            continue;
        };
        let x = LEFT + step * (i as f64 + 0.5);
        let y = H - BOTTOM - plot * v.clamp(0.0, 1.0);
        let cmd = if path.ends_with(' ') || path.is_empty() { 'M' } else { 'L' };
        let _ = write!(path, "{cmd}{x:.1},{y:.1}");
        let _ = write!(
            body,
            r##"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="3" fill="#1b6e3a" data-value="{v:.4}"/><text x="{x:.1}" y="{:.1}" font-size="12" text-anchor="middle" fill="{INK}">{:.0}%</text>"##,
            y - 6.0,
            v * 100.0
        );
    }
    let line = format!(r##"<path d="{}" fill="none" stroke="#1b6e3a" stroke-width="2"/>"##, path.trim());
    frame(c, 1.0, "100%", &(line + &body))
}

/// A campaign's phases on a time line (a Gantt-like bar per phase, SPEC
/// CMP-1): each bar from its first to its last day, filled by the share of
/// its tasks accepted, today marked by a line. `phases`: title, first day,
/// last day, percent accepted.
pub fn phase_bars(
    phases: &[(String, chrono::NaiveDate, chrono::NaiveDate, u32)],
    today: chrono::NaiveDate,
) -> String {
    const LABEL: f64 = 150.0;
    const ROW: f64 = 34.0;
    let height = TOP + ROW * phases.len() as f64 + BOTTOM;
    let (Some(start), Some(end)) = (phases.iter().map(|p| p.1).min(), phases.iter().map(|p| p.2).max())
    else {
        return format!(
            r#"<svg class="chart" viewBox="0 0 {W} 40" xmlns="http://www.w3.org/2000/svg"></svg>"#
        );
    };
    let days = ((end - start).num_days() + 1).max(1) as f64;
    let x = |d: chrono::NaiveDate| LABEL + (W - LABEL - 8.0) * ((d - start).num_days() as f64 / days);
    let mut s = format!(
        r#"<svg id="phase-bars" class="chart" viewBox="0 0 {W} {height}" role="img" aria-label="阶段进度 / phases" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet"><title>阶段进度 / phases</title>"#
    );
    let _ = write!(
        s,
        r##"<text x="{LABEL}" y="{}" font-size="{FONT}" fill="{MUTED}">{start}</text><text x="{W}" y="{}" font-size="{FONT}" text-anchor="end" fill="{MUTED}">{end}</text>"##,
        TOP - 12.0,
        TOP - 12.0,
    );
    for (i, (title, from, until, percent)) in phases.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let (x0, x1) = (x(*from), x(*until + chrono::Duration::days(1)));
        let w = (x1 - x0).max(3.0);
        let done = w * f64::from((*percent).min(100)) / 100.0;
        let _ = write!(
            s,
            r##"<g class="phase"><text x="4" y="{}" font-size="{FONT}" fill="{INK}">{}</text><rect x="{x0:.1}" y="{}" width="{w:.1}" height="20" fill="#dfe6ee" stroke="#8896a5"/><rect x="{x0:.1}" y="{}" width="{done:.1}" height="20" fill="#2e7d4f"/><text x="{:.1}" y="{}" font-size="{FONT}" fill="{INK}">{percent}%</text></g>"##,
            y + 15.0,
            esc(title),
            y + 1.0,
            y + 1.0,
            (x0 + 4.0).min(W - 40.0),
            y + 16.0,
        );
    }
    if (start..=end).contains(&today) {
        let tx = x(today);
        let _ = write!(
            s,
            r##"<line class="today" x1="{tx:.1}" y1="{}" x2="{tx:.1}" y2="{}" stroke="#b3261e" stroke-width="2"/><text x="{tx:.1}" y="{}" font-size="{FONT}" text-anchor="middle" fill="#b3261e">{today}</text>"##,
            TOP - 4.0,
            height - BOTTOM + 4.0,
            height - 8.0,
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_text() {
        let labels = vec!["1月".to_string(), "<b>".to_string()];
        let chart = Chart { id: "c", title: "投诉 & 建议", unit: "件", labels: &labels, target: None };
        let svg = bars(&chart, &[41, 27]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"data-value="41""#) && svg.contains(r#"data-value="27""#));
        assert!(svg.contains("投诉 &amp; 建议") && svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert!(svg.contains(">投诉 &amp; 建议</text>"), "the title is written, not only read out");
    }

    /// No text smaller than 12 px, so a chart scaled to a phone stays legible.
    #[test]
    fn every_text_is_twelve_pixels_or_more() {
        let labels: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
        let chart =
            Chart { id: "c", title: "t", unit: "件", labels: &labels, target: Some((3.0, "≤ 3".into())) };
        for svg in [bars(&chart, &[1; 12]), rate_line(&chart, &[Some(0.5); 12])] {
            for size in svg.split("font-size=\"").skip(1) {
                let px: f64 = size.split('"').next().unwrap().parse().unwrap();
                assert!(px >= 12.0, "{px}px in {svg}");
            }
        }
    }

    #[test]
    fn a_rate_line_skips_months_without_ratings() {
        let labels: Vec<String> = (1..=3).map(|m| format!("{m}月")).collect();
        let chart = Chart {
            id: "r",
            title: "满意率",
            unit: "%",
            labels: &labels,
            target: Some((0.95, "目标 95%".into())),
        };
        let svg = rate_line(&chart, &[Some(0.9), None, Some(1.0)]);
        assert!(svg.contains(r#"class="target""#) && svg.contains("目标 95%"));
        assert_eq!(svg.matches("class=\"point\"").count(), 2);
        assert!(svg.contains("90%") && svg.contains("100%"));
        let d = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!((d.matches('M').count(), d.matches('L').count()), (2, 0), "two separate runs: {d}");
    }
}
