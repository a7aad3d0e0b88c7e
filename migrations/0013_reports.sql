-- Reports (SPEC Q1-Q5) read the incidents created in a period: by creation time.
CREATE INDEX incidents_created ON incidents (created_at);
