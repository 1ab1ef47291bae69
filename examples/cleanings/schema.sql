-- The schema the revisions make (see README, "Autogenerate").
CREATE TABLE cleanings (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    cleaning_type TEXT NOT NULL DEFAULT 'spot_clean',
    price NUMERIC(10, 2) NOT NULL,
    duration_minutes INTEGER NOT NULL DEFAULT 60
);
CREATE INDEX ix_cleanings_name ON cleanings (name);
