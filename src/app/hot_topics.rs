//! The hot topics report: the needs and categories callers asked about most over a period, and
//! the rising ones, from the search log and the tickets.

use std::collections::HashMap;

use time::{Date, Duration};

use super::App;
use crate::domain::access::{Identity, Permission};
use crate::domain::date::{cst, timestamp};
use crate::domain::hot_topics::{
    rank, HotTopics, NeedKey, Period, Tally, DEFAULT_LIMIT, MAX_LIMIT, MAX_PERIOD_DAYS, NO_ANSWER,
};
use crate::error::{AppError, AppResult, Code};

impl App {
    /// Hot topics from `from` to `to` (both included, China Standard Time; default the last 7
    /// days up to today) against the period of equal length before, for supervisors, editors,
    /// reviewers and administrators.
    pub async fn hot_topics(
        &self,
        caller: &Identity,
        from: Option<Date>,
        to: Option<Date>,
        limit: Option<usize>,
    ) -> AppResult<HotTopics> {
        caller.require(Permission::ReadHotTopics)?;
        let to = to.unwrap_or_else(|| self.clock.today());
        let from = from.unwrap_or(to - Duration::days(6));
        if to < from || (to - from).whole_days() >= MAX_PERIOD_DAYS {
            return Err(AppError::new(
                Code::InvalidPeriod,
                format!("统计区间应满足 from ≤ to 且不超过 {MAX_PERIOD_DAYS} 天"),
            ));
        }
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AppError::new(
                Code::InvalidLimit,
                format!("limit 应在 1 到 {MAX_LIMIT} 之间"),
            ));
        }
        let period = Period { from, to };
        let current = self.need_tallies(period).await?;
        let previous = self.need_tallies(period.previous()).await?;
        Ok(rank(period, current, previous, limit))
    }

    /// Every need of a period with its count: searches and tickets, grouped by the database.
    async fn need_tallies(&self, period: Period) -> AppResult<Vec<Tally>> {
        let start = timestamp(period.from.midnight().assume_offset(cst()));
        let next_day = period
            .to
            .next_day()
            .ok_or_else(|| AppError::new(Code::InvalidPeriod, "to 超出了可统计的日期范围"))?;
        let end = timestamp(next_day.midnight().assume_offset(cst()));
        let searches = self.db.search_need_counts(&start, &end).await?;
        let tickets = self.db.ticket_need_counts(&start, &end).await?;
        let cited: Vec<String> = tickets.iter().filter_map(|t| t.entry_id.clone()).collect();
        let labels = self.db.entry_labels(&cited).await?;
        let names: HashMap<String, String> = self
            .db
            .departments()
            .await?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();

        let mut tallies = Vec::with_capacity(searches.len() + tickets.len());
        for s in searches {
            let count = u64::try_from(s.count).unwrap_or(0);
            tallies.push(match s.top_entry {
                None => no_answer(count),
                Some(id) => Tally {
                    title: s.title.unwrap_or_else(|| id.clone()),
                    category: s.category.unwrap_or_default(),
                    key: NeedKey::Entry(id),
                    count,
                },
            });
        }
        for t in tickets {
            let count = u64::try_from(t.count).unwrap_or(0);
            tallies.push(match t.entry_id {
                Some(id) => {
                    let (title, category) = labels
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| (id.clone(), String::new()));
                    Tally {
                        key: NeedKey::Entry(id),
                        title,
                        category,
                        count,
                    }
                }
                None => {
                    let place = t
                        .department
                        .as_ref()
                        .map(|code| names.get(code).cloned().unwrap_or_else(|| code.clone()))
                        .unwrap_or_else(|| "未派单".to_string());
                    let category = format!("{}类工单", t.ticket_type);
                    Tally {
                        title: format!("{place}·{category}（未引用知识）"),
                        category,
                        key: NeedKey::Uncited {
                            ticket_type: t.ticket_type,
                            department: t.department,
                        },
                        count,
                    }
                }
            });
        }
        Ok(tallies)
    }
}

fn no_answer(count: u64) -> Tally {
    Tally {
        key: NeedKey::NoAnswer,
        title: NO_ANSWER.to_string(),
        category: NO_ANSWER.to_string(),
        count,
    }
}
