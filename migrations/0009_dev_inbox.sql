-- The local inbox of `cargo xtask dev` (BEACON_ENV=development only): what
-- the demo team's notification channels would have sent to Slack or a
-- webhook, kept so that `/dev/inbox` can show it. Unused in production.
CREATE TABLE dev_inbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX dev_inbox_newest ON dev_inbox (received_at DESC, id DESC);
