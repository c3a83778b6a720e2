//! Judge: whether the first hit answers the question (`no_answer`), from the signals of both
//! retrievals gathered in [`Signals`].

use crate::search::params::PARAMS;
use crate::search::rank::Coverage;

/// What the confidence in a first hit is judged from.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Signals {
    /// Share of the caller's words the hit covers ([`Coverage::share`]).
    pub coverage: f32,
    /// The weightiest concept of a short question is a word no entry is about.
    pub subject_unknown: bool,
    /// The question was asked in a form no government knowledge base answers (哪个牌子好).
    pub out_of_scope: bool,
    /// Share of the best-matching standard or alternative question of the hit that the
    /// caller's words cover: a question answered by the entry is asked in most of its words.
    pub question_match: f32,
    /// Second score over first score (1 when there is one hit).
    pub runner_up: f32,
    /// Score of the first hit.
    pub score: f32,
    /// Concepts the question was analysed into.
    pub concepts: usize,
    /// Cosine of the question and the first hit; `None` without the dense stage.
    pub cosine: Option<f32>,
    /// Best cosine of any entry the filters admit; `None` without the dense stage.
    pub best_cosine: Option<f32>,
    /// The query was a transcript: judged only by whether anything was found.
    pub transcript: bool,
}

impl Signals {
    /// The signals of a first hit judged by `coverage` (`None`: nothing was found), given
    /// the scores of all hits, best first.
    pub fn of(
        coverage: Option<&Coverage>,
        question_match: f32,
        mut scores: impl Iterator<Item = f32>,
        concepts: usize,
    ) -> Signals {
        let (first, second) = (scores.next(), scores.next());
        Signals {
            coverage: coverage.map_or(0.0, |c| c.share),
            subject_unknown: coverage.is_some_and(|c| c.subject_unknown),
            question_match,
            runner_up: match (first, second) {
                (Some(first), Some(second)) if first > 0.0 => second / first,
                _ => 1.0,
            },
            concepts,
            score: first.unwrap_or(0.0),
            ..Signals::default()
        }
    }

    /// Whether the first hit should be reported as no answer (also when there is none):
    /// the words judge (coverage, an unknown subject, an out-of-scope form), and a first hit
    /// close enough in meaning overrules them.
    pub fn no_answer(&self, found: bool) -> bool {
        let p = &PARAMS.judge;
        let by_words = self.coverage < p.coverage_below
            || (self.subject_unknown && self.coverage < p.without_subject_below)
            || (self.out_of_scope && self.coverage < p.out_of_scope_below);
        let by_meaning = self.cosine.is_some_and(|c| c >= p.answered_from_cosine);
        !found || (!self.transcript && by_words && !by_meaning)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn covering(share: f32) -> Signals {
        Signals {
            coverage: share,
            ..Signals::default()
        }
    }

    #[test]
    fn little_coverage_is_no_answer() {
        assert!(covering(0.05).no_answer(true));
        assert!(!covering(0.4).no_answer(true));
        assert!(covering(0.9).no_answer(false));
    }

    #[test]
    fn a_hit_close_in_meaning_answers_what_the_words_miss() {
        let close = |cosine| Signals {
            cosine: Some(cosine),
            ..covering(0.05)
        };
        assert!(!close(0.95).no_answer(true));
        assert!(close(0.85).no_answer(true));
        assert!(close(0.95).no_answer(false));
    }

    #[test]
    fn a_transcript_is_no_answer_only_when_nothing_was_found() {
        let transcript = Signals {
            transcript: true,
            ..covering(0.05)
        };
        assert!(!transcript.no_answer(true));
        assert!(transcript.no_answer(false));
    }

    #[test]
    fn an_unknown_subject_needs_half_the_question_covered() {
        let unknown = |share| Signals {
            subject_unknown: true,
            ..covering(share)
        };
        assert!(unknown(0.45).no_answer(true));
        assert!(!unknown(0.55).no_answer(true));
    }

    #[test]
    fn an_out_of_scope_question_needs_a_close_match() {
        let scoped = |share| Signals {
            out_of_scope: true,
            ..covering(share)
        };
        assert!(!covering(0.45).no_answer(true));
        assert!(scoped(0.45).no_answer(true));
        assert!(!scoped(0.8).no_answer(true));
    }
}
