//! Knowledge entries as spreadsheet rows: the Chinese column headers, the rule for multi-value
//! cells, and the conversion between rows and the interchange objects that
//! [`super::import::validate_parsed`] checks (so spreadsheets and JSON Lines share one
//! validation).

use serde_json::{Map, Value};
use time::Date;

use super::date::format_date;
use super::entry::EntryContent;
use super::import::{FileKind, Locator, ParsedSource};

/// The columns, in export order: Chinese header and interchange field.
pub const COLUMNS: [(&str, &str); 12] = [
    ("编号", "id"),
    ("标题", "title"),
    ("相似问法", "questions"),
    ("答复口径", "answer"),
    ("办理流程", "process"),
    ("所需材料", "materials"),
    ("承办部门", "department"),
    ("分类", "category"),
    ("适用区域", "region"),
    ("关键词", "keywords"),
    ("生效日期", "valid_from"),
    ("失效日期", "valid_to"),
];

/// Columns a sheet must have.
const REQUIRED: [&str; 4] = ["id", "title", "answer", "department"];
/// Fields whose cells hold several items.
const LISTS: [&str; 4] = ["questions", "process", "materials", "keywords"];
/// Fields kept exactly as written (multi-line text); other cells are trimmed.
const VERBATIM: [&str; 2] = ["title", "answer"];
const DATES: [&str; 2] = ["valid_from", "valid_to"];

/// The Chinese header of an interchange field.
pub fn header_of(field: &str) -> Option<&'static str> {
    COLUMNS.iter().find(|(_, f)| *f == field).map(|(h, _)| *h)
}

fn field_of(header: &str) -> Option<&'static str> {
    COLUMNS.iter().find(|(h, _)| *h == header).map(|(_, f)| *f)
}

/// The spreadsheet formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SheetFormat {
    Csv,
    Xlsx,
}

impl SheetFormat {
    /// The format a file name's extension names, if any.
    pub fn from_name(name: &str) -> Option<SheetFormat> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") {
            Some(SheetFormat::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(SheetFormat::Xlsx)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            SheetFormat::Csv => "text/csv; charset=utf-8",
            SheetFormat::Xlsx => XLSX_CONTENT_TYPE,
        }
    }

    /// The file name of an export.
    pub fn file_name(self) -> &'static str {
        match self {
            SheetFormat::Csv => "entries.csv",
            SheetFormat::Xlsx => "entries.xlsx",
        }
    }
}

pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One cell as a file gives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    Date(Date),
    /// An error value such as `#N/A`.
    Error(String),
}

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    fn text(&self) -> String {
        match self {
            Cell::Empty | Cell::Error(_) => String::new(),
            Cell::Text(text) => text.clone(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => (if *b { "TRUE" } else { "FALSE" }).to_string(),
            Cell::Date(d) => format_date(*d),
        }
    }
}

/// The rows of a sheet with their 1-based row numbers; the first non-empty row is the header.
pub type Rows = Vec<(usize, Vec<Cell>)>;

/// Items of a multi-value cell. The rule: line breaks separate items; only in a cell without a
/// line break do `；` and `;` separate them. Items are trimmed; empty ones are dropped.
pub fn split_items(cell: &str) -> Vec<String> {
    let parts: Vec<&str> = if cell.contains(['\n', '\r']) {
        cell.split(['\n', '\r']).collect()
    } else {
        cell.split(['；', ';']).collect()
    };
    parts
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The cell text of a list that [`split_items`] reads back as the same items: one item per
/// line, and a final line break after a single item holding a semicolon.
pub fn join_items(items: &[String]) -> String {
    let mut text = items.join("\n");
    if items.len() == 1 && items[0].contains(['；', ';']) {
        text.push('\n');
    }
    text
}

/// The header row of an export.
pub fn header_row() -> Vec<String> {
    COLUMNS.iter().map(|(h, _)| h.to_string()).collect()
}

/// A cell of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutCell {
    Text(String),
    Date(String),
}

/// An entry as an export row, in [`COLUMNS`] order.
pub fn entry_row(entry: &EntryContent) -> Vec<OutCell> {
    let date = |d: &Option<String>| OutCell::Date(d.clone().unwrap_or_default());
    vec![
        OutCell::Text(entry.id.clone()),
        OutCell::Text(entry.title.clone()),
        OutCell::Text(join_items(&entry.questions)),
        OutCell::Text(entry.answer.clone()),
        OutCell::Text(join_items(&entry.process)),
        OutCell::Text(join_items(&entry.materials)),
        OutCell::Text(entry.department.clone()),
        OutCell::Text(entry.category.clone()),
        OutCell::Text(entry.region.clone()),
        OutCell::Text(join_items(&entry.keywords)),
        date(&entry.valid_from),
        date(&entry.valid_to),
    ]
}

/// Reads a sheet's rows into interchange objects: header problems stop there (no row is read);
/// empty rows are skipped; cells that cannot be read are reported with their row.
pub fn parse_rows(name: &str, rows: Rows) -> ParsedSource {
    let mut parsed = ParsedSource {
        name: name.to_string(),
        kind: FileKind::Entries,
        locator: Locator::Row,
        ..ParsedSource::default()
    };
    let mut rows = rows
        .into_iter()
        .filter(|(_, cells)| !cells.iter().all(Cell::is_blank));
    let Some((header_row, header)) = rows.next() else {
        let problem = parsed.problem(1, "表头", "文件为空：第一行应为表头（编号、标题……）");
        parsed.problems.push(problem);
        return parsed;
    };
    let columns = match read_header(&header) {
        Ok(columns) => columns,
        Err(messages) => {
            for message in messages {
                let problem = parsed.problem(header_row, "表头", message);
                parsed.problems.push(problem);
            }
            return parsed;
        }
    };
    for (row_no, cells) in rows {
        let mut object = Map::new();
        for (index, cell) in cells.iter().enumerate() {
            let Some(field) = columns.get(index).copied().flatten() else {
                if !cell.is_blank() {
                    let problem = parsed.problem(
                        row_no,
                        "表头",
                        format!("第 {} 列有内容但没有表头", index + 1),
                    );
                    parsed.problems.push(problem);
                }
                continue;
            };
            if let Cell::Error(value) = cell {
                let problem = parsed.problem(row_no, field, format!("单元格是错误值 {value}"));
                parsed.problems.push(problem);
                continue;
            }
            if let Some(value) = cell_value(field, cell) {
                object.insert(field.to_string(), value);
            }
        }
        for field in REQUIRED {
            if columns.contains(&Some(field)) && !object.contains_key(field) {
                object.insert(field.to_string(), Value::String(String::new()));
            }
        }
        parsed.objects.push((row_no, object));
    }
    parsed
}

/// The field of each column (`None` for an empty header), or every header problem.
fn read_header(cells: &[Cell]) -> Result<Vec<Option<&'static str>>, Vec<String>> {
    let mut problems = Vec::new();
    let mut columns = Vec::with_capacity(cells.len());
    let known: Vec<&str> = COLUMNS.iter().map(|(h, _)| *h).collect();
    for cell in cells {
        let text = cell.text();
        let header = text.trim_start_matches('\u{feff}').trim();
        if header.is_empty() {
            columns.push(None);
            continue;
        }
        match field_of(header) {
            Some(field) if columns.contains(&Some(field)) => {
                problems.push(format!("表头 {header} 出现了两次"));
                columns.push(None);
            }
            Some(field) => columns.push(Some(field)),
            None => {
                problems.push(format!(
                    "未知的表头 {header:?}，可用表头：{}",
                    known.join("、")
                ));
                columns.push(None);
            }
        }
    }
    for field in REQUIRED {
        if !columns.contains(&Some(field)) {
            let header = header_of(field).unwrap_or(field);
            problems.push(format!("缺少必需的列 {header}"));
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(problems)
    }
}

/// The JSON value of a cell for the validation, or `None` to leave the field out (empty).
fn cell_value(field: &str, cell: &Cell) -> Option<Value> {
    let text = cell.text();
    if LISTS.contains(&field) {
        let items = split_items(&text).into_iter().map(Value::String).collect();
        return Some(Value::Array(items));
    }
    if DATES.contains(&field) {
        let text = text.trim();
        return (!text.is_empty()).then(|| Value::String(text.to_string()));
    }
    let value = if VERBATIM.contains(&field) {
        text
    } else {
        text.trim().to_string()
    };
    (!value.trim().is_empty()).then_some(Value::String(value))
}

#[cfg(test)]
#[path = "spreadsheet_tests.rs"]
mod tests;
