//! The index schema and typed handles to its fields.

use tantivy::schema::{
    Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions, STORED,
    STRING,
};

use super::tokenizer::{BIGRAMS, PINYIN, WORDS};

/// Bumped whenever the schema or the analyzers change: an index stamped with another version
/// is rebuilt from the database.
pub const SCHEMA_VERSION: u32 = 1;

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
        department: builder.add_text_field("department", STRING),
        category: builder.add_text_field("category", STRING),
        region: builder.add_text_field("region", STRING),
        valid_from: builder.add_i64_field("valid_from", day.clone()),
        valid_to: builder.add_i64_field("valid_to", day),
        payload: builder.add_text_field("payload", STORED),
    };
    (builder.build(), fields)
}
