//! Knowledge search: the only module that knows tantivy and jieba. The index is derived from
//! the database and stamped with what it was built from, so a stale one is noticed and rebuilt.

mod analysis;
mod chars;
mod dense;
mod lexicon;
mod memo;
mod pairs;
mod params;
mod phonetic;
mod pipeline;
mod query;
mod rank;
mod salience;
mod schema;
mod scope;
mod snippet;
mod store;
mod terms;
mod tokenizer;
mod vectors;
mod vocab;
mod weigh;
mod word_set;

pub use dense::{
    facts_from, facts_of, parts, question_vector, Part, Semantic, SemanticState, SemanticStatus,
    PART_NAMES,
};
pub use lexicon::{read_dir_texts, Lexicon, DICTIONARY_FILES};
pub use pipeline::{RankedEntry, SearchResults, Signals, Stage};
pub use store::{IndexStamp, SearchIndex};
pub use vectors::{EntryFacts, Names, Probe, VectorSet, VectorSetBuilder};
