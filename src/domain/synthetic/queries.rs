//! Benchmark queries over a recombined knowledge base: the eval questions, their district
//! copies for invented districts, whole-call transcripts of a fixed length, and distinct
//! questions for HTTP load.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{District, Rng};
use crate::domain::eval::EvalQuery;

/// One benchmark query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenchQuery {
    /// The eval kind (`keywords`, `colloquial`, `asr`, `district`, `unanswerable`) or
    /// `transcript` for whole-call transcripts.
    pub kind: String,
    pub q: String,
    /// The caller's district, when the query names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Sample ids of the relevant matters (district versions carry them as an id prefix).
    #[serde(default)]
    pub relevant: Vec<String>,
}

/// Agent turns of an invented call.
const AGENT_TURNS: &[&str] = &[
    "您好，这里是12345政务服务便民热线，请问有什么可以帮您？",
    "好的，您别着急，慢慢说，我这边帮您记录一下。",
    "请问您说的是哪个区县的情况？办理地点各区有所不同。",
    "明白了，您是想了解办理条件和需要带的材料，对吧？",
    "这个问题我帮您查一下知识库，请稍等。",
    "您还有其他需要咨询的吗？",
    "嗯嗯，我理解您的心情，这个情况我们会如实记录。",
    "那我把具体的地址和咨询电话给您说一下，您记一下。",
];
/// Caller fillers between questions.
const CALLER_FILLERS: &[&str] = &[
    "喂，喂，听得到吗？",
    "对对对，就是这个意思。",
    "哦哦，那我再问一个啊，",
    "嗯，还有就是，",
    "不好意思啊，我这边有点吵，",
    "我记一下啊，你再说一遍，",
];

/// Benchmark queries: every eval query as is; district questions again for `district_copies`
/// invented districts each (the sample district's name swapped for theirs); and `transcripts`
/// whole-call transcripts of exactly `transcript_chars` characters built from the colloquial
/// and district questions, each different, labelled with the question the call ends on.
pub fn bench_queries(
    eval: &[EvalQuery],
    districts: &[District],
    sample_regions: &[(String, String)],
    district_copies: usize,
    transcripts: usize,
    transcript_chars: usize,
    seed: u64,
) -> Vec<BenchQuery> {
    let mut rng = Rng::new(seed ^ 0x0051_7E55);
    let mut out: Vec<BenchQuery> = eval
        .iter()
        .map(|q| BenchQuery {
            kind: q.kind.clone(),
            q: q.query.clone(),
            region: q.region.clone(),
            relevant: q.relevant.clone(),
        })
        .collect();
    let mut seen: HashSet<String> = out.iter().map(|q| q.q.clone()).collect();
    if !districts.is_empty() {
        for q in eval.iter().filter(|q| q.kind == "district") {
            let Some((full, short)) = sample_regions.iter().find(|(full, short)| {
                q.region.as_deref() == Some(full.as_str()) && q.query.contains(short.as_str())
            }) else {
                continue;
            };
            for _ in 0..district_copies {
                let d = rng.pick(districts);
                let text = q.query.replace(full, &d.name).replace(short, &d.short);
                if seen.insert(text.clone()) {
                    out.push(BenchQuery {
                        kind: "district".into(),
                        q: text,
                        region: Some(d.name.clone()),
                        relevant: q.relevant.clone(),
                    });
                }
            }
        }
    }
    let spoken: Vec<&EvalQuery> = eval
        .iter()
        .filter(|q| q.kind == "colloquial" || q.kind == "district")
        .collect();
    if spoken.is_empty() {
        return out;
    }
    // A call ends with what the caller is asking now: the last question is the labelled one,
    // said after everything before it and followed by one agent turn; the text is cut at the
    // front to its length.
    for _ in 0..transcripts {
        let asked = spoken[rng.below(spoken.len())];
        let mut ending = String::new();
        if rng.chance(0.4) {
            let filler: &&str = rng.pick(CALLER_FILLERS);
            ending.push_str(filler);
        }
        ending.push_str(&asked.query);
        ending.push('。');
        ending.push_str(AGENT_TURNS[1 + rng.below(AGENT_TURNS.len() - 1)]);
        let mut text = String::new();
        text.push_str(AGENT_TURNS[0]);
        while text.chars().count() + ending.chars().count() < transcript_chars {
            if rng.chance(0.4) {
                let filler: &&str = rng.pick(CALLER_FILLERS);
                text.push_str(filler);
            }
            if !districts.is_empty() && rng.chance(0.3) {
                text.push_str(&format!("我是{}的，", rng.pick(districts).name));
            }
            text.push_str(&spoken[rng.below(spoken.len())].query);
            text.push('。');
            text.push_str(AGENT_TURNS[1 + rng.below(AGENT_TURNS.len() - 1)]);
        }
        text.push_str(&ending);
        let skip = text.chars().count().saturating_sub(transcript_chars);
        out.push(BenchQuery {
            kind: "transcript".into(),
            q: text.chars().skip(skip).collect(),
            region: asked.region.clone(),
            relevant: asked.relevant.clone(),
        });
    }
    out
}

/// At least `total` distinct questions for HTTP load (no transcripts): the questions of `base`,
/// then each again with a caller's district said before or after it, until `total` are reached.
/// More distinct questions than a query cache holds keep a rotation free of cache hits.
pub fn load_questions(
    base: &[BenchQuery],
    districts: &[District],
    total: usize,
    seed: u64,
) -> Vec<BenchQuery> {
    let mut rng = Rng::new(seed ^ 0x10AD);
    let questions: Vec<&BenchQuery> = base.iter().filter(|q| q.kind != "transcript").collect();
    let mut out: Vec<BenchQuery> = questions.iter().map(|q| (*q).clone()).collect();
    if questions.is_empty() || districts.is_empty() {
        return out;
    }
    let mut seen: HashSet<String> = out.iter().map(|q| q.q.clone()).collect();
    let mut misses = 0;
    while out.len() < total && misses < 10 * total {
        let q = questions[rng.below(questions.len())];
        let d = rng.pick(districts);
        let text = match rng.below(3) {
            0 => format!("我是{}的，{}", d.name, q.q),
            1 => format!(
                "{}，我在{}",
                q.q.trim_end_matches(['？', '?', '。']),
                d.short
            ),
            _ => format!("请问{}这边，{}", d.name, q.q),
        };
        if seen.insert(text.clone()) {
            out.push(BenchQuery {
                kind: q.kind.clone(),
                q: text,
                region: None,
                relevant: q.relevant.clone(),
            });
        } else {
            misses += 1;
        }
    }
    out
}
