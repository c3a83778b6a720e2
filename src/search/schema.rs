//! The index schema and typed handles to its fields.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};

use tantivy::{TantivyDocument, TantivyError};
use time::Date;

use super::tokenizer::{BIGRAMS, CHARS, PINYIN, WORDS};
use crate::domain::date::parse_date;
use crate::domain::Entry;

/// Bumped whenever the schema or the analyzers change: an index stamped with another version
/// is rebuilt from the database. 3: situation phrases and stop words cut differently.
pub const SCHEMA_VERSION: u32 = 3;

/// Handles to every field, built once with the schema.
#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub id: Field,
    pub title: Field,
    pub questions: Field,
    pub keywords: Field,
    pub answer: Field,
    pub process: Field,
    pub materials: Field,
    /// Every text field together: document frequencies, and the plain-BM25 baseline.
    pub all: Field,
    /// Character bigrams of title, questions and keywords.
    pub head_bigrams: Field,
    /// Fuzzy-pinyin bigrams of title, questions and keywords.
    pub head_pinyin: Field,
    /// Single ideographs of title, questions and keywords.
    pub head_chars: Field,
    pub department: Field,
    pub category: Field,
    pub region: Field,
    /// Validity window as day numbers (`i64::MIN`/`i64::MAX` when open).
    pub valid_from: Field,
    pub valid_to: Field,
    /// The whole entry as JSON, for hits.
    pub payload: Field,
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analyzed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let day = NumericOptions::default().set_indexed().set_fast();
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        title: builder.add_text_field("title", analyzed(WORDS)),
        questions: builder.add_text_field("questions", analyzed(WORDS)),
        keywords: builder.add_text_field("keywords", analyzed(WORDS)),
        answer: builder.add_text_field("answer", analyzed(WORDS)),
        process: builder.add_text_field("process", analyzed(WORDS)),
        materials: builder.add_text_field("materials", analyzed(WORDS)),
        all: builder.add_text_field("all", analyzed(WORDS)),
        head_bigrams: builder.add_text_field("head_bigrams", analyzed(BIGRAMS)),
        head_pinyin: builder.add_text_field("head_pinyin", analyzed(PINYIN)),
        head_chars: builder.add_text_field("head_chars", analyzed(CHARS)),
        department: builder.add_text_field("department", STRING),
        category: builder.add_text_field("category", STRING),
        region: builder.add_text_field("region", STRING),
        valid_from: builder.add_i64_field("valid_from", day.clone()),
        valid_to: builder.add_i64_field("valid_to", day),
        payload: builder.add_text_field("payload", STORED),
    };
    (builder.build(), fields)
}

/// The index document of an entry.
pub fn document(fields: &Fields, entry: &Entry) -> tantivy::Result<TantivyDocument> {
    let c = &entry.content;
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &c.id);
    doc.add_text(fields.title, &c.title);
    for (field, values) in [
        (fields.questions, &c.questions),
        (fields.keywords, &c.keywords),
        (fields.process, &c.process),
        (fields.materials, &c.materials),
    ] {
        for value in values {
            doc.add_text(field, value);
        }
    }
    doc.add_text(fields.answer, &c.answer);
    let head = std::iter::once(&c.title)
        .chain(&c.questions)
        .chain(&c.keywords);
    for text in head {
        doc.add_text(fields.all, text);
        doc.add_text(fields.head_bigrams, text);
        doc.add_text(fields.head_pinyin, text);
        doc.add_text(fields.head_chars, text);
    }
    for text in std::iter::once(&c.answer)
        .chain(&c.process)
        .chain(&c.materials)
    {
        doc.add_text(fields.all, text);
    }
    doc.add_text(fields.department, &c.department);
    doc.add_text(fields.category, &c.category);
    doc.add_text(fields.region, &c.region);
    let day = |d: &Option<String>| d.as_deref().and_then(parse_date).map(day_number);
    doc.add_i64(fields.valid_from, day(&c.valid_from).unwrap_or(i64::MIN));
    doc.add_i64(fields.valid_to, day(&c.valid_to).unwrap_or(i64::MAX));
    let payload =
        serde_json::to_string(entry).map_err(|e| TantivyError::InternalError(e.to_string()))?;
    doc.add_text(fields.payload, payload);
    Ok(doc)
}

/// A date as the day number stored in the validity fields.
pub fn day_number(date: Date) -> i64 {
    i64::from(date.to_julian_day())
}
