//! Message templates end to end: saved and checked per tenant, filled by a send with its
//! variables (defaults where none is given), a missing variable or an unknown template refused
//! with a 422 that names it, and the filled text delivered to a sandbox phone.

use serde_json::{Value, json};

use crate::common::Backend;
use crate::messaging::files::png;
use crate::on_both_backends;
use crate::scenario::Scenario;

const ME: &str = "4915100000071";
const ALICE: &str = "4915100000072";

async fn create(sc: &Scenario, body: Value) -> crate::common::Reply {
    sc.app.post("/api/v1/templates", &sc.key, body).await
}

async fn templates_fill_sends_and_name_what_is_missing(backend: Backend) {
    let sc = Scenario::linked(backend, ME, &[(ALICE, "Alice")]).await;
    let welcome = create(
        &sc,
        json!({"name": "welcome", "type": "text", "text": "Hi {{first_name}}, your code is {{ code }}. {{sign|The team}}"}),
    )
    .await
    .success(201);
    assert_eq!(welcome["variables"], json!(["code", "first_name", "sign"]));
    assert!(welcome["id"].as_str().unwrap().starts_with("tpl_"));
    // Checked when saved: a name once per tenant, placeholders well formed, the right field.
    for (body, status) in [
        (
            json!({"name": "welcome", "type": "text", "text": "again"}),
            409,
        ),
        (
            json!({"name": "broken", "type": "text", "text": "Hi {{first_name"}),
            400,
        ),
        (
            json!({"name": "spaces", "type": "text", "text": "Hi {{first name}}"}),
            400,
        ),
        (
            json!({"name": "caption", "type": "text", "caption": "Hi"}),
            400,
        ),
        (
            json!({"name": "audio", "type": "audio", "caption": "Hi"}),
            400,
        ),
    ] {
        let r = create(&sc, body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
    }
    let photo = create(
        &sc,
        json!({"name": "photo", "type": "image", "caption": "For {{first_name}}"}),
    )
    .await
    .success(201);
    let listed = sc.app.get("/api/v1/templates", &sc.key).await.data();
    assert_eq!(listed.len(), 2, "{listed:?}");

    let to = format!("+{ALICE}");
    let vars = json!({"first_name": "Ana", "code": "42"});
    let sent = sc
        .send(json!({"to": to, "template": "welcome", "variables": vars}))
        .await;
    let got = sc.phone_got(ALICE, &sent).await;
    assert_eq!(
        got["text"],
        json!("Hi Ana, your code is 42. The team"),
        "{got}"
    );
    // By id, with the default overridden; the stored message is the filled text.
    let vars = json!({"first_name": "Bo", "code": "7", "sign": "Eve"});
    let id = welcome["id"].clone();
    let sent = sc
        .send(json!({"to": to, "template": id, "variables": vars, "type": "text"}))
        .await;
    let stored = sc.message(&sent["id"]).await;
    assert_eq!(stored["text"], json!("Hi Bo, your code is 7. Eve"));
    // A media template fills the caption; the send brings the file.
    let image = json!({"data": base64_png()});
    let sent = sc
        .send(json!({"to": to, "template": photo["id"], "variables": {"first_name": "Ana"}, "image": image}))
        .await;
    let stored = sc.message(&sent["id"]).await;
    assert_eq!(stored["type"], json!("image"));
    assert_eq!(stored["caption"], json!("For Ana"));

    // Refusals name what is wrong; nothing is stored for them.
    let before = sc.messages().await.len();
    let refusals = [
        (
            json!({"to": to, "template": "welcome", "variables": {"code": "1"}}),
            422,
            "template_variable_missing",
            "first_name",
        ),
        (
            json!({"to": to, "template": "nope"}),
            422,
            "template_not_found",
            "nope",
        ),
        (
            json!({"to": to, "template": "welcome", "text": "mine", "variables": vars}),
            400,
            "invalid_request",
            "text",
        ),
        (
            json!({"to": to, "template": "welcome", "type": "image", "variables": vars}),
            400,
            "invalid_request",
            "type",
        ),
        (
            json!({"to": to, "type": "text", "text": "hi", "variables": vars}),
            400,
            "invalid_request",
            "variables",
        ),
    ];
    for (body, status, code, named) in refusals {
        let r = sc.post("/messages", body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {}", r.text);
        assert_eq!(r.body["code"], json!(code), "{}", r.text);
        assert!(
            r.body["detail"].as_str().unwrap().contains(named),
            "{}",
            r.text
        );
    }
    assert_eq!(sc.messages().await.len(), before);

    // Changed and deleted like any resource.
    let path = format!("/api/v1/templates/{}", welcome["id"].as_str().unwrap());
    let changed = sc
        .app
        .patch(&path, &sc.key, json!({"text": "Hello {{first_name}}"}))
        .await
        .success(200);
    assert_eq!(changed["variables"], json!(["first_name"]));
    let sent = sc
        .send(json!({"to": to, "template": "welcome", "variables": {"first_name": "Cy"}}))
        .await;
    assert_eq!(sc.message(&sent["id"]).await["text"], json!("Hello Cy"));
    assert_eq!(sc.app.delete(&path, &sc.key).await.status.as_u16(), 204);
    assert_eq!(sc.app.get(&path, &sc.key).await.status.as_u16(), 404);
    let r = sc
        .post("/messages", json!({"to": to, "template": "welcome"}))
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.text);
}

fn base64_png() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(png(2048))
}

on_both_backends!(templates_fill_sends_and_name_what_is_missing);
