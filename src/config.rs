//! Runtime configuration: one struct, filled from flags and `HOTLINE_*` environment variables.

use std::path::PathBuf;
use std::time::Duration;

use crate::domain::clock::Clock;

/// Where the service keeps its data and how it listens.
#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://…` (default `sqlite://data/hotline.db`) or `postgres://…`.
    pub database_url: String,
    /// Directory of the derived search index.
    pub index_dir: PathBuf,
    /// Directory of the knowledge base and its dictionaries.
    pub knowledge_dir: PathBuf,
    /// Address `serve` listens on.
    pub bind: String,
    /// How often `serve` checks the database for changes made elsewhere (CLI imports, other replicas).
    pub sync_interval: Duration,
    /// Where `serve` writes the admin token it creates on first start.
    pub admin_token_file: PathBuf,
    /// Where "now" comes from: the system clock, or a fixed one in tests.
    pub clock: Clock,
    /// Directory of the embedding model file (`e5-small-q4.bin`, see `hotline model`).
    pub model_dir: PathBuf,
    /// Whether search runs the dense (semantic) stage (`HOTLINE_SEMANTIC`).
    pub semantic: SemanticMode,
    /// Days after which a published entry nobody approved or confirmed is listed for review
    /// (`HOTLINE_REVIEW_PERIOD_DAYS`).
    pub review_period_days: u32,
}

/// `HOTLINE_SEMANTIC`: `auto` uses the model when it is installed (serve fetches it once
/// when pip is at hand), `on` refuses to start without it, `off` never loads it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum SemanticMode {
    #[default]
    Auto,
    On,
    Off,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://data/hotline.db".into(),
            index_dir: PathBuf::from("indexes"),
            knowledge_dir: PathBuf::from("knowledge"),
            bind: "127.0.0.1:8080".into(),
            sync_interval: Duration::from_secs(5),
            admin_token_file: PathBuf::from("data/admin-token"),
            clock: Clock::system(),
            model_dir: PathBuf::from("models"),
            semantic: SemanticMode::Auto,
            review_period_days: 180,
        }
    }
}

impl Config {
    /// The dictionaries directory inside the knowledge directory.
    pub fn dict_dir(&self) -> PathBuf {
        self.knowledge_dir.join("dict")
    }

    /// `admin-token` beside a SQLite database file, so the token stays with the data it opens;
    /// `data/admin-token` for PostgreSQL.
    pub fn default_admin_token_file(&self) -> PathBuf {
        let sqlite_file = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .and_then(|rest| rest.split('?').next())
            .filter(|path| !path.is_empty() && *path != ":memory:");
        match sqlite_file
            .map(std::path::Path::new)
            .and_then(|p| p.parent())
        {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join("admin-token"),
            Some(_) => PathBuf::from("admin-token"),
            None => PathBuf::from("data/admin-token"),
        }
    }

    /// The database URL with credentials hidden, for logs.
    pub fn redacted_database_url(&self) -> String {
        redact_url(&self.database_url)
    }
}

fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_token_lives_beside_the_sqlite_database() {
        let config = |url: &str| Config {
            database_url: url.into(),
            ..Config::default()
        };
        assert_eq!(
            config("sqlite://data/hotline.db").default_admin_token_file(),
            PathBuf::from("data/admin-token")
        );
        assert_eq!(
            config("sqlite:///srv/h/h.db?mode=rwc").default_admin_token_file(),
            PathBuf::from("/srv/h/admin-token")
        );
        assert_eq!(
            config("postgres://u@h/db").default_admin_token_file(),
            PathBuf::from("data/admin-token")
        );
    }

    #[test]
    fn credentials_are_hidden_in_logged_urls() {
        assert_eq!(
            redact_url("postgres://user:secret@db:5432/hotline"),
            "postgres://***@db:5432/hotline"
        );
        assert_eq!(
            redact_url("sqlite://data/hotline.db"),
            "sqlite://data/hotline.db"
        );
    }
}
