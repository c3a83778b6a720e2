//! Reading and writing the spreadsheet files themselves: CSV (UTF-8, byte-order mark optional on
//! read and written so Excel shows Chinese) and XLSX (the first worksheet; dates as real date
//! cells or text). Rows come out as [`Cell`]s for [`super::spreadsheet::parse_rows`].

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use time::{Date, Month};

use super::date::parse_date;
use super::spreadsheet::{Cell, OutCell, Rows};

const BOM: &str = "\u{feff}";

/// The rows of a CSV file, numbered from 1 by record (as a spreadsheet shows them).
pub fn read_csv(bytes: &[u8]) -> Result<Rows, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        "不是 UTF-8 编码的 CSV：在 Excel 中请“另存为 → CSV UTF-8（逗号分隔）”".to_string()
    })?;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|err| format!("第 {} 行无法解析：{err}", index + 1))?;
        let cells = record
            .iter()
            .map(|value| {
                if value.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(value.to_string())
                }
            })
            .collect();
        rows.push((index + 1, cells));
    }
    Ok(rows)
}

/// A CSV file with a byte-order mark: the header row, then the rows.
pub fn write_csv(header: &[String], rows: &[Vec<OutCell>]) -> Result<Vec<u8>, String> {
    let mut writer = csv::WriterBuilder::new().from_writer(BOM.as_bytes().to_vec());
    let failed = |err: csv::Error| format!("写入 CSV 失败：{err}");
    writer.write_record(header).map_err(failed)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|cell| match cell {
                OutCell::Text(text) | OutCell::Date(text) => text.as_str(),
            }))
            .map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|err| format!("写入 CSV 失败：{err}"))
}

/// The rows of the first worksheet of an XLSX file, numbered as Excel numbers them.
pub fn read_xlsx(bytes: &[u8]) -> Result<Rows, String> {
    let mut workbook =
        Xlsx::new(Cursor::new(bytes)).map_err(|err| format!("不是可读取的 XLSX 文件：{err}"))?;
    let range = match workbook.worksheet_range_at(0) {
        None => return Err("XLSX 文件中没有工作表".to_string()),
        Some(range) => range.map_err(|err| format!("无法读取第一个工作表：{err}"))?,
    };
    let (first_row, first_col) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::new();
    for (index, cells) in range.rows().enumerate() {
        let mut row: Vec<Cell> = (0..first_col).map(|_| Cell::Empty).collect();
        row.extend(cells.iter().map(cell));
        rows.push((first_row as usize + index + 1, row));
    }
    Ok(rows)
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(text) => Cell::Text(text.clone()),
        Data::Int(n) => Cell::Number(*n as f64),
        Data::Float(n) => Cell::Number(*n),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(at) => {
            let (year, month, day, ..) = at.to_ymd_hms_milli();
            Month::try_from(month)
                .ok()
                .and_then(|month| Date::from_calendar_date(i32::from(year), month, day).ok())
                .map_or_else(|| Cell::Text(at.as_f64().to_string()), Cell::Date)
        }
        Data::DateTimeIso(text) => text
            .get(..10)
            .and_then(parse_date)
            .map_or_else(|| Cell::Text(text.clone()), Cell::Date),
        Data::DurationIso(text) => Cell::Text(text.clone()),
        Data::Error(err) => Cell::Error(format!("{err}")),
    }
}

/// An XLSX workbook of one sheet 知识条目: a bold, frozen header row, wrapped text, and dates as
/// real date cells shown as `yyyy-mm-dd`.
pub fn write_xlsx(header: &[String], rows: &[Vec<OutCell>]) -> Result<Vec<u8>, String> {
    let failed = |err: rust_xlsxwriter::XlsxError| format!("写入 XLSX 失败：{err}");
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("知识条目").map_err(failed)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    for (col, title) in header.iter().enumerate() {
        let col = u16::try_from(col).map_err(|_| "列数过多".to_string())?;
        sheet
            .write_string_with_format(0, col, title, &bold)
            .map_err(failed)?;
        let width = if title == "答复口径" { 60.0 } else { 18.0 };
        sheet.set_column_width(col, width).map_err(failed)?;
    }
    sheet.set_freeze_panes(1, 0).map_err(failed)?;
    for (index, row) in rows.iter().enumerate() {
        let row_no = u32::try_from(index + 1).map_err(|_| "行数过多".to_string())?;
        for (col, value) in row.iter().enumerate() {
            let col = u16::try_from(col).map_err(|_| "列数过多".to_string())?;
            match value {
                OutCell::Text(text) if text.is_empty() => {}
                OutCell::Date(text) if text.is_empty() => {}
                OutCell::Text(text) => {
                    sheet
                        .write_string_with_format(row_no, col, text, &wrap)
                        .map_err(failed)?;
                }
                OutCell::Date(text) => match excel_date(text) {
                    Some(date) => {
                        sheet
                            .write_datetime_with_format(row_no, col, &date, &date_format)
                            .map_err(failed)?;
                    }
                    None => {
                        sheet.write_string(row_no, col, text).map_err(failed)?;
                    }
                },
            }
        }
    }
    workbook.save_to_buffer().map_err(failed)
}

fn excel_date(text: &str) -> Option<ExcelDateTime> {
    let date = parse_date(text)?;
    let year = u16::try_from(date.year()).ok()?;
    ExcelDateTime::from_ymd(year, u8::from(date.month()), date.day()).ok()
}
