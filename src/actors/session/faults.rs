//! Fault injection for tests of supervision. Compiled only in sandbox builds (which never ship),
//! so no default build can reach it.

use std::time::Duration;

use actix::prelude::*;

use super::SessionActor;

/// Fault injection for tests of supervision (sandbox builds only, never reachable otherwise):
/// the actor panics while processing, as a bug would make it.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Panic;

impl Handler<Panic> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: Panic, ctx: &mut Self::Context) {
        // In a step the actor waits for, where most of its work runs (status writes, event
        // handling).
        let id = self.id.clone();
        ctx.wait(
            async move {
                actix::clock::sleep(Duration::from_millis(10)).await;
                panic!("session {id}: injected panic");
            }
            .into_actor(self),
        );
    }
}

/// Fault injection (sandbox builds only): the actor stops and panics in its `stopped` hook,
/// before it could report its exit to the supervisor.
#[derive(Message)]
#[rtype(result = "()")]
pub struct PanicWhenStopped;

impl Handler<PanicWhenStopped> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: PanicWhenStopped, ctx: &mut Self::Context) {
        self.panic_when_stopped = true;
        ctx.stop();
    }
}

/// Fault injection (sandbox builds only): the engine's run loop ends behind the actor's back.
#[derive(Message)]
#[rtype(result = "()")]
pub struct HaltEngine;

impl Handler<HaltEngine> for SessionActor {
    type Result = ();

    fn handle(&mut self, _: HaltEngine, _ctx: &mut Self::Context) {
        if let Some(client) = self.client.clone() {
            self.deps
                .runtime
                .handle()
                .spawn(async move { client.disconnect().await });
        }
    }
}
