//! Group commit for new tickets: one writer task takes every ticket waiting to be written and
//! stores them in one transaction on its own connection (numbers reserved from the day's
//! sequence in one statement, rows written many to a statement), then answers each caller.
//! A caller is answered only after the commit, and the SQLite connection syncs every commit
//! (`synchronous = FULL`), so an acknowledged ticket survives a crash. When a group fails, its
//! tickets are retried one by one, so one bad ticket cannot fail the others.

use std::ops::Range;
use std::sync::{Mutex, PoisonError};

use sqlx::any::AnyConnectOptions;
use sqlx::AnyConnection;
use sqlx::{Any, ConnectOptions, Connection, Executor, Transaction};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::feedback::{insert_feedback, NewFeedback};
use super::gaps::{bind_observation, NewObservation, OBSERVATION_COLUMNS};
use super::tickets::{
    bind_event_fields, bind_new_ticket, new_ticket_columns, write_co_departments, EVENT_FIELDS,
};
use super::{Db, Engine};
use crate::domain::ticket_record::{Ticket, TicketEvent};
use crate::error::{AppError, AppResult, Code};

/// Most tickets written in one transaction.
const MAX_GROUP: usize = 256;
/// Tickets waiting for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;
/// Most rows in one INSERT; groups are cut into powers of two up to this, so a connection
/// prepares only a handful of statements. (SQLite looks parameter names up by a linear scan,
/// so binding costs grow with the square of a statement's parameters.)
const ROWS_PER_STATEMENT: usize = 8;

/// A new ticket with everything written with it.
#[derive(Clone, Debug)]
pub struct TicketWrite {
    /// The ticket; its `number` is assigned on writing.
    pub ticket: Ticket,
    /// The day whose sequence numbers it (`YYYYMMDD`, China time).
    pub day: String,
    /// Its first event.
    pub event: TicketEvent,
    /// Adoptions of the entries it cites.
    pub feedback: Vec<NewFeedback>,
    /// The knowledge-gap observation it makes.
    pub observation: Option<NewObservation>,
}

struct Job {
    write: TicketWrite,
    reply: oneshot::Sender<AppResult<String>>,
}

enum State {
    Idle,
    Running(mpsc::Sender<Job>, JoinHandle<()>),
    Closed,
}

/// The handle to the writer task, started on the first ticket.
pub(super) struct TicketWriter {
    options: AnyConnectOptions,
    engine: Engine,
    state: Mutex<State>,
}

impl TicketWriter {
    pub(super) fn new(options: AnyConnectOptions, engine: Engine) -> TicketWriter {
        TicketWriter {
            options,
            engine,
            state: Mutex::new(State::Idle),
        }
    }

    /// The writer's queue, starting the writer when it is not running (first use, or its
    /// runtime ended).
    fn queue(&self) -> AppResult<mpsc::Sender<Job>> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match &*state {
            State::Running(sender, _) if !sender.is_closed() => return Ok(sender.clone()),
            State::Closed => return Err(closed()),
            _ => {}
        }
        let (sender, receiver) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(receiver, self.options.clone(), self.engine));
        *state = State::Running(sender.clone(), task);
        Ok(sender)
    }

    /// Writes what is queued, then stops the writer; later tickets are refused.
    pub(super) async fn close(&self) {
        let previous = std::mem::replace(
            &mut *self.state.lock().unwrap_or_else(PoisonError::into_inner),
            State::Closed,
        );
        if let State::Running(sender, task) = previous {
            drop(sender);
            let _ = task.await;
        }
    }
}

fn closed() -> AppError {
    AppError::new(Code::DatabaseUnavailable, "数据库已关闭，工单未写入")
}

impl Db {
    /// Stores a new ticket with its first event and its knowledge feedback, and returns its
    /// number, assigned from the day's sequence in the same transaction (unique under any
    /// concurrency). Returns once the ticket is committed.
    pub async fn insert_ticket(&self, write: TicketWrite) -> AppResult<String> {
        let (reply, answer) = oneshot::channel();
        self.tickets
            .queue()?
            .send(Job { write, reply })
            .await
            .map_err(|_| closed())?;
        answer
            .await
            .map_err(|_| AppError::internal("工单写入任务中断，工单可能未写入"))?
    }
}

/// The writer: takes everything queued, writes it as one group, answers, repeats.
async fn run(mut queue: mpsc::Receiver<Job>, options: AnyConnectOptions, engine: Engine) {
    let mut connection: Option<AnyConnection> = None;
    let mut jobs = Vec::with_capacity(MAX_GROUP);
    while queue.recv_many(&mut jobs, MAX_GROUP).await > 0 {
        write_group(&mut connection, &options, engine, std::mem::take(&mut jobs)).await;
    }
    if let Some(connection) = connection {
        let _ = connection.close().await;
    }
}

/// The writer's connection, opened when missing. SQLite syncs every commit on it.
async fn open<'c>(
    slot: &'c mut Option<AnyConnection>,
    options: &AnyConnectOptions,
    engine: Engine,
) -> AppResult<&'c mut AnyConnection> {
    if slot.is_none() {
        let mut connection = options.connect().await?;
        if engine == Engine::Sqlite {
            connection
                .execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                .await?;
        }
        *slot = Some(connection);
    }
    slot.as_mut()
        .ok_or_else(|| AppError::internal("工单写入连接未建立"))
}

async fn write_group(
    slot: &mut Option<AnyConnection>,
    options: &AnyConnectOptions,
    engine: Engine,
    jobs: Vec<Job>,
) {
    let (writes, replies): (Vec<TicketWrite>, Vec<_>) =
        jobs.into_iter().map(|job| (job.write, job.reply)).unzip();
    let connection = match open(slot, options, engine).await {
        Ok(connection) => connection,
        Err(err) => {
            for reply in replies {
                let _ = reply.send(Err(AppError::new(err.code, err.message.clone())));
            }
            return;
        }
    };
    let all: Vec<&TicketWrite> = writes.iter().collect();
    let results: Vec<AppResult<String>> = match write_all(connection, &all).await {
        Ok(numbers) => numbers.into_iter().map(Ok).collect(),
        Err(err) if all.len() == 1 => vec![Err(err)],
        Err(err) => {
            tracing::warn!(tickets = all.len(), code = err.code.as_str(), message = %err.message, "a group of tickets failed: writing them one by one");
            let mut results = Vec::with_capacity(all.len());
            for write in &all {
                let one = write_all(connection, std::slice::from_ref(write)).await;
                results.push(one.and_then(|mut numbers| {
                    numbers
                        .pop()
                        .ok_or_else(|| AppError::internal("工单编号未分配"))
                }));
            }
            results
        }
    };
    if results.iter().any(Result::is_err) && connection.ping().await.is_err() {
        // A broken connection is replaced for the next group.
        *slot = None;
    }
    for (reply, result) in replies.into_iter().zip(results) {
        let _ = reply.send(result);
    }
}

/// Writes tickets in one transaction and returns their numbers, in order.
async fn write_all(
    connection: &mut AnyConnection,
    writes: &[&TicketWrite],
) -> AppResult<Vec<String>> {
    let mut tx = connection.begin().await?;
    let numbers = reserve_numbers(&mut tx, writes).await?;
    let columns = new_ticket_columns();
    let event_columns: Vec<&str> = ["ticket_id", "seq"]
        .into_iter()
        .chain(EVENT_FIELDS)
        .collect();
    for rows in chunks(writes.len()) {
        let sql = insert_sql("tickets", &columns, rows.len(), "");
        let mut query = sqlx::query(&sql);
        for i in rows {
            query = bind_new_ticket(query, &writes[i].ticket, &numbers[i]);
        }
        query.execute(&mut *tx).await?;
    }
    for rows in chunks(writes.len()) {
        let sql = insert_sql("ticket_events", &event_columns, rows.len(), "");
        let mut query = sqlx::query(&sql);
        for i in rows {
            let (ticket, event) = (&writes[i].ticket, &writes[i].event);
            query = bind_event_fields(query.bind(&ticket.id).bind(i64::from(event.seq)), event);
        }
        query.execute(&mut *tx).await?;
    }
    let observations: Vec<&NewObservation> = writes
        .iter()
        .filter_map(|w| w.observation.as_ref())
        .collect();
    for rows in chunks(observations.len()) {
        let sql = insert_sql(
            "gap_observations",
            &OBSERVATION_COLUMNS,
            rows.len(),
            " ON CONFLICT DO NOTHING",
        );
        let mut query = sqlx::query(&sql);
        for i in rows {
            query = bind_observation(query, observations[i]);
        }
        query.execute(&mut *tx).await?;
    }
    for write in writes {
        if !write.ticket.co_departments.is_empty() {
            write_co_departments(&mut tx, &write.ticket).await?;
        }
        for feedback in &write.feedback {
            insert_feedback(&mut tx, feedback).await?;
        }
    }
    tx.commit().await?;
    Ok(numbers)
}

/// Reserves the next numbers of each day's sequence, one statement per day in the group.
async fn reserve_numbers(
    tx: &mut Transaction<'_, Any>,
    writes: &[&TicketWrite],
) -> AppResult<Vec<String>> {
    let mut numbers = vec![String::new(); writes.len()];
    let mut days: Vec<&str> = Vec::new();
    for write in writes {
        if !days.contains(&write.day.as_str()) {
            days.push(&write.day);
        }
    }
    for day in days {
        let members: Vec<usize> = (0..writes.len())
            .filter(|&i| writes[i].day == day)
            .collect();
        let count = members.len() as i64;
        let (last,): (i64,) = sqlx::query_as(
            "INSERT INTO ticket_numbers (day, last) VALUES ($1, $2) \
             ON CONFLICT (day) DO UPDATE SET last = ticket_numbers.last + $2 RETURNING last",
        )
        .bind(day)
        .bind(count)
        .fetch_one(&mut **tx)
        .await?;
        for (k, i) in members.into_iter().enumerate() {
            numbers[i] = format!("{day}-{:05}", last - count + 1 + k as i64);
        }
    }
    Ok(numbers)
}

/// `n` rows cut into runs whose lengths are powers of two of at most [`ROWS_PER_STATEMENT`].
fn chunks(n: usize) -> Vec<Range<usize>> {
    let mut runs = Vec::new();
    let mut start = 0;
    while start < n {
        let left = (n - start).min(ROWS_PER_STATEMENT);
        let size = 1 << (usize::BITS - 1 - left.leading_zeros());
        runs.push(start..start + size);
        start += size;
    }
    runs
}

/// `INSERT INTO table (columns) VALUES ($1, …), (…)` for `rows` rows, then `tail`.
fn insert_sql(table: &str, columns: &[&str], rows: usize, tail: &str) -> String {
    let width = columns.len();
    let groups: Vec<String> = (0..rows)
        .map(|row| {
            let params: Vec<String> = (1..=width)
                .map(|column| format!("${}", row * width + column))
                .collect();
            format!("({})", params.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}{tail}",
        columns.join(", "),
        groups.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_cut_into_powers_of_two() {
        let sizes = |n| {
            chunks(n)
                .iter()
                .map(ExactSizeIterator::len)
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(7), vec![4, 2, 1]);
        assert_eq!(sizes(30), vec![8, 8, 8, 4, 2]);
        assert_eq!(chunks(30).last(), Some(&(28..30)));
    }

    #[test]
    fn insert_statements_number_every_row() {
        assert_eq!(
            insert_sql("t", &["a", "b"], 2, " ON CONFLICT DO NOTHING"),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING"
        );
    }
}

#[cfg(test)]
mod group_tests {
    use time::OffsetDateTime;

    use super::*;
    use crate::domain::access::{Identity, Role};
    use crate::domain::ticket_view::NewTicket;

    fn write(id: &str) -> TicketWrite {
        let call: NewTicket = serde_json::from_value(serde_json::json!({
            "type": "咨询", "content": format!("来电 {id}"), "resolution": "dispatch"
        }))
        .unwrap();
        let agent = Identity {
            name: "test".into(),
            role: Role::Agent,
            department: None,
        };
        let (ticket, event) = call.record(id.into(), &agent, OffsetDateTime::UNIX_EPOCH);
        TicketWrite {
            ticket,
            day: "20260930".into(),
            event,
            feedback: Vec::new(),
            observation: None,
        }
    }

    #[tokio::test]
    async fn a_bad_ticket_fails_alone_and_its_group_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("h.db").display());
        let db = Db::connect(&url).await.unwrap();
        assert_eq!(
            db.insert_ticket(write("t0")).await.unwrap(),
            "20260930-00001"
        );
        // Queued together, so written as one group; "t0" again breaks the group's transaction.
        let results = tokio::join!(
            db.insert_ticket(write("t1")),
            db.insert_ticket(write("t2")),
            db.insert_ticket(write("t0")),
            db.insert_ticket(write("t3")),
            db.insert_ticket(write("t4")),
        );
        let numbers = vec![
            results.0.ok(),
            results.1.ok(),
            results.2.ok(),
            results.3.ok(),
            results.4.ok(),
        ];
        let expected = |n: u32| Some(format!("20260930-{n:05}"));
        assert_eq!(
            numbers,
            vec![expected(2), expected(3), None, expected(4), expected(5)]
        );
        db.close().await;
    }
}
