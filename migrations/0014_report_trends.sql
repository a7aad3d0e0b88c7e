-- The report trends (SPEC Q2) read the incidents whose status changed in a
-- period (those resolved in it), through their status changes by time.
CREATE INDEX timeline_status_changes ON timeline_entries (kind, at);
