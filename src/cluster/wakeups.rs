//! LISTEN/NOTIFY wake-ups: a thread with its own PostgreSQL connection listens for released
//! leases (the next owner looks at once) and queued sends (the owner sends at once). Durable
//! things stay in tables; a lost notification costs latency, never data.

use std::time::Duration;

use actix::Addr;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use super::membership::{LEASES_CHANNEL, Membership, OUTBOX_CHANNEL, Wake};
use crate::actors::{Nudge, SupervisorActor};
use crate::domain::SessionId;

/// How often the connection is polled right after a notification; each quiet poll doubles the
/// wait, up to [`POLL_QUIET`]. libpq's socket is not reachable from safe code, so the thread
/// polls instead of waiting on it: at a fixed 20 ms an idle instance woke 50 times a second
/// for nothing. A notification missed by a longer wait costs that much latency, never data.
const POLL: Duration = Duration::from_millis(20);
const POLL_QUIET: Duration = Duration::from_millis(160);
/// How often a silently dead connection is looked for (a `SELECT 1`).
const CHECK: Duration = Duration::from_secs(5);
const REDIAL: Duration = Duration::from_secs(1);

/// Starts the listening thread (it lives as long as the process).
pub fn listen(
    url: String,
    membership: Addr<Membership>,
    supervisor: Addr<SupervisorActor>,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("cluster-listen".into())
        .spawn(move || {
            loop {
                if let Err(e) = run(&url, &membership, &supervisor) {
                    log::debug!("cluster: wake-up listener: {e}; dialing again");
                }
                if !membership.connected() {
                    return;
                }
                std::thread::sleep(REDIAL);
            }
        })?;
    Ok(())
}

fn run(
    url: &str,
    membership: &Addr<Membership>,
    supervisor: &Addr<SupervisorActor>,
) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(url)?;
    conn.batch_execute(&format!(
        "LISTEN {LEASES_CHANNEL}; LISTEN {OUTBOX_CHANNEL};"
    ))?;
    // Whatever happened while the listener was away: look once.
    membership.do_send(Wake);
    let mut wait = POLL;
    let mut checked = std::time::Instant::now();
    loop {
        if checked.elapsed() >= CHECK {
            // A connection that died silently shows here, not in the notification poll.
            conn.batch_execute("SELECT 1")?;
            checked = std::time::Instant::now();
        }
        let mut heard = false;
        for note in conn.notifications_iter() {
            let note = note?;
            heard = true;
            if note.channel == LEASES_CHANNEL {
                membership.do_send(Wake);
            } else if note.channel == OUTBOX_CHANNEL {
                supervisor.do_send(Nudge(SessionId::from_db(note.payload)));
            }
        }
        if !membership.connected() {
            return Ok(());
        }
        wait = if heard {
            POLL
        } else {
            (wait * 2).min(POLL_QUIET)
        };
        std::thread::sleep(wait);
    }
}
