//! The body of an entry edit: the interchange fields, checked by the same rules as a JSON
//! Lines import, plus the edit's `base_revision` and change `note`.

use std::collections::HashSet;

use serde_json::Value;

use super::entry::EntryContent;
use super::import::{validate, FileKind, SourceFile};
use crate::error::{AppError, AppResult, Code};

/// Longest change note an editor may leave with a revision.
pub const MAX_NOTE_CHARS: usize = 500;

/// A checked edit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EntryInput {
    pub content: EntryContent,
    /// The revision the editor started from (required to save over an existing entry).
    pub base_revision: Option<i64>,
    /// Why the change was made, kept with the revision.
    pub note: Option<String>,
}

/// Parses an edit. `path_id` is the entry of `PUT /entries/{id}` (a body `id` must match it);
/// without it, a body without `id` gets `new_id(department)`.
pub fn parse_entry_input(
    body: Value,
    path_id: Option<&str>,
    new_id: impl FnOnce(&str) -> String,
    known_departments: &HashSet<String>,
) -> AppResult<EntryInput> {
    let Value::Object(mut object) = body else {
        return Err(invalid("请求体应为 JSON 对象，字段同 entries.jsonl 的一行"));
    };
    let base_revision = match object.remove("base_revision") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_f64()
                .filter(|r| r.fract() == 0.0 && (1.0..=i64::MAX as f64).contains(r))
                .map(|r| r as i64)
                .ok_or_else(|| invalid("base_revision 应为正整数：编辑所依据的修订号"))?,
        ),
    };
    let note = match object.remove("note") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if text.chars().count() <= MAX_NOTE_CHARS => {
            Some(text.trim().to_string()).filter(|t| !t.is_empty())
        }
        Some(_) => {
            return Err(invalid(&format!(
                "note 应为不超过 {MAX_NOTE_CHARS} 字的文字：说明本次修改的原因"
            )))
        }
    };
    match (path_id, object.get("id")) {
        (Some(path), Some(Value::String(id))) if id != path => {
            return Err(invalid(&format!(
                "请求体中的 id {id:?} 与路径中的条目 {path} 不一致"
            )))
        }
        (Some(path), _) => {
            object.insert("id".into(), Value::String(path.to_string()));
        }
        (None, None) => {
            let department = object
                .get("department")
                .and_then(Value::as_str)
                .unwrap_or("KB")
                .to_string();
            object.insert("id".into(), Value::String(new_id(&department)));
        }
        (None, Some(_)) => {}
    }
    let text = Value::Object(object).to_string();
    let source = SourceFile {
        name: "请求体".into(),
        kind: FileKind::Entries,
        text,
    };
    let batch = validate(&[source], known_departments).map_err(|problems| {
        let count = problems.len();
        AppError::new(
            Code::InvalidEntry,
            format!("条目内容有 {count} 处错误，未保存：请按 details 逐项修改"),
        )
        .with_details(
            problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect(),
        )
    })?;
    let content = batch
        .entries
        .into_iter()
        .next()
        .ok_or_else(|| invalid("请求体中没有条目内容"))?;
    Ok(EntryInput {
        content,
        base_revision,
        note,
    })
}

fn invalid(message: &str) -> AppError {
    AppError::new(Code::InvalidEntry, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn known() -> HashSet<String> {
        ["GJJZX".to_string()].into_iter().collect()
    }

    fn body() -> Value {
        json!({
            "title": "公积金贷款额度怎么算",
            "questions": ["公积金能贷多少"],
            "answer": "按缴存余额的倍数计算。",
            "department": "GJJZX",
            "base_revision": 3,
            "note": "额度政策调整"
        })
    }

    #[test]
    fn an_edit_takes_the_path_id_and_keeps_base_and_note() {
        let input =
            parse_entry_input(body(), Some("GJJ-009"), |_| unreachable!(), &known()).unwrap();
        assert_eq!(input.content.id, "GJJ-009");
        assert_eq!(input.base_revision, Some(3));
        assert_eq!(input.note.as_deref(), Some("额度政策调整"));
        assert_eq!(input.content.region, "市级");
    }

    #[test]
    fn a_new_entry_without_id_gets_one() {
        let input =
            parse_entry_input(body(), None, |dept| format!("{dept}-NEW"), &known()).unwrap();
        assert_eq!(input.content.id, "GJJZX-NEW");
    }

    #[test]
    fn a_mismatched_id_is_refused() {
        let mut b = body();
        b["id"] = json!("GJJ-001");
        let err = parse_entry_input(b, Some("GJJ-002"), |_| String::new(), &known()).unwrap_err();
        assert_eq!(err.code, Code::InvalidEntry);
        assert!(err.message.contains("不一致"));
    }

    #[test]
    fn field_problems_are_listed_in_details() {
        let b = json!({"title": "", "answer": "a", "department": "NOPE", "materials": "身份证"});
        let err = parse_entry_input(b, Some("X-1"), |_| String::new(), &known()).unwrap_err();
        assert_eq!(err.code, Code::InvalidEntry);
        let details = err.details.join("\n");
        assert!(details.contains("title"), "{details}");
        assert!(details.contains("department"), "{details}");
        assert!(details.contains("materials"), "{details}");
    }

    #[test]
    fn a_bad_base_revision_is_refused() {
        let mut b = body();
        b["base_revision"] = json!("三");
        let err = parse_entry_input(b, Some("X-1"), |_| String::new(), &known()).unwrap_err();
        assert!(err.message.contains("base_revision"));
    }
}
