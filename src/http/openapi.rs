//! The OpenAPI 3 document of the API, generated from the handlers' annotations and served at
//! `GET /api/v1/openapi.json`.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::auth::Caller;
use super::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "hotline：12345 政务服务便民热线知识库",
        description = "知识检索、工单流转与工作日历。错误统一为 {\"error\":{\"code\",\"message\"}}；code 稳定不变。"
    ),
    paths(
        super::search::search,
        super::entries::entry,
        super::entries::list,
        super::drafts::create,
        super::drafts::save,
        super::drafts::draft,
        super::drafts::submit,
        super::drafts::approve,
        super::drafts::reject,
        super::drafts::retire,
        super::drafts::confirm,
        super::drafts::drafts,
        super::revisions::revisions,
        super::revisions::revision,
        super::revisions::restore,
        super::revisions::diff,
        super::dictionaries::list,
        super::dictionaries::one,
        super::dictionaries::save,
        super::spreadsheets::import,
        super::spreadsheets::export,
        super::departments::departments,
        super::tokens::create,
        super::tokens::list,
        super::tokens::revoke,
        super::searches::list,
        super::searches::one,
        super::searches::audit,
        super::feedback::give,
        super::feedback::tasks,
        super::feedback::close,
        super::gaps::list,
        super::gaps::one,
        super::gaps::dismiss,
        super::gaps::draft,
        super::health::healthz,
        super::health::readyz,
        super::metrics::metrics_with_token,
        super::tickets::create,
        super::tickets::list,
        super::tickets::detail,
        super::tickets::warnings,
        super::transitions::dispatch,
        super::transitions::accept,
        super::transitions::reply,
        super::transitions::return_ticket,
        super::transitions::reject_return,
        super::transitions::extension,
        super::transitions::approve_extension,
        super::transitions::deny_extension,
        super::transitions::callback,
        super::transitions::merge,
        super::transitions::supervise,
        super::transitions::rectification,
        super::transitions::rectification_complex,
        super::transitions::similar,
        super::calendar::due,
        super::stats::departments,
        super::stats::hot_topics,
        super::routing::suggest,
        openapi,
    ),
    components(schemas(super::ErrorBody, super::ErrorDetail, super::spreadsheets::SheetFile)),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi))
}

/// This document.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "operations",
    responses(
        (status = 200, description = "OpenAPI 3 文档"),
        (status = 401, description = "unauthorized", body = super::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn openapi(Caller(_): Caller) -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
