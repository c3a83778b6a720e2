//! Routing suggestions (智能派单): which department should handle a ticket, with reasons.
//!
//! A [`Router`] scores every department of a city's directory from three sources:
//! - a profile per department: its name, keywords and duties, the matters of the standard
//!   department kinds it is matched to (the general map, `knowledge/routing/city_departments.jsonl`)
//!   and optionally its knowledge entries; scored with BM25 over character 1–2-grams;
//! - optionally routing history (ticket text, department that handled it): a one-vs-rest linear
//!   SVM (squared hinge, dual coordinate descent) over TF-IDF character 1–3-grams and, when the
//!   past tickets have sentence vectors, those vectors, plus the most similar past tickets for
//!   the reason;
//! - candidate signals from the caller (search hits, nearest entries by embeddings).
//!
//! Everything is deterministic: no randomness beyond a fixed-seed permutation in training.

use serde::{Deserialize, Serialize};

use super::Department;
pub use history::vectors_usable;
use history::History;
use profile::Profile;

mod history;
mod profile;

/// The general map shipped with the binary: standard department kinds of a Chinese city.
pub const GENERAL_MAP: &str = include_str!("../../knowledge/routing/city_departments.jsonl");

/// One standard department kind of the general map (one line of `city_departments.jsonl`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepartmentKind {
    pub kind: String,
    /// Names cities give such a department (住建局, 住房和城乡建设局, 房管局…).
    pub names: Vec<String>,
    pub duties: String,
    /// Short phrases of what callers ask about and what the department owns.
    pub matters: Vec<String>,
}

/// A candidate from elsewhere (search hits, embeddings), on any non-negative scale.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Signal {
    pub department: String,
    pub score: f64,
    pub reason: String,
}

/// One suggested department, best first; `reason` is for people.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub department: String,
    pub score: f64,
    pub reason: String,
}

/// Parses the general map (JSON Lines, blank lines allowed).
pub fn parse_kinds(text: &str) -> Result<Vec<DepartmentKind>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| format!("第 {} 行：{e}", i + 1)))
        .collect()
}

/// The built-in general map.
pub fn builtin_kinds() -> Vec<DepartmentKind> {
    parse_kinds(GENERAL_MAP).unwrap_or_default()
}

const MAX_SUGGESTIONS: usize = 10;
const SIGNAL_WEIGHT: f64 = 0.5;

/// Builds a [`Router`]: directory and general map first, then optional entries and history.
pub struct RouterBuilder {
    departments: Vec<Department>,
    kinds: Vec<DepartmentKind>,
    assigned: Vec<Vec<usize>>,
    phrases: Vec<Vec<Phrase>>,
    history: Vec<(String, usize)>,
    /// Aligned with `history`: each past ticket's sentence vector, where known.
    history_vectors: Vec<Option<Vec<f32>>>,
}

#[derive(Clone, Debug)]
struct Phrase {
    text: String,
    weight: f32,
    /// Shown in reasons when the ticket contains it.
    citable: bool,
}

impl RouterBuilder {
    /// Adds a knowledge entry's text (title, questions, keywords) to a department's profile.
    /// Entries of departments outside the directory are ignored.
    pub fn entry(mut self, department: &str, text: &str) -> Self {
        if let Some(d) = self.index_of(department) {
            self.phrases[d].push(Phrase {
                text: text.to_string(),
                weight: 0.5,
                citable: false,
            });
        }
        self
    }

    /// Adds routing history: (ticket text, code of the department that finally handled it).
    /// Tickets of departments outside the directory are ignored.
    pub fn history<'a>(self, tickets: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        self.history_with_vectors(tickets.into_iter().map(|(t, d)| (t, d, None)))
    }

    /// Adds routing history with each ticket's sentence vector where known (the question
    /// embedding search uses). The vectors become features when nearly every ticket has one;
    /// suggestions then want the ticket's vector too ([`Router::suggest_with_vector`]).
    pub fn history_with_vectors<'a>(
        mut self,
        tickets: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a [f32]>)>,
    ) -> Self {
        for (text, department, vector) in tickets {
            if let Some(d) = self.index_of(department) {
                self.history.push((text.to_string(), d));
                self.history_vectors.push(vector.map(<[f32]>::to_vec));
            }
        }
        self
    }

    fn index_of(&self, code: &str) -> Option<usize> {
        self.departments.iter().position(|d| d.code == code)
    }

    pub fn build(self) -> Router {
        let profile = Profile::build(&self.phrases);
        let history = History::train(&self.history, &self.history_vectors, self.departments.len());
        Router {
            departments: self.departments,
            kinds: self.kinds,
            assigned: self.assigned,
            phrases: self.phrases,
            profile,
            history,
        }
    }
}

/// Suggests departments for a ticket; see the module documentation.
pub struct Router {
    departments: Vec<Department>,
    kinds: Vec<DepartmentKind>,
    assigned: Vec<Vec<usize>>,
    phrases: Vec<Vec<Phrase>>,
    profile: Profile,
    history: Option<History>,
}

impl Router {
    /// Starts a router for a directory; each department inherits the matters of the kinds of
    /// the general map it matches by name and duties (a merged bureau inherits several).
    pub fn builder(directory: &[Department], kinds: &[DepartmentKind]) -> RouterBuilder {
        let assigned = assign_kinds(directory, kinds);
        let phrases = directory
            .iter()
            .zip(&assigned)
            .map(|(d, ks)| department_phrases(d, ks.iter().map(|&k| &kinds[k])))
            .collect();
        RouterBuilder {
            departments: directory.to_vec(),
            kinds: kinds.to_vec(),
            assigned,
            phrases,
            history: Vec::new(),
            history_vectors: Vec::new(),
        }
    }

    /// Names of the general-map kinds a directory department was matched to.
    pub fn kinds_of(&self, code: &str) -> Vec<&str> {
        self.departments
            .iter()
            .position(|d| d.code == code)
            .map(|d| {
                self.assigned[d]
                    .iter()
                    .map(|&k| self.kinds[k].kind.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The directory name of a department the router knows.
    pub fn department_name(&self, code: &str) -> Option<&str> {
        self.departments
            .iter()
            .find(|d| d.code == code)
            .map(|d| d.name.as_str())
    }

    /// Number of history tickets the router learnt from.
    pub fn history_len(&self) -> usize {
        self.history.as_ref().map_or(0, |h| h.docs.len())
    }

    /// Whether the history model learnt from sentence vectors (and so wants the ticket's).
    pub fn uses_vectors(&self) -> bool {
        self.history.as_ref().is_some_and(History::uses_vectors)
    }

    /// Departments for a ticket, best first (at most ten, only those with some evidence).
    /// `ticket_type` (投诉/咨询…) is accepted for the API's sake and does not change scores.
    pub fn suggest(
        &self,
        text: &str,
        ticket_type: Option<&str>,
        extra: &[Signal],
    ) -> Vec<Suggestion> {
        self.suggest_with_vector(text, ticket_type, extra, None)
    }

    /// As [`Router::suggest`], with the ticket's sentence vector for a history model that
    /// learnt from vectors (ignored otherwise).
    pub fn suggest_with_vector(
        &self,
        text: &str,
        _ticket_type: Option<&str>,
        extra: &[Signal],
        vector: Option<&[f32]>,
    ) -> Vec<Suggestion> {
        let n = self.departments.len();
        let chars = normalize(text);
        let mut scores = vec![0.0f64; n];
        let profile = self.profile.scores(&chars);
        let top_profile = profile.iter().cloned().fold(0.0, f64::max);
        let (history_weight, margins, similar) = match &self.history {
            Some(h) => {
                let (margins, similar) = h.assess(text, vector, 5);
                (h.weight(), margins, similar)
            }
            None => (0.0, vec![-1.0; n], Vec::new()),
        };
        let profile_weight = 1.0 - history_weight;
        for d in 0..n {
            if top_profile > 0.0 {
                scores[d] += profile_weight * profile[d] / top_profile;
            }
            if history_weight > 0.0 {
                scores[d] += history_weight * margins[d];
            }
        }
        let top_signal = extra.iter().map(|s| s.score).fold(0.0, f64::max);
        let mut signal_reasons: Vec<Vec<&str>> = vec![Vec::new(); n];
        let mut signal_best = vec![0.0f64; n];
        for s in extra {
            let Some(d) = self.departments.iter().position(|x| x.code == s.department) else {
                continue;
            };
            if top_signal > 0.0 && s.score.is_finite() {
                signal_best[d] = signal_best[d].max(s.score.max(0.0) / top_signal);
            }
            if !s.reason.is_empty() && signal_reasons[d].len() < 2 {
                signal_reasons[d].push(&s.reason);
            }
        }
        for d in 0..n {
            scores[d] += SIGNAL_WEIGHT * signal_best[d];
        }
        let mut order: Vec<usize> = (0..n)
            .filter(|&d| profile[d] > 0.0 || signal_best[d] > 0.0 || self.history.is_some())
            .collect();
        order.sort_by(|&a, &b| {
            scores[b]
                .total_cmp(&scores[a])
                .then_with(|| self.departments[a].code.cmp(&self.departments[b].code))
        });
        order.truncate(MAX_SUGGESTIONS);
        order
            .into_iter()
            .map(|d| Suggestion {
                department: self.departments[d].code.clone(),
                score: (scores[d] * 1000.0).round() / 1000.0,
                reason: self.reason(d, &chars, &signal_reasons[d], &similar),
            })
            .collect()
    }

    fn reason(
        &self,
        d: usize,
        chars: &[char],
        signals: &[&str],
        similar: &[(usize, f32)],
    ) -> String {
        let text: String = chars.iter().collect();
        let mut parts = Vec::new();
        let mut matched: Vec<&str> = Vec::new();
        for p in &self.phrases[d] {
            let t = p.text.as_str();
            if p.citable && t.chars().count() >= 2 && text.contains(t) && !matched.contains(&t) {
                matched.push(t);
            }
        }
        matched.sort_by_key(|t| std::cmp::Reverse(t.chars().count()));
        let mut shown: Vec<&str> = Vec::new();
        for t in matched {
            if shown.len() < 4 && !shown.iter().any(|s| s.contains(t)) {
                shown.push(t);
            }
        }
        if !shown.is_empty() {
            parts.push(format!("职责与事项匹配：{}", shown.join("、")));
        }
        let kinds = &self.assigned[d];
        if !kinds.is_empty() && !shown.is_empty() {
            let names: Vec<&str> = kinds.iter().map(|&k| self.kinds[k].kind.as_str()).collect();
            parts.push(format!("归口：{}", names.join("、")));
        }
        if !signals.is_empty() {
            parts.push(format!("知识库命中：{}", signals.join("；")));
        }
        if let Some(h) = &self.history {
            let same: Vec<usize> = similar
                .iter()
                .filter(|(i, _)| h.docs[*i].1 == d)
                .map(|(i, _)| *i)
                .collect();
            if let Some(&first) = same.first() {
                let example: String = h.docs[first].0.chars().take(30).collect();
                parts.push(format!(
                    "相似历史工单 {} 件由其办理，如「{example}」",
                    same.len()
                ));
            }
        }
        if parts.is_empty() {
            parts.push(format!("部门职责：{}", self.departments[d].name));
        }
        parts.join("；")
    }
}

/// Matches general-map kinds to directory departments: a kind name inside the department's
/// name, the department's keywords found in the kind's text, the kind's matters found in the
/// department's duties. Each kind goes to its best department(s), if the match is clear.
fn assign_kinds(directory: &[Department], kinds: &[DepartmentKind]) -> Vec<Vec<usize>> {
    let mut assigned = vec![Vec::new(); directory.len()];
    for (k, kind) in kinds.iter().enumerate() {
        let kind_text = format!(
            "{}{}{}",
            kind.names.concat(),
            kind.duties,
            kind.matters.concat()
        );
        let sims: Vec<f64> = directory
            .iter()
            .map(|d| {
                let own = format!("{}{}{}", d.name, d.duties, d.keywords.concat());
                let name = if kind.names.iter().any(|n| d.name.contains(n.as_str())) {
                    1.0
                } else {
                    0.0
                };
                let keywords = d
                    .keywords
                    .iter()
                    .filter(|w| kind_text.contains(w.as_str()))
                    .count() as f64
                    / d.keywords.len().max(1) as f64;
                let matters = kind
                    .matters
                    .iter()
                    .filter(|m| m.chars().count() >= 2 && own.contains(m.as_str()))
                    .count() as f64;
                name + keywords + (matters / 6.0).min(1.0)
            })
            .collect();
        let best = sims.iter().cloned().fold(0.0, f64::max);
        for (d, s) in sims.iter().enumerate() {
            if *s >= 0.5f64.max(0.6 * best) {
                assigned[d].push(k);
            }
        }
    }
    assigned
}

fn department_phrases<'a>(
    d: &Department,
    kinds: impl Iterator<Item = &'a DepartmentKind>,
) -> Vec<Phrase> {
    let phrase = |text: &str, weight: f32, citable: bool| Phrase {
        text: text.to_string(),
        weight,
        citable,
    };
    let mut out = vec![phrase(short_name(&d.name), 2.0, false)];
    out.extend(d.keywords.iter().map(|w| phrase(w, 2.0, true)));
    out.extend(duty_clauses(&d.duties).map(|c| phrase(c, 1.0, true)));
    for kind in kinds {
        out.extend(kind.matters.iter().map(|m| phrase(m, 1.0, true)));
        out.extend(kind.names.iter().map(|n| phrase(n, 0.5, false)));
    }
    out
}

/// The department name without the leading place name (江州市…, 云溪县…).
fn short_name(name: &str) -> &str {
    for (i, c) in name.char_indices() {
        if matches!(c, '市' | '县' | '区') {
            let rest = &name[i + c.len_utf8()..];
            if rest.chars().count() >= 2 {
                return rest;
            }
        }
    }
    name
}

fn duty_clauses(duties: &str) -> impl Iterator<Item = &str> {
    duties
        .split(|c: char| "、，。；,;（）()和及与".contains(c))
        .flat_map(|c| c.split("负责"))
        .map(str::trim)
        .filter(|c| c.chars().count() >= 2)
}

/// Lower-cased letters, digits and CJK characters; everything else is dropped.
fn normalize(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Calls `f(n, hash)` for every character n-gram of length 1..=max_n.
pub(super) fn for_each_gram(chars: &[char], max_n: usize, mut f: impl FnMut(usize, u64)) {
    for i in 0..chars.len() {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for (j, c) in chars[i..].iter().take(max_n).enumerate() {
            h ^= *c as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
            h ^= h >> 29;
            f(j + 1, h);
        }
    }
}

#[cfg(test)]
mod tests;
