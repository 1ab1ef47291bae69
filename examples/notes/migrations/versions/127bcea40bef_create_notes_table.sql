-- create notes table
--
-- Revision ID: 127bcea40bef
-- Revises: 
-- Create Date: 2026-11-22 10:00:00.000000
-- Branch Labels: 
-- Depends On: 

-- migrate:upgrade
CREATE TABLE notes (
    id SERIAL PRIMARY KEY,
    text TEXT NOT NULL,
    completed BOOLEAN NOT NULL DEFAULT false,
    created TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:downgrade
DROP TABLE notes;
