//! Hot topics: what callers asked about most over a period (needs and categories) and which
//! needs are rising against the previous period of equal length, from counts already grouped
//! by the database.

use std::collections::HashMap;

use serde::Serialize;
use time::{Date, Duration};

use super::date::format_date;

/// The need of unanswered searches.
pub const NO_ANSWER: &str = "未找到答案";
/// Longest period one report covers.
pub const MAX_PERIOD_DAYS: i64 = 366;
/// Needs listed when no `limit` is given, and the most a request may ask for.
pub const DEFAULT_LIMIT: usize = 10;
pub const MAX_LIMIT: usize = 100;
/// A need rises only when counted at least this often in the period (one call is no trend).
pub const MIN_RISING_COUNT: u64 = 2;

/// What one group of calls was about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NeedKey {
    /// The entry a search answered with first, or a ticket cited.
    Entry(String),
    /// Searches without an answer.
    NoAnswer,
    /// Tickets citing no entry: by ticket type and department.
    Uncited {
        ticket_type: String,
        department: Option<String>,
    },
}

/// A need counted in one period, with how to show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tally {
    pub key: NeedKey,
    pub title: String,
    pub category: String,
    pub count: u64,
}

/// A period of whole days (China Standard Time), both ends included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

impl Period {
    /// The period of equal length that ends the day before this one starts.
    pub fn previous(self) -> Period {
        let days = self.to - self.from;
        let to = self.from - Duration::days(1);
        Period {
            from: to - days,
            to,
        }
    }
}

/// A period as the report writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PeriodView {
    #[schema(example = "2026-11-24")]
    pub from: String,
    #[schema(example = "2026-11-30")]
    pub to: String,
}

impl From<Period> for PeriodView {
    fn from(p: Period) -> PeriodView {
        PeriodView {
            from: format_date(p.from),
            to: format_date(p.to),
        }
    }
}

/// One need with its counts in both periods.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct NeedStat {
    /// The entry that answered the need; absent for unanswered searches and tickets citing none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_id: Option<String>,
    /// For tickets citing no entry: the department code they went to, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[schema(example = "租房怎么提取公积金？")]
    pub title: String,
    #[schema(example = "住房公积金")]
    pub category: String,
    pub count: u64,
    pub previous_count: u64,
    /// `count - previous_count`.
    pub change: i64,
    /// `count / previous_count`; absent when the need is new in this period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub growth: Option<f64>,
}

/// One category with its counts in both periods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryStat {
    #[schema(example = "住房公积金")]
    pub category: String,
    pub count: u64,
    pub previous_count: u64,
    pub change: i64,
}

/// The report.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct HotTopics {
    #[schema(example = "2026-12-01")]
    pub from: String,
    #[schema(example = "2026-12-07")]
    pub to: String,
    pub previous: PeriodView,
    /// The most asked needs of the period, most first.
    pub needs: Vec<NeedStat>,
    /// The most asked categories, most first.
    pub categories: Vec<CategoryStat>,
    /// Needs counted more often than in the previous period, the largest increase first.
    pub rising: Vec<NeedStat>,
}

fn change(count: u64, previous: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX) - i64::try_from(previous).unwrap_or(i64::MAX)
}

/// Adds up tallies of the same need (searches and tickets of one entry).
fn merge(tallies: Vec<Tally>) -> HashMap<NeedKey, Tally> {
    let mut merged: HashMap<NeedKey, Tally> = HashMap::new();
    for tally in tallies {
        merged
            .entry(tally.key.clone())
            .and_modify(|t| t.count += tally.count)
            .or_insert(tally);
    }
    merged
}

/// Ranks the needs and categories of `current` against `previous`, keeping `limit` of each.
pub fn rank(period: Period, current: Vec<Tally>, previous: Vec<Tally>, limit: usize) -> HotTopics {
    let current = merge(current);
    let previous = merge(previous);
    let mut needs: Vec<NeedStat> = current
        .values()
        .map(|t| {
            let before = previous.get(&t.key).map_or(0, |p| p.count);
            let (entry_id, department) = match &t.key {
                NeedKey::Entry(id) => (Some(id.clone()), None),
                NeedKey::NoAnswer => (None, None),
                NeedKey::Uncited { department, .. } => (None, department.clone()),
            };
            NeedStat {
                entry_id,
                department,
                title: t.title.clone(),
                category: t.category.clone(),
                count: t.count,
                previous_count: before,
                change: change(t.count, before),
                growth: (before > 0).then(|| t.count as f64 / before as f64),
            }
        })
        .collect();
    // Most asked first; ties by title so the order is stable.
    needs.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.title.cmp(&b.title)));

    let mut rising: Vec<NeedStat> = needs
        .iter()
        .filter(|n| n.count >= MIN_RISING_COUNT && n.count > n.previous_count)
        .cloned()
        .collect();
    rising.sort_by(|a, b| {
        b.change
            .cmp(&a.change)
            .then_with(|| a.previous_count.cmp(&b.previous_count))
            .then_with(|| a.title.cmp(&b.title))
    });
    rising.truncate(limit);
    needs.truncate(limit);

    let by_category = |tallies: &HashMap<NeedKey, Tally>| {
        let mut out: HashMap<String, u64> = HashMap::new();
        for t in tallies.values() {
            *out.entry(t.category.clone()).or_default() += t.count;
        }
        out
    };
    let now = by_category(&current);
    let before = by_category(&previous);
    let mut categories: Vec<CategoryStat> = now
        .into_iter()
        .map(|(category, count)| {
            let previous_count = before.get(&category).copied().unwrap_or(0);
            CategoryStat {
                change: change(count, previous_count),
                category,
                count,
                previous_count,
            }
        })
        .collect();
    categories.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.category.cmp(&b.category))
    });
    categories.truncate(limit);

    HotTopics {
        from: format_date(period.from),
        to: format_date(period.to),
        previous: period.previous().into(),
        needs,
        categories,
        rising,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn tally(key: NeedKey, title: &str, category: &str, count: u64) -> Tally {
        Tally {
            key,
            title: title.into(),
            category: category.into(),
            count,
        }
    }

    fn entry(id: &str, count: u64) -> Tally {
        let category = if id.starts_with("GJJ") {
            "住房公积金"
        } else {
            "社保与社保卡"
        };
        tally(NeedKey::Entry(id.into()), id, category, count)
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let period = Period {
            from: date!(2026 - 12 - 01),
            to: date!(2026 - 12 - 07),
        };
        let previous = period.previous();
        assert_eq!(previous.from, date!(2026 - 11 - 24));
        assert_eq!(previous.to, date!(2026 - 11 - 30));
        let one_day = Period {
            from: date!(2026 - 03 - 01),
            to: date!(2026 - 03 - 01),
        };
        assert_eq!(one_day.previous().from, date!(2026 - 02 - 28));
        assert_eq!(one_day.previous().to, date!(2026 - 02 - 28));
    }

    #[test]
    fn needs_merge_searches_and_tickets_and_rank_by_count() {
        let period = Period {
            from: date!(2026 - 12 - 01),
            to: date!(2026 - 12 - 07),
        };
        let current = vec![
            entry("GJJ-001", 3),
            entry("SB-001", 2),
            entry("GJJ-001", 2),
            tally(NeedKey::NoAnswer, NO_ANSWER, NO_ANSWER, 4),
        ];
        let previous = vec![
            entry("GJJ-001", 1),
            tally(NeedKey::NoAnswer, NO_ANSWER, NO_ANSWER, 6),
        ];
        let report = rank(period, current, previous, 10);
        let needs: Vec<(&str, u64, u64, i64)> = report
            .needs
            .iter()
            .map(|n| (n.title.as_str(), n.count, n.previous_count, n.change))
            .collect();
        assert_eq!(
            needs,
            vec![
                ("GJJ-001", 5, 1, 4),
                (NO_ANSWER, 4, 6, -2),
                ("SB-001", 2, 0, 2)
            ]
        );
        assert_eq!(report.categories[0].category, "住房公积金");
        assert_eq!(report.categories[0].count, 5);
        let rising: Vec<(&str, Option<f64>)> = report
            .rising
            .iter()
            .map(|n| (n.title.as_str(), n.growth))
            .collect();
        assert_eq!(rising, vec![("GJJ-001", Some(5.0)), ("SB-001", None)]);
        assert_eq!(report.previous.from, "2026-11-24");
    }

    #[test]
    fn a_single_call_is_not_a_trend_and_limit_cuts_every_list() {
        let period = Period {
            from: date!(2026 - 12 - 01),
            to: date!(2026 - 12 - 01),
        };
        let current = vec![entry("GJJ-001", 1), entry("GJJ-002", 3), entry("SB-001", 2)];
        let report = rank(period, current, vec![], 1);
        assert_eq!(report.needs.len(), 1);
        assert_eq!(report.needs[0].title, "GJJ-002");
        assert_eq!(report.rising.len(), 1);
        assert_eq!(report.categories.len(), 1);
        let all = rank(period, vec![entry("GJJ-001", 1)], vec![], 10);
        assert!(all.rising.is_empty());
    }
}
