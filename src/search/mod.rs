//! Knowledge search: the only module that knows tantivy and jieba. The index is derived from
//! the database and stamped with what it was built from, so a stale one is noticed and rebuilt.

mod analysis;
mod index;
mod lexicon;
mod pairs;
mod phonetic;
mod query;
mod rank;
mod salience;
mod schema;
mod scope;
mod tokenizer;
mod vocab;
mod weigh;

pub use index::{IndexStamp, RankedEntry, SearchIndex, SearchResults};
pub use lexicon::Lexicon;
pub use rank::Signals;
