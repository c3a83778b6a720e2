//! SQL for the hot topics: searches and tickets of a time range counted by need with GROUP BY,
//! so no record is loaded one by one.

use std::collections::HashMap;

use super::{from_json_text, Db};
use crate::error::AppResult;

/// Searches of one need: the entry answered first (`None`: no answer) with its title and
/// category when it is still stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SearchNeedCount {
    pub top_entry: Option<String>,
    pub title: Option<String>,
    pub category: Option<String>,
    pub count: i64,
}

/// Tickets of one need: the first cited entry, or else their type and department.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TicketNeedCount {
    pub entry_id: Option<String>,
    pub ticket_type: String,
    pub department: Option<String>,
    pub count: i64,
}

impl Db {
    /// Searches recorded in `[from, to)` (timestamps), counted by need.
    pub async fn search_need_counts(
        &self,
        from: &str,
        to: &str,
    ) -> AppResult<Vec<SearchNeedCount>> {
        let rows = sqlx::query_as::<_, SearchNeedCount>(
            "SELECT s.top_entry AS top_entry, e.title AS title, e.category AS category,
                    CAST(COUNT(*) AS BIGINT) AS count
             FROM searches s LEFT JOIN entries e ON e.id = s.top_entry
             WHERE s.created_at >= $1 AND s.created_at < $2
             GROUP BY s.top_entry, e.title, e.category",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows)
    }

    /// Tickets created in `[from, to)` (timestamps), counted by need. Grouping by the cited
    /// list as stored keeps the groups few: most tickets cite one entry or none.
    pub async fn ticket_need_counts(
        &self,
        from: &str,
        to: &str,
    ) -> AppResult<Vec<TicketNeedCount>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            entry_ids: String,
            ticket_type: String,
            department: Option<String>,
            count: i64,
        }
        let rows = sqlx::query_as::<_, Row>(
            "SELECT entry_ids, ticket_type, COALESCE(department, proposed_department) AS department,
                    CAST(COUNT(*) AS BIGINT) AS count
             FROM tickets
             WHERE created_at >= $1 AND created_at < $2
             GROUP BY entry_ids, ticket_type, COALESCE(department, proposed_department)",
        )
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let cited: Vec<String> = from_json_text(&r.entry_ids);
                TicketNeedCount {
                    entry_id: cited.into_iter().next(),
                    ticket_type: r.ticket_type,
                    department: r.department,
                    count: r.count,
                }
            })
            .collect())
    }

    /// Title and category of each of `ids` that is stored.
    pub async fn entry_labels(
        &self,
        ids: &[String],
    ) -> AppResult<HashMap<String, (String, String)>> {
        let mut labels = HashMap::new();
        for chunk in ids.chunks(500) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, title, category FROM entries WHERE id IN ({})",
                placeholders.join(", ")
            );
            let mut query = sqlx::query_as::<_, (String, String, String)>(&sql);
            for id in chunk {
                query = query.bind(id.clone());
            }
            for (id, title, category) in query.fetch_all(&self.pool).await? {
                labels.insert(id, (title, category));
            }
        }
        Ok(labels)
    }
}
