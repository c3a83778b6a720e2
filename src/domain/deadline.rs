//! Deadlines (办理时限): the rules by ticket type and urgency from `knowledge/deadlines.json`
//! (built-in defaults when the file is missing), due instants in China Standard Time,
//! remaining working days and the due-soon / overdue warnings.
//!
//! Built-in defaults (the shipped `deadlines.json` writes them out):
//! - reply, 一般: 咨询 3 工作日, 求助 5, 投诉 15, 举报 15, 建议 15, 表扬 5; 紧急 halves the
//!   working days, rounded up (2, 3, 8, 8, 8, 3); 特急 24 小时 for every type;
//! - accept: 一般 1 工作日, 紧急 4 小时, 特急 2 小时;
//! - redo: at most 2 rounds, then a poorly rated ticket goes back to the dispatchers;
//! - rectification: contacted 3 工作日, rectified 5 工作日, complex cases 15 工作日; verified and
//!   planned have no deadline unless configured (e.g. "2 小时", "24 小时").

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};
use time::macros::time;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::calendar::WorkCalendar;
use super::ticket::{RectificationStep, TicketType, Urgency};
use crate::error::{AppError, AppResult, Code};

/// China Standard Time, UTC+8: working days end at 23:59:59 CST.
pub const CST: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

const MAX_WORKING_DAYS: u32 = 250;
const MAX_HOURS: u32 = 24 * 366;
const MAX_ROUNDS: u64 = 10;
const WORKING_DAYS: &str = "工作日";
const HOURS: &str = "小时";

/// A time limit: the end of the N-th working day after the start day, or N natural hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeadlineRule {
    WorkingDays(u32),
    Hours(u32),
}

impl DeadlineRule {
    /// `"3 工作日"` or `"24 小时"` (the space is optional).
    pub fn parse(text: &str) -> Result<DeadlineRule, String> {
        let text = text.trim();
        let bad = || format!("时限 {text:?} 无效，应写作 \"3 工作日\" 或 \"24 小时\"");
        let (number, rule): (&str, fn(u32) -> DeadlineRule) =
            if let Some(n) = text.strip_suffix(WORKING_DAYS) {
                (n, DeadlineRule::WorkingDays)
            } else if let Some(n) = text.strip_suffix(HOURS) {
                (n, DeadlineRule::Hours)
            } else {
                return Err(bad());
            };
        let n: u32 = number.trim().parse().map_err(|_| bad())?;
        let max = match rule(n) {
            DeadlineRule::WorkingDays(_) => MAX_WORKING_DAYS,
            DeadlineRule::Hours(_) => MAX_HOURS,
        };
        if n == 0 || n > max {
            return Err(format!("时限 {text:?} 超出范围，应为 1–{max}"));
        }
        Ok(rule(n))
    }
}

impl fmt::Display for DeadlineRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeadlineRule::WorkingDays(n) => write!(f, "{n} {WORKING_DAYS}"),
            DeadlineRule::Hours(n) => write!(f, "{n} {HOURS}"),
        }
    }
}

impl Serialize for DeadlineRule {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn default_reply(ticket_type: TicketType, urgency: Urgency) -> DeadlineRule {
    let normal = match ticket_type {
        TicketType::Consultation => 3,
        TicketType::Help | TicketType::Praise => 5,
        TicketType::Complaint | TicketType::Report | TicketType::Suggestion => 15,
    };
    match urgency {
        Urgency::Normal => DeadlineRule::WorkingDays(normal),
        Urgency::Urgent => DeadlineRule::WorkingDays(normal.div_ceil(2)),
        Urgency::Critical => DeadlineRule::Hours(24),
    }
}

fn default_accept(urgency: Urgency) -> DeadlineRule {
    match urgency {
        Urgency::Normal => DeadlineRule::WorkingDays(1),
        Urgency::Urgent => DeadlineRule::Hours(4),
        Urgency::Critical => DeadlineRule::Hours(2),
    }
}

/// The configured time limits. Anything a file leaves out keeps its built-in default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadlinePolicy {
    reply: BTreeMap<(TicketType, Urgency), DeadlineRule>,
    accept: BTreeMap<Urgency, DeadlineRule>,
    redo_max_rounds: u32,
    rectification: BTreeMap<RectificationStep, DeadlineRule>,
    rectified_complex: DeadlineRule,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        let mut reply = BTreeMap::new();
        for &t in TicketType::ALL {
            for &u in Urgency::ALL {
                reply.insert((t, u), default_reply(t, u));
            }
        }
        let accept = Urgency::ALL
            .iter()
            .map(|&u| (u, default_accept(u)))
            .collect();
        let rectification = BTreeMap::from([
            (RectificationStep::Contacted, DeadlineRule::WorkingDays(3)),
            (RectificationStep::Rectified, DeadlineRule::WorkingDays(5)),
        ]);
        DeadlinePolicy {
            reply,
            accept,
            redo_max_rounds: 2,
            rectification,
            rectified_complex: DeadlineRule::WorkingDays(15),
        }
    }
}

impl DeadlinePolicy {
    /// Parses `deadlines.json`. Every problem is reported in the details as `字段路径: 问题`.
    pub fn parse(text: &str) -> AppResult<DeadlinePolicy> {
        let invalid = |problems: Vec<String>| {
            AppError::new(
                Code::InvalidDeadlinePolicy,
                format!("时限配置有 {} 处错误", problems.len()),
            )
            .with_details(problems)
        };
        let value: Value = serde_json::from_str(text).map_err(|e| {
            invalid(vec![format!(
                "{}:{}: JSON 格式错误：{e}",
                e.line(),
                e.column()
            )])
        })?;
        let mut policy = DeadlinePolicy::default();
        let mut problems = Vec::new();
        policy.read(&value, &mut problems);
        if problems.is_empty() {
            Ok(policy)
        } else {
            Err(invalid(problems))
        }
    }

    /// Reads `path`; the built-in defaults when it does not exist. Details name the file.
    pub fn load(path: &Path) -> AppResult<DeadlinePolicy> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Ok(DeadlinePolicy::default())
            }
            Err(err) => {
                return Err(AppError::internal(format!(
                    "读取时限配置 {} 失败：{err}",
                    path.display()
                )))
            }
        };
        DeadlinePolicy::parse(&text).map_err(|mut err| {
            let file = path.display().to_string();
            err.details = err.details.iter().map(|d| format!("{file}: {d}")).collect();
            err.message = format!("{file}: {}", err.message);
            err
        })
    }

    fn read(&mut self, value: &Value, problems: &mut Vec<String>) {
        let Some(top) = object(value, "（顶层）", problems) else {
            return;
        };
        for (key, value) in top {
            match key.as_str() {
                "说明" => {}
                "reply" => self.read_reply(value, problems),
                "accept" => {
                    for (u, rule) in by_name(value, "accept", Urgency::parse, problems) {
                        self.accept.insert(u, rule);
                    }
                }
                "redo_max_rounds" => match value.as_u64() {
                    Some(n @ 1..=MAX_ROUNDS) => self.redo_max_rounds = n as u32,
                    _ => problems.push(format!(
                        "redo_max_rounds: 应为 1–{MAX_ROUNDS} 的整数，实际为 {value}"
                    )),
                },
                "rectification" => self.read_rectification(value, problems),
                other => problems.push(format!(
                    "{other}: 未知字段，可用字段：说明、reply、accept、redo_max_rounds、rectification"
                )),
            }
        }
    }

    fn read_reply(&mut self, value: &Value, problems: &mut Vec<String>) {
        let Some(types) = object(value, "reply", problems) else {
            return;
        };
        for (name, by_urgency) in types {
            let path = format!("reply.{name}");
            match TicketType::parse(name) {
                Ok(t) => {
                    for (u, rule) in by_name(by_urgency, &path, Urgency::parse, problems) {
                        self.reply.insert((t, u), rule);
                    }
                }
                Err(err) => problems.push(format!("{path}: {}", err.message)),
            }
        }
    }

    fn read_rectification(&mut self, value: &Value, problems: &mut Vec<String>) {
        let parse_key = |key: &str| match key {
            "rectified_complex" => Ok(None),
            other => RectificationStep::parse(other).map(Some).map_err(|err| {
                AppError::new(err.code, format!("{}、rectified_complex", err.message))
            }),
        };
        for (step, rule) in by_name(value, "rectification", parse_key, problems) {
            match step {
                Some(step) => {
                    self.rectification.insert(step, rule);
                }
                None => self.rectified_complex = rule,
            }
        }
    }

    /// The reply deadline of a ticket of this type and urgency.
    pub fn reply_rule(&self, ticket_type: TicketType, urgency: Urgency) -> DeadlineRule {
        self.reply
            .get(&(ticket_type, urgency))
            .copied()
            .unwrap_or_else(|| default_reply(ticket_type, urgency))
    }

    /// The acceptance (签收) deadline after a dispatch.
    pub fn accept_rule(&self, urgency: Urgency) -> DeadlineRule {
        self.accept
            .get(&urgency)
            .copied()
            .unwrap_or_else(|| default_accept(urgency))
    }

    /// Rounds a department gets: a poor rating in an earlier round is redone by the same
    /// department; in this round, the ticket goes back to the dispatchers.
    pub fn redo_max_rounds(&self) -> u32 {
        self.redo_max_rounds
    }

    /// The deadline of a rectification step, counted from the poor rating; `None` when the
    /// step has none. A complex case has its own rule for `rectified`.
    pub fn rectification_rule(
        &self,
        step: RectificationStep,
        complex: bool,
    ) -> Option<DeadlineRule> {
        if complex && step == RectificationStep::Rectified {
            return Some(self.rectified_complex);
        }
        self.rectification.get(&step).copied()
    }

    /// Every step deadline of a track opened at `opened`.
    pub fn rectification_dues(
        &self,
        opened: OffsetDateTime,
        complex: bool,
        calendar: &WorkCalendar,
    ) -> Vec<(RectificationStep, OffsetDateTime)> {
        RectificationStep::ALL
            .iter()
            .filter_map(|&step| {
                let rule = self.rectification_rule(step, complex)?;
                Some((step, due_at(opened, rule, calendar)))
            })
            .collect()
    }
}

fn object<'a>(
    value: &'a Value,
    path: &str,
    problems: &mut Vec<String>,
) -> Option<&'a Map<String, Value>> {
    let found = value.as_object();
    if found.is_none() {
        problems.push(format!("{path}: 应为 JSON 对象"));
    }
    found
}

/// The rules of an object whose keys `parse_key` reads; bad keys and values become problems.
fn by_name<K>(
    value: &Value,
    path: &str,
    parse_key: impl Fn(&str) -> AppResult<K>,
    problems: &mut Vec<String>,
) -> Vec<(K, DeadlineRule)> {
    let Some(map) = object(value, path, problems) else {
        return Vec::new();
    };
    let mut rules = Vec::new();
    for (key, rule) in map {
        let at = format!("{path}.{key}");
        let key = match parse_key(key) {
            Ok(key) => key,
            Err(err) => {
                problems.push(format!("{at}: {}", err.message));
                continue;
            }
        };
        match rule.as_str().map(DeadlineRule::parse) {
            Some(Ok(rule)) => rules.push((key, rule)),
            Some(Err(problem)) => problems.push(format!("{at}: {problem}")),
            None => problems.push(format!("{at}: 应为字符串，如 \"3 工作日\" 或 \"24 小时\"")),
        }
    }
    rules
}

/// The last second of `date` in China Standard Time.
pub fn end_of_day(date: time::Date) -> OffsetDateTime {
    date.with_time(time!(23:59:59)).assume_offset(CST)
}

/// When a rule started at `start` is due, in CST: working-day rules at 23:59:59 of the N-th
/// working day after the start day (the start day does not count); hour rules after N
/// natural hours.
pub fn due_at(
    start: OffsetDateTime,
    rule: DeadlineRule,
    calendar: &WorkCalendar,
) -> OffsetDateTime {
    let start = start.to_offset(CST);
    match rule {
        DeadlineRule::WorkingDays(n) => end_of_day(calendar.add_working_days(start.date(), n)),
        DeadlineRule::Hours(n) => start + Duration::hours(i64::from(n)),
    }
}

/// How much time is left before a deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Remaining {
    /// Working days from today (CST) to the due date: 0 when due today, negative when the
    /// due date has passed (working days overdue).
    pub working_days: i64,
    /// Natural minutes to the due instant, negative when overdue.
    pub minutes: i64,
    pub overdue: bool,
}

pub fn remaining(due: OffsetDateTime, now: OffsetDateTime, calendar: &WorkCalendar) -> Remaining {
    let today = now.to_offset(CST).date();
    let due_date = due.to_offset(CST).date();
    Remaining {
        working_days: calendar.working_days_between(today, due_date),
        minutes: (due - now).whole_minutes(),
        overdue: now > due,
    }
}

/// A deadline that needs attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Warning {
    /// Due by the end of the next working day (临期).
    DueSoon,
    /// Past due (超期).
    Overdue,
}

pub fn warning_level(
    due: OffsetDateTime,
    now: OffsetDateTime,
    calendar: &WorkCalendar,
) -> Option<Warning> {
    let left = remaining(due, now, calendar);
    if left.overdue {
        Some(Warning::Overdue)
    } else if left.working_days <= 1 {
        Some(Warning::DueSoon)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    fn cst(at: time::PrimitiveDateTime) -> OffsetDateTime {
        at.assume_offset(CST)
    }

    #[test]
    fn working_day_rules_end_at_the_end_of_the_due_day_in_cst() {
        let cal = WorkCalendar::builtin();
        let start = cst(datetime!(2026-09-30 16:20));
        let due = due_at(start, DeadlineRule::WorkingDays(3), &cal);
        assert_eq!(due, cst(datetime!(2026-10-10 23:59:59)));
        // 2026-09-30 01:00 CST is still 2026-09-29 in UTC: the CST day is what counts.
        let early = datetime!(2026-09-29 17:00 UTC);
        assert_eq!(due_at(early, DeadlineRule::WorkingDays(3), &cal), due);
    }

    #[test]
    fn hour_rules_add_natural_hours_through_holidays() {
        let cal = WorkCalendar::builtin();
        let start = cst(datetime!(2026-10-01 09:30));
        assert_eq!(
            due_at(start, DeadlineRule::Hours(24), &cal),
            cst(datetime!(2026-10-02 09:30))
        );
    }

    #[test]
    fn defaults_follow_the_documented_table() {
        let p = DeadlinePolicy::default();
        use DeadlineRule::{Hours, WorkingDays};
        use TicketType::*;
        let table = [
            (Consultation, [WorkingDays(3), WorkingDays(2), Hours(24)]),
            (Help, [WorkingDays(5), WorkingDays(3), Hours(24)]),
            (Complaint, [WorkingDays(15), WorkingDays(8), Hours(24)]),
            (Report, [WorkingDays(15), WorkingDays(8), Hours(24)]),
            (Suggestion, [WorkingDays(15), WorkingDays(8), Hours(24)]),
            (Praise, [WorkingDays(5), WorkingDays(3), Hours(24)]),
        ];
        for (t, rules) in table {
            for (&u, rule) in Urgency::ALL.iter().zip(rules) {
                assert_eq!(p.reply_rule(t, u), rule, "{t} {u}");
            }
        }
        assert_eq!(p.accept_rule(Urgency::Critical), DeadlineRule::Hours(2));
        assert_eq!(p.redo_max_rounds(), 2);
        let step = RectificationStep::Rectified;
        assert_eq!(
            p.rectification_rule(step, false),
            Some(DeadlineRule::WorkingDays(5))
        );
        assert_eq!(
            p.rectification_rule(step, true),
            Some(DeadlineRule::WorkingDays(15))
        );
        assert_eq!(
            p.rectification_rule(RectificationStep::Verified, false),
            None
        );
    }

    #[test]
    fn the_shipped_file_states_the_defaults() {
        let text = include_str!("../../knowledge/deadlines.json");
        assert_eq!(
            DeadlinePolicy::parse(text).unwrap(),
            DeadlinePolicy::default()
        );
    }

    #[test]
    fn a_file_may_override_single_rules_and_add_hour_steps() {
        let p = DeadlinePolicy::parse(
            r#"{"说明": "x", "reply": {"咨询": {"一般": "2工作日"}}, "redo_max_rounds": 3,
                "rectification": {"verified": "2 小时", "planned": "24 小时"}}"#,
        )
        .unwrap();
        let consult = p.reply_rule(TicketType::Consultation, Urgency::Normal);
        assert_eq!(consult, DeadlineRule::WorkingDays(2));
        assert_eq!(
            p.reply_rule(TicketType::Help, Urgency::Normal),
            DeadlineRule::WorkingDays(5)
        );
        assert_eq!(p.redo_max_rounds(), 3);
        let cal = WorkCalendar::builtin();
        let opened = cst(datetime!(2026-03-13 10:00));
        let dues = p.rectification_dues(opened, false, &cal);
        assert_eq!(
            dues,
            vec![
                (
                    RectificationStep::Verified,
                    cst(datetime!(2026-03-13 12:00))
                ),
                (
                    RectificationStep::Contacted,
                    cst(datetime!(2026-03-18 23:59:59))
                ),
                (RectificationStep::Planned, cst(datetime!(2026-03-14 10:00))),
                (
                    RectificationStep::Rectified,
                    cst(datetime!(2026-03-20 23:59:59))
                ),
            ]
        );
    }

    #[test]
    fn every_problem_of_a_bad_file_is_reported() {
        let err = DeadlinePolicy::parse(
            r#"{"reply": {"咨询": {"一般": "3天", "很急": "1 小时"}, "投拆": {}},
                "accept": {"特急": 2}, "redo_max_rounds": 0,
                "rectification": {"contacted": "0 工作日", "called": "1 小时"}, "extra": 1}"#,
        )
        .unwrap_err();
        assert_eq!(err.code, Code::InvalidDeadlinePolicy);
        let details = err.details.join("\n");
        for expected in [
            "reply.咨询.一般: 时限 \"3天\" 无效",
            "reply.咨询.很急: 未知紧急程度",
            "reply.投拆: 未知工单类型",
            "accept.特急: 应为字符串",
            "redo_max_rounds: 应为 1–10 的整数",
            "rectification.contacted: 时限 \"0 工作日\" 超出范围",
            "rectification.called: 未知整改步骤 \"called\"，可选值：verified、contacted、planned、rectified、rectified_complex",
            "extra: 未知字段",
        ] {
            assert!(details.contains(expected), "{expected}\n---\n{details}");
        }
        assert_eq!(err.details.len(), 8, "{details}");
        let syntax = DeadlinePolicy::parse("{\n\"reply\": }").unwrap_err();
        assert!(syntax.details[0].starts_with("2:"), "{:?}", syntax.details);
    }

    #[test]
    fn a_missing_file_means_defaults_and_a_bad_one_is_named() {
        let missing = DeadlinePolicy::load(Path::new("/nonexistent/deadlines.json")).unwrap();
        assert_eq!(missing, DeadlinePolicy::default());
        let dir = std::env::temp_dir().join(format!("deadlines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("deadlines.json");
        std::fs::write(&path, r#"{"accept": {"一般": "1 周"}}"#).unwrap();
        let err = DeadlinePolicy::load(&path).unwrap_err();
        assert!(err.details[0].starts_with(&format!("{}: accept.一般", path.display())));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rules_print_as_they_are_written() {
        for text in ["3 工作日", "24 小时"] {
            assert_eq!(DeadlineRule::parse(text).unwrap().to_string(), text);
        }
        let json = serde_json::to_string(&DeadlineRule::Hours(2)).unwrap();
        assert_eq!(json, "\"2 小时\"");
    }

    #[test]
    fn remaining_working_days_and_warnings() {
        let cal = WorkCalendar::builtin();
        // Due Monday 2026-03-16 end of day.
        let due = end_of_day(date!(2026 - 03 - 16));
        let thu = cst(datetime!(2026-03-12 09:00));
        let fri = cst(datetime!(2026-03-13 09:00));
        let mon = cst(datetime!(2026-03-16 20:00));
        let tue = cst(datetime!(2026-03-17 09:00));
        assert_eq!(remaining(due, thu, &cal).working_days, 2);
        assert_eq!(warning_level(due, thu, &cal), None);
        assert_eq!(remaining(due, fri, &cal).working_days, 1);
        assert_eq!(warning_level(due, fri, &cal), Some(Warning::DueSoon));
        assert_eq!(warning_level(due, mon, &cal), Some(Warning::DueSoon));
        let late = remaining(due, tue, &cal);
        assert!(late.overdue && late.working_days == -1 && late.minutes < 0);
        assert_eq!(warning_level(due, tue, &cal), Some(Warning::Overdue));
        let json = serde_json::to_string(&Warning::DueSoon).unwrap();
        assert_eq!(json, "\"due_soon\"");
        // Due Thu 2026-10-08: on Tue 09-29 two working days are left (09-30 and 10-08).
        let after_holiday = end_of_day(date!(2026 - 10 - 08));
        let before = cst(datetime!(2026-09-29 10:00));
        assert_eq!(remaining(after_holiday, before, &cal).working_days, 2);
        assert_eq!(warning_level(after_holiday, before, &cal), None);
    }
}
