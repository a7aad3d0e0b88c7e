// The ingest yardstick of `cargo xtask bench`: a bare JavaScript worker doing the
// work of an Alertmanager delivery of new alerts on Beacon's own D1 schema and
// runtime: one query for the integration, one for all the delivery's keys, one
// batch writing the delivery, and per new alert its incident, audit record,
// alert and two timeline entries. No validation, mapping or rules: the floor.
const sql = {
  integration: "SELECT id, name, user_id FROM integrations WHERE secret_hash = ?1",
  keys: "SELECT dedup_key FROM alerts WHERE integration_id = ?1 AND status != 'resolved' AND dedup_key IN (SELECT value FROM json_each(?2))",
  delivery: "INSERT INTO alert_events (integration_id, received_at, body, outcome) VALUES (?1, ?2, ?3, ?4)",
  incident: "INSERT INTO incidents (title, priority, rules_priority, status, labels, owner_group, facts, created_by, created_at, updated_at) VALUES (?1, 'P2', 'P2', 'reported', '[]', 'web', ?2, ?3, ?4, ?4)",
  created: "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) SELECT max(id), ?1, ?2, 'created', ?3 FROM incidents",
  audit: "INSERT INTO audit_log (at, actor_id, actor, action, subject, after) SELECT ?1, ?2, ?3, 'incident.create', 'incident/' || max(id), ?4 FROM incidents",
  alert: "INSERT INTO alerts (integration_id, dedup_key, status, summary, severity, signal, incident_id, first_seen, last_seen) SELECT ?1, ?2, 'triggered', ?3, ?4, ?5, max(id), ?6, ?6 FROM incidents",
  triggered: "INSERT INTO timeline_entries (incident_id, at, actor, kind, body) SELECT max(id), ?1, ?2, 'alert_triggered', ?3 FROM incidents",
};
const hex = (bytes) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export default {
  async fetch(request, env) {
    const secret = (request.headers.get("authorization") || "").replace(/^Bearer /, "");
    const hash = hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(secret)));
    const integration = await env.DB.prepare(sql.integration).bind(hash).first();
    if (!integration) return Response.json({ error: { code: "unauthorized" } }, { status: 401 });
    const body = await request.text();
    const alerts = JSON.parse(body).alerts;
    const keys = alerts.map((a) => a.fingerprint);
    const open = await env.DB.prepare(sql.keys).bind(integration.id, JSON.stringify(keys)).all();
    const known = new Set(open.results.map((r) => r.dedup_key));
    const now = Date.now();
    const actor = `monitoring/${integration.name}`;
    const outcome = keys.map((k) => ({ dedup_key: k, outcome: known.has(k) ? "repeated" : "opened_with_incident" }));
    const batch = [env.DB.prepare(sql.delivery).bind(integration.id, now, body, JSON.stringify(outcome))];
    for (const a of alerts.filter((a) => !known.has(a.fingerprint))) {
      const summary = a.annotations?.summary ?? a.labels.alertname;
      const facts = JSON.stringify({ hostname: a.labels.instance, alerted_at: a.startsAt });
      const note = JSON.stringify({ integration: integration.name, dedup_key: a.fingerprint, summary });
      batch.push(
        env.DB.prepare(sql.incident).bind(summary, facts, integration.user_id, now),
        env.DB.prepare(sql.created).bind(now, actor, JSON.stringify({ title: summary, facts })),
        env.DB.prepare(sql.audit).bind(now, integration.user_id, actor, JSON.stringify({ title: summary })),
        env.DB.prepare(sql.alert).bind(integration.id, a.fingerprint, summary, a.labels.severity ?? null, JSON.stringify(a), now),
        env.DB.prepare(sql.triggered).bind(now, actor, note),
      );
    }
    await env.DB.batch(batch);
    return Response.json({ status: "ok", alerts: outcome });
  },
};
