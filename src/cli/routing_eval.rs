//! `hotline eval-routing`: first / top-3 accuracy of routing suggestions against a keyword baseline.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde::Deserialize;

use crate::config::Config;
use crate::domain::routing::{builtin_kinds, parse_kinds, DepartmentKind, Router};
use crate::domain::Department;
use crate::embed::model_file::model_path;
use crate::embed::Encoder;
use crate::error::{AppError, AppResult, Code};
use crate::search::question_vector;

#[derive(Args, Debug)]
pub struct RoutingEvalArgs {
    /// Labelled calls, JSON Lines: {"text" (or "content"),"type"?,"department","kind"?}
    pub file: Option<PathBuf>,
    /// Department directory (departments.jsonl); default: the knowledge directory's
    #[arg(long)]
    pub departments: Option<PathBuf>,
    /// General map of department kinds; default: the one built into the binary
    #[arg(long)]
    pub map: Option<PathBuf>,
    /// Knowledge entries (a .jsonl file or a directory of them) added to department profiles
    #[arg(long)]
    pub entries: Option<PathBuf>,
    /// Routing history to learn from, JSON Lines of tickets: {"content","department",…}
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Share of the Taipei questions learnt from (the rest is routed)
    #[arg(long, default_value_t = 0.8)]
    pub split: f64,
    /// Taipei questions (`bureau question` per line, Traditional Chinese): learn and route
    #[arg(long)]
    pub taipei: Option<PathBuf>,
    /// With --taipei: skip the sentence vectors even when the model is installed
    #[arg(long)]
    pub no_vectors: bool,
    /// With --taipei: keep the questions' vectors in FILE (read back when it holds them)
    #[arg(long)]
    pub vector_cache: Option<PathBuf>,
    /// With --taipei: split the learnt part again and route its last share instead, to choose
    /// settings without looking at the routed questions
    #[arg(long)]
    pub validate: bool,
}

#[derive(Deserialize)]
struct Call {
    #[serde(alias = "content")]
    text: String,
    department: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default, rename = "type")]
    ticket_type: Option<String>,
}

struct Labelled {
    text: String,
    department: String,
    kind: String,
    ticket_type: Option<String>,
}

#[derive(Default)]
struct Tally {
    n: usize,
    first: usize,
    top3: usize,
}

impl Tally {
    fn add(&mut self, ranked: &[String], want: &str) {
        self.n += 1;
        self.first += usize::from(ranked.first().is_some_and(|d| d == want));
        self.top3 += usize::from(ranked.iter().take(3).any(|d| d == want));
    }

    fn line(&self, label: &str) -> String {
        let pct = |k: usize| k as f64 / self.n.max(1) as f64;
        format!(
            "{label:<28} n={:<5} first={:.3}  top3={:.3}",
            self.n,
            pct(self.first),
            pct(self.top3)
        )
    }
}

pub async fn run(config: Config, args: RoutingEvalArgs) -> AppResult<ExitCode> {
    let kinds = match &args.map {
        Some(path) => parse_kinds(&read(path)?).map_err(invalid)?,
        None => builtin_kinds(),
    };
    if let Some(path) = &args.taipei {
        let encoder = if args.no_vectors {
            None
        } else {
            Encoder::open(&model_path(&config.model_dir)).ok()
        };
        return taipei(path, &args, &kinds, encoder.as_ref());
    }
    let Some(file) = &args.file else {
        return Err(invalid("需要标注文件 FILE 或 --taipei PATH"));
    };
    let departments_path = args
        .departments
        .clone()
        .unwrap_or_else(|| config.knowledge_dir.join("departments.jsonl"));
    let directory: Vec<Department> = parse_lines(&read(&departments_path)?)?;
    let calls: Vec<Labelled> = parse_lines::<Call>(&read(file)?)?
        .into_iter()
        .map(|c| Labelled {
            text: c.text,
            department: c.department,
            kind: c.kind.unwrap_or_else(|| "all".into()),
            ticket_type: c.ticket_type,
        })
        .collect();
    let mut builder = Router::builder(&directory, &kinds);
    if let Some(path) = &args.entries {
        for (department, text) in entries(path)? {
            builder = builder.entry(&department, &text);
        }
    }
    let history: Vec<Call> = match &args.history {
        Some(path) => parse_lines(&read(path)?)?,
        None => Vec::new(),
    };
    let router = builder
        .history(
            history
                .iter()
                .map(|c| (c.text.as_str(), c.department.as_str())),
        )
        .build();
    println!(
        "departments={} kinds={} history={} calls={}",
        directory.len(),
        kinds.len(),
        router.history_len(),
        calls.len()
    );
    for d in &directory {
        println!(
            "  {} {} ← {}",
            d.code,
            d.name,
            router.kinds_of(&d.code).join("、")
        );
    }
    report(&router, &directory, &calls);
    Ok(ExitCode::SUCCESS)
}

fn report(router: &Router, directory: &[Department], calls: &[Labelled]) {
    let mut ours: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut baseline: BTreeMap<&str, Tally> = BTreeMap::new();
    let started = Instant::now();
    for call in calls {
        let ranked = ranked(router, &call.text, call.ticket_type.as_deref());
        let keyword = keyword_baseline(directory, &call.text);
        let kinds: &[&str] = if call.kind == "all" {
            &["all"]
        } else {
            &["all", call.kind.as_str()]
        };
        for &kind in kinds {
            ours.entry(kind).or_default().add(&ranked, &call.department);
            baseline
                .entry(kind)
                .or_default()
                .add(&keyword, &call.department);
        }
    }
    let per_call = started.elapsed().as_secs_f64() * 1000.0 / calls.len().max(1) as f64;
    for (kind, tally) in &ours {
        println!("{}", tally.line(&format!("ours [{kind}]")));
    }
    for (kind, tally) in &baseline {
        println!("{}", tally.line(&format!("keyword baseline [{kind}]")));
    }
    println!("{per_call:.2} ms per suggestion");
}

/// The suggested department codes, best first.
fn ranked(router: &Router, text: &str, ticket_type: Option<&str>) -> Vec<String> {
    ranked_with(router, text, ticket_type, None)
}

/// The suggested department codes for a text and its sentence vector, best first.
fn ranked_with(
    router: &Router,
    text: &str,
    ticket_type: Option<&str>,
    vector: Option<&[f32]>,
) -> Vec<String> {
    router
        .suggest_with_vector(text, ticket_type, &[], vector)
        .into_iter()
        .map(|s| s.department)
        .collect()
}

/// Departments ranked by how many of their keywords the text contains (ties: directory order).
fn keyword_baseline(directory: &[Department], text: &str) -> Vec<String> {
    let mut counted: Vec<(usize, usize)> = directory
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let hits = d
                .keywords
                .iter()
                .filter(|k| text.contains(k.as_str()))
                .count();
            (hits, i)
        })
        .filter(|(hits, _)| *hits > 0)
        .collect();
    counted.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    counted
        .into_iter()
        .map(|(_, i)| directory[i].code.clone())
        .collect()
}

/// Learns from a share of the Taipei questions (converted to Simplified) and routes the rest;
/// with the model, also with every question's sentence vector (as routing in service does).
fn taipei(
    path: &Path,
    args: &RoutingEvalArgs,
    kinds: &[DepartmentKind],
    encoder: Option<&Encoder>,
) -> AppResult<ExitCode> {
    let split = args.split.clamp(0.05, 0.95);
    let text = zhconv::zhconv(&read(path)?, zhconv::Variant::ZhHans);
    let mut rows: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| line.split_once(' '))
        .map(|(bureau, question)| (question.trim().to_string(), bureau.trim().to_string()))
        .filter(|(q, b)| !q.is_empty() && !b.is_empty())
        .collect();
    shuffle(&mut rows);
    let learnt = ((rows.len() as f64) * split) as usize;
    let mut vectors = match encoder {
        Some(encoder) => Some(taipei_vectors(
            encoder,
            &rows,
            args.vector_cache.as_deref(),
        )?),
        None => None,
    };
    if args.validate {
        rows.truncate(learnt);
        if let Some(v) = &mut vectors {
            v.truncate(learnt);
        }
    }
    let cut = ((rows.len() as f64) * split) as usize;
    let (train, test) = rows.split_at(cut);
    let mut bureaus: Vec<&str> = rows.iter().map(|(_, b)| b.as_str()).collect();
    bureaus.sort_unstable();
    bureaus.dedup();
    let directory: Vec<Department> = bureaus
        .iter()
        .map(|b| Department {
            code: b.to_string(),
            name: b.to_string(),
            duties: String::new(),
            keywords: Vec::new(),
        })
        .collect();
    let started = Instant::now();
    let router = Router::builder(&directory, kinds)
        .history(train.iter().map(|(q, b)| (q.as_str(), b.as_str())))
        .build();
    println!(
        "taipei: bureaus={} learnt={} routed={} (trained in {:.1} s)",
        directory.len(),
        train.len(),
        test.len(),
        started.elapsed().as_secs_f64()
    );
    let calls: Vec<Labelled> = test
        .iter()
        .map(|(q, b)| Labelled {
            text: q.clone(),
            department: b.clone(),
            kind: "all".into(),
            ticket_type: None,
        })
        .collect();
    let started = Instant::now();
    let mut ours = Tally::default();
    let mut nearest = Tally::default();
    let no_history = Router::builder(&directory, kinds).build();
    let mut directory_only = Tally::default();
    for call in &calls {
        ours.add(&ranked(&router, &call.text, None), &call.department);
        nearest.add(&nearest_ticket(train, &call.text), &call.department);
        directory_only.add(&ranked(&no_history, &call.text, None), &call.department);
    }
    println!(
        "{:.2} ms per call (all three)",
        started.elapsed().as_secs_f64() * 1000.0 / calls.len().max(1) as f64
    );
    if let Some(vectors) = &vectors {
        let (learnt, routed) = vectors.split_at(cut);
        let router = Router::builder(&directory, kinds)
            .history_with_vectors(
                train
                    .iter()
                    .zip(learnt)
                    .map(|((q, b), v)| (q.as_str(), b.as_str(), Some(v.as_slice()))),
            )
            .build();
        let mut dense = Tally::default();
        for (call, v) in calls.iter().zip(routed) {
            dense.add(
                &ranked_with(&router, &call.text, None, Some(v)),
                &call.department,
            );
        }
        println!("{}", dense.line("ours (history + vectors)"));
    }
    println!("{}", ours.line("ours (history + map)"));
    println!("{}", directory_only.line("map and names only"));
    println!("{}", nearest.line("baseline: shared bigrams"));
    Ok(ExitCode::SUCCESS)
}

/// Every question's sentence vector, as search and routing embed a question, with progress;
/// read from `cache` when it holds as many vectors as there are questions, else computed
/// and written there (little-endian f32, 384 per question).
fn taipei_vectors(
    encoder: &Encoder,
    rows: &[(String, String)],
    cache: Option<&Path>,
) -> AppResult<Vec<Vec<f32>>> {
    let dim = encoder.dim();
    if let Some(bytes) = cache.and_then(|p| std::fs::read(p).ok()) {
        if bytes.len() == rows.len() * dim * 4 {
            let values: Vec<f32> = bytes
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            return Ok(values.chunks(dim).map(<[f32]>::to_vec).collect());
        }
    }
    let started = Instant::now();
    let mut vectors = Vec::with_capacity(rows.len());
    for (i, (q, _)) in rows.iter().enumerate() {
        vectors.push(question_vector(encoder, q));
        if (i + 1) % 500 == 0 || i + 1 == rows.len() {
            eprintln!(
                "已向量化 {}/{} 条（{:.0} s）",
                i + 1,
                rows.len(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    if let Some(path) = cache {
        let bytes: Vec<u8> = vectors
            .iter()
            .flatten()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        std::fs::write(path, bytes)
            .map_err(|e| invalid(format!("无法写入 {}：{e}", path.display())))?;
    }
    Ok(vectors)
}

/// Baseline: the bureaus of the past questions sharing the most character bigrams.
fn nearest_ticket(train: &[(String, String)], text: &str) -> Vec<String> {
    let grams = |s: &str| {
        let c: Vec<char> = s.chars().collect();
        let mut g: Vec<(char, char)> = c.windows(2).map(|w| (w[0], w[1])).collect();
        g.sort_unstable();
        g.dedup();
        g
    };
    let query = grams(text);
    let mut scored: Vec<(usize, &str)> = train
        .iter()
        .map(|(q, b)| {
            let g = grams(q);
            (
                query.iter().filter(|x| g.binary_search(x).is_ok()).count(),
                b.as_str(),
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, b) in scored {
        if !out.iter().any(|x| x == b) {
            out.push(b.to_string());
        }
        if out.len() == 3 {
            break;
        }
    }
    out
}

/// Fixed-seed Fisher–Yates shuffle (xorshift), so every run routes the same questions.
fn shuffle<T>(rows: &mut [T]) {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..rows.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        rows.swap(i, (state % (i as u64 + 1)) as usize);
    }
}

/// (department, title + questions + keywords) of each knowledge entry in a file or directory.
fn entries(path: &Path) -> AppResult<Vec<(String, String)>> {
    #[derive(Deserialize)]
    struct EntryText {
        department: String,
        title: String,
        #[serde(default)]
        questions: Vec<String>,
        #[serde(default)]
        keywords: Vec<String>,
    }
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| invalid(format!("{}：{e}", path.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for file in files {
        for e in parse_lines::<EntryText>(&read(&file)?)? {
            let text = format!(
                "{} {} {}",
                e.title,
                e.questions.join(" "),
                e.keywords.join(" ")
            );
            out.push((e.department, text));
        }
    }
    Ok(out)
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(Code::RoutingEval, message)
}

fn read(path: &Path) -> AppResult<String> {
    std::fs::read_to_string(path).map_err(|e| invalid(format!("无法读取 {}：{e}", path.display())))
}

fn parse_lines<T: for<'de> Deserialize<'de>>(text: &str) -> AppResult<Vec<T>> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| invalid(format!("第 {} 行：{e}", i + 1))))
        .collect()
}
