-- A sweep that costs what is due, and delivery through the notification queue
-- (SPEC E1, E4).
--
-- Each incident keeps the next instant its escalation has something due
-- (`escalation_due_at`, NULL: nothing until the incident changes), indexed, so
-- the every-minute sweep reads only the tickets that are due. A new incident is
-- due at once (0). Every timeline entry that shapes escalation (the kinds of
-- beacon_shared::timeline::TimelineEvent::ESCALATION_KINDS, checked against
-- this file by a worker test) makes its incident due at once and moves
-- `escalation_schedule`, so a sweep that read the incident before the write
-- never overwrites it with an instant computed from the old state.
ALTER TABLE incidents ADD COLUMN escalation_due_at INTEGER DEFAULT 0;
ALTER TABLE incidents ADD COLUMN escalation_schedule INTEGER NOT NULL DEFAULT 0;
CREATE INDEX incidents_escalation_due ON incidents (escalation_due_at);

CREATE TRIGGER timeline_entries_reschedule_escalation AFTER INSERT ON timeline_entries
WHEN NEW.kind IN ('created', 'priority_changed', 'status_changed', 'acknowledged', 'customer_update')
BEGIN
    UPDATE incidents
    SET escalation_due_at = 0, escalation_schedule = escalation_schedule + 1
    WHERE id = NEW.incident_id;
END;

-- The outbox is delivered through the queue: a sweep claims a pending row
-- (`queued_until`, renewed by each attempt; a claim whose message never reached
-- the queue runs out and is claimed again) and each attempt marks it in flight
-- (`sending_until`), so a message the queue hands out twice is sent once.
ALTER TABLE outbound_notifications ADD COLUMN queued_until INTEGER;
ALTER TABLE outbound_notifications ADD COLUMN sending_until INTEGER;
CREATE INDEX outbound_notifications_claimable ON outbound_notifications (status, next_attempt_at, queued_until);
-- Each (action, channel) is one notification.
CREATE UNIQUE INDEX outbound_notifications_once ON outbound_notifications (action_key, channel_id);
