//! Knowledge entries and departments: the interchange shapes, status and validity rules.

use serde::{Deserialize, Serialize};
use time::Date;

use super::date::parse_date;

/// A department (承办单位) as exchanged in `departments.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub duties: String,
    pub keywords: Vec<String>,
}

/// The editable content of a knowledge entry, exactly the fields of `entries.jsonl`, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EntryContent {
    pub id: String,
    pub title: String,
    pub questions: Vec<String>,
    pub answer: String,
    pub process: Vec<String>,
    pub materials: Vec<String>,
    pub department: String,
    pub category: String,
    pub region: String,
    pub keywords: Vec<String>,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

/// The region value of entries that apply city-wide.
pub const CITY_WIDE: &str = "市级";

/// Editorial state of an entry. Only published entries are searchable by agents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryStatus {
    Draft,
    Published,
    Retired,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Draft => "draft",
            EntryStatus::Published => "published",
            EntryStatus::Retired => "retired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "draft" => Some(EntryStatus::Draft),
            "published" => Some(EntryStatus::Published),
            "retired" => Some(EntryStatus::Retired),
            _ => None,
        }
    }
}

/// Whether an entry's policy is in force on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// In force.
    Current,
    /// `valid_to` has passed.
    Expired,
    /// `valid_from` is still ahead.
    Upcoming,
}

/// A stored entry: its content plus what the system keeps about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Entry {
    #[serde(flatten)]
    pub content: EntryContent,
    pub status: EntryStatus,
    pub revision: i64,
    pub created_at: String,
    pub updated_at: String,
}

impl EntryContent {
    /// The validity of this entry on `day`. Dates that fail to parse count as open-ended;
    /// imports reject them, so this only guards against hand-edited rows.
    pub fn validity_on(&self, day: Date) -> Validity {
        let from = self.valid_from.as_deref().and_then(parse_date);
        let to = self.valid_to.as_deref().and_then(parse_date);
        if from.is_some_and(|from| day < from) {
            Validity::Upcoming
        } else if to.is_some_and(|to| day > to) {
            Validity::Expired
        } else {
            Validity::Current
        }
    }

    /// Whether the entry applies city-wide rather than to one district.
    pub fn is_city_wide(&self) -> bool {
        self.region == CITY_WIDE
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small valid entry for tests; adjust fields with struct update syntax.
    pub fn entry(id: &str, title: &str) -> EntryContent {
        EntryContent {
            id: id.into(),
            title: title.into(),
            questions: vec![],
            answer: "答复内容".into(),
            process: vec![],
            materials: vec![],
            department: "GJJZX".into(),
            category: "住房公积金".into(),
            region: CITY_WIDE.into(),
            keywords: vec![],
            valid_from: None,
            valid_to: None,
        }
    }

    fn day(text: &str) -> Date {
        parse_date(text).unwrap()
    }

    #[test]
    fn validity_follows_the_date_window_inclusively() {
        let e = EntryContent {
            valid_from: Some("2025-01-01".into()),
            valid_to: Some("2025-12-31".into()),
            ..entry("A-1", "t")
        };
        assert_eq!(e.validity_on(day("2024-12-31")), Validity::Upcoming);
        assert_eq!(e.validity_on(day("2025-01-01")), Validity::Current);
        assert_eq!(e.validity_on(day("2025-12-31")), Validity::Current);
        assert_eq!(e.validity_on(day("2026-01-01")), Validity::Expired);
    }

    #[test]
    fn open_ended_entries_never_expire() {
        let e = entry("A-1", "t");
        assert_eq!(e.validity_on(day("2099-01-01")), Validity::Current);
    }

    #[test]
    fn entry_fields_serialize_in_interchange_order() {
        let json = serde_json::to_string(&entry("A-1", "t")).unwrap();
        let keys: Vec<&str> = [
            "id",
            "title",
            "questions",
            "answer",
            "process",
            "materials",
            "department",
            "category",
            "region",
            "keywords",
            "valid_from",
            "valid_to",
        ]
        .to_vec();
        let mut last = 0;
        for key in keys {
            let at = json.find(&format!("\"{key}\"")).unwrap();
            assert!(at >= last, "{key} out of order in {json}");
            last = at;
        }
    }
}
