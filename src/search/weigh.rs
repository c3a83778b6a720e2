//! What words weigh in the index as it stands: a concept's specificity (its BM25 IDF, and its
//! parts') and an entry's words (head, body, and each question with the IDF of its words).

use tantivy::{Searcher, Term};

use super::analysis::Concept;
use super::lexicon::Lexicon;
use super::params::PARAMS;
use super::rank::{EntryWords, Specificity};
use super::schema::Fields;
use super::tokenizer::{is_wordlike, normalize};
use crate::domain::Entry;

/// Reads document frequencies from one searcher.
pub struct Weigher<'a> {
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    pub lexicon: &'a Lexicon,
}

impl Weigher<'_> {
    /// How many entries use `term` anywhere.
    fn doc_freq(&self, term: &str) -> u64 {
        self.searcher
            .doc_freq(&Term::from_field_text(self.fields.all, term))
            .unwrap_or(0)
    }

    /// Whether some entry has `term` in its title, alternative questions or keywords.
    fn in_head(&self, term: &str) -> bool {
        [
            self.fields.title,
            self.fields.questions,
            self.fields.keywords,
        ]
        .into_iter()
        .any(|field| {
            self.searcher
                .doc_freq(&Term::from_field_text(field, term))
                .is_ok_and(|df| df > 0)
        })
    }

    /// BM25's IDF for a term used by `df` entries.
    fn idf(&self, df: u64) -> f32 {
        let n = self.searcher.num_docs() as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5))
            .ln()
            .max(PARAMS.lexical.min_idf)
    }

    /// How specific a concept is: the IDF of its most common form. A word the knowledge base
    /// never uses is maximally specific, which is what makes questions about things the
    /// knowledge base does not cover stand out.
    pub fn specificity(&self, concept: &Concept) -> Specificity {
        let most_common = |forms: &mut dyn Iterator<Item = &str>| {
            forms.map(|form| self.doc_freq(form)).max().unwrap_or(0)
        };
        let df = most_common(
            &mut concept
                .terms
                .iter()
                .filter(|(_, weight)| *weight >= PARAMS.lexical.specific_form)
                .map(|(term, _)| term.as_str()),
        );
        let parts = concept
            .parts
            .iter()
            .map(|forms| self.idf(most_common(&mut forms.iter().map(String::as_str))))
            .collect();
        // Zero when no entry uses it at all, which is the common case for a subject no entry
        // is about; only then are the head fields asked.
        let in_head = df > 0
            && concept
                .terms
                .iter()
                .filter(|(_, weight)| *weight >= PARAMS.lexical.specific_form)
                .any(|(term, _)| self.in_head(term));
        Specificity {
            idf: self.idf(df),
            in_head,
            parts,
        }
    }

    /// The words of an entry: head and body as the index cuts them, and the words of the
    /// title and of each alternative question with their IDF.
    pub fn entry_words(&self, entry: &Entry) -> EntryWords {
        let c = &entry.content;
        let mut words = EntryWords::default();
        let mut head = Vec::new();
        for text in std::iter::once(&c.title)
            .chain(&c.questions)
            .chain(&c.keywords)
        {
            self.add_words(text, &mut head);
        }
        words.head = head.into_iter().collect();
        for question in std::iter::once(&c.title).chain(&c.questions) {
            let text = normalize(question);
            let mut list: Vec<(String, f32)> = Vec::new();
            for token in self.lexicon.jieba.cut(&text, true) {
                let word = token.word;
                if is_wordlike(word)
                    && !self.lexicon.is_noise(word)
                    && !list.iter().any(|(w, _)| w == word)
                {
                    list.push((word.to_string(), self.idf(self.doc_freq(word))));
                }
            }
            words.questions.push(list);
        }
        let mut body = Vec::new();
        for text in std::iter::once(&c.answer)
            .chain(&c.process)
            .chain(&c.materials)
        {
            self.add_words(text, &mut body);
        }
        words.body = body.into_iter().collect();
        words
    }

    fn add_words(&self, text: &str, into: &mut Vec<String>) {
        let text = normalize(text);
        for token in self.lexicon.jieba.cut_for_search(&text, true) {
            if is_wordlike(token.word) {
                into.push(token.word.to_string());
            }
        }
    }
}
