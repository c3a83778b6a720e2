//! SQL for departments.

use std::collections::HashSet;

use sqlx::{Any, Transaction};

use super::{from_json_text, to_json_text, Db};
use crate::domain::Department;
use crate::error::AppResult;

#[derive(sqlx::FromRow)]
struct DepartmentRow {
    code: String,
    name: String,
    duties: String,
    keywords: String,
}

impl From<DepartmentRow> for Department {
    fn from(row: DepartmentRow) -> Self {
        Department {
            code: row.code,
            name: row.name,
            duties: row.duties,
            keywords: from_json_text(&row.keywords),
        }
    }
}

impl Db {
    /// All departments, ordered by code.
    pub async fn departments(&self) -> AppResult<Vec<Department>> {
        let rows = sqlx::query_as::<_, DepartmentRow>(
            "SELECT code, name, duties, keywords FROM departments ORDER BY code",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(Department::from).collect())
    }

    pub async fn department_codes(&self) -> AppResult<HashSet<String>> {
        let codes: Vec<(String,)> = sqlx::query_as("SELECT code FROM departments")
            .fetch_all(&self.pool)
            .await?;
        Ok(codes.into_iter().map(|(code,)| code).collect())
    }

    /// Inserts or updates one department inside an import transaction.
    pub(super) async fn upsert_department(
        tx: &mut Transaction<'static, Any>,
        department: &Department,
        now: &str,
    ) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO departments (code, name, duties, keywords, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)
             ON CONFLICT (code) DO UPDATE SET
                name = excluded.name, duties = excluded.duties, keywords = excluded.keywords,
                updated_at = excluded.updated_at",
        )
        .bind(&department.code)
        .bind(&department.name)
        .bind(&department.duties)
        .bind(to_json_text(&department.keywords))
        .bind(now)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
