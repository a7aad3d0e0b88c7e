-- A conditional write is one D1 batch whose first statement changes exactly one
-- row when the data is still as the request read it. The statement after it
-- inserts `changes()` here: 1 passes and is removed at once by the trigger, 0
-- fails the CHECK, which aborts and rolls back the whole batch, so no follow-up
-- statement (history, timeline, audit) is written for a write that lost a race.
CREATE TABLE write_guards (
    changed INTEGER NOT NULL CHECK (changed = 1)
);

CREATE TRIGGER write_guards_stay_empty AFTER INSERT ON write_guards
BEGIN
    DELETE FROM write_guards;
END;
