//! No acknowledged ticket is lost when the service is killed (`kill -9`) while agents are
//! recording calls: every ticket answered with 201 is in the database after a restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use hotline::domain::access::Role;
use serde_json::{json, Value};

use crate::helpers::{
    client_with_token, create_token, json_ok, spawn_app_on, standard_fixture, Engine, Knowledge,
    ServeProcess, Setup,
};

/// Concurrent writers at the moment of the kill.
const WRITERS: usize = 8;
/// Tickets acknowledged before the process is killed.
const KILL_AFTER: usize = 300;

#[test]
fn acknowledged_tickets_survive_kill_9() {
    let setup = Setup::new(&Engine::Sqlite, Knowledge::Fixture(standard_fixture()));
    let mut server = ServeProcess::start(&setup, "warn");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let acknowledged: Vec<String> = runtime.block_on(async {
        let agent = server.agent_client(&setup, "durability-agent").await;
        let stop = Arc::new(AtomicBool::new(false));
        let (acks_tx, mut acks_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (agent, stop, acks) = (agent.clone(), stop.clone(), acks_tx.clone());
                let url = format!("{}/api/v1/tickets", server.address);
                tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let body = json!({"type": "咨询", "content": format!("写入者{w}的第{n}个来电"), "resolution": "dispatch"});
                        // A request cut off by the kill is not acknowledged: that is fine.
                        let Ok(response) = agent.post(&url).json(&body).send().await else { break };
                        if response.status() != 201 {
                            continue;
                        }
                        let Ok(ticket) = response.json::<Value>().await else { break };
                        let _ = acks.send(ticket["id"].as_str().unwrap_or_default().to_string());
                    }
                })
            })
            .collect();
        drop(acks_tx);
        let mut acknowledged = Vec::new();
        while let Some(id) = acks_rx.recv().await {
            acknowledged.push(id);
            if acknowledged.len() == KILL_AFTER {
                server.kill();
                stop.store(true, Ordering::Relaxed);
            }
        }
        for writer in writers {
            let _ = writer.await;
        }
        acknowledged
    });
    assert!(acknowledged.len() >= KILL_AFTER, "the load ran");

    // Restart on the same database and read every acknowledged ticket back.
    runtime.block_on(async {
        let app = spawn_app_on(setup).await;
        let dispatcher = client_with_token(&create_token(&app.app, Role::Dispatcher, None).await);
        for id in &acknowledged {
            let ticket = json_ok(
                dispatcher
                    .get(app.url(&format!("/api/v1/tickets/{id}")))
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(ticket["status"], "new");
            assert_eq!(ticket["history"][0]["kind"], "created");
        }
    });
}
