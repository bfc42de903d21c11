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

const POLL: Duration = Duration::from_millis(20);
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
    let mut polls: u32 = 0;
    loop {
        polls = polls.wrapping_add(1);
        if polls.is_multiple_of(250) {
            // A connection that died silently shows here, not in the notification poll.
            conn.batch_execute("SELECT 1")?;
        }
        for note in conn.notifications_iter() {
            let note = note?;
            if note.channel == LEASES_CHANNEL {
                membership.do_send(Wake);
            } else if note.channel == OUTBOX_CHANNEL {
                supervisor.do_send(Nudge(SessionId::from_db(note.payload)));
            }
        }
        if !membership.connected() {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}
