//! Knowledge search: the only module that knows tantivy and jieba. The index is derived from
//! the database and stamped with what it was built from, so a stale one is noticed and rebuilt.

mod analysis;
mod dense;
mod index;
mod lexicon;
mod pairs;
mod phonetic;
mod query;
mod rank;
mod salience;
mod schema;
mod scope;
mod terms;
mod tokenizer;
mod vocab;
mod weigh;

pub use dense::{part_text, DenseRow, Semantic, SemanticState, SemanticStatus, PARTS};
pub use index::{IndexStamp, RankedEntry, SearchIndex, SearchResults, Stage};
pub use lexicon::{read_dir_texts, Lexicon, DICTIONARY_FILES};
pub use rank::Signals;
