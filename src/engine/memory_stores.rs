//! TEMPORARY (replaced by the diesel store before this lands): in-memory engine stores.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use wacore::store::InMemoryBackend;
use wacore::store::traits::Backend;

#[derive(Default)]
pub struct MemoryStores(Mutex<HashMap<String, Arc<InMemoryBackend>>>);

#[async_trait::async_trait]
impl super::SessionStores for MemoryStores {
    async fn open(&self, session_id: &str) -> anyhow::Result<Arc<dyn Backend>> {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        Ok(map
            .entry(session_id.to_string())
            .or_insert_with(|| Arc::new(InMemoryBackend::new()))
            .clone())
    }
    async fn wipe(&self, session_id: &str) -> anyhow::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(session_id);
        Ok(())
    }
}
