//! Fault injection for tests of supervision. Compiled only in sandbox builds (which never ship),
//! so no default build can reach it.

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
        // Inside a continuation, where most of the actor's work runs.
        let step = async {}.into_actor(self);
        ctx.wait(step.map(|_, act, _| panic!("session {}: injected panic", act.id)));
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
