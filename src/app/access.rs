//! Tokens and authentication: creating, listing and revoking tokens, resolving a bearer secret
//! to an identity, and the first admin token that keeps the one-command start one command.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::App;
use crate::db::TokenInfo;
use crate::domain::access::{new_secret, secret_hash, validate_token_request, Identity, Role};
use crate::domain::date::now_timestamp;
use crate::error::{AppError, AppResult, Code};

/// Name of the admin token `serve` creates on first start.
pub const FIRST_ADMIN: &str = "admin";

impl App {
    /// Creates a token and returns it with its secret, which is not stored and cannot be shown
    /// again.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        department: Option<String>,
    ) -> AppResult<(TokenInfo, String)> {
        validate_token_request(name, role, department.as_deref())?;
        if let Some(code) = &department {
            if !self.db.department_codes().await?.contains(code) {
                return Err(AppError::new(
                    Code::UnknownDepartment,
                    format!("部门编码 {code} 不存在"),
                ));
            }
        }
        let identity = Identity {
            name: name.to_string(),
            role,
            department,
        };
        let secret = new_secret();
        self.db
            .insert_token(&identity, &secret_hash(&secret), &now_timestamp())
            .await?;
        let info = self
            .db
            .token(name)
            .await?
            .ok_or_else(|| AppError::internal("新建的令牌读取失败"))?;
        Ok((info, secret))
    }

    pub async fn revoke_token(&self, name: &str) -> AppResult<()> {
        if self.db.revoke_token(name, &now_timestamp()).await? {
            Ok(())
        } else {
            Err(AppError::new(
                Code::TokenNotFound,
                format!("没有名为 {name} 的有效令牌"),
            ))
        }
    }

    /// The identity behind an `Authorization` header value; 401 when missing, malformed,
    /// unknown or revoked. Looked up on every request, so a revocation applies at once.
    pub async fn authenticate(&self, authorization: Option<&str>) -> AppResult<Identity> {
        let unauthorized = |message: &str| AppError::new(Code::Unauthorized, message.to_string());
        let header = authorization.ok_or_else(|| {
            unauthorized("需要访问令牌：请在请求头中提供 Authorization: Bearer <令牌>")
        })?;
        let secret = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| unauthorized("Authorization 头应为 Bearer <令牌>"))?;
        self.db
            .identity_by_hash(&secret_hash(secret))
            .await?
            .ok_or_else(|| unauthorized("令牌无效或已被吊销"))
    }

    /// On first start with no tokens at all, creates the admin token, writes it to
    /// `admin_token_file` (readable by its owner only) and returns the file path.
    pub async fn create_first_admin_token(&self) -> AppResult<Option<(PathBuf, String)>> {
        if self.db.count_tokens().await? > 0 {
            return Ok(None);
        }
        let (_, secret) = self.create_token(FIRST_ADMIN, Role::Admin, None).await?;
        let path = self.config.admin_token_file.clone();
        write_private(&path, &format!("{secret}\n"))?;
        Ok(Some((path, secret)))
    }
}

/// Writes a file only its owner can read (mode 0600 on Unix).
fn write_private(path: &Path, text: &str) -> AppResult<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}
