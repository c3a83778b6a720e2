//! Agents' feedback on a search (adopted, not helpful, no answer, report of a faulty entry)
//! and the editors' tasks it creates: the kinds, the problems a report names, and the checks
//! a feedback request must pass before anything is written.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, Code};

/// Longest free-text comment on feedback or on closing a task.
pub const MAX_COMMENT_CHARS: usize = 2_000;

/// What the agent says about a search.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedbackKind {
    /// The named entry answered the caller.
    Adopted,
    /// The results did not help.
    NotHelpful,
    /// The knowledge base has no answer to this question.
    NoAnswer,
    /// The named entry is wrong, outdated or incomplete: a task for its editors.
    Report,
}

impl FeedbackKind {
    pub const ALL: [FeedbackKind; 4] = [
        FeedbackKind::Adopted,
        FeedbackKind::NotHelpful,
        FeedbackKind::NoAnswer,
        FeedbackKind::Report,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FeedbackKind::Adopted => "adopted",
            FeedbackKind::NotHelpful => "not_helpful",
            FeedbackKind::NoAnswer => "no_answer",
            FeedbackKind::Report => "report",
        }
    }

    pub fn parse(text: &str) -> AppResult<FeedbackKind> {
        FeedbackKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
            .ok_or_else(|| {
                AppError::new(
                    Code::InvalidFeedback,
                    format!(
                        "kind 应为 adopted（已采用）、not_helpful（没有帮助）、no_answer（没有答案）或 report（报告条目问题），收到 {text:?}"
                    ),
                )
            })
    }

    /// Whether the search becomes an observation of a knowledge gap.
    pub fn signals_gap(self) -> bool {
        matches!(self, FeedbackKind::NotHelpful | FeedbackKind::NoAnswer)
    }
}

/// What is wrong with a reported entry, stored and shown in Chinese.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    Wrong,
    Outdated,
    Incomplete,
    Other,
}

impl Problem {
    const ALL: [Problem; 4] = [
        Problem::Wrong,
        Problem::Outdated,
        Problem::Incomplete,
        Problem::Other,
    ];

    /// The stored value: 错误、过期、不完整、其他.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Wrong => "错误",
            Problem::Outdated => "过期",
            Problem::Incomplete => "不完整",
            Problem::Other => "其他",
        }
    }

    fn alias(self) -> &'static str {
        match self {
            Problem::Wrong => "wrong",
            Problem::Outdated => "outdated",
            Problem::Incomplete => "incomplete",
            Problem::Other => "other",
        }
    }

    /// The Chinese value or its English alias (wrong, outdated, incomplete, other).
    pub fn parse(text: &str) -> AppResult<Problem> {
        let text = text.trim();
        Problem::ALL
            .into_iter()
            .find(|p| p.as_str() == text || p.alias() == text)
            .ok_or_else(|| {
                AppError::new(
                    Code::InvalidProblem,
                    format!("problem 应为 错误、过期、不完整 或 其他（也可写 wrong、outdated、incomplete、other），收到 {text:?}"),
                )
            })
    }
}

/// `POST /api/v1/searches/{search_id}/feedback`.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// adopted：已采用；not_helpful：没有帮助；no_answer：知识库没有答案；report：报告条目问题
    #[schema(
        example = "report",
        pattern = "^(adopted|not_helpful|no_answer|report)$"
    )]
    pub kind: String,
    /// adopted 与 report 必填：所采用或所报告的知识条目
    pub entry_id: Option<String>,
    /// report 必填：错误、过期、不完整 或 其他
    #[schema(example = "过期")]
    pub problem: Option<String>,
    /// 补充说明，最长 2000 字
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

/// A feedback request that passed its checks (the entry's existence is checked by the app).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Feedback {
    pub kind: FeedbackKind,
    pub entry_id: Option<String>,
    pub problem: Option<Problem>,
    pub comment: Option<String>,
}

impl FeedbackRequest {
    pub fn validate(self) -> AppResult<Feedback> {
        let kind = FeedbackKind::parse(&self.kind)?;
        let entry_id = blank_to_none(self.entry_id);
        let comment = check_comment(self.comment)?;
        let needs_entry = matches!(kind, FeedbackKind::Adopted | FeedbackKind::Report);
        if needs_entry && entry_id.is_none() {
            return Err(AppError::new(
                Code::InvalidFeedback,
                format!(
                    "{} 反馈必须用 entry_id 指明{}的知识条目",
                    kind.as_str(),
                    if kind == FeedbackKind::Adopted {
                        "所采用"
                    } else {
                        "有问题"
                    }
                ),
            ));
        }
        let problem = match (kind, blank_to_none(self.problem)) {
            (FeedbackKind::Report, Some(p)) => Some(Problem::parse(&p)?),
            (FeedbackKind::Report, None) => {
                return Err(AppError::new(
                    Code::InvalidProblem,
                    "report 反馈必须写明 problem：错误、过期、不完整 或 其他",
                ))
            }
            (_, Some(_)) => {
                return Err(AppError::new(
                    Code::InvalidFeedback,
                    "只有 report 反馈可以填写 problem",
                ))
            }
            (_, None) => None,
        };
        Ok(Feedback {
            kind,
            entry_id,
            problem,
            comment,
        })
    }
}

/// A trimmed comment of at most [`MAX_COMMENT_CHARS`]; blank is none.
pub fn check_comment(comment: Option<String>) -> AppResult<Option<String>> {
    let comment = blank_to_none(comment);
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(AppError::new(
            Code::ContentTooLong,
            format!("comment 最长 {MAX_COMMENT_CHARS} 字"),
        ));
    }
    Ok(comment)
}

fn blank_to_none(value: Option<String>) -> Option<String> {
    value
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// How an editor closes a task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskResolution {
    Done,
    Dismissed,
}

impl TaskResolution {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskResolution::Done => "done",
            TaskResolution::Dismissed => "dismissed",
        }
    }

    pub fn parse(text: &str) -> AppResult<TaskResolution> {
        match text.trim() {
            "done" => Ok(TaskResolution::Done),
            "dismissed" => Ok(TaskResolution::Dismissed),
            other => Err(AppError::new(
                Code::InvalidResolution,
                format!("resolution 应为 done（已处理）或 dismissed（不予处理），收到 {other:?}"),
            )),
        }
    }
}

/// Task statuses a listing may ask for.
pub const TASK_STATUSES: [&str; 3] = ["open", "done", "dismissed"];

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: &str, entry: Option<&str>, problem: Option<&str>) -> FeedbackRequest {
        FeedbackRequest {
            kind: kind.to_string(),
            entry_id: entry.map(str::to_string),
            problem: problem.map(str::to_string),
            comment: None,
        }
    }

    #[test]
    fn problems_accept_chinese_values_and_english_aliases() {
        assert_eq!(Problem::parse("过期").unwrap(), Problem::Outdated);
        assert_eq!(Problem::parse("outdated").unwrap(), Problem::Outdated);
        assert_eq!(Problem::parse(" 不完整 ").unwrap(), Problem::Incomplete);
        let err = Problem::parse("太长").unwrap_err();
        assert_eq!(err.code, Code::InvalidProblem);
        assert!(err.message.contains("错误、过期、不完整"));
    }

    #[test]
    fn adopted_and_report_need_an_entry() {
        let err = request("adopted", None, None).validate().unwrap_err();
        assert_eq!(err.code, Code::InvalidFeedback);
        assert!(err.message.contains("entry_id"));
        let err = request("report", Some(" "), Some("错误"))
            .validate()
            .unwrap_err();
        assert!(err.message.contains("entry_id"));
        let ok = request("adopted", Some("E1"), None).validate().unwrap();
        assert_eq!(ok.kind, FeedbackKind::Adopted);
    }

    #[test]
    fn only_reports_carry_a_problem_and_they_must() {
        let err = request("report", Some("E1"), None).validate().unwrap_err();
        assert_eq!(err.code, Code::InvalidProblem);
        let err = request("no_answer", None, Some("错误"))
            .validate()
            .unwrap_err();
        assert_eq!(err.code, Code::InvalidFeedback);
        let ok = request("report", Some("E1"), Some("wrong"))
            .validate()
            .unwrap();
        assert_eq!(ok.problem, Some(Problem::Wrong));
    }

    #[test]
    fn unknown_kinds_and_resolutions_are_refused_in_chinese() {
        let err = request("liked", None, None).validate().unwrap_err();
        assert!(err.message.contains("adopted（已采用）"));
        assert!(TaskResolution::parse("closed").is_err());
        assert_eq!(TaskResolution::parse("done").unwrap().as_str(), "done");
    }

    #[test]
    fn long_comments_are_refused() {
        let long = "字".repeat(MAX_COMMENT_CHARS + 1);
        assert!(check_comment(Some(long)).is_err());
        assert_eq!(check_comment(Some("  ".into())).unwrap(), None);
    }
}
