//! SQL for stored entry vectors (`entry_vectors`), and their text encoding: f16 components,
//! little-endian, as lower-case hex (768 bytes, 1,536 characters for 384 dimensions).

use half::f16;

use super::Db;
use crate::domain::EntryStatus;
use crate::error::AppResult;

/// One stored vector of one text of one entry revision.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredVector {
    pub entry_id: String,
    pub revision: i64,
    /// Which text of the entry it embeds.
    pub part: String,
    pub vector: Vec<f32>,
}

#[derive(sqlx::FromRow)]
struct VectorRow {
    entry_id: String,
    revision: i64,
    part: String,
    vector: String,
}

/// What the dense stage's filters need of a published entry.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct EntryFactsRow {
    pub id: String,
    pub revision: i64,
    pub department: String,
    pub category: String,
    pub region: String,
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

impl Db {
    /// Every vector computed with `model`; damaged rows are skipped (and so recomputed).
    pub async fn entry_vectors(&self, model: &str) -> AppResult<Vec<StoredVector>> {
        self.vectors_where("model = $1", model, &[]).await
    }

    /// The vectors computed with `model` of the entries whose ids lie in `first..=last`, all
    /// their revisions (a page of a full load, read by primary key).
    pub async fn entry_vectors_between(
        &self,
        model: &str,
        first: &str,
        last: &str,
    ) -> AppResult<Vec<StoredVector>> {
        self.vectors_where(
            "model = $1 AND entry_id >= $2 AND entry_id <= $3",
            model,
            &[first, last],
        )
        .await
    }

    /// The vectors computed with `model` of one entry (all its revisions).
    pub async fn entry_vectors_of(&self, model: &str, id: &str) -> AppResult<Vec<StoredVector>> {
        self.vectors_where("model = $1 AND entry_id = $2", model, &[id])
            .await
    }

    async fn vectors_where(
        &self,
        condition: &str,
        model: &str,
        texts: &[&str],
    ) -> AppResult<Vec<StoredVector>> {
        let sql = format!(
            "SELECT entry_id, revision, part, vector FROM entry_vectors WHERE {condition} ORDER BY entry_id, revision, part"
        );
        let mut query = sqlx::query_as::<_, VectorRow>(&sql).bind(model);
        for text in texts {
            query = query.bind(*text);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(StoredVector {
                    vector: decode_vector(&row.vector)?,
                    entry_id: row.entry_id,
                    revision: row.revision,
                    part: row.part,
                })
            })
            .collect())
    }

    /// How many entries are published.
    pub async fn count_published(&self) -> AppResult<usize> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM entries WHERE status = $1")
            .bind(EntryStatus::Published.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(usize::try_from(count).unwrap_or_default())
    }

    /// The filter facts of every published entry, by id.
    pub async fn published_facts(&self) -> AppResult<Vec<EntryFactsRow>> {
        Ok(sqlx::query_as::<_, EntryFactsRow>(
            "SELECT id, revision, department, category, region, valid_from, valid_to
             FROM entries WHERE status = $1 ORDER BY id",
        )
        .bind(EntryStatus::Published.as_str())
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores vectors computed with `model`, in one transaction; existing rows stay.
    pub async fn save_entry_vectors(
        &self,
        model: &str,
        vectors: &[StoredVector],
        now: &str,
    ) -> AppResult<()> {
        let mut tx = self.pool.begin().await?;
        for v in vectors {
            sqlx::query(
                "INSERT INTO entry_vectors (entry_id, revision, model, part, vector, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (entry_id, revision, model, part) DO NOTHING",
            )
            .bind(&v.entry_id)
            .bind(v.revision)
            .bind(model)
            .bind(&v.part)
            .bind(encode_vector(&v.vector))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// f16 little-endian hex of `vector`.
pub fn encode_vector(vector: &[f32]) -> String {
    let mut text = String::with_capacity(vector.len() * 4);
    for x in vector {
        for byte in f16::from_f32(*x).to_le_bytes() {
            text.push_str(&format!("{byte:02x}"));
        }
    }
    text
}

/// The inverse of [`encode_vector`]; `None` for text that is not one.
pub fn decode_vector(text: &str) -> Option<Vec<f32>> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.len().is_multiple_of(4) {
        return None;
    }
    let nibble = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    bytes
        .chunks(4)
        .map(|c| {
            let lo = nibble(c[0])? << 4 | nibble(c[1])?;
            let hi = nibble(c[2])? << 4 | nibble(c[3])?;
            Some(f16::from_le_bytes([lo, hi]).to_f32())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_survive_the_text_encoding_within_f16_precision() {
        let v = vec![0.5, -0.125, 0.0312, 1.0, -0.9999];
        let text = encode_vector(&v);
        assert_eq!(text.len(), v.len() * 4);
        let back = decode_vector(&text).unwrap();
        for (a, b) in v.iter().zip(&back) {
            assert!((a - b).abs() < 1e-3, "{a} {b}");
        }
        assert_eq!(decode_vector("zz00"), None);
        assert_eq!(decode_vector("abc"), None);
    }
}
