//! The notice (通报, SPEC KPI-4) of a month or of a year: overall figures,
//! rankings, awards, commendations and criticisms, in the form an office
//! issues to every unit — from the same assessment as the dashboard and the
//! `.xlsx` export (the frozen results once the month is closed).

use chrono::NaiveDate;
use chuangkou_domain::kpi::Compared;
use chuangkou_notice::{Align, Block, Column, Document, Table};
use chuangkou_store::assessment::{Assessment, StaffScore};
use chuangkou_store::indicators::{Indicators, TargetCheck};

/// What a notice reports on: a month, or a year (the annual review).
#[derive(Debug, Clone, Copy)]
pub enum NoticePeriod {
    /// The first day of the month.
    Month(NaiveDate),
    Year(i32),
}

impl NoticePeriod {
    /// "2026年11月", "2026年度".
    fn label(self) -> String {
        match self {
            NoticePeriod::Month(m) => m.format("%Y年%-m月").to_string(),
            NoticePeriod::Year(y) => format!("{y}年度"),
        }
    }

    /// "本月", "本年度".
    fn this(self) -> &'static str {
        match self {
            NoticePeriod::Month(_) => "本月",
            NoticePeriod::Year(_) => "本年度",
        }
    }

    /// The file name's period: "2026-11", "2026".
    pub fn key(self) -> String {
        match self {
            NoticePeriod::Month(m) => m.format("%Y-%m").to_string(),
            NoticePeriod::Year(y) => format!("{y}"),
        }
    }
}

/// What the notice is made from.
pub struct NoticeData<'a> {
    pub org_name: &'a str,
    pub period: NoticePeriod,
    pub results: &'a Assessment,
    /// The organisation's indicators for the month.
    pub figures: &'a Indicators,
    /// The pack's targets beside the month's figures.
    pub targets: &'a [TargetCheck],
    /// The day the period was closed, or `None` while it is open (a draft).
    pub closed_on: Option<NaiveDate>,
    /// The day the notice is printed.
    pub today: NaiveDate,
    /// The organisation's chain, signed as the notice is printed: a copy
    /// of the record's state outside the database, on paper.
    pub checkpoint: Option<&'a chuangkou_store::checkpoints::Checkpoint>,
    /// Staff satisfaction beside service satisfaction (seed 003 两个满意度):
    /// the rate (withheld below the pack's minimum group), how many
    /// answered and that minimum; `None` without a staff survey.
    pub staff_satisfaction: Option<(Option<f64>, i64, u32)>,
}

/// How many of the best staff the ranking table lists (the full ranking is
/// in the `.xlsx` export).
const TOP: usize = 10;

fn date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

fn pct(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
}

/// "环比下降12.5%", or "上月无有效投诉" when there is nothing to compare with.
fn change(c: &Compared, against: &str, before: &str) -> String {
    match c.change {
        None if c.previous == 0 => format!("{before}无有效投诉"),
        None => String::new(),
        Some(x) if x > 0.0 => format!("{against}上升{:.1}%", x * 100.0),
        Some(x) if x < 0.0 => format!("{against}下降{:.1}%", -x * 100.0),
        Some(_) => format!("{against}持平"),
    }
}

fn score(s: f64) -> String {
    format!("{s:.2}")
}

fn table(columns: Vec<Column>, rows: Vec<Vec<String>>) -> Block {
    Block::Table(Table { columns, rows })
}

pub fn assessment_notice(d: &NoticeData<'_>) -> Document {
    let a = d.results;
    let f = d.figures;
    let month = d.period.label();
    let this = d.period.this();
    let title = format!("关于{month}服务质量考核情况的通报");
    let mut b = vec![
        Block::Masthead(d.org_name.to_string()),
        Block::Title(title.clone()),
        Block::Subtitle(match d.closed_on {
            Some(c) => format!("{}关账，结果已冻结", date(c)),
            None => format!("草稿：{this}尚未关账，结果可能变化"),
        }),
        Block::Plain("各单位、各部门：".into()),
        Block::Paragraph(format!(
            "根据服务质量考核办法，现将{month}全体员工、班组的考核结果以及评先评优、表扬和批评情况通报如下。"
        )),
        Block::Heading("一、总体情况".into()),
    ];
    let mut overall = format!("{this}有效投诉{}件", f.valid_complaints);
    let changes = match d.period {
        NoticePeriod::Month(_) => {
            vec![change(&f.month_on_month, "环比", "上月"), change(&f.year_on_year, "同比", "上年同期")]
        }
        NoticePeriod::Year(_) => vec![change(&f.year_on_year, "同比", "上年")],
    };
    for c in changes {
        if !c.is_empty() {
            overall += &format!("，{c}");
        }
    }
    if let Some(per) = f.complaints_per_10k {
        overall += &format!("，每万车次投诉{per:.3}件");
    }
    overall += &format!(
        "。收到满意度评价{}条，服务满意率{}；投诉回访{}次，投诉处理满意度{}；意见处理及时率{}；整改率{}；现场管理到位率{}。好人好事{}件，违规{}起，罚款{}元。",
        f.ratings.total(),
        pct(f.satisfaction_rate),
        f.callbacks,
        pct(f.handling_satisfaction),
        pct(f.timely_rate),
        pct(f.rectification_rate),
        pct(f.compliance_rate),
        f.good_deeds,
        f.violations,
        f.fines,
    );
    match d.staff_satisfaction {
        Some((Some(rate), n, _)) => overall += &format!("职工满意度{}（{n}人作答）。", pct(Some(rate))),
        Some((None, n, min)) => {
            overall += &format!("职工满意度调查{n}人作答，不足{min}人，为保护匿名不予公布。");
        }
        None => {}
    }
    b.push(Block::Paragraph(overall));
    if !d.targets.is_empty() {
        b.push(Block::Paragraph("主要指标完成情况：".into()));
        b.push(table(
            vec![
                Column::new("指标", 3.0, Align::Left),
                Column::new("目标", 1.6, Align::Right),
                Column::new("实际", 1.6, Align::Right),
                Column::new("完成情况", 1.6, Align::Centre),
            ],
            d.targets.iter().map(target_row).collect(),
        ));
    }

    b.push(Block::Heading("二、考核排名".into()));
    b.push(Block::Paragraph(format!(
        "{this}参加考核{}人、{}个班组。班组按成员平均分排名如下：",
        a.staff.len(),
        a.teams.len()
    )));
    b.push(table(
        vec![
            Column::new("名次", 1.0, Align::Centre),
            Column::new("班组", 4.0, Align::Left),
            Column::new("人数", 1.2, Align::Right),
            Column::new("平均分", 1.6, Align::Right),
        ],
        a.teams
            .iter()
            .map(|t| vec![t.rank.to_string(), t.name.clone(), t.members.to_string(), score(t.score)])
            .collect(),
    ));
    b.push(Block::Paragraph(format!("个人得分前{}名：", TOP.min(a.staff.len()))));
    b.push(table(
        vec![
            Column::new("名次", 1.0, Align::Centre),
            Column::new("工号", 1.4, Align::Left),
            Column::new("姓名", 1.6, Align::Left),
            Column::new("单位", 3.0, Align::Left),
            Column::new("得分", 1.4, Align::Right),
            Column::new("星级", 1.6, Align::Left),
        ],
        a.staff
            .iter()
            .take(TOP)
            .map(|s| {
                vec![
                    s.rank.to_string(),
                    s.employee_no.clone(),
                    s.name.clone(),
                    s.unit_name.clone(),
                    score(s.score),
                    "★".repeat(s.stars.into()),
                ]
            })
            .collect(),
    ));

    b.push(Block::Heading("三、评先评优".into()));
    if a.awards.is_empty() {
        b.push(Block::Paragraph("本单位考核办法未设月度奖项。".into()));
    }
    for (i, w) in a.awards.iter().enumerate() {
        let winners: Vec<String> = w.winners.iter().map(|x| format!("{}（{}分）", x.1, score(x.2))).collect();
        let mut text = format!(
            "（{}）{}：{}",
            chinese_number(i + 1),
            w.title,
            if winners.is_empty() { format!("{this}无符合条件人选") } else { winners.join("、") }
        );
        text.push('。');
        for (_, name, _, reasons) in &w.ineligible {
            text += &format!("{name}因{}，不参加本年度评先评优。", reasons.join("、"));
        }
        b.push(Block::Paragraph(text));
    }

    let praised: Vec<&StaffScore> =
        a.staff.iter().filter(|s| s.tally.good_deeds > 0 || s.tally.commendations > 0).collect();
    b.push(Block::Heading("四、表扬".into()));
    if praised.is_empty() {
        b.push(Block::Paragraph(format!("{this}无通报表扬。")));
    } else {
        b.push(Block::Paragraph("对以下同志的好人好事和受到的表彰予以通报表扬：".into()));
        b.push(table(
            vec![
                Column::new("姓名", 1.6, Align::Left),
                Column::new("单位", 3.0, Align::Left),
                Column::new("好人好事", 1.4, Align::Right),
                Column::new("受表彰", 1.4, Align::Right),
                Column::new("得分", 1.4, Align::Right),
            ],
            praised
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.unit_name.clone(),
                        s.tally.good_deeds.to_string(),
                        s.tally.commendations.to_string(),
                        score(s.score),
                    ]
                })
                .collect(),
        ));
    }

    // Criticised: approved violations, criticisms and efficiency warnings
    // in the ledger — never a lone bad rating or a complaint still open.
    let criticised: Vec<&StaffScore> = a.staff.iter().filter(|s| s.tally.criticised()).collect();
    b.push(Block::Heading("五、批评".into()));
    if criticised.is_empty() {
        b.push(Block::Paragraph(format!("{this}无通报批评。")));
    } else {
        b.push(Block::Paragraph(format!(
            "以下同志{this}违反服务规范、受到通报批评或效能告诫，经审批生效，予以通报批评："
        )));
        b.push(table(
            vec![
                Column::new("姓名", 1.6, Align::Left),
                Column::new("单位", 3.0, Align::Left),
                Column::new("违规", 1.1, Align::Right),
                Column::new("通报批评", 1.4, Align::Right),
                Column::new("效能告诫", 1.4, Align::Right),
                Column::new("得分", 1.4, Align::Right),
            ],
            criticised
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.unit_name.clone(),
                        s.tally.violations.to_string(),
                        s.tally.criticisms.to_string(),
                        s.tally.warnings.to_string(),
                        score(s.score),
                    ]
                })
                .collect(),
        ));
    }
    if !a.vehicles.is_empty() {
        b.push(Block::Heading("六、星级服务车".into()));
        let starred: Vec<_> = a.vehicles.iter().filter(|v| v.stars > 0).collect();
        b.push(Block::Paragraph(format!(
            "根据驾驶员{this}考核结果，评定星级服务车{}辆（因违规取消资格的不参评）：",
            starred.len()
        )));
        b.push(table(
            vec![
                Column::new("车牌号", 2.0, Align::Left),
                Column::new("驾驶员", 1.6, Align::Left),
                Column::new("得分", 1.4, Align::Right),
                Column::new("星级", 1.8, Align::Left),
            ],
            a.vehicles
                .iter()
                .map(|v| {
                    vec![
                        v.plate.clone(),
                        v.driver_name.clone().unwrap_or_default(),
                        v.score.map_or("—".into(), score),
                        if v.stars > 0 { "★".repeat(v.stars.into()) } else { "不参评".into() },
                    ]
                })
                .collect(),
        ));
    }
    b.push(Block::Paragraph(
        "希望受到表扬的同志再接再厉，受到批评的同志认真查找原因、及时整改。各单位要对照本通报举一反三，持续提升窗口服务质量。"
            .into(),
    ));
    b.push(Block::Signature(vec![d.org_name.to_string(), date(d.closed_on.unwrap_or(d.today))]));
    let mut footer = format!("{} · {month}服务质量考核通报", d.org_name);
    if let Some(cp) = d.checkpoint {
        footer.push_str(&format!(
            " · 存证 {}#{} {}",
            cp.org_code,
            cp.seq,
            &cp.head_hash[..cp.head_hash.len().min(12)]
        ));
        b.push(Block::Paragraph(checkpoint_text(cp)));
    }
    Document { title, footer, blocks: b }
}

/// The signed checkpoint in full, for an auditor to copy
/// (`chuangkou verify --checkpoints` reads it as JSON).
fn checkpoint_text(cp: &chuangkou_store::checkpoints::Checkpoint) -> String {
    format!(
        "记录存证 / record checkpoint：org_id {} · org_code {} · seq {} · at {} · head_hash {} · public_key {} · signature {}",
        cp.org_id, cp.org_code, cp.seq, cp.at, cp.head_hash, cp.public_key, cp.signature
    )
}

/// A target's row: indicator, target, actual, 已完成 / 未完成 / 无数据.
pub fn target_row(t: &TargetCheck) -> Vec<String> {
    let actual = match t.actual {
        Some(v) if t.indicator.is_rate() => format!("{:.1}%", v * 100.0),
        Some(v) => format!("{v}"),
        None => "—".into(),
    };
    let met = match t.met {
        Some(true) => "已完成",
        Some(false) => "未完成",
        None => "无数据",
    };
    vec![t.indicator.label_zh().to_string(), t.target.clone(), actual, met.to_string()]
}

/// 1 → 一 … 10 → 十, then digits.
fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 11] = ["〇", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
    DIGITS.get(n).map_or(n.to_string(), |s| s.to_string())
}
