//! Validation of imports: JSON Lines files and spreadsheet rows become JSON objects that one
//! validation checks. Every bad line is reported as `file:line: field: problem` (spreadsheets:
//! `file:第N行: 表头: problem`), and nothing is accepted unless the whole input is clean.

use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use super::date::parse_date;
use super::entry::{Department, EntryContent, CITY_WIDE};

/// What a JSON Lines file holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileKind {
    Departments,
    #[default]
    Entries,
}

/// One input file, already read into memory.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub kind: FileKind,
    pub text: String,
}

/// How a source numbers its records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locator {
    /// JSON Lines: `file:7: field: …`.
    #[default]
    Line,
    /// Spreadsheets: `file:第7行: 表头: …`, the field named by its Chinese column header.
    Row,
}

/// One problem on one line (or spreadsheet row) of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportProblem {
    pub source: String,
    pub line: usize,
    /// The interchange field name (`materials`), or `json`, `header`, `cell` and the like.
    pub field: String,
    pub message: String,
    pub locator: Locator,
}

impl fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.locator {
            Locator::Line => write!(
                f,
                "{}:{}: {}: {}",
                self.source, self.line, self.field, self.message
            ),
            Locator::Row => write!(
                f,
                "{}:第{}行: {}: {}",
                self.source,
                self.line,
                super::spreadsheet::header_of(&self.field).unwrap_or(self.field.as_str()),
                self.message
            ),
        }
    }
}

/// One input split into JSON objects with their line (or row) numbers, and the problems met
/// while splitting it (a line that is not JSON, a header that is not known).
#[derive(Clone, Debug, Default)]
pub struct ParsedSource {
    pub name: String,
    pub kind: FileKind,
    pub locator: Locator,
    pub objects: Vec<(usize, Map<String, Value>)>,
    pub problems: Vec<ImportProblem>,
}

impl ParsedSource {
    /// A problem of this source.
    pub fn problem(&self, line: usize, field: &str, message: impl Into<String>) -> ImportProblem {
        ImportProblem {
            source: self.name.clone(),
            line,
            field: field.to_string(),
            message: message.into(),
            locator: self.locator,
        }
    }
}

impl SourceFile {
    /// The JSON objects of a JSON Lines file with their 1-based line numbers; blank lines are
    /// skipped and lines that are not JSON objects are reported.
    pub fn parse(&self) -> ParsedSource {
        let mut parsed = ParsedSource {
            name: self.name.clone(),
            kind: self.kind,
            ..ParsedSource::default()
        };
        for (index, raw) in self.text.lines().enumerate() {
            let line_no = index + 1;
            let text = raw.trim_start_matches('\u{feff}').trim();
            if text.is_empty() {
                continue;
            }
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(object)) => parsed.objects.push((line_no, object)),
                Ok(_) => {
                    let problem = parsed.problem(line_no, "json", "每行应是一个 JSON 对象");
                    parsed.problems.push(problem);
                }
                Err(err) => {
                    let problem = parsed.problem(
                        line_no,
                        "json",
                        format!("不是合法的 JSON（第 {} 列：{err}）", err.column()),
                    );
                    parsed.problems.push(problem);
                }
            }
        }
        parsed
    }
}

/// A fully validated input, ready to be written.
#[derive(Clone, Debug, Default)]
pub struct ImportBatch {
    pub departments: Vec<Department>,
    pub entries: Vec<EntryContent>,
}

const ENTRY_FIELDS: [&str; 12] = [
    "id",
    "title",
    "questions",
    "answer",
    "process",
    "materials",
    "department",
    "category",
    "region",
    "keywords",
    "valid_from",
    "valid_to",
];
const DEPARTMENT_FIELDS: [&str; 4] = ["code", "name", "duties", "keywords"];
const MAX_ID_CHARS: usize = 64;
const MAX_TITLE_CHARS: usize = 300;

/// Validates every JSON Lines file. `known_departments` are the department codes already
/// stored; codes defined in the input count as known too.
pub fn validate(
    files: &[SourceFile],
    known_departments: &HashSet<String>,
) -> Result<ImportBatch, Vec<ImportProblem>> {
    let parsed: Vec<ParsedSource> = files.iter().map(SourceFile::parse).collect();
    validate_parsed(&parsed, known_departments)
}

/// Validates sources already split into objects (JSON Lines files, spreadsheets), together:
/// an id may appear once in the whole input.
pub fn validate_parsed(
    files: &[ParsedSource],
    known_departments: &HashSet<String>,
) -> Result<ImportBatch, Vec<ImportProblem>> {
    let mut problems: Vec<ImportProblem> = files.iter().flat_map(|f| f.problems.clone()).collect();
    let mut batch = ImportBatch::default();
    let mut seen_codes: HashMap<String, String> = HashMap::new();
    let mut seen_ids: HashMap<String, String> = HashMap::new();

    for file in files.iter().filter(|f| f.kind == FileKind::Departments) {
        for (line_no, object) in &file.objects {
            let mut line = LineCheck::new(file, *line_no, &mut problems);
            line.reject_unknown_fields(object, &DEPARTMENT_FIELDS);
            let department = Department {
                code: line.identifier(object, "code"),
                name: line.required_text(object, "name"),
                duties: line.optional_text(object, "duties").unwrap_or_default(),
                keywords: line.string_list(object, "keywords"),
            };
            if !department.code.is_empty() {
                if let Some(first) = seen_codes.get(&department.code) {
                    line.problem("code", format!("编码 {} 与 {first} 重复", department.code));
                } else {
                    seen_codes.insert(department.code.clone(), line.location());
                }
            }
            if line.clean {
                batch.departments.push(department);
            }
        }
    }

    for file in files.iter().filter(|f| f.kind == FileKind::Entries) {
        for (line_no, object) in &file.objects {
            let mut line = LineCheck::new(file, *line_no, &mut problems);
            line.reject_unknown_fields(object, &ENTRY_FIELDS);
            let entry = EntryContent {
                id: line.identifier(object, "id"),
                title: line.required_text(object, "title"),
                questions: line.string_list(object, "questions"),
                answer: line.required_text(object, "answer"),
                process: line.string_list(object, "process"),
                materials: line.string_list(object, "materials"),
                department: line.required_text(object, "department"),
                category: line.optional_text(object, "category").unwrap_or_default(),
                region: line
                    .optional_text(object, "region")
                    .filter(|r| !r.trim().is_empty())
                    .unwrap_or_else(|| CITY_WIDE.to_string()),
                keywords: line.string_list(object, "keywords"),
                valid_from: line.date(object, "valid_from"),
                valid_to: line.date(object, "valid_to"),
            };
            if entry.title.chars().count() > MAX_TITLE_CHARS {
                line.problem("title", format!("标题不能超过 {MAX_TITLE_CHARS} 个字"));
            }
            if !entry.department.is_empty()
                && !known_departments.contains(&entry.department)
                && !seen_codes.contains_key(&entry.department)
            {
                line.problem(
                    "department",
                    format!(
                        "未知的部门编码 {}，请先导入该部门（departments.jsonl）",
                        entry.department
                    ),
                );
            }
            if let (Some(from), Some(to)) = (&entry.valid_from, &entry.valid_to) {
                if to < from {
                    line.problem("valid_to", format!("失效日期 {to} 早于生效日期 {from}"));
                }
            }
            if !entry.id.is_empty() {
                if let Some(first) = seen_ids.get(&entry.id) {
                    line.problem("id", format!("编号 {} 与 {first} 重复", entry.id));
                } else {
                    seen_ids.insert(entry.id.clone(), line.location());
                }
            }
            if line.clean {
                batch.entries.push(entry);
            }
        }
    }

    if problems.is_empty() {
        Ok(batch)
    } else {
        Err(problems)
    }
}

/// Field checks for one line, collecting problems and remembering whether the line is clean.
struct LineCheck<'a> {
    file: &'a ParsedSource,
    line: usize,
    problems: &'a mut Vec<ImportProblem>,
    clean: bool,
}

impl<'a> LineCheck<'a> {
    fn new(file: &'a ParsedSource, line: usize, problems: &'a mut Vec<ImportProblem>) -> Self {
        LineCheck {
            file,
            line,
            problems,
            clean: true,
        }
    }

    fn location(&self) -> String {
        match self.file.locator {
            Locator::Line => format!("{}:{}", self.file.name, self.line),
            Locator::Row => format!("{}:第{}行", self.file.name, self.line),
        }
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        self.clean = false;
        self.problems
            .push(self.file.problem(self.line, field, message));
    }

    fn reject_unknown_fields(&mut self, object: &Map<String, Value>, allowed: &[&str]) {
        for key in object.keys() {
            if !allowed.contains(&key.as_str()) {
                self.problem(key, format!("未知字段，可用字段为：{}", allowed.join("、")));
            }
        }
    }

    fn required_text(&mut self, object: &Map<String, Value>, field: &str) -> String {
        match object.get(field) {
            None | Some(Value::Null) => {
                self.problem(field, "缺少必填字段");
                String::new()
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.problem(field, "不能为空");
                String::new()
            }
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                self.problem(field, format!("应为字符串，收到 {}", type_name(other)));
                String::new()
            }
        }
    }

    fn identifier(&mut self, object: &Map<String, Value>, field: &str) -> String {
        let value = self.required_text(object, field);
        if value.is_empty() {
            return value;
        }
        let valid_chars = value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
        if !valid_chars || value.chars().count() > MAX_ID_CHARS {
            self.problem(
                field,
                format!(
                    "编码 {value:?} 只能由字母、数字和 - _ . 组成，且不超过 {MAX_ID_CHARS} 个字符"
                ),
            );
        }
        value
    }

    fn optional_text(&mut self, object: &Map<String, Value>, field: &str) -> Option<String> {
        match object.get(field) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                self.problem(field, format!("应为字符串，收到 {}", type_name(other)));
                None
            }
        }
    }

    fn string_list(&mut self, object: &Map<String, Value>, field: &str) -> Vec<String> {
        match object.get(field) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) if !s.trim().is_empty() => out.push(s.clone()),
                        Value::String(_) => {
                            self.problem(field, format!("第 {} 项为空字符串", i + 1))
                        }
                        other => self.problem(
                            field,
                            format!("第 {} 项应为字符串，收到 {}", i + 1, type_name(other)),
                        ),
                    }
                }
                out
            }
            Some(other) => {
                self.problem(field, format!("应为字符串数组，收到 {}", type_name(other)));
                Vec::new()
            }
        }
    }

    fn date(&mut self, object: &Map<String, Value>, field: &str) -> Option<String> {
        let text = self.optional_text(object, field)?;
        if parse_date(&text).is_none() {
            self.problem(
                field,
                format!("日期 {text:?} 无效，应为 YYYY-MM-DD 格式的真实日期，或 null"),
            );
            return None;
        }
        Some(text)
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "布尔值",
        Value::Number(_) => "数字",
        Value::String(_) => "字符串",
        Value::Array(_) => "数组",
        Value::Object(_) => "对象",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(kind: FileKind, name: &str, text: &str) -> SourceFile {
        SourceFile {
            name: name.into(),
            kind,
            text: text.into(),
        }
    }

    fn known() -> HashSet<String> {
        ["GJJZX".to_string()].into_iter().collect()
    }

    const GOOD: &str = r#"{"id":"GJJ-001","title":"租房怎么提取公积金？","questions":["租房提取"],"answer":"可以按月提取。","process":["登录"],"materials":["身份证"],"department":"GJJZX","category":"住房公积金","region":"市级","keywords":["租房"],"valid_from":"2024-01-01","valid_to":null}"#;

    #[test]
    fn a_clean_file_is_accepted_whole() {
        let batch = validate(&[file(FileKind::Entries, "e.jsonl", GOOD)], &known()).unwrap();
        assert_eq!(batch.entries.len(), 1);
        assert_eq!(batch.entries[0].valid_from.as_deref(), Some("2024-01-01"));
    }

    #[test]
    fn every_bad_line_is_reported_with_file_line_and_field() {
        let text = [
            GOOD,
            "{not json",
            r#"{"id":"GJJ-002","title":"","answer":"a","department":"GJJZX"}"#,
            r#"{"id":"GJJ-003","title":"t","answer":"a","department":"NOPE"}"#,
            r#"{"id":"GJJ-004","title":"t","answer":"a","department":"GJJZX","valid_to":"2024-13-01"}"#,
            r#"{"id":"GJJ-001","title":"t","answer":"a","department":"GJJZX"}"#,
            r#"{"id":"GJJ-005","title":"t","department":"GJJZX","colour":"red"}"#,
        ]
        .join("\n");
        let problems =
            validate(&[file(FileKind::Entries, "e.jsonl", &text)], &known()).unwrap_err();
        let lines: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        let fields: Vec<(usize, &str)> = problems
            .iter()
            .map(|p| (p.line, p.field.as_str()))
            .collect();
        assert!(fields.contains(&(2, "json")), "{lines:?}");
        assert!(fields.contains(&(3, "title")), "{lines:?}");
        assert!(fields.contains(&(4, "department")), "{lines:?}");
        assert!(fields.contains(&(5, "valid_to")), "{lines:?}");
        assert!(fields.contains(&(6, "id")), "{lines:?}");
        assert!(fields.contains(&(7, "answer")), "{lines:?}");
        assert!(fields.contains(&(7, "colour")), "{lines:?}");
        assert!(lines[0].starts_with("e.jsonl:"));
    }

    #[test]
    fn departments_in_the_same_input_count_as_known() {
        let departments = file(
            FileKind::Departments,
            "d.jsonl",
            r#"{"code":"NEW","name":"新部门","duties":"职责","keywords":[]}"#,
        );
        let entries = file(
            FileKind::Entries,
            "e.jsonl",
            r#"{"id":"N-1","title":"t","answer":"a","department":"NEW"}"#,
        );
        let batch = validate(&[entries, departments], &HashSet::new()).unwrap();
        assert_eq!(batch.departments.len(), 1);
        assert_eq!(batch.entries[0].region, CITY_WIDE);
    }

    #[test]
    fn an_end_date_before_the_start_is_rejected() {
        let text = r#"{"id":"A","title":"t","answer":"a","department":"GJJZX","valid_from":"2025-01-01","valid_to":"2024-01-01"}"#;
        let problems = validate(&[file(FileKind::Entries, "e.jsonl", text)], &known()).unwrap_err();
        assert_eq!(problems[0].field, "valid_to");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let text =
            r#"{"id":"A","title":"t","answer":"a","department":"GJJZX","questions":"不是数组"}"#;
        let problems = validate(&[file(FileKind::Entries, "e.jsonl", text)], &known()).unwrap_err();
        assert_eq!(problems[0].field, "questions");
    }
}
