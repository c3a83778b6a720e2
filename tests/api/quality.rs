//! Search-quality floors: `hotline eval --json` on the sample knowledge base, for the labelled
//! set (`knowledge/eval/queries.jsonl`) and the held-out set (`holdout.jsonl`), must not fall
//! below the figures here.

use std::ffi::OsStr;

use serde_json::Value;

use hotline::embed::model_file::model_path;

use crate::helpers::{model_dir, real_knowledge_dir, Engine, Knowledge, Setup};

/// The least acceptable metrics per query kind, as `hotline eval --json` reports them.
/// `no_answer` bounds the share of searches flagged `no_answer`: a floor for `unanswerable`
/// (flagging them is right), a ceiling for every other kind (flagging them is wrong).
// set a little below the measured figures in README.md (`hotline eval knowledge/eval/queries.jsonl`)
#[rustfmt::skip]
const SEARCH_QUALITY_FLOORS: &[Floor] = &[
    Floor { kind: "answerable",   recall_at_1: 0.87, recall_at_3: 0.95, recall_at_5: 0.96, recall_at_10: 0.97, mrr_at_10: 0.91, no_answer: AtMost(0.05) },
    Floor { kind: "colloquial",   recall_at_1: 0.72, recall_at_3: 0.90, recall_at_5: 0.93, recall_at_10: 0.95, mrr_at_10: 0.81, no_answer: AtMost(0.11) },
    Floor { kind: "keywords",     recall_at_1: 0.96, recall_at_3: 0.98, recall_at_5: 0.98, recall_at_10: 0.98, mrr_at_10: 0.97, no_answer: AtMost(0.04) },
    Floor { kind: "asr",          recall_at_1: 0.93, recall_at_3: 0.97, recall_at_5: 0.97, recall_at_10: 0.97, mrr_at_10: 0.95, no_answer: AtMost(0.05) },
    Floor { kind: "district",     recall_at_1: 0.92, recall_at_3: 0.95, recall_at_5: 0.95, recall_at_10: 0.95, mrr_at_10: 0.93, no_answer: AtMost(0.05) },
    // Unanswerable questions have no relevant entry: only the no-answer share means anything.
    Floor { kind: "unanswerable", recall_at_1: 0.00, recall_at_3: 0.00, recall_at_5: 0.00, recall_at_10: 0.00, mrr_at_10: 0.00, no_answer: AtLeast(0.56) },
];

/// The same for `knowledge/eval/holdout.jsonl`, the queries nobody tunes on.
#[rustfmt::skip]
const HOLDOUT_FLOORS: &[Floor] = &[
    Floor { kind: "answerable",   recall_at_1: 0.82, recall_at_3: 0.92, recall_at_5: 0.93, recall_at_10: 0.94, mrr_at_10: 0.87, no_answer: AtMost(0.06) },
    Floor { kind: "colloquial",   recall_at_1: 0.57, recall_at_3: 0.82, recall_at_5: 0.85, recall_at_10: 0.90, mrr_at_10: 0.71, no_answer: AtMost(0.14) },
    Floor { kind: "keywords",     recall_at_1: 0.96, recall_at_3: 0.96, recall_at_5: 0.96, recall_at_10: 0.96, mrr_at_10: 0.95, no_answer: AtMost(0.04) },
    Floor { kind: "asr",          recall_at_1: 0.95, recall_at_3: 0.95, recall_at_5: 0.95, recall_at_10: 0.95, mrr_at_10: 0.95, no_answer: AtMost(0.05) },
    Floor { kind: "district",     recall_at_1: 0.85, recall_at_3: 0.90, recall_at_5: 0.90, recall_at_10: 0.90, mrr_at_10: 0.88, no_answer: AtMost(0.05) },
    Floor { kind: "unanswerable", recall_at_1: 0.00, recall_at_3: 0.00, recall_at_5: 0.00, recall_at_10: 0.00, mrr_at_10: 0.00, no_answer: AtLeast(0.46) },
];

/// The service's search with the embedding model (lexical and dense stages fused), on both
/// sets; a little below the figures in README.md (`hotline eval … --compare`, column 混合).
#[rustfmt::skip]
const HYBRID_FLOORS: &[Floor] = &[
    Floor { kind: "answerable",   recall_at_1: 0.90, recall_at_3: 0.96, recall_at_5: 0.97, recall_at_10: 0.97, mrr_at_10: 0.93, no_answer: AtMost(0.05) },
    Floor { kind: "colloquial",   recall_at_1: 0.80, recall_at_3: 0.93, recall_at_5: 0.96, recall_at_10: 0.96, mrr_at_10: 0.87, no_answer: AtMost(0.10) },
    Floor { kind: "keywords",     recall_at_1: 0.97, recall_at_3: 0.98, recall_at_5: 0.98, recall_at_10: 0.98, mrr_at_10: 0.98, no_answer: AtMost(0.02) },
    Floor { kind: "asr",          recall_at_1: 0.93, recall_at_3: 0.97, recall_at_5: 0.97, recall_at_10: 0.97, mrr_at_10: 0.95, no_answer: AtMost(0.03) },
    Floor { kind: "district",     recall_at_1: 0.95, recall_at_3: 0.97, recall_at_5: 0.97, recall_at_10: 0.97, mrr_at_10: 0.96, no_answer: AtMost(0.05) },
    Floor { kind: "unanswerable", recall_at_1: 0.00, recall_at_3: 0.00, recall_at_5: 0.00, recall_at_10: 0.00, mrr_at_10: 0.00, no_answer: AtLeast(0.58) },
];

#[rustfmt::skip]
const HYBRID_HOLDOUT_FLOORS: &[Floor] = &[
    Floor { kind: "answerable",   recall_at_1: 0.87, recall_at_3: 0.97, recall_at_5: 0.97, recall_at_10: 0.98, mrr_at_10: 0.92, no_answer: AtMost(0.05) },
    Floor { kind: "colloquial",   recall_at_1: 0.67, recall_at_3: 0.95, recall_at_5: 0.95, recall_at_10: 0.97, mrr_at_10: 0.80, no_answer: AtMost(0.13) },
    Floor { kind: "keywords",     recall_at_1: 0.96, recall_at_3: 0.96, recall_at_5: 0.96, recall_at_10: 0.96, mrr_at_10: 0.96, no_answer: AtMost(0.04) },
    Floor { kind: "asr",          recall_at_1: 0.95, recall_at_3: 0.95, recall_at_5: 0.95, recall_at_10: 0.95, mrr_at_10: 0.95, no_answer: AtMost(0.05) },
    Floor { kind: "district",     recall_at_1: 0.95, recall_at_3: 0.95, recall_at_5: 0.95, recall_at_10: 0.95, mrr_at_10: 0.95, no_answer: AtMost(0.10) },
    Floor { kind: "unanswerable", recall_at_1: 0.00, recall_at_3: 0.00, recall_at_5: 0.00, recall_at_10: 0.00, mrr_at_10: 0.00, no_answer: AtLeast(0.46) },
];

/// The day the labelled queries describe (which sample policies are in force).
const LABELLED_ON: &str = "2026-11-23";

struct Floor {
    kind: &'static str,
    recall_at_1: f64,
    recall_at_3: f64,
    recall_at_5: f64,
    recall_at_10: f64,
    mrr_at_10: f64,
    no_answer: NoAnswer,
}

enum NoAnswer {
    AtLeast(f64),
    AtMost(f64),
}
use NoAnswer::{AtLeast, AtMost};

#[tokio::test]
async fn search_quality_stays_above_the_floors() {
    let setup = imported(None);
    assert_floors(&setup, "queries.jsonl", SEARCH_QUALITY_FLOORS);
}

#[tokio::test]
async fn search_quality_on_the_holdout_set_stays_above_its_floors() {
    let setup = imported(None);
    assert_floors(&setup, "holdout.jsonl", HOLDOUT_FLOORS);
}

/// With the model: both sets on one database, so the entries are embedded once (minutes in a
/// debug build). Skipped with a note when the model is not installed.
#[tokio::test]
async fn hybrid_search_quality_stays_above_the_floors() {
    if !model_path(&model_dir()).is_file() {
        eprintln!("skipped: no embedding model in {}", model_dir().display());
        return;
    }
    let setup = imported(Some("on"));
    assert_floors(&setup, "holdout.jsonl", HYBRID_HOLDOUT_FLOORS);
    assert_floors(&setup, "queries.jsonl", HYBRID_FLOORS);
}

/// A database with the sample knowledge base; `semantic` overrides `HOTLINE_SEMANTIC`.
fn imported(semantic: Option<&'static str>) -> Setup {
    let mut setup = Setup::new(&Engine::Sqlite, Knowledge::Real);
    if let Some(mode) = semantic {
        setup.semantic = mode;
    }
    let knowledge = real_knowledge_dir();
    setup.hotline_ok([
        OsStr::new("import"),
        knowledge.join("departments.jsonl").as_os_str(),
        knowledge.join("entries").as_os_str(),
    ]);
    setup
}

/// Evaluates `knowledge/eval/<file>` on `setup`'s database and checks `floors`.
fn assert_floors(setup: &Setup, file: &str, floors: &[Floor]) {
    let knowledge = real_knowledge_dir();
    let stdout = setup.hotline_ok([
        OsStr::new("eval"),
        knowledge.join("eval").join(file).as_os_str(),
        OsStr::new("--json"),
        // The labels were written on this day; some sample policies end on 2026-12-31.
        OsStr::new("--as-of"),
        OsStr::new(LABELLED_ON),
    ]);

    let metrics: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("eval --json is not JSON ({err}): {stdout}"));
    let mut failures = Vec::new();
    for floor in floors {
        let Some(m) = metrics.get(floor.kind) else {
            failures.push(format!("{}: missing from the eval output", floor.kind));
            continue;
        };
        let value = |name: &str| {
            m[name]
                .as_f64()
                .unwrap_or_else(|| panic!("{}.{name} is not a number: {m}", floor.kind))
        };
        assert!(
            m["queries"].as_u64().unwrap_or(0) > 0,
            "{}: no queries",
            floor.kind
        );
        for (name, least) in [
            ("recall_at_1", floor.recall_at_1),
            ("recall_at_3", floor.recall_at_3),
            ("recall_at_5", floor.recall_at_5),
            ("recall_at_10", floor.recall_at_10),
            ("mrr_at_10", floor.mrr_at_10),
        ] {
            if value(name) < least {
                failures.push(format!(
                    "{}.{name} = {:.3}, floor {least:.3}",
                    floor.kind,
                    value(name)
                ));
            }
        }
        let rate = value("no_answer_rate");
        match floor.no_answer {
            AtLeast(least) if rate < least => failures.push(format!(
                "{}.no_answer_rate = {rate:.3}, floor {least:.3}",
                floor.kind
            )),
            AtMost(most) if rate > most => failures.push(format!(
                "{}.no_answer_rate = {rate:.3}, ceiling {most:.3}",
                floor.kind
            )),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "search quality on {file} fell below the floors:\n{}\nfull metrics:\n{stdout}",
        failures.join("\n")
    );
}
