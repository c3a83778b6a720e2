//! `POST /api/v1/entries/import` and `GET /api/v1/entries/export`: entry spreadsheets (CSV,
//! XLSX) with Chinese column headers, for editors, reviewers and administrators.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::AppState;
use crate::domain::spreadsheet::{SheetFormat, XLSX_CONTENT_TYPE};
use crate::error::{AppError, AppResult, Code};

/// Largest spreadsheet accepted (the whole sample knowledge base is about 0.5 MiB as CSV).
pub const SHEET_LIMIT_BYTES: usize = 16 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/entries/import",
            post(import).layer(DefaultBodyLimit::max(SHEET_LIMIT_BYTES)),
        )
        .route("/entries/export", get(export))
}

#[derive(Debug, Default, Deserialize)]
pub struct FormatParams {
    format: Option<SheetFormat>,
}

/// A spreadsheet file: its bytes. Only describes bodies in the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct SheetFile(Vec<u8>);

/// What an import did to the entries, as `hotline import` reports it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ImportCounts {
    /// New entries.
    created: usize,
    /// Entries whose content changed (a new published revision).
    updated: usize,
    /// Entries identical to the stored ones.
    unchanged: usize,
}

/// The format a request names: `?format=` first, else the Content-Type.
fn request_format(param: Option<SheetFormat>, headers: &HeaderMap) -> Option<SheetFormat> {
    param.or_else(|| {
        let content_type = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
        let media = content_type.split(';').next()?.trim().to_ascii_lowercase();
        match media.as_str() {
            "text/csv" => Some(SheetFormat::Csv),
            XLSX_CONTENT_TYPE => Some(SheetFormat::Xlsx),
            _ => None,
        }
    })
}

/// Imports a spreadsheet of entries: every row or none. The rows are checked as the JSON Lines
/// import checks its lines; the entries are published.
#[utoipa::path(
    post,
    path = "/api/v1/entries/import",
    tag = "knowledge",
    params(("format" = Option<SheetFormat>, Query, description = "csv 或 xlsx；不给时按 Content-Type 判断（application/octet-stream 时必须给出）")),
    request_body(
        description = "表格文件本身（首行为中文表头：编号、标题、相似问法、答复口径……）",
        content(
            (SheetFile = "text/csv"),
            (SheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (SheetFile = "application/octet-stream"),
        )
    ),
    responses(
        (status = 200, description = "导入结果", body = ImportCounts),
        (status = 400, description = "import_invalid（details 逐行列出问题，未写入任何数据）、invalid_parameter、invalid_body", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn import(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<FormatParams>, QueryRejection>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Json<ImportCounts>> {
    let params = super::query(params)?;
    let format = request_format(params.format, &headers);
    let body = body.map_err(|err| {
        AppError::new(
            Code::InvalidBody,
            format!(
                "无法读取上传的文件（上限 {} MiB）：{err}",
                SHEET_LIMIT_BYTES / 1024 / 1024
            ),
        )
    })?;
    let report = app
        .import_spreadsheet(&caller, format, body.to_vec())
        .await?;
    Ok(Json(ImportCounts {
        created: report.write.created,
        updated: report.write.updated,
        unchanged: report.write.unchanged,
    }))
}

/// The published entries as a spreadsheet with Chinese column headers (CSV with a byte-order
/// mark so Excel shows Chinese; XLSX with real date cells).
#[utoipa::path(
    get,
    path = "/api/v1/entries/export",
    tag = "knowledge",
    params(("format" = Option<SheetFormat>, Query, description = "csv（默认）或 xlsx")),
    responses(
        (status = 200, description = "表格文件（Content-Disposition: attachment; filename=entries.csv 或 entries.xlsx）",
            content(
                (SheetFile = "text/csv"),
                (SheetFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            )
        ),
        (status = 400, description = "invalid_parameter", body = super::ErrorBody),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
        (status = 403, description = "forbidden", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(app): State<AppState>,
    Caller(caller): Caller,
    params: Result<Query<FormatParams>, QueryRejection>,
) -> AppResult<Response> {
    let format = super::query(params)?.format.unwrap_or(SheetFormat::Csv);
    let bytes = app.export_spreadsheet(&caller, format).await?;
    let disposition = format!("attachment; filename=\"{}\"", format.file_name());
    Ok((
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
