//! Charts drawn on the server as SVG (DESIGN decision 8): no script and no
//! library from the internet, so they work on intranets, on phones and in
//! printed notices. Every text put into the SVG is escaped here.

use std::fmt::Write;

/// Escapes text for SVG (XML) content and attributes.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const W: f64 = 640.0;
const H: f64 = 220.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 16.0;

fn frame(title: &str, id: &str, max_label: &str, body: &str, labels: &[String]) -> String {
    let mut s = format!(
        r#"<svg id="{}" class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet"><title>{}</title>"#,
        esc(id),
        esc(title),
        esc(title)
    );
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{}" stroke="#8896a5"/><line x1="{LEFT}" y1="{y}" x2="{W}" y2="{y}" stroke="#8896a5"/><text x="{}" y="{}" font-size="11" text-anchor="end" fill="#5b6775">{}</text><text x="{}" y="{y}" font-size="11" text-anchor="end" fill="#5b6775">0</text>"##,
        H - BOTTOM,
        LEFT - 4.0,
        TOP + 4.0,
        esc(max_label),
        LEFT - 4.0,
        y = H - BOTTOM,
    );
    s.push_str(body);
    let step = (W - LEFT) / labels.len().max(1) as f64;
    for (i, l) in labels.iter().enumerate() {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle" fill="#5b6775">{}</text>"##,
            LEFT + step * (i as f64 + 0.5),
            H - 10.0,
            esc(l)
        );
    }
    s.push_str("</svg>");
    s
}

/// A bar per label, with its value over the bar.
pub fn bars(id: &str, title: &str, labels: &[String], values: &[i64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let step = (W - LEFT) / labels.len().max(1) as f64;
    let plot = H - BOTTOM - TOP;
    let mut body = String::new();
    for (i, v) in values.iter().enumerate() {
        let h = plot * *v as f64 / max as f64;
        let x = LEFT + step * i as f64 + step * 0.2;
        let y = H - BOTTOM - h;
        let _ = write!(
            body,
            r##"<rect class="bar" x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="#0b5fa5" data-value="{v}"/><text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#1d2733">{v}</text>"##,
            step * 0.6,
            x + step * 0.3,
            y - 3.0
        );
    }
    frame(title, id, &max.to_string(), &body, labels)
}

/// A line through rates (0..=1) per label; months without a rate leave a gap.
pub fn rate_line(id: &str, title: &str, labels: &[String], values: &[Option<f64>]) -> String {
    let step = (W - LEFT) / labels.len().max(1) as f64;
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
            r##"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="3" fill="#1b6e3a" data-value="{v:.4}"/><text x="{x:.1}" y="{:.1}" font-size="10" text-anchor="middle" fill="#1d2733">{:.0}%</text>"##,
            y - 6.0,
            v * 100.0
        );
    }
    let line = format!(r##"<path d="{}" fill="none" stroke="#1b6e3a" stroke-width="2"/>"##, path.trim());
    frame(title, id, "100%", &(line + &body), labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_text() {
        let labels = vec!["1月".to_string(), "<b>".to_string()];
        let svg = bars("c", "投诉 & 建议", &labels, &[41, 27]);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r#"data-value="41""#) && svg.contains(r#"data-value="27""#));
        assert!(svg.contains("投诉 &amp; 建议") && svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
    }

    #[test]
    fn a_rate_line_skips_months_without_ratings() {
        let labels: Vec<String> = (1..=3).map(|m| format!("{m}月")).collect();
        let svg = rate_line("r", "满意率", &labels, &[Some(0.9), None, Some(1.0)]);
        assert_eq!(svg.matches("class=\"point\"").count(), 2);
        assert!(svg.contains("90%") && svg.contains("100%"));
        let d = svg.split("<path d=\"").nth(1).unwrap().split('"').next().unwrap();
        assert_eq!((d.matches('M').count(), d.matches('L').count()), (2, 0), "two separate runs: {d}");
    }
}
