-- The K1 categories lived in `status_components` (0002), a name that read as
-- the status page's components; those are `public_components` (0006). The
-- table is renamed after what it holds. SQLite rewrites the reference from
-- `public_components.name` along with it.
ALTER TABLE status_components RENAME TO categories;
