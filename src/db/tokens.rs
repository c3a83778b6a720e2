//! SQL for access tokens and the audit log.

use super::Db;
use crate::domain::access::{Identity, Role};
use crate::error::{AppError, AppResult, Code};

/// A token as listed to administrators (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    pub name: String,
    pub role: Role,
    pub department: Option<String>,
    pub created_at: String,
    pub revoked_at: Option<String>,
}

/// One line of the audit log: who (`token_name`) did what (`action`) to which record
/// (`subject`) when (`at`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AuditRecord {
    pub id: String,
    pub at: String,
    pub token_name: String,
    pub action: String,
    pub subject: String,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    name: String,
    role: String,
    department: Option<String>,
    created_at: String,
    revoked_at: Option<String>,
}

impl TryFrom<TokenRow> for TokenInfo {
    type Error = AppError;

    fn try_from(row: TokenRow) -> AppResult<TokenInfo> {
        Ok(TokenInfo {
            role: Role::parse(&row.role)?,
            name: row.name,
            department: row.department,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }
}

impl Db {
    /// Stores a new token. Fails with `token_exists` when the name is taken.
    pub async fn insert_token(&self, identity: &Identity, hash: &str, now: &str) -> AppResult<()> {
        if self.token(&identity.name).await?.is_some() {
            return Err(AppError::new(
                Code::TokenExists,
                format!("名为 {} 的令牌已存在", identity.name),
            ));
        }
        sqlx::query(
            "INSERT INTO tokens (name, role, department, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&identity.name)
        .bind(identity.role.as_str())
        .bind(identity.department.clone())
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn token(&self, name: &str) -> AppResult<Option<TokenInfo>> {
        let row = sqlx::query_as::<_, TokenRow>(
            "SELECT name, role, department, created_at, revoked_at FROM tokens WHERE name = $1",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(TokenInfo::try_from).transpose()
    }

    /// Tokens ordered by name, one page.
    pub async fn tokens(&self, limit: i64, offset: i64) -> AppResult<Vec<TokenInfo>> {
        let rows = sqlx::query_as::<_, TokenRow>(
            "SELECT name, role, department, created_at, revoked_at FROM tokens ORDER BY name LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(TokenInfo::try_from).collect()
    }

    pub async fn count_tokens(&self) -> AppResult<i64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM tokens")
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }

    /// The identity behind a live (not revoked) token hash.
    pub async fn identity_by_hash(&self, hash: &str) -> AppResult<Option<Identity>> {
        let row: Option<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT name, role, department FROM tokens WHERE token_hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(name, role, department)| {
            Ok(Identity {
                name,
                role: Role::parse(&role)?,
                department,
            })
        })
        .transpose()
    }

    /// Marks a token revoked; returns false when no live token has that name.
    pub async fn revoke_token(&self, name: &str, now: &str) -> AppResult<bool> {
        let result =
            sqlx::query("UPDATE tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL")
                .bind(name)
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(result.rows_affected() > 0)
    }

    /// Appends one line to the audit log.
    pub async fn audit(
        &self,
        token_name: &str,
        action: &str,
        subject: &str,
        now: &str,
    ) -> AppResult<()> {
        self.audit_all(token_name, action, &[subject], now).await
    }

    /// Appends one line per subject to the audit log, all or none.
    pub async fn audit_all(
        &self,
        token_name: &str,
        action: &str,
        subjects: &[&str],
        now: &str,
    ) -> AppResult<()> {
        if subjects.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for subject in subjects {
            sqlx::query("INSERT INTO audit_log (id, at, token_name, action, subject) VALUES ($1, $2, $3, $4, $5)")
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(now)
                .bind(token_name)
                .bind(action)
                .bind(*subject)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// One page of the audit log, newest first.
    pub async fn audit_records(&self, limit: i64, offset: i64) -> AppResult<Vec<AuditRecord>> {
        let rows = sqlx::query_as::<_, AuditRecord>(
            "SELECT id, at, token_name, action, subject FROM audit_log ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2",
        )
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    pub async fn count_audit_records(&self) -> AppResult<i64> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&self.pool)
            .await?;
        Ok(count)
    }
}
