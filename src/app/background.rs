//! Background work of a running service, started and stopped with it: keeping the index in
//! step with the database, embedding entries for semantic search, watching ticket deadlines
//! (临期、超期预警, callbacks waiting), keeping the routing model up to date and grouping
//! unanswered questions into knowledge gaps.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::{App, IndexSync};

/// How often deadlines are checked.
const DEADLINE_WATCH_INTERVAL: Duration = Duration::from_secs(60);

/// The running background tasks.
pub struct Background {
    tasks: Vec<JoinHandle<()>>,
}

impl Background {
    /// Starts every background task of `app`.
    pub fn start(app: Arc<App>) -> Background {
        Background {
            tasks: vec![
                tokio::spawn(sync_index(app.clone())),
                tokio::spawn(embed_entries(app.clone())),
                tokio::spawn(watch_deadlines(app.clone())),
                tokio::spawn(refresh_routing(app.clone())),
                tokio::spawn(group_gaps(app)),
            ],
        }
    }

    /// Stops the tasks and waits until they are gone.
    pub async fn stop(self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

fn ticker(period: Duration) -> tokio::time::Interval {
    let mut ticker = tokio::time::interval(period);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker
}

/// Picks up changes made elsewhere (CLI imports, other replicas) every sync interval.
async fn sync_index(app: Arc<App>) {
    let mut ticker = ticker(app.config.sync_interval);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        if let Err(err) = app.apply_dictionaries().await {
            tracing::warn!(code = err.code.as_str(), message = %err.message, "applying edited dictionaries failed");
        }
        match app.sync_index(false).await {
            Ok(IndexSync::UpToDate) => {}
            Ok(sync) => tracing::info!(?sync, "index synced with the database"),
            Err(err) => {
                tracing::warn!(code = err.code.as_str(), message = %err.message, "index sync failed")
            }
        }
    }
}

/// Opens the model (unless semantic search is off) and keeps entry vectors in step with
/// the published entries: the first pass embeds what is missing with one thread, later
/// passes pick up new and changed entries every sync interval. Between them, routing
/// history is embedded a pass at a time.
async fn embed_entries(app: Arc<App>) {
    let encoder = match app.index.semantic.encoder() {
        Some(encoder) => encoder,
        None => match app.open_encoder(1, true).await {
            Ok(Some(encoder)) => encoder,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(code = err.code.as_str(), message = %err.message, "semantic search unavailable");
                return;
            }
        },
    };
    let mut ticker = ticker(app.config.sync_interval);
    loop {
        ticker.tick().await;
        match app.embed_missing(&encoder).await {
            Ok(0) => {}
            Ok(embedded) => tracing::info!(embedded, "entry vectors up to date"),
            Err(err) => {
                tracing::warn!(code = err.code.as_str(), message = %err.message, "embedding entries failed")
            }
        }
        match app.embed_lessons(&encoder).await {
            Ok(0) => {}
            Ok(embedded) => {
                if let Ok((lessons, covered)) = app.lesson_vector_coverage(&encoder).await {
                    tracing::info!(embedded, covered, lessons, "embedding routing history");
                }
            }
            Err(err) => {
                tracing::warn!(code = err.code.as_str(), message = %err.message, "embedding routing history failed")
            }
        }
    }
}

/// Logs, once a minute and only when something changed, how many tickets each department has
/// overdue, due soon and awaiting a callback, so a line's monitoring can alert on it.
async fn watch_deadlines(app: Arc<App>) {
    let mut ticker = ticker(DEADLINE_WATCH_INTERVAL);
    let mut last = Vec::new();
    loop {
        ticker.tick().await;
        match app.tickets().current_warnings().await {
            Ok(warnings) if warnings != last => {
                for w in &warnings {
                    tracing::warn!(
                        department = %w.department,
                        overdue = w.overdue,
                        due_soon = w.due_soon,
                        awaiting_callback = w.awaiting_callback,
                        "ticket deadlines need attention"
                    );
                }
                last = warnings;
            }
            Ok(_) => {}
            Err(err) => {
                tracing::warn!(code = err.code.as_str(), message = %err.message, "deadline check failed")
            }
        }
    }
}

/// How often the gap worker looks for new observations.
const GAP_INTERVAL: Duration = Duration::from_secs(2);

/// Places new observations of unanswered questions into knowledge gaps as they arrive.
async fn group_gaps(app: Arc<App>) {
    let mut ticker = ticker(GAP_INTERVAL);
    loop {
        ticker.tick().await;
        match app.group_gaps().await {
            Ok(0) => {}
            Ok(placed) => tracing::debug!(placed, "knowledge gaps updated"),
            Err(err) => {
                tracing::warn!(code = err.code.as_str(), message = %err.message, "grouping knowledge gaps failed")
            }
        }
    }
}

/// How often routing checks whether its model is stale.
const ROUTING_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// A rebuild that took T waits this many times T before the next one, so that training on a
/// large history (with sentence vectors, tens of seconds per 10,000 tickets) never takes more
/// than a tenth of the machine from search while tickets keep closing.
const ROUTING_REST_FACTOR: u32 = 9;

/// Rebuilds the routing model when the directory or the ticket history changed (imports,
/// tickets closed, other replicas).
async fn refresh_routing(app: Arc<App>) {
    let mut ticker = ticker(ROUTING_REFRESH_INTERVAL);
    ticker.tick().await;
    let mut rest_until = tokio::time::Instant::now();
    loop {
        ticker.tick().await;
        if tokio::time::Instant::now() < rest_until {
            continue;
        }
        let started = tokio::time::Instant::now();
        match app.routing().refresh().await {
            Ok(true) => rest_until = started + started.elapsed() * (ROUTING_REST_FACTOR + 1),
            Ok(false) => {}
            Err(err) => {
                tracing::warn!(code = err.code.as_str(), message = %err.message, "routing refresh failed")
            }
        }
    }
}
