//! The wording of what a case's people are told, in one place: staff read
//! both languages, the reporter's text message is in Chinese.

use crate::calendar::Span;

pub fn handover_offered(n: &str) -> String {
    format!("案件 {n} 移交给您，请确认接收 / case {n} is handed to you: please accept it")
}
pub fn handover_accepted(n: &str) -> String {
    format!("案件 {n} 的移交已被接收 / your hand-over of case {n} was accepted")
}
pub fn handover_declined(n: &str) -> String {
    format!("案件 {n} 的移交被拒绝，仍由您承办 / your hand-over of case {n} was declined: it stays with you")
}
pub fn replied(n: &str) -> String {
    format!("案件 {n} 已答复，请回访并办结 / case {n} was replied to: call back and close it")
}
pub fn reopened(n: &str) -> String {
    format!("案件 {n} 回访不满意，已重新办理 / case {n} was reopened after an unsatisfied callback")
}
pub fn routed(n: &str) -> String {
    format!("案件 {n} 转办至本单位 / case {n} was routed to your unit")
}
pub fn withdrawal_undone(n: &str) -> String {
    format!(
        "投诉人撤销了案件 {n} 的撤回，案件恢复办理 / the reporter took back the withdrawal of case {n}: it is open again"
    )
}
pub fn extension_asked(n: &str, span: Span) -> String {
    format!("案件 {n} 申请延期 {span}，请审批 / case {n} asks for {span} more: please decide")
}
pub fn extension_decided(n: &str, approved: bool) -> String {
    let (zh, en) = if approved { ("已批准", "approved") } else { ("未批准", "refused") };
    format!("案件 {n} 的延期申请{zh} / the extension of case {n} was {en}")
}
pub fn reporter_replied(n: &str) -> String {
    format!("您反映的问题（{n}）已有答复，请凭查询码查看。")
}
pub fn reporter_extended(n: &str, reason: &str) -> String {
    format!("您反映的问题（{n}）需延期办理，原因：{reason}。")
}
