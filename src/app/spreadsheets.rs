//! Entry spreadsheets (CSV, XLSX) in and out: editors import a sheet through the same
//! validation and write path as the JSON Lines import, and export the published entries.

use std::path::{Path, PathBuf};

use super::{App, IndexSync};
use crate::db::EntryWrite;
use crate::domain::access::{Identity, Permission};
use crate::domain::import::ParsedSource;
use crate::domain::sheet_files::{read_csv, read_xlsx, write_csv, write_xlsx};
use crate::domain::spreadsheet::{
    entry_row, header_row, parse_rows, OutCell, SheetFormat, XLSX_CONTENT_TYPE,
};
use crate::error::{AppError, AppResult, Code};

/// What a spreadsheet import did.
#[derive(Clone, Debug)]
pub struct SheetImport {
    pub write: EntryWrite,
    pub index: IndexSync,
}

/// Reads a spreadsheet's bytes into rows for the validation (off the async threads: an XLSX
/// file is a zip archive to inflate).
pub(crate) async fn read_sheet(
    name: &str,
    format: SheetFormat,
    bytes: Vec<u8>,
) -> AppResult<ParsedSource> {
    let owned = name.to_string();
    tokio::task::spawn_blocking(move || {
        let rows = match format {
            SheetFormat::Csv => read_csv(&bytes),
            SheetFormat::Xlsx => read_xlsx(&bytes),
        };
        rows.map(|rows| parse_rows(&owned, rows))
            .map_err(|message| AppError::new(Code::ImportInvalid, format!("{owned}: {message}")))
    })
    .await?
}

impl App {
    /// Imports one spreadsheet of entries (all rows or none) for editors, reviewers and
    /// administrators; the entries are published as by `hotline import`.
    pub async fn import_spreadsheet(
        &self,
        caller: &Identity,
        format: Option<SheetFormat>,
        bytes: Vec<u8>,
    ) -> AppResult<SheetImport> {
        caller.require(Permission::ImportKnowledge)?;
        let format = format.ok_or_else(|| {
            AppError::new(
                Code::InvalidParameter,
                format!(
                    "无法判断文件格式：请用 Content-Type: text/csv 或 {XLSX_CONTENT_TYPE} 上传，或加 ?format=csv|xlsx"
                ),
            )
        })?;
        let source = read_sheet(format.file_name(), format, bytes).await?;
        let (write, index) = self.import_sources(&[source]).await?;
        tracing::info!(
            caller = %caller.name,
            created = write.created,
            updated = write.updated,
            unchanged = write.unchanged,
            "imported an entry spreadsheet"
        );
        Ok(SheetImport { write, index })
    }

    /// The published entries as a spreadsheet, for editors, reviewers and administrators.
    pub async fn export_spreadsheet(
        &self,
        caller: &Identity,
        format: SheetFormat,
    ) -> AppResult<Vec<u8>> {
        caller.require(Permission::ImportKnowledge)?;
        Ok(self.spreadsheet_bytes(format).await?.0)
    }

    /// Writes `entries.csv` or `entries.xlsx` (published entries) into `dir`; returns the path
    /// and the number of entries.
    pub async fn export_spreadsheet_file(
        &self,
        dir: &Path,
        format: SheetFormat,
    ) -> AppResult<(PathBuf, usize)> {
        let (bytes, count) = self.spreadsheet_bytes(format).await?;
        std::fs::create_dir_all(dir)?;
        let path = dir.join(format.file_name());
        std::fs::write(&path, bytes)?;
        Ok((path, count))
    }

    /// The file and the number of entries in it.
    async fn spreadsheet_bytes(&self, format: SheetFormat) -> AppResult<(Vec<u8>, usize)> {
        let entries = self.db.published_entries().await?;
        let rows: Vec<Vec<OutCell>> = entries.iter().map(|e| entry_row(&e.content)).collect();
        let count = rows.len();
        let bytes = tokio::task::spawn_blocking(move || {
            let header = header_row();
            match format {
                SheetFormat::Csv => write_csv(&header, &rows),
                SheetFormat::Xlsx => write_xlsx(&header, &rows),
            }
            .map_err(AppError::internal)
        })
        .await??;
        Ok((bytes, count))
    }
}
