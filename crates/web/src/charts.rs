//! Charts drawn on the server as SVG (DESIGN decision 8): no script and no
//! library from the internet, so they work on intranets, on phones and in
//! printed notices. This module decides the geometry; the templates in
//! `templates/charts/` write the SVG, and escape every text put into it.

use askama::Template;

/// The plot's frame, in the SVG's own units.
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    top: f64,
    bottom: f64,
    /// The value axis' zero: `h - bottom`.
    base: f64,
}

const G: Frame = Frame { w: 640.0, h: 250.0, left: 52.0, top: 44.0, bottom: 30.0, base: 220.0 };

/// A coordinate as the SVG carries it: a tenth of a unit is enough.
fn at(x: f64) -> String {
    format!("{x:.1}")
}

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

/// Text is 12 px or more at the chart's natural width (issue 18: readable
/// on a phone where the chart is scaled down to the screen): the templates
/// write 12, 13 and 15.
#[derive(Template)]
#[template(path = "charts/plot.svg")]
struct Plot<'a> {
    id: &'a str,
    title: &'a str,
    unit: &'a str,
    g: &'a Frame,
    max_label: String,
    labels: Vec<Tick<'a>>,
    target: Option<Level<'a>>,
    bars: Vec<Bar>,
    points: Vec<Point>,
    /// The line through the points (`M…L…`), empty for bars.
    path: String,
}

struct Tick<'a> {
    x: String,
    text: &'a str,
}

struct Level<'a> {
    y: String,
    text_y: String,
    value: f64,
    words: &'a str,
}

struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    value: i64,
    text_x: String,
    text_y: String,
}

struct Point {
    x: String,
    y: String,
    value: String,
    text_y: String,
    percent: String,
}

impl<'a> Plot<'a> {
    /// The frame of chart `c` on a scale from 0 to `max`.
    fn new(c: &'a Chart<'a>, max: f64, max_label: String) -> Self {
        let step = step(c);
        let plot = G.base - G.top;
        Plot {
            id: c.id,
            title: c.title,
            unit: c.unit,
            g: &G,
            max_label,
            labels: c
                .labels
                .iter()
                .enumerate()
                .map(|(i, l)| Tick { x: at(G.left + step * (i as f64 + 0.5)), text: l })
                .collect(),
            target: c.target.as_ref().map(|(value, words)| {
                let y = G.base - plot * (value / max).clamp(0.0, 1.0);
                Level { y: at(y), text_y: at(y - 4.0), value: *value, words }
            }),
            bars: Vec::new(),
            points: Vec::new(),
            path: String::new(),
        }
    }

    fn svg(&self) -> String {
        self.render().expect("a chart's template writes to a string").trim().to_string()
    }
}

/// The width given to each label.
fn step(c: &Chart) -> f64 {
    (G.w - G.left) / c.labels.len().max(1) as f64
}

/// A bar per label, with its value over the bar.
pub fn bars(c: &Chart, values: &[i64]) -> String {
    let top = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    // The target line must fit on the scale too.
    let max = c.target.as_ref().map_or(top, |t| top.max(t.0)).max(1.0);
    let step = step(c);
    let plot = G.base - G.top;
    let mut p = Plot::new(c, max, format!("{max}"));
    p.bars = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let h = plot * *v as f64 / max;
            let x = G.left + step * i as f64 + step * 0.2;
            let y = G.base - h;
            Bar {
                x: at(x),
                y: at(y),
                width: at(step * 0.6),
                height: at(h),
                value: *v,
                text_x: at(x + step * 0.3),
                text_y: at(y - 3.0),
            }
        })
        .collect();
    p.svg()
}

/// A line through rates (0..=1) per label; months without a rate leave a gap.
pub fn rate_line(c: &Chart, values: &[Option<f64>]) -> String {
    let step = step(c);
    let plot = G.base - G.top;
    let mut p = Plot::new(c, 1.0, "100%".into());
    let mut path = String::new();
    for (i, v) in values.iter().enumerate() {
        let Some(v) = v else {
            path.push(' ');
            continue;
        };
        let (x, y) = (G.left + step * (i as f64 + 0.5), G.base - plot * v.clamp(0.0, 1.0));
        let cmd = if path.ends_with(' ') || path.is_empty() { 'M' } else { 'L' };
        path.push_str(&format!("{cmd}{x:.1},{y:.1}"));
        p.points.push(Point {
            x: at(x),
            y: at(y),
            value: format!("{v:.4}"),
            text_y: at(y - 6.0),
            percent: format!("{:.0}", v * 100.0),
        });
    }
    p.path = path.trim().to_string();
    p.svg()
}

#[derive(Template)]
#[template(path = "charts/phases.svg")]
struct Phases<'a> {
    g: &'a Frame,
    height: f64,
    label_w: f64,
    /// The first and the last day on the time line.
    span: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    phases: Vec<PhaseBar<'a>>,
    today: Option<Today>,
}

struct PhaseBar<'a> {
    title: &'a str,
    x: String,
    y: String,
    width: String,
    done: String,
    percent: u32,
    text_y: String,
    percent_x: String,
    percent_y: String,
}

struct Today {
    x: String,
    day: chrono::NaiveDate,
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
    let span = phases.iter().map(|p| p.1).min().zip(phases.iter().map(|p| p.2).max());
    let mut chart = Phases {
        g: &G,
        height: if span.is_some() { G.top + ROW * phases.len() as f64 + G.bottom } else { 40.0 },
        label_w: LABEL,
        span,
        phases: Vec::new(),
        today: None,
    };
    if let Some((start, end)) = span {
        let days = ((end - start).num_days() + 1).max(1) as f64;
        let x = |d: chrono::NaiveDate| LABEL + (G.w - LABEL - 8.0) * ((d - start).num_days() as f64 / days);
        chart.phases = phases
            .iter()
            .enumerate()
            .map(|(i, (title, from, until, percent))| {
                let y = G.top + ROW * i as f64;
                let (x0, x1) = (x(*from), x(*until + chrono::Duration::days(1)));
                let w = (x1 - x0).max(3.0);
                PhaseBar {
                    title,
                    x: at(x0),
                    y: at(y + 1.0),
                    width: at(w),
                    done: at(w * f64::from((*percent).min(100)) / 100.0),
                    percent: *percent,
                    text_y: at(y + 15.0),
                    percent_x: at((x0 + 4.0).min(G.w - 40.0)),
                    percent_y: at(y + 16.0),
                }
            })
            .collect();
        chart.today = (start..=end).contains(&today).then(|| Today { x: at(x(today)), day: today });
    }
    chart.render().expect("a chart's template writes to a string").trim().to_string()
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
        assert!(svg.contains(&escaped("投诉 & 建议")) && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains(&escaped("<b>")), "{svg}");
        assert_eq!(svg.matches("class=\"bar\"").count(), 2);
        assert!(
            svg.contains(&format!(">{}</text>", escaped("投诉 & 建议"))),
            "the title is written, not only read out"
        );
    }

    /// No text smaller than 12 px, so a chart scaled to a phone stays legible.
    #[test]
    fn every_text_is_twelve_pixels_or_more() {
        let labels: Vec<String> = (1..=12).map(|m| format!("{m}月")).collect();
        let chart =
            Chart { id: "c", title: "t", unit: "件", labels: &labels, target: Some((3.0, "≤ 3".into())) };
        let phases =
            [("第一阶段".to_string(), day(1), day(10), 40), ("第二阶段".to_string(), day(11), day(20), 0)];
        for svg in [bars(&chart, &[1; 12]), rate_line(&chart, &[Some(0.5); 12]), phase_bars(&phases, day(5))]
        {
            for size in svg.split("font-size=\"").skip(1) {
                let px: f64 = size.split('"').next().unwrap().parse().unwrap();
                assert!(px >= 12.0, "{px}px in {svg}");
            }
        }
    }

    /// `s` as the templates escape it (askama writes numeric references).
    fn escaped(s: &str) -> String {
        s.replace('&', "&#38;").replace('<', "&#60;").replace('>', "&#62;")
    }

    fn day(d: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 3, d).expect("a day")
    }

    #[test]
    fn phases_are_bars_on_a_time_line_with_today_marked_and_titles_escaped() {
        let phases =
            [("动员 <部署>".to_string(), day(1), day(10), 40), ("整改".to_string(), day(11), day(20), 100)];
        let svg = phase_bars(&phases, day(5));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches(r#"class="phase""#).count(), 2);
        assert!(svg.contains(&escaped("动员 <部署>")), "{svg}");
        assert!(!svg.contains("<部署>"));
        assert!(svg.contains(r#"class="today""#) && svg.contains(">2026-03-05<"));
        assert!(svg.contains(">40%<") && svg.contains(">100%<"));
        // The first phase is ten days of twenty: half of the time line, 40 % of it filled.
        let widths: Vec<f64> = svg
            .split(r#" width=""#)
            .skip(1)
            .filter_map(|part| part.split('"').next()?.parse().ok())
            .collect();
        assert_eq!(widths.len(), 4, "{svg}");
        assert!((widths[0] - 241.0).abs() < 0.1 && (widths[1] - 96.4).abs() < 0.1, "{widths:?}");
        // Today outside the campaign is not marked; no phases, an empty chart.
        assert!(!phase_bars(&phases, day(25)).contains("today"));
        assert!(!phase_bars(&[], day(5)).contains("<g"));
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
