//! Reading a city's closed tickets from its previous system (JSON Lines) for routing to learn
//! from: every line checked, every problem reported with file and line, nothing kept unless
//! all lines are clean.

use std::collections::HashSet;

use serde::Deserialize;

use super::date::{parse_date, parse_timestamp};
use super::ticket::TicketType;
use super::ticket_record::HistoricTicket;

/// One line of an import file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: Option<String>,
    content: String,
    #[serde(rename = "type")]
    ticket_type: String,
    department: String,
    created_at: String,
}

/// Longest accepted ticket text, in characters.
const MAX_CONTENT_CHARS: usize = 4_000;

/// Parses `text` (the file `name`); `departments` are the codes of the city's directory.
/// Returns the tickets, or every problem as `name:line: problem`.
pub fn parse_history(
    name: &str,
    text: &str,
    departments: &HashSet<String>,
) -> Result<Vec<HistoricTicket>, Vec<String>> {
    let mut tickets = Vec::new();
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (index, raw) in text.lines().enumerate() {
        let at = format!("{name}:{}", index + 1);
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let line: Line = match serde_json::from_str(raw) {
            Ok(line) => line,
            Err(err) => {
                problems.push(format!("{at}: 不是有效的工单 JSON：{err}"));
                continue;
            }
        };
        let mut bad = |what: String| problems.push(format!("{at}: {what}"));
        let content = line.content.trim().to_string();
        if content.is_empty() {
            bad("content 不能为空".into());
        } else if content.chars().count() > MAX_CONTENT_CHARS {
            bad(format!("content 超过 {MAX_CONTENT_CHARS} 字"));
        }
        let ticket_type = TicketType::parse(line.ticket_type.trim());
        if let Err(err) = &ticket_type {
            bad(err.message.clone());
        }
        let department = line.department.trim().to_string();
        if !departments.contains(&department) {
            bad(format!(
                "承办部门 {department:?} 不在部门目录中（先导入 departments.jsonl）"
            ));
        }
        let created = line.created_at.trim();
        if parse_date(created).is_none() && parse_timestamp(created).is_none() {
            bad(format!(
                "created_at 应为 YYYY-MM-DD 或 RFC 3339 时刻，收到 {created:?}"
            ));
        }
        let id = line
            .id
            .map(|id| id.trim().to_string())
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| content_id(&content, &department, created));
        if !seen.insert(id.clone()) {
            bad(format!("工单编号 {id} 在文件中重复"));
        }
        if let Ok(ticket_type) = ticket_type {
            tickets.push(HistoricTicket {
                id,
                content,
                ticket_type,
                department,
                created_at: created.to_string(),
            });
        }
    }
    if problems.is_empty() {
        Ok(tickets)
    } else {
        Err(problems)
    }
}

/// A stable id for a line without one, so importing the same file twice adds nothing.
fn content_id(content: &str, department: &str, created: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{content}\u{1f}{department}\u{1f}{created}").as_bytes());
    format!("h-{:x}", digest)[..26].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes() -> HashSet<String> {
        ["SBZX".to_string(), "GJJZX".to_string()].into()
    }

    #[test]
    fn clean_lines_become_history() {
        let text = r#"{"content":"社保卡丢了","type":"咨询","department":"SBZX","created_at":"2025-03-01"}

{"id":"T-9","content":"公积金提取","type":"求助","department":"GJJZX","created_at":"2025-03-02T08:00:00Z"}"#;
        let tickets = parse_history("h.jsonl", text, &codes()).unwrap();
        assert_eq!(tickets.len(), 2);
        assert_eq!(tickets[1].id, "T-9");
        assert!(tickets[0].id.starts_with("h-"));
        let again = parse_history("h.jsonl", text, &codes()).unwrap();
        assert_eq!(tickets[0].id, again[0].id, "ids are stable across imports");
    }

    #[test]
    fn every_bad_line_is_reported_with_its_place() {
        let text = r#"{"content":"","type":"咨询","department":"SBZX","created_at":"2025-03-01"}
{"content":"x","type":"闲聊","department":"NOPE","created_at":"昨天"}
not json"#;
        let problems = parse_history("h.jsonl", text, &codes()).unwrap_err();
        assert!(problems[0].starts_with("h.jsonl:1: content"));
        assert!(problems
            .iter()
            .any(|p| p.starts_with("h.jsonl:2:") && p.contains("NOPE")));
        assert!(problems
            .iter()
            .any(|p| p.starts_with("h.jsonl:2:") && p.contains("created_at")));
        assert!(problems.iter().any(|p| p.starts_with("h.jsonl:3:")));
    }
}
