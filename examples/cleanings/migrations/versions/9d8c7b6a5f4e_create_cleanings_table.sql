-- create cleanings table
--
-- Revision ID: 9d8c7b6a5f4e
-- Revises: 
-- Create Date: 2026-11-22 10:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
CREATE TABLE cleanings (
    id SERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    cleaning_type TEXT NOT NULL DEFAULT 'spot_clean',
    price NUMERIC(10, 2) NOT NULL
);
CREATE INDEX ix_cleanings_name ON cleanings (name);

-- migrate:downgrade
DROP TABLE cleanings;
