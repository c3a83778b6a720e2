//! SQL for knowledge gaps: observations of unanswered questions (`gap_observations`), the
//! gaps the worker groups them into (`gaps`), and what the gap views read.

use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, Transaction};

use super::vectors::{decode_vector, encode_vector};
use super::{from_json_text, to_json_text, Db};
use crate::error::AppResult;

/// An unanswered question to group: a search without answer, a search an agent marked, or a
/// call dispatched with no entry used.
#[derive(Clone, Debug, PartialEq)]
pub struct NewObservation {
    pub id: String,
    /// `search`, `feedback_no_answer`, `feedback_not_helpful` or `ticket`.
    pub source: String,
    pub search_id: Option<String>,
    pub ticket_id: Option<String>,
    pub text: String,
    /// The top entries search returned for it (their department and category are suggested).
    pub hit_ids: Vec<String>,
    /// The department named on the ticket, if any.
    pub department: Option<String>,
    /// Calendar day (YYYY-MM-DD, China time) and timestamp.
    pub day: String,
    pub created_at: String,
}

/// An observation the worker has not placed yet.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct PendingObservation {
    pub id: String,
    pub text: String,
    pub hit_ids: String,
    pub department: Option<String>,
    pub created_at: String,
}

impl PendingObservation {
    pub fn hits(&self) -> Vec<String> {
        from_json_text(&self.hit_ids)
    }
}

/// A placed observation as the worker reloads it: its gap, text and stored vector.
#[derive(Clone, Debug, PartialEq)]
pub struct GapMember {
    pub gap_id: String,
    pub text: String,
    /// Present when it was placed with the model given to [`Db::gap_members`].
    pub vector: Option<Vec<f32>>,
}

/// Where the worker put an observation.
#[derive(Clone, Debug, PartialEq)]
pub struct Placed {
    pub observation_id: String,
    pub gap_id: String,
    pub opened: bool,
    /// The gap's representative question after this observation.
    pub question: String,
    pub seen_at: String,
    pub department: Option<String>,
    pub category: Option<String>,
    /// The model digest and vector it was compared with (none when lexical).
    pub vector: Option<(String, Vec<f32>)>,
}

/// A gap as stored, with its number of distinct days.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct GapRow {
    pub id: String,
    pub question: String,
    pub status: String,
    pub observations: i64,
    pub days: i64,
    pub first_seen: String,
    pub last_seen: String,
    pub dismiss_reason: Option<String>,
    pub entry_id: Option<String>,
}

/// One observation of a listed gap, newest first.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct GapSampleRow {
    pub gap_id: String,
    pub id: String,
    pub text: String,
    pub department: Option<String>,
    pub category: Option<String>,
}

const GAP_COLUMNS: &str = "g.id, g.question, g.status, g.observations, \
    (SELECT COUNT(DISTINCT o.day) FROM gap_observations o WHERE o.gap_id = g.id) AS days, \
    g.first_seen, g.last_seen, g.dismiss_reason, g.entry_id";

/// Samples read per gap, for the listed texts and the suggested department and category.
const SAMPLES_READ: i64 = 50;

/// The columns of an observation row, in the order [`bind_observation`] binds them.
pub(super) const OBSERVATION_COLUMNS: [&str; 9] = [
    "id",
    "source",
    "search_id",
    "ticket_id",
    "text",
    "hit_ids",
    "department",
    "day",
    "created_at",
];

/// Binds an observation row in the order of [`OBSERVATION_COLUMNS`].
pub(super) fn bind_observation<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    o: &'q NewObservation,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(&o.id)
        .bind(&o.source)
        .bind(o.search_id.clone())
        .bind(o.ticket_id.clone())
        .bind(&o.text)
        .bind(to_json_text(&o.hit_ids))
        .bind(o.department.clone())
        .bind(&o.day)
        .bind(&o.created_at)
}

pub(super) async fn insert_observation(
    tx: &mut Transaction<'_, Any>,
    o: &NewObservation,
) -> AppResult<()> {
    let sql = format!(
        "INSERT INTO gap_observations ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT DO NOTHING",
        OBSERVATION_COLUMNS.join(", ")
    );
    bind_observation(sqlx::query(&sql), o)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Db {
    /// Records one observation; a search or ticket already observed is kept once.
    pub async fn observe(&self, observation: &NewObservation) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_observation(&mut tx, observation).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Observations not placed yet, oldest first.
    pub async fn pending_observations(&self, limit: i64) -> AppResult<Vec<PendingObservation>> {
        Ok(sqlx::query_as::<_, PendingObservation>(
            "SELECT id, text, hit_ids, department, created_at FROM gap_observations
             WHERE gap_id IS NULL ORDER BY created_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The placed observations of gaps that still absorb paraphrases (open and dismissed),
    /// oldest first; vectors only where they were computed with `model`.
    pub async fn gap_members(&self, model: Option<&str>) -> AppResult<Vec<GapMember>> {
        let rows: Vec<(String, String, Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT o.gap_id, o.text, o.model, o.vector FROM gap_observations o
             JOIN gaps g ON g.id = o.gap_id WHERE g.status <> 'resolved'
             ORDER BY o.created_at, o.id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(gap_id, text, m, v)| GapMember {
                gap_id,
                text,
                vector: (m.as_deref() == model && model.is_some())
                    .then(|| v.as_deref().and_then(decode_vector))
                    .flatten(),
            })
            .collect())
    }

    /// Ids of resolved gaps (the worker stops feeding them).
    pub async fn resolved_gap_ids(&self) -> AppResult<Vec<String>> {
        let rows: Vec<(String,)> = sqlx::query_as("SELECT id FROM gaps WHERE status = 'resolved'")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Writes one placement: the observation's gap and the new or updated gap, in one step.
    /// False (nothing written) when the observation was placed already, by another process.
    pub async fn place_observation(&self, p: &Placed) -> AppResult<bool> {
        let mut tx = self.pool.begin().await?;
        let (model, vector) = match &p.vector {
            Some((model, v)) => (Some(model.clone()), Some(encode_vector(v))),
            None => (None, None),
        };
        let claimed = sqlx::query(
            "UPDATE gap_observations SET gap_id = $2, department = $3, category = $4, model = $5, vector = $6
             WHERE id = $1 AND gap_id IS NULL",
        )
        .bind(&p.observation_id)
        .bind(&p.gap_id)
        .bind(p.department.clone())
        .bind(p.category.clone())
        .bind(model)
        .bind(vector)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        if p.opened {
            sqlx::query(
                "INSERT INTO gaps (id, question, status, observations, first_seen, last_seen)
                 VALUES ($1, $2, 'open', 1, $3, $3)",
            )
            .bind(&p.gap_id)
            .bind(&p.question)
            .bind(&p.seen_at)
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "UPDATE gaps SET observations = observations + 1, question = $2,
                 last_seen = CASE WHEN last_seen < $3 THEN $3 ELSE last_seen END WHERE id = $1",
            )
            .bind(&p.gap_id)
            .bind(&p.question)
            .bind(&p.seen_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Gaps with `status`, by observations (`count`) or last observation (`recent`).
    pub async fn gaps(&self, status: &str, by_count: bool, limit: i64) -> AppResult<Vec<GapRow>> {
        let order = if by_count {
            "g.observations DESC, g.last_seen DESC"
        } else {
            "g.last_seen DESC"
        };
        let sql = format!(
            "SELECT {GAP_COLUMNS} FROM gaps g WHERE g.status = $1 ORDER BY {order}, g.id LIMIT $2"
        );
        Ok(sqlx::query_as::<_, GapRow>(&sql)
            .bind(status)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn gap(&self, id: &str) -> AppResult<Option<GapRow>> {
        let sql = format!("SELECT {GAP_COLUMNS} FROM gaps g WHERE g.id = $1");
        Ok(sqlx::query_as::<_, GapRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The newest observations of each gap (up to 50 each).
    pub async fn gap_samples(&self, gap_ids: &[String]) -> AppResult<Vec<GapSampleRow>> {
        if gap_ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (1..=gap_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT gap_id, id, text, department, category FROM (
                 SELECT gap_id, id, text, department, category,
                        ROW_NUMBER() OVER (PARTITION BY gap_id ORDER BY created_at DESC, id DESC) AS n
                 FROM gap_observations WHERE gap_id IN ({})
             ) ranked WHERE n <= ${} ORDER BY gap_id, n",
            marks.join(", "),
            gap_ids.len() + 1
        );
        let mut query = sqlx::query_as::<_, GapSampleRow>(&sql);
        for id in gap_ids {
            query = query.bind(id.clone());
        }
        Ok(query.bind(SAMPLES_READ).fetch_all(&self.pool).await?)
    }

    /// Dismisses an open gap; false when it is not open.
    pub async fn dismiss_gap(
        &self,
        id: &str,
        reason: &str,
        by: &str,
        now: &str,
    ) -> AppResult<bool> {
        let done = sqlx::query(
            "UPDATE gaps SET status = 'dismissed', dismiss_reason = $2, dismissed_by = $3, closed_at = $4
             WHERE id = $1 AND status = 'open'",
        )
        .bind(id)
        .bind(reason)
        .bind(by)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Marks a gap resolved by `entry_id`; false when no such gap.
    pub async fn resolve_gap(&self, id: &str, entry_id: &str, now: &str) -> AppResult<bool> {
        let done = sqlx::query(
            "UPDATE gaps SET status = 'resolved', entry_id = $2, closed_at = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(entry_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
