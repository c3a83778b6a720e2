//! Who may do what: roles, the permissions they grant, token names and secrets, and the
//! masking of callers' personal data (GB/T 33358) for roles that may not see it in full.

use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult, Code};

/// The roles of the service. A `department` token is bound to one department code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Agent,
    Dispatcher,
    Department,
    Editor,
    Reviewer,
    Supervisor,
    Admin,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Agent,
        Role::Dispatcher,
        Role::Department,
        Role::Editor,
        Role::Reviewer,
        Role::Supervisor,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Dispatcher => "dispatcher",
            Role::Department => "department",
            Role::Editor => "editor",
            Role::Reviewer => "reviewer",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> AppResult<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
                AppError::new(
                    Code::InvalidRole,
                    format!("未知角色 {text:?}，可用角色：{}", names.join("、")),
                )
            })
    }

    /// Whether this role sees callers' phone numbers and names unmasked.
    pub fn sees_personal_data(self) -> bool {
        matches!(self, Role::Dispatcher | Role::Supervisor | Role::Admin)
    }
}

/// Things a request may want to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Search the knowledge base and read entries.
    ReadKnowledge,
    /// List departments.
    ReadDepartments,
    /// Create, list and revoke tokens.
    ManageTokens,
    /// Read the Prometheus metrics on the main address.
    ReadMetrics,
    /// Read the search log (agents: only their own searches, see [`Identity::search_log_scope`]).
    ReadSearchLog,
    /// Read the audit log.
    ReadAuditLog,
    /// Read drafts, revisions and the editors' entry lists.
    ReadDrafts,
    /// Write drafts, submit them, ask for retirement, restore past revisions.
    EditKnowledge,
    /// Approve (publish) or reject submitted drafts, confirm entries still right.
    ReviewKnowledge,
    /// Import and export entry spreadsheets (publishing what is imported).
    ImportKnowledge,
    /// Read the hot topics of the search and ticket records.
    ReadHotTopics,
    /// Give feedback on a search (agents: only on their own searches).
    GiveFeedback,
    /// Work the knowledge loop: editors' tasks and knowledge gaps.
    WorkKnowledgeLoop,
}

impl Permission {
    fn allows(self, role: Role) -> bool {
        use Role::*;
        match self {
            Permission::ReadKnowledge | Permission::GiveFeedback => {
                matches!(
                    role,
                    Agent | Dispatcher | Editor | Reviewer | Supervisor | Admin
                )
            }
            Permission::ReadDepartments => true,
            Permission::ManageTokens => role == Admin,
            Permission::ReadMetrics | Permission::ReadAuditLog => {
                matches!(role, Supervisor | Admin)
            }
            Permission::ReadSearchLog => role != Department,
            Permission::ReadDrafts => matches!(role, Editor | Reviewer | Supervisor | Admin),
            Permission::EditKnowledge => matches!(role, Editor | Admin),
            Permission::ReviewKnowledge => matches!(role, Reviewer | Admin),
            Permission::ImportKnowledge => matches!(role, Editor | Reviewer | Admin),
            Permission::ReadHotTopics => matches!(role, Editor | Reviewer | Supervisor | Admin),
            Permission::WorkKnowledgeLoop => {
                matches!(role, Editor | Reviewer | Supervisor | Admin)
            }
        }
    }
}

/// The authenticated caller of a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Identity {
    pub name: String,
    pub role: Role,
    /// For `department` tokens: the department they act for.
    pub department: Option<String>,
}

impl Identity {
    /// The token whose searches this caller may read in the search log, or `None` for all of
    /// them: an agent sees only what it searched itself.
    pub fn search_log_scope(&self) -> Option<&str> {
        (self.role == Role::Agent).then_some(self.name.as_str())
    }

    /// Fails with 403 when the role does not grant the permission.
    pub fn require(&self, permission: Permission) -> AppResult<()> {
        if permission.allows(self.role) {
            Ok(())
        } else {
            Err(AppError::new(
                Code::Forbidden,
                format!("角色 {} 无权执行此操作", self.role.as_str()),
            ))
        }
    }
}

/// Checks a token's name and its role/department pairing.
pub fn validate_token_request(name: &str, role: Role, department: Option<&str>) -> AppResult<()> {
    let chars = name.chars().count();
    if chars == 0 || chars > 64 || name.chars().any(|c| c.is_whitespace() || c == '/') {
        return Err(AppError::new(
            Code::InvalidTokenName,
            "令牌名称应为 1–64 个字符，不含空白和 /",
        ));
    }
    match (role, department) {
        (Role::Department, None) => Err(AppError::new(
            Code::DepartmentRequired,
            "department 角色的令牌必须指定部门编码（--department / \"department\"）",
        )),
        (Role::Department, Some(_)) => Ok(()),
        (_, Some(_)) => Err(AppError::new(
            Code::DepartmentNotAllowed,
            "只有 department 角色的令牌可以绑定部门",
        )),
        (_, None) => Ok(()),
    }
}

/// A new random token secret: `hl_` and 64 hex digits (244 random bits).
pub fn new_secret() -> String {
    format!(
        "hl_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The stored form of a secret. Secrets are long and random, so a plain SHA-256 is enough and
/// lets a request be authenticated with one indexed lookup.
pub fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// 13812341234 → 138****1234; shorter numbers keep only their last four digits.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    match chars.len() {
        0 => String::new(),
        n if n >= 11 => format!(
            "{}****{}",
            chars[..3].iter().collect::<String>(),
            chars[n - 4..].iter().collect::<String>()
        ),
        n if n > 4 => format!(
            "{}{}",
            "*".repeat(n - 4),
            chars[n - 4..].iter().collect::<String>()
        ),
        n => "*".repeat(n),
    }
}

/// 张三丰 → 张**: the family name stays, so the agent can still address the caller.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => format!("{first}{}", "*".repeat(chars.count())),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(role: Role) -> Identity {
        Identity {
            name: "t".into(),
            role,
            department: None,
        }
    }

    #[test]
    fn only_admins_manage_tokens() {
        for role in Role::ALL {
            let allowed = identity(role).require(Permission::ManageTokens).is_ok();
            assert_eq!(allowed, role == Role::Admin, "{role:?}");
        }
    }

    #[test]
    fn department_clerks_do_not_search_knowledge() {
        assert!(identity(Role::Department)
            .require(Permission::ReadKnowledge)
            .is_err());
        assert!(identity(Role::Agent)
            .require(Permission::ReadKnowledge)
            .is_ok());
        let err = identity(Role::Department)
            .require(Permission::ReadKnowledge)
            .unwrap_err();
        assert_eq!(err.code, Code::Forbidden);
    }

    #[test]
    fn agents_read_their_own_searches_and_clerks_none() {
        assert_eq!(identity(Role::Agent).search_log_scope(), Some("t"));
        assert_eq!(identity(Role::Editor).search_log_scope(), None);
        for role in Role::ALL {
            let reads_log = identity(role).require(Permission::ReadSearchLog).is_ok();
            assert_eq!(reads_log, role != Role::Department, "{role:?}");
            let reads_audit = identity(role).require(Permission::ReadAuditLog).is_ok();
            assert_eq!(
                reads_audit,
                matches!(role, Role::Supervisor | Role::Admin),
                "{role:?}"
            );
        }
    }

    #[test]
    fn department_tokens_need_a_department_and_others_must_not_have_one() {
        assert!(validate_token_request("d1", Role::Department, None).is_err());
        assert!(validate_token_request("d1", Role::Department, Some("GJJZX")).is_ok());
        assert!(validate_token_request("a1", Role::Agent, Some("GJJZX")).is_err());
        assert!(validate_token_request("", Role::Agent, None).is_err());
        assert!(validate_token_request("a b", Role::Agent, None).is_err());
    }

    #[test]
    fn secrets_are_random_and_hashed() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert!(a.starts_with("hl_") && a.len() == 67);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_ne!(secret_hash(&a), secret_hash(&b));
    }

    #[test]
    fn personal_data_is_masked() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("88881234"), "****1234");
        assert_eq!(mask_name("张三丰"), "张**");
        assert!(Role::Dispatcher.sees_personal_data());
        assert!(!Role::Agent.sees_personal_data());
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert_eq!(Role::parse("root").unwrap_err().code, Code::InvalidRole);
    }
}
