//! Unit tests of the spreadsheet form: the multi-value rule, headers, rows and round trips
//! through CSV and XLSX bytes.

use std::collections::HashSet;

use time::macros::date;

use super::*;
use crate::domain::import::validate_parsed;
use crate::domain::sheet_files::{read_csv, read_xlsx, write_csv, write_xlsx};

fn text(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

fn known() -> HashSet<String> {
    ["GJJZX".to_string()].into_iter().collect()
}

fn sample() -> EntryContent {
    EntryContent {
        id: "GJJ-001".into(),
        title: "租房怎么提取公积金？".into(),
        questions: vec!["租房提取公积金".into(), "租房子能取公积金吗".into()],
        answer: "可以按月提取。\n第二段说明。".into(),
        process: vec!["现场领卡；街道受理的10个工作日后领取".into()],
        materials: vec!["身份证".into(), "租房合同".into()],
        department: "GJJZX".into(),
        category: "住房公积金".into(),
        region: "市级".into(),
        keywords: vec![],
        valid_from: Some("2024-01-01".into()),
        valid_to: None,
    }
}

fn header_cells() -> Vec<Cell> {
    header_row().iter().map(|h| text(h)).collect()
}

#[test]
fn line_breaks_separate_items_and_semicolons_only_without_them() {
    assert_eq!(
        split_items("身份证\n户口本\r\n\n"),
        vec!["身份证", "户口本"]
    );
    assert_eq!(
        split_items("身份证；户口本; 结婚证"),
        vec!["身份证", "户口本", "结婚证"]
    );
    assert_eq!(split_items("甲；乙\n丙"), vec!["甲；乙", "丙"]);
    assert!(split_items("  ").is_empty());
}

#[test]
fn joined_items_split_back_identically() {
    for items in [
        vec![],
        vec!["身份证".to_string()],
        vec!["现场领卡；街道领取".to_string()],
        vec!["甲；乙".to_string(), "丙".to_string()],
    ] {
        assert_eq!(split_items(&join_items(&items)), items);
    }
}

#[test]
fn headers_may_come_in_any_order_and_unknown_or_missing_ones_are_named() {
    let rows = vec![
        (
            1,
            vec![
                text("标题"),
                text("编号"),
                text("答复口径"),
                text("承办部门"),
            ],
        ),
        (
            2,
            vec![text("标题一"), text("A-1"), text("答复"), text("GJJZX")],
        ),
        (3, vec![Cell::Empty, text(" ")]),
    ];
    let parsed = parse_rows("e.csv", rows);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    let batch = validate_parsed(&[parsed], &known()).unwrap();
    assert_eq!(batch.entries[0].id, "A-1");
    assert_eq!(batch.entries[0].region, "市级");

    let rows = vec![(1, vec![text("编号"), text("颜色"), text("答复口径")])];
    let parsed = parse_rows("e.csv", rows);
    let lines: Vec<String> = parsed.problems.iter().map(ToString::to_string).collect();
    assert!(lines.iter().any(|l| l.contains("颜色")), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.contains("缺少必需的列 标题")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("缺少必需的列 承办部门")),
        "{lines:?}"
    );
    assert!(lines[0].starts_with("e.csv:第1行: 表头: "), "{lines:?}");
}

#[test]
fn row_problems_name_the_row_and_the_chinese_header() {
    let mut bad = entry_row(&sample());
    bad[0] = OutCell::Text("A-2".into());
    bad[3] = OutCell::Text(String::new());
    bad[11] = OutCell::Date("2023-01-01".into());
    let rows: Vec<(usize, Vec<Cell>)> = std::iter::once(header_cells())
        .chain([entry_row(&sample()), bad].iter().map(|r| {
            r.iter()
                .map(|c| match c {
                    OutCell::Text(t) | OutCell::Date(t) => text(t),
                })
                .collect()
        }))
        .enumerate()
        .map(|(i, cells)| (i + 1, cells))
        .collect();
    let parsed = parse_rows("entries.xlsx", rows);
    let problems = validate_parsed(&[parsed], &known()).unwrap_err();
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        lines.contains(&"entries.xlsx:第3行: 答复口径: 不能为空".to_string()),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("entries.xlsx:第3行: 失效日期: ")),
        "{lines:?}"
    );
    assert_eq!(problems.len(), 2, "{lines:?}");
}

#[test]
fn a_duplicate_id_points_at_the_first_row() {
    let row: Vec<Cell> = entry_row(&sample())
        .into_iter()
        .map(|c| match c {
            OutCell::Text(t) | OutCell::Date(t) => text(&t),
        })
        .collect();
    let rows = vec![(1, header_cells()), (2, row.clone()), (4, row)];
    let problems = validate_parsed(&[parse_rows("e.csv", rows)], &known()).unwrap_err();
    assert_eq!(
        problems[0].to_string(),
        "e.csv:第4行: 编号: 编号 GJJ-001 与 e.csv:第2行 重复"
    );
}

#[test]
fn cells_of_other_types_become_text_and_errors_are_reported() {
    let rows = vec![
        (1, header_cells()),
        (
            2,
            vec![
                text("N-1"),
                Cell::Number(12345.0),
                Cell::Empty,
                text("答复"),
                Cell::Empty,
                Cell::Error("#N/A".into()),
                text("GJJZX"),
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
                Cell::Date(date!(2025 - 03 - 01)),
                text("2025-12-31"),
                text("多余"),
            ],
        ),
    ];
    let parsed = parse_rows("e.xlsx", rows);
    let lines: Vec<String> = parsed.problems.iter().map(ToString::to_string).collect();
    assert!(lines.contains(&"e.xlsx:第2行: 所需材料: 单元格是错误值 #N/A".to_string()));
    assert!(lines.contains(&"e.xlsx:第2行: 表头: 第 13 列有内容但没有表头".to_string()));
    let object = &parsed.objects[0].1;
    assert_eq!(object["title"], "12345");
    assert_eq!(object["valid_from"], "2025-03-01");
}

#[test]
fn csv_round_trip_keeps_every_field() {
    let entries = vec![sample()];
    let rows: Vec<Vec<OutCell>> = entries.iter().map(entry_row).collect();
    let bytes = write_csv(&header_row(), &rows).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()));
    let parsed = parse_rows("entries.csv", read_csv(&bytes).unwrap());
    let batch = validate_parsed(&[parsed], &known()).unwrap();
    assert_eq!(batch.entries, entries);
}

#[test]
fn xlsx_round_trip_keeps_every_field_with_real_date_cells() {
    let entries = vec![sample()];
    let rows: Vec<Vec<OutCell>> = entries.iter().map(entry_row).collect();
    let bytes = write_xlsx(&header_row(), &rows).unwrap();
    let read = read_xlsx(&bytes).unwrap();
    assert_eq!(read[1].1[10], Cell::Date(date!(2024 - 01 - 01)));
    let batch = validate_parsed(&[parse_rows("entries.xlsx", read)], &known()).unwrap();
    assert_eq!(batch.entries, entries);
}

#[test]
fn unreadable_files_say_what_to_do() {
    assert!(read_csv(&[0xff, 0xfe, 0x00]).unwrap_err().contains("UTF-8"));
    assert!(read_xlsx(b"not a zip").unwrap_err().contains("XLSX"));
    let parsed = parse_rows("e.csv", read_csv(b"").unwrap());
    assert_eq!(parsed.problems.len(), 1);
}
