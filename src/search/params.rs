//! Every number that decides what search finds and how it ranks, in one place, grouped by the
//! pipeline stage that uses it (analyse → retrieve → fuse → rerank → judge). Change one only
//! with `hotline eval` on both labelled sets before and after (README, 检索质量).

/// The parameter set of the pipeline.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    pub analysis: Analysis,
    pub salience: Salience,
    pub lexical: Lexical,
    pub dense: Dense,
    pub fusion: Fusion,
    pub rerank: Rerank,
    pub coverage: CoverageParams,
    pub judge: Judge,
}

/// Query analysis: how much the words derived from what the caller said count.
#[derive(Clone, Copy, Debug)]
pub struct Analysis {
    /// Weight of a synonym relative to the word the caller used.
    pub synonym_weight: f32,
    /// Weight of an official term implied by the caller's word (被辞退 → 失业保险金): weaker than
    /// a synonym, since it names the service rather than restating the word.
    pub related_weight: f32,
    /// Importance of the implied terms of a situation phrase said across word boundaries.
    pub situation_importance: f32,
    /// Weight of a dictionary sub-word of a longer word (社保卡 inside 社保卡补办).
    pub subword_weight: f32,
    /// Importance of a one-character word relative to a longer one.
    pub single_char_importance: f32,
    /// Importance of a homophone correction when the heard text is no word at all (公基金).
    pub correction_of_nonword: f32,
    /// Importance of a correction of a real word that merely sounds like a known one (等级 → 登记).
    pub correction_of_word: f32,
    /// What the importance of words replaced by a correction is multiplied by: the heard
    /// words keep more when they are real words themselves.
    pub replaced_word_keeps: f32,
    pub replaced_nonword_keeps: f32,
    /// Most concepts kept from one query.
    pub max_concepts: usize,
    /// A text longer than this many characters is a call transcript: its words are read
    /// from its end, this long (every labelled question is shorter than 40).
    pub transcript_tail: usize,
}

/// Salience: how much a word says on its own (from jieba's part of speech and frequency).
#[derive(Clone, Copy, Debug)]
pub struct Salience {
    /// jieba dictionary frequency above which a noun is an everyday word rather than a subject.
    pub everyday_noun_freq: usize,
    /// Share of the salience a word would have that a one-character word keeps.
    pub single_char_share: f32,
    /// Salience of a word that only sets the scene (我妈, 去年, 三千块).
    pub context: f32,
    /// jieba dictionary frequencies of a very common and of a rare word, bounding rarity.
    pub freq_common: f32,
    pub freq_rare: f32,
    /// Rarity of a word jieba does not know.
    pub unknown_rarity: f32,
    /// Weight by part of speech: nouns; nominal verbs (登记 as a thing); names of people and
    /// places; words the dictionaries added; adjectives, verbs, idioms; everything else.
    pub noun: f32,
    pub nominal_verb: f32,
    pub name: f32,
    pub added_word: f32,
    pub predicate: f32,
    pub other: f32,
    /// salience = base + (1 − base) · kind · (rarity_floor + (1 − rarity_floor) · rarity).
    pub base: f32,
    pub rarity_floor: f32,
}

/// The lexical retrieval: which tantivy clauses a concept becomes and how many candidates come
/// back.
#[derive(Clone, Copy, Debug)]
pub struct Lexical {
    /// Candidates taken from tantivy.
    pub candidates: usize,
    /// Entries the pruned pass over the flat sum of the query's words takes for exact scoring
    /// (at least twice `candidates`; the bigram and single-character terms are added to the
    /// exact scores only). On the 100,000-entry benchmark 400 gives the R@5 of the exhaustive
    /// search for every kind; 250 lost a point of keywords R@5.
    pub pool: usize,
    /// Field weights: every word counts once through `all`; the standard question, its
    /// phrasings and keywords say what the entry is about and count again on top.
    pub all_field: f32,
    pub title_field: f32,
    pub questions_field: f32,
    pub keywords_field: f32,
    /// Share of the best alternative (word, synonym, sub-word) the others add to it.
    pub tie_breaker: f32,
    /// Share of a concept's weight it keeps however little it says on its own.
    pub salience_floor: f32,
    /// Weight of each character bigram and pinyin bigram of the query against the entry head.
    pub bigram_weight: f32,
    pub pinyin_weight: f32,
    /// Weight of each single ideograph of a one-character word against the head.
    pub char_weight: f32,
    /// Most bigrams taken from one query (a whole transcript has many).
    pub max_fuzzy_terms: usize,
    /// Smallest IDF a word gets (a word in every entry still says a little).
    pub min_idf: f32,
    /// Weight from which a term counts as the concept itself (word or synonym) when judging
    /// how specific the concept is.
    pub specific_form: f32,
}

/// The dense retrieval.
#[derive(Clone, Copy, Debug)]
pub struct Dense {
    /// Nearest entries by cosine taken as candidates (lexical candidates get their cosine
    /// whatever their rank).
    pub candidates: usize,
    /// `--mode dense` (embeddings alone): below this best cosine the answer is none.
    pub alone_no_answer_below: f32,
}

/// Fusion of the two candidate lists. `dense_weight` and `spread` were fitted on the labelled
/// set (`hotline eval knowledge/eval/queries.jsonl --mode hybrid`, weights 0.5–3 × spreads
/// 0.08–0.15) and only checked on the held-out set.
#[derive(Clone, Copy, Debug)]
pub struct Fusion {
    /// Weight of the dense evidence against the lexical score (normalised to the first hit).
    pub dense_weight: f32,
    /// Cosine distance below the best entry at which dense evidence fades to nothing.
    pub spread: f32,
    /// The cascade: when the lexical first hit covers this share of the question the dense
    /// stage is skipped (no embedding). About a third of the questions of both labelled sets
    /// pass; no metric of either set moved (fitted on the labelled set, thresholds 0.6–0.95).
    pub certain_coverage: f32,
}

/// The rerank of the fused candidates.
#[derive(Clone, Copy, Debug)]
pub struct Rerank {
    /// How many of the best lexical candidates are weighed by how much of the question they
    /// cover.
    pub depth: usize,
    /// Share of its score an entry keeps when it covers nothing.
    pub coverage_floor: f32,
    /// Share of its score an entry loses when the caller says nothing of its standard
    /// question: between siblings (护照 / 未成年人护照) the one whose qualifiers the caller
    /// did not mention ranks lower.
    pub title_miss_penalty: f32,
    /// Score multipliers by district: the caller's own district's entry; another district's
    /// when the caller's is known; a district's entry when the caller's district is unknown
    /// (city-wide entries keep 1).
    pub own_district: f32,
    pub other_district: f32,
    pub district_unknown: f32,
    /// A district's own entry needs this share of the first hit's score to take its place.
    pub district_promotion: f32,
}

/// How much of the question an entry covers (the base of rerank and of the judgement).
#[derive(Clone, Copy, Debug)]
pub struct CoverageParams {
    /// How much a compound counts as matched when all of its parts are, but not the whole.
    pub parts_match: f32,
    /// Below this strength a concept counts as not covered.
    pub subject_covered: f32,
    /// How much a match in the body (answer, steps, materials) counts against one in the
    /// head (title, alternative questions, keywords).
    pub body_match: f32,
    /// A question of at most this many concepts is short: its subject is judged.
    pub short_question_concepts: usize,
}

/// Whether the first hit answers the question (`no_answer`).
#[derive(Clone, Copy, Debug)]
pub struct Judge {
    /// Below this coverage a search reports no answer.
    pub coverage_below: f32,
    /// A short question whose main subject is a word no entry is about (演唱会, 征信) is
    /// answered only when the first hit still covers this much of it.
    pub without_subject_below: f32,
    /// A question asked in an out-of-scope form (哪个牌子好) is answered only when the first
    /// hit covers this much of it.
    pub out_of_scope_below: f32,
    /// A first hit this close in meaning to the question (cosine) answers it whatever the
    /// words say: the caller said it in words no entry uses. Fitted on the labelled set
    /// (rescue thresholds 0.90–0.94, best flagged-minus-false rate) and checked on the
    /// held-out one.
    pub answered_from_cosine: f32,
}

/// The parameters searches use.
pub const PARAMS: Params = Params {
    analysis: Analysis {
        synonym_weight: 0.85,
        related_weight: 0.7,
        situation_importance: 0.8,
        subword_weight: 0.35,
        single_char_importance: 0.7,
        correction_of_nonword: 0.9,
        correction_of_word: 0.6,
        replaced_word_keeps: 0.7,
        replaced_nonword_keeps: 0.35,
        max_concepts: 80,
        transcript_tail: 100,
    },
    salience: Salience {
        everyday_noun_freq: 3000,
        single_char_share: 0.5,
        context: 0.15,
        freq_common: 50_000.0,
        freq_rare: 50.0,
        unknown_rarity: 0.5,
        noun: 1.0,
        nominal_verb: 0.9,
        name: 0.6,
        added_word: 0.8,
        predicate: 0.5,
        other: 0.3,
        base: 0.2,
        rarity_floor: 0.4,
    },
    lexical: Lexical {
        candidates: 60,
        pool: 400,
        all_field: 1.0,
        title_field: 1.2,
        questions_field: 1.1,
        keywords_field: 0.8,
        tie_breaker: 0.1,
        salience_floor: 0.4,
        bigram_weight: 0.25,
        pinyin_weight: 0.2,
        char_weight: 0.35,
        max_fuzzy_terms: 160,
        min_idf: 0.05,
        specific_form: 0.8,
    },
    dense: Dense {
        candidates: 60,
        alone_no_answer_below: 0.85,
    },
    fusion: Fusion {
        dense_weight: 2.0,
        spread: 0.08,
        certain_coverage: 0.9,
    },
    rerank: Rerank {
        depth: 30,
        coverage_floor: 0.6,
        title_miss_penalty: 0.25,
        own_district: 1.8,
        other_district: 0.55,
        district_unknown: 0.88,
        district_promotion: 0.5,
    },
    coverage: CoverageParams {
        parts_match: 0.9,
        subject_covered: 0.3,
        body_match: 0.6,
        short_question_concepts: 7,
    },
    judge: Judge {
        coverage_below: 0.13,
        without_subject_below: 0.5,
        out_of_scope_below: 0.6,
        answered_from_cosine: 0.925,
    },
};
